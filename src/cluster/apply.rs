//! Creating a store: server-side apply (field manager `storectl`) of its rendered objects
//! in dependency waves. Only objects that are storectl's own for the store (or the
//! original platform's) are touched; the credentials Secret is created once and never
//! minted again while the store's volumes exist; a half-made store is completed; a
//! complete store, a name taken in the other layout or a foreign object is refused.

use std::collections::BTreeMap;

use futures::future::try_join_all;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::audit;
use super::connect::Connection;
pub use super::creation::CreateError;
use super::creation::{Present, may_create, waves};
use super::error::ClusterError;
use super::objects::{FIELD_MANAGER, create_params, namespaced, retrying_quota_conflicts};
use super::revisions;
use super::snapshot;
use crate::domain::config::Config;
use crate::domain::credentials::Credentials;
use crate::domain::layout::StoreLayout;
use crate::domain::manifests::{self, Manifest, STORE_WRITER};

/// What `create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// Objects that already existed (a half-made store being completed).
    pub already_present: usize,
    pub applied: usize,
    /// Whether an existing Secret was kept rather than created.
    pub kept_secret: bool,
    /// Whether this create made the namespace (so nothing else is in it yet).
    pub made_namespace: bool,
}

/// What `create_store` did, and the objects it rendered.
#[derive(Debug, Clone)]
pub struct StoreCreated {
    pub created: Created,
    pub objects: Vec<Manifest>,
}

/// Creates the store of `layout` as `config` renders it, with fresh credentials (kept
/// only if no Secret exists yet). Returns what was done and the rendered objects.
pub async fn create_store(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
) -> Result<StoreCreated, CreateError> {
    let credentials =
        Credentials::generate().map_err(|e| CreateError::NoRandomness(e.to_string()))?;
    let objects = manifests::render(layout, config, &credentials);
    let created = create(conn, layout, &config.stores.shared_namespace, &objects).await?;
    // The store's objects are all there: its event is recorded meanwhile.
    let (done, ()) = futures::join!(
        record(conn, layout, config, created.made_namespace),
        audit::record(conn, layout, audit::Change::Created, "")
    );
    done?;
    Ok(StoreCreated { created, objects })
}

/// The first revision, the mail password and the backup target: what a store needs
/// beside its objects. In a namespace this create made, no revision can be there yet.
async fn record(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    made_namespace: bool,
) -> Result<(), CreateError> {
    revisions::record_first(conn, layout, config, made_namespace).await?;
    super::mail::copy_password(conn, layout, config)
        .await
        .map_err(|e| CreateError::Mail(e.to_string()))?;
    if !config.backup.schedule.is_empty() {
        // The schedule's Jobs need the target and its credentials in the namespace.
        super::backups::prepare_target(conn, layout, config)
            .await
            .map_err(|e| CreateError::Backups(e.to_string()))?;
    }
    Ok(())
}

/// Applies every object of the store (rendered by `domain::manifests::render`), after
/// checking that everything already there is storectl's (or the original platform's)
/// for this store, and that the store's name is not taken elsewhere.
pub async fn create(
    conn: &Connection,
    layout: &StoreLayout,
    shared_namespace: &str,
    manifests: &[Manifest],
) -> Result<Created, CreateError> {
    // Who acts is asked meanwhile: the revision names them.
    let (elsewhere, present, _) = futures::join!(
        namespace_elsewhere(conn, layout, shared_namespace),
        present_objects(conn, layout, manifests),
        conn.actor()
    );
    if let Some(namespace) = elsewhere? {
        return Err(CreateError::AlreadyExists {
            name: layout.name().to_string(),
            namespace,
            how: " (store names are unique across per-store namespaces and the shared namespace, and so are hosts)".to_string(),
        });
    }
    let present = present?;
    let secret_kept = may_create(layout, manifests, &present)?;
    let mut made_namespace = false;
    for wave in waves(layout, manifests, &present) {
        let made = try_join_all(wave.into_iter().map(|m| async move {
            match m {
                Manifest::Namespace(o) => apply_namespace(conn, o).await,
                _ => apply_one(conn, m).await.map(|()| false),
            }
        }))
        .await?;
        made_namespace |= made.contains(&true);
    }
    Ok(Created {
        already_present: present.len(),
        applied: manifests.len(),
        kept_secret: secret_kept,
        made_namespace,
    })
}

/// The namespace of another store of the same name (either layout), if there is one.
async fn namespace_elsewhere(
    conn: &Connection,
    layout: &StoreLayout,
    shared_namespace: &str,
) -> Result<Option<String>, CreateError> {
    let seen = snapshot::store_makers(conn, &layout.store_selector(), shared_namespace)
        .await?
        .complete()?;
    Ok(seen
        .stores(shared_namespace)
        .into_iter()
        .find(|s| s.name == layout.name() && s.namespace_name != layout.namespace)
        .map(|s| s.namespace_name))
}

