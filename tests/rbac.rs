//! Least privilege, proven on the control plane (setup in tests/common/rbac.rs): with
//! assets/rbac.yaml and assets/serve.yaml as shipped, a user in storectl:operators runs
//! the whole lifecycle through the real binary, an older store gets its binding at its
//! upgrade, and the serve ServiceAccount answers a list. What the same identities may
//! not do is tests/rbac_refusals.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::rbac::{OPERATORS, setup};
use common::{cluster, fresh_home, unique};
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Api;
use kube::api::DeleteParams;
use serde_json::Value;

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// The whole lifecycle as a user in storectl:operators, every step through the binary.
#[tokio::test(flavor = "multi_thread")]
async fn a_user_in_the_operators_group_runs_the_whole_lifecycle() {
    let c = cluster();
    let alice = &setup().await.alice;
    let name = unique("lp");
    let copy = unique("lpcopy");
    let admin = c.admin().await;
    block(|| {
        alice.storectl(c, &["create", &name, "--wait", "--timeout", "90s"], 0);
        let list = alice.storectl(c, &["list", "-o", "json"], 0);
        let stores: Vec<Value> = serde_json::from_str(&list.stdout).unwrap();
        assert!(
            stores.iter().any(|s| s["name"] == name.as_str()),
            "{list:?}"
        );
        alice.storectl(c, &["status", &name], 0);
        alice.storectl(c, &["logs", &name, "-c", "mysql"], 0);
        alice.storectl(c, &["events", &name], 0);
        let change = "wordpress.resources.limits.memory=640Mi";
        alice.storectl(c, &["diff", &name, "--set", change], 1);
        alice.storectl(c, &["upgrade", &name, "--set", change, "--wait"], 0);
        alice.storectl(c, &["history", &name], 0);
        alice.storectl(c, &["rollback", &name, "--wait"], 0);
        alice.storectl(c, &["pause", &name], 0);
        alice.storectl(c, &["resume", &name, "--wait"], 0);
        let backup = alice.storectl(c, &["backup", &name, "--wait"], 0);
        let id = backup.stdout.split_whitespace().nth(1).unwrap().to_string();
        alice.storectl(c, &["backups", &name], 0);
        alice.storectl(c, &["restore", &name, "--from", &id, "--yes", "--wait"], 0);
        alice.storectl(c, &["clone", &name, &copy, "--wait"], 0);
        alice.storectl(c, &["delete", &copy, "--yes", "--wait"], 0);
    });
    // Confirmed through the API: the store's binding, made by storectl, names the group.
    let bindings: Api<RoleBinding> = Api::namespaced(admin.clone(), &format!("store-{name}"));
    let binding = bindings.get("storectl-store-writer").await.unwrap();
    assert_eq!(binding.role_ref.name, "storectl-store-writer");
    let subjects: Vec<String> = binding
        .subjects
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(subjects, [OPERATORS, "storectl"]);
    // Who did what is recorded with these rights too: each change an Event naming alice.
    let events: Api<Event> = Api::namespaced(admin.clone(), &format!("store-{name}"));
    let mut recorded: Vec<(String, String)> = events
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.reporting_component.as_deref() == Some("storectl"))
        .map(|e| {
            let message = e.message.unwrap_or_default();
            assert!(message.starts_with("alice "), "{message}");
            (e.reason.unwrap_or_default(), message)
        })
        .collect();
    recorded.sort();
    let reasons: Vec<&str> = recorded.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "BackupStarted",
            "RestoreStarted",
            "StoreCreated",
            "StorePaused",
            "StoreResumed",
            "StoreUpgraded",
            "StoreUpgraded"
        ],
        "{recorded:#?}"
    );
    let platform: Api<Event> = Api::namespaced(admin.clone(), "ecommerce-platform");
    let deleted = platform.list(&Default::default()).await.unwrap().items;
    assert!(
        deleted
            .iter()
            .any(|e| e.reason.as_deref() == Some("StoreDeleted")
                && e.message.as_deref() == Some(&format!("alice deleted store {copy}"))),
        "no StoreDeleted event for {copy}"
    );
    // The revisions are in the cluster: create's, the upgrade's and the rollback's.
    let revisions: Api<ConfigMap> = Api::namespaced(admin.clone(), &format!("store-{name}"));
    let mut kept: Vec<String> = revisions
        .list_metadata(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .filter(|n| n.starts_with(&format!("{name}-revision-")))
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        (1..=3)
            .map(|n| format!("{name}-revision-{n}"))
            .collect::<Vec<_>>()
    );
    block(|| {
        alice.storectl(
            c,
            &["delete", &name, "--yes", "--delete-backups", "--wait"],
            0,
        )
    });
    // Its backup records went with it (read through the API).
    let records: Api<ConfigMap> = Api::namespaced(admin.clone(), "ecommerce-platform");
    let left: Vec<String> = records
        .list_metadata(
            &kube::api::ListParams::default().labels(&format!("storectl.io/backup-of={name}")),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .collect();
    assert_eq!(left, Vec::<String>::new(), "the backup records are gone");
    let namespaces: Api<Namespace> = Api::all(admin);
    assert!(
        namespaces
            .get_opt(&format!("store-{name}"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        namespaces
            .get_opt(&format!("store-{copy}"))
            .await
            .unwrap()
            .is_none()
    );
}

/// A store made before storectl bound its namespaces (its binding removed by hand): the
/// operator's upgrade adds it first, then applies with it.
#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_binds_a_store_made_before_the_binding() {
    let c = cluster();
    let alice = &setup().await.alice;
    let name = unique("old");
    let admin = c.admin().await;
    block(|| common::storectl(c, "devcluster-admin", &["create", &name, "--wait"]).expect_code(0));
    let bindings: Api<RoleBinding> = Api::namespaced(admin.clone(), &format!("store-{name}"));
    bindings
        .delete("storectl-store-writer", &DeleteParams::default())
        .await
        .unwrap();
    let refused = block(|| alice.storectl(c, &["pause", &name], 5));
    assert!(
        refused
            .stderr
            .contains("may not patch deployments.apps in namespace store-"),
        "{refused:?}"
    );
    block(|| {
        alice.storectl(
            c,
            &[
                "upgrade",
                &name,
                "--set",
                "wordpress.resources.limits.memory=600Mi",
            ],
            0,
        )
    });
    assert!(
        bindings
            .get_opt("storectl-store-writer")
            .await
            .unwrap()
            .is_some()
    );
    block(|| alice.storectl(c, &["delete", &name, "--yes", "--wait"], 0));
}

/// The serve ServiceAccount of assets/serve.yaml answers a list with its own token.
#[tokio::test(flavor = "multi_thread")]
async fn the_serve_service_account_answers_a_list() {
    let c = cluster();
    let serve = &setup().await.serve;
    let home = fresh_home(c);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args([
            "--kubeconfig",
            serve.kubeconfig.to_str().unwrap(),
            "--context",
            "acting",
        ])
        .args(["serve", "--listen", "127.0.0.1:0", "--insecure-no-auth"])
        .env_clear()
        .env("HOME", &home)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let stores = loop {
        let reply = block(|| ureq::get(format!("{base}/api/stores")).call());
        if let Ok(mut reply) = reply {
            break reply.body_mut().read_json::<Value>().unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never answered: {reply:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(stores.is_array() || stores["stores"].is_array(), "{stores}");
}
