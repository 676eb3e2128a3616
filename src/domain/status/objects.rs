//! What the status rules read off single objects: which Job is which (setup, database
//! upgrade, backup, restore), whether it ended, a pod's component, an object's name.

use k8s_openapi::api::batch::v1::{Job, JobCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::domain::inventory::StoreObjects;
use crate::domain::labels::{BACKUP_OF_LABEL, LABEL_COMPONENT, MAIL_TEST_OF_LABEL};
use crate::domain::layout::{Component, DATABASE_UPGRADE};

/// Backup and restore Jobs carry the label naming their store.
pub(super) fn is_backup_or_restore(job: &Job) -> bool {
    job.metadata
        .labels
        .as_ref()
        .is_some_and(|l| l.contains_key(BACKUP_OF_LABEL))
}

/// The store's setup or a database upgrade: the Jobs its readiness waits for (not a
/// backup, restore or `storectl mail-test`, which come and go on a running store).
pub(super) fn is_setup_or_upgrade(job: &Job) -> bool {
    let labels = job.metadata.labels.as_ref();
    !is_backup_or_restore(job) && !labels.is_some_and(|l| l.contains_key(MAIL_TEST_OF_LABEL))
}

pub(super) fn is_restore(job: &Job) -> bool {
    is_backup_or_restore(job) && name(&job.metadata).contains("-restore-")
}

pub(super) fn job_finished(job: &Job) -> bool {
    conditions_of_job(job)
        .any(|c| c.status == "True" && (c.type_ == "Complete" || c.type_ == "Failed"))
}

/// Whether `job` is a database upgrade (`<store>-db-upgrade-<revision>`) rather than
/// the store's setup.
pub(super) fn is_database_upgrade(job: &Job) -> bool {
    name(&job.metadata).contains(&format!("-{DATABASE_UPGRADE}-"))
}

pub(super) fn job_role(job: &Job) -> &'static str {
    if is_database_upgrade(job) {
        "database upgrade job"
    } else {
        "setup job"
    }
}

pub(super) fn conditions_of_job(job: &Job) -> impl Iterator<Item = &JobCondition> {
    job.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
}

/// Stores made by the original platform have no setup Job; storectl's always have one.
pub(super) fn made_by_storectl(store: &StoreObjects) -> bool {
    store.deployments.iter().any(|d| {
        d.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("app.kubernetes.io/managed-by"))
            .is_some_and(|v| v == "storectl")
    })
}

pub(super) fn component_of(meta: &ObjectMeta) -> Option<Component> {
    meta.labels
        .as_ref()?
        .get(LABEL_COMPONENT)
        .and_then(|c| Component::parse(c))
}

pub(super) fn name(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

/// The store's restore Job that has not ended, if any.
pub fn running_restore(store: &StoreObjects) -> Option<String> {
    store
        .jobs
        .iter()
        .find(|j| is_restore(j) && !job_finished(j))
        .map(|j| name(&j.metadata).to_string())
}
