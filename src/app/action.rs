//! The messages of the state machine: `Action` (keys, already mapped, and the runtime's
//! results) in, `Command` (side effects for the runtime) out, and the plain data they
//! carry.

use super::{LogLine, PlanView};
use crate::domain::backup::Record;
use crate::domain::config::FormField;
use crate::domain::diff::ObjectDiff;
use crate::domain::layout::Component;
use crate::domain::revision::Revision;
use crate::domain::rollout::Event as RolloutEvent;
use crate::domain::store_ref::StoreRef;
use crate::domain::summary::{ObjectState, StoreSummary};

/// What the runtime must do for the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Create a store with these `--set` overrides on top of the configuration.
    Create {
        name: String,
        sets: Vec<FormField>,
    },
    /// Live check of the create form (the runtime validates against the configuration).
    ValidateForm {
        name: String,
        sets: Vec<FormField>,
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
        stores: Vec<StoreRef>,
        sets: Vec<String>,
        wave_size: usize,
    },
    /// Run the plan last answered.
    StartUpgrade,
    /// Back these stores up.
    Backup {
        stores: Vec<StoreRef>,
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

/// What the app said last, on the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Error,
}
