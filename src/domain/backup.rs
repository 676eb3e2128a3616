//! Backups of a store: the scripts the backup and restore Jobs run (one source,
//! `assets/backup/`, put together here and rendered into the Jobs; the tests run the same
//! text against a real MariaDB and a real S3 server), which stores may be backed up or
//! restored into, backup ids, and the record of each backup: a ConfigMap in the platform
//! namespace, so it outlives the store.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::ownership::marked_for;
use super::status::Phase;
use crate::domain::labels::{
    BACKUP_LABEL, BACKUP_OF_LABEL, MARK_LABEL, MARK_VALUE, STORE_ANNOTATION,
};

/// The backup Job's script: `sh -c BACKUP_SCRIPT`.
pub const BACKUP_SCRIPT: &str = concat!(
    include_str!("../../assets/backup/common.sh"),
    "\n",
    include_str!("../../assets/backup/backup.sh")
);

/// The restore Job's script: `sh -c RESTORE_SCRIPT`.
pub const RESTORE_SCRIPT: &str = concat!(
    include_str!("../../assets/backup/common.sh"),
    "\n",
    include_str!("../../assets/backup/restore.sh")
);

/// A clone's URL rewrite, run after the restore script in a container of its own with no
/// backup credentials: `sh -c REWRITE_URLS_SCRIPT rewrite-urls SEARCH_REPLACE_PHP`.
pub const REWRITE_URLS_SCRIPT: &str = include_str!("../../assets/backup/rewrite-urls.sh");

/// What the rewrite runs, as `php -r` takes it (the file without its `<?php` line).
pub fn search_replace_php() -> &'static str {
    const SOURCE: &str = include_str!("../../assets/wordpress/storectl-search-replace.php");
    SOURCE.split_once('\n').map_or(SOURCE, |(_, code)| code)
}

/// The Job's script that removes every backup of a store from the target.
pub const FORGET_SCRIPT: &str = concat!(
    include_str!("../../assets/backup/common.sh"),
    "\n",
    include_str!("../../assets/backup/forget.sh")
);

/// The script of the Job in the platform namespace that gives a store its own account
/// and bucket on the zero-set-up target (standalone: it needs no database).
pub const ACCESS_SCRIPT: &str = include_str!("../../assets/backup/access.sh");

/// The files of a backup, under `<prefix><store>/<id>/` (the manifest first: without it a
/// backup is incomplete).
pub const BACKUP_FILES: [&str; 3] = ["manifest.json", "database.sql.gz", "wp-content.tar.gz"];

/// Why a store's database cannot be backed up or restored into now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotRunning {
    #[error(
        "store '{0}' is paused: its database is stopped; resume it first (storectl resume {0})"
    )]
    Paused(String),
    #[error("store '{0}' is being deleted")]
    Deleting(String),
}

/// The one rule of the CLI and the TUI: only a store whose database runs (not paused,
/// not being deleted) is backed up or restored into.
pub fn database_running(name: &str, phase: Phase) -> Result<(), NotRunning> {
    match phase {
        Phase::Paused => Err(NotRunning::Paused(name.to_string())),
        Phase::Deleting => Err(NotRunning::Deleting(name.to_string())),
        Phase::Ready | Phase::Failed | Phase::Provisioning => Ok(()),
    }
}

/// A backup id: its UTC time to the second, `20261126-101500` (sorts by age).
pub fn new_id(now: k8s_openapi::jiff::Timestamp) -> String {
    now.strftime("%Y%m%d-%H%M%S").to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BackupStatus {
    Running,
    Complete,
    Failed,
    /// Its Job is gone without saying how it ended.
    Unknown,
}

impl BackupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "Running",
            Self::Complete => "Complete",
            Self::Failed => "Failed",
            Self::Unknown => "Unknown",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "Running" => Self::Running,
            "Complete" => Self::Complete,
            "Failed" => Self::Failed,
            _ => Self::Unknown,
        }
    }
}

/// One backup as storectl recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub store: String,
    pub id: String,
    /// RFC 3339.
    pub created: String,
    pub status: BackupStatus,
    /// Why it failed (or what is unknown).
    pub reason: String,
    /// Bytes on the target (database, files and manifest), once complete.
    pub size: Option<u64>,
    /// SHA-256 of the backup's manifest, which holds the checksums of its files.
    pub sha256: String,
    /// Where it is: `<endpoint>/<bucket>/<prefix><store>/<id>/`.
    pub location: String,
    /// The namespace of the store it was taken from.
    pub namespace: String,
    /// The Job that took it.
    pub job: String,
}

/// The name of the record of backup `id` of `store`.
pub fn record_name(store: &str, id: &str) -> String {
    format!("backup-{store}-{id}")
}

