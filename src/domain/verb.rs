//! The verbs storectl offers and the pure rules each applies before it acts: whether it
//! changes anything (what `--readonly` removes, in every front end), which statuses it
//! accepts, and what it destroys. `ops::*` runs the verbs; the TUI's model, which may
//! only use the domain, asks the same rules before it sends a command.

use crate::domain::status::Phase;

/// A verb of storectl, as every front end names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Create,
    Delete,
    Pause,
    Resume,
    Upgrade,
    Rollback,
    Diff,
    History,
    Backup,
    Restore,
    Clone,
    Forget,
    MailTest,
}

impl Verb {
    /// Whether the verb changes anything on the cluster or the backup target: exactly
    /// the verbs `--readonly` removes.
    pub const fn mutates(self) -> bool {
        match self {
            Self::Create
            | Self::Delete
            | Self::Pause
            | Self::Resume
            | Self::Upgrade
            | Self::Rollback
            | Self::Backup
            | Self::Restore
            | Self::Clone
            | Self::Forget
            | Self::MailTest => true,
            Self::Diff | Self::History => false,
        }
    }

    /// What the verb does, as a refusal names it.
    pub const fn doing(self) -> &'static str {
        match self {
            Self::Create => "creating stores",
            Self::Delete => "deleting stores",
            Self::Pause => "pausing stores",
            Self::Resume => "resuming stores",
            Self::Upgrade => "upgrading stores",
            Self::Rollback => "rolling stores back",
            Self::Diff => "showing what an upgrade changes",
            Self::History => "listing revisions",
            Self::Backup => "backing stores up",
            Self::Restore => "restoring backups",
            Self::Clone => "cloning stores",
            Self::Forget => "removing backups",
            Self::MailTest => "sending test mail",
        }
    }

    /// The read-only rule, the one place it is decided: a verb that changes something
    /// is refused when `readonly`.
    pub fn allowed(self, readonly: bool) -> Result<(), ReadOnly> {
        if readonly && self.mutates() {
            Err(ReadOnly(self))
        } else {
            Ok(())
        }
    }
}

/// A verb that changes something, asked for in read-only mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("read-only mode (--readonly): {} is disabled", .0.doing())]
pub struct ReadOnly(pub Verb);

/// The pause rule, in words (the refusal of `storectl pause` and of `p` in the UI).
pub const PAUSE_RULE: &str = "only a Ready or Failed store can be paused";

/// What pausing a store in `phase` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseCheck {
    /// Ready or Failed: it is paused.
    Pause,
    /// Paused already: nothing to do, and no error.
    AlreadyPaused,
    /// Provisioning or being deleted: refused (`PAUSE_RULE`).
    Refused,
}

/// Which statuses pause accepts.
pub const fn pause_check(phase: Phase) -> PauseCheck {
    match phase {
        Phase::Ready | Phase::Failed => PauseCheck::Pause,
        Phase::Paused => PauseCheck::AlreadyPaused,
        Phase::Provisioning | Phase::Deleting => PauseCheck::Refused,
    }
}

/// What deleting a store destroys, in words: its namespace (`owns_namespace`) or its
/// labelled objects, and its data volumes. The confirmation of every front end says this.
pub fn destroyed(name: &str, namespace: &str, owns_namespace: bool, volumes: &[&str]) -> String {
    let volumes = if volumes.is_empty() {
        String::new()
    } else {
        format!("; its data volumes ({}) are lost", volumes.join(", "))
    };
    if owns_namespace {
        format!("namespace {namespace} and everything in it{volumes}")
    } else {
        format!("every object labelled app={name} in namespace {namespace}{volumes}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readonly_removes_exactly_the_verbs_that_change_something() {
        for verb in [Verb::Create, Verb::Delete, Verb::Pause, Verb::Backup] {
            assert_eq!(verb.allowed(true), Err(ReadOnly(verb)));
            assert_eq!(verb.allowed(false), Ok(()));
        }
        assert_eq!(Verb::Diff.allowed(true), Ok(()));
        assert_eq!(Verb::History.allowed(true), Ok(()));
        assert!(
            ReadOnly(Verb::Create)
                .to_string()
                .contains("creating stores")
        );
    }

    #[test]
    fn only_ready_or_failed_stores_are_paused() {
        assert_eq!(pause_check(Phase::Ready), PauseCheck::Pause);
        assert_eq!(pause_check(Phase::Failed), PauseCheck::Pause);
        assert_eq!(pause_check(Phase::Paused), PauseCheck::AlreadyPaused);
        assert_eq!(pause_check(Phase::Provisioning), PauseCheck::Refused);
        assert_eq!(pause_check(Phase::Deleting), PauseCheck::Refused);
    }

    #[test]
    fn what_a_delete_destroys_names_the_scope_and_the_volumes() {
        assert_eq!(
            destroyed("a", "store-a", true, &["a-mysql-pvc"]),
            "namespace store-a and everything in it; its data volumes (a-mysql-pvc) are lost"
        );
        assert_eq!(
            destroyed("a", "shared", false, &[]),
            "every object labelled app=a in namespace shared"
        );
    }
}