/// Every rendered object that exists already, with its metadata. The shared namespace
/// belongs to no store: it is listed only when it is going away.
pub(super) async fn present_objects<'a>(
    conn: &Connection,
    layout: &StoreLayout,
    manifests: &'a [Manifest],
) -> Result<Vec<Present<'a>>, CreateError> {
    let namespaces: Api<Namespace> = Api::all(conn.client.clone());
    let ns = namespaces
        .get_metadata_opt(&layout.namespace)
        .await
        .map_err(conn.error("reading the store's namespace"))?;
    let Some(ns) = ns else {
        return Ok(Vec::new());
    };
    if !layout.owns_namespace && ns.metadata.deletion_timestamp.is_some() {
        return Err(CreateError::BeingDeleted {
            name: layout.name().to_string(),
        });
    }
    let ns_meta = ns.metadata;
    let checks = manifests.iter().map(|m| {
        let ns_meta = &ns_meta;
        async move {
            let meta = match m {
                Manifest::Namespace(_) if layout.owns_namespace => Ok(Some(ns_meta.clone())),
                Manifest::Namespace(_) => Ok(None),
                Manifest::RoleBinding(o) => metadata(conn, o).await,
                Manifest::Role(o) => metadata(conn, o).await,
                Manifest::Lease(o) => metadata(conn, o).await,
                Manifest::ResourceQuota(o) => metadata(conn, o).await,
                Manifest::LimitRange(o) => metadata(conn, o).await,
                Manifest::NetworkPolicy(o) => metadata(conn, o).await,
                Manifest::Secret(o) => metadata(conn, o).await,
                Manifest::ConfigMap(o) => metadata(conn, o).await,
                Manifest::PersistentVolumeClaim(o) => metadata(conn, o).await,
                Manifest::Service(o) => metadata(conn, o).await,
                Manifest::Deployment(o) => metadata(conn, o).await,
                Manifest::Job(o) => metadata(conn, o).await,
                Manifest::CronJob(o) => metadata(conn, &**o).await,
                Manifest::Ingress(o) => metadata(conn, o).await,
            };
            meta.map(|found| found.map(|meta| Present { manifest: m, meta }))
        }
    });
    Ok(try_join_all(checks).await?.into_iter().flatten().collect())
}

/// The server's metadata of the object named like `object`, if it exists.
async fn metadata<K>(conn: &Connection, object: &K) -> Result<Option<ObjectMeta>, ClusterError>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let name = object.meta().name.clone().unwrap_or_default();
    let found = namespaced(conn, object)
        .get_metadata_opt(&name)
        .await
        .map_err(conn.error(&format!("reading {name}")))?;
    Ok(found.map(|o| o.metadata))
}

/// Applies one object (a Secret is created, never patched).
pub(super) async fn apply_one(conn: &Connection, manifest: &Manifest) -> Result<(), ClusterError> {
    match manifest {
        Manifest::Namespace(o) => apply_namespace(conn, o).await.map(|_| ()),
        Manifest::RoleBinding(o) if o.metadata.name.as_deref() == Some(STORE_WRITER) => {
            super::access::apply_binding(conn, o).await
        }
        Manifest::RoleBinding(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Role(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Lease(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::ResourceQuota(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::LimitRange(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::NetworkPolicy(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Secret(o) => create_secret(conn, o).await,
        Manifest::ConfigMap(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::PersistentVolumeClaim(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Service(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Deployment(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Job(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::CronJob(o) => ssa(conn, namespaced(conn, &**o), &**o).await,
        Manifest::Ingress(o) => ssa(conn, namespaced(conn, o), o).await,
    }
}

/// Deletes one of the store's objects (already gone is fine).
pub(super) async fn delete_one(conn: &Connection, manifest: &Manifest) -> Result<(), ClusterError> {
    match manifest {
        Manifest::Namespace(o) => remove(conn, Api::all(conn.client.clone()), o).await,
        Manifest::RoleBinding(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::Role(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::Lease(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::ResourceQuota(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::LimitRange(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::NetworkPolicy(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::Secret(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::ConfigMap(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::PersistentVolumeClaim(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::Service(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::Deployment(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::Job(o) => remove(conn, namespaced(conn, o), o).await,
        Manifest::CronJob(o) => remove(conn, namespaced(conn, &**o), &**o).await,
        Manifest::Ingress(o) => remove(conn, namespaced(conn, o), o).await,
    }
}

async fn remove<K>(conn: &Connection, api: Api<K>, object: &K) -> Result<(), ClusterError>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let name = object.meta().name.clone().unwrap_or_default();
    match api.delete(&name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(conn.error(&format!("deleting {name}"))(e)),
    }
}

async fn ssa<K>(conn: &Connection, api: Api<K>, object: &K) -> Result<(), ClusterError>
where
    K: Resource + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
{
    let name = object.meta().name.clone().unwrap_or_default();
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let patch = Patch::Apply(object);
    retrying_quota_conflicts(|| api.patch(&name, &params, &patch))
        .await
        .map_err(conn.error(&format!("applying {name}")))?;
    Ok(())
}

/// Creates a namespace that is not there (storectl may create namespaces, not patch them
/// cluster-wide), else applies it (allowed by the binding in it). True when it made it.
async fn apply_namespace(conn: &Connection, namespace: &Namespace) -> Result<bool, ClusterError> {
    let api: Api<Namespace> = Api::all(conn.client.clone());
    let name = namespace.metadata.name.clone().unwrap_or_default();
    match api.create(&create_params(), namespace).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            ssa(conn, api, namespace).await.map(|()| false)
        }
        Err(e) => Err(conn.error(&format!("creating namespace {name}"))(e)),
    }
}

/// Creates the Secret with `data` (base64) rather than `stringData`; a concurrent create
/// that got there first wins, so values are never replaced.
async fn create_secret(conn: &Connection, secret: &Secret) -> Result<(), ClusterError> {
    let mut secret = secret.clone();
    let data: BTreeMap<String, ByteString> = secret
        .string_data
        .take()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, ByteString(v.into_bytes())))
        .collect();
    secret.data = Some(data);
    let api: Api<Secret> = namespaced(conn, &secret);
    let name = secret.metadata.name.clone().unwrap_or_default();
    let params = create_params();
    match retrying_quota_conflicts(|| api.create(&params, &secret)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.reason == "AlreadyExists" => Ok(()),
        Err(e) => Err(conn.error(&format!("creating secret {name}"))(e)),
    }
}
