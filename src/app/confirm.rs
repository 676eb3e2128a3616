//! The typed confirmation of a delete (one store or several) or a restore: what it acts
//! on, what must be typed, and what it destroys in words.

use super::{Action, App, Command, Mode, Severity, StoreRow, backups};
use crate::domain::store_ref::StoreRef;
use crate::domain::verb::destroyed;

/// What a typed confirmation is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirming {
    Delete,
    /// Restoring backup `id` into the (one) store.
    Restore {
        id: String,
    },
}

/// The confirmation of a delete (one store or several) or a restore, by typing.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub confirming: Confirming,
    /// Each store it acts on.
    pub stores: Vec<StoreRef>,
    /// What must be typed: the store's name, or the number of stores.
    pub expected: String,
    pub what: String,
    pub typed: tui_input::Input,
    pub hint: Option<String>,
    /// What becomes of the stores' backups (a delete keeps them), once known.
    pub backups: Option<String>,
}

/// `Ctrl-D`: the typed confirmation of deleting the marked (or selected) stores; asks
/// for their backup records, which the confirmation names.
pub(super) fn open_delete(app: &mut App) -> Vec<Command> {
    let targets = app.table.targets();
    let stores: Vec<StoreRef> = targets.iter().map(|r| r.summary.store_ref()).collect();
    // In a fleet each store is named with its cluster: the same name may be in several.
    let fleet = app.clusters.fleet();
    let named = |s: &StoreRef| {
        if fleet {
            format!("{} (context {})", s.name, s.context)
        } else {
            s.name.clone()
        }
    };
    let (expected, what) = match targets.as_slice() {
        [] => return vec![],
        [one] if fleet => (
            one.summary.name.clone(),
            format!(
                "{}, in the cluster of context {}",
                delete_description(one),
                one.summary.context
            ),
        ),
        [one] => (one.summary.name.clone(), delete_description(one)),
        many => (
            many.len().to_string(),
            format!(
                "{} stores ({}), each with its namespace or labelled objects and its data volumes (their data is lost)",
                many.len(),
                stores.iter().map(named).collect::<Vec<_>>().join(", ")
            ),
        ),
    };
    let fetch = stores
        .iter()
        .map(|s| Command::FetchBackups { store: s.clone() })
        .collect();
    app.mode = Mode::Confirm(Confirm {
        confirming: Confirming::Delete,
        stores,
        expected,
        what,
        typed: tui_input::Input::default(),
        hint: None,
        backups: None,
    });
    fetch
}

/// What deleting a store destroys, in words (for the confirmation): the rule of
/// `verb::destroyed`, from the objects the row shows.
fn delete_description(row: &StoreRow) -> String {
    let volumes: Vec<&str> = row
        .objects
        .iter()
        .filter(|o| o.kind == "PersistentVolumeClaim")
        .map(|o| o.name.as_str())
        .collect();
    let owns_namespace = row.objects.iter().any(|o| o.kind == "Namespace");
    destroyed(
        &row.summary.name,
        &row.summary.namespace,
        owns_namespace,
        &volumes,
    )
}

pub(super) fn update(app: &mut App, action: Action) -> Vec<Command> {
    let Mode::Confirm(c) = &mut app.mode else {
        return vec![];
    };
    match action {
        Action::Back => app.mode = Mode::Table,
        Action::Type(key) => {
            use tui_input::backend::crossterm::EventHandler;
            c.typed.handle_event(&crossterm::event::Event::Key(key));
            c.hint = None;
        }
        Action::Submit if c.typed.value() == c.expected => {
            // The store may have been paused since the restore was picked.
            let refused = match c.confirming {
                Confirming::Restore { .. } => c
                    .stores
                    .iter()
                    .find_map(|s| backups::refusal(&app.table, s)),
                Confirming::Delete => None,
            };
            if let Some(why) = refused {
                app.mode = Mode::Table;
                app.say(Severity::Error, why);
                return vec![];
            }
            let commands = match &c.confirming {
                Confirming::Delete => c
                    .stores
                    .iter()
                    .map(|s| Command::Delete { store: s.clone() })
                    .collect(),
                Confirming::Restore { id } => c
                    .stores
                    .iter()
                    .map(|s| Command::Restore {
                        store: s.clone(),
                        id: id.clone(),
                    })
                    .collect(),
            };
            if let Confirming::Restore { id } = &c.confirming {
                let message = format!("restoring backup {id} into store {}...", c.expected);
                app.say(Severity::Info, message);
            }
            app.mode = Mode::Table;
            app.table.clear_marks();
            return commands;
        }
        Action::Submit => {
            let verb = match c.confirming {
                Confirming::Delete => "delete",
                Confirming::Restore { .. } => "restore",
            };
            c.hint = Some(if c.stores.len() > 1 {
                format!("type the number of stores, {}, to {verb} them", c.expected)
            } else {
                format!("type '{}' exactly to {verb} it", c.expected)
            });
        }
        _ => {}
    }
    vec![]
}
