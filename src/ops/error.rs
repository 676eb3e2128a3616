//! The failures the verbs report, and the one classification of every error storectl
//! raises into a `Kind`, which maps once to an exit code (the CLI) and once to an HTTP
//! status (the API). `cli::exit` and `serve::error` only call `Kind::of` (the CLI
//! classifies its own few errors, `CliError::kind`, into the same kinds).

use std::error::Error as StdError;
use std::time::Duration;

use crate::cluster::apply::CreateError;
use crate::cluster::backups::BackupError;
use crate::cluster::delete::DeleteError;
use crate::cluster::error::ClusterError;
use crate::cluster::pause::PauseError;
use crate::cluster::upgrade::UpgradeError;
use crate::domain::config::ConfigError;
use crate::domain::lookup::LookupError;
use crate::domain::name::NameError;
use crate::domain::status::Phase;
use crate::domain::verb::{PAUSE_RULE, ReadOnly};

/// Failures the verbs themselves detect (the cluster layer's errors pass through).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("store '{name}' is {status} ({reason}); {PAUSE_RULE}")]
    CannotPause {
        name: String,
        status: Phase,
        reason: String,
    },
    #[error(
        "store '{name}' is being restored (job {job}); WordPress starts when the restore succeeds: wait for it (storectl status {name})"
    )]
    RestoreRunning { name: String, job: String },
    #[error("{}", rollout_failed(failed, *done, *untouched, *max_failures))]
    RolloutFailed {
        failed: Vec<FailedStore>,
        done: usize,
        untouched: usize,
        max_failures: usize,
    },
    #[error("{}", no_revision(name, *wanted, kept))]
    NoRevision {
        name: String,
        wanted: Option<u32>,
        kept: String,
    },
    #[error("store '{name}' failed: {reason}")]
    StoreFailed { name: String, reason: String },
    #[error("gave up after {}s: {what}", .after.as_secs())]
    TimedOut { after: Duration, what: String },
    #[error(
        "store '{name}' has no mail configured (mail.smtp.host is empty in its configuration): set the mail.* keys and upgrade it first (docs/stores.md, Mail)"
    )]
    MailNotConfigured { name: String },
    #[error("'{to}' is not a mail address to send the test to")]
    BadRecipient { to: String },
    #[error("{summary}")]
    MailRefused { summary: String },
}

/// A store a rollout failed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedStore {
    pub name: String,
    pub reason: String,
}

fn rollout_failed(
    failed: &[FailedStore],
    done: usize,
    untouched: usize,
    max_failures: usize,
) -> String {
    let which = failed
        .iter()
        .map(|f| format!("{}: {}", f.name, f.reason))
        .collect::<Vec<_>>()
        .join("; ");
    let stopped = if untouched > 0 {
        format!(
            "rollout stopped after {} failure(s) (more than --max-failures {max_failures}); {untouched} store(s) left untouched",
            failed.len()
        )
    } else {
        format!("{} store(s) failed", failed.len())
    };
    format!(
        "{stopped}; {done} store(s) at the target. Failed: {which}. Fix the cause and run the same command again to resume (storectl rollback NAME takes a store back)"
    )
}

fn no_revision(name: &str, wanted: Option<u32>, kept: &str) -> String {
    match wanted {
        _ if kept.is_empty() => format!(
            "store '{name}' has no recorded revision to go back to (storectl history {name})"
        ),
        Some(n) => format!("store '{name}' has no revision {n} (kept: {kept})"),
        None => format!("store '{name}' has no earlier revision (kept: {kept})"),
    }
}

/// What kind of failure an error is: each maps once to an exit code and once to an HTTP
/// status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Usage, a store name, the configuration, a missing confirmation.
    Invalid,
    /// `--readonly` removes the verb.
    ReadOnly,
    /// In the way of what is on the cluster: exists, being deleted, not storectl's, a
    /// status the verb does not accept.
    Conflict,
    /// Labelled like the store, but not a store (no storectl mark on its namespace):
    /// its name is taken (exit 3), yet there is no such store (404).
    NotAStore,
    NotFound,
    /// Several stores of that name.
    Ambiguous,
    /// Refused by RBAC.
    Forbidden,
    /// No kubeconfig, unknown context, unreachable server, rejected credentials.
    Unreachable,
    TimedOut,
    /// The API server refused a write as a conflict (409).
    Rejected,
    /// The API server answered with another error.
    Upstream,
    /// Anything else: a Job, a store or a rollout failed, or storectl itself did.
    Failed,
}

