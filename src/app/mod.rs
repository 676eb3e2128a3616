//! The terminal UI's state machine, Elm style: `update(&mut App, Action) -> Vec<Command>`.
//! Pure: no I/O, no clocks, no channels. Side effects leave as `Command` data and their
//! results come back as actions. Modals are plain data in `Mode`.

mod backups;
mod contexts;
mod form;
pub mod keys;
mod logs;
mod table;
mod upgrade;

use crate::cluster::diff::ObjectDiff;
use crate::cluster::rollout::Event as RolloutEvent;
use crate::domain::backup::Record;
use crate::domain::layout::Component;
use crate::domain::revision::Revision;
use crate::domain::status::Phase;
use crate::domain::summary::{ObjectState, StoreSummary};
use crate::domain::verb::{PAUSE_RULE, PauseCheck, Verb, destroyed, pause_check};

pub use backups::RestorePicker;
pub use contexts::ContextPicker;
pub use form::{CreateForm, Field};
pub use logs::{LogLine, LogView};
pub use table::{SortKey, StoreTable};
pub use upgrade::{PlanView, RolloutView, UpgradeForm};

/// What the runtime must do for the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Create a store with these `--set` overrides on top of the configuration.
    Create {
        name: String,
        sets: Vec<(String, String)>,
    },
    /// Live check of the create form (the runtime validates against the configuration).
    ValidateForm {
        name: String,
        sets: Vec<(String, String)>,
    },
    Delete {
        name: String,
        namespace: String,
    },
    /// Scale the store to zero (`paused`) or back.
    SetPaused {
        name: String,
        namespace: String,
        paused: bool,
    },
    StartLogs {
        name: String,
        namespace: String,
        component: Component,
        previous: bool,
    },
    StopLogs,
    FetchEvents {
        name: String,
        namespace: String,
    },
    FetchCredentials {
        name: String,
        namespace: String,
    },
    /// The store's recorded revisions (details).
    FetchHistory {
        name: String,
        namespace: String,
    },
    /// What an upgrade to the latest revision would change: drift (details).
    FetchDiff {
        name: String,
        namespace: String,
    },
    /// Work out the upgrade of these stores with these `--set`s (answered with a plan,
    /// kept by the runtime until `StartUpgrade`).
    PlanUpgrade {
        stores: Vec<(String, String)>,
        sets: Vec<String>,
        wave_size: usize,
    },
    /// Run the plan last answered.
    StartUpgrade,
    /// Back these stores up.
    Backup {
        stores: Vec<(String, String)>,
    },
    /// The store's backup records (details, the delete confirmation).
    FetchBackups {
        name: String,
        namespace: String,
    },
    /// Restore backup `id` into the store (WordPress stopped meanwhile).
    Restore {
        name: String,
        namespace: String,
        id: String,
    },
    Copy(String),
    Resync,
    /// Read the kubeconfig's contexts (for the picker).
    ListContexts,
    /// Connect to another kubeconfig context and start over there.
    SwitchContext(String),
    Quit,
}

