//! backup: a Job dumps the store's database and wp-content to the backup target, and a
//! record is kept where it outlives the store. Only a store whose database runs (not
//! paused, not being deleted: `domain::backup::database_running`) is backed up or
//! restored into, from every front end.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use crate::cluster::backups::{self, BackupError};
use crate::cluster::connect::Connection;
use crate::domain::backup::{self as records, Record, human_size};
use crate::domain::config::{Config, Sources};
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;
use crate::domain::status;

/// A backup under way and the configuration its Job runs with.
pub struct Started {
    pub record: Record,
    pub settings: Config,
}

impl Started {
    /// The start in a sentence.
    pub fn summary(&self) -> String {
        format!(
            "backup {} of store {} started (job {}); it goes to {}",
            self.record.id, self.record.store, self.record.job, self.record.location
        )
    }
}

/// The configuration the store's backup and restore Jobs run with, once its database is
/// known to run.
pub async fn running_store(
    conn: &Connection,
    store: StoreObjects,
    layout: &StoreLayout,
    config: &Config,
) -> anyhow::Result<Config> {
    let phase = status::derive(&store, &config.status_rules(), Timestamp::now()).phase;
    records::database_running(layout.name(), phase).map_err(BackupError::from)?;
    backups::require_credentials(conn, layout).await?;
    settings_for(conn, layout, store, config).await
}

/// The store's own configuration (its latest revision: database name and user, images)
/// with this run's backup target and platform namespace: what its backup Jobs run with.
/// A store made before storectl bound its namespace gets the binding first (the Jobs run
/// there).
pub async fn settings_for(
    conn: &Connection,
    layout: &StoreLayout,
    store: StoreObjects,
    config: &Config,
) -> anyhow::Result<Config> {
    crate::cluster::access::bind_existing(conn, layout, config).await?;
    let mut own = super::upgrade::target(conn, layout, store, &Sources::default(), config)
        .await?
        .from;
    own.backup = config.backup.clone();
    own.platform = config.platform.clone();
    Ok(own)
}

/// Starts a backup of `store`.
pub async fn start(
    conn: &Connection,
    store: StoreObjects,
    layout: &StoreLayout,
    config: &Config,
) -> anyhow::Result<Started> {
    let settings = running_store(conn, store, layout, config).await?;
    let id = records::new_id(Timestamp::now());
    let record = backups::start(conn, layout, &settings, &id).await?;
    Ok(Started { record, settings })
}

/// Follows the backup's Job to its end: the record, complete, or the Job's failure.
pub async fn finish(
    conn: &Connection,
    layout: &StoreLayout,
    started: Started,
    timeout: Duration,
) -> anyhow::Result<Record> {
    let Started { record, settings } = started;
    let end = backups::wait_job(conn, &layout.namespace, &record.job, timeout).await?;
    let record = backups::settle(conn, &settings, record, &end).await?;
    if !end.complete {
        return Err(BackupError::JobFailed {
            what: format!("backup {} of store {}", record.id, layout.name()),
            reason: record.reason,
        }
        .into());
    }
    Ok(record)
}

/// A complete backup in a sentence.
pub fn complete(record: &Record) -> String {
    format!(
        "backup {} complete: {}{} at {}",
        record.id,
        record
            .size
            .map_or_else(|| "size not reported".to_string(), human_size),
        if record.sha256.is_empty() {
            String::new()
        } else {
            format!(", manifest sha256 {}", record.sha256)
        },
        record.location
    )
}
