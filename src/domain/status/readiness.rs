//! What keeps a store from serving: a failure that will not heal by itself (a failed
//! Job, a stuck rollout, a lost volume, a crashing or unpullable container), or the first
//! thing it still waits for; and once Ready, whether its last backup failed.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use super::objects::{
    component_of, is_backup_or_restore, is_database_upgrade, is_restore, is_setup_or_upgrade,
    job_condition, job_finished, job_role, made_by_storectl, running_restore,
};
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::Component;
use crate::domain::watched::{ContainerState, WatchedDeployment, WatchedJob, WatchedPod};

/// Container waiting reasons that mean the store will not become ready by itself.
const FAILING_REASONS: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
];

/// The first failure that will not heal by itself; a container counts once its pod is
/// `grace` old.
pub(super) fn failure(store: &StoreObjects, grace: Duration, now: Timestamp) -> Option<String> {
    for job in store.jobs.iter().filter(|j| is_setup_or_upgrade(j)) {
        if let Some(c) = job_condition(job, "Failed") {
            let why = c.reason.as_deref().unwrap_or("failed");
            return Some(format!("{} {} failed: {why}", job_role(job), job.meta.name));
        }
    }
    for d in &store.deployments {
        let stuck = d.status.iter().flat_map(|s| s.conditions.iter()).any(|c| {
            c.kind == "Progressing"
                && c.status == "False"
                && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
        });
        if stuck {
            return Some(format!(
                "deployment {}: progress deadline exceeded",
                d.meta.name
            ));
        }
    }
    for claim in &store.claims {
        if claim.phase.as_deref() == Some("Lost") {
            return Some(format!("volume of PVC {} was lost", claim.meta.name));
        }
    }
    let grace = k8s_openapi::jiff::SignedDuration::try_from(grace).unwrap_or_default();
    for pod in &store.pods {
        let age = pod.meta.created.map(|t| now.duration_since(t));
        if age.is_none_or(|a| a < grace) || pod.meta.deleting() {
            continue;
        }
        for c in &pod.containers {
            if let Some(why) = failing_reason(c) {
                let what = component_of(&pod.meta)
                    .map_or_else(|| pod.meta.name.to_string(), |c| c.as_str().to_string());
                return Some(format!("{what} container {}: {why}", c.name));
            }
        }
    }
    None
}

/// Why a container that waits will not start by itself: its reason and message
/// (`ImagePullBackOff: ...`), if the reason is one of `FAILING_REASONS`.
fn failing_reason(c: &ContainerState) -> Option<String> {
    let waiting = c.waiting.as_ref()?;
    let reason = waiting.reason.as_deref()?;
    if !FAILING_REASONS.contains(&reason) {
        return None;
    }
    Some(match waiting.message.as_deref() {
        None | Some("") => reason.to_string(),
        Some(message) => format!("{reason}: {message}"),
    })
}

/// The first thing the store still waits for, or None when it is Ready.
pub(super) fn waiting_for(store: &StoreObjects) -> Option<String> {
    if store.deployments.is_empty() {
        return Some("waiting for its objects to be created".to_string());
    }
    // WordPress is stopped on purpose while a backup is restored.
    if let Some(job) = running_restore(store) {
        return Some(format!("restoring a backup (job {job})"));
    }
    for claim in &store.claims {
        if claim.phase.as_deref() != Some("Bound") {
            return Some(format!("waiting for PVC {} to bind", claim.meta.name));
        }
    }
    for component in [Component::MySql, Component::WordPress] {
        let deployment = store
            .deployments
            .iter()
            .find(|d| component_of(&d.meta) == Some(component));
        let Some(d) = deployment else {
            return Some(format!(
                "waiting for the {} deployment to be created",
                component.as_str()
            ));
        };
        if !deployment_ready(d) {
            let ready = d.status.as_ref().and_then(|s| s.ready_replicas);
            let want = d.replicas.unwrap_or(1);
            let label = if component == Component::MySql {
                "MySQL"
            } else {
                "WordPress"
            };
            return Some(format!(
                "waiting for {label} to become ready ({}/{want})",
                ready.unwrap_or(0)
            ));
        }
    }
    let own_jobs: Vec<&Arc<WatchedJob>> = store
        .jobs
        .iter()
        .filter(|j| is_setup_or_upgrade(j))
        .collect();
    if own_jobs.is_empty() && made_by_storectl(store) {
        return Some("waiting for the setup job to be created".to_string());
    }
    for job in own_jobs {
        if !job.conditions.holds("Complete") {
            return Some(if is_database_upgrade(job) {
                "database upgrade job running (WordPress's and WooCommerce's database updates)"
                    .to_string()
            } else {
                "setup job running (installing WordPress and WooCommerce)".to_string()
            });
        }
    }
    None
}

fn deployment_ready(d: &WatchedDeployment) -> bool {
    let Some(status) = d.status.as_ref() else {
        return false;
    };
    let generation = d.meta.generation.unwrap_or(0);
    let current = status.observed_generation.unwrap_or(0) >= generation;
    let want = d.replicas.unwrap_or(1);
    let available = status.conditions.holds("Available");
    current
        && available
        && status.ready_replicas.unwrap_or(0) >= want
        && status.updated_replicas.unwrap_or(0) >= want
}

pub(super) fn pod_ready(p: &WatchedPod) -> bool {
    p.conditions.holds("Ready")
}

/// Every Deployment has rolled its current template out (Progressing: the new
/// ReplicaSet is available) and the setup Job is complete: pods that restart later are
/// not a store failing to come up.
pub(super) fn provisioned(store: &StoreObjects) -> bool {
    let rolled_out = |d: &Arc<WatchedDeployment>| {
        d.status.as_ref().is_some_and(|s| {
            s.observed_generation.unwrap_or(0) >= d.meta.generation.unwrap_or(0)
                && s.conditions.iter().any(|c| {
                    c.kind == "Progressing"
                        && c.status == "True"
                        && c.reason.as_deref() == Some("NewReplicaSetAvailable")
                })
        })
    };
    let setup_done = store
        .jobs
        .iter()
        .filter(|j| is_setup_or_upgrade(j) && !is_database_upgrade(j))
        .all(|j| j.conditions.holds("Complete"));
    !store.deployments.is_empty() && store.deployments.iter().all(rolled_out) && setup_done
}

/// Ready's reason: all ready, and whether the last backup failed (a scheduled backup
/// that fails must be seen; the store itself still serves).
pub(super) fn ready_reason(store: &StoreObjects) -> String {
    let last_backup = store
        .jobs
        .iter()
        .filter(|j| is_backup_or_restore(j) && !is_restore(j) && job_finished(j))
        .max_by_key(|j| j.meta.created);
    match last_backup.and_then(|j| job_condition(j, "Failed").map(|c| (j, c))) {
        Some((job, c)) => format!(
            "all components ready; last backup failed: job {}: {}",
            job.meta.name,
            c.reason.as_deref().unwrap_or("failed")
        ),
        None => "all components ready".to_string(),
    }
}
