//! Pausing a store: its WordPress and MySQL Deployments scaled to zero and labelled
//! paused, every volume and secret kept; resuming scales them back to one. Only the
//! store's own Deployments (storectl's mark, or the original platform's layout) are
//! touched: both are checked before either is changed.

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::layout::{Component, PAUSED_LABEL, StoreLayout};
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
    for name in checked {
        scale(conn, &api, &name, i32::from(!paused), paused).await?;
    }
    Ok(())
}

/// Stops (0) or starts (1) the store's WordPress alone, unlabelled: what a restore needs
/// (MySQL keeps running). Only storectl's own Deployment is touched.
pub async fn scale_wordpress(
    conn: &Connection,
    layout: &StoreLayout,
    replicas: i32,
) -> Result<(), PauseError> {
    let api: Api<Deployment> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let name = checked_deployment(conn, &api, layout, Component::WordPress).await?;
    scale(conn, &api, &name, replicas, false).await
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

/// Sets the replicas (and the paused label, or removes it) with the pause manager.
async fn scale(
    conn: &Connection,
    api: &Api<Deployment>,
    name: &str,
    replicas: i32,
    paused: bool,
) -> Result<(), PauseError> {
    // Applying without the label removes it: this manager owns it alone.
    let labels = if paused {
        json!({ PAUSED_LABEL: "true" })
    } else {
        json!({})
    };
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
