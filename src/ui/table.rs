//! The store table. Only the rows that fit are laid out, so 1,000 stores cost what a
//! screenful costs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::phase_color;
use crate::app::{App, ConnectionState, StoreRow, StoreTable};
use crate::domain::summary::human_age;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.table;
    let filter_shown = t.filter_editing || !t.filter.value().is_empty();
    let [filter_area, table_area] = Layout::vertical([
        Constraint::Length(u16::from(filter_shown)),
        Constraint::Min(1),
    ])
    .areas(area);
    if filter_shown {
        let cursor = if t.filter_editing { "▏" } else { "" };
        let line = Line::from(vec![
            Span::styled(" filter: ", Style::new().fg(Color::Cyan)),
            Span::raw(format!("{}{cursor}", t.filter.value())),
        ]);
        frame.render_widget(Paragraph::new(line), filter_area);
    }
    let stale: Vec<&str> = app
        .clusters
        .iter()
        .filter(|c| c.stale())
        .map(|c| c.context.as_str())
        .collect();
    let fleet = app.clusters.fleet();
    let block = Block::new()
        .borders(Borders::TOP)
        .title(title(t, filter_shown, &stale, fleet));
    let height = usize::from(table_area.height.saturating_sub(2));
    if t.visible_len() == 0 {
        frame.render_widget(
            Paragraph::new(empty_text(app, filter_shown)).block(block),
            table_area,
        );
        return;
    }
    let offset = t.selected.saturating_sub(height.saturating_sub(1));
    let wide = table_area.width >= 110;
    let name_width = t
        .visible_rows()
        .skip(offset)
        .take(height)
        .map(|r| r.summary.name.len() + 2)
        .max()
        .unwrap_or(4)
        .clamp(4, 30);
    let rows: Vec<Row> = t
        .visible_rows()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, r)| {
            let stale = app.clusters.stale(&r.summary.context);
            row(t, r, i == t.selected, stale, wide, fleet)
        })
        .collect();
    let (widths, headers) = columns(app, name_width, wide);
    let header = Row::new(headers).style(Style::new().add_modifier(Modifier::BOLD));
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(block)
            .column_spacing(1),
        table_area,
    );
}

/// The columns' widths and headers: NAME, CONTEXT in a fleet, the rest, and NAMESPACE
/// when wide.
fn columns(app: &App, name_width: usize, wide: bool) -> (Vec<Constraint>, Vec<&'static str>) {
    let name = Constraint::Length(u16::try_from(name_width).unwrap_or(30));
    // A fleet's rows start with their context, as `storectl list` over several clusters.
    let (mut widths, mut headers) = if app.clusters.fleet() {
        let context_width = app
            .clusters
            .iter()
            .map(|c| c.context.len() + 2)
            .max()
            .unwrap_or(9)
            .clamp(9, 22);
        let context = Constraint::Length(u16::try_from(context_width).unwrap_or(22));
        (vec![context, name], vec!["  CONTEXT", "NAME"])
    } else {
        (vec![name], vec!["  NAME"])
    };
    widths.extend([
        Constraint::Length(12),
        Constraint::Fill(3),
        Constraint::Fill(2),
        Constraint::Length(4),
        Constraint::Length(4),
    ]);
    headers.extend(["STATUS", "REASON", "URL", "AGE", "PODS"]);
    if wide {
        widths.push(Constraint::Fill(1));
        headers.push("NAMESPACE");
    }
    (widths, headers)
}

/// What the table says when it shows no row: loading, waiting, nothing matches, nothing
/// visible, or nothing yet.
fn empty_text(app: &App, filter_shown: bool) -> String {
    let clusters: Vec<_> = app.clusters.iter().collect();
    let hidden: Vec<&str> = clusters
        .iter()
        .flat_map(|c| c.hidden.iter().map(String::as_str))
        .collect();
    if clusters
        .iter()
        .all(|c| c.connection == ConnectionState::Connecting)
    {
        return " loading stores...".to_string();
    }
    if let [one] = clusters.as_slice()
        && let ConnectionState::Reconnecting(why) = &one.connection
    {
        return format!(" waiting for the cluster: {why}");
    }
    if filter_shown {
        " no store matches the filter".to_string()
    } else if !hidden.is_empty() {
        format!(
            " no store visible: you may not list {} (see the header)",
            hidden.join(", ")
        )
    } else if app.clusters.fleet() {
        " no stores yet in the clusters that answer: press c to create one".to_string()
    } else {
        " no stores yet: press c to create one".to_string()
    }
}

/// The title: ` stores (3 of 5, 1 marked) sorted by name `, STALE (and, in a fleet,
/// which clusters) while reconnecting.
fn title(t: &StoreTable, filter_shown: bool, stale: &[&str], fleet: bool) -> String {
    let marked = if t.marked_count() > 0 {
        format!(", {} marked", t.marked_count())
    } else {
        String::new()
    };
    format!(
        " stores ({}{}{marked}) sorted by {}{} ",
        t.visible_len(),
        if filter_shown {
            format!(" of {}", t.all_rows().len())
        } else {
            String::new()
        },
        t.sort.label(),
        match stale {
            [] => String::new(),
            names if fleet => format!(" — STALE: {}", names.join(", ")),
            _ => " — STALE".to_string(),
        }
    )
}

/// One store's row: marked, selected and stale rows styled as such.
fn row(
    t: &StoreTable,
    r: &StoreRow,
    selected: bool,
    stale: bool,
    wide: bool,
    fleet: bool,
) -> Row<'static> {
    let s = &r.summary;
    let mut style = Style::new();
    if stale {
        style = style.add_modifier(Modifier::DIM);
    }
    let marked = t.is_marked(r);
    if marked {
        style = style.fg(Color::Cyan).add_modifier(Modifier::BOLD);
    }
    if selected {
        style = style.add_modifier(Modifier::REVERSED);
    }
    let mark = if marked { "● " } else { "  " };
    let mut cells = if fleet {
        vec![
            Cell::from(format!("{mark}{}", s.context)),
            Cell::from(s.name.clone()),
        ]
    } else {
        vec![Cell::from(format!("{mark}{}", s.name))]
    };
    cells.extend([
        Cell::from(Span::styled(
            s.status.as_str(),
            Style::new().fg(phase_color(s.status)),
        )),
        Cell::from(s.reason.clone()),
        Cell::from(s.url.clone().unwrap_or_else(|| "-".into())),
        Cell::from(human_age(s.age_seconds)),
        Cell::from(format!("{}/{}", s.pods_ready, s.pods_total)),
    ]);
    if wide {
        cells.push(Cell::from(s.namespace.clone()));
    }
    Row::new(cells).style(style)
}
