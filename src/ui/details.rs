//! The details pane (objects, URL, masked credentials, recent events) and the events view.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::phase_color;
use crate::app::{App, Details, EventRow};

pub fn draw_details(frame: &mut Frame, app: &App, d: &Details, area: Rect) {
    let block = Block::new()
        .borders(Borders::ALL)
        .title(format!(" store {} ", d.name));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(row) = app.table.find(&d.name, &d.namespace) else {
        return;
    };
    let s = &row.summary;
    let mut lines = vec![
        Line::from(vec![
            Span::raw("Status     "),
            Span::styled(
                s.status.as_str(),
                Style::new()
                    .fg(phase_color(s.status))
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("  {}", s.reason)),
        ]),
        Line::from(format!("URL        {}", s.url.as_deref().unwrap_or("-"))),
        Line::from(format!("Namespace  {}", s.namespace)),
        Line::from(format!(
            "Created    {}",
            s.created.as_deref().unwrap_or("-")
        )),
        Line::from(format!(
            "Pods       {}/{} ready",
            s.pods_ready, s.pods_total
        )),
    ];
    match &d.credentials {
        None => lines.push(Line::from("Admin      ******** (press r to reveal)")),
        Some(Ok(login)) => {
            lines.push(Line::from(format!("{:<10} {}", "Admin user", login.user)));
            lines.push(Line::from(format!("{:<10} {}", "Password", login.password)));
        }
        Some(Err(e)) => lines.push(Line::styled(
            format!("Credentials: {e}"),
            Style::new().fg(Color::Red),
        )),
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Objects",
        Style::new().add_modifier(Modifier::BOLD),
    ));
    for o in &row.objects {
        lines.push(Line::from(format!(
            "  {:<22} {:<36} {}",
            o.kind, o.name, o.state
        )));
    }
    let [top, bottom] = Layout::vertical([
        Constraint::Length(u16::try_from(lines.len()).unwrap_or(u16::MAX)),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines), top);
    draw_event_lines(frame, d, bottom, "Recent events (Warnings first)");
}

pub fn draw_events(frame: &mut Frame, d: &Details, area: Rect) {
    let block = Block::new()
        .borders(Borders::ALL)
        .title(format!(" events of {} ", d.name));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    draw_event_lines(frame, d, inner, "Warnings first, then newest first");
}

fn draw_event_lines(frame: &mut Frame, d: &Details, area: Rect, title: &str) {
    let mut lines = vec![Line::styled(
        title.to_string(),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    match &d.events {
        None => lines.push(Line::from("  loading...")),
        Some(Err(e)) => lines.push(Line::styled(format!("  {e}"), Style::new().fg(Color::Red))),
        Some(Ok(events)) if events.is_empty() => lines.push(Line::from("  no events")),
        Some(Ok(events)) => lines.extend(events.iter().map(event_line)),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn event_line(e: &EventRow) -> Line<'static> {
    let color = if e.warning { Color::Red } else { Color::Gray };
    Line::from(vec![
        Span::raw(format!("  {} ", e.last_seen)),
        Span::styled(
            format!("{:<8}", if e.warning { "Warning" } else { "Normal" }),
            Style::new().fg(color),
        ),
        Span::raw(format!(" {:<18} {} {}", e.reason, e.object, e.message)),
    ])
}
