//! Exit codes of the binary, one per kind of failure a script may want to tell apart
//! (documented in docs/cli.md), and the CLI's own errors.

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
use crate::serve::ServeError;

pub const FAILURE: u8 = 1;
pub const INVALID_INPUT: u8 = 2;
pub const ALREADY_EXISTS: u8 = 3;
pub const NOT_FOUND: u8 = 4;
pub const FORBIDDEN: u8 = 5;
pub const UNREACHABLE: u8 = 6;
pub const TIMED_OUT: u8 = 7;

/// Failures the commands themselves detect.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(
        "refusing to {action} '{name}' without confirmation: pass --yes (no terminal to ask on)"
    )]
    NeedsConfirmation { action: &'static str, name: String },
    #[error("the typed name did not match '{name}'; nothing was {done}")]
    NotConfirmed { name: String, done: &'static str },
    #[error(
        "incomplete: {0} kind(s) of object could not be read (named above); what was shown may miss stores or objects"
    )]
    Incomplete(usize),
    #[error(
        "store '{name}' still has objects in namespace {namespace} after its deletion was reported done; run storectl status {name}"
    )]
    StillThere { name: String, namespace: String },
    #[error("store '{name}' is {status} ({reason}); only a Ready or Failed store can be paused")]
    CannotPause {
        name: String,
        status: crate::domain::status::Phase,
        reason: String,
    },
    #[error(
        "store '{name}' is being restored (job {job}); WordPress starts when the restore succeeds: wait for it (storectl status {name})"
    )]
    RestoreRunning { name: String, job: String },
    #[error("{0} object(s) would change (storectl upgrade applies them)")]
    Differs(usize),
    #[error("{}", rollout_failed(failed, *done, *untouched, *max_failures))]
    RolloutFailed {
        failed: Vec<(String, String)>,
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
    #[error("{}", match .0 { Some(s) => format!("no store matches the selector '{s}'"), None => "there are no stores".to_string() })]
    NoStoresSelected(Option<String>),
    #[error("not confirmed; nothing was upgraded")]
    NotConfirmedUpgrade,
    #[error("store '{name}' failed: {reason}")]
    StoreFailed { name: String, reason: String },
    #[error("gave up after {}s: {what}", .after.as_secs())]
    TimedOut { after: Duration, what: String },
    #[error("store '{name}' has no {component} pod{why}")]
    NoPod {
        name: String,
        component: String,
        why: String,
    },
    #[error(
        "the terminal UI needs a terminal; for scripts use a subcommand: storectl list, create, delete, status, logs, events, render (see storectl --help)"
    )]
    NoTerminalUi,
    #[error(
        "storectl serve needs a way to check who calls it: --token-file FILE, or --cluster-auth (or --insecure-no-auth on a loopback address)"
    )]
    NoAuthMode,
}

