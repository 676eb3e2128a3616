//! The live model of all stores: one kube-runtime watcher (with backoff) per store kind,
//! selected by the platform label, read slim and mirrored in memory. The first
//! LIST is served from the API server's watch cache, as client-go's informers do. It
//! survives expired watches (re-list) and API server restarts (reconnect); each change
//! pokes a channel.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource};
use tokio::sync::{mpsc, watch};

use super::connect::Connection;
use super::error::root_cause;
use super::mirror::{Mirror, mirror};
use super::slim::{Slim, SlimKind};
use crate::domain::inventory::Inventory;
use crate::domain::layout::STORE_SELECTOR;

/// What the watchers report besides object changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Every watcher has listed once and is streaming.
    Live,
    /// A watcher lost its stream and is retrying; the model may be stale.
    Reconnecting(String),
}

/// Mirrors of every store kind.
#[derive(Clone)]
pub struct LiveModel {
    namespaces: Mirror<Namespace>,
    deployments: Mirror<Deployment>,
    jobs: Mirror<Job>,
    claims: Mirror<PersistentVolumeClaim>,
    pods: Mirror<Pod>,
    ingresses: Mirror<Ingress>,
}

/// Where to watch: every namespace, or one (a single store's).
#[derive(Debug, Clone)]
pub enum Scope {
    Cluster,
    Store { namespace: String, selector: String },
}

impl LiveModel {
    /// Starts the watchers. `changes` receives `()` after every applied event; `health`
    /// follows the watchers' connection state.
    pub fn start(
        conn: &Connection,
        scope: &Scope,
    ) -> (Self, mpsc::Receiver<()>, watch::Receiver<Health>) {
        let (tx, rx) = mpsc::channel(1);
        let (health_tx, health_rx) = watch::channel(Health::Reconnecting("connecting".to_string()));
        let health_tx = Arc::new(health_tx);
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
        let model = Self {
            namespaces: reflect(Api::all(client.clone()), selector, &tx, &health_tx),
            deployments: reflect(namespaced!(), selector, &tx, &health_tx),
            jobs: reflect(namespaced!(), selector, &tx, &health_tx),
            claims: reflect(namespaced!(), selector, &tx, &health_tx),
            pods: reflect(namespaced!(), selector, &tx, &health_tx),
            ingresses: reflect(namespaced!(), selector, &tx, &health_tx),
        };
        (model, rx, health_rx)
    }

    /// Waits until every watcher has listed once.
    pub async fn ready(&self) -> bool {
        self.namespaces.wait_until_listed().await
            && self.deployments.wait_until_listed().await
            && self.jobs.wait_until_listed().await
            && self.claims.wait_until_listed().await
            && self.pods.wait_until_listed().await
            && self.ingresses.wait_until_listed().await
    }

    /// Every reflected object (shared, not copied).
    pub fn inventory(&self) -> Inventory {
        self.select(|_| true)
    }

    /// The objects in one namespace only (and that namespace itself): what a single store
    /// needs.
    pub fn inventory_in(&self, namespace: &str) -> Inventory {
        self.select(|m| m.namespace.as_deref().or(m.name.as_deref()) == Some(namespace))
    }

    fn select(&self, keep: impl Fn(&ObjectMeta) -> bool) -> Inventory {
        fn pick<K: Resource>(
            mirror: &Mirror<K>,
            keep: &impl Fn(&ObjectMeta) -> bool,
        ) -> Vec<Arc<K>> {
            let mut objects = mirror.state();
            objects.retain(|o| keep(o.meta()));
            objects
        }
        Inventory {
            namespaces: pick(&self.namespaces, &keep),
            deployments: pick(&self.deployments, &keep),
            jobs: pick(&self.jobs, &keep),
            claims: pick(&self.claims, &keep),
            pods: pick(&self.pods, &keep),
            ingresses: pick(&self.ingresses, &keep),
        }
    }
}

fn reflect<K: SlimKind>(
    api: Api<Slim<K>>,
    selector: &str,
    changes: &mpsc::Sender<()>,
    health: &Arc<watch::Sender<Health>>,
) -> Mirror<K> {
    let kind = K::plural(&()).to_string();
    let (reader, mut writer) = mirror();
    let mut config = watcher::Config::default().labels(selector).any_semantic();
    if let Some(fields) = K::FIELD_SELECTOR {
        config = config.fields(fields);
    }
    let stream = watcher(api, config).default_backoff();
    let changes = changes.clone();
    let health = health.clone();
    tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            match event {
                Ok(event) => {
                    writer.apply(event);
                    health.send_if_modified(|h| {
                        let was = h.clone();
                        *h = Health::Live;
                        was != Health::Live
                    });
                    let _ = changes.try_send(());
                }
                Err(e) => {
                    tracing::warn!("watch of {kind} interrupted: {e}");
                    let _ = health.send(Health::Reconnecting(format!(
                        "watch of {kind}: {}",
                        root_cause(&e)
                    )));
                    let _ = changes.try_send(());
                }
            }
        }
    });
    reader
}
