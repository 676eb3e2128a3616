//! The server's view of the stores: one live model (the watches the TUI uses) per served
//! cluster, its summaries derived again for the stores that changed and for every store
//! as the time moves (the status rules depend on time; `cluster::pacing` says when), merged into one list
//! (namespace, name, then context order) kept serialized for `GET /api/stores`, and
//! announced as events, one per status change, to the clients that watch. A cluster
//! whose API server is away keeps its stores as last seen; its state is in the view. No
//! request lists a cluster.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use futures::Stream;
use k8s_openapi::jiff::Timestamp;
use tokio::sync::{broadcast, mpsc, watch};

use super::metrics::Metrics;
use super::standing::{ClusterState, serving};
use crate::cluster::health::Health;
use crate::cluster::pacing::Pacing;
use crate::cluster::per_store::{PerStore, Update};
use crate::cluster::touched::StoreKey;
use crate::cluster::watch::{LiveModel, Started};
use crate::domain::changes::{ChangeKind, StatusChanges, StoreChange};
use crate::domain::inventory::{StoreObjects, is_store};
use crate::domain::status::{Phase, StatusRules};
use crate::domain::summary::{StoreSummary, summarize};

/// Events kept for a slow watcher before it is cut off (it reconnects and relists).
const EVENT_BACKLOG: usize = 1024;

/// What the server knows at one moment.
pub struct View {
    /// Every cluster's stores, sorted by namespace, name, then context.
    pub stores: Vec<StoreSummary>,
    /// `stores` as a JSON array, serialized once for every request.
    pub json: Bytes,
    /// `json` gzip-compressed, once, for the first client that asks.
    pub gzip: std::sync::OnceLock<Bytes>,
    /// Each served cluster, in the order given.
    pub clusters: Vec<ClusterState>,
    /// The stores may be served (`standing::serving`).
    pub listed: bool,
}

/// The order of the list, its pages and their tokens.
pub fn order(a: &StoreSummary, b: &StoreSummary) -> std::cmp::Ordering {
    (&a.namespace, &a.name, &a.context).cmp(&(&b.namespace, &b.name, &b.context))
}

/// The model and what is derived from it.
#[derive(Clone)]
pub struct Feed {
    /// Each cluster's context and model.
    models: Vec<(String, LiveModel)>,
    shared_namespace: String,
    view: watch::Receiver<Arc<View>>,
    events: broadcast::Sender<StoreChange>,
}

/// A watcher's start: the view now, and every change after it.
pub struct Subscription {
    pub view: Arc<View>,
    pub events: broadcast::Receiver<StoreChange>,
}

impl Feed {
    /// Starts deriving from the models, each with the context of its cluster; the task
    /// ends when every model's watchers do.
    pub fn start(
        started: Vec<(String, Started)>,
        rules: StatusRules,
        shared_namespace: String,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (wake_tx, wake) = mpsc::channel(1);
        let mut members = Vec::new();
        let mut clusters = Vec::new();
        for (
            context,
            Started {
                model,
                changes,
                health,
            },
        ) in started
        {
            forward_changes(changes, wake_tx.clone());
            forward_health(health.clone(), wake_tx.clone());
            clusters.push(ClusterState {
                context: context.clone(),
                health: Health::Connecting,
                listed: false,
                stores: 0,
            });
            members.push(Member {
                context,
                model,
                health,
                listed: false,
                was: Health::Connecting,
                summaries: PerStore::default(),
            });
        }
        drop(wake_tx);
        let (view_tx, view) = watch::channel(Arc::new(View {
            stores: Vec::new(),
            json: Bytes::from_static(b"[]"),
            gzip: Default::default(),
            clusters,
            listed: false,
        }));
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let models = members
            .iter()
            .map(|m| (m.context.clone(), m.model.clone()))
            .collect();
        let deriver = Deriver {
            members,
            rules,
            shared_namespace: shared_namespace.clone(),
            metrics,
            view: view_tx,
            events: events.clone(),
            changes: StatusChanges::default(),
        };
        tokio::spawn(deriver.run(wake));
        Self {
            models,
            shared_namespace,
            view,
            events,
        }
    }

