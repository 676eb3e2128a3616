//! Backup records (ConfigMaps in the platform namespace, which outlive the store),
//! brought up to date from the Jobs whenever storectl looks.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};

use super::error::{BackupError, JobEnd};
use super::jobs::{end_of, job_end};
use crate::cluster::connect::Connection;
use crate::cluster::objects::FIELD_MANAGER;
use crate::domain::backup::{self, BackupStatus, Record};
use crate::domain::config::Config;
use crate::domain::labels::{BACKUP_OF_LABEL, MARK_LABEL, MARK_VALUE};
use crate::domain::manifests::backup_target::BackupBucket;

/// The record after its Job ended; the backups its retention removed lose their records.
pub async fn settle(
    conn: &Connection,
    config: &Config,
    mut record: Record,
    end: &JobEnd,
) -> Result<Record, BackupError> {
    if end.complete {
        record.status = BackupStatus::Complete;
        record.reason.clear();
        if let Some(result) = &end.result {
            record.size = result.size;
            record.sha256.clone_from(&result.sha256);
        }
    } else {
        record.status = BackupStatus::Failed;
        record.reason = end.why();
    }
    write(conn, config, &record).await?;
    for pruned in end.result.iter().flat_map(|r| &r.pruned) {
        remove_pruned(conn, config, &record.store, pruned).await?;
    }
    Ok(record)
}

/// A backup the retention removed from the target: its Job goes first (were it left, the
/// next look at the Jobs would record the backup again from it), then its record.
async fn remove_pruned(
    conn: &Connection,
    config: &Config,
    store: &str,
    id: &str,
) -> Result<(), BackupError> {
    let maps: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &config.platform.namespace);
    let name = backup::record_name(store, id);
    let map = maps
        .get_opt(&name)
        .await
        .map_err(conn.error(&format!("reading the record of backup {id}")))?;
    let made_by = map.as_ref().and_then(backup::from_config_map);
    if let Some(record) = made_by.filter(|r| !r.namespace.is_empty() && !r.job.is_empty()) {
        let jobs: Api<Job> = Api::namespaced(conn.client.clone(), &record.namespace);
        let job = jobs
            .get_opt(&record.job)
            .await
            .map_err(conn.error(&format!("reading job {}", record.job)))?;
        let ours = job.as_ref().is_some_and(|j| {
            j.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(BACKUP_OF_LABEL))
                .is_some_and(|s| s == store)
        });
        if ours {
            match jobs.delete(&record.job, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(e) => {
                    return Err(conn.error(&format!("removing job {}", record.job))(e).into());
                }
            }
        }
    }
    remove(conn, config, store, id).await
}

pub(super) async fn write(
    conn: &Connection,
    config: &Config,
    record: &Record,
) -> Result<(), BackupError> {
    let maps: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &config.platform.namespace);
    let map = backup::to_config_map(record, &config.platform.namespace);
    maps.patch(
        &backup::record_name(&record.store, &record.id),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&map),
    )
    .await
    .map_err(conn.error(&format!("recording backup {}", record.id)))?;
    Ok(())
}

pub(super) async fn remove(
    conn: &Connection,
    config: &Config,
    store: &str,
    id: &str,
) -> Result<(), BackupError> {
    let maps: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &config.platform.namespace);
    match maps
        .delete(&backup::record_name(store, id), &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(conn.error(&format!("removing the record of backup {id}"))(e).into()),
    }
}

