//! What a create may do over the objects of the store that exist already (pure): its
//! refusals (not storectl's, being deleted, already there, credentials lost) and the
//! waves it applies in.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::error::ClusterError;
use crate::domain::layout::StoreLayout;
use crate::domain::manifests::Manifest;
use crate::domain::ownership::{Owner, owner};

/// Why a store cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error(
        "store '{name}' already exists in namespace {namespace}{how}; delete it first or pick another name"
    )]
    AlreadyExists {
        name: String,
        namespace: String,
        how: String,
    },
    #[error("store '{name}' is being deleted; wait until it is gone, then create it again")]
    BeingDeleted { name: String },
    #[error(
        "{object} already exists and is not storectl's (managed by {manager}); storectl will not change it: pick another store name, or move it out of the way yourself"
    )]
    NotOurs { object: String, manager: String },
    #[error(
        "the credentials secret {secret} is missing, but the volumes {volumes} still hold the store's data, which only the old passwords open; new passwords would lock WordPress out. Restore the secret (from a backup or `kubectl get secret -o yaml` taken earlier), or delete the store with its data first (storectl delete)"
    )]
    CredentialsLost { secret: String, volumes: String },
    #[error("the system random number generator failed: {0}")]
    NoRandomness(String),
    #[error("the store was created, but its backup schedule has no target: {0}")]
    Backups(String),
    #[error("the store was created, but its SMTP password was not copied: {0}")]
    Mail(String),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// An object of the store that exists already, with its metadata as the server has it.
pub(super) struct Present<'a> {
    pub manifest: &'a Manifest,
    pub meta: ObjectMeta,
}

/// Whether the store may be created (or completed) over the objects `present`: every
/// one storectl's, not being deleted, not all there already, and the credentials kept
/// while its volumes exist. Whether the Secret is kept.
pub(super) fn may_create(
    layout: &StoreLayout,
    manifests: &[Manifest],
    present: &[Present],
) -> Result<bool, CreateError> {
    for p in present {
        match owner(&p.meta, layout, true) {
            Owner::Foreign(manager) => {
                return Err(CreateError::NotOurs {
                    object: p.manifest.reference(),
                    manager,
                });
            }
            // Its own passwords live elsewhere: completing it would mint new ones.
            Owner::OriginalPlatform => {
                return Err(CreateError::AlreadyExists {
                    name: layout.name().to_string(),
                    namespace: layout.namespace.clone(),
                    how: format!(
                        " (created by {}, not storectl: a store of the original platform)",
                        first_manager(&p.meta)
                    ),
                });
            }
            Owner::Storectl => {}
        }
    }
    if present.iter().any(|p| p.meta.deletion_timestamp.is_some()) {
        return Err(CreateError::BeingDeleted {
            name: layout.name().to_string(),
        });
    }
    // (A shared namespace is never "present": it belongs to no store.)
    let own = manifests
        .iter()
        .filter(|m| layout.owns_namespace || !matches!(m, Manifest::Namespace(_)))
        .count();
    if present.len() == own {
        return Err(CreateError::AlreadyExists {
            name: layout.name().to_string(),
            namespace: layout.namespace.clone(),
            how: String::new(),
        });
    }
    let is_present = |m: &Manifest| present.iter().any(|p| std::ptr::eq(p.manifest, m));
    let secret_kept = manifests
        .iter()
        .any(|m| matches!(m, Manifest::Secret(_)) && is_present(m));
    let volumes: Vec<&str> = present
        .iter()
        .filter(|p| matches!(p.manifest, Manifest::PersistentVolumeClaim(_)))
        .map(|p| p.manifest.name())
        .collect();
    if !secret_kept && !volumes.is_empty() {
        return Err(CreateError::CredentialsLost {
            secret: layout.secret(),
            volumes: volumes.join(", "),
        });
    }

    Ok(secret_kept)
}

/// The objects to apply, in waves: the namespace; the binding that lets storectl write in
/// it; then everything pods need; then what makes pods.
pub(super) fn waves<'a>(
    layout: &StoreLayout,
    manifests: &'a [Manifest],
    present: &[Present],
) -> [Vec<&'a Manifest>; 4] {
    let is_present = |m: &Manifest| present.iter().any(|p| std::ptr::eq(p.manifest, m));
    // What exists is re-applied (completing a half-made store), except the Secret, which
    // is never replaced, the setup Job, which ran (its template is immutable), and a
    // shared namespace, which belongs to no store.
    let keep_as_is = |m: &Manifest| match m {
        Manifest::Secret(_) | Manifest::Job(_) => true,
        Manifest::Namespace(_) => !layout.owns_namespace,
        _ => false,
    };
    let todo = manifests
        .iter()
        .filter(|m| !(is_present(m) && keep_as_is(m)));
    let (first, rest): (Vec<&Manifest>, Vec<&Manifest>) =
        todo.partition(|m| matches!(m, Manifest::Namespace(_)));
    // storectl's writes in the namespace come from this binding: it goes before them.
    let (binding, rest): (Vec<&Manifest>, Vec<&Manifest>) =
        rest.into_iter().partition(|m| m.is_writer_binding());
    let (last, middle): (Vec<&Manifest>, Vec<&Manifest>) = rest.into_iter().partition(|m| {
        matches!(
            m,
            Manifest::Deployment(_)
                | Manifest::RoleBinding(_)
                | Manifest::Job(_)
                | Manifest::CronJob(_)
                | Manifest::Ingress(_)
        )
    });
    [first, binding, middle, last]
}

/// Who created an object, as the API server recorded it.
fn first_manager(meta: &ObjectMeta) -> String {
    meta.managed_fields
        .iter()
        .flatten()
        .find_map(|f| f.manager.clone())
        .unwrap_or_else(|| "another tool".to_string())
}
