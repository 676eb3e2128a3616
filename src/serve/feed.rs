//! The server's view of the stores: one live model (the watches the TUI uses) per served
//! cluster, as one fleet (`cluster::fleet_watch`), its summaries merged into one list
//! (namespace, name, then context order) for `GET /api/stores` (`view.rs`), and
//! announced as events, one per status change, to the clients that watch (`deriver.rs`
//! keeps it up to date). A cluster whose API server is away keeps its stores as last
//! seen; its state is in the view. No request lists a cluster.

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use tokio::sync::{broadcast, watch};

use super::deriver::Deriver;
use super::metrics::Metrics;
use super::standing::ClusterState;
use super::view::View;
use crate::cluster::connect::Connection;
use crate::cluster::fleet_watch::LiveFleet;
use crate::cluster::health::Health;
use crate::cluster::touched::StoreKey;
use crate::cluster::watch::LiveModel;
use crate::domain::changes::StoreChange;
use crate::domain::inventory::{StoreObjects, is_store};
use crate::domain::status::StatusRules;
use crate::domain::summary::StoreSummary;

/// Events kept for a slow watcher before it is cut off (it reconnects and relists).
const EVENT_BACKLOG: usize = 1024;

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
    /// Starts a live model of each cluster and the task that derives the view from
    /// them (it runs as long as the server).
    pub fn start(
        conns: Vec<Connection>,
        rules: StatusRules,
        shared_namespace: String,
        metrics: Arc<Metrics>,
    ) -> Self {
        let fleet = LiveFleet::start(conns);
        let clusters = fleet
            .members
            .iter()
            .map(|m| ClusterState {
                context: m.conn.endpoint.context.clone(),
                health: Health::Connecting,
                listed: false,
                stores: 0,
            })
            .collect();
        let models = fleet
            .members
            .iter()
            .map(|m| (m.conn.endpoint.context.clone(), m.model.clone()))
            .collect();
        let (view_tx, view) = watch::channel(Arc::new(View::new(Vec::new(), clusters, false)));
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let deriver = Deriver::new(
            fleet,
            rules,
            shared_namespace.clone(),
            metrics,
            view_tx,
            events.clone(),
        );
        tokio::spawn(deriver.run());
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
                .map(|s| StoreSummary::clone(s))
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

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::domain::changes::ChangeKind;
    use crate::domain::status::Phase;

    fn change(i: usize) -> StoreChange {
        StoreChange {
            kind: ChangeKind::Added,
            store: StoreSummary::example(&format!("s{i}"), Phase::Provisioning, "").into(),
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
        watcher.map(|c| c.store.name.clone()).collect().await
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
