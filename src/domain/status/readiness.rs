//! What keeps a store from serving: a failure that will not heal by itself (a failed
//! Job, a stuck rollout, a lost volume, a crashing or unpullable container), or the first
//! thing it still waits for; and once Ready, whether its last backup failed.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use k8s_openapi::jiff::Timestamp;

use super::objects::{
    component_of, conditions_of_job, is_backup_or_restore, is_database_upgrade, is_restore,
    is_setup_or_upgrade, job_finished, job_role, made_by_storectl, name, running_restore,
};
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::Component;

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
        if let Some(c) = conditions_of_job(job).find(|c| c.type_ == "Failed" && c.status == "True")
        {
            let why = c.reason.clone().unwrap_or_else(|| "failed".to_string());
            return Some(format!(
                "{} {} failed: {why}",
                job_role(job),
                name(&job.metadata)
            ));
        }
    }
    for d in &store.deployments {
        let stuck = d
            .status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten())
            .any(|c| {
                c.type_ == "Progressing"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
            });
        if stuck {
            return Some(format!(
                "deployment {}: progress deadline exceeded",
                name(&d.metadata)
            ));
        }
    }
    for claim in &store.claims {
        if claim.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Lost") {
            return Some(format!("volume of PVC {} was lost", name(&claim.metadata)));
        }
    }
    let grace = k8s_openapi::jiff::SignedDuration::try_from(grace).unwrap_or_default();
    for pod in &store.pods {
        let age = pod
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| now.duration_since(t.0));
        if age.is_none_or(|a| a < grace) || pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let status = pod.status.as_ref();
        let containers = status.into_iter().flat_map(|s| {
            s.init_container_statuses
                .iter()
                .flatten()
                .chain(s.container_statuses.iter().flatten())
        });
        for c in containers {
            if let Some(why) = failing_reason(c) {
                let what = component_of(&pod.metadata).map_or_else(
                    || name(&pod.metadata).to_string(),
                    |c| c.as_str().to_string(),
                );
                return Some(format!("{what} container {}: {why}", c.name));
            }
        }
    }
    None
}

/// Why a container that waits will not start by itself: its reason and message
/// (`ImagePullBackOff: ...`), if the reason is one of `FAILING_REASONS`.
fn failing_reason(c: &ContainerStatus) -> Option<String> {
    let waiting = c.state.as_ref()?.waiting.as_ref()?;
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
        if claim.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Bound") {
            return Some(format!("waiting for PVC {} to bind", name(&claim.metadata)));
        }
    }
    for component in [Component::MySql, Component::WordPress] {
        let deployment = store
            .deployments
            .iter()
            .find(|d| component_of(&d.metadata) == Some(component));
        let Some(d) = deployment else {
            return Some(format!(
                "waiting for the {} deployment to be created",
                component.as_str()
            ));
        };
        if !deployment_ready(d) {
            let status = d.status.clone().unwrap_or_default();
            let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            let label = if component == Component::MySql {
                "MySQL"
            } else {
                "WordPress"
            };
            return Some(format!(
                "waiting for {label} to become ready ({}/{want})",
                status.ready_replicas.unwrap_or(0)
            ));
        }
    }
    let own_jobs: Vec<&Arc<Job>> = store
        .jobs
        .iter()
        .filter(|j| is_setup_or_upgrade(j))
        .collect();
    if own_jobs.is_empty() && made_by_storectl(store) {
        return Some("waiting for the setup job to be created".to_string());
    }
    for job in own_jobs {
        if !conditions_of_job(job).any(|c| c.type_ == "Complete" && c.status == "True") {
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

fn deployment_ready(d: &Deployment) -> bool {
    let Some(status) = d.status.as_ref() else {
        return false;
    };
    let generation = d.metadata.generation.unwrap_or(0);
    let current = status.observed_generation.unwrap_or(0) >= generation;
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let available = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Available" && c.status == "True");
    current
        && available
        && status.ready_replicas.unwrap_or(0) >= want
        && status.updated_replicas.unwrap_or(0) >= want
}

pub(super) fn pod_ready(p: &Pod) -> bool {
    p.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Every Deployment has rolled its current template out (Progressing: the new
/// ReplicaSet is available) and the setup Job is complete: pods that restart later are
/// not a store failing to come up.
pub(super) fn provisioned(store: &StoreObjects) -> bool {
    let rolled_out = |d: &Arc<Deployment>| {
        let current = d.status.as_ref().is_some_and(|s| {
            s.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0)
        });
        current
            && d.status
                .iter()
                .flat_map(|s| s.conditions.iter().flatten())
                .any(|c| {
                    c.type_ == "Progressing"
                        && c.status == "True"
                        && c.reason.as_deref() == Some("NewReplicaSetAvailable")
                })
    };
    let setup_done = store
        .jobs
        .iter()
        .filter(|j| is_setup_or_upgrade(j) && !is_database_upgrade(j))
        .all(|j| conditions_of_job(j).any(|c| c.type_ == "Complete" && c.status == "True"));
    !store.deployments.is_empty() && store.deployments.iter().all(rolled_out) && setup_done
}

/// Ready's reason: all ready, and whether the last backup failed (a scheduled backup
/// that fails must be seen; the store itself still serves).
pub(super) fn ready_reason(store: &StoreObjects) -> String {
    let last_backup = store
        .jobs
        .iter()
        .filter(|j| is_backup_or_restore(j) && !is_restore(j) && job_finished(j))
        .max_by_key(|j| j.metadata.creation_timestamp.as_ref().map(|t| t.0));
    match last_backup.and_then(|j| {
        conditions_of_job(j)
            .find(|c| c.type_ == "Failed" && c.status == "True")
            .map(|c| (j, c))
    }) {
        Some((job, c)) => format!(
            "all components ready; last backup failed: job {}: {}",
            name(&job.metadata),
            c.reason.as_deref().unwrap_or("failed")
        ),
        None => "all components ready".to_string(),
    }
}
