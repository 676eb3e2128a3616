//! A centred list to choose from, over the table (contexts, backups to restore).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, List, ListState};

pub fn draw(frame: &mut Frame, title: &str, items: &[String], selected: usize, area: Rect) {
    let longest = items
        .iter()
        .map(|n| n.chars().count())
        .chain(std::iter::once(title.chars().count()))
        .max()
        .unwrap_or(0);
    let width = u16::try_from(longest + 6)
        .unwrap_or(u16::MAX)
        .clamp(36, area.width.max(1));
    let height = u16::try_from(items.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let rect = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width: width.min(area.width),
        height,
    };
    frame.render_widget(Clear, rect);
    let lines: Vec<Line> = items.iter().map(|i| Line::from(i.clone())).collect();
    let list = List::new(lines)
        .block(
            Block::new()
                .borders(Borders::ALL)
                .title(title.to_string())
                .title_style(Style::new().add_modifier(Modifier::BOLD)),
        )
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("› ");
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(list, rect, &mut state);
}
