//! Who did what, against the real control plane: each change made through the CLI leaves
//! a Kubernetes Event with its reason, naming the user as the API server authenticated
//! them (not the kubeconfig's name for that user), and the revisions name the same user;
//! a deletion's Event outlives the store in the platform namespace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{TestCluster, cluster, fresh_home, storectl_in, unique, wait_gone};
use k8s_openapi::api::core::v1::{Event, Namespace};
use kube::Api;
use kube::api::ListParams;
use serde_json::Value;

const CONTEXT: &str = "devcluster-admin";
const PLATFORM: &str = "ecommerce-platform";

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// A copy of the cluster's kubeconfig in which the admin's credentials go by the name
/// `alias`: the server still authenticates them as `admin`.
fn aliased_kubeconfig(c: &TestCluster, alias: &str) -> PathBuf {
    let text = std::fs::read_to_string(&c.kubeconfig).unwrap();
    let mut config: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    for context in config["contexts"].as_sequence_mut().unwrap() {
        if context["name"] == CONTEXT {
            context["context"]["user"] = alias.into();
        }
    }
    let users = config["users"].as_sequence_mut().unwrap();
    let mut admin = users.iter().find(|u| u["name"] == "admin").unwrap().clone();
    admin["name"] = alias.into();
    users.push(admin);
    let path = fresh_home(c).join("kubeconfig");
    std::fs::write(&path, serde_yaml_ng::to_string(&config).unwrap()).unwrap();
    path
}

fn run(c: &TestCluster, kubeconfig: &Path, args: &[&str]) -> common::Run {
    let kubeconfig = kubeconfig.to_str().unwrap();
    storectl_in(
        &fresh_home(c),
        c,
        CONTEXT,
        args,
        &[("KUBECONFIG", kubeconfig)],
    )
    .expect_code(0)
}

/// (reason, message, regarding namespace/name) of storectl's Events in `namespace` about
/// store `name` (its WordPress Deployment), oldest first.
async fn recorded(c: &TestCluster, namespace: &str, name: &str) -> Vec<(String, String, String)> {
    let events: Api<Event> = Api::namespaced(c.admin().await, namespace);
    let mut out: Vec<(String, String, String, String)> = events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.reporting_component.as_deref() == Some("storectl"))
        .filter(|e| {
            e.involved_object.name.as_deref() == Some(&format!("{name}-wordpress"))
                && e.involved_object.namespace.as_deref() == Some(&format!("store-{name}"))
        })
        .map(|e| {
            let regarding = e.involved_object;
            (
                e.event_time.map(|t| t.0.to_string()).unwrap_or_default(),
                e.reason.unwrap_or_default(),
                e.message.unwrap_or_default(),
                format!(
                    "{}/{}",
                    regarding.namespace.unwrap_or_default(),
                    regarding.name.unwrap_or_default()
                ),
            )
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, r, m, o)| (r, m, o)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_change_through_the_cli_leaves_an_event_naming_the_authenticated_user() {
    let c = cluster();
    let kubeconfig = aliased_kubeconfig(c, "a-nickname");
    let name = unique("audited");
    let ns = format!("store-{name}");
    let deployment = format!("{ns}/{name}-wordpress");
    block(|| {
        run(
            c,
            &kubeconfig,
            &["create", &name, "--wait", "--timeout", "180s"],
        );
        run(
            c,
            &kubeconfig,
            &[
                "upgrade",
                &name,
                "--set",
                "wordpress.resources.limits.cpu=900m",
                "--yes",
                "--wait",
                "--timeout",
                "180s",
            ],
        );
        run(c, &kubeconfig, &["pause", &name]);
        run(c, &kubeconfig, &["resume", &name]);
        run(c, &kubeconfig, &["backup", &name]);
    });
    let events = recorded(c, &ns, &name).await;
    let reasons: Vec<&str> = events.iter().map(|(r, _, _)| r.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "StoreCreated",
            "StoreUpgraded",
            "StorePaused",
            "StoreResumed",
            "BackupStarted"
        ],
        "{events:#?}"
    );
    assert_eq!(events[0].1, format!("admin created store {name}"));
    assert_eq!(
        events[1].1,
        format!(
            "admin upgraded store {name} to revision 2 (upgrade: wordpress.resources.limits.cpu: 1 -> 900m)"
        )
    );
    assert!(
        events[4]
            .1
            .starts_with(&format!("admin started a backup of store {name}: backup ")),
        "{events:#?}"
    );
    for (_, message, regarding) in &events {
        assert!(message.starts_with("admin "), "{message}");
        assert_eq!(regarding, &deployment);
    }
    // The revisions name the same user.
    let history = block(|| run(c, &kubeconfig, &["history", &name, "-o", "json"]));
    let history: Value = serde_json::from_str(&history.stdout).unwrap();
    let users: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["admin", "admin"]);

    // The deletion is recorded where it outlives the store.
    block(|| run(c, &kubeconfig, &["delete", &name, "--yes"]));
    wait_gone(&Api::<Namespace>::all(c.admin().await), &ns, 120).await;
    let deleted = recorded(c, PLATFORM, &name).await;
    assert_eq!(
        deleted,
        [(
            "StoreDeleted".to_string(),
            format!("admin deleted store {name}"),
            deployment
        )]
    );
}