    pub fn view(&self) -> Arc<View> {
        self.view.borrow().clone()
    }

    /// The events from now on, and the view they start from.
    pub fn subscribe(&self) -> Subscription {
        let events = self.events.subscribe();
        Subscription {
            view: self.view(),
            events,
        }
    }

    /// The store's summary once the view has it, or None after `within`.
    pub async fn wait_for_store(
        &self,
        context: &str,
        namespace: &str,
        name: &str,
        within: Duration,
    ) -> Option<StoreSummary> {
        let find = |view: &View| {
            view.stores
                .iter()
                .find(|s| s.context == context && s.namespace == namespace && s.name == name)
                .cloned()
        };
        let mut view = self.view.clone();
        let seen = tokio::time::timeout(within, view.wait_for(|v| find(v).is_some())).await;
        match seen {
            Ok(Ok(v)) => find(&v),
            _ => None,
        }
    }

    /// One store's objects, from its cluster's model (its namespace only).
    pub fn store_objects(&self, summary: &StoreSummary) -> Option<StoreObjects> {
        let (_, model) = self.models.iter().find(|(c, _)| *c == summary.context)?;
        model
            .store_objects(&StoreKey::new(&summary.name, &summary.namespace))
            .filter(|s| is_store(s, &self.shared_namespace))
    }
}

/// Wakes the deriver after each change of a model (many wakes make one).
fn forward_changes(mut changes: mpsc::Receiver<()>, wake: mpsc::Sender<()>) {
    tokio::spawn(async move {
        while changes.recv().await.is_some() {
            let _ = wake.try_send(());
        }
    });
}

/// Wakes the deriver after each change of a model's health.
fn forward_health(mut health: watch::Receiver<Health>, wake: mpsc::Sender<()>) {
    tokio::spawn(async move {
        while health.changed().await.is_ok() {
            let _ = wake.try_send(());
        }
    });
}

