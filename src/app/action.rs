//! The messages of the state machine: `Action` (keys, already mapped, and the runtime's
//! results) in, `Command` (side effects for the runtime) out, and the plain data they
//! carry.

use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;

use super::{LogLine, PlanView};
use crate::domain::backup::Record;
use crate::domain::config::FormField;
use crate::domain::diff::ObjectDiff;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::Component;
use crate::domain::revision::Revision;
use crate::domain::rollout::Event as RolloutEvent;
use crate::domain::status::StatusRules;
use crate::domain::store_ref::StoreRef;
use crate::domain::summary::{ObjectState, StoreSummary, object_states, summarize};

/// What the runtime must do for the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Create a store in the cluster of `context` with these `--set` overrides on top of
    /// the configuration.
    Create {
        context: String,
        name: String,
        sets: Vec<FormField>,
    },
    /// Live check of the create form (the runtime validates against the configuration).
    ValidateForm {
        name: String,
        sets: Vec<FormField>,
    },
    Delete {
        store: StoreRef,
    },
    /// Scale the store to zero (`paused`) or back.
    SetPaused {
        store: StoreRef,
        paused: bool,
    },
    StartLogs {
        store: StoreRef,
        component: Component,
        previous: bool,
    },
    StopLogs,
    FetchEvents {
        store: StoreRef,
    },
    FetchCredentials {
        store: StoreRef,
    },
    /// The store's recorded revisions (details).
    FetchHistory {
        store: StoreRef,
    },
    /// What an upgrade to the latest revision would change: drift (details).
    FetchDiff {
        store: StoreRef,
    },
    /// Work out the upgrade of these stores with these `--set`s (answered with a plan,
    /// kept by the runtime until `StartUpgrade`).
    PlanUpgrade {
        stores: Vec<StoreRef>,
        sets: Vec<String>,
        wave_size: usize,
    },
    /// Run the plan last answered (made in the cluster of `context`).
    StartUpgrade {
        context: String,
    },
    /// Back these stores up (all of one cluster).
    Backup {
        stores: Vec<StoreRef>,
    },
    /// The store's backup records (details, the delete confirmation).
    FetchBackups {
        store: StoreRef,
    },
    /// Restore backup `id` into the store (WordPress stopped meanwhile).
    Restore {
        store: StoreRef,
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
    /// Every store's row (shared with the runtime, which keeps them between changes).
    Stores(Vec<Arc<StoreRow>>),
    /// A cluster's watchers' state, and the kinds the user may not list there.
    Connection {
        context: String,
        state: ConnectionState,
        hidden: Vec<String>,
    },
    /// The server's version, and a warning when storectl does not support it.
    ServerVersion {
        context: String,
        version: String,
        warning: Option<String>,
    },
    FormChecked(Result<(), String>),
    Created {
        context: String,
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

impl StoreRow {
    /// The row of `store`, a store of the cluster of `context`, at `now`.
    pub fn of(store: &StoreObjects, context: &str, rules: &StatusRules, now: Timestamp) -> Self {
        Self {
            summary: summarize(store, context, rules, now),
            objects: object_states(store),
        }
    }
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

impl Command {
    /// The kubeconfig context of the cluster the command acts in; None for one that acts
    /// in none (or in the first).
    pub fn context(&self) -> Option<&str> {
        match self {
            Self::Create { context, .. } | Self::StartUpgrade { context } => Some(context),
            Self::Delete { store }
            | Self::SetPaused { store, .. }
            | Self::StartLogs { store, .. }
            | Self::FetchEvents { store }
            | Self::FetchCredentials { store }
            | Self::FetchHistory { store }
            | Self::FetchDiff { store }
            | Self::FetchBackups { store }
            | Self::Restore { store, .. } => Some(&store.context),
            Self::PlanUpgrade { stores, .. } | Self::Backup { stores } => {
                stores.first().map(|s| s.context.as_str())
            }
            Self::ValidateForm { .. }
            | Self::StopLogs
            | Self::Copy(_)
            | Self::Resync
            | Self::ListContexts
            | Self::SwitchContext(_)
            | Self::Quit => None,
        }
    }
}
