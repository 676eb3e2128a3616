//! The live model of all stores: one kube-runtime watcher per store kind, selected by the
//! platform label, read slim and mirrored in memory. The first list is streamed as watch
//! events where the server supports it (watch-list, Kubernetes 1.34+), else a LIST served
//! from the API server's watch cache, as client-go's informers do. A watcher that fails starts
//! over with a fresh list after a backoff, so it counts as live again only once that
//! list is complete. Health is kept per watcher, and a probe of the API server notices
//! within seconds when it stops answering (`health.rs`; a hung server breaks no stream). Dropping
//! the last handle of a model stops its tasks, so a resync replaces its watchers.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::watcher;
use kube::{Api, Resource};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::connect::Connection;
use super::error::{ClusterError, root_cause};
use super::health::{Health, HealthBoard, State, failing, probe};
use super::mirror::MirrorWriter;
use super::mirrors::Mirrors;
use super::slim::{Slim, SlimKind};
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
    /// Receives `()` after every applied event.
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
        let client = &conn.client;
        let (selector, namespace) = match scope {
            Scope::Cluster => (STORE_SELECTOR, None),
            Scope::Store {
                namespace,
                selector,
            } => (selector.as_str(), Some(namespace.as_str())),
        };
        macro_rules! namespaced {
            () => {
                match namespace {
                    Some(ns) => Api::namespaced(client.clone(), ns),
                    None => Api::all(client.clone()),
                }
            };
        }
        let mut tasks = Vec::new();
        macro_rules! start {
            ($api:expr, $writer:expr) => {
                tasks.push(reflect($api, $writer, selector, &tx, &board, conn))
            };
        }
        start!(Api::all(client.clone()), writers.namespaces);
        start!(namespaced!(), writers.deployments);
        start!(namespaced!(), writers.jobs);
        start!(namespaced!(), writers.claims);
        start!(namespaced!(), writers.pods);
        start!(namespaced!(), writers.ingresses);
        start!(namespaced!(), writers.reports);
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
    api: Api<Slim<K>>,
    writer: MirrorWriter<K>,
    selector: &str,
    changes: &mpsc::Sender<()>,
    board: &Arc<HealthBoard>,
    conn: &Connection,
) -> JoinHandle<()> {
    let kind = Slim::<K>::plural(&()).to_string();
    let mut config = watcher::Config::default().labels(selector).any_semantic();
    if let Some(fields) = K::FIELD_SELECTOR {
        config = config.fields(fields);
    }
    board.set(&kind, State::Listing);
    let run = Watcher {
        api,
        config,
        kind,
        writer,
        changes: changes.clone(),
        board: board.clone(),
        conn: conn.clone(),
    };
    tokio::spawn(run.run())
}

/// One kind's watcher loop: stream, and on failure start over after a backoff.
struct Watcher<K: SlimKind> {
    api: Api<Slim<K>>,
    config: watcher::Config,
    kind: String,
    writer: MirrorWriter<K>,
    changes: mpsc::Sender<()>,
    board: Arc<HealthBoard>,
    conn: Connection,
}

impl<K: SlimKind> Watcher<K> {
    async fn run(mut self) {
        let mut pause = BACKOFF_FIRST;
        // The first list as a stream of watch events where the server can (less memory
        // and time on both sides than one big LIST); a server that refuses falls back.
        let mut streaming = self.conn.streams_lists().await;
        loop {
            let config = if streaming {
                self.config.clone().streaming_lists()
            } else {
                self.config.clone()
            };
            let stream = watcher(self.api.clone(), config);
            futures::pin_mut!(stream);
            while let Some(event) = stream.next().await {
                match event {
                    Ok(event) => {
                        let listed = matches!(event, watcher::Event::InitDone);
                        let streaming =
                            matches!(event, watcher::Event::Apply(_) | watcher::Event::Delete(_));
                        self.writer.apply(event);
                        if listed || streaming {
                            self.board.set(&self.kind, State::Live);
                            pause = BACKOFF_FIRST;
                        }
                        let _ = self.changes.try_send(());
                    }
                    Err(watcher::Error::WatchStartFailed(kube::Error::Api(s)))
                        if streaming && matches!(s.code, 400 | 422) =>
                    {
                        tracing::info!(
                            "{}: the server does not stream lists ({}); listing instead",
                            self.kind,
                            s.message
                        );
                        streaming = false;
                        break;
                    }
                    Err(e) => {
                        self.failed(e);
                        break;
                    }
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(BACKOFF_MAX);
        }
    }

    /// A refusal shows the kind as empty (the rest of the model still lists); anything
    /// else marks the watcher failing until its next complete list.
    fn failed(&mut self, error: watcher::Error) {
        let status = match &error {
            watcher::Error::InitialListFailed(kube::Error::Api(s))
            | watcher::Error::WatchStartFailed(kube::Error::Api(s))
            | watcher::Error::WatchFailed(kube::Error::Api(s))
            | watcher::Error::WatchError(s) => Some(s),
            _ => None,
        };
        match status.filter(|s| s.code == 403) {
            Some(s) => {
                let refusal = ClusterError::from_kube(
                    kube::Error::Api(s.clone()),
                    &format!("watching {}", self.kind),
                    &self.conn.endpoint,
                );
                self.writer.refused();
                self.board
                    .set(&self.kind, State::Forbidden(refusal.to_string()));
            }
            None => {
                tracing::warn!("watch of {} interrupted: {error}", self.kind);
                self.board.set(&self.kind, failing(root_cause(&error)));
            }
        }
        let _ = self.changes.try_send(());
    }
}
