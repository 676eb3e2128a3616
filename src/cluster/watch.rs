//! The live model of all stores: one reflector per store kind (`reflector.rs`: a list,
//! then a watch, in protobuf), selected by the platform label, read slim and mirrored in
//! memory. The first list is streamed as watch events where the server supports it
//! (watch-list, Kubernetes 1.34+), else LISTed from the watch cache in one answer read as
//! it streams, as client-go's informers do. A watcher that fails starts
//! over with a fresh list after a backoff, so it counts as live again only once that
//! list is complete. Health is kept per watcher, and a probe of the API server notices
//! within seconds when it stops answering (`health.rs`; a hung server breaks no stream). Dropping
//! the last handle of a model stops its tasks, so a resync replaces its watchers.

use std::sync::Arc;
use std::time::Duration;

use kube::runtime::watcher::Event;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::connect::Connection;
use super::error::{ClusterError, root_cause};
use super::health::{Health, HealthBoard, State, failing, probe};
use super::mirror::MirrorWriter;
use super::mirrors::Mirrors;
use super::reflector::Reflector;
use super::slim::SlimKind;
use super::touched::StoreKey;
use crate::domain::inventory::{Inventory, StoreObjects};
use crate::domain::labels::STORE_SELECTOR;

/// Pauses between restarts of a failing watcher: doubling from the first to the last.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(15);

/// Tasks aborted when this goes (a model's watchers when its last handle goes).
pub struct Tasks(pub Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Every store kind's mirror and the watchers that feed them.
#[derive(Clone)]
pub struct LiveModel {
    objects: Mirrors,
    _tasks: Arc<Tasks>,
}

/// Where to watch: every namespace, or one (a single store's).
#[derive(Debug, Clone)]
pub enum Scope {
    Cluster,
    Store { namespace: String, selector: String },
}

/// Resolves once every watcher of a model has listed (without keeping the model alive).
pub struct Listed(Vec<watch::Receiver<bool>>);

impl Listed {
    /// True once all have listed; false if the model was dropped before.
    pub async fn wait(mut self) -> bool {
        for listed in &mut self.0 {
            if listed.wait_for(|l| *l).await.is_err() {
                return false;
            }
        }
        true
    }
}

/// A live model just started, with the channels that follow it.
pub struct Started {
    pub model: LiveModel,
    /// Receives `()` after every change made visible (a complete list, a watch event).
    pub changes: mpsc::Receiver<()>,
    /// Follows the watchers and the server probe.
    pub health: watch::Receiver<Health>,
}

impl LiveModel {
    /// Starts the watchers and the server probe.
    pub fn start(conn: &Connection, scope: &Scope) -> Started {
        let (tx, rx) = mpsc::channel(1);
        let (health_tx, health_rx) = watch::channel(Health::Connecting);
        let board = Arc::new(HealthBoard::new(health_tx));
        let (objects, writers) = Mirrors::new();
        let (selector, namespace) = match scope {
            Scope::Cluster => (STORE_SELECTOR, None),
            Scope::Store {
                namespace,
                selector,
            } => (selector.as_str(), Some(namespace.as_str())),
        };
        let mut tasks = Vec::new();
        macro_rules! start {
            ($namespace:expr, $writer:expr) => {
                tasks.push(reflect($namespace, $writer, selector, &tx, &board, conn))
            };
        }
        start!(None, writers.namespaces);
        start!(namespace, writers.deployments);
        start!(namespace, writers.jobs);
        start!(namespace, writers.claims);
        start!(namespace, writers.pods);
        start!(namespace, writers.ingresses);
        start!(namespace, writers.reports);
        tasks.push(tokio::spawn(probe(conn.clone(), board)));
        let model = Self {
            objects,
            _tasks: Arc::new(Tasks(tasks)),
        };
        Started {
            model,
            changes: rx,
            health: health_rx,
        }
    }

    /// A signal for when every watcher has listed once.
    pub fn listed(&self) -> Listed {
        Listed(self.objects.listed())
    }

    /// Waits until every watcher has listed once.
    pub async fn ready(&self) -> bool {
        self.listed().wait().await
    }

    /// What the watchers see.
    pub fn objects(&self) -> &Mirrors {
        &self.objects
    }

    /// Every reflected object (shared, not copied).
    pub fn inventory(&self) -> Inventory {
        self.objects.inventory()
    }

    /// The objects store `key` names (`Mirrors::store_objects`).
    pub fn store_objects(&self, key: &StoreKey) -> Option<StoreObjects> {
        self.objects.store_objects(key)
    }
}

fn reflect<K: SlimKind>(
    namespace: Option<&str>,
    writer: MirrorWriter<K>,
    selector: &str,
    changes: &mpsc::Sender<()>,
    board: &Arc<HealthBoard>,
    conn: &Connection,
) -> JoinHandle<()> {
    let kind = Reflector::<K>::kind();
    board.set(&kind, State::Listing);
    let run = Watcher {
        namespace: namespace.map(String::from),
        selector: selector.to_string(),
        kind,
        writer,
        changes: changes.clone(),
        board: board.clone(),
        conn: conn.clone(),
    };
    tokio::spawn(run.run())
}

/// One kind's watcher loop: reflect, and on failure start over after a backoff.
struct Watcher<K: SlimKind> {
    namespace: Option<String>,
    selector: String,
    kind: String,
    writer: MirrorWriter<K>,
    changes: mpsc::Sender<()>,
    board: Arc<HealthBoard>,
    conn: Connection,
}

impl<K: SlimKind> Watcher<K> {
    async fn run(mut self) {
        let mut pause = BACKOFF_FIRST;
        // The first list as one LIST from the watch cache, or, where asked and the
        // server can, as a stream of watch events; a server that refuses falls back.
        let streaming = self.conn.streams_lists().await;
        let mut reflector = Reflector::<K>::new(
            &self.conn,
            self.namespace.as_deref(),
            &self.selector,
            streaming,
        );
        loop {
            let failure = reflector
                .run(&mut |event| {
                    let listed = matches!(event, Event::InitDone);
                    let streaming = matches!(event, Event::Apply(_) | Event::Delete(_));
                    self.writer.apply(event);
                    // A list in progress changes nothing anyone sees until it is
                    // complete: no wake-up for each of its objects.
                    if listed || streaming {
                        self.board.set(&self.kind, State::Live);
                        pause = BACKOFF_FIRST;
                        let _ = self.changes.try_send(());
                    }
                })
                .await;
            self.failed(failure);
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(BACKOFF_MAX);
        }
    }

    /// A refusal shows the kind as empty (the rest of the model still lists); anything
    /// else marks the watcher failing until its next complete list.
    fn failed(&mut self, error: ClusterError) {
        if error.code() == Some(403) {
            self.writer.refused();
            self.board
                .set(&self.kind, State::Forbidden(error.to_string()));
        } else {
            tracing::warn!("watch of {} interrupted: {error}", self.kind);
            self.board.set(&self.kind, failing(root_cause(&error)));
        }
        let _ = self.changes.try_send(());
    }
}