/// Everything that can happen: keys (already mapped by `keys::action_for`) and results.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    Back,
    Help,
    Move(Motion),
    OpenDetails,
    OpenCreate,
    OpenDelete,
    /// Pause the selected (or marked) stores, or resume them if all are paused.
    TogglePause,
    /// Mark or unmark the selected row.
    ToggleMark,
    /// Mark every row the filter shows (or unmark them when all are marked).
    MarkVisible,
    /// The upgrade form for the marked (or selected) stores.
    OpenUpgrade,
    /// The last rollout's progress.
    OpenRollout,
    /// The diff view of the store in details.
    ShowDiff,
    /// Back up the selected (or marked) stores; in details, that store.
    BackUp,
    /// Pick one of the store's backups to restore (details).
    OpenRestore,
    /// The kubeconfig context picker.
    OpenContexts,
    ContextsListed(Result<Vec<String>, String>),
    ContextSwitched {
        context: String,
        result: Result<(), String>,
    },
    OpenLogs,
    OpenEvents,
    StartFilter,
    Sort,
    Resync,
    /// A key typed into whatever text field has focus.
    Type(crossterm::event::KeyEvent),
    Submit,
    NextField,
    PrevField,
    Reveal,
    Copy,
    LogWrap,
    LogTimestamps,
    LogPrevious,
    LogFollow,
    LogComponent(Component),
    LogSearchNext {
        backwards: bool,
    },
    // Results from the runtime:
    Stores(Vec<StoreRow>),
    /// The watchers' state, and the kinds the user may not list.
    Connection(ConnectionState, Vec<String>),
    /// The server's version, and a warning when storectl does not support it.
    ServerVersion {
        version: String,
        warning: Option<String>,
    },
    FormChecked(Result<(), String>),
    Created {
        name: String,
        result: Result<String, String>,
    },
    Deleted {
        name: String,
        result: Result<(), String>,
    },
    PausedSet {
        name: String,
        paused: bool,
        result: Result<(), String>,
    },
    LogLines(Vec<LogLine>),
    LogEnded(Option<String>),
    Events {
        name: String,
        result: Result<Vec<EventRow>, String>,
    },
    Credentials {
        name: String,
        result: Result<Revealed, String>,
    },
    History {
        name: String,
        result: Result<Vec<Revision>, String>,
    },
    Diff {
        name: String,
        result: Result<Vec<ObjectDiff>, String>,
    },
    UpgradePlanned(Result<PlanView, String>),
    BackupStarted {
        name: String,
        result: Result<String, String>,
    },
    BackupList {
        name: String,
        result: Result<Vec<Record>, String>,
    },
    Restored {
        name: String,
        result: Result<String, String>,
    },
    Rollout(RolloutEvent),
    /// The rollout ended: its summary, or why it stopped.
    RolloutEnded(Result<String, String>),
}

/// A store's WordPress admin login, fetched when the user asks to see it.
#[derive(Clone, PartialEq, Eq)]
pub struct Revealed {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revealed")
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Motion {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// A store as the table and details show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRow {
    pub summary: StoreSummary,
    pub objects: Vec<ObjectState>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub last_seen: String,
    pub warning: bool,
    pub reason: String,
    pub object: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    Live,
    Reconnecting(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Error,
}

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

#[derive(Debug, Clone)]
pub struct Details {
    pub name: String,
    pub namespace: String,
    pub events: Option<Result<Vec<EventRow>, String>>,
    /// Revealed credentials; masked until the user asks.
    pub credentials: Option<Result<Revealed, String>>,
    pub history: Option<Result<Vec<Revision>, String>>,
    pub backups: Option<Result<Vec<Record>, String>>,
    /// Shown once asked for (`d`).
    pub diff: Option<Result<Vec<ObjectDiff>, String>>,
}

impl Details {
    fn new(name: String, namespace: String) -> Self {
        Self {
            name,
            namespace,
            events: None,
            credentials: None,
            history: None,
            backups: None,
            diff: None,
        }
    }
}

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
    /// (name, namespace) of each store it acts on.
    pub stores: Vec<(String, String)>,
    /// What must be typed: the store's name, or the number of stores.
    pub expected: String,
    pub what: String,
    pub typed: tui_input::Input,
    pub hint: Option<String>,
    /// What becomes of the stores' backups (a delete keeps them), once known.
    pub backups: Option<String>,
}

pub struct App {
    pub context: String,
    pub server_version: Option<String>,
    pub connection: ConnectionState,
    /// Kinds the user may not list: stores or objects of them may be missing.
    pub hidden: Vec<String>,
    pub table: StoreTable,
    pub mode: Mode,
    pub help: bool,
    pub readonly: bool,
    pub status: Option<(Severity, String)>,
    /// Defaults shown in the create form (from the configuration).
    pub form_defaults: form::Defaults,
    /// The last rollout started here, running or ended.
    pub rollout: Option<RolloutView>,
    pub quit: bool,
}

impl App {
    pub fn new(context: String, readonly: bool, form_defaults: form::Defaults) -> Self {
        Self {
            context,
            server_version: None,
            connection: ConnectionState::Connecting,
            hidden: Vec::new(),
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
        self.status = Some((severity, message.into()));
    }
}

pub use form::Defaults as FormDefaults;

/// Applies one action; returns the side effects to run.
pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    if app.help && !matches!(action, Action::Stores(_) | Action::Connection(..)) {
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
        Action::Connection(state, hidden) => {
            app.connection = state;
            app.hidden = hidden;
            vec![]
        }
        Action::ServerVersion { version, warning } => {
            app.server_version = Some(version);
            if let Some(warning) = warning {
                app.say(Severity::Error, warning);
            }
            vec![]
        }
        Action::Resync => {
            app.say(Severity::Info, "resyncing: listing everything again");
            vec![Command::Resync]
        }
        Action::Created { name, result } => on_created(app, name, result),
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
            Mode::Table => table_action(app, other),
            Mode::Details(_) | Mode::Events(_) => details_action(app, other),
            Mode::Logs(_) => logs::update(app, other),
            Mode::Create(_) => form::update(app, other),
            Mode::Confirm(_) => confirm_action(app, other),
            Mode::Contexts(_) => contexts::update(app, other),
            Mode::Upgrade(_) => upgrade::form_action(app, other),
            Mode::UpgradePlan(_) => upgrade::plan_action(app, other),
            Mode::Rollout => upgrade::progress_action(app, other),
            Mode::RestorePick(_) => backups::picker_action(app, other),
        },
    }
}

