//! Deleting a store: its own namespace (per-store mode), or every object labelled for it
//! in the shared namespace, in the original platform's order (ingress, deployments,
//! services, volumes, then secrets, jobs, policies). Waiting watches each object go away.

use std::time::Duration;

use futures::future::try_join_all;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, Namespace, PersistentVolumeClaim, Pod, ResourceQuota, Secret, Service,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use kube::api::{DeleteParams, ListParams, PropagationPolicy};
use kube::runtime::{conditions, wait::await_condition};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;

use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::layout::{LABEL_APP, STORE_SELECTOR};
use crate::domain::status::StoreObjects;

/// An object to wait for: (description, uid, a future that resolves once it is gone).
pub struct Pending {
    pub what: String,
    gone: futures::future::BoxFuture<'static, ()>,
}

/// Deletes `store`; returns what is still going away (to wait on with `wait_gone`).
pub async fn delete(conn: &Connection, store: &StoreObjects) -> Result<Vec<Pending>, ClusterError> {
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    if let Some(ns) = &store.namespace {
        let api: Api<Namespace> = Api::all(conn.client.clone());
        let name = ns.name_any();
        let pending = pending_for(&api, ns);
        match api.delete(&name, &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(conn.error(&format!("deleting namespace {name}"))(e)),
        }
        return Ok(vec![pending]);
    }
    let ns = store.namespace_name.as_str();
    let selector = format!("{LABEL_APP}={},{STORE_SELECTOR}", store.name);
    let mut pending = Vec::new();
    pending.extend(delete_all::<Ingress>(conn, ns, &selector, &params).await?);
    pending.extend(delete_all::<Deployment>(conn, ns, &selector, &params).await?);
    pending.extend(delete_all::<Service>(conn, ns, &selector, &params).await?);
    pending.extend(delete_all::<PersistentVolumeClaim>(conn, ns, &selector, &params).await?);
    pending.extend(delete_all::<Secret>(conn, ns, &selector, &params).await?);
    pending.extend(delete_all::<Job>(conn, ns, &selector, &params).await?);
    pending.extend(delete_all::<NetworkPolicy>(conn, ns, &selector, &params).await?);
    pending.extend(delete_all::<ResourceQuota>(conn, ns, &selector, &params).await?);
    pending.extend(delete_all::<LimitRange>(conn, ns, &selector, &params).await?);
    pending.extend(delete_all::<ConfigMap>(conn, ns, &selector, &params).await?);
    // Pods go with their owners; wait for them too, so nothing labelled remains.
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), ns);
    let list = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(conn.error("listing the store's pods"))?;
    pending.extend(list.items.iter().map(|p| pending_for(&pods, p)));
    Ok(pending)
}

/// Waits until every pending object is gone, or `timeout` passes (returns what remains).
pub async fn wait_gone(pending: Vec<Pending>, timeout: Duration) -> Vec<String> {
    let mut remaining = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    for p in pending {
        if tokio::time::timeout_at(deadline, p.gone).await.is_err() {
            remaining.push(p.what);
        }
    }
    remaining
}

async fn delete_all<K>(
    conn: &Connection,
    ns: &str,
    selector: &str,
    params: &DeleteParams,
) -> Result<Vec<Pending>, ClusterError>
where
    K: Resource<Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(conn.client.clone(), ns);
    let kind = K::plural(&K::DynamicType::default()).to_string();
    let list = api
        .list(&ListParams::default().labels(selector))
        .await
        .map_err(conn.error(&format!("listing {kind}")))?;
    let deletions = list.items.iter().map(|o| {
        let api = api.clone();
        let name = o.name_any();
        let action = format!("deleting {kind} {name}");
        async move {
            match api.delete(&name, params).await {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
                Err(e) => Err(conn.error(&action)(e)),
            }
        }
    });
    try_join_all(deletions).await?;
    Ok(list.items.iter().map(|o| pending_for(&api, o)).collect())
}

fn pending_for<K>(api: &Api<K>, object: &K) -> Pending
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Default,
{
    let kind = K::kind(&K::DynamicType::default()).to_string();
    let name = object.name_any();
    let uid = object.uid().unwrap_or_default();
    let api = api.clone();
    let what = format!("{kind}/{name}");
    let gone = Box::pin(async move {
        let _ = await_condition(api, &name, conditions::is_deleted(&uid)).await;
    });
    Pending { what, gone }
}
