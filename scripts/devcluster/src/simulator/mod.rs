//! The node simulator: plays scheduler, kubelet and volume provisioner for a control plane
//! that has none, so Deployments, Jobs and PVCs progress as on a small real cluster. It
//! never runs containers: it reports the states a kubelet would (see docs/testing.md).

mod events;
pub mod faults;
pub mod logs;
mod mail;
mod node;
pub mod pods;
mod reports;
mod results;
mod volumes;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use futures::{StreamExt, stream};
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod, Secret};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde_json::json;
use tokio::sync::Notify;

use pods::{PodAction, Timing, World};

/// The label an EndpointSlice names its Service by.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Keeps up to this many API writes in flight at once.
const CONCURRENT_WRITES: usize = 16;

/// Runs until the task is dropped; `state_dir` holds the simulated kubelet's certificate.
pub async fn run(client: Client, timing: Timing, state_dir: PathBuf) -> Result<()> {
    let changed = Arc::new(Notify::new());
    let pods = mirror::<Pod>(&client, &changed);
    let claims = mirror::<PersistentVolumeClaim>(&client, &changed);
    let volumes = mirror::<PersistentVolume>(&client, &changed);
    let secrets = mirror_metadata::<Secret>(&client, &changed);
    // Which Services have a ready endpoint (kept by the controller manager): what an init
    // container waiting for MySQL waits for.
    let endpoints = mirror::<EndpointSlice>(&client, &changed);

    let log_port = logs::serve(pods.clone(), &state_dir).await?;
    // The API server may go away at any time (tests stop it on purpose): keep trying.
    while let Err(e) = node::register(&client, log_port).await {
        tracing::warn!("registering the node failed: {e}; trying again");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::spawn(node::heartbeat(client.clone()));
    tokio::spawn(reports::run(client.clone(), pods.clone()));
    for store in [
        pods.wait_until_ready().await,
        claims.wait_until_ready().await,
        volumes.wait_until_ready().await,
    ] {
        store?;
    }
    secrets.wait_until_ready().await?;
    endpoints.wait_until_ready().await?;
    tracing::info!("node simulator running (node {})", node::NODE_NAME);

    // Ticks drive timed steps (readiness delays, Job durations) and retries; they stop
    // while every pod is at rest, so an idle fleet of any size costs nothing.
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut busy = true;
    loop {
        tokio::select! {
            _ = tick.tick(), if busy => {}
            () = changed.notified() => {}
        }
        let active: Vec<Arc<Pod>> = pods
            .state()
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_some() || !pods::at_rest(p))
            .collect();
        busy = !active.is_empty();
        if busy {
            // What backups the simulated target holds: only looked for when a Job runs.
            let backups = if active.iter().any(|p| pods::is_job(p)) {
                results::on_target(pods.state().iter().map(AsRef::as_ref))
            } else {
                results::Backups::new()
            };
            step_pods(
                &client, active, backups, &claims, &secrets, &endpoints, &timing,
            )
            .await;
        }
        busy |= provision(&client, &claims, &volumes).await;
    }
}

