//! A store's status, derived (never guessed) from its observed objects and the time:
//! Deleting, Failed (with the reason), Ready, or Provisioning (with what it waits for).
//! The rules are STORE.md's, after kstatus.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ContainerStatus, Namespace, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::config::Config;
use super::layout::{Component, DATABASE_UPGRADE};
use crate::domain::labels::{
    APPLIED_ANNOTATION, BACKUP_OF_LABEL, LABEL_COMPONENT, PAUSED_LABEL, RESTORING_LABEL,
};

/// Container waiting reasons that mean the store will not become ready by itself.
const FAILING_REASONS: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
];

/// Everything observed of one store, grouped by the `app` label. The objects are shared
/// with the model they were observed into.
#[derive(Debug, Clone, Default)]
pub struct StoreObjects {
    pub name: String,
    /// The store's own namespace (per-store mode), if it exists.
    pub namespace: Option<Arc<Namespace>>,
    /// Where the store's objects are (its own namespace, or the shared one).
    pub namespace_name: String,
    pub deployments: Vec<Arc<Deployment>>,
    pub jobs: Vec<Arc<Job>>,
    pub claims: Vec<Arc<PersistentVolumeClaim>>,
    pub pods: Vec<Arc<Pod>>,
    pub ingresses: Vec<Arc<Ingress>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Phase {
    Provisioning,
    Ready,
    Failed,
    Deleting,
    /// Scaled to zero by `storectl pause`, every volume and secret kept.
    Paused,
}

impl Phase {
    /// Every status, in the order counts and columns show them.
    pub const ALL: [Phase; 5] = [
        Phase::Ready,
        Phase::Provisioning,
        Phase::Failed,
        Phase::Deleting,
        Phase::Paused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "Provisioning",
            Self::Ready => "Ready",
            Self::Failed => "Failed",
            Self::Deleting => "Deleting",
            Self::Paused => "Paused",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rules' two clocks, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct StatusRules {
    /// A store not Ready this long after creation is Failed.
    pub provisioning_deadline: Duration,
    /// A failing container counts only once its pod is this old (pulls and first starts
    /// fail transiently on real clusters).
    pub failure_grace: Duration,
}

/// The status rules are configured (`stores.provisioningDeadline`,
/// `stores.failureGrace`); written here so that the configuration knows nothing of them.
impl Config {
    /// The clocks of the status rules.
    pub fn status_rules(&self) -> StatusRules {
        StatusRules {
            provisioning_deadline: self.stores.provisioning_deadline.0,
            failure_grace: self.stores.failure_grace.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreStatus {
    pub phase: Phase,
    pub reason: String,
}

impl StoreStatus {
    fn new(phase: Phase, reason: impl Into<String>) -> Self {
        Self {
            phase,
            reason: reason.into(),
        }
    }
}

/// Derives the status of a store at `now`.
pub fn derive(store: &StoreObjects, rules: &StatusRules, now: Timestamp) -> StoreStatus {
    if let Some(what) = deleting(store) {
        return StoreStatus::new(Phase::Deleting, format!("{what} is being deleted"));
    }
    if let Some(reason) = paused(store) {
        return StoreStatus::new(Phase::Paused, reason);
    }
    if let Some(reason) = held_by_restore(store) {
        return StoreStatus::new(Phase::Failed, reason);
    }
    if let Some(reason) = failure(store, rules, now) {
        return StoreStatus::new(Phase::Failed, reason);
    }
    match waiting_for(store) {
        None => StoreStatus::new(Phase::Ready, ready_reason(store)),
        Some(waiting) => {
            let (since, what) = match last_applied(store) {
                Some(applied) => (Some(applied), "its last upgrade"),
                None => (created(store), "creation"),
            };
            let age = since.map(|c| now.duration_since(c));
            let deadline = k8s_openapi::jiff::SignedDuration::try_from(rules.provisioning_deadline)
                .unwrap_or_default();
            // A store that has been provisioned (pods restarting after a restore, a
            // node drain) is waited for, not failed: its Deployments' own progress
            // deadline catches a rollout that is stuck.
            if age.is_some_and(|a| a > deadline) && !provisioned(store) {
                let limit = short_duration(rules.provisioning_deadline);
                StoreStatus::new(
                    Phase::Failed,
                    format!("not ready {limit} after {what}: {waiting}"),
                )
            } else {
                StoreStatus::new(Phase::Provisioning, waiting)
            }
        }
    }
}

/// How many of the store's Deployments carry the paused label.
pub fn paused_deployments(store: &StoreObjects) -> usize {
    store
        .deployments
        .iter()
        .filter(|d| {
            d.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(PAUSED_LABEL))
                .is_some_and(|v| v == "true")
        })
        .count()
}

/// Why the store counts as paused: every Deployment carries the paused label.
fn paused(store: &StoreObjects) -> Option<String> {
    if store.deployments.is_empty() || paused_deployments(store) < store.deployments.len() {
        return None;
    }
    let (_, running) = pods_ready(store);
    Some(if running > 0 {
        format!("pausing: {running} pod(s) still stopping")
    } else {
        format!(
            "paused; volumes and secrets kept (storectl resume {})",
            store.name
        )
    })
}

/// The backup a restore stopped WordPress for, while it holds it stopped (until the
/// restore succeeds or changes nothing, or `storectl resume`).
pub fn restore_hold(store: &StoreObjects) -> Option<String> {
    store
        .deployments
        .iter()
        .filter(|d| component_of(&d.metadata) == Some(Component::WordPress))
        .find_map(|d| d.metadata.labels.as_ref()?.get(RESTORING_LABEL))
        .cloned()
}

/// The store's restore Job that has not ended, if any.
pub fn running_restore(store: &StoreObjects) -> Option<String> {
    store
        .jobs
        .iter()
        .find(|j| is_restore(j) && !job_finished(j))
        .map(|j| name(&j.metadata).to_string())
}

/// Why the store does not serve: a restore stopped WordPress and did not start it again
/// (its outcome is unknown: it failed without saying that it changed nothing, or
/// storectl stopped waiting), and no restore Job runs any more.
fn held_by_restore(store: &StoreObjects) -> Option<String> {
    let id = restore_hold(store)?;
    if running_restore(store).is_some() {
        return None;
    }
    let name = &store.name;
    Some(format!(
        "restore of backup {id} did not finish: WordPress kept stopped; run `storectl restore {name} --from {id}` again or `storectl resume {name}`"
    ))
}

/// `15m`, `90s`, `2h`: the largest unit that divides the duration.
fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// When the store was created: its namespace (per-store mode) or its oldest object.
pub fn created(store: &StoreObjects) -> Option<Timestamp> {
    if let Some(t) = store
        .namespace
        .as_ref()
        .and_then(|n| n.metadata.creation_timestamp.as_ref())
    {
        return Some(t.0);
    }
    let metas = store
        .deployments
        .iter()
        .map(|d| &d.metadata)
        .chain(store.jobs.iter().map(|j| &j.metadata))
        .chain(store.claims.iter().map(|c| &c.metadata))
        .chain(store.ingresses.iter().map(|i| &i.metadata));
    metas
        .filter_map(|m| m.creation_timestamp.as_ref().map(|t| t.0))
        .min()
}

/// When a revision was last applied to the store's Deployments (`storectl upgrade`,
/// `rollback`), if ever.
pub fn last_applied(store: &StoreObjects) -> Option<Timestamp> {
    store
        .deployments
        .iter()
        .filter_map(|d| d.metadata.annotations.as_ref()?.get(APPLIED_ANNOTATION))
        .filter_map(|t| t.parse::<Timestamp>().ok())
        .max()
}

/// (ready, total) pods of the store's Deployments (Job pods are not counted).
pub fn pods_ready(store: &StoreObjects) -> (usize, usize) {
    let serving: Vec<&Arc<Pod>> = store
        .pods
        .iter()
        .filter(|p| {
            !matches!(
                component_of(&p.metadata),
                Some(Component::Setup | Component::Backup)
            )
        })
        .filter(|p| {
            !matches!(
                p.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            )
        })
        .collect();
    let ready = serving.iter().filter(|p| pod_ready(p)).count();
    (ready, serving.len())
}

/// The store's URL from its Ingress (https when the Ingress has TLS).
pub fn url(store: &StoreObjects) -> Option<String> {
    let spec = store.ingresses.first()?.spec.as_ref()?;
    let host = spec.rules.as_ref()?.first()?.host.clone()?;
    let tls = spec.tls.as_ref().is_some_and(|t| !t.is_empty());
    Some(format!("{}://{host}", if tls { "https" } else { "http" }))
}

fn deleting(store: &StoreObjects) -> Option<String> {
    if let Some(ns) = store
        .namespace
        .as_ref()
        .filter(|n| n.metadata.deletion_timestamp.is_some())
    {
        return Some(format!(
            "namespace {}",
            ns.metadata.name.as_deref().unwrap_or_default()
        ));
    }
    let deployment = store
        .deployments
        .iter()
        .find(|d| d.metadata.deletion_timestamp.is_some());
    deployment.map(|d| {
        format!(
            "deployment {}",
            d.metadata.name.as_deref().unwrap_or_default()
        )
    })
}

fn failure(store: &StoreObjects, rules: &StatusRules, now: Timestamp) -> Option<String> {
    for job in store.jobs.iter().filter(|j| !is_backup_or_restore(j)) {
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
    let grace =
        k8s_openapi::jiff::SignedDuration::try_from(rules.failure_grace).unwrap_or_default();
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
            if let Some((reason, message)) = failing_reason(c) {
                let what = component_of(&pod.metadata).map_or_else(
                    || name(&pod.metadata).to_string(),
                    |c| c.as_str().to_string(),
                );
                let detail = if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                };
                return Some(format!("{what} container {}: {reason}{detail}", c.name));
            }
        }
    }
    None
}

fn failing_reason(c: &ContainerStatus) -> Option<(String, String)> {
    let waiting = c.state.as_ref()?.waiting.as_ref()?;
    let reason = waiting.reason.clone()?;
    FAILING_REASONS
        .contains(&reason.as_str())
        .then(|| (reason, waiting.message.clone().unwrap_or_default()))
}

/// The first thing the store still waits for, or None when it is Ready.
fn waiting_for(store: &StoreObjects) -> Option<String> {
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
        .filter(|j| !is_backup_or_restore(j))
        .collect();
    if own_jobs.is_empty() && made_by_storectl(store) {
        return Some("waiting for the setup job to be created".to_string());
    }
    for job in own_jobs {
        if !conditions_of_job(job).any(|c| c.type_ == "Complete" && c.status == "True") {
            return Some(if is_database_upgrade(job) {
                "database upgrade job running (wp core update-db, wp wc update)".to_string()
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

fn pod_ready(p: &Pod) -> bool {
    p.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Every Deployment has rolled its current template out (Progressing: the new
/// ReplicaSet is available) and the setup Job is complete: pods that restart later are
/// not a store failing to come up.
fn provisioned(store: &StoreObjects) -> bool {
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
        .filter(|j| !is_backup_or_restore(j) && !is_database_upgrade(j))
        .all(|j| conditions_of_job(j).any(|c| c.type_ == "Complete" && c.status == "True"));
    !store.deployments.is_empty() && store.deployments.iter().all(rolled_out) && setup_done
}

/// Ready's reason: all ready, and whether the last backup failed (a scheduled backup
/// that fails must be seen; the store itself still serves).
fn ready_reason(store: &StoreObjects) -> String {
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

/// Backup and restore Jobs carry the label naming their store.
fn is_backup_or_restore(job: &Job) -> bool {
    job.metadata
        .labels
        .as_ref()
        .is_some_and(|l| l.contains_key(BACKUP_OF_LABEL))
}

fn is_restore(job: &Job) -> bool {
    is_backup_or_restore(job) && name(&job.metadata).contains("-restore-")
}

fn job_finished(job: &Job) -> bool {
    conditions_of_job(job)
        .any(|c| c.status == "True" && (c.type_ == "Complete" || c.type_ == "Failed"))
}

/// Whether `job` is a database upgrade (`<store>-db-upgrade-<revision>`) rather than
/// the store's setup.
fn is_database_upgrade(job: &Job) -> bool {
    name(&job.metadata).contains(&format!("-{DATABASE_UPGRADE}-"))
}

fn job_role(job: &Job) -> &'static str {
    if is_database_upgrade(job) {
        "database upgrade job"
    } else {
        "setup job"
    }
}

fn conditions_of_job(
    job: &Job,
) -> impl Iterator<Item = &k8s_openapi::api::batch::v1::JobCondition> {
    job.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
}

/// Stores made by the original platform have no setup Job; storectl's always have one.
fn made_by_storectl(store: &StoreObjects) -> bool {
    store.deployments.iter().any(|d| {
        d.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("app.kubernetes.io/managed-by"))
            .is_some_and(|v| v == "storectl")
    })
}

fn component_of(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Option<Component> {
    meta.labels
        .as_ref()?
        .get(LABEL_COMPONENT)
        .and_then(|c| Component::parse(c))
}

fn name(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

#[cfg(test)]
mod tests;
