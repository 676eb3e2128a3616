//! Keeps the server's view up to date: follows the fleet's signals (changes, each
//! cluster's health, "listed"), derives the summaries of the stores that changed and of
//! every store as the time moves (the status rules depend on time; `cluster::pacing`
//! says when), publishes the merged list with each cluster's state, and announces each
//! status change to the clients that watch.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::jiff::Timestamp;
use tokio::sync::{broadcast, watch};

use super::metrics::Metrics;
use super::standing::{ClusterState, serving};
use super::view::View;
use crate::cluster::fleet_watch::{LiveFleet, Step};
use crate::cluster::health::Health;
use crate::cluster::pacing::Pacing;
use crate::cluster::per_store::Update;
use crate::domain::changes::{ChangeKind, StatusChanges, StoreChange};
use crate::domain::status::{Phase, StatusRules};
use crate::domain::summary::{StoreSummary, summarize};

pub struct Deriver {
    fleet: LiveFleet<Arc<StoreSummary>>,
    /// Each cluster's health at its last signal.
    health: Vec<Health>,
    rules: StatusRules,
    /// The original platform's shared namespace: with storectl's marked namespaces, where
    /// stores are.
    shared_namespace: String,
    metrics: Arc<Metrics>,
    view: watch::Sender<Arc<View>>,
    events: broadcast::Sender<StoreChange>,
    /// Each store's status at the last look.
    changes: StatusChanges,
}

impl Deriver {
    pub fn new(
        fleet: LiveFleet<Arc<StoreSummary>>,
        rules: StatusRules,
        shared_namespace: String,
        metrics: Arc<Metrics>,
        view: watch::Sender<Arc<View>>,
        events: broadcast::Sender<StoreChange>,
    ) -> Self {
        let health = vec![Health::Connecting; fleet.members.len()];
        Self {
            fleet,
            health,
            rules,
            shared_namespace,
            metrics,
            view,
            events,
            changes: StatusChanges::default(),
        }
    }

    pub async fn run(mut self) {
        let mut pacing = Pacing::new(Instant::now());
        let mut listed = false;
        loop {
            let all = match self.fleet.step(&mut pacing).await {
                Step::Health(i, now) => {
                    self.health_changed(i, now);
                    false
                }
                Step::Update { all } => all,
            };
            let clusters = self.clusters();
            let first = !listed && serving(&clusters);
            listed |= first;
            // Off the worker that serves requests, which another thread takes over
            // meanwhile (every store again: ~100 ms at 10,000).
            let started = Instant::now();
            let update = tokio::task::block_in_place(|| self.derive(clusters, listed, first, all));
            pacing.updated(started, Instant::now(), update.all);
        }
    }

    /// Cluster `i`'s health changed to `now` (a reconnect counted, liveness set in the
    /// metrics).
    fn health_changed(&mut self, i: usize, now: Health) {
        let reconnecting = |h: &Health| matches!(h, Health::Reconnecting { .. });
        if reconnecting(&now) && !reconnecting(&self.health[i]) {
            self.metrics
                .count_reconnect(&self.fleet.members[i].conn.endpoint.context);
        }
        self.health[i] = now;
        let live = self.health.iter().all(|h| matches!(h, Health::Live { .. }));
        self.metrics.set_live(live);
    }

    /// Each cluster's state now (its store count is set by `derive`).
    fn clusters(&self) -> Vec<ClusterState> {
        self.fleet
            .members
            .iter()
            .zip(&self.health)
            .map(|(m, health)| ClusterState {
                context: m.conn.endpoint.context.clone(),
                health: health.clone(),
                listed: m.listed,
                stores: 0,
            })
            .collect()
    }

    /// Derives the summaries of the stores that changed (every store when `all`),
    /// publishes the view and announces what changed (nothing on the first complete list:
    /// a new watcher gets the whole view first).
    fn derive(
        &mut self,
        mut clusters: Vec<ClusterState>,
        listed: bool,
        first: bool,
        all: bool,
    ) -> Update {
        let now = Timestamp::now();
        let rules = &self.rules;
        let update = self
            .fleet
            .update(&self.shared_namespace, all, |store, context| {
                Arc::new(summarize(store, context, rules, now))
            });
        let mut stores: Vec<Arc<StoreSummary>> = Vec::new();
        for (m, cluster) in self.fleet.members.iter().zip(clusters.iter_mut()) {
            let before = stores.len();
            stores.extend(m.values().cloned());
            cluster.stores = stores.len() - before;
            let live = matches!(cluster.health, Health::Live { .. });
            self.metrics
                .set_cluster(&cluster.context, live, cluster.stores);
        }
        stores.sort_by(|a, b| a.list_order(b));
        let mut by_status: BTreeMap<Phase, u64> = BTreeMap::new();
        for s in &stores {
            *by_status.entry(s.status).or_default() += 1;
        }
        self.metrics.set_stores(by_status);
        if listed {
            self.announce(&stores, !first);
        }
        let previous = self.view.borrow().clone();
        let view = View::new(stores, clusters, listed).prepared_as(&previous);
        self.view.send_replace(Arc::new(view));
        update
    }

    /// Sends what changed since the last look (when `send`: not for the first list).
    fn announce(&mut self, stores: &[Arc<StoreSummary>], send: bool) {
        for change in self.changes.update(stores) {
            if change.kind == ChangeKind::Modified
                && change.was == Some(Phase::Provisioning)
                && change.store.status == Phase::Ready
            {
                let age = change.store.age_seconds.unwrap_or(0) as f64;
                self.metrics.observe_provisioning(age);
            }
            if send {
                let _ = self.events.send(change);
            }
        }
    }
}
