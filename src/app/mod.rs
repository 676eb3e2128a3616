//! The terminal UI's state machine, Elm style: `update(&mut App, Action) -> Vec<Command>`.
//! Pure: no I/O, no clocks, no channels. Side effects leave as `Command` data and their
//! results come back as actions. Modals are plain data in `Mode`.

mod action;
mod backups;
mod clusters;
mod confirm;
mod contexts;
mod details;
mod form;
pub mod keymap;
pub mod keys;
mod logs;
mod table;
mod table_view;
mod upgrade;

use std::sync::Arc;

use crate::domain::store_ref::StoreRef;
use crate::domain::verb::Verb;
pub use action::{
    Action, Command, ConnectionState, EventRow, Motion, Revealed, Severity, StatusLine, StoreRow,
};

pub use backups::RestorePicker;
pub use clusters::{ClusterView, Clusters};
pub use confirm::{Confirm, Confirming};
pub use contexts::ContextPicker;
pub use details::Details;
pub use form::{CreateForm, Field};
pub use logs::{LogLine, LogView};
pub use table::{SortKey, StoreTable};
pub use upgrade::{PlanView, RolloutView, UpgradeForm};

/// The screen in front.
#[derive(Debug, Clone)]
pub enum Mode {
    Table,
    Details(Details),
    Events(Details),
    Logs(LogView),
    Create(CreateForm),
    Confirm(Confirm),
    Contexts(ContextPicker),
    Upgrade(UpgradeForm),
    UpgradePlan(PlanView),
    /// The rollout's progress (`App::rollout`).
    Rollout,
    /// Choosing the backup to restore (from details).
    RestorePick(RestorePicker),
}

pub struct App {
    /// The cluster, or the fleet's clusters, each with its header state.
    pub clusters: Clusters,
    pub table: StoreTable,
    pub mode: Mode,
    pub help: bool,
    pub readonly: bool,
    pub status: Option<StatusLine>,
    /// Defaults shown in the create form (from the configuration).
    pub form_defaults: form::Defaults,
    /// The last rollout started here, running or ended.
    pub rollout: Option<RolloutView>,
    pub quit: bool,
}

impl App {
    /// The UI over the clusters of `contexts` (one, or a fleet; never empty).
    pub fn new(contexts: Vec<String>, readonly: bool, form_defaults: form::Defaults) -> Self {
        Self {
            clusters: Clusters::new(contexts),
            table: StoreTable::default(),
            mode: Mode::Table,
            help: false,
            readonly,
            status: None,
            form_defaults,
            rollout: None,
            quit: false,
        }
    }

    pub(crate) fn say(&mut self, severity: Severity, message: impl Into<String>) {
        self.status = Some(StatusLine {
            severity,
            message: message.into(),
        });
    }
}

pub use form::Defaults as FormDefaults;

/// Applies one action; returns the side effects to run.
pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    if app.help && !matches!(action, Action::Stores(_) | Action::Connection { .. }) {
        if matches!(action, Action::Help | Action::Back | Action::Quit) {
            app.help = false;
        }
        return vec![];
    }
    match action {
        Action::Quit => {
            app.quit = true;
            vec![Command::Quit]
        }
        Action::Help => {
            app.help = true;
            vec![]
        }
        Action::Stores(rows) => on_stores(app, rows),
        action @ (Action::Connection { .. } | Action::ServerVersion { .. }) => {
            clusters::on_report(app, action);
            vec![]
        }
        Action::Resync => {
            app.say(Severity::Info, "resyncing: listing everything again");
            vec![Command::Resync]
        }
        Action::Created {
            context,
            name,
            result,
        } => on_created(app, &context, name, result),
        Action::ContextsListed(result) => contexts::listed(app, result),
        Action::ContextSwitched { context, result } => contexts::switched(app, context, result),
        Action::Deleted { name, result } => {
            match result {
                Ok(()) => app.say(Severity::Info, format!("deleting store {name}")),
                Err(e) => app.say(Severity::Error, format!("delete {name}: {e}")),
            }
            vec![]
        }
        action @ (Action::UpgradePlanned(_) | Action::Rollout(_) | Action::RolloutEnded(_)) => {
            upgrade::on_result(app, action);
            vec![]
        }
        action @ (Action::BackupStarted { .. }
        | Action::BackupList { .. }
        | Action::Restored { .. }) => backups::on_result(app, action),
        Action::PausedSet {
            name,
            paused,
            result,
        } => {
            let verb = if paused { "pause" } else { "resume" };
            match result {
                Ok(()) if paused => app.say(
                    Severity::Info,
                    format!("paused store {name}: volumes and secrets kept (p resumes)"),
                ),
                Ok(()) => app.say(Severity::Info, format!("resuming store {name}")),
                Err(e) => app.say(Severity::Error, format!("{verb} {name}: {e}")),
            }
            vec![]
        }
        other => match &mut app.mode {
            Mode::Table => table_view::update(app, other),
            Mode::Details(_) | Mode::Events(_) => details::update(app, other),
            Mode::Logs(_) => logs::update(app, other),
            Mode::Create(_) => form::update(app, other),
            Mode::Confirm(_) => confirm::update(app, other),
            Mode::Contexts(_) => contexts::update(app, other),
            Mode::Upgrade(_) => upgrade::form_action(app, other),
            Mode::UpgradePlan(_) => upgrade::plan_action(app, other),
            Mode::Rollout => upgrade::progress_action(app, other),
            Mode::RestorePick(_) => backups::picker_action(app, other),
        },
    }
}

