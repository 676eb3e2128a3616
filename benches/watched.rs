//! Bytes each watched object costs in memory, as storectl keeps it (`domain::watched`,
//! shared in an `Arc`) and as it kept it before #26 (the k8s-openapi struct of the kind
//! holding the same fields). Each kind is read from an object recorded from the local
//! control plane (`tests/fixtures/watched/`), its store's name made unique per store as
//! on a real fleet; live heap bytes are counted by dhat's allocator, so what the parse
//! frees is not counted and what the objects keep (strings, boxes, the shared texts'
//! table) is. `scripts/bench` copies the table into docs/performance.md.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use storectl::domain::labels::{
    EXTRA_PLUGINS_ANNOTATION, MAIL_ANNOTATION, REPORT_ANNOTATION, WOOCOMMERCE_ANNOTATION,
};
use storectl::domain::watched::{
    WatchedDeployment, WatchedIngress, WatchedJob, WatchedLease, WatchedNamespace, WatchedPod,
    WatchedPvc,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Stores read per kind (the figures are per object; more only takes longer).
const STORES: usize = 200;

/// A kind: its fixture, how many a Ready store has, and the bytes of one object kept
/// each way.
struct Kind {
    name: &'static str,
    per_store: usize,
    before: fn(&[String]) -> usize,
    after: fn(&[String]) -> usize,
    fixture: &'static str,
}

macro_rules! kind {
    ($name:literal, $per_store:literal, $file:literal, $old:ty, $slim:expr, $new:ty) => {
        Kind {
            name: $name,
            per_store: $per_store,
            before: |jsons| kept(jsons, |j| $slim(read::<$old>(j))),
            after: |jsons| kept(jsons, read::<$new>),
            fixture: include_str!(concat!("../tests/fixtures/watched/", $file)),
        }
    };
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let kinds = [
        kind!(
            "Namespace",
            1,
            "namespace.json",
            Namespace,
            old_namespace,
            WatchedNamespace
        ),
        kind!(
            "Deployment",
            2,
            "deployment.json",
            Deployment,
            old_deployment,
            WatchedDeployment
        ),
        kind!("Job", 1, "job.json", Job, old_job, WatchedJob),
        kind!(
            "PersistentVolumeClaim",
            2,
            "persistentvolumeclaim.json",
            PersistentVolumeClaim,
            old_claim,
            WatchedPvc
        ),
        kind!("Pod", 2, "pod.json", Pod, old_pod, WatchedPod),
        kind!(
            "Ingress",
            1,
            "ingress.json",
            Ingress,
            old_ingress,
            WatchedIngress
        ),
        kind!("Lease", 1, "lease.json", Lease, old_lease, WatchedLease),
    ];
    println!(
        "| kind | per store | before #26: k8s-openapi struct (bytes) | storectl's own (bytes) | smaller by |"
    );
    println!("|---|---|---|---|---|");
    let (mut store_before, mut store_after) = (0, 0);
    for kind in &kinds {
        let jsons: Vec<String> = (0..STORES)
            .map(|i| kind.fixture.replace("shop1", &format!("s{i:04}")))
            .collect();
        let (before, after) = ((kind.before)(&jsons), (kind.after)(&jsons));
        store_before += before * kind.per_store;
        store_after += after * kind.per_store;
        row(kind.name, &kind.per_store.to_string(), before, after);
    }
    row("a Ready store", "", store_before, store_after);
    row(
        "1,000 stores (KB)",
        "",
        store_before * 1000 / 1024,
        store_after * 1000 / 1024,
    );
}

fn row(what: &str, per_store: &str, before: usize, after: usize) {
    let ratio = before as f64 / after.max(1) as f64;
    println!("| {what} | {per_store} | {before} | {after} | {ratio:.1}x |");
}

fn read<T: DeserializeOwned>(json: &str) -> T {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
}

/// Live heap bytes per object while every object read from `jsons` is kept in an `Arc`
/// (the `Arc`'s counts and the struct inline included).
fn kept<T>(jsons: &[String], read: impl Fn(&str) -> T) -> usize {
    let mut objects: Vec<Arc<T>> = Vec::with_capacity(jsons.len());
    let start = dhat::HeapStats::get().curr_bytes;
    objects.extend(jsons.iter().map(|j| Arc::new(read(j.as_str()))));
    let bytes = dhat::HeapStats::get().curr_bytes - start;
    drop(objects);
    bytes / jsons.len()
}

/// What `cluster/slim.rs` kept of the metadata before #26.
fn old_meta(m: ObjectMeta) -> ObjectMeta {
    let kept = [
        MAIL_ANNOTATION,
        WOOCOMMERCE_ANNOTATION,
        EXTRA_PLUGINS_ANNOTATION,
        REPORT_ANNOTATION,
    ];
    let annotations = m.annotations.map(|mut a| {
        a.retain(|k, _| kept.contains(&k.as_str()));
        a
    });
    ObjectMeta {
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        resource_version: m.resource_version,
        generation: m.generation,
        labels: m.labels,
        annotations: annotations.filter(|a| !a.is_empty()),
        creation_timestamp: m.creation_timestamp,
        deletion_timestamp: m.deletion_timestamp,
        ..ObjectMeta::default()
    }
}

fn old_namespace(o: Namespace) -> Namespace {
    Namespace {
        metadata: old_meta(o.metadata),
        spec: None,
        status: o.status,
    }
}

fn old_deployment(o: Deployment) -> Deployment {
    let replicas = o.spec.and_then(|s| s.replicas);
    let spec = Some(DeploymentSpec {
        replicas,
        ..DeploymentSpec::default()
    });
    Deployment {
        metadata: old_meta(o.metadata),
        spec,
        status: o.status,
    }
}

fn old_job(o: Job) -> Job {
    Job {
        metadata: old_meta(o.metadata),
        spec: None,
        status: o.status,
    }
}

fn old_claim(o: PersistentVolumeClaim) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: old_meta(o.metadata),
        ..o
    }
}

fn old_pod(o: Pod) -> Pod {
    Pod {
        metadata: old_meta(o.metadata),
        spec: None,
        status: o.status,
    }
}

fn old_ingress(o: Ingress) -> Ingress {
    Ingress {
        metadata: old_meta(o.metadata),
        spec: o.spec,
        status: None,
    }
}

fn old_lease(o: Lease) -> Lease {
    let renew_time = o.spec.and_then(|s| s.renew_time);
    let spec = Some(LeaseSpec {
        renew_time,
        ..LeaseSpec::default()
    });
    Lease {
        metadata: old_meta(o.metadata),
        spec,
    }
}
