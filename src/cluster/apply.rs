//! Creating a store: server-side apply (field manager `storectl`) of its rendered objects
//! in dependency waves. The credentials Secret is created once and never regenerated; a
//! half-made store is completed; a complete or foreign store is refused.

use std::collections::BTreeMap;

use futures::future::try_join_all;
use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::layout::{Component, StoreLayout};
use crate::domain::manifests::Manifest;

pub const FIELD_MANAGER: &str = "storectl";

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
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// What `create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// Objects that already existed (a half-made store being completed).
    pub already_present: usize,
    pub applied: usize,
    /// Whether an existing Secret was kept rather than created.
    pub kept_secret: bool,
}

/// Applies every object of the store (rendered by `domain::manifests::render`).
pub async fn create(
    conn: &Connection,
    layout: &StoreLayout,
    manifests: &[Manifest],
) -> Result<Created, CreateError> {
    let present = present_objects(conn, layout, manifests).await?;
    let own_objects = manifests
        .iter()
        .filter(|m| layout.owns_namespace || !matches!(m, Manifest::Namespace(_)))
        .count();
    if present.len() == own_objects {
        return Err(CreateError::AlreadyExists {
            name: layout.name().to_string(),
            namespace: layout.namespace.clone(),
            how: String::new(),
        });
    }
    // Only an existing WordPress Deployment can be foreign: a new store skips the read.
    let wordpress = format!("Deployment/{}", layout.workload(Component::WordPress));
    let foreign = if present.contains(&wordpress) {
        foreign_wordpress(conn, layout).await?
    } else {
        None
    };
    if let Some(foreign) = foreign {
        return Err(CreateError::AlreadyExists {
            name: layout.name().to_string(),
            namespace: layout.namespace.clone(),
            how: format!(" (created by {foreign}, not storectl)"),
        });
    }

    // Waves: the namespace; then everything pods need; then what makes pods.
    let (first, rest): (Vec<&Manifest>, Vec<&Manifest>) = manifests
        .iter()
        .partition(|m| matches!(m, Manifest::Namespace(_)));
    let (last, middle): (Vec<&Manifest>, Vec<&Manifest>) = rest.into_iter().partition(|m| {
        matches!(
            m,
            Manifest::Deployment(_) | Manifest::Job(_) | Manifest::Ingress(_)
        )
    });
    let mut kept_secret = false;
    for wave in [first, middle, last] {
        let results = try_join_all(wave.into_iter().map(|m| apply_one(conn, m, &present))).await?;
        kept_secret |= results.into_iter().any(|kept| kept);
    }
    Ok(Created {
        already_present: present.len(),
        applied: manifests.len(),
        kept_secret,
    })
}

/// `Kind/name` of every rendered object that exists already.
async fn present_objects(
    conn: &Connection,
    layout: &StoreLayout,
    manifests: &[Manifest],
) -> Result<Vec<String>, CreateError> {
    let namespaces: Api<Namespace> = Api::all(conn.client.clone());
    let ns = namespaces
        .get_opt(&layout.namespace)
        .await
        .map_err(conn.error("reading the store's namespace"))?;
    if layout.owns_namespace
        && ns
            .as_ref()
            .is_some_and(|n| n.metadata.deletion_timestamp.is_some())
    {
        return Err(CreateError::BeingDeleted {
            name: layout.name().to_string(),
        });
    }
    let namespace_exists = ns.is_some();
    let checks = manifests.iter().map(|m| async move {
        let exists = match m {
            // The shared namespace belongs to no store: it never makes one "present".
            Manifest::Namespace(_) => Ok(namespace_exists && layout.owns_namespace),
            _ if !namespace_exists => Ok(false),
            Manifest::ResourceQuota(o) => exists(conn, o).await,
            Manifest::LimitRange(o) => exists(conn, o).await,
            Manifest::NetworkPolicy(o) => exists(conn, o).await,
            Manifest::Secret(o) => exists(conn, o).await,
            Manifest::PersistentVolumeClaim(o) => exists(conn, o).await,
            Manifest::Service(o) => exists(conn, o).await,
            Manifest::Deployment(o) => exists(conn, o).await,
            Manifest::Job(o) => exists(conn, o).await,
            Manifest::Ingress(o) => exists(conn, o).await,
        };
        exists.map(|e| e.then(|| m.reference()))
    });
    Ok(try_join_all(checks).await?.into_iter().flatten().collect())
}

async fn exists<K>(conn: &Connection, object: &K) -> Result<bool, ClusterError>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let meta = object.meta();
    let api: Api<K> = Api::namespaced(
        conn.client.clone(),
        meta.namespace.as_deref().unwrap_or_default(),
    );
    let name = meta.name.clone().unwrap_or_default();
    let found = api
        .get_metadata_opt(&name)
        .await
        .map_err(conn.error(&format!("reading {name}")))?;
    Ok(found.is_some())
}

/// The field manager of a WordPress Deployment that storectl did not apply, if any.
async fn foreign_wordpress(
    conn: &Connection,
    layout: &StoreLayout,
) -> Result<Option<String>, ClusterError> {
    let api: Api<Deployment> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let name = layout.workload(Component::WordPress);
    let Some(d) = api
        .get_opt(&name)
        .await
        .map_err(conn.error(&format!("reading deployment {name}")))?
    else {
        return Ok(None);
    };
    let managers: Vec<String> = d
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|f| f.manager.clone())
        .collect();
    if managers.iter().any(|m| m == FIELD_MANAGER) {
        Ok(None)
    } else {
        Ok(Some(
            managers
                .first()
                .cloned()
                .unwrap_or_else(|| "another tool".to_string()),
        ))
    }
}

/// Applies one object; returns true when it was an existing Secret that was kept.
async fn apply_one(
    conn: &Connection,
    manifest: &Manifest,
    present: &[String],
) -> Result<bool, ClusterError> {
    match manifest {
        Manifest::Namespace(o) => ssa(conn, Api::all(conn.client.clone()), o).await,
        Manifest::ResourceQuota(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::LimitRange(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::NetworkPolicy(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Secret(_) if present.contains(&manifest.reference()) => return Ok(true),
        Manifest::Secret(o) => create_secret(conn, o).await,
        Manifest::PersistentVolumeClaim(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Service(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Deployment(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Job(o) => ssa(conn, namespaced(conn, o), o).await,
        Manifest::Ingress(o) => ssa(conn, namespaced(conn, o), o).await,
    }?;
    Ok(false)
}

fn namespaced<K>(conn: &Connection, object: &K) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    Api::namespaced(
        conn.client.clone(),
        object.meta().namespace.as_deref().unwrap_or_default(),
    )
}

async fn ssa<K>(conn: &Connection, api: Api<K>, object: &K) -> Result<(), ClusterError>
where
    K: Resource + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
{
    let name = object.meta().name.clone().unwrap_or_default();
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch(&name, &params, &Patch::Apply(object))
        .await
        .map_err(conn.error(&format!("applying {name}")))?;
    Ok(())
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
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PostParams::default()
    };
    match api.create(&params, &secret).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(e) => Err(conn.error(&format!("creating secret {name}"))(e)),
    }
}
