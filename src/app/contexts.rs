//! The kubeconfig context picker (k9s's `:ctx`): the contexts listed, those in use
//! marked, Enter switches the whole UI to the chosen one (a fleet becomes that one
//! cluster).

use super::{Action, App, Command, Mode, Motion, Severity};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextPicker {
    pub names: Vec<String>,
    pub selected: usize,
}

/// The runtime listed the kubeconfig's contexts: open the picker on the current one.
pub fn listed(app: &mut App, result: Result<Vec<String>, String>) -> Vec<Command> {
    match result {
        Ok(names) if names.is_empty() => app.say(Severity::Error, "the kubeconfig has no context"),
        Ok(names) => {
            let first = &app.clusters.first().context;
            let selected = names.iter().position(|n| n == first).unwrap_or(0);
            app.mode = Mode::Contexts(ContextPicker { names, selected });
        }
        Err(e) => app.say(Severity::Error, format!("reading the kubeconfig: {e}")),
    }
    vec![]
}

pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    let Mode::Contexts(picker) = &mut app.mode else {
        return vec![];
    };
    let last = picker.names.len().saturating_sub(1);
    match action {
        Action::Move(Motion::Up) => picker.selected = picker.selected.saturating_sub(1),
        Action::Move(Motion::Down) => picker.selected = (picker.selected + 1).min(last),
        Action::Move(Motion::Top | Motion::PageUp) => picker.selected = 0,
        Action::Move(Motion::Bottom | Motion::PageDown) => picker.selected = last,
        Action::Back => app.mode = Mode::Table,
        Action::Submit => {
            let name = picker.names[picker.selected.min(last)].clone();
            app.mode = Mode::Table;
            if app.clusters.fleet() || name != app.clusters.first().context {
                app.say(Severity::Info, format!("switching to context {name}..."));
                return vec![Command::SwitchContext(name)];
            }
        }
        _ => {}
    }
    vec![]
}

/// The runtime switched (or could not): the header, table and connection start over.
pub fn switched(app: &mut App, context: String, result: Result<(), String>) -> Vec<Command> {
    match result {
        Ok(()) => {
            app.clusters = super::Clusters::new(vec![context.clone()]);
            app.table.set_rows(Vec::new());
            app.say(Severity::Info, format!("switched to context {context}"));
        }
        Err(e) => app.say(Severity::Error, format!("context {context}: {e}")),
    }
    vec![]
}
