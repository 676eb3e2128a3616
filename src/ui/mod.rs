//! Draws `&App` into a ratatui frame: header, the current screen, the status line and a
//! key hint bar. Render only: no I/O, no channels, no clocks.

mod contexts;
mod details;
mod form;
mod help;
mod logs;
mod picker;
mod table;
mod upgrade;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, ConnectionState, Mode, Severity, StatusLine, keys};
use crate::domain::status::Phase;

/// Smallest terminal the layout works in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

/// Rows of the body (what paging moves by) for a terminal of `height` rows.
pub fn body_height(height: u16) -> usize {
    usize::from(height.saturating_sub(5))
}

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "Terminal too small: {}x{} (storectl needs at least {MIN_WIDTH}x{MIN_HEIGHT}). Enlarge it, or press q to quit.",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, body, status, hints] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, app, header);
    match &app.mode {
        Mode::Table => table::draw(frame, app, body),
        Mode::Contexts(picker) => {
            table::draw(frame, app, body);
            contexts::draw(frame, app, picker, body);
        }
        Mode::Details(d) => details::draw_details(frame, app, d, body),
        Mode::Events(d) => details::draw_events(frame, d, body),
        Mode::Logs(v) => logs::draw(frame, v, body),
        Mode::Create(f) => {
            table::draw(frame, app, body);
            form::draw_create(frame, f, body);
        }
        Mode::Confirm(c) => {
            table::draw(frame, app, body);
            form::draw_confirm(frame, c, body);
        }
        Mode::Upgrade(f) => {
            table::draw(frame, app, body);
            upgrade::draw_form(frame, f, body);
        }
        Mode::UpgradePlan(plan) => upgrade::draw_plan(frame, plan, body),
        Mode::Rollout => {
            if let Some(view) = &app.rollout {
                upgrade::draw_progress(frame, view, body);
            }
        }
        Mode::RestorePick(p) => {
            table::draw(frame, app, body);
            picker::draw(
                frame,
                &format!(" restore a backup into {} ", p.store.name),
                &p.lines(),
                p.selected,
                body,
            );
        }
    }
    draw_status(frame, app, status);
    draw_hints(frame, app, hints);
    if app.help {
        help::draw(frame, app, body);
    }
}

pub fn phase_color(phase: Phase) -> Color {
    match phase {
        Phase::Ready => Color::Green,
        Phase::Provisioning => Color::Yellow,
        Phase::Failed => Color::Red,
        Phase::Deleting => Color::Magenta,
        Phase::Paused => Color::Blue,
    }
}

/// A cluster's state in the header: its words and colour.
fn connection_span(connection: &ConnectionState, rows: &str) -> Span<'static> {
    let (text, color) = match connection {
        ConnectionState::Connecting => ("connecting".to_string(), Color::Yellow),
        ConnectionState::Live => ("live".to_string(), Color::Green),
        ConnectionState::Reconnecting(why) => (
            format!("reconnecting {why} — {rows} may be stale"),
            Color::Red,
        ),
    };
    Span::styled(text, Style::new().fg(color))
}

/// Where the header names the cluster: `context X  server V  live`, or for a fleet each
/// cluster's context, server and state in turn.
fn cluster_spans(app: &App) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let fleet = app.clusters.fleet();
    if fleet {
        spans.push(Span::raw(" fleet "));
    }
    for c in app.clusters.iter() {
        let server = c.server_version.as_deref().unwrap_or("?");
        if fleet {
            spans.push(Span::styled(
                format!(" {} ", c.context),
                Style::new().add_modifier(Modifier::BOLD),
            ));
            spans.push(Span::raw(format!("{server} ")));
            spans.push(connection_span(&c.connection, "its rows"));
        } else {
            spans.push(Span::raw(format!(
                " context {}  server {server}  ",
                c.context
            )));
            spans.push(connection_span(&c.connection, "table"));
        }
        if !c.hidden.is_empty() {
            spans.push(Span::styled(
                format!("  no access to {}", c.hidden.join(", ")),
                Style::new().fg(Color::Yellow),
            ));
        }
        if fleet {
            spans.push(Span::raw(" "));
        }
    }
    spans
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let mut counts: Vec<Span> = Vec::new();
    for phase in Phase::ALL {
        let n = app
            .table
            .all_rows()
            .iter()
            .filter(|r| r.summary.status == phase)
            .count();
        counts.push(Span::styled(
            format!("{n} {}", phase.as_str()),
            Style::new().fg(phase_color(phase)),
        ));
        counts.push(Span::raw("  "));
    }
    let mut title = vec![Span::styled(
        " storectl ",
        Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
    )];
    title.extend(cluster_spans(app));
    title.push(Span::raw(if app.readonly { "  [read-only]" } else { "" }));
    let title = Line::from(title);
    let total = app.table.all_rows().len();
    let noun = if total == 1 { "store" } else { "stores" };
    let mut second = vec![Span::raw(format!(" {total} {noun}: "))];
    second.extend(counts);
    frame.render_widget(Paragraph::new(vec![title, Line::from(second)]), area);
}

fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    if let Some(StatusLine { severity, message }) = &app.status {
        let style = match severity {
            Severity::Info => Style::new().fg(Color::Cyan),
            Severity::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(format!(" {message}"), style)),
            area,
        );
    }
}

fn draw_hints(frame: &mut Frame, app: &App, area: Rect) {
    let hint = keys::hints(app);
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!(" {hint}"),
            Style::new().fg(Color::DarkGray),
        )),
        area,
    );
}

#[cfg(test)]
mod tests;
