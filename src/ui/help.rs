//! The help overlay: every binding of the current view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::{App, keys};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let bindings = keys::help(app);
    let height = u16::try_from(bindings.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let width = 56.min(area.width);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    let lines: Vec<Line> = bindings
        .iter()
        .map(|b| Line::from(format!(" {:<16} {}", b.label, b.does)))
        .collect();
    let block = Block::new()
        .borders(Borders::ALL)
        .title(" keys (Esc or ? closes) ")
        .title_style(Style::new().add_modifier(Modifier::BOLD));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