fn on_stores(app: &mut App, rows: Vec<Arc<StoreRow>>) -> Vec<Command> {
    app.table.set_rows(rows);
    let open = match &app.mode {
        Mode::Details(d) | Mode::Events(d) => Some(d.store.clone()),
        Mode::Logs(l) => Some(l.store.clone()),
        Mode::Confirm(c) => c.stores.iter().find(|s| !app.table.contains(s)).cloned(),
        Mode::Table
        | Mode::Create(_)
        | Mode::Contexts(_)
        | Mode::Upgrade(_)
        | Mode::UpgradePlan(_)
        | Mode::Rollout => None,
        Mode::RestorePick(p) => Some(p.store.clone()),
    };
    if let Some(StoreRef { name, .. }) = open.as_ref().filter(|s| !app.table.contains(s)) {
        let stop_logs = matches!(app.mode, Mode::Logs(_));
        app.mode = Mode::Table;
        app.say(Severity::Info, format!("store {name} was deleted"));
        return if stop_logs {
            vec![Command::StopLogs]
        } else {
            vec![]
        };
    }
    if let Mode::Events(d) | Mode::Details(d) = &app.mode {
        let mut refresh = vec![Command::FetchEvents {
            store: d.store.clone(),
        }];
        // Backups change on their own (a running one ends, a schedule starts one).
        if matches!(app.mode, Mode::Details(_)) {
            refresh.push(Command::FetchBackups {
                store: d.store.clone(),
            });
        }
        return refresh;
    }
    vec![]
}

fn on_created(
    app: &mut App,
    context: &str,
    name: String,
    result: Result<String, String>,
) -> Vec<Command> {
    match result {
        Ok(message) => {
            if matches!(&app.mode, Mode::Create(f) if f.value(Field::Name) == name) {
                app.mode = Mode::Table;
            }
            app.table.select_name(&name, context);
            app.say(Severity::Info, message);
        }
        Err(e) => {
            if let Mode::Create(form) = &mut app.mode {
                form.submitting = false;
                form.error = Some(e.clone());
            }
            app.say(Severity::Error, format!("create {name}: {e}"));
        }
    }
    vec![]
}

/// Says why `verb` is refused in read-only mode, if it is (`Verb::allowed`, the one rule).
pub(crate) fn refused(app: &mut App, verb: Verb) -> bool {
    match verb.allowed(app.readonly) {
        Ok(()) => false,
        Err(e) => {
            app.say(Severity::Error, e.to_string());
            true
        }
    }
}

/// Scroll position after `m` in a list of `len` lines.
fn scrolled(at: usize, m: Motion, len: usize) -> usize {
    let last = len.saturating_sub(1);
    match m {
        Motion::Up => at.saturating_sub(1),
        Motion::Down => (at + 1).min(last),
        Motion::PageUp => at.saturating_sub(10),
        Motion::PageDown => (at + 10).min(last),
        Motion::Top => 0,
        Motion::Bottom => last,
    }
}

#[cfg(test)]
pub(crate) mod fleet_tests;
#[cfg(test)]
pub(crate) mod tests;
