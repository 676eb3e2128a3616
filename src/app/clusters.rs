//! The clusters the UI shows: one, or a fleet (`--context` given several times). Each has
//! its own header state — server version, watch state, kinds the user may not list — so
//! one cluster down says so for its rows only.

use super::{Action, App, ConnectionState, Severity};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterView {
    /// The kubeconfig context (each row's `summary.context`).
    pub context: String,
    pub server_version: Option<String>,
    pub connection: ConnectionState,
    /// Kinds the user may not list there: its stores or their objects may be missing.
    pub hidden: Vec<String>,
}

impl ClusterView {
    pub fn new(context: impl Into<String>) -> Self {
        Self {
            context: context.into(),
            server_version: None,
            connection: ConnectionState::Connecting,
            hidden: Vec::new(),
        }
    }

    /// Whether its rows may be out of date (its watches are reconnecting).
    pub fn stale(&self) -> bool {
        matches!(self.connection, ConnectionState::Reconnecting(_))
    }
}

/// A cluster's watch state or server version, as the runtime reported it.
pub(super) fn on_report(app: &mut App, action: Action) {
    let fleet = app.clusters.fleet();
    match action {
        Action::Connection {
            context,
            state,
            hidden,
        } => {
            if let Some(cluster) = app.clusters.get_mut(&context) {
                cluster.connection = state;
                cluster.hidden = hidden;
            }
        }
        Action::ServerVersion {
            context,
            version,
            warning,
        } => {
            if let Some(cluster) = app.clusters.get_mut(&context) {
                cluster.server_version = Some(version);
            }
            if let Some(warning) = warning {
                let warning = if fleet {
                    format!("{context}: {warning}")
                } else {
                    warning
                };
                app.say(Severity::Error, warning);
            }
        }
        _ => {}
    }
}

/// The clusters in the order given on the command line (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clusters(Vec<ClusterView>);

impl Clusters {
    /// # Panics
    /// When `contexts` is empty: the UI always works with at least one cluster.
    pub fn new(contexts: Vec<String>) -> Self {
        assert!(!contexts.is_empty(), "the UI needs a cluster");
        Self(contexts.into_iter().map(ClusterView::new).collect())
    }

    /// More than one cluster: rows name their context.
    pub fn fleet(&self) -> bool {
        self.0.len() > 1
    }

    /// The first cluster: the one of a single-cluster UI.
    pub fn first(&self) -> &ClusterView {
        &self.0[0]
    }

    pub fn iter(&self) -> impl Iterator<Item = &ClusterView> {
        self.0.iter()
    }

    pub fn get(&self, context: &str) -> Option<&ClusterView> {
        self.0.iter().find(|c| c.context == context)
    }

    pub fn get_mut(&mut self, context: &str) -> Option<&mut ClusterView> {
        self.0.iter_mut().find(|c| c.context == context)
    }

    /// Whether the rows of `context` may be out of date.
    pub fn stale(&self, context: &str) -> bool {
        self.get(context).is_some_and(ClusterView::stale)
    }

    pub fn contexts(&self) -> Vec<String> {
        self.0.iter().map(|c| c.context.clone()).collect()
    }
}