/// The store's backup records, oldest first, brought up to date from its backup Jobs
/// (`namespace`: where the store is, if it still exists): finished Jobs, scheduled ones
/// included, are recorded; a Running record whose Job is gone becomes Unknown.
pub async fn records(
    conn: &Connection,
    config: &Config,
    store: &str,
    namespace: Option<&str>,
) -> Result<Vec<Record>, BackupError> {
    let mut by_id = recorded(conn, config, store).await?;
    let jobs = match namespace {
        Some(ns) => {
            let api: Api<Job> = Api::namespaced(conn.client.clone(), ns);
            api.list(&ListParams::default().labels(&format!("{BACKUP_OF_LABEL}={store}")))
                .await
                .map_err(conn.error("listing the backup jobs"))?
                .items
        }
        None => Vec::new(),
    };
    let prefix = format!("{store}-backup-");
    for job in &jobs {
        let name = job.metadata.name.clone().unwrap_or_default();
        if end_of(job).is_some() && name.starts_with(&prefix) {
            record_ended(conn, config, &mut by_id, store, namespace, job, name).await?;
        }
    }
    let job_names: Vec<String> = jobs
        .iter()
        .filter_map(|j| j.metadata.name.clone())
        .collect();
    for record in by_id.values_mut() {
        if record.status == BackupStatus::Running && !job_names.contains(&record.job) {
            record.status = BackupStatus::Unknown;
            record.reason = format!("its Job {} is gone without a result", record.job);
            write(conn, config, record).await?;
        }
    }
    Ok(by_id.into_values().collect())
}

/// The records kept for `store`, by id.
async fn recorded(
    conn: &Connection,
    config: &Config,
    store: &str,
) -> Result<BTreeMap<String, Record>, BackupError> {
    let maps: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &config.platform.namespace);
    let selector = format!("{BACKUP_OF_LABEL}={store},{MARK_LABEL}={MARK_VALUE}");
    Ok(maps
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(conn.error("listing the backup records"))?
        .items
        .iter()
        .filter_map(backup::from_config_map)
        .map(|r| (r.id.clone(), r))
        .collect())
}

/// Records how backup Job `name` ended, unless a record says so already; the backups its
/// retention removed lose their records.
async fn record_ended(
    conn: &Connection,
    config: &Config,
    by_id: &mut BTreeMap<String, Record>,
    store: &str,
    namespace: Option<&str>,
    job: &Job,
    name: String,
) -> Result<(), BackupError> {
    // A Job already recorded as ended is not looked at again (its pods not listed).
    let recorded = by_id.values().find(|r| r.job == name).cloned();
    if recorded
        .as_ref()
        .is_some_and(|r| r.status != BackupStatus::Running)
    {
        return Ok(());
    }
    let end = job_end(conn, job).await?;
    let started = end.started.unwrap_or_else(Timestamp::now);
    // A manual backup's id is in its record; a scheduled one's is what its script
    // reported (or, without a report, its start time).
    let id = recorded
        .as_ref()
        .map(|r| r.id.clone())
        .or_else(|| {
            end.result
                .as_ref()
                .map(|r| r.id.clone())
                .filter(|i| !i.is_empty())
        })
        .unwrap_or_else(|| backup::new_id(started));
    let known = recorded.as_ref().or_else(|| by_id.get(&id));
    if known.is_some_and(|r| r.status != BackupStatus::Running) {
        return Ok(());
    }
    let record = known.cloned().unwrap_or_else(|| Record {
        store: store.to_string(),
        id: id.clone(),
        created: started.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        status: BackupStatus::Running,
        reason: String::new(),
        size: None,
        sha256: String::new(),
        location: BackupBucket::of(config).location(store, &id),
        namespace: namespace.unwrap_or_default().to_string(),
        job: name,
    });
    let settled = settle(conn, config, record, &end).await?;
    for pruned in end.result.iter().flat_map(|r| &r.pruned) {
        by_id.remove(pruned);
    }
    by_id.insert(id, settled);
    Ok(())
}

/// The newest complete backup among `records`.
pub fn latest_complete(records: &[Record]) -> Option<&Record> {
    records
        .iter()
        .filter(|r| r.status == BackupStatus::Complete)
        .max_by(|a, b| a.id.cmp(&b.id))
}

/// The record of backup `id`, which must be complete.
pub fn usable<'a>(records: &'a [Record], store: &str, id: &str) -> Result<&'a Record, BackupError> {
    let record = records
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| BackupError::NotFound {
            store: store.to_string(),
            id: id.to_string(),
            known: records.iter().rev().take(5).map(|r| r.id.clone()).collect(),
        })?;
    if record.status != BackupStatus::Complete {
        return Err(BackupError::NotComplete {
            store: store.to_string(),
            id: id.to_string(),
            status: record.status.as_str(),
            reason: record.reason.clone(),
        });
    }
    Ok(record)
}
