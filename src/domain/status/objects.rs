//! What the status rules read off single objects: which Job is which (setup, database
//! upgrade, backup, restore), whether it ended, a pod's component, an object's name.

use crate::domain::watched::{Condition, Meta, WatchedJob};

use crate::domain::inventory::StoreObjects;
use crate::domain::labels::{
    BACKUP_OF_LABEL, LABEL_COMPONENT, MAIL_TEST_OF_LABEL, MARK_LABEL, MARK_VALUE,
};
use crate::domain::layout::{Component, DATABASE_UPGRADE};

/// Backup and restore Jobs carry the label naming their store.
pub(super) fn is_backup_or_restore(job: &WatchedJob) -> bool {
    job.meta.labels.contains(BACKUP_OF_LABEL)
}

/// The store's setup or a database upgrade: the Jobs its readiness waits for (not a
/// backup, restore or `storectl mail-test`, which come and go on a running store).
pub(super) fn is_setup_or_upgrade(job: &WatchedJob) -> bool {
    !is_backup_or_restore(job) && !job.meta.labels.contains(MAIL_TEST_OF_LABEL)
}

pub(super) fn is_restore(job: &WatchedJob) -> bool {
    is_backup_or_restore(job) && job.meta.name.contains("-restore-")
}

pub(super) fn job_finished(job: &WatchedJob) -> bool {
    job.conditions.holds("Complete") || job.conditions.holds("Failed")
}

/// Whether `job` is a database upgrade (`<store>-db-upgrade-<revision>`) rather than
/// the store's setup.
pub(super) fn is_database_upgrade(job: &WatchedJob) -> bool {
    job.meta.name.contains(&format!("-{DATABASE_UPGRADE}-"))
}

pub(super) fn job_role(job: &WatchedJob) -> &'static str {
    if is_database_upgrade(job) {
        "database upgrade job"
    } else {
        "setup job"
    }
}

/// The Job's condition of type `kind` when it holds (status `True`).
pub(super) fn job_condition<'a>(job: &'a WatchedJob, kind: &str) -> Option<&'a Condition> {
    job.conditions.holding(kind)
}

/// Stores made by the original platform have no setup Job; storectl's always have one.
pub(super) fn made_by_storectl(store: &StoreObjects) -> bool {
    store
        .deployments
        .iter()
        .any(|d| d.meta.labels.get(MARK_LABEL) == Some(MARK_VALUE))
}

pub(super) fn component_of(meta: &Meta) -> Option<Component> {
    meta.labels.get(LABEL_COMPONENT).and_then(Component::parse)
}

/// The store's restore Job that has not ended, if any.
pub fn running_restore(store: &StoreObjects) -> Option<String> {
    store
        .jobs
        .iter()
        .find(|j| is_restore(j) && !job_finished(j))
        .map(|j| j.meta.name.to_string())
}
