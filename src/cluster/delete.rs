//! Deleting a store: its own namespace (per-store mode), or every object labelled for it
//! in the shared namespace, in the original platform's order (ingress, deployments,
//! services, volumes, then secrets, the backup schedule, jobs, policies). Nothing is deleted unless every
//! object to go is storectl's own for the store or the original platform's: the check
//! reads the server's metadata first, and each delete names the uid that was checked (an
//! object replaced meanwhile by another of the same name is not deleted). Waiting
//! watches each object until it is gone.

use std::time::Duration;

use futures::future::try_join_all;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, Namespace, PersistentVolumeClaim, Pod, ResourceQuota, Secret, Service,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{DeleteParams, ListParams, PropagationPolicy};
use kube::runtime::{conditions, wait::await_condition};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;

use super::audit;
use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::layout::StoreLayout;
use crate::domain::ownership::{Owner, owner};

/// Why a store was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    #[error(
        "{object} is not storectl's (managed by {manager}); nothing was deleted: remove it yourself if it should go"
    )]
    NotOurs { object: String, manager: String },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// An object to wait for: its `Kind/name` and how to tell it is gone.
pub struct Pending {
    pub what: String,
    gone: futures::future::BoxFuture<'static, ()>,
}

/// Every object labelled for a store in the shared namespace, by kind (metadata only).
struct Labelled {
    ingresses: Vec<ObjectMeta>,
    deployments: Vec<ObjectMeta>,
    services: Vec<ObjectMeta>,
    claims: Vec<ObjectMeta>,
    secrets: Vec<ObjectMeta>,
    schedules: Vec<ObjectMeta>,
    jobs: Vec<ObjectMeta>,
    policies: Vec<ObjectMeta>,
    quotas: Vec<ObjectMeta>,
    limits: Vec<ObjectMeta>,
    maps: Vec<ObjectMeta>,
}

/// Refuses, as `delete` would, a store that has anything to go that is not storectl's
/// for it (or the original platform's), and deletes nothing: what must happen only if
/// the delete goes ahead (forgetting the backups) is done after this passed. `delete`
/// checks again, for what changed meanwhile.
pub async fn check(
    conn: &Connection,
    layout: &StoreLayout,
    known: &[String],
) -> Result<(), DeleteError> {
    if layout.owns_namespace {
        owned_namespace(conn, layout).await.map(|_| ())
    } else {
        checked_objects(conn, layout, known).await.map(|_| ())
    }
}

/// Deletes the store of `layout` (built with `StoreLayout::found`); `known` are the
/// `Kind/name`s its layout gives it. Returns what is still going away. Who deleted it is
/// recorded in the platform namespace `platform` (the store's own may go with it).
pub async fn delete(
    conn: &Connection,
    layout: &StoreLayout,
    known: &[String],
    platform: &str,
) -> Result<Vec<Pending>, DeleteError> {
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    let pending = if layout.owns_namespace {
        delete_namespace(conn, layout, &params).await?
    } else {
        delete_labelled(conn, layout, known, &params).await?
    };
    audit::record_in_platform(conn, platform, layout, audit::Change::Deleted, "").await;
    Ok(pending)
}

