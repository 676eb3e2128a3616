//! The details pane (objects, URL, masked credentials, revisions, the diff when asked
//! for, recent events) and the events view.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::phase_color;
use crate::app::{App, Details, EventRow};
use crate::domain::backup::{BackupStatus, human_size};
use crate::domain::diff::ObjectDiff;
use crate::domain::report;

pub fn draw_details(frame: &mut Frame, app: &App, d: &Details, area: Rect) {
    let block = Block::new()
        .borders(Borders::ALL)
        .title(format!(" store {} ", d.store.name));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(row) = app.table.find(&d.store) else {
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
        Line::from(format!(
            "Runs       {}",
            report::versions_line(s.versions.as_ref())
        )),
        Line::from(format!("Cron       {}", report::cron_line(&s.cron))),
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
    lines.push(Line::from(""));
    lines.extend(history_lines(d));
    lines.push(Line::from(""));
    lines.extend(backup_lines(d));
    if let Some(diff) = &d.diff {
        lines.push(Line::from(""));
        lines.extend(diff_lines(diff));
    }
    let [top, bottom] = Layout::vertical([
        Constraint::Length(u16::try_from(lines.len()).unwrap_or(u16::MAX)),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines), top);
    draw_event_lines(frame, d, bottom, "Recent events (Warnings first)");
}

/// Revisions shown in details, newest first.
const REVISIONS_SHOWN: usize = 5;

fn history_lines(d: &Details) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut out = vec![Line::styled("Revisions", bold)];
    match &d.history {
        None => out.push(Line::from("  loading...")),
        Some(Err(e)) => out.push(Line::styled(format!("  {e}"), Style::new().fg(Color::Red))),
        Some(Ok(list)) if list.is_empty() => out.push(Line::from(
            "  none recorded yet (the first upgrade records one)",
        )),
        Some(Ok(list)) => out.extend(list.iter().rev().take(REVISIONS_SHOWN).map(|r| {
            Line::from(format!(
                "  {:<4} {}  {:<16} {}",
                r.revision, r.recorded, r.user, r.change
            ))
        })),
    }
    out
}

/// Backups shown in details, newest first.
const BACKUPS_SHOWN: usize = 5;

fn backup_lines(d: &Details) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut out = vec![Line::styled("Backups (b backs up, R restores)", bold)];
    match &d.backups {
        None => out.push(Line::from("  loading...")),
        Some(Err(e)) => out.push(Line::styled(format!("  {e}"), Style::new().fg(Color::Red))),
        Some(Ok(list)) if list.is_empty() => out.push(Line::from("  none yet")),
        Some(Ok(list)) => out.extend(list.iter().rev().take(BACKUPS_SHOWN).map(|r| {
            let color = match r.status {
                BackupStatus::Complete => Color::Green,
                BackupStatus::Running => Color::Yellow,
                BackupStatus::Failed | BackupStatus::Unknown => Color::Red,
            };
            let size = r.size.map_or_else(|| "-".to_string(), human_size);
            Line::from(vec![
                Span::raw(format!("  {:<16} ", r.id)),
                Span::styled(format!("{:<9}", r.status.as_str()), Style::new().fg(color)),
                Span::raw(format!(
                    " {size:<9} {}",
                    if r.reason.is_empty() {
                        r.location.clone()
                    } else {
                        r.reason.clone()
                    }
                )),
            ])
        })),
    }
    out
}

fn diff_lines(diff: &Result<Vec<ObjectDiff>, String>) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut out = vec![Line::styled(
        "Diff: what an upgrade to the latest revision would change (drift)",
        bold,
    )];
    match diff {
        Err(e) => out.push(Line::styled(format!("  {e}"), Style::new().fg(Color::Red))),
        Ok(changes) if changes.is_empty() => out.push(Line::styled(
            "  none: the cluster matches the latest revision",
            Style::new().fg(Color::Green),
        )),
        Ok(changes) => {
            for c in changes {
                out.push(Line::styled(
                    format!("  {} ({})", c.object, c.change),
                    Style::new().fg(Color::Yellow),
                ));
                out.extend(
                    c.fields
                        .iter()
                        .map(|f| Line::from(format!("    {}: {} -> {}", f.path, f.from, f.to))),
                );
            }
        }
    }
    out
}

pub fn draw_events(frame: &mut Frame, d: &Details, area: Rect) {
    let block = Block::new()
        .borders(Borders::ALL)
        .title(format!(" events of {} ", d.store.name));
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
        Some(Ok(events)) => {
            let width = usize::from(area.width);
            lines.extend(events.iter().flat_map(|e| event_lines(e, width)));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// Continuation lines of a wrapped event start this far in, under its time.
const EVENT_INDENT: usize = 4;

/// One event, wrapped at `width` by words, continuation lines indented.
fn event_lines(e: &EventRow, width: usize) -> Vec<Line<'static>> {
    let color = if e.warning { Color::Red } else { Color::Gray };
    let time = format!("  {} ", e.last_seen);
    let kind = format!("{:<8}", if e.warning { "Warning" } else { "Normal" });
    let rest = format!(" {:<18} {} {}", e.reason, e.object, e.message);
    let first_room = width.saturating_sub(time.len() + kind.len());
    let mut pieces = wrap_words(&rest, first_room, width.saturating_sub(EVENT_INDENT));
    let first = if pieces.is_empty() {
        String::new()
    } else {
        pieces.remove(0)
    };
    let mut out = vec![Line::from(vec![
        Span::raw(time),
        Span::styled(kind, Style::new().fg(color)),
        Span::raw(first),
    ])];
    out.extend(
        pieces
            .into_iter()
            .map(|p| Line::from(format!("{}{p}", " ".repeat(EVENT_INDENT)))),
    );
    out
}

/// Splits `text` into lines of at most `first` characters, then `rest` characters,
/// breaking between words (a word longer than a line is cut).
fn wrap_words(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut room = first.max(1);
    for (i, word) in text.split(' ').enumerate() {
        let current = lines.last().map_or(0, |l| l.chars().count());
        let sep = usize::from(i > 0 && current > 0);
        if current + sep + word.chars().count() > room && current > 0 {
            lines.push(String::new());
            room = rest.max(1);
        } else if i > 0
            && let Some(l) = lines.last_mut()
        {
            l.push(' ');
        }
        let mut word = word.to_string();
        while word.chars().count() > room {
            let cut: String = word.chars().take(room).collect();
            word = word.chars().skip(room).collect();
            if let Some(l) = lines.last_mut() {
                l.push_str(&cut);
            }
            lines.push(String::new());
            room = rest.max(1);
        }
        if let Some(l) = lines.last_mut() {
            l.push_str(&word);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap_words;

    #[test]
    fn words_wrap_to_the_room_of_each_line() {
        assert_eq!(
            wrap_words("one two three four", 8, 6),
            ["one two", "three", "four"]
        );
        assert_eq!(wrap_words("abcdefghij", 4, 3), ["abcd", "efg", "hij"]);
        assert_eq!(wrap_words(" keep  spacing", 20, 20), [" keep  spacing"]);
    }
}