fn on_stores(app: &mut App, rows: Vec<StoreRow>) -> Vec<Command> {
    app.table.set_rows(rows);
    let open = match &app.mode {
        Mode::Details(d) | Mode::Events(d) => Some((d.name.clone(), d.namespace.clone())),
        Mode::Logs(l) => Some((l.name.clone(), l.namespace.clone())),
        Mode::Confirm(c) => c
            .stores
            .iter()
            .find(|(name, namespace)| !app.table.contains(name, namespace))
            .cloned(),
        Mode::Table
        | Mode::Create(_)
        | Mode::Contexts(_)
        | Mode::Upgrade(_)
        | Mode::UpgradePlan(_)
        | Mode::Rollout => None,
        Mode::RestorePick(p) => Some((p.name.clone(), p.namespace.clone())),
    };
    if let Some((name, namespace)) = open
        && !app.table.contains(&name, &namespace)
    {
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
            name: d.name.clone(),
            namespace: d.namespace.clone(),
        }];
        // Backups change on their own (a running one ends, a schedule starts one).
        if matches!(app.mode, Mode::Details(_)) {
            refresh.push(Command::FetchBackups {
                name: d.name.clone(),
                namespace: d.namespace.clone(),
            });
        }
        return refresh;
    }
    vec![]
}