/// Shared mode: the store's labelled objects, checked as a whole first.
async fn delete_labelled(
    conn: &Connection,
    layout: &StoreLayout,
    known: &[String],
    params: &DeleteParams,
) -> Result<Vec<Pending>, DeleteError> {
    let ns = layout.namespace.as_str();
    let o = checked_objects(conn, layout, known).await?;
    // In the original platform's order.
    let mut pending = Vec::new();
    pending.extend(delete_all::<Ingress>(conn, ns, &o.ingresses, params).await?);
    pending.extend(delete_all::<Deployment>(conn, ns, &o.deployments, params).await?);
    pending.extend(delete_all::<Service>(conn, ns, &o.services, params).await?);
    pending.extend(delete_all::<PersistentVolumeClaim>(conn, ns, &o.claims, params).await?);
    pending.extend(delete_all::<Secret>(conn, ns, &o.secrets, params).await?);
    pending.extend(delete_all::<CronJob>(conn, ns, &o.schedules, params).await?);
    pending.extend(delete_all::<Job>(conn, ns, &o.jobs, params).await?);
    pending.extend(delete_all::<NetworkPolicy>(conn, ns, &o.policies, params).await?);
    pending.extend(delete_all::<ResourceQuota>(conn, ns, &o.quotas, params).await?);
    pending.extend(delete_all::<LimitRange>(conn, ns, &o.limits, params).await?);
    pending.extend(delete_all::<ConfigMap>(conn, ns, &o.maps, params).await?);
    // Pods go with their owners; wait for them too, so nothing labelled remains.
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), ns);
    let list = pods
        .list_metadata(&ListParams::default().labels(&layout.store_selector()))
        .await
        .map_err(conn.error("listing the store's pods"))?;
    pending.extend(list.items.iter().map(|p| pending_for(&pods, &p.metadata)));
    Ok(pending)
}

/// Shared mode: everything labelled for the store, checked as a whole: one foreign
/// object refuses the delete before anything is gone.
async fn checked_objects(
    conn: &Connection,
    layout: &StoreLayout,
    known: &[String],
) -> Result<Labelled, DeleteError> {
    let ns = layout.namespace.as_str();
    let selector = layout.store_selector();
    let (
        ingresses,
        deployments,
        services,
        claims,
        secrets,
        schedules,
        jobs,
        policies,
        quotas,
        limits,
        maps,
    ) = futures::join!(
        listed::<Ingress>(conn, ns, &selector),
        listed::<Deployment>(conn, ns, &selector),
        listed::<Service>(conn, ns, &selector),
        listed::<PersistentVolumeClaim>(conn, ns, &selector),
        listed::<Secret>(conn, ns, &selector),
        listed::<CronJob>(conn, ns, &selector),
        listed::<Job>(conn, ns, &selector),
        listed::<NetworkPolicy>(conn, ns, &selector),
        listed::<ResourceQuota>(conn, ns, &selector),
        listed::<LimitRange>(conn, ns, &selector),
        listed::<ConfigMap>(conn, ns, &selector),
    );
    let o = Labelled {
        ingresses: ingresses?,
        deployments: deployments?,
        services: services?,
        claims: claims?,
        secrets: secrets?,
        schedules: schedules?,
        jobs: jobs?,
        policies: policies?,
        quotas: quotas?,
        limits: limits?,
        maps: maps?,
    };
    let everything = [
        ("Ingress", &o.ingresses),
        ("Deployment", &o.deployments),
        ("Service", &o.services),
        ("PersistentVolumeClaim", &o.claims),
        ("Secret", &o.secrets),
        ("CronJob", &o.schedules),
        ("Job", &o.jobs),
        ("NetworkPolicy", &o.policies),
        ("ResourceQuota", &o.quotas),
        ("LimitRange", &o.limits),
        ("ConfigMap", &o.maps),
    ];
    for (kind, objects) in everything {
        for object in objects {
            let reference = format!("{kind}/{}", name_of(object));
            if let Owner::Foreign(manager) = owner(object, layout, known.contains(&reference)) {
                return Err(DeleteError::NotOurs {
                    object: reference,
                    manager,
                });
            }
        }
    }
    Ok(o)
}

/// Per-store mode: the store's namespace (its metadata), if it exists and is the store's.
async fn owned_namespace(
    conn: &Connection,
    layout: &StoreLayout,
) -> Result<Option<ObjectMeta>, DeleteError> {
    let api: Api<Namespace> = Api::all(conn.client.clone());
    let name = layout.namespace.as_str();
    let Some(ns) = api
        .get_metadata_opt(name)
        .await
        .map_err(conn.error(&format!("reading namespace {name}")))?
    else {
        return Ok(None);
    };
    if let Owner::Foreign(manager) = owner(&ns.metadata, layout, true) {
        return Err(DeleteError::NotOurs {
            object: format!("Namespace/{name}"),
            manager,
        });
    }
    Ok(Some(ns.metadata))
}