/// Plans and takes the next step of each pod that is not at rest.
async fn step_pods(
    client: &Client,
    active: Vec<Arc<Pod>>,
    backups: results::Backups,
    claims: &Store<PersistentVolumeClaim>,
    secrets: &Store<kube::core::PartialObjectMeta<Secret>>,
    endpoints: &Store<EndpointSlice>,
    timing: &Timing,
) {
    let claims = claims.state();
    let world = World {
        claims: claims.iter().map(|c| key(c.as_ref())).collect(),
        bound_claims: claims
            .iter()
            .filter(|c| c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound"))
            .map(|c| key(c.as_ref()))
            .collect(),
        secrets: secrets.state().iter().map(|s| key(s.as_ref())).collect(),
        ready_services: endpoints
            .state()
            .iter()
            .filter(|slice| {
                slice
                    .endpoints
                    .iter()
                    .any(|e| e.conditions.as_ref().and_then(|c| c.ready) == Some(true))
            })
            .filter_map(|slice| {
                let service = slice.metadata.labels.as_ref()?.get(SERVICE_NAME_LABEL)?;
                Some(format!(
                    "{}/{service}",
                    slice.metadata.namespace.as_deref()?
                ))
            })
            .collect(),
        backups,
    };
    let now = Timestamp::now();
    let pod_steps = active.into_iter().filter_map(|pod| {
        let action = pods::plan(&pod, &world, now, timing);
        (action != PodAction::Nothing).then_some((pod, action))
    });
    stream::iter(pod_steps)
        .for_each_concurrent(CONCURRENT_WRITES, |(pod, action)| {
            act_on_pod(client, pod, action)
        })
        .await;
}

/// A reflector of every `K` in the cluster that pokes `changed` on each event.
fn mirror<K>(client: &Client, changed: &Arc<Notify>) -> Store<K>
where
    K: Resource + Clone + std::fmt::Debug + Send + Sync + serde::de::DeserializeOwned + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone,
{
    let (reader, writer) = reflector::store();
    let stream = watcher(Api::<K>::all(client.clone()), from_the_cache())
        .default_backoff()
        .modify(forget_managed_fields)
        .reflect(writer)
        .applied_objects();
    tokio::spawn(poke_on_each(stream, changed.clone()));
    reader
}

fn mirror_metadata<K>(
    client: &Client,
    changed: &Arc<Notify>,
) -> Store<kube::core::PartialObjectMeta<K>>
where
    K: Resource + Clone + std::fmt::Debug + Send + Sync + serde::de::DeserializeOwned + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone,
{
    let (reader, writer) = reflector::store();
    let changed = changed.clone();
    let api = Api::<kube::core::PartialObjectMeta<K>>::all(client.clone());
    let stream = watcher(api, from_the_cache())
        .default_backoff()
        .modify(forget_managed_fields)
        .reflect(writer)
        .applied_objects();
    tokio::spawn(poke_on_each(stream, changed));
    reader
}

/// Lists (first, and again after a broken watch) read whole from the API server's watch
/// cache (`resourceVersion=0`), as client-go's informers do. A consistent list in pages
/// (the default) waits for the cache to catch up with etcd and reads the later pages from
/// etcd: at 10,000 stores just after seeding its first page of pods outran the API
/// server's 60 s timeout again and again, and the simulator relisted without end. No
/// page size: with one, kube sends no `resourceVersion=0` and the read is consistent.
fn from_the_cache() -> watcher::Config {
    watcher::Config {
        page_size: None,
        ..watcher::Config::default().any_semantic()
    }
}

/// Drops what the simulator never reads and writes only by patch: an object's managed
/// fields are most of a Pod's size, which at 10,000 stores is gigabytes held for nothing.
fn forget_managed_fields<K: Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

async fn poke_on_each<S: futures::Stream>(stream: S, changed: Arc<Notify>) {
    stream
        .for_each(|_| {
            changed.notify_one();
            std::future::ready(())
        })
        .await;
}

fn key<K: ResourceExt>(o: &K) -> String {
    format!("{}/{}", o.namespace().unwrap_or_default(), o.name_any())
}

async fn act_on_pod(client: &Client, pod: Arc<Pod>, action: PodAction) {
    let namespace = pod.namespace().unwrap_or_default();
    let name = pod.name_any();
    let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let result = match &action {
        PodAction::Nothing => Ok(()),
        PodAction::Bind => {
            let binding = json!({
                "apiVersion": "v1", "kind": "Binding",
                "metadata": { "name": name },
                "target": { "apiVersion": "v1", "kind": "Node", "name": node::NODE_NAME },
            });
            let r = api
                .create_subresource::<_, serde_json::Value>(
                    "binding",
                    &name,
                    &PostParams::default(),
                    &binding,
                )
                .await;
            if r.is_ok() {
                let msg = format!(
                    "Successfully assigned {namespace}/{name} to {}",
                    node::NODE_NAME
                );
                events::record(client, &pod, "Normal", "Scheduled", msg).await;
            }
            r.map(drop)
        }
        PodAction::Unschedulable(message) => {
            let status = json!({ "status": { "phase": "Pending", "conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": message, "lastTransitionTime": Timestamp::now().to_string(),
            }]}});
            let r = api
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(status))
                .await;
            if r.is_ok() {
                events::record(client, &pod, "Warning", "FailedScheduling", message.clone()).await;
            }
            r.map(drop)
        }
        PodAction::Status(status) => {
            let r = api
                .patch_status(
                    &name,
                    &PatchParams::default(),
                    &Patch::Merge(json!({ "status": status })),
                )
                .await;
            if r.is_ok() {
                for (type_, reason, message) in events::transitions(pod.status.as_ref(), status) {
                    events::record(client, &pod, type_, reason, message).await;
                }
            }
            r.map(drop)
        }
        PodAction::Finalize => {
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: pod.uid(),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            api.delete(&name, &params).await.map(drop)
        }
    };
    match result {
        Ok(()) => {}
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
        Err(e) => tracing::warn!("pod {namespace}/{name}: {action:?} failed: {e}"),
    }
}

/// Creates volumes for pending claims and deletes the released ones; true while some
/// claim still waits for a volume.
async fn provision(
    client: &Client,
    claims: &Store<PersistentVolumeClaim>,
    volumes: &Store<PersistentVolume>,
) -> bool {
    let pv_api: Api<PersistentVolume> = Api::all(client.clone());
    let volumes = volumes.state();
    let pending: Vec<_> = claims
        .state()
        .into_iter()
        .filter(|c| c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending"))
        .collect();
    let mut waiting = false;
    if !pending.is_empty() {
        let claimed: HashSet<String> = volumes
            .iter()
            .filter_map(|v| v.spec.as_ref()?.claim_ref.as_ref()?.uid.clone())
            .collect();
        for claim in pending {
            if let Some(volume) = volumes::volume_for(&claim, &claimed) {
                waiting = true;
                match pv_api.create(&PostParams::default(), &volume).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(e)) if e.code == 409 => {}
                    Err(e) => tracing::warn!("creating a volume for {}: {e}", key(claim.as_ref())),
                }
            }
        }
    }
    for volume in volumes.iter().filter(|v| volumes::is_released(v)) {
        if let Err(e) = pv_api
            .delete(&volume.name_any(), &DeleteParams::default())
            .await
        {
            tracing::debug!("deleting released volume {}: {e}", volume.name_any());
        }
    }
    waiting
}