fn on_created(app: &mut App, name: String, result: Result<String, String>) -> Vec<Command> {
    match result {
        Ok(message) => {
            if matches!(&app.mode, Mode::Create(f) if f.value(Field::Name) == name) {
                app.mode = Mode::Table;
            }
            app.table.select_name(&name);
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

fn table_action(app: &mut App, action: Action) -> Vec<Command> {
    if app.table.filter_editing {
        return table::filter_action(&mut app.table, action);
    }
    let selected = app
        .table
        .selected_row()
        .map(|r| (r.summary.name.clone(), r.summary.namespace.clone()));
    match action {
        Action::Move(m) => app.table.move_by(m),
        Action::StartFilter => app.table.start_filter(),
        Action::Back => app.table.clear_filter(),
        Action::Sort => {
            app.table.next_sort();
            let key = app.table.sort;
            app.say(Severity::Info, format!("sorted by {}", key.label()));
        }
        Action::OpenCreate if refused(app, Verb::Create) => {}
        Action::OpenCreate => {
            app.mode = Mode::Create(CreateForm::new(&app.form_defaults));
            return form::validate(app);
        }
        Action::OpenDelete if refused(app, Verb::Delete) => {}
        Action::OpenDelete => return open_delete(app),
        Action::BackUp => return backups::back_up(app),
        Action::ToggleMark => app.table.toggle_mark(),
        Action::MarkVisible => app.table.toggle_mark_visible(),
        Action::OpenUpgrade => return upgrade::open(app),
        Action::OpenRollout => upgrade::show_progress(app),
        Action::OpenContexts => return vec![Command::ListContexts],
        Action::TogglePause if refused(app, Verb::Pause) => {}
        Action::TogglePause => return toggle_pause(app),
        Action::OpenDetails | Action::OpenEvents => {
            if let Some((name, namespace)) = selected {
                let details = Details::new(name.clone(), namespace.clone());
                app.mode = if action == Action::OpenDetails {
                    Mode::Details(details)
                } else {
                    Mode::Events(details)
                };
                return vec![
                    Command::FetchEvents {
                        name: name.clone(),
                        namespace: namespace.clone(),
                    },
                    Command::FetchHistory {
                        name: name.clone(),
                        namespace: namespace.clone(),
                    },
                    Command::FetchBackups { name, namespace },
                ];
            }
        }
        Action::OpenLogs => {
            if let Some((name, namespace)) = selected {
                let view = LogView::new(name.clone(), namespace.clone(), Component::WordPress);
                app.mode = Mode::Logs(view);
                return vec![Command::StartLogs {
                    name,
                    namespace,
                    component: Component::WordPress,
                    previous: false,
                }];
            }
        }
        _ => {}
    }
    vec![]
}

/// `Ctrl-D`: the confirmation of deleting the marked (or selected) stores, saying what
/// each loses; their backups are looked up meanwhile.
fn open_delete(app: &mut App) -> Vec<Command> {
    let targets = app.table.targets();
    let stores: Vec<(String, String)> = targets
        .iter()
        .map(|r| (r.summary.name.clone(), r.summary.namespace.clone()))
        .collect();
    let (expected, what) = match targets.as_slice() {
        [] => return vec![],
        [one] => (one.summary.name.clone(), delete_description(one)),
        many => (
            many.len().to_string(),
            format!(
                "{} stores ({}), each with its namespace or labelled objects and its data volumes (their data is lost)",
                many.len(),
                stores
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    };
    let fetch = stores
        .iter()
        .map(|(name, namespace)| Command::FetchBackups {
            name: name.clone(),
            namespace: namespace.clone(),
        })
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
            name: r.summary.name.clone(),
            namespace: r.summary.namespace.clone(),
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

fn details_action(app: &mut App, action: Action) -> Vec<Command> {
    let (Mode::Details(d) | Mode::Events(d)) = &mut app.mode else {
        return vec![];
    };
    match action {
        Action::Back => app.mode = Mode::Table,
        Action::Events { name, result } if name == d.name => d.events = Some(result),
        Action::Credentials { name, result } if name == d.name => d.credentials = Some(result),
        Action::History { name, result } if name == d.name => d.history = Some(result),
        Action::Diff { name, result } if name == d.name => d.diff = Some(result),
        Action::BackUp => {
            let stores = vec![(d.name.clone(), d.namespace.clone())];
            return backups::start(app, stores);
        }
        Action::OpenRestore => return backups::open_restore(app),
        Action::ShowDiff => {
            d.diff = None;
            return vec![Command::FetchDiff {
                name: d.name.clone(),
                namespace: d.namespace.clone(),
            }];
        }
        Action::Reveal if d.credentials.is_some() => d.credentials = None,
        Action::Reveal => {
            return vec![Command::FetchCredentials {
                name: d.name.clone(),
                namespace: d.namespace.clone(),
            }];
        }
        Action::Copy => {
            let password = d
                .credentials
                .as_ref()
                .and_then(|c| c.as_ref().ok())
                .map(|c| c.password.clone());
            let url = app
                .table
                .find(&d.name, &d.namespace)
                .and_then(|r| r.summary.url.clone());
            let (what, text) = match (password, url) {
                (Some(p), _) => ("the admin password", p),
                (None, Some(u)) => ("the URL", u),
                (None, None) => return vec![],
            };
            app.say(
                Severity::Info,
                format!("copied {what} to the clipboard (OSC 52)"),
            );
            return vec![Command::Copy(text)];
        }
        Action::OpenLogs => {
            let (name, namespace) = (d.name.clone(), d.namespace.clone());
            app.mode = Mode::Logs(LogView::new(
                name.clone(),
                namespace.clone(),
                Component::WordPress,
            ));
            return vec![Command::StartLogs {
                name,
                namespace,
                component: Component::WordPress,
                previous: false,
            }];
        }
        Action::OpenEvents => {
            let d = d.clone();
            app.mode = Mode::Events(d);
        }
        Action::OpenDetails => {
            let d = d.clone();
            app.mode = Mode::Details(d);
        }
        _ => {}
    }
    vec![]
}

fn confirm_action(app: &mut App, action: Action) -> Vec<Command> {
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
                    .find_map(|(name, namespace)| backups::refusal(&app.table, name, namespace)),
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
                    .map(|(name, namespace)| Command::Delete {
                        name: name.clone(),
                        namespace: namespace.clone(),
                    })
                    .collect(),
                Confirming::Restore { id } => c
                    .stores
                    .iter()
                    .map(|(name, namespace)| Command::Restore {
                        name: name.clone(),
                        namespace: namespace.clone(),
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

#[cfg(test)]
pub(crate) mod tests;
