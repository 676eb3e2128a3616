//! Backups on the cluster: the target made ready (the zero-set-up server in the platform
//! namespace, the store's own key copied into the store's namespace, the network
//! policies), backup and restore Jobs started and followed to their end, and the records
//! of backups (ConfigMaps in the platform namespace, which outlive the store), brought
//! up to date from the Jobs whenever storectl looks.

mod access;
mod error;
mod jobs;
mod owned;
mod records;
mod restore;
mod target;

use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::jiff::Timestamp;
use kube::Api;

use super::connect::Connection;
use super::objects::create_params;
use crate::domain::backup::{self, BackupStatus, Record};
use crate::domain::config::Config;
use crate::domain::credentials::Credentials;
use crate::domain::layout::StoreLayout;
use crate::domain::manifests::backup_target::BackupBucket;
use crate::domain::manifests::backups as objects;

pub use error::{BackupError, JobEnd};
pub use jobs::wait_job;
use jobs::{create_job, run_job};
use records::remove;
pub use records::{latest_complete, records, settle, usable};
pub use restore::restore;
pub use target::prepare_target;

/// Refuses a store whose credentials Secret is missing (the original platform's stores
/// kept their passwords elsewhere): its backup and restore Jobs could never start.
pub async fn require_credentials(
    conn: &Connection,
    layout: &StoreLayout,
) -> Result<(), BackupError> {
    let secrets: Api<Secret> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let secret = layout.secret();
    let found = secrets
        .get_metadata_opt(&secret)
        .await
        .map_err(conn.error(&format!("reading Secret {secret}")))?;
    match found {
        Some(_) => Ok(()),
        None => Err(BackupError::NoCredentials {
            store: layout.name().to_string(),
            secret,
            keys: Credentials::placeholder()
                .into_map()
                .into_keys()
                .filter(|k| k.starts_with("mysql"))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Starts backup `id` of the store: the target made ready, the record written
/// (Running), the Job created.
pub async fn start(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    id: &str,
) -> Result<Record, BackupError> {
    prepare_target(conn, layout, config).await?;
    let record = Record {
        store: layout.name().to_string(),
        id: id.to_string(),
        created: Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        status: BackupStatus::Running,
        reason: String::new(),
        size: None,
        sha256: String::new(),
        location: BackupBucket::of(config).location(layout.name(), id),
        namespace: layout.namespace.clone(),
        job: layout.backup_job(id),
    };
    let maps: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &config.platform.namespace);
    maps.create(
        &create_params(),
        &backup::to_config_map(&record, &config.platform.namespace),
    )
    .await
    .map_err(conn.error(&format!("recording backup {id}")))?;
    create_job(conn, &objects::backup_job(layout, config, id)).await?;
    let detail = format!(": backup {id}");
    crate::cluster::audit::record(
        conn,
        layout,
        crate::cluster::audit::Change::BackupStarted,
        &detail,
    )
    .await;
    Ok(record)
}

/// Removes every backup of the store from the target (a Job, as the target may be
/// reachable only from inside the cluster), then their records.
pub async fn forget(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    timeout: Duration,
) -> Result<usize, BackupError> {
    prepare_target(conn, layout, config).await?;
    let at = backup::new_id(Timestamp::now());
    let end = run_job(conn, &objects::forget_job(layout, config, &at), timeout).await?;
    if !end.complete {
        return Err(BackupError::JobFailed {
            what: "removing the store's backups".to_string(),
            reason: end.why(),
        });
    }
    let known = records(conn, config, layout.name(), Some(&layout.namespace)).await?;
    for record in &known {
        remove(conn, config, layout.name(), &record.id).await?;
    }
    let (platform, count) = (&config.platform.namespace, known.len());
    let change = crate::cluster::audit::Change::BackupsForgotten;
    crate::cluster::audit::record_in_platform(
        conn,
        platform,
        layout,
        change,
        &format!(" ({count} recorded)"),
    )
    .await;
    Ok(count)
}
