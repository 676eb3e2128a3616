//! The CLI's own errors and the exit code of an error that ended the program: one per
//! kind of failure a script may want to tell apart (docs/cli.md), decided by
//! `ops::Kind::exit_code`.

use crate::ops::Kind;
use crate::serve::ServeError;

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
    #[error("{0} object(s) would change (storectl upgrade applies them)")]
    Differs(usize),
    #[error("{}", match .0 { Some(s) => format!("no store matches the selector '{s}'"), None => "there are no stores".to_string() })]
    NoStoresSelected(Option<String>),
    #[error("not confirmed; nothing was upgraded")]
    NotConfirmedUpgrade,
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
    #[error(
        "this command acts in one cluster: give a single --context (the terminal UI, list, status and serve take several)"
    )]
    OneCluster,
    #[error("store '{name}' is in several clusters ({contexts}): give one --context")]
    InSeveralClusters { name: String, contexts: String },
    #[error(
        "{failed} of {total} cluster(s) could not be read (named above); their stores are missing"
    )]
    ClustersMissing { failed: usize, total: usize },
}

/// Whether the error is an answer rather than a failure (`diff` found differences): it
/// is printed as it is, without `error: `.
pub fn speaks_for_itself(error: &anyhow::Error) -> bool {
    matches!(error.downcast_ref::<CliError>(), Some(CliError::Differs(_)))
}

impl CliError {
    /// The kind of failure (`ops::Kind`: its exit code and HTTP status are decided there).
    const fn kind(&self) -> Kind {
        match self {
            Self::NoPod { .. } | Self::NoStoresSelected(_) => Kind::NotFound,
            Self::NotConfirmedUpgrade
            | Self::NeedsConfirmation { .. }
            | Self::NotConfirmed { .. }
            | Self::NoTerminalUi
            | Self::NoAuthMode
            | Self::OneCluster => Kind::Invalid,
            Self::InSeveralClusters { .. } => Kind::Ambiguous,
            Self::ClustersMissing { .. } => Kind::Unreachable,
            Self::Incomplete(_) => Kind::Forbidden,
            Self::Differs(_) | Self::StillThere { .. } => Kind::Failed,
        }
    }
}

/// The exit code for an error that ended the program: the first error of its chain whose
/// kind is known decides (`ops::Kind::exit_code`, the one mapping).
pub fn exit_code(error: &anyhow::Error) -> u8 {
    error
        .chain()
        .find_map(|cause| {
            if let Some(e) = cause.downcast_ref::<CliError>() {
                return Some(e.kind());
            }
            if cause.is::<ServeError>() {
                return Some(Kind::Invalid);
            }
            Kind::of_one(cause)
        })
        .unwrap_or(Kind::Failed)
        .exit_code()
}
