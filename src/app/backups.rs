//! Backups in the terminal UI: `b` backs up the selected (or marked) stores, or the store
//! in details; details list the store's backups; `R` there picks a complete one to
//! restore, confirmed by typing the store's name; a paused store (or one being deleted)
//! is refused both, as the CLI refuses it; the delete confirmation says which backups
//! stay (a delete keeps them) and where.

use super::table::StoreTable;
use super::{Action, App, Command, Confirm, Confirming, Mode, Severity};
use crate::domain::backup::{BackupStatus, Record, database_running, human_size};
use crate::domain::store_ref::StoreRef;
use crate::domain::verb::Verb;

/// Choosing which backup to restore into a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePicker {
    pub store: StoreRef,
    /// The complete backups, newest first.
    pub backups: Vec<Record>,
    pub selected: usize,
}

impl RestorePicker {
    /// One line per backup: id, when, size.
    pub fn lines(&self) -> Vec<String> {
        self.backups
            .iter()
            .map(|r| {
                format!(
                    "{}  {}  {}",
                    r.id,
                    r.created,
                    r.size
                        .map_or_else(|| "size not reported".to_string(), human_size)
                )
            })
            .collect()
    }
}

/// `b` in the table: the marked stores, or the selected one.
pub fn back_up(app: &mut App) -> Vec<Command> {
    let stores = app
        .table
        .targets()
        .iter()
        .map(|r| r.summary.store_ref())
        .collect();
    start(app, stores)
}

pub fn start(app: &mut App, stores: Vec<StoreRef>) -> Vec<Command> {
    if super::refused(app, Verb::Backup) {
        return vec![];
    }
    // Stores whose database does not run are refused, as the CLI refuses them (said
    // first); the others start.
    let (mut said, mut allowed) = (Vec::new(), Vec::new());
    for store in stores {
        match refusal(&app.table, &store) {
            Some(why) => said.push(why),
            None => allowed.push(store),
        }
    }
    let severity = if said.is_empty() {
        Severity::Info
    } else {
        Severity::Error
    };
    if !allowed.is_empty() {
        let names: Vec<&str> = allowed.iter().map(|s| s.name.as_str()).collect();
        said.push(format!("starting a backup of {}...", names.join(", ")));
    }
    if said.is_empty() {
        return vec![];
    }
    app.say(severity, said.join("; "));
    // One command per cluster: each runs in its own.
    let mut per_cluster: Vec<Vec<StoreRef>> = Vec::new();
    for store in allowed {
        match per_cluster
            .iter_mut()
            .find(|group| group[0].context == store.context)
        {
            Some(group) => group.push(store),
            None => per_cluster.push(vec![store]),
        }
    }
    per_cluster
        .into_iter()
        .map(|stores| Command::Backup { stores })
        .collect()
}

/// Why the store's database cannot be backed up or restored into, as its row shows it
/// (the CLI's rule, `database_running`); a store not in the table is left to the
/// runtime, which says it is gone.
pub(super) fn refusal(table: &StoreTable, store: &StoreRef) -> Option<String> {
    let row = table.find(store)?;
    database_running(&store.name, row.summary.status)
        .err()
        .map(|e| e.to_string())
}

/// `R` in details: the picker of the store's complete backups.
pub fn open_restore(app: &mut App) -> Vec<Command> {
    if super::refused(app, Verb::Restore) {
        return vec![];
    }
    let (Mode::Details(d) | Mode::Events(d)) = &app.mode else {
        return vec![];
    };
    if let Some(why) = refusal(&app.table, &d.store) {
        app.say(Severity::Error, why);
        return vec![];
    }
    let backups: Vec<Record> = match &d.backups {
        Some(Ok(list)) => list
            .iter()
            .rev()
            .filter(|r| r.status == BackupStatus::Complete)
            .cloned()
            .collect(),
        Some(Err(e)) => {
            let message = format!("backups of {}: {e}", d.store.name);
            app.say(Severity::Error, message);
            return vec![];
        }
        None => {
            app.say(Severity::Info, "the backups are still loading");
            return vec![];
        }
    };
    if backups.is_empty() {
        let message = format!(
            "store {} has no complete backup to restore (b takes one)",
            d.store.name
        );
        app.say(Severity::Error, message);
        return vec![];
    }
    app.mode = Mode::RestorePick(RestorePicker {
        store: d.store.clone(),
        backups,
        selected: 0,
    });
    vec![]
}

pub fn picker_action(app: &mut App, action: Action) -> Vec<Command> {
    let Mode::RestorePick(picker) = &mut app.mode else {
        return vec![];
    };
    match action {
        Action::Move(m) => {
            picker.selected = super::scrolled(picker.selected, m, picker.backups.len());
        }
        Action::Back => app.mode = Mode::Table,
        Action::Submit => {
            let chosen = &picker.backups[picker.selected.min(picker.backups.len() - 1)];
            let what = format!(
                "the database and wp-content of store {} with backup {} (taken {}); what the store holds now is lost, and WordPress is stopped while it runs",
                picker.store.name, chosen.id, chosen.created
            );
            app.mode = Mode::Confirm(Confirm {
                confirming: Confirming::Restore {
                    id: chosen.id.clone(),
                },
                stores: vec![picker.store.clone()],
                expected: picker.store.name.clone(),
                what,
                typed: tui_input::Input::default(),
                hint: None,
                backups: None,
            });
        }
        _ => {}
    }
    vec![]
}

/// Results of the runtime, whatever screen is in front.
pub fn on_result(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::BackupStarted { name, result } => match result {
            Ok(id) => app.say(
                Severity::Info,
                format!("backup {id} of store {name} started (details list it)"),
            ),
            Err(e) => app.say(Severity::Error, format!("backup of {name}: {e}")),
        },
        Action::BackupList { name, result } => match &mut app.mode {
            Mode::Details(d) | Mode::Events(d) if d.store.name == name => d.backups = Some(result),
            Mode::Confirm(c) if c.confirming == Confirming::Delete => {
                c.backups = Some(delete_note(c, &name, &result));
            }
            _ => {}
        },
        Action::Restored { name, result } => match result {
            Ok(id) => app.say(
                Severity::Info,
                format!("restored backup {id} into store {name}; WordPress started again"),
            ),
            Err(e) => app.say(Severity::Error, format!("restore of {name}: {e}")),
        },
        _ => {}
    }
    vec![]
}

/// What a delete does to the stores' backups, as far as the answers so far tell.
fn delete_note(c: &Confirm, name: &str, result: &Result<Vec<Record>, String>) -> String {
    let list = match result {
        Ok(list) => list,
        Err(e) => return format!("the backups of {name} could not be read: {e}"),
    };
    let complete: Vec<&Record> = list
        .iter()
        .filter(|r| r.status == BackupStatus::Complete)
        .collect();
    let previous = c.backups.clone().unwrap_or_default();
    let line = match complete.last() {
        None => format!("{name} has no backup: its data cannot be recovered after this"),
        Some(newest) => {
            let folder = newest
                .location
                .strip_suffix(&format!("{}/", newest.id))
                .unwrap_or(&newest.location);
            format!(
                "{name}: {} backup(s) kept at {folder} (newest {})",
                complete.len(),
                newest.id
            )
        }
    };
    if previous.is_empty() {
        line
    } else {
        format!("{previous}; {line}")
    }
}
