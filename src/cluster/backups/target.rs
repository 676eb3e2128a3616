//! The backup target made ready for a store's Jobs: the zero-set-up server in the
//! platform namespace, the store's own key and the network policies, each object applied
//! only where it is storectl's.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Patch, PatchParams};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::BackupError;
use super::owned::{create_if_absent, platform_owned};
use crate::cluster::connect::Connection;
use crate::cluster::objects::FIELD_MANAGER;
use crate::domain::config::{BackupTarget, Config};
use crate::domain::credentials::random_string;
use crate::domain::labels::{MARK_LABEL, MARK_VALUE};
use crate::domain::layout::StoreLayout;
use crate::domain::manifests::backup_target::{
    ACCESS_KEY_ID, SECRET_ACCESS_KEY, TARGET_SERVER, TargetServer, target_server,
};
use crate::domain::manifests::backups as objects;
use crate::domain::ownership::{Owner, owner};

/// Makes the target ready for the store's Jobs: the zero-set-up server (cluster target),
/// the store's own key (never the platform's) copied into the store's namespace, over
/// any copy an earlier version left there, and the network policies.
pub async fn prepare_target(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
) -> Result<(), BackupError> {
    if config.backup.target == BackupTarget::Cluster {
        ensure_server(conn, config).await?;
    }
    let key = super::access::store_key(conn, config, layout.name()).await?;
    let copy = Secret {
        metadata: ObjectMeta {
            name: Some(layout.backup_credentials()),
            namespace: Some(layout.namespace.clone()),
            labels: Some(layout.labels(None)),
            annotations: Some(layout.annotations()),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([
            (ACCESS_KEY_ID.to_string(), ByteString(key.id.into_bytes())),
            (
                SECRET_ACCESS_KEY.to_string(),
                ByteString(key.secret.into_bytes()),
            ),
        ])),
        ..Secret::default()
    };
    apply_store_object(conn, layout, &copy).await?;
    if config.network_policy.enabled {
        for policy in objects::policies(layout, config) {
            apply_store_object(conn, layout, &policy).await?;
        }
    }
    Ok(())
}

/// A namespaced object storectl can read and apply.
pub(super) trait NamespacedObject:
    Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
    + Clone
    + Serialize
    + DeserializeOwned
    + std::fmt::Debug
{
}

impl<K> NamespacedObject for K where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + Serialize
        + DeserializeOwned
        + std::fmt::Debug
{
}

/// Applies one of the store's objects, unless one of that name is someone else's.
pub(super) async fn apply_store_object<K>(
    conn: &Connection,
    layout: &StoreLayout,
    object: &K,
) -> Result<(), BackupError>
where
    K: NamespacedObject,
{
    apply_checked(
        conn,
        &layout.namespace,
        object,
        |meta, reference| match owner(meta, layout, false) {
            Owner::Foreign(manager) => Err(BackupError::NotOurs {
                object: reference.to_string(),
                manager,
            }),
            Owner::Storectl | Owner::OriginalPlatform => Ok(()),
        },
    )
    .await
}

/// Server-side applies `object` in `namespace` once `check` accepts the metadata of the
/// object of that name already there (if any).
pub(super) async fn apply_checked<K>(
    conn: &Connection,
    namespace: &str,
    object: &K,
    check: impl Fn(&ObjectMeta, &str) -> Result<(), BackupError>,
) -> Result<(), BackupError>
where
    K: NamespacedObject,
{
    let api: Api<K> = Api::namespaced(conn.client.clone(), namespace);
    let name = object.meta().name.clone().unwrap_or_default();
    let reference = format!("{}/{name}", K::kind(&()));
    if let Some(existing) = api
        .get_metadata_opt(&name)
        .await
        .map_err(conn.error(&format!("reading {reference}")))?
    {
        check(&existing.metadata, &reference)?;
    }
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(object),
    )
    .await
    .map_err(conn.error(&format!("applying {reference}")))?;
    Ok(())
}

/// The zero-set-up target: the platform namespace, the server's credentials (made once,
/// never replaced: they open every backup), its volume, Deployment and Service.
pub(super) async fn ensure_server(conn: &Connection, config: &Config) -> Result<(), BackupError> {
    let namespace = &config.platform.namespace;
    let namespaces: Api<Namespace> = Api::all(conn.client.clone());
    if namespaces
        .get_metadata_opt(namespace)
        .await
        .map_err(conn.error("reading the platform namespace"))?
        .is_none()
    {
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(namespace.clone()),
                labels: Some(BTreeMap::from([
                    (MARK_LABEL.to_string(), MARK_VALUE.to_string()),
                    (
                        "app.kubernetes.io/part-of".to_string(),
                        crate::domain::labels::PART_OF.to_string(),
                    ),
                ])),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        create_if_absent(conn, &namespaces, &ns).await?;
    }
    let secrets: Api<Secret> = Api::namespaced(conn.client.clone(), namespace);
    match secrets
        .get_metadata_opt(TARGET_SERVER)
        .await
        .map_err(conn.error("reading the backup target's credentials"))?
    {
        Some(found) => platform_owned(&found.metadata, "Secret")?,
        None => {
            let fresh =
                |len| random_string(len).map_err(|e| BackupError::NoRandomness(e.to_string()));
            let secret = Secret {
                metadata: platform_meta(namespace),
                data: Some(BTreeMap::from([
                    (
                        ACCESS_KEY_ID.to_string(),
                        ByteString(fresh(20)?.into_bytes()),
                    ),
                    (
                        SECRET_ACCESS_KEY.to_string(),
                        ByteString(fresh(40)?.into_bytes()),
                    ),
                ])),
                ..Secret::default()
            };
            create_if_absent(conn, &secrets, &secret).await?;
        }
    }
    let TargetServer {
        claim,
        deployment,
        service,
    } = target_server(config);
    apply_platform_object(conn, namespace, &claim).await?;
    apply_platform_object(conn, namespace, &service).await?;
    apply_platform_object(conn, namespace, &deployment).await?;
    Ok(())
}

pub(super) fn platform_meta(namespace: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(TARGET_SERVER.to_string()),
        namespace: Some(namespace.to_string()),
        labels: Some(BTreeMap::from([
            (MARK_LABEL.to_string(), MARK_VALUE.to_string()),
            (
                "app.kubernetes.io/name".to_string(),
                TARGET_SERVER.to_string(),
            ),
        ])),
        ..ObjectMeta::default()
    }
}

pub(super) async fn apply_platform_object<K>(
    conn: &Connection,
    namespace: &str,
    object: &K,
) -> Result<(), BackupError>
where
    K: NamespacedObject,
{
    apply_checked(conn, namespace, object, |meta, _| {
        platform_owned(meta, &K::kind(&()))
    })
    .await
}
