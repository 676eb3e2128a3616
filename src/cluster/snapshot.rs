//! One consistent look at every store: a LIST of each store kind, selected by the
//! platform's `managed-by` label, run concurrently and slimmed to what storectl reads.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::ListParams;

use super::connect::Connection;
use super::error::ClusterError;
use super::slim::{Slim, SlimKind};
use crate::domain::inventory::Inventory;

/// Lists the store objects matching `selector` (`STORE_SELECTOR` for every store).
pub async fn inventory(conn: &Connection, selector: &str) -> Result<Inventory, ClusterError> {
    // All six at once; errors are reported in this fixed order, so a refusal always
    // names the same resource.
    let (namespaces, deployments, jobs, claims, pods, ingresses) = futures::join!(
        list::<Namespace>(conn, selector),
        list::<Deployment>(conn, selector),
        list::<Job>(conn, selector),
        list::<PersistentVolumeClaim>(conn, selector),
        list::<Pod>(conn, selector),
        list::<Ingress>(conn, selector),
    );
    let (namespaces, deployments, jobs, claims, pods, ingresses) =
        (namespaces?, deployments?, jobs?, claims?, pods?, ingresses?);
    Ok(Inventory {
        namespaces,
        deployments,
        jobs,
        claims,
        pods,
        ingresses,
    })
}

async fn list<K>(conn: &Connection, selector: &str) -> Result<Vec<Arc<K>>, ClusterError>
where
    K: SlimKind,
{
    let api: Api<Slim<K>> = Api::all(conn.client.clone());
    let kind = K::plural(&()).to_string();
    let mut params = ListParams::default().labels(selector);
    if let Some(fields) = K::FIELD_SELECTOR {
        params = params.fields(fields);
    }
    let list = api
        .list(&params)
        .await
        .map_err(conn.error(&format!("listing {kind}")))?;
    Ok(list
        .items
        .into_iter()
        .map(|item| Arc::new(item.0))
        .collect())
}
