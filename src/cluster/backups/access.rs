//! Each store's own key to the backup target, made ready from the platform namespace:
//! for the zero-set-up target, storectl mints the key (a Secret in the platform
//! namespace), and a Job there gives the target an account and a bucket for it; for
//! backup.s3 the operator provides it. A restore of another store's backup (a clone)
//! gets presigned URLs for exactly that backup's files instead of a key that opens them.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::Api;

use super::error::BackupError;
use super::jobs::wait_job;
use super::owned::{create_if_absent, platform_owned};
use crate::cluster::connect::Connection;
use crate::cluster::objects::create_params;
use crate::domain::backup::Record;
use crate::domain::config::{BackupTarget, Config};
use crate::domain::credentials::random_string;
use crate::domain::labels::{ACCESS_OF_LABEL, MARK_LABEL, MARK_VALUE};
use crate::domain::manifests::backup_access::{
    ACCESS_DEADLINE, PresignedFile, access_job, platform_key_secret, presigned_files,
    store_access_key_id, store_key_secret,
};
use crate::domain::manifests::backup_target::{ACCESS_KEY_ID, BackupBucket, SECRET_ACCESS_KEY};
use crate::domain::presign::SigningKey;

/// Presigned URLs outlive the restore's own wait by this much at least.
const MIN_URL_VALIDITY: Duration = Duration::from_secs(900);

/// A key to the target: access key id and secret.
pub struct Key {
    pub id: String,
    pub secret: String,
}

/// `store`'s own key, ready on the target: for the cluster target minted once (never
/// replaced) and given an account and bucket by the access Job; for backup.s3 the
/// operator's `<credentialsSecret>-<store>`.
pub async fn store_key(
    conn: &Connection,
    config: &Config,
    store: &str,
) -> Result<Key, BackupError> {
    let namespace = &config.platform.namespace;
    let name = store_key_secret(config, store);
    if config.backup.target == BackupTarget::Cluster {
        mint_store_key(conn, config, store, &name).await?;
        let job = create_access_job(conn, &access_job(config, store)).await?;
        let end = wait_job(conn, namespace, &job, ACCESS_DEADLINE).await?;
        if !end.complete {
            return Err(BackupError::JobFailed {
                what: format!("giving store {store} its own account on the backup target"),
                reason: end.why(),
            });
        }
    }
    read_key(conn, namespace, &name).await
}

/// Secret `name` with `store`'s key, made if absent (the secret drawn at random).
async fn mint_store_key(
    conn: &Connection,
    config: &Config,
    store: &str,
    name: &str,
) -> Result<(), BackupError> {
    let namespace = &config.platform.namespace;
    let secrets: Api<Secret> = Api::namespaced(conn.client.clone(), namespace);
    if let Some(found) = secrets
        .get_metadata_opt(name)
        .await
        .map_err(conn.error("reading the store's backup key"))?
    {
        return platform_owned(&found.metadata, "Secret");
    }
    let secret = random_string(40).map_err(|e| BackupError::NoRandomness(e.to_string()))?;
    let key = Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(namespace.clone()),
            labels: Some(BTreeMap::from([
                (MARK_LABEL.to_string(), MARK_VALUE.to_string()),
                (ACCESS_OF_LABEL.to_string(), store.to_string()),
            ])),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([
            (
                ACCESS_KEY_ID.to_string(),
                ByteString(store_access_key_id(store).into_bytes()),
            ),
            (
                SECRET_ACCESS_KEY.to_string(),
                ByteString(secret.into_bytes()),
            ),
        ])),
        ..Secret::default()
    };
    create_if_absent(conn, &secrets, &key).await
}

/// Creates the access Job (its name made by the server); returns that name.
async fn create_access_job(conn: &Connection, job: &Job) -> Result<String, BackupError> {
    let jobs: Api<Job> = Api::namespaced(
        conn.client.clone(),
        job.metadata.namespace.as_deref().unwrap_or_default(),
    );
    let created = jobs
        .create(&create_params(), job)
        .await
        .map_err(conn.error("creating the backup access job"))?;
    Ok(created.metadata.name.unwrap_or_default())
}

/// The key in Secret `name` of `namespace` (keys access-key-id and secret-access-key).
pub async fn read_key(conn: &Connection, namespace: &str, name: &str) -> Result<Key, BackupError> {
    let missing = |why: &str| BackupError::TargetCredentials {
        secret: name.to_string(),
        namespace: namespace.to_string(),
        why: why.to_string(),
    };
    let secrets: Api<Secret> = Api::namespaced(conn.client.clone(), namespace);
    let secret = secrets
        .get_opt(name)
        .await
        .map_err(conn.error("reading the backup target's credentials"))?
        .ok_or_else(|| missing("does not exist"))?;
    let data = secret.data.unwrap_or_default();
    let value = |key: &str| {
        data.get(key)
            .map(|v| String::from_utf8_lossy(&v.0).into_owned())
            .filter(|v| !v.is_empty())
    };
    match (value(ACCESS_KEY_ID), value(SECRET_ACCESS_KEY)) {
        (Some(id), Some(secret)) => Ok(Key { id, secret }),
        _ => Err(missing("lacks a key")),
    }
}

/// Each file of `backup` with its presigned GET URL, signed with the platform
/// key, valid for `wait` (at least a quarter of an hour): what a restore of another
/// store's backup fetches it through. For the cluster target the backup's store gets its
/// bucket first (its backups of earlier versions are moved there).
pub async fn presigned_urls(
    conn: &Connection,
    config: &Config,
    backup: &Record,
    wait: Duration,
) -> Result<Vec<PresignedFile>, BackupError> {
    if config.backup.target == BackupTarget::Cluster {
        store_key(conn, config, &backup.store).await?;
    }
    let platform = read_key(
        conn,
        &config.platform.namespace,
        platform_key_secret(config),
    )
    .await?;
    let signing = SigningKey {
        access_key_id: &platform.id,
        secret_access_key: &platform.secret,
        region: &BackupBucket::of(config).region,
    };
    Ok(presigned_files(
        config,
        &backup.store,
        &backup.id,
        &signing,
        Timestamp::now(),
        wait.max(MIN_URL_VALIDITY),
    ))
}