/// Per-store mode: the namespace goes, with everything in it, if it is the store's.
async fn delete_namespace(
    conn: &Connection,
    layout: &StoreLayout,
    params: &DeleteParams,
) -> Result<Vec<Pending>, DeleteError> {
    let Some(ns) = owned_namespace(conn, layout).await? else {
        return Ok(Vec::new());
    };
    let api: Api<Namespace> = Api::all(conn.client.clone());
    let name = layout.namespace.as_str();
    let pending = pending_for(&api, &ns);
    // Only this exact namespace: a namespace re-created meanwhile has another uid.
    match api.delete(name, &only_this(&ns, params)).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => return Err(conn.error(&format!("deleting namespace {name}"))(e).into()),
    }
    Ok(vec![pending])
}

/// Waits until every pending object is gone, or `timeout` passes (returns what remains).
/// A watch that fails is started again until the deadline.
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

/// The metadata of one kind's objects labelled for the store.
async fn listed<K>(
    conn: &Connection,
    ns: &str,
    selector: &str,
) -> Result<Vec<ObjectMeta>, ClusterError>
where
    K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(conn.client.clone(), ns);
    let plural = K::plural(&K::DynamicType::default()).to_string();
    let list = api
        .list_metadata(&ListParams::default().labels(selector))
        .await
        .map_err(conn.error(&format!("listing {plural}")))?;
    Ok(list.items.into_iter().map(|o| o.metadata).collect())
}

/// Deletes the listed objects of one kind at once; returns them to wait for.
async fn delete_all<K>(
    conn: &Connection,
    ns: &str,
    objects: &[ObjectMeta],
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
    let plural = K::plural(&K::DynamicType::default()).to_string();
    let deletions = objects.iter().map(|meta| {
        let (api, name) = (api.clone(), name_of(meta).to_string());
        let action = format!("deleting {plural} {name}");
        let params = only_this(meta, params);
        async move {
            match api.delete(&name, &params).await {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
                Err(e) => Err(conn.error(&action)(e)),
            }
        }
    });
    try_join_all(deletions).await?;
    Ok(objects.iter().map(|meta| pending_for(&api, meta)).collect())
}

/// `params` for the object of `meta` alone: the API server refuses (409) if the object
/// of that name now has another uid, i.e. was replaced since it was checked.
fn only_this(meta: &ObjectMeta, params: &DeleteParams) -> DeleteParams {
    DeleteParams {
        preconditions: meta.uid.clone().map(|uid| kube::api::Preconditions {
            uid: Some(uid),
            resource_version: None,
        }),
        ..params.clone()
    }
}

fn name_of(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

/// A future that resolves once the object of `meta` (this uid) is gone. A watch that
/// fails is retried after a pause: only a watch that saw the deletion resolves it.
fn pending_for<K>(api: &Api<K>, meta: &ObjectMeta) -> Pending
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Default,
{
    let kind = K::kind(&K::DynamicType::default()).to_string();
    let name = name_of(meta).to_string();
    let uid = meta.uid.clone().unwrap_or_default();
    let api = api.clone();
    let what = format!("{kind}/{name}");
    let gone = Box::pin(async move {
        while let Err(e) = await_condition(api.clone(), &name, conditions::is_deleted(&uid)).await {
            tracing::warn!("waiting for {name} to go: {e}; watching again");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    Pending { what, gone }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_delete_names_the_uid_that_was_checked() {
        let meta = ObjectMeta {
            name: Some("shop-wordpress".to_string()),
            uid: Some("3f1c-checked".to_string()),
            ..ObjectMeta::default()
        };
        let params = only_this(&meta, &DeleteParams::background());
        let uid = params.preconditions.as_ref().and_then(|p| p.uid.as_deref());
        assert_eq!(uid, Some("3f1c-checked"));
        assert_eq!(
            params.propagation_policy,
            Some(PropagationPolicy::Background),
            "the caller's parameters are kept"
        );
    }
}
