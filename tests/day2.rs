//! Day-2 operations against the real control plane with the node simulator: pausing a
//! store (scaled to zero, every volume and secret kept) and resuming it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{cluster, storectl, unique};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret};
use kube::Api;
use kube::api::ListParams;
use serde_json::Value;

const ADMIN: &str = "devcluster-admin";

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// `status -o json` until `accept` takes it, within `secs`.
fn status_until(name: &str, secs: u64, accept: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let run = storectl(cluster(), ADMIN, &["status", name, "-o", "json"]).expect_code(0);
        let status: Value = serde_json::from_str(&run.stdout).unwrap();
        if accept(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {status:#}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// uid of every object, by name: what must survive a pause.
async fn uids<K>(api: &Api<K>) -> Vec<(String, String)>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    let mut out: Vec<(String, String)> = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|o| {
            let m = o.meta();
            (m.name.clone().unwrap(), m.uid.clone().unwrap())
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_stops_every_pod_keeping_volumes_and_secret_and_resume_brings_the_store_back() {
    let c = cluster();
    let name = unique("pause");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    let client = c.admin().await;
    let ns = format!("store-{name}");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &ns);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let secrets_before = uids(&secrets).await;
    let claims_before = uids(&claims).await;
    assert_eq!(claims_before.len(), 2);

    let run = block(|| storectl(c, ADMIN, &["pause", &name]).expect_code(0));
    assert!(
        run.stdout.starts_with(&format!("paused store {name}:")),
        "{run:?}"
    );
    let paused = block(|| {
        status_until(&name, 60, |s| {
            s["pods_total"] == 0 && s["status"] == "Paused"
        })
    });
    assert_eq!(
        paused["reason"],
        format!("paused; volumes and secrets kept (storectl resume {name})").as_str()
    );
    for d in deployments.list(&ListParams::default()).await.unwrap() {
        assert_eq!(d.spec.as_ref().unwrap().replicas, Some(0));
        let labels = d.metadata.labels.unwrap();
        assert_eq!(
            labels.get("storectl.io/paused").map(String::as_str),
            Some("true")
        );
    }
    let running: Vec<String> = pods
        .list(&ListParams::default().labels("component in (wordpress,mysql)"))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    assert!(running.is_empty(), "still running: {running:?}");
    assert_eq!(
        uids(&secrets).await,
        secrets_before,
        "the credentials are the same objects"
    );
    assert_eq!(
        uids(&claims).await,
        claims_before,
        "the volumes are the same objects"
    );
    for claim in claims.list(&ListParams::default()).await.unwrap() {
        assert_eq!(claim.status.unwrap().phase.as_deref(), Some("Bound"));
    }
    let listed = block(|| storectl(c, ADMIN, &["list", "-o", "json"]).expect_code(0));
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name.as_str())
        .unwrap();
    assert_eq!(row["status"], "Paused");
    let again = block(|| storectl(c, ADMIN, &["pause", &name]).expect_code(0));
    assert_eq!(
        again.stdout.trim(),
        format!("store {name} is already paused")
    );

    let resumed = block(|| {
        storectl(c, ADMIN, &["resume", &name, "--wait", "--timeout", "90s"]).expect_code(0)
    });
    assert!(
        resumed
            .stdout
            .contains(&format!("store {name} is ready at")),
        "{resumed:?}"
    );
    for d in deployments.list(&ListParams::default()).await.unwrap() {
        assert_eq!(d.spec.as_ref().unwrap().replicas, Some(1));
        assert!(
            !d.metadata
                .labels
                .unwrap()
                .contains_key("storectl.io/paused")
        );
    }
    assert_eq!(uids(&secrets).await, secrets_before);
    assert_eq!(uids(&claims).await, claims_before);
    let not_paused = block(|| storectl(c, ADMIN, &["resume", &name]).expect_code(0));
    assert_eq!(
        not_paused.stdout.trim(),
        format!("store {name} is not paused (Ready)")
    );
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

#[test]
fn only_a_ready_or_failed_store_is_paused_and_a_missing_one_is_not_found() {
    let c = cluster();
    // Its volumes never bind: Provisioning for as long as the test looks.
    let name = unique("unbound");
    storectl(
        c,
        ADMIN,
        &["create", &name, "--set", "global.storageClass=sim-unbound"],
    )
    .expect_code(0);
    let refused = storectl(c, ADMIN, &["pause", &name]).expect_code(3);
    assert!(
        refused
            .stderr
            .contains(&format!("store '{name}' is Provisioning (")),
        "{refused:?}"
    );
    assert!(
        refused
            .stderr
            .contains("only a Ready or Failed store can be paused")
    );
    let status = storectl(c, ADMIN, &["status", &name, "-o", "json"]).expect_code(0);
    assert!(
        status.stdout.contains("\"status\": \"Provisioning\""),
        "{status:?}"
    );
    storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0);
    let missing = storectl(c, ADMIN, &["pause", "no-such-store"]).expect_code(4);
    assert!(
        missing.stderr.contains("store 'no-such-store' not found"),
        "{missing:?}"
    );
    storectl(c, ADMIN, &["resume", "no-such-store"]).expect_code(4);
}
