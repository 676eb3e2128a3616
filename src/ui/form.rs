//! The create form and the delete confirmation, drawn as centred dialogs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::{Confirm, CreateForm, Field};

pub(super) fn dialog(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

pub fn draw_create(frame: &mut Frame, f: &CreateForm, area: Rect) {
    let rect = dialog(area, 72, 11);
    frame.render_widget(Clear, rect);
    let block = Block::new().borders(Borders::ALL).title(" create store ");
    let mut lines = Vec::new();
    for (i, field) in Field::ALL.iter().enumerate() {
        let focused = i == f.focus;
        let cursor = if focused { "▏" } else { "" };
        let label_style = if focused {
            Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan)
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:>12}: ", field.label()), label_style),
            Span::raw(format!("{}{cursor}", f.inputs[i].value())),
        ]));
        if *field == Field::Name {
            let (text, color) = match &f.name_error {
                Some(e) if !f.value(Field::Name).is_empty() => (e.clone(), Color::Red),
                Some(_) => (
                    "lowercase letters, digits and '-', starting with a letter".to_string(),
                    Color::DarkGray,
                ),
                None => ("✓ valid name".to_string(), Color::Green),
            };
            lines.push(Line::styled(
                format!("{:>14}{text}", ""),
                Style::new().fg(color),
            ));
        }
    }
    lines.push(Line::from(""));
    if let Some(e) = &f.error {
        lines.push(Line::styled(e.clone(), Style::new().fg(Color::Red)));
    } else if f.submitting {
        lines.push(Line::styled("creating...", Style::new().fg(Color::Yellow)));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

pub fn draw_confirm(frame: &mut Frame, c: &Confirm, area: Rect) {
    let rect = dialog(area, 72, 12);
    frame.render_widget(Clear, rect);
    let title = match c.stores.len() {
        1 => " delete store ".to_string(),
        n => format!(" delete {n} stores "),
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .title(title)
        .border_style(Style::new().fg(Color::Red));
    let (question, prompt) = match c.stores.as_slice() {
        [(name, _)] => (
            format!("Delete store {name}?"),
            format!("Type {name} to confirm:"),
        ),
        many => (
            format!("Delete {} stores?", many.len()),
            format!("Type the number of stores ({}) to confirm:", many.len()),
        ),
    };
    let mut lines = vec![
        Line::styled(question, Style::new().add_modifier(Modifier::BOLD)),
        Line::from(format!("This removes {}.", c.what)),
        Line::from(""),
        Line::from(prompt),
        Line::from(Span::styled(
            format!("> {}▏", c.typed.value()),
            Style::new().fg(Color::Cyan),
        )),
    ];
    if let Some(hint) = &c.hint {
        lines.push(Line::styled(hint.clone(), Style::new().fg(Color::Red)));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}
