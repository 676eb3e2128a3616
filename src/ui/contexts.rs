//! The kubeconfig context picker, over the table: every context, the current one marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, List, ListState};

use crate::app::{App, ContextPicker};

pub fn draw(frame: &mut Frame, app: &App, picker: &ContextPicker, area: Rect) {
    let longest = picker
        .names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0);
    let width = u16::try_from(longest + 8)
        .unwrap_or(u16::MAX)
        .clamp(36, area.width.max(1));
    let height = u16::try_from(picker.names.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let rect = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width: width.min(area.width),
        height,
    };
    frame.render_widget(Clear, rect);
    let items: Vec<Line> = picker
        .names
        .iter()
        .map(|name| {
            let mark = if *name == app.context { '*' } else { ' ' };
            Line::from(format!("{mark} {name}"))
        })
        .collect();
    let list = List::new(items)
        .block(
            Block::new()
                .borders(Borders::ALL)
                .title(" contexts (* current) ")
                .title_style(Style::new().add_modifier(Modifier::BOLD)),
        )
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("› ");
    let mut state = ListState::default().with_selected(Some(picker.selected));
    frame.render_stateful_widget(list, rect, &mut state);
}
