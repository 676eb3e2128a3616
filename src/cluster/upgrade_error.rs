//! Why one store's upgrade is refused or fails (the checks of `upgrade` and `volumes`).

use super::apply::CreateError;
use super::error::ClusterError;

/// Why an upgrade is refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error("{object} is not storectl's (managed by {manager}); nothing was changed")]
    NotOurs { object: String, manager: String },
    #[error("store '{name}' is being deleted; nothing was changed")]
    BeingDeleted { name: String },
    #[error(
        "the credentials secret {secret} of store '{name}' is missing; storectl never makes new passwords for a store whose data exists: restore it (a store of the original platform: create it from the passwords the store runs with, keys {keys}), then upgrade"
    )]
    NoCredentials {
        name: String,
        secret: String,
        keys: String,
    },
    #[error(
        "volume {claim} cannot shrink from {from} to {to} (Kubernetes volumes only grow); nothing was changed"
    )]
    VolumeShrinks {
        claim: String,
        from: String,
        to: String,
    },
    #[error("volume {claim} cannot grow from {from} to {to}: {why}; nothing was changed")]
    VolumeCannotGrow {
        claim: String,
        from: String,
        to: String,
        why: String,
    },
    #[error(
        "volume {claim} has storage class '{from}', which cannot change (to '{to}') without moving the data to a new volume; nothing was changed"
    )]
    StorageClassChanges {
        claim: String,
        from: String,
        to: String,
    },
    #[error(
        "store '{name}' is upgrading its database (job {job} is running); nothing was changed: upgrade again once it has finished"
    )]
    DatabaseUpgradeRunning { name: String, job: String },
    #[error(
        "store '{name}' mounts a volume of its WordPress container at {path}, where storectl's stores never had one (the whole volume at /var/www/html, or its wp-content folder there); the upgrade would show WordPress other files as wp-content, so nothing was changed: put the store's wp-content into a folder wp-content at the volume's root first (docs/stores.md)"
    )]
    UnknownWordPressMount { name: String, path: String },
    #[error("preparing the backup target of the schedule: {0}")]
    Backups(String),
    #[error("copying the SMTP password into the store: {0}")]
    Mail(String),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

impl From<CreateError> for UpgradeError {
    fn from(e: CreateError) -> Self {
        match e {
            CreateError::BeingDeleted { name } => Self::BeingDeleted { name },
            CreateError::Cluster(e) => Self::Cluster(e),
            other => Self::Cluster(ClusterError::Other {
                action: "checking the store's objects".to_string(),
                detail: other.to_string(),
            }),
        }
    }
}