/// The changes a watcher receives, in order, until it has fallen more than the backlog
/// behind (it is cut off: it reconnects and gets the whole list again, rather than a
/// stream with a hole in it) or the feed stops.
pub fn until_lagged(events: broadcast::Receiver<StoreChange>) -> impl Stream<Item = StoreChange> {
    futures::stream::unfold(events, |mut events| async move {
        match events.recv().await {
            Ok(event) => Some((event, events)),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::info!("a watch client fell {missed} events behind; closing its stream");
                None
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    })
}

/// One served cluster, as the deriver follows it.
struct Member {
    /// Its context (each of its summaries' `context`).
    context: String,
    model: LiveModel,
    health: watch::Receiver<Health>,
    /// Listed once at least.
    listed: bool,
    /// Its health at the last look.
    was: Health,
    /// Its stores' summaries, kept between changes.
    summaries: PerStore<StoreSummary>,
}

struct Deriver {
    members: Vec<Member>,
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
    async fn run(mut self, mut wake: mpsc::Receiver<()>) {
        let mut pacing = Pacing::new(Instant::now());
        let mut listed = false;
        loop {
            let (due, all_due) = pacing.next_due();
            let all = tokio::select! {
                woken = wake.recv() => {
                    if woken.is_none() {
                        return;
                    }
                    if !pacing.changed(Instant::now()) {
                        continue;
                    }
                    false
                }
                // Changes held back by the pacing, or the time.
                () = tokio::time::sleep_until(due.into()) => all_due,
            };
            let clusters = self.look();
            let first = !listed && serving(&clusters);
            listed |= first;
            // Off the worker that serves requests, which another thread takes over
            // meanwhile (every store again: ~100 ms at 10,000).
            let started = Instant::now();
            let update = tokio::task::block_in_place(|| self.derive(clusters, listed, first, all));
            pacing.updated(started, Instant::now(), update.all);
        }
    }

    /// Each cluster's health now (reconnects counted, liveness set in the metrics).
    fn look(&mut self) -> Vec<ClusterState> {
        let mut clusters = Vec::with_capacity(self.members.len());
        for m in &mut self.members {
            let now = m.health.borrow_and_update().clone();
            if matches!(now, Health::Reconnecting { .. })
                && !matches!(m.was, Health::Reconnecting { .. })
            {
                self.metrics.count_reconnect(&m.context);
            }
            m.listed |= matches!(now, Health::Live { .. });
            m.was = now.clone();
            clusters.push(ClusterState {
                context: m.context.clone(),
                health: now,
                listed: m.listed,
                stores: 0,
            });
        }
        self.metrics.set_live(
            clusters
                .iter()
                .all(|c| matches!(c.health, Health::Live { .. })),
        );
        clusters
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
        let mut stores: Vec<StoreSummary> = Vec::new();
        let mut done = Update {
            derived: 0,
            all: true,
        };
        for (m, cluster) in self.members.iter_mut().zip(clusters.iter_mut()) {
            if m.listed {
                let (context, rules) = (&m.context, &self.rules);
                let update =
                    m.summaries
                        .update(m.model.objects(), &self.shared_namespace, all, |s| {
                            summarize(s, context, rules, now)
                        });
                done.derived += update.derived;
                done.all &= update.all;
            }
            let before = stores.len();
            stores.extend(m.summaries.values().cloned());
            cluster.stores = stores.len() - before;
            let live = matches!(cluster.health, Health::Live { .. });
            self.metrics.set_cluster(&m.context, live, cluster.stores);
        }
        stores.sort_by(order);
        let mut by_status: BTreeMap<Phase, u64> = BTreeMap::new();
        for s in &stores {
            *by_status.entry(s.status).or_default() += 1;
        }
        self.metrics.set_stores(by_status);
        if listed {
            self.announce(&stores, !first);
        }
        let json = serde_json::to_vec(&stores)
            .map(Bytes::from)
            .unwrap_or_default();
        self.view.send_replace(Arc::new(View {
            stores,
            json,
            gzip: Default::default(),
            clusters,
            listed,
        }));
        done
    }

    /// Sends what changed since the last look (when `send`: not for the first list).
    fn announce(&mut self, stores: &[StoreSummary], send: bool) {
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

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::domain::changes::ChangeKind;

    fn change(i: usize) -> StoreChange {
        StoreChange {
            kind: ChangeKind::Added,
            store: StoreSummary::example(&format!("s{i}"), Phase::Provisioning, ""),
            was: None,
        }
    }

    /// What a watcher that read nothing while `sent` changes went out receives once it
    /// reads again (the feed then stops, which ends a stream that was not cut).
    async fn received_after(sent: usize) -> Vec<String> {
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let watcher = until_lagged(events.subscribe());
        for i in 0..sent {
            events.send(change(i)).unwrap();
        }
        drop(events);
        watcher.map(|c| c.store.name).collect().await
    }

    #[tokio::test]
    async fn a_watcher_the_backlog_still_holds_gets_every_change_one_more_is_cut_off() {
        let names = received_after(EVENT_BACKLOG).await;
        assert_eq!(names.len(), EVENT_BACKLOG);
        assert_eq!(names.first().map(String::as_str), Some("s0"));
        assert_eq!(names.last(), Some(&format!("s{}", EVENT_BACKLOG - 1)));
        // One change past the backlog: the stream ends at once, with no later changes
        // delivered after a silent gap.
        let cut = received_after(EVENT_BACKLOG + 1).await;
        assert!(
            cut.is_empty(),
            "{} changes were delivered after a gap, from {:?}",
            cut.len(),
            cut.first()
        );
    }
}
