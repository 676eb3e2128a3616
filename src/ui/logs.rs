//! The log pane: the visible slice of the buffer, with search hits highlighted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::LogView;

pub fn draw(frame: &mut Frame, v: &LogView, area: Rect) {
    let state = if v.follow {
        "following"
    } else {
        "paused (G resumes)"
    };
    let mut title = format!(
        " logs {} / {}{} — {state}{}{} ",
        v.store.name,
        v.component.as_str(),
        if v.previous { " (previous)" } else { "" },
        if v.wrap { " — wrap" } else { "" },
        if v.timestamps { " — timestamps" } else { "" },
    );
    if let Some(reason) = &v.ended {
        title.push_str(&format!("— {reason} "));
    }
    let block = Block::new().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    let search_rows = u16::from(v.search.is_some());
    let height = usize::from(inner.height.saturating_sub(search_rows));
    let end = v.lines.len().saturating_sub(v.offset);
    let start = end.saturating_sub(height);
    let needle = v
        .search
        .as_ref()
        .map(|s| s.value().to_string())
        .filter(|s| !s.is_empty());
    let mut lines: Vec<Line> = v
        .lines
        .range(start..end)
        .map(|l| {
            let text = if v.timestamps {
                format!("{} {}", l.timestamp, l.text)
            } else {
                l.text.clone()
            };
            match &needle {
                Some(n) if text.contains(n.as_str()) => {
                    Line::styled(text, Style::new().fg(Color::Black).bg(Color::Yellow))
                }
                _ => Line::from(text),
            }
        })
        .collect();
    if v.lines.is_empty() {
        lines.push(Line::styled(
            "waiting for log lines...",
            Style::new().add_modifier(Modifier::DIM),
        ));
    }
    if let Some(s) = &v.search {
        let cursor = if v.search_editing { "▏" } else { "" };
        lines.push(Line::from(vec![
            Span::styled("search: ", Style::new().fg(Color::Cyan)),
            Span::raw(format!("{}{cursor}", s.value())),
        ]));
    }
    let mut p = Paragraph::new(lines).block(block);
    if v.wrap {
        p = p.wrap(Wrap { trim: false });
    }
    frame.render_widget(p, area);
}
