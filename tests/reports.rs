//! A store's report (issue 23, points 3 and 4) against the real control plane with the
//! node simulator, which renews each running store's Lease as its runner would: `status
//! -o json` and `list -o json` carry the versions and when cron last ran, read from the
//! Lease (not from configuration); a store whose cron stopped says so in its reason and
//! stays Ready; a paused store's report is not renewed. The runner's PHP itself runs for
//! real in tests/runner_php.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{cluster, storectl, unique};
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use serde_json::Value;

const ADMIN: &str = "devcluster-admin";

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn status_json(name: &str) -> Value {
    let run = block(|| storectl(cluster(), ADMIN, &["status", name, "-o", "json"]).expect_code(0));
    serde_json::from_str(&run.stdout).unwrap()
}

/// Waits (at most 60 s) until the store's status has `versions`.
async fn reported(name: &str) -> Value {
    for _ in 0..60 {
        let status = status_json(name);
        if !status["versions"].is_null() {
            return status;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("no versions in the status of {name}: {}", status_json(name));
}

/// Store `name` created Ready with `set`, and its status once its runner has reported.
async fn created_and_reported(c: &common::TestCluster, name: &str, set: &str) -> Value {
    let create = ["create", name, "--set", set, "--wait", "--timeout", "90s"];
    block(|| storectl(c, ADMIN, &create).expect_code(0));
    reported(name).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_store_reports_its_versions_and_cron_from_its_lease() {
    let c = cluster();
    let name = unique("report");
    let status = created_and_reported(c, &name, "woocommerce.version=10.1.2").await;
    assert_eq!(status["status"], "Ready", "{status}");
    assert_eq!(status["versions"]["woocommerce"], "10.1.2", "{status}");
    assert_eq!(status["versions"]["wordpress"], "6.8.0", "{status}");
    assert_eq!(status["versions"]["php"], "8.2.29", "{status}");
    assert!(status["cron"]["lastRun"].is_string(), "{status}");
    assert_eq!(status["reason"], "all components ready", "{status}");

    // Where it comes from: the Lease the store's runner writes. A report that says
    // otherwise is shown as the store's word, and its drift from the pins is named.
    let leases: Api<Lease> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let lease = leases.get(&format!("{name}-report")).await.unwrap();
    let labels = lease.metadata.labels.clone().unwrap();
    assert_eq!(labels.get("app").map(String::as_str), Some(name.as_str()));
    let list = block(|| storectl(c, ADMIN, &["list", "-o", "json"]).expect_code(0));
    let listed: Value = serde_json::from_str(&list.stdout).unwrap();
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name.as_str())
        .unwrap_or_else(|| panic!("{name} not listed: {listed}"));
    assert_eq!(row["versions"]["woocommerce"], "10.1.2", "{row}");
    assert!(row["cron"]["lastRun"].is_string(), "{row}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_whose_cron_stopped_says_so_and_stays_ready() {
    let c = cluster();
    let name = unique("cronstop");
    let status = created_and_reported(
        c,
        &name,
        "wordpress.image=wordpress:6.8-apache-sim-cron-stale",
    )
    .await;
    assert_eq!(status["status"], "Ready", "{status}");
    assert_eq!(
        status["reason"], "all components ready; cron has not run for 11 min",
        "{status}"
    );
}
