//! Why a backup, restore or forget failed, and how a Job ended.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use crate::cluster::error::ClusterError;
use crate::domain::backup::JobResult;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("store '{store}' has no backup '{id}'{}", known_ids(.known))]
    NotFound {
        store: String,
        id: String,
        known: Vec<String>,
    },
    #[error("store '{0}' has no complete backup: take one first (storectl backup {0})")]
    NoBackup(String),
    #[error("store '{0}' does not exist and no backups of it are recorded")]
    Unknown(String),
    #[error("backup '{id}' of store '{store}' is {status}{}; only a complete backup can be restored", if .reason.is_empty() { String::new() } else { format!(" ({})", .reason) })]
    NotComplete {
        store: String,
        id: String,
        status: &'static str,
        reason: String,
    },
    #[error(transparent)]
    NotRunning(#[from] crate::domain::backup::NotRunning),
    #[error(
        "the backup target's credentials are missing: Secret {secret} in namespace {namespace} {why}; it needs the keys access-key-id and secret-access-key"
    )]
    TargetCredentials {
        secret: String,
        namespace: String,
        why: String,
    },
    #[error("{object} is not storectl's (managed by {manager}); nothing was changed")]
    NotOurs { object: String, manager: String },
    #[error(
        "store '{store}' has no credentials secret {secret}, which its backup and restore Jobs log in to the database with; nothing was started (a store of the original platform: create it from the passwords the store runs with, keys {keys})"
    )]
    NoCredentials {
        store: String,
        secret: String,
        keys: String,
    },
    #[error("{what} failed: {reason}")]
    JobFailed { what: String, reason: String },
    #[error("gave up after {}s waiting for {what}", .after.as_secs())]
    TimedOut { what: String, after: Duration },
    #[error(
        "restoring backup {id} failed: {reason}; nothing was changed: WordPress started again on the store's previous data"
    )]
    RestoreUnchanged { id: String, reason: String },
    #[error(
        "restore of backup {id} did not finish ({why}): WordPress kept stopped; run `storectl restore {store} --from {id}` again or `storectl resume {store}`"
    )]
    RestoreUnfinished {
        store: String,
        id: String,
        why: String,
        timed_out: bool,
    },
    #[error("the system random number generator failed: {0}")]
    NoRandomness(String),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

fn known_ids(ids: &[String]) -> String {
    match ids {
        [] => " (it has none)".to_string(),
        ids => format!(" (known: {})", ids.join(", ")),
    }
}

/// How a Job ended: complete or not, and what its script said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEnd {
    pub complete: bool,
    /// The Job's own reason when it failed (e.g. BackoffLimitExceeded).
    pub reason: String,
    /// The script's result, when it wrote one.
    pub result: Option<JobResult>,
    pub started: Option<Timestamp>,
}

impl JobEnd {
    /// Why it failed, in the script's words when it said.
    pub fn why(&self) -> String {
        match &self.result {
            Some(r) if !r.error.is_empty() => r.error.clone(),
            _ if self.reason.is_empty() => "the Job failed".to_string(),
            _ => self.reason.clone(),
        }
    }
}