fn rollout_failed(
    failed: &[(String, String)],
    done: usize,
    untouched: usize,
    max_failures: usize,
) -> String {
    let which = failed
        .iter()
        .map(|(name, why)| format!("{name}: {why}"))
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

/// Whether the error is an answer rather than a failure (`diff` found differences): it
/// is printed as it is, without `error: `.
pub fn speaks_for_itself(error: &anyhow::Error) -> bool {
    matches!(error.downcast_ref::<CliError>(), Some(CliError::Differs(_)))
}

/// The exit code for an error that ended the program.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if cause.is::<NameError>() || cause.is::<ConfigError>() || cause.is::<ServeError>() {
            return INVALID_INPUT;
        }
        match cause.downcast_ref::<LookupError>() {
            Some(LookupError::NotFound(_)) => return NOT_FOUND,
            Some(LookupError::Ambiguous { .. }) => return FAILURE,
            Some(LookupError::Unmarked { .. }) => return ALREADY_EXISTS,
            None => {}
        }
        if let Some(e) = cause.downcast_ref::<CliError>() {
            return match e {
                CliError::NoPod { .. }
                | CliError::NoRevision { .. }
                | CliError::NoStoresSelected(_) => NOT_FOUND,
                CliError::NotConfirmedUpgrade => INVALID_INPUT,
                CliError::RolloutFailed { .. } => FAILURE,
                CliError::NeedsConfirmation { .. }
                | CliError::NotConfirmed { .. }
                | CliError::NoTerminalUi
                | CliError::NoAuthMode => INVALID_INPUT,
                CliError::TimedOut { .. } => TIMED_OUT,
                CliError::Incomplete(_) => FORBIDDEN,
                CliError::CannotPause { .. } | CliError::RestoreRunning { .. } => ALREADY_EXISTS,
                CliError::Differs(_) => FAILURE,
                CliError::StoreFailed { .. } | CliError::StillThere { .. } => FAILURE,
            };
        }
        match cause.downcast_ref::<CreateError>() {
            Some(
                CreateError::AlreadyExists { .. }
                | CreateError::BeingDeleted { .. }
                | CreateError::NotOurs { .. }
                | CreateError::CredentialsLost { .. },
            ) => {
                return ALREADY_EXISTS;
            }
            Some(CreateError::Cluster(e)) => return cluster_code(e),
            Some(CreateError::NoRandomness(_) | CreateError::Backups(_)) => return FAILURE,
            None => {}
        }
        match cause.downcast_ref::<DeleteError>() {
            Some(DeleteError::NotOurs { .. }) => return ALREADY_EXISTS,
            Some(DeleteError::Cluster(e)) => return cluster_code(e),
            None => {}
        }
        match cause.downcast_ref::<PauseError>() {
            Some(PauseError::NotOurs { .. }) => return ALREADY_EXISTS,
            Some(PauseError::Missing { .. }) => return FAILURE,
            Some(PauseError::Cluster(e)) => return cluster_code(e),
            None => {}
        }
        match cause.downcast_ref::<BackupError>() {
            Some(
                BackupError::NotFound { .. } | BackupError::NoBackup(_) | BackupError::Unknown(_),
            ) => {
                return NOT_FOUND;
            }
            Some(
                BackupError::NotComplete { .. }
                | BackupError::NotRunning(_)
                | BackupError::NotOurs { .. },
            ) => return ALREADY_EXISTS,
            Some(BackupError::TargetCredentials { .. }) => return INVALID_INPUT,
            Some(
                BackupError::TimedOut { .. }
                | BackupError::RestoreUnfinished {
                    timed_out: true, ..
                },
            ) => return TIMED_OUT,
            Some(BackupError::RestoreUnfinished { .. } | BackupError::RestoreUnchanged { .. }) => {
                return FAILURE;
            }
            Some(BackupError::JobFailed { .. } | BackupError::NoRandomness(_)) => return FAILURE,
            Some(BackupError::Cluster(e)) => return cluster_code(e),
            None => {}
        }
        match cause.downcast_ref::<UpgradeError>() {
            Some(
                UpgradeError::NotOurs { .. }
                | UpgradeError::BeingDeleted { .. }
                | UpgradeError::NoCredentials { .. },
            ) => return ALREADY_EXISTS,
            Some(
                UpgradeError::VolumeShrinks { .. }
                | UpgradeError::VolumeCannotGrow { .. }
                | UpgradeError::StorageClassChanges { .. },
            ) => return INVALID_INPUT,
            Some(UpgradeError::Cluster(e)) => return cluster_code(e),
            Some(UpgradeError::Backups(_)) => return FAILURE,
            None => {}
        }
        if let Some(e) = cause.downcast_ref::<ClusterError>() {
            return cluster_code(e);
        }
    }
    FAILURE
}

fn cluster_code(e: &ClusterError) -> u8 {
    match e {
        ClusterError::Forbidden { .. } => FORBIDDEN,
        ClusterError::NoKubeconfig
        | ClusterError::BadKubeconfig(_)
        | ClusterError::NoContext { .. }
        | ClusterError::Unreachable { .. }
        | ClusterError::Unauthorized { .. } => UNREACHABLE,
        ClusterError::Api { code: 403, .. } => FORBIDDEN,
        ClusterError::Api { .. } | ClusterError::Other { .. } => FAILURE,
    }
}