impl Kind {
    /// The kind of `error`: the first error in its chain that storectl knows decides.
    pub fn of(error: &(dyn StdError + 'static)) -> Self {
        let mut cause = Some(error);
        while let Some(e) = cause {
            if let Some(kind) = Self::of_one(e) {
                return kind;
            }
            cause = e.source();
        }
        Self::Failed
    }

    /// The exit code (docs/cli.md).
    pub const fn exit_code(self) -> u8 {
        match self {
            Self::Invalid | Self::ReadOnly => 2,
            Self::Conflict | Self::NotAStore => 3,
            Self::NotFound => 4,
            Self::Forbidden => 5,
            Self::Unreachable => 6,
            Self::TimedOut => 7,
            Self::Ambiguous | Self::Rejected | Self::Upstream | Self::Failed => 1,
        }
    }

    /// The HTTP status (docs/serve.md).
    pub const fn http_status(self) -> u16 {
        match self {
            Self::Invalid => 400,
            Self::ReadOnly | Self::Forbidden => 403,
            Self::Conflict | Self::Ambiguous | Self::Rejected => 409,
            Self::NotAStore | Self::NotFound => 404,
            Self::Unreachable => 503,
            Self::TimedOut => 504,
            Self::Upstream => 502,
            Self::Failed => 500,
        }
    }

    /// The kind of this one error, if the core knows it (its source is not looked at).
    pub fn of_one(cause: &(dyn StdError + 'static)) -> Option<Self> {
        if cause.is::<NameError>() || cause.is::<ConfigError>() {
            return Some(Self::Invalid);
        }
        if cause.is::<ReadOnly>() {
            return Some(Self::ReadOnly);
        }
        if let Some(e) = cause.downcast_ref::<LookupError>() {
            return Some(match e {
                LookupError::NotFound(_) => Self::NotFound,
                LookupError::Ambiguous { .. } => Self::Ambiguous,
                LookupError::Unmarked { .. } => Self::NotAStore,
            });
        }
        if let Some(e) = cause.downcast_ref::<Error>() {
            return Some(ops_kind(e));
        }
        if let Some(e) = cause.downcast_ref::<CreateError>() {
            return Some(match e {
                CreateError::AlreadyExists { .. }
                | CreateError::BeingDeleted { .. }
                | CreateError::NotOurs { .. }
                | CreateError::CredentialsLost { .. } => Self::Conflict,
                CreateError::Cluster(e) => cluster_kind(e),
                CreateError::NoRandomness(_) | CreateError::Backups(_) | CreateError::Mail(_) => {
                    Self::Failed
                }
            });
        }
        if let Some(e) = cause.downcast_ref::<DeleteError>() {
            return Some(match e {
                DeleteError::NotOurs { .. } => Self::Conflict,
                DeleteError::Cluster(e) => cluster_kind(e),
            });
        }
        if let Some(e) = cause.downcast_ref::<PauseError>() {
            return Some(match e {
                PauseError::NotOurs { .. } => Self::Conflict,
                PauseError::Missing { .. } => Self::Failed,
                PauseError::Cluster(e) => cluster_kind(e),
            });
        }
        if let Some(e) = cause.downcast_ref::<crate::cluster::mail::MailError>() {
            use crate::cluster::mail::MailError;
            return Some(match e {
                MailError::PasswordSecret { .. } => Self::Invalid,
                MailError::NotOurs { .. } => Self::Conflict,
                MailError::TimedOut { .. } => Self::TimedOut,
                MailError::NoResult { .. } => Self::Failed,
                MailError::Cluster(e) => cluster_kind(e),
            });
        }
        if let Some(e) = cause.downcast_ref::<BackupError>() {
            return Some(backup_kind(e));
        }
        if let Some(e) = cause.downcast_ref::<UpgradeError>() {
            return Some(match e {
                UpgradeError::NotOurs { .. }
                | UpgradeError::BeingDeleted { .. }
                | UpgradeError::NoCredentials { .. }
                | UpgradeError::DatabaseUpgradeRunning { .. }
                | UpgradeError::UnknownWordPressMount { .. } => Self::Conflict,
                UpgradeError::VolumeShrinks { .. }
                | UpgradeError::VolumeCannotGrow { .. }
                | UpgradeError::StorageClassChanges { .. } => Self::Invalid,
                UpgradeError::Cluster(e) => cluster_kind(e),
                UpgradeError::Backups(_) | UpgradeError::Mail(_) => Self::Failed,
            });
        }
        cause.downcast_ref::<ClusterError>().map(cluster_kind)
    }
}

const fn ops_kind(e: &Error) -> Kind {
    match e {
        Error::CannotPause { .. }
        | Error::RestoreRunning { .. }
        | Error::MailNotConfigured { .. } => Kind::Conflict,
        Error::BadRecipient { .. } => Kind::Invalid,
        Error::MailRefused { .. } => Kind::Failed,
        Error::NoRevision { .. } => Kind::NotFound,
        Error::TimedOut { .. } => Kind::TimedOut,
        Error::RolloutFailed { .. } | Error::StoreFailed { .. } => Kind::Failed,
    }
}

const fn backup_kind(e: &BackupError) -> Kind {
    match e {
        BackupError::NotFound { .. } | BackupError::NoBackup(_) | BackupError::Unknown(_) => {
            Kind::NotFound
        }
        BackupError::NotComplete { .. }
        | BackupError::NotRunning(_)
        | BackupError::NotOurs { .. }
        | BackupError::NoCredentials { .. } => Kind::Conflict,
        BackupError::TargetCredentials { .. } => Kind::Invalid,
        BackupError::TimedOut { .. }
        | BackupError::RestoreUnfinished {
            timed_out: true, ..
        } => Kind::TimedOut,
        BackupError::RestoreUnfinished { .. }
        | BackupError::RestoreUnchanged { .. }
        | BackupError::JobFailed { .. }
        | BackupError::NoRandomness(_) => Kind::Failed,
        BackupError::Cluster(e) => cluster_kind(e),
    }
}

const fn cluster_kind(e: &ClusterError) -> Kind {
    match e {
        ClusterError::Forbidden { .. } | ClusterError::Api { code: 403, .. } => Kind::Forbidden,
        ClusterError::NoKubeconfig
        | ClusterError::BadKubeconfig(_)
        | ClusterError::NoContext { .. }
        | ClusterError::Unreachable { .. }
        | ClusterError::Unauthorized { .. }
        | ClusterError::Credentials { .. } => Kind::Unreachable,
        ClusterError::Api { code: 409, .. } => Kind::Rejected,
        ClusterError::Api { .. } | ClusterError::Other { .. } => Kind::Upstream,
    }
}
