//! An upgrade's volumes: they only grow, keep their storage class, and grow only where
//! the class allows expansion; said plainly before the API server would refuse it.

use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Api;
use kube::api::ListParams;

use super::connect::Connection;
use super::upgrade_error::UpgradeError;
use crate::domain::config::Quantity;
use crate::domain::diff::ObjectDiff;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::{Component, StoreLayout};
use crate::domain::upgrade::unknown_wordpress_mount;

/// The WordPress container's volume is mounted as one of the layouts storectl knows, so
/// the new mount (its wp-content folder) shows the store's own files.
pub(super) fn check_mounts(
    layout: &StoreLayout,
    changes: &[ObjectDiff],
) -> Result<(), UpgradeError> {
    let wordpress = format!("Deployment/{}", layout.workload(Component::WordPress));
    match unknown_wordpress_mount(changes, &wordpress) {
        None => Ok(()),
        Some(path) => Err(UpgradeError::UnknownWordPressMount {
            name: layout.name().to_string(),
            path,
        }),
    }
}

/// A volume that would grow.
pub(super) struct Growth {
    claim: String,
    /// Its size now and the size asked for.
    from: String,
    to: String,
    /// Its storage class (None: the default class).
    class: Option<String>,
}

/// Volumes only grow, and keep their storage class: said plainly before the API server
/// would refuse it. Returns the growth to check, if the volume grows.
pub(super) fn check_volume(
    store: &StoreObjects,
    wanted: &PersistentVolumeClaim,
) -> Result<Option<Growth>, UpgradeError> {
    let name = wanted.metadata.name.clone().unwrap_or_default();
    let Some(live) = store.claims.iter().find(|c| *c.meta.name == *name) else {
        return Ok(None);
    };
    let storage = |c: &PersistentVolumeClaim| {
        c.spec
            .as_ref()
            .and_then(|s| s.resources.as_ref())
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .map(|q| Quantity(q.0.clone()))
    };
    let live_storage = || live.storage.as_deref().map(|q| Quantity(q.to_string()));
    if let (Some(from), Some(to)) = (live_storage(), storage(wanted))
        && to.value() < from.value()
    {
        return Err(UpgradeError::VolumeShrinks {
            claim: name,
            from: from.0,
            to: to.0,
        });
    }
    let class =
        |c: &PersistentVolumeClaim| c.spec.as_ref().and_then(|s| s.storage_class_name.clone());
    let live_class = || live.storage_class.as_deref().map(str::to_string);
    if let (Some(from), Some(to)) = (live_class(), class(wanted))
        && from != to
    {
        return Err(UpgradeError::StorageClassChanges {
            claim: name,
            from,
            to,
        });
    }
    Ok(match (live_storage(), storage(wanted)) {
        (Some(from), Some(to)) if to.value() > from.value() => Some(Growth {
            claim: name,
            from: from.0,
            to: to.0,
            class: live_class(),
        }),
        _ => None,
    })
}

/// A volume grows only where its StorageClass allows expansion; a class that cannot be
/// read (storage classes are cluster-wide, often not readable) is left to the dry run.
pub(super) async fn check_expansion(conn: &Connection, growth: Growth) -> Result<(), UpgradeError> {
    let Growth {
        claim,
        from,
        to,
        class,
    } = growth;
    let classes: Api<StorageClass> = Api::all(conn.client.clone());
    let found = match &class {
        Some(name) => classes.get_opt(name).await.map(|c| c.into_iter().collect()),
        None => classes.list(&ListParams::default()).await.map(|l| {
            l.items
                .into_iter()
                .filter(|c| {
                    c.metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get("storageclass.kubernetes.io/is-default-class"))
                        .is_some_and(|v| v == "true")
                })
                .collect::<Vec<_>>()
        }),
    };
    let Ok(found) = found else {
        return Ok(());
    };
    let why = match found.first() {
        Some(c) if c.allow_volume_expansion == Some(true) => return Ok(()),
        Some(c) => format!(
            "its storage class {} does not allow volume expansion",
            c.metadata.name.as_deref().unwrap_or_default()
        ),
        None => match class {
            Some(name) => format!("its storage class {name} does not exist"),
            None => "it has no storage class that could expand it".to_string(),
        },
    };
    Err(UpgradeError::VolumeCannotGrow {
        claim,
        from,
        to,
        why,
    })
}
