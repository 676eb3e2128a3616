//! The table view's actions on the selected (or marked) stores: details, events and
//! logs, create, delete, pause or resume, back up, upgrade, and the context picker.

use super::{
    Action, App, Command, CreateForm, Details, LogView, Mode, Severity, StoreRow, backups, confirm,
    form, table, upgrade,
};
use crate::domain::layout::Component;
use crate::domain::status::Phase;
use crate::domain::verb::{PAUSE_RULE, PauseCheck, Verb, pause_check};

/// An action in the table view.
pub(super) fn update(app: &mut App, action: Action) -> Vec<Command> {
    if app.table.filter_editing {
        return table::filter_action(&mut app.table, action);
    }
    let selected = app.table.selected_row().map(|r| r.summary.store_ref());
    match action {
        Action::Move(m) => app.table.move_by(m),
        Action::StartFilter => app.table.start_filter(),
        Action::Back => app.table.clear_filter(),
        Action::Sort => {
            app.table.next_sort();
            let key = app.table.sort;
            app.say(Severity::Info, format!("sorted by {}", key.label()));
        }
        Action::OpenCreate if super::refused(app, Verb::Create) => {}
        Action::OpenCreate => {
            // A fleet's form starts on the selected row's cluster.
            let contexts = app.clusters.contexts();
            let at = selected
                .as_ref()
                .and_then(|s| contexts.iter().position(|c| *c == s.context))
                .unwrap_or(0);
            app.mode = Mode::Create(CreateForm::new(&app.form_defaults, contexts, at));
            return form::validate(app);
        }
        Action::OpenDelete if super::refused(app, Verb::Delete) => {}
        Action::OpenDelete => return confirm::open_delete(app),
        Action::BackUp => return backups::back_up(app),
        Action::ToggleMark => app.table.toggle_mark(),
        Action::MarkVisible => app.table.toggle_mark_visible(),
        Action::OpenUpgrade => return upgrade::open(app),
        Action::OpenRollout => upgrade::show_progress(app),
        Action::OpenContexts => return vec![Command::ListContexts],
        Action::TogglePause if super::refused(app, Verb::Pause) => {}
        Action::TogglePause => return toggle_pause(app),
        Action::OpenDetails | Action::OpenEvents => {
            if let Some(store) = selected {
                let details = Details::new(store.clone());
                app.mode = if action == Action::OpenDetails {
                    Mode::Details(details)
                } else {
                    Mode::Events(details)
                };
                return vec![
                    Command::FetchEvents {
                        store: store.clone(),
                    },
                    Command::FetchHistory {
                        store: store.clone(),
                    },
                    Command::FetchBackups { store },
                ];
            }
        }
        Action::OpenLogs => {
            if let Some(store) = selected {
                let view = LogView::new(store.clone(), Component::WordPress);
                app.mode = Mode::Logs(view);
                return vec![Command::StartLogs {
                    store,
                    component: Component::WordPress,
                    previous: false,
                }];
            }
        }
        _ => {}
    }
    vec![]
}

/// `p`: pauses the marked (or selected) stores that are Ready or Failed; when every one
/// is paused, resumes them all.
fn toggle_pause(app: &mut App) -> Vec<Command> {
    let targets = app.table.targets();
    if targets.is_empty() {
        return vec![];
    }
    let resume = targets.iter().all(|r| r.summary.status == Phase::Paused);
    let (act, skip): (Vec<&&StoreRow>, Vec<&&StoreRow>) = targets.iter().partition(|r| {
        if resume {
            true
        } else {
            pause_check(r.summary.status) == PauseCheck::Pause
        }
    });
    let commands: Vec<Command> = act
        .iter()
        .map(|r| Command::SetPaused {
            store: r.summary.store_ref(),
            paused: !resume,
        })
        .collect();
    if let Some(first) = skip.first() {
        let s = &first.summary;
        let message = format!(
            "{} store(s) left as they are: {} is {} ({PAUSE_RULE})",
            skip.len(),
            s.name,
            s.status
        );
        app.say(Severity::Error, message);
    }
    commands
}
