//! The create form and the typed confirmations (delete, restore), drawn as centred
//! dialogs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::{Confirm, Confirming, CreateForm, Field};

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
    let rect = dialog(area, 72, 11 + u16::from(f.asks_cluster()));
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
    if f.asks_cluster() {
        let focused = f.cluster_focused();
        let label_style = if focused {
            Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan)
        } else {
            Style::new()
        };
        let hint = if focused { "  (←/→ another)" } else { "" };
        lines.push(Line::from(vec![
            Span::styled(format!("{:>12}: ", "Context"), label_style),
            Span::raw(format!("‹ {} ›", f.chosen_context())),
            Span::styled(hint, Style::new().fg(Color::DarkGray)),
        ]));
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
    let rect = dialog(area, 72, 14);
    frame.render_widget(Clear, rect);
    let (title, question, consequence) = match (&c.confirming, c.stores.as_slice()) {
        (Confirming::Restore { id }, stores) => (
            " restore store ".to_string(),
            format!(
                "Restore backup {id} into store {}?",
                stores.first().map_or("", |s| s.name.as_str())
            ),
            format!("This replaces {}.", c.what),
        ),
        (Confirming::Delete, [one]) => (
            " delete store ".to_string(),
            format!("Delete store {}?", one.name),
            format!("This removes {}.", c.what),
        ),
        (Confirming::Delete, many) => (
            format!(" delete {} stores ", many.len()),
            format!("Delete {} stores?", many.len()),
            format!("This removes {}.", c.what),
        ),
    };
    let prompt = if c.stores.len() > 1 {
        format!("Type the number of stores ({}) to confirm:", c.expected)
    } else {
        format!("Type {} to confirm:", c.expected)
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .title(title)
        .border_style(Style::new().fg(Color::Red));
    let mut lines = vec![
        Line::styled(question, Style::new().add_modifier(Modifier::BOLD)),
        Line::from(consequence),
    ];
    if c.confirming == Confirming::Delete {
        let note = c
            .backups
            .clone()
            .unwrap_or_else(|| "checking for backups...".to_string());
        lines.push(Line::styled(
            format!("Backups: {note}"),
            Style::new().fg(Color::Yellow),
        ));
    }
    lines.extend([
        Line::from(""),
        Line::from(prompt),
        Line::from(Span::styled(
            format!("> {}▏", c.typed.value()),
            Style::new().fg(Color::Cyan),
        )),
    ]);
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
