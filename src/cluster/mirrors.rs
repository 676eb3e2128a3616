//! A live model's objects: one mirror per store kind, written by its watchers (by hand in
//! tests and benchmarks), read as the whole inventory, as one store's objects (ranges of
//! its namespace), and as which stores changed since the last look (`touched.rs`).

use std::sync::Arc;

use tokio::sync::watch;

use super::mirror::{Mirror, MirrorWriter, mirror};
use super::touched::{StoreKey, TouchLog, Touched};
use crate::domain::inventory::{Inventory, StoreObjects};
use crate::domain::labels::LABEL_APP;
use crate::domain::watched::{
    Meta, WatchedDeployment, WatchedIngress, WatchedJob, WatchedLease, WatchedNamespace,
    WatchedPod, WatchedPvc,
};

/// The read side: every store kind's mirror, cheap to clone.
#[derive(Clone)]
pub struct Mirrors {
    namespaces: Mirror<WatchedNamespace>,
    deployments: Mirror<WatchedDeployment>,
    jobs: Mirror<WatchedJob>,
    claims: Mirror<WatchedPvc>,
    pods: Mirror<WatchedPod>,
    ingresses: Mirror<WatchedIngress>,
    reports: Mirror<WatchedLease>,
    touched: TouchLog,
}

/// The write side, a writer per kind (each fed by its watcher).
pub struct MirrorWriters {
    pub namespaces: MirrorWriter<WatchedNamespace>,
    pub deployments: MirrorWriter<WatchedDeployment>,
    pub jobs: MirrorWriter<WatchedJob>,
    pub claims: MirrorWriter<WatchedPvc>,
    pub pods: MirrorWriter<WatchedPod>,
    pub ingresses: MirrorWriter<WatchedIngress>,
    pub reports: MirrorWriter<WatchedLease>,
}

impl Mirrors {
    /// Empty mirrors of every kind, noting changes in one touch log.
    pub fn new() -> (Self, MirrorWriters) {
        let touched = TouchLog::default();
        let (namespaces, namespaces_w) = mirror(touched.clone());
        let (deployments, deployments_w) = mirror(touched.clone());
        let (jobs, jobs_w) = mirror(touched.clone());
        let (claims, claims_w) = mirror(touched.clone());
        let (pods, pods_w) = mirror(touched.clone());
        let (ingresses, ingresses_w) = mirror(touched.clone());
        let (reports, reports_w) = mirror(touched.clone());
        let mirrors = Self {
            namespaces,
            deployments,
            jobs,
            claims,
            pods,
            ingresses,
            reports,
            touched,
        };
        let writers = MirrorWriters {
            namespaces: namespaces_w,
            deployments: deployments_w,
            jobs: jobs_w,
            claims: claims_w,
            pods: pods_w,
            ingresses: ingresses_w,
            reports: reports_w,
        };
        (mirrors, writers)
    }

    /// Each kind's "listed once" signal.
    pub fn listed(&self) -> Vec<watch::Receiver<bool>> {
        vec![
            self.namespaces.listed(),
            self.deployments.listed(),
            self.jobs.listed(),
            self.claims.listed(),
            self.pods.listed(),
            self.ingresses.listed(),
            self.reports.listed(),
        ]
    }

    /// Every object (shared, not copied).
    pub fn inventory(&self) -> Inventory {
        Inventory {
            namespaces: self.namespaces.state(),
            deployments: self.deployments.state(),
            jobs: self.jobs.state(),
            claims: self.claims.state(),
            pods: self.pods.state(),
            ingresses: self.ingresses.state(),
            reports: self.reports.state(),
        }
    }

    /// Which stores' objects changed since the last call: for the one reader of changes
    /// (`per_store`), as a call takes them.
    pub fn take_touched(&self) -> Touched {
        self.touched.take()
    }

    /// The objects store `key` names, each kind read as a range of its namespace (no
    /// pass over the others' objects); None when none are seen.
    pub fn store_objects(&self, key: &StoreKey) -> Option<StoreObjects> {
        let of = |meta: &Meta| meta.labels.get(LABEL_APP) == Some(key.name.as_str());
        let ns = key.namespace.as_str();
        let namespace: Option<Arc<WatchedNamespace>> = self.namespaces.cluster_scoped(ns);
        let inventory = Inventory {
            namespaces: namespace.filter(|n| of(&n.meta)).into_iter().collect(),
            deployments: self.deployments.in_namespace(ns, of),
            jobs: self.jobs.in_namespace(ns, of),
            claims: self.claims.in_namespace(ns, of),
            pods: self.pods.in_namespace(ns, of),
            ingresses: self.ingresses.in_namespace(ns, of),
            reports: self.reports.in_namespace(ns, of),
        };
        inventory.groups().into_iter().next()
    }
}
