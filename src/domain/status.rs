//! A store's status, derived (never guessed) from its observed objects and the time:
//! Deleting, Failed (with the reason), Ready, or Provisioning (with what it waits for).
//! The rules are STORE.md's, after kstatus.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::config::Config;
use super::inventory::StoreObjects;
use super::layout::Component;
use super::report::StoreReport;
use super::watched::WatchedPod;
use crate::domain::labels::{APPLIED_ANNOTATION, PAUSED_LABEL, RESTORING_LABEL};

mod objects;
mod readiness;
mod reported;

use objects::component_of;
pub use objects::running_restore;
use readiness::{failure, pod_ready, provisioned, ready_reason, waiting_for};
pub use reported::{pins, report_of};

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
    derive_reported(store, report_of(store).as_ref(), rules, now)
}

/// `derive` with the store's runner report already read (`report_of`): a summary reads
/// it once for the status and its own columns.
pub fn derive_reported(
    store: &StoreObjects,
    report: Option<&StoreReport>,
    rules: &StatusRules,
    now: Timestamp,
) -> StoreStatus {
    if let Some(what) = deleting(store) {
        return StoreStatus::new(Phase::Deleting, format!("{what} is being deleted"));
    }
    if let Some(reason) = paused(store) {
        return StoreStatus::new(Phase::Paused, reason);
    }
    if let Some(reason) = held_by_restore(store) {
        return StoreStatus::new(Phase::Failed, reason);
    }
    if let Some(reason) = pause_cut_short(store) {
        return StoreStatus::new(Phase::Failed, reason);
    }
    if let Some(reason) = failure(store, rules.failure_grace, now) {
        return StoreStatus::new(Phase::Failed, reason);
    }
    match waiting_for(store) {
        None => StoreStatus::new(
            Phase::Ready,
            reported::with_report(ready_reason(store), store, report, now),
        ),
        Some(waiting) => {
            let waiting = reported::why_wordpress_waits(waiting, report);
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
        .filter(|d| d.meta.labels.get(PAUSED_LABEL) == Some("true"))
        .count()
}

/// Why the store counts as paused: every Deployment carries the paused label.
fn paused(store: &StoreObjects) -> Option<String> {
    if store.deployments.is_empty() || paused_deployments(store) < store.deployments.len() {
        return None;
    }
    let running = pods_ready(store).total;
    Some(if running > 0 {
        format!("pausing: {running} pod(s) still stopping")
    } else {
        format!(
            "paused; volumes and secrets kept (storectl resume {})",
            store.name
        )
    })
}

/// Why the store does not serve: a pause stopped some of its Deployments, not all (it
/// was cut short); a stopped Deployment's zero replicas would otherwise read as ready.
fn pause_cut_short(store: &StoreObjects) -> Option<String> {
    let stopped = paused_deployments(store);
    if stopped == 0 || stopped >= store.deployments.len() {
        return None;
    }
    let name = &store.name;
    Some(format!(
        "pause did not finish: {stopped} of {} Deployments stopped; run `storectl pause {name}` again or `storectl resume {name}`",
        store.deployments.len()
    ))
}

/// The backup a restore stopped WordPress for, while it holds it stopped (until the
/// restore succeeds or changes nothing, or `storectl resume`).
pub fn restore_hold(store: &StoreObjects) -> Option<String> {
    store
        .deployments
        .iter()
        .filter(|d| component_of(&d.meta) == Some(Component::WordPress))
        .find_map(|d| d.meta.labels.get(RESTORING_LABEL))
        .map(str::to_string)
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
    if let Some(t) = store.namespace.as_ref().and_then(|n| n.meta.created) {
        return Some(t);
    }
    let metas = store
        .deployments
        .iter()
        .map(|d| &d.meta)
        .chain(store.jobs.iter().map(|j| &j.meta))
        .chain(store.claims.iter().map(|c| &c.meta))
        .chain(store.ingresses.iter().map(|i| &i.meta));
    metas.filter_map(|m| m.created).min()
}

/// When a revision was last applied to the store's Deployments (`storectl upgrade`,
/// `rollback`), if ever.
pub fn last_applied(store: &StoreObjects) -> Option<Timestamp> {
    store
        .deployments
        .iter()
        .filter_map(|d| d.meta.annotations.get(APPLIED_ANNOTATION))
        .filter_map(|t| t.parse::<Timestamp>().ok())
        .max()
}

/// How many of a store's serving pods are ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodCount {
    pub ready: usize,
    pub total: usize,
}

/// The ready and all pods of the store's Deployments (Job pods are not counted).
pub fn pods_ready(store: &StoreObjects) -> PodCount {
    let serving: Vec<&Arc<WatchedPod>> = store
        .pods
        .iter()
        .filter(|p| {
            !matches!(
                component_of(&p.meta),
                Some(Component::Setup | Component::Backup)
            )
        })
        .filter(|p| !matches!(p.phase.as_deref(), Some("Succeeded" | "Failed")))
        .collect();
    let ready = serving.iter().filter(|p| pod_ready(p)).count();
    PodCount {
        ready,
        total: serving.len(),
    }
}

/// The store's URL from its Ingress (https when the Ingress has TLS).
pub fn url(store: &StoreObjects) -> Option<String> {
    let ingress = store.ingresses.first()?;
    let host = ingress.host.as_deref()?;
    let scheme = if ingress.tls { "https" } else { "http" };
    Some(format!("{scheme}://{host}"))
}

fn deleting(store: &StoreObjects) -> Option<String> {
    if let Some(ns) = store.namespace.as_ref().filter(|n| n.meta.deleting()) {
        return Some(format!("namespace {}", ns.meta.name));
    }
    let deployment = store.deployments.iter().find(|d| d.meta.deleting());
    deployment.map(|d| format!("deployment {}", d.meta.name))
}

#[cfg(test)]
mod tests;
