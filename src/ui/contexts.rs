//! The kubeconfig context picker, over the table: every context, the current one marked.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::picker;
use crate::app::{App, ContextPicker};

pub fn draw(frame: &mut Frame, app: &App, p: &ContextPicker, area: Rect) {
    let items: Vec<String> = p
        .names
        .iter()
        .map(|name| {
            let mark = if app.clusters.get(name).is_some() {
                '*'
            } else {
                ' '
            };
            format!("{mark} {name}")
        })
        .collect();
    picker::draw(frame, " contexts (* current) ", &items, p.selected, area);
}