/// The record as a ConfigMap in `namespace` (the platform namespace).
pub fn to_config_map(record: &Record, namespace: &str) -> ConfigMap {
    let labels = BTreeMap::from([
        (MARK_LABEL.to_string(), MARK_VALUE.to_string()),
        (BACKUP_OF_LABEL.to_string(), record.store.clone()),
        (BACKUP_LABEL.to_string(), record.id.clone()),
    ]);
    let data = BTreeMap::from([
        ("store".to_string(), record.store.clone()),
        ("id".to_string(), record.id.clone()),
        ("created".to_string(), record.created.clone()),
        ("status".to_string(), record.status.as_str().to_string()),
        ("reason".to_string(), record.reason.clone()),
        (
            "size".to_string(),
            record.size.map(|s| s.to_string()).unwrap_or_default(),
        ),
        ("sha256".to_string(), record.sha256.clone()),
        ("location".to_string(), record.location.clone()),
        ("namespace".to_string(), record.namespace.clone()),
        ("job".to_string(), record.job.clone()),
    ]);
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(record_name(&record.store, &record.id)),
            namespace: Some(namespace.to_string()),
            labels: Some(labels),
            annotations: Some(BTreeMap::from([(
                STORE_ANNOTATION.to_string(),
                record.store.clone(),
            )])),
            ..ObjectMeta::default()
        },
        data: Some(data),
        ..ConfigMap::default()
    }
}

/// The record a ConfigMap holds; None for one that is not a backup record of storectl's:
/// without storectl's mark for the store it names (label and annotation).
pub fn from_config_map(map: &ConfigMap) -> Option<Record> {
    let labels = map.metadata.labels.as_ref()?;
    if !marked_for(&map.metadata, labels.get(BACKUP_OF_LABEL)?) {
        return None;
    }
    let data = map.data.as_ref()?;
    let field = |key: &str| data.get(key).cloned().unwrap_or_default();
    Some(Record {
        store: labels.get(BACKUP_OF_LABEL)?.clone(),
        id: labels.get(BACKUP_LABEL)?.clone(),
        created: field("created"),
        status: BackupStatus::parse(&field("status")),
        reason: field("reason"),
        size: field("size").parse().ok(),
        sha256: field("sha256"),
        location: field("location"),
        namespace: field("namespace"),
        job: field("job"),
    })
}

/// What a finished backup Job's script reported (its termination message).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct JobResult {
    #[serde(default)]
    pub id: String,
    pub size: Option<u64>,
    #[serde(default)]
    pub sha256: String,
    /// Backups the retention removed.
    #[serde(default)]
    pub pruned: Vec<String>,
    /// Why it failed.
    #[serde(default)]
    pub error: String,
    /// A failed restore left the store exactly as it was.
    #[serde(default)]
    pub unchanged: bool,
}

impl JobResult {
    /// The script's last line, if it is the JSON result (a failed pod's message may be
    /// its log's end instead).
    pub fn parse(message: &str) -> Option<Self> {
        let line = message
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))?;
        serde_json::from_str(line.trim()).ok()
    }
}

/// Human size: `1.2 MB`, `340 kB`, `12 B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings, failure reporting and S3 requests shared by both scripts.
    const COMMON: &str = include_str!("../../assets/backup/common.sh");

    #[test]
    fn both_scripts_start_with_the_shared_part_and_ids_sort_by_time() {
        assert!(BACKUP_SCRIPT.starts_with(COMMON));
        assert!(RESTORE_SCRIPT.starts_with(COMMON));
        assert!(BACKUP_SCRIPT.contains("--single-transaction"));
        let id = new_id(
            "2026-11-26T10:15:00Z"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(id, "20261126-101500");
    }

    #[test]
    fn a_record_reads_back_from_its_config_map_and_results_parse_from_the_message() {
        let record = Record {
            store: "shop".into(),
            id: "20261126-101500".into(),
            created: "2026-11-26T10:15:00Z".into(),
            status: BackupStatus::Complete,
            reason: String::new(),
            size: Some(1_234_567),
            sha256: "ab".repeat(32),
            location: "http://s3/backups/stores/shop/20261126-101500/".into(),
            namespace: "store-shop".into(),
            job: "shop-backup-20261126-101500".into(),
        };
        let map = to_config_map(&record, "ecommerce-platform");
        assert_eq!(
            map.metadata.name.as_deref(),
            Some("backup-shop-20261126-101500")
        );
        assert_eq!(from_config_map(&map), Some(record));
        // Without storectl's mark for the store it names, it is no record.
        let mut other = map.clone();
        other.metadata.annotations = Some(BTreeMap::from([(
            STORE_ANNOTATION.to_string(),
            "other".to_string(),
        )]));
        assert_eq!(from_config_map(&other), None);
        let mut unmarked = map.clone();
        unmarked
            .metadata
            .labels
            .get_or_insert_default()
            .remove(MARK_LABEL);
        assert_eq!(from_config_map(&unmarked), None);
        let message =
            "dumping\n{\"id\":\"x\",\"size\":42,\"sha256\":\"ff\",\"pruned\":[\"old\"]}\n";
        let result = JobResult::parse(message).unwrap_or_default();
        assert_eq!(
            (result.size, result.pruned),
            (Some(42), vec!["old".to_string()])
        );
        assert_eq!(JobResult::parse("error: it broke"), None);
        assert_eq!(human_size(1_234_567), "1.2 MB");
        assert_eq!(human_size(999), "999 B");
    }
}
