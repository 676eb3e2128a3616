//! Pausing a store: its WordPress and MySQL Deployments scaled to zero and labelled
//! paused, every volume and secret kept; resuming scales them back to one. Only the
//! store's own Deployments (storectl's mark, or the original platform's layout) are
//! touched: both are checked before either is changed. A restore stops WordPress alone
//! and marks it held for the restore until it starts it again.

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::audit;
use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::labels::{PAUSED_LABEL, RESTORING_LABEL};
use crate::domain::layout::{Component, StoreLayout};
use crate::domain::ownership::{Owner, owner};

/// The field manager of the paused label and the replica count (kept apart from
/// `storectl`'s, whose apply owns the rest of each Deployment).
pub const PAUSE_MANAGER: &str = "storectl-pause";

/// WordPress stops before the database it writes to, and starts after it.
const STOP_ORDER: [Component; 2] = [Component::WordPress, Component::MySql];

#[derive(Debug, thiserror::Error)]
pub enum PauseError {
    #[error("Deployment/{name} is not storectl's (managed by {manager}); nothing was changed")]
    NotOurs { name: String, manager: String },
    #[error("store '{store}' has no Deployment {name}: nothing to scale")]
    Missing { store: String, name: String },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// Scales the store to zero (`paused`) or back to one replica per Deployment.
pub async fn set_paused(
    conn: &Connection,
    layout: &StoreLayout,
    paused: bool,
) -> Result<(), PauseError> {
    let api: Api<Deployment> = Api::namespaced(conn.client.clone(), &layout.namespace);
    // Every Deployment is checked before any is changed.
    let mut checked = Vec::new();
    for component in STOP_ORDER {
        checked.push(checked_deployment(conn, &api, layout, component).await?);
    }
    if !paused {
        checked.reverse();
    }
    // Resuming also ends a restore's hold on WordPress.
    for name in checked {
        scale(conn, &api, &name, i32::from(!paused), paused, None).await?;
    }
    let change = if paused {
        audit::Change::Paused
    } else {
        audit::Change::Resumed
    };
    audit::record(conn, layout, change, "").await;
    Ok(())
}

/// Stops the store's WordPress alone for a restore of backup `id` (MySQL keeps running),
/// marked as held by it; only storectl's own Deployment is touched.
pub async fn hold_wordpress(
    conn: &Connection,
    layout: &StoreLayout,
    id: &str,
) -> Result<(), PauseError> {
    let api: Api<Deployment> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let name = checked_deployment(conn, &api, layout, Component::WordPress).await?;
    scale(conn, &api, &name, 0, false, Some(id)).await
}

/// Starts the store's WordPress again after a restore, the hold removed.
pub async fn release_wordpress(conn: &Connection, layout: &StoreLayout) -> Result<(), PauseError> {
    let api: Api<Deployment> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let name = checked_deployment(conn, &api, layout, Component::WordPress).await?;
    scale(conn, &api, &name, 1, false, None).await
}

/// The name of the store's Deployment of `component`, once it is found to exist and
/// to be storectl's (or the original platform's).
async fn checked_deployment(
    conn: &Connection,
    api: &Api<Deployment>,
    layout: &StoreLayout,
    component: Component,
) -> Result<String, PauseError> {
    let name = layout.workload(component);
    let deployment = api
        .get_opt(&name)
        .await
        .map_err(conn.error(&format!("reading deployment {name}")))?
        .ok_or_else(|| PauseError::Missing {
            store: layout.name().to_string(),
            name: name.clone(),
        })?;
    if let Owner::Foreign(manager) = owner(&deployment.metadata, layout, true) {
        return Err(PauseError::NotOurs { name, manager });
    }
    Ok(name)
}

/// Sets the replicas, the paused label and the restore's hold label (each removed when
/// not asked for) with the pause manager.
async fn scale(
    conn: &Connection,
    api: &Api<Deployment>,
    name: &str,
    replicas: i32,
    paused: bool,
    restoring: Option<&str>,
) -> Result<(), PauseError> {
    // Applying without a label removes it: this manager owns them alone.
    let mut labels = serde_json::Map::new();
    if paused {
        labels.insert(PAUSED_LABEL.to_string(), json!("true"));
    }
    if let Some(id) = restoring {
        labels.insert(RESTORING_LABEL.to_string(), json!(id));
    }
    let patch = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "labels": labels },
        "spec": { "replicas": replicas },
    });
    let params = PatchParams::apply(PAUSE_MANAGER).force();
    api.patch(name, &params, &Patch::Apply(&patch))
        .await
        .map_err(conn.error(&format!("scaling deployment {name}")))?;
    Ok(())
}
