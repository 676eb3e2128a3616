//! One line about a store, as `storectl list`, `status` and the TUI's table show it:
//! derived from its objects, the status rules and the time.

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::report::{Cron, Versions};
use super::status::{self, Phase, StatusRules};
use crate::domain::inventory::StoreObjects;
use crate::domain::labels::MAIL_ANNOTATION;
use crate::domain::store_ref::StoreRef;
use crate::domain::watched::WatchedJob;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreSummary {
    pub name: String,
    pub namespace: String,
    /// The kubeconfig context of the cluster the store is in (`in-cluster` inside a pod).
    pub context: String,
    pub status: Phase,
    pub reason: String,
    pub url: Option<String>,
    /// Seconds since creation.
    pub age_seconds: Option<i64>,
    pub pods_ready: usize,
    pub pods_total: usize,
    /// RFC 3339 creation time.
    pub created: Option<String>,
    /// What the store runs, as its runner last reported (null before its first report).
    pub versions: Option<Versions>,
    /// When its cron last ran and how much is past due, as its runner reported.
    pub cron: Cron,
}

impl StoreSummary {
    /// Which store this is (name, namespace and cluster).
    pub fn store_ref(&self) -> StoreRef {
        StoreRef::new(
            self.name.clone(),
            self.namespace.clone(),
            self.context.clone(),
        )
    }

    /// The order of a fleet's list (`storectl serve`'s, its pages and the changes
    /// between two looks): namespace, name, then context.
    pub fn list_order(&self, other: &Self) -> std::cmp::Ordering {
        (&self.namespace, &self.name, &self.context).cmp(&(
            &other.namespace,
            &other.name,
            &other.context,
        ))
    }

    /// For tests: store `name` in `store-NAME` with `status` and `reason`, nothing else.
    #[cfg(test)]
    pub fn example(name: &str, status: Phase, reason: &str) -> Self {
        Self {
            name: name.to_string(),
            namespace: format!("store-{name}"),
            context: "test".to_string(),
            status,
            reason: reason.to_string(),
            url: None,
            age_seconds: None,
            pods_ready: 0,
            pods_total: 0,
            created: None,
            versions: None,
            cron: Cron::default(),
        }
    }
}

/// The summary of `store`, a store of the cluster of `context`.
pub fn summarize(
    store: &StoreObjects,
    context: &str,
    rules: &StatusRules,
    now: Timestamp,
) -> StoreSummary {
    let report = status::report_of(store);
    let status = status::derive_reported(store, report.as_ref(), rules, now);
    let created = status::created(store);
    let pods = status::pods_ready(store);
    let report = report.unwrap_or_default();
    StoreSummary {
        name: store.name.clone(),
        namespace: store.namespace_name.clone(),
        context: context.to_string(),
        status: status.phase,
        reason: status.reason,
        url: status::url(store),
        age_seconds: created.map(|c| now.duration_since(c).as_secs().max(0)),
        pods_ready: pods.ready,
        pods_total: pods.total,
        created: created.map(|c| c.to_string()),
        versions: report.versions,
        cron: report.cron,
    }
}

/// `status -o json` and `GET /api/stores/NAME`: the summary plus the state of each object.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    #[serde(flatten)]
    pub summary: StoreSummary,
    /// The mail settings the store runs with (its WordPress Deployment's
    /// `storectl.io/mail`), null where mail is not configured.
    pub mail: Option<crate::domain::manifests::mail::MailSettings>,
    pub objects: Vec<ObjectState>,
}

impl StatusReport {
    pub fn of(store: &StoreObjects, context: &str, rules: &StatusRules, now: Timestamp) -> Self {
        Self {
            summary: summarize(store, context, rules, now),
            mail: mail_of(store),
            objects: object_states(store),
        }
    }
}

/// The mail settings on the store's WordPress Deployment, if any.
pub fn mail_of(store: &StoreObjects) -> Option<crate::domain::manifests::mail::MailSettings> {
    store.deployments.iter().find_map(|d| {
        let value = d.meta.annotations.get(MAIL_ANNOTATION)?;
        crate::domain::manifests::mail::MailSettings::parse(value)
    })
}

/// `mail: HOST:PORT from FROM`, or `mail: not configured`: the status line.
pub fn mail_line(mail: Option<&crate::domain::manifests::mail::MailSettings>) -> String {
    match mail {
        Some(m) => format!("mail: {}", m.line()),
        None => "mail: not configured".to_string(),
    }
}

/// One object of a store and its state in a word or two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectState {
    pub kind: &'static str,
    pub name: String,
    pub state: String,
}

/// The state of each object of the store, namespace first.
pub fn object_states(store: &StoreObjects) -> Vec<ObjectState> {
    let state = |kind, name: &str, state: Option<&str>| ObjectState {
        kind,
        name: name.to_string(),
        state: state.unwrap_or_default().to_string(),
    };
    let mut out = Vec::new();
    if let Some(ns) = &store.namespace {
        out.push(state("Namespace", &ns.meta.name, ns.phase.as_deref()));
    }
    for c in &store.claims {
        out.push(state(
            "PersistentVolumeClaim",
            &c.meta.name,
            c.phase.as_deref(),
        ));
    }
    for d in &store.deployments {
        let ready = d
            .status
            .as_ref()
            .and_then(|s| s.ready_replicas)
            .unwrap_or(0);
        let want = d.replicas.unwrap_or(1);
        let replicas = format!("{ready}/{want} ready");
        out.push(state("Deployment", &d.meta.name, Some(&replicas)));
    }
    for j in &store.jobs {
        out.push(state("Job", &j.meta.name, Some(job_state(j))));
    }
    for p in &store.pods {
        out.push(state("Pod", &p.meta.name, p.phase.as_deref()));
    }
    for i in &store.ingresses {
        out.push(state("Ingress", &i.meta.name, i.host.as_deref()));
    }
    out
}

/// A Job's final condition when it has one; current controllers first set the interim
/// SuccessCriteriaMet / FailureTarget while the last pods finish.
fn job_state(job: &WatchedJob) -> &'static str {
    let holds = |kind: &str| job.conditions.holds(kind);
    [
        ("Complete", "Complete"),
        ("Failed", "Failed"),
        ("SuccessCriteriaMet", "completing"),
        ("FailureTarget", "failing"),
    ]
    .into_iter()
    .find(|(condition, _)| holds(condition))
    .map_or("Running", |(_, state)| state)
}

/// kubectl-style age: `42s`, `5m`, `3h`, `12d`.
pub fn human_age(seconds: Option<i64>) -> String {
    match seconds {
        None => "-".to_string(),
        Some(s) if s < 120 => format!("{s}s"),
        Some(s) if s < 2 * 3600 => format!("{}m", s / 60),
        Some(s) if s < 2 * 86400 => format!("{}h", s / 3600),
        Some(s) => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(human_age(None), "-");
        assert_eq!(human_age(Some(42)), "42s");
        assert_eq!(human_age(Some(300)), "5m");
        assert_eq!(human_age(Some(3 * 3600)), "3h");
        assert_eq!(human_age(Some(12 * 86400)), "12d");
    }
}
