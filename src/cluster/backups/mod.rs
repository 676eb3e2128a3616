//! Backups on the cluster: the target made ready (the zero-set-up server in the platform
//! namespace, the store's own key copied into the store's namespace, the network
//! policies), backup and restore Jobs started and followed to their end, and the records
//! of backups (ConfigMaps in the platform namespace, which outlive the store), brought
//! up to date from the Jobs whenever storectl looks.

mod jobs;
mod records;
mod restore;
mod target;

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::jiff::Timestamp;
use kube::Api;

use super::apply::create_params;
use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::backup::{self, BackupStatus, JobResult, Record};
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;
use crate::domain::manifests::backups::{self as objects, Target};

pub use jobs::wait_job;
use jobs::{create_job, run_job};
use records::remove;
pub use records::{latest_complete, records, settle, usable};
pub use restore::restore;
pub use target::prepare_target;
pub(super) use target::{create_if_absent, platform_owned};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("store '{store}' has no backup '{id}'{}", known_ids(.known))]
    NotFound {
        store: String,
        id: String,
        known: Vec<String>,
    },
    #[error("store '{0}' has no complete backup: take one first (storectl backup {0})")]
    NoBackup(String),
    #[error("store '{0}' does not exist and no backups of it are recorded")]
    Unknown(String),
    #[error("backup '{id}' of store '{store}' is {status}{}; only a complete backup can be restored", if .reason.is_empty() { String::new() } else { format!(" ({})", .reason) })]
    NotComplete {
        store: String,
        id: String,
        status: &'static str,
        reason: String,
    },
    #[error(transparent)]
    NotRunning(#[from] crate::domain::backup::NotRunning),
    #[error(
        "the backup target's credentials are missing: Secret {secret} in namespace {namespace} {why}; it needs the keys access-key-id and secret-access-key"
    )]
    TargetCredentials {
        secret: String,
        namespace: String,
        why: String,
    },
    #[error("{object} is not storectl's (managed by {manager}); nothing was changed")]
    NotOurs { object: String, manager: String },
    #[error("{what} failed: {reason}")]
    JobFailed { what: String, reason: String },
    #[error("gave up after {}s waiting for {what}", .after.as_secs())]
    TimedOut { what: String, after: Duration },
    #[error(
        "restoring backup {id} failed: {reason}; nothing was changed: WordPress started again on the store's previous data"
    )]
    RestoreUnchanged { id: String, reason: String },
    #[error(
        "restore of backup {id} did not finish ({why}): WordPress kept stopped; run `storectl restore {store} --from {id}` again or `storectl resume {store}`"
    )]
    RestoreUnfinished {
        store: String,
        id: String,
        why: String,
        timed_out: bool,
    },
    #[error("the system random number generator failed: {0}")]
    NoRandomness(String),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

fn known_ids(ids: &[String]) -> String {
    match ids {
        [] => " (it has none)".to_string(),
        ids => format!(" (known: {})", ids.join(", ")),
    }
}

/// How a Job ended: complete or not, and what its script said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEnd {
    pub complete: bool,
    /// The Job's own reason when it failed (e.g. BackoffLimitExceeded).
    pub reason: String,
    /// The script's result, when it wrote one.
    pub result: Option<JobResult>,
    pub started: Option<Timestamp>,
}

impl JobEnd {
    /// Why it failed, in the script's words when it said.
    pub fn why(&self) -> String {
        match &self.result {
            Some(r) if !r.error.is_empty() => r.error.clone(),
            _ if self.reason.is_empty() => "the Job failed".to_string(),
            _ => self.reason.clone(),
        }
    }
}

/// The store's own configuration (its latest revision: database name and user, images)
/// with this run's backup target and platform namespace: what its backup Jobs run with.
pub async fn settings_for(
    conn: &Connection,
    layout: &StoreLayout,
    store: crate::domain::status::StoreObjects,
    config: &Config,
) -> anyhow::Result<Config> {
    let mut own = crate::cluster::rollout::target(
        conn,
        layout,
        store,
        &crate::domain::config::Sources::default(),
        config,
    )
    .await?
    .from
    .1;
    own.backup = config.backup.clone();
    own.platform = config.platform.clone();
    Ok(own)
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
        location: Target::of(config).location(layout.name(), id),
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
