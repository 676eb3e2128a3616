//! The upgrade screens: the form (over the table), the plan, and the rollout's progress
//! (a bar for the fleet, then one line per store with its step).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};

use super::form::dialog;
use crate::app::{PlanView, RolloutView, UpgradeForm};
use crate::domain::rollout::Step;

pub fn draw_form(frame: &mut Frame, f: &UpgradeForm, area: Rect) {
    let rect = dialog(area, 76, 12);
    frame.render_widget(Clear, rect);
    let names: Vec<&str> = f.stores.iter().map(|s| s.name.as_str()).collect();
    let title = match names.as_slice() {
        [one] => format!(" upgrade store {one} "),
        many => format!(" upgrade {} stores ", many.len()),
    };
    let block = Block::new().borders(Borders::ALL).title(title);
    let field = |i: usize, label: &str, value: &str| {
        let focused = i == f.focus;
        let style = if focused {
            Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan)
        } else {
            Style::new()
        };
        Line::from(vec![
            Span::styled(format!("{label:>10}: "), style),
            Span::raw(format!("{value}{}", if focused { "▏" } else { "" })),
        ])
    };
    let mut lines = vec![
        Line::from(format!("Stores: {}", names.join(", "))),
        Line::styled(
            "Each store starts from its latest revision; these --set lines go on top.",
            Style::new().fg(Color::DarkGray),
        ),
        Line::from(""),
        field(0, "--set", f.sets.value()),
        Line::styled(
            format!(
                "{:>12}e.g. wordpress.image=wordpress:6.9-apache mysql.storage=20Gi",
                ""
            ),
            Style::new().fg(Color::DarkGray),
        ),
        field(1, "wave size", f.wave_size.value()),
        Line::from(""),
    ];
    if let Some(e) = &f.error {
        lines.push(Line::styled(e.clone(), Style::new().fg(Color::Red)));
    } else if f.planning {
        lines.push(Line::styled(
            "working out the plan (dry run)...",
            Style::new().fg(Color::Yellow),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

pub fn draw_plan(frame: &mut Frame, plan: &PlanView, area: Rect) {
    let block = Block::new()
        .borders(Borders::ALL)
        .title(" upgrade plan: Enter starts the rollout, Esc cancels ");
    let lines: Vec<Line> = plan
        .lines
        .iter()
        .skip(plan.scroll)
        .map(|l| {
            let style = if l.starts_with("plan:") {
                Style::new().add_modifier(Modifier::BOLD)
            } else if l.contains(": refused: ") {
                Style::new().fg(Color::Red)
            } else {
                Style::new()
            };
            Line::styled(l.clone(), style)
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

pub fn draw_progress(frame: &mut Frame, view: &RolloutView, area: Rect) {
    let state = match &view.finished {
        None => "running",
        Some(Ok(_)) => "done",
        Some(Err(_)) => "stopped",
    };
    let wave = view
        .wave
        .map_or(String::new(), |w| format!(", wave {}/{}", w.number, w.of));
    let block = Block::new().borders(Borders::ALL).title(format!(
        " rollout {state}{wave} (Esc: back, it goes on; U returns) "
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [bar, summary, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(inner);
    let total = view.stores.len().max(1);
    let done = view.done();
    let failed = view.failed();
    let ratio = f64::from(u32::try_from(done).unwrap_or(u32::MAX))
        / f64::from(u32::try_from(total).unwrap_or(u32::MAX));
    let color = if failed > 0 { Color::Red } else { Color::Green };
    frame.render_widget(
        Gauge::default()
            .gauge_style(Style::new().fg(color))
            .ratio(ratio.clamp(0.0, 1.0))
            .label(format!(
                "{done}/{} at the target, {failed} failed",
                view.stores.len()
            )),
        bar,
    );
    let outcome = match &view.finished {
        Some(Ok(s)) => Line::styled(s.clone(), Style::new().fg(Color::Green)),
        Some(Err(e)) => Line::styled(e.clone(), Style::new().fg(Color::Red)),
        None => Line::from(""),
    };
    frame.render_widget(Paragraph::new(outcome).wrap(Wrap { trim: true }), summary);
    let lines: Vec<Line> = view
        .stores
        .iter()
        .skip(view.scroll)
        .map(|s| {
            let (what, color) = describe(&s.step);
            Line::from(vec![
                Span::raw(format!("  {:<28} ", s.name)),
                Span::styled(what, Style::new().fg(color)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), list);
}

fn describe(step: &Step) -> (String, Color) {
    match step {
        Step::Waiting => ("waiting".to_string(), Color::DarkGray),
        Step::Applying => ("applying".to_string(), Color::Yellow),
        Step::RollingOut { revision, reason } => {
            (format!("revision {revision}: {reason}"), Color::Yellow)
        }
        Step::Ready { revision } => (format!("ready on revision {revision}"), Color::Green),
        Step::Applied { revision, note } => (
            format!("revision {revision} applied ({note})"),
            Color::Green,
        ),
        Step::Skipped { .. } => ("at its target: skipped".to_string(), Color::Green),
        Step::Failed { reason } => (format!("failed: {reason}"), Color::Red),
        Step::Untouched => (
            "untouched (the rollout stopped)".to_string(),
            Color::DarkGray,
        ),
    }
}
