//! Day-2 operations against the real control plane with the node simulator: pausing a
//! store (scaled to zero, every volume and secret kept) and resuming it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{cluster, storectl, unique};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
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
    // Back as the API server says, at the moment storectl says ready: each Deployment's
    // one replica updated and available, and a Ready pod of each.
    for d in deployments.list(&ListParams::default()).await.unwrap() {
        assert_eq!(d.spec.as_ref().unwrap().replicas, Some(1));
        let status = d.status.clone().unwrap();
        assert!(
            status.observed_generation >= d.metadata.generation
                && status.updated_replicas == Some(1)
                && status.available_replicas == Some(1),
            "{status:?}"
        );
        assert!(
            !d.metadata
                .labels
                .unwrap()
                .contains_key("storectl.io/paused")
        );
    }
    assert_eq!(
        common::ready_components(&pods).await,
        ["mysql", "wordpress"],
        "a Ready pod of each"
    );
    assert_eq!(uids(&secrets).await, secrets_before);
    assert_eq!(uids(&claims).await, claims_before);
    let not_paused = block(|| storectl(c, ADMIN, &["resume", &name]).expect_code(0));
    assert_eq!(
        not_paused.stdout.trim(),
        format!("store {name} is not paused (Ready)")
    );
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

/// Each Deployment of the store: (name, replicas, its paused label), read through the API.
async fn workloads(
    c: &common::TestCluster,
    name: &str,
) -> Vec<(String, Option<i32>, Option<String>)> {
    let api: Api<Deployment> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let mut out: Vec<_> = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|d| {
            let paused = d
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(storectl::domain::labels::PAUSED_LABEL).cloned());
            (d.metadata.name.unwrap(), d.spec.unwrap().replicas, paused)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_ready_or_failed_store_is_paused_and_a_missing_one_is_not_found() {
    let c = cluster();
    // Its volumes never bind: Provisioning for as long as the test looks.
    let name = unique("unbound");
    block(|| {
        storectl(
            c,
            ADMIN,
            &["create", &name, "--set", "global.storageClass=sim-unbound"],
        )
        .expect_code(0)
    });
    let before = workloads(c, &name).await;
    let refused = block(|| storectl(c, ADMIN, &["pause", &name]).expect_code(3));
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
    assert_eq!(
        workloads(c, &name).await,
        before,
        "the refusal changed nothing"
    );
    assert!(
        before
            .iter()
            .all(|(_, replicas, paused)| *replicas == Some(1) && paused.is_none())
    );
    let status = block(|| storectl(c, ADMIN, &["status", &name, "-o", "json"]).expect_code(0));
    assert!(
        status.stdout.contains("\"status\": \"Provisioning\""),
        "{status:?}"
    );
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));

    // A Failed store (its setup Job failed: Failed for good, unlike a crash loop that
    // is Provisioning between restarts) is paused.
    let failed = unique("failed");
    block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "create",
                &failed,
                "--set",
                "setup.image=wordpress:cli-sim-exit-1",
                "--set",
                "setup.backoffLimit=0",
                "--wait",
                "--timeout",
                "90s",
            ],
        )
        .expect_code(1)
    });
    block(|| storectl(c, ADMIN, &["pause", &failed]).expect_code(0));
    let paused = workloads(c, &failed).await;
    assert_eq!(paused.len(), 2, "{paused:?}");
    assert!(
        paused
            .iter()
            .all(|(_, replicas, label)| *replicas == Some(0) && label.is_some()),
        "{paused:?}"
    );
    block(|| storectl(c, ADMIN, &["delete", &failed, "--yes"]).expect_code(0));

    let missing = block(|| storectl(c, ADMIN, &["pause", "no-such-store"]).expect_code(4));
    assert!(
        missing.stderr.contains("store 'no-such-store' not found"),
        "{missing:?}"
    );
    block(|| storectl(c, ADMIN, &["resume", "no-such-store"]).expect_code(4));
}

#[tokio::test(flavor = "multi_thread")]
async fn history_lists_the_revision_create_recorded_with_its_configuration() {
    use k8s_openapi::api::core::v1::ConfigMap;
    let c = cluster();
    let name = unique("hist");
    block(|| {
        storectl(
            c,
            ADMIN,
            &["create", &name, "--set", "wordpress.storage=5Gi"],
        )
        .expect_code(0)
    });
    // Not a terminal: no header, one line per revision, starting with its number.
    let history = block(|| storectl(c, ADMIN, &["history", &name]).expect_code(0));
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{history:?}");
    let fields: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(fields[0], "1");
    assert!(fields[1].ends_with('Z'), "{fields:?}");
    assert_eq!(
        fields[2], "admin",
        "the kubeconfig user of devcluster-admin"
    );
    assert_eq!(
        &fields[3..],
        ["storectl", env!("CARGO_PKG_VERSION"), "created"]
    );
    let json = block(|| storectl(c, ADMIN, &["history", &name, "-o", "json"]).expect_code(0));
    let json: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json[0]["revision"], 1);
    assert_eq!(json[0]["user"], "admin");
    // The revision holds the effective configuration, --set included.
    let maps: Api<ConfigMap> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let recorded = maps.get(&format!("{name}-revision-1")).await.unwrap();
    let values = recorded.data.unwrap().remove("values.yaml").unwrap();
    let values: Value = serde_yaml_ng::from_str(&values).unwrap();
    assert_eq!(values["wordpress"]["storage"], "5Gi");
    assert_eq!(values["mysql"]["storage"], "10Gi");
    // Re-creating a complete store is refused; completing a half-made one (its Ingress
    // removed) is not a new revision.
    block(|| storectl(c, ADMIN, &["create", &name]).expect_code(3));
    let ingresses: Api<k8s_openapi::api::networking::v1::Ingress> =
        Api::namespaced(c.admin().await, &format!("store-{name}"));
    let ingress = format!("{name}-ingress");
    ingresses
        .delete(&ingress, &Default::default())
        .await
        .unwrap();
    common::wait_gone(&ingresses, &ingress, 30).await;
    let completed = block(|| {
        storectl(
            c,
            ADMIN,
            &["create", &name, "--set", "wordpress.storage=5Gi"],
        )
        .expect_code(0)
    });
    assert!(
        completed
            .stdout
            .starts_with(&format!("completed half-made store {name}:")),
        "{completed:?}"
    );
    assert!(ingresses.get_opt(&ingress).await.unwrap().is_some());
    let maps: Api<ConfigMap> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let revisions: Vec<String> = maps
        .list_metadata(&ListParams::default().labels("storectl.io/revision"))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .collect();
    assert_eq!(revisions, [format!("{name}-revision-1")]);
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_keeps_its_last_ten_revisions_and_the_original_platforms_has_none() {
    use storectl::cluster::revisions;
    use storectl::domain::config::{Sources, load};
    use storectl::domain::layout::StoreLayout;
    use storectl::domain::name::StoreName;
    let c = cluster();
    let name = unique("keep");
    block(|| storectl(c, ADMIN, &["create", &name]).expect_code(0));
    let conn = c.admin_connection().await;
    let config = load(&Sources::default()).unwrap();
    let store = StoreName::parse(&name, "store-").unwrap();
    let layout = StoreLayout::new(&store, &config);
    for n in 2..=12 {
        let recorded = revisions::record(&conn, &layout, &config, &format!("change {n}"))
            .await
            .unwrap();
        assert_eq!(recorded.revision, n);
    }
    let kept: Vec<u32> = revisions::list(&conn, &layout)
        .await
        .unwrap()
        .iter()
        .map(|r| r.revision.revision)
        .collect();
    assert_eq!(kept, (3..=12).collect::<Vec<_>>());
    // Pruned in the cluster, not only in what the library lists.
    let maps: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(c.admin().await, &format!("store-{name}"));
    let mut stored: Vec<String> = maps
        .list_metadata(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .filter(|n| n.contains("-revision-"))
        .collect();
    stored.sort_by_key(|n| n.rsplit('-').next().unwrap().parse::<u32>().unwrap());
    assert_eq!(
        stored,
        (3..=12)
            .map(|n| format!("{name}-revision-{n}"))
            .collect::<Vec<_>>()
    );
    let history = block(|| storectl(c, ADMIN, &["history", &name]).expect_code(0));
    assert!(history.stdout.lines().next().unwrap().starts_with("3 "));
    assert!(
        history
            .stdout
            .lines()
            .last()
            .unwrap()
            .ends_with("change 12")
    );
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));

    let original = unique("orig");
    common::original_platform_store(c, &original).await;
    let none = block(|| storectl(c, ADMIN, &["history", &original]).expect_code(0));
    assert_eq!(none.stdout, "");
    assert!(none.stderr.contains("has no recorded revision"), "{none:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_names_each_changed_field_including_a_hand_edit_and_nothing_when_in_step() {
    use kube::api::{Patch, PatchParams};
    let c = cluster();
    let name = unique("diff");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    let same = block(|| storectl(c, ADMIN, &["diff", &name]).expect_code(0));
    assert_eq!(same.stdout, "", "{same:?}");

    // A change of configuration: the store's recorded configuration plus --set.
    let image = "wordpress:6.9-apache";
    let set = format!("wordpress.image={image}");
    let changed = block(|| storectl(c, ADMIN, &["diff", &name, "--set", &set]).expect_code(1));
    assert!(
        changed
            .stdout
            .contains(&format!("Deployment/{name}-wordpress (update)\n")),
        "{changed:?}"
    );
    assert!(
        changed.stdout.contains(&format!(
            "  spec.template.spec.containers[0].image: \"wordpress:6.8-apache\" -> \"{image}\"\n"
        )),
        "{changed:?}"
    );
    assert!(
        changed
            .stderr
            .ends_with("object(s) would change (storectl upgrade applies them)\n")
    );
    assert!(!changed.stderr.contains("error:"), "{changed:?}");
    let json =
        block(|| storectl(c, ADMIN, &["diff", &name, "--set", &set, "-o", "json"]).expect_code(1));
    let json: Value = serde_json::from_str(&json.stdout).unwrap();
    let wordpress = json
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["object"] == format!("Deployment/{name}-wordpress").as_str())
        .unwrap();
    assert_eq!(wordpress["change"], "update");
    assert!(
        wordpress["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["to"] == image)
    );

    // Drift: a hand edit of a field storectl sets shows as the change back.
    let deployments: Api<Deployment> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let edit = serde_json::json!({"spec": {"template": {"spec": {"containers": [
        {"name": "mysql", "image": "mysql:8.4.9"}
    ]}}}});
    deployments
        .patch(
            &format!("{name}-mysql"),
            &PatchParams {
                field_manager: Some("kubectl-edit".to_string()),
                ..PatchParams::default()
            },
            &Patch::Strategic(edit),
        )
        .await
        .unwrap();
    let drift = block(|| storectl(c, ADMIN, &["diff", &name]).expect_code(1));
    assert!(
        drift
            .stdout
            .contains(&format!("Deployment/{name}-mysql (update)\n"))
            && drift.stdout.contains("\"mysql:8.4.9\" -> \"mysql:8.4\""),
        "{drift:?}"
    );
    assert!(
        !drift.stdout.contains("-wordpress"),
        "only the edited object: {drift:?}"
    );

    // Upgrade repairs the drift, recorded as a revision without a configuration change.
    let repaired = block(|| storectl(c, ADMIN, &["upgrade", &name, "--wait"]).expect_code(0));
    assert!(
        repaired
            .stdout
            .contains(&format!("{name}: Ready on revision 2")),
        "{repaired:?}"
    );
    let image = |d: &Deployment| {
        d.spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .containers[0]
            .image
            .clone()
            .unwrap()
    };
    let mysql = deployments.get(&format!("{name}-mysql")).await.unwrap();
    assert_eq!(image(&mysql), "mysql:8.4");
    let history = block(|| storectl(c, ADMIN, &["history", &name]).expect_code(0));
    assert!(
        history.stdout.lines().last().unwrap().starts_with("2 ")
            && history
                .stdout
                .contains("upgrade: no configuration change (objects re-applied)"),
        "{history:?}"
    );
    // Turning the ingress off removes it (storectl's own object, no longer rendered).
    block(|| {
        storectl(
            c,
            ADMIN,
            &["upgrade", &name, "--set", "ingress.enabled=false"],
        )
        .expect_code(0)
    });
    let ingresses: Api<k8s_openapi::api::networking::v1::Ingress> =
        Api::namespaced(c.admin().await, &format!("store-{name}"));
    assert!(
        ingresses
            .get_opt(&format!("{name}-ingress"))
            .await
            .unwrap()
            .is_none_or(|i| i.metadata.deletion_timestamp.is_some()),
        "the ingress is gone"
    );
    // A volume never shrinks: refused before anything changes.
    let shrink = block(|| {
        storectl(c, ADMIN, &["upgrade", &name, "--set", "mysql.storage=1Gi"]).expect_code(2)
    });
    assert!(
        shrink.stderr.contains(&format!(
            "volume {name}-mysql-pvc cannot shrink from 10Gi to 1Gi"
        )),
        "{shrink:?}"
    );
    block(|| storectl(c, ADMIN, &["diff", &name]).expect_code(0));
    block(|| status_until(&name, 90, |s| s["status"] == "Ready"));
    block(|| storectl(c, ADMIN, &["pause", &name]).expect_code(0));
    let paused = block(|| storectl(c, ADMIN, &["diff", &name]).expect_code(0));
    assert_eq!(paused.stdout, "");
    // Upgrading a paused store changes its objects and keeps it paused.
    let upgraded = block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "upgrade",
                &name,
                "--set",
                "mysql.image=mysql:8.4.9",
                "--wait",
            ],
        )
        .expect_code(0)
    });
    assert!(
        upgraded.stdout.contains(&format!(
            "{name}: revision 4 applied (paused: it starts on this revision when resumed)"
        )),
        "{upgraded:?}"
    );
    let mysql = deployments.get(&format!("{name}-mysql")).await.unwrap();
    assert_eq!(image(&mysql), "mysql:8.4.9");
    assert_eq!(mysql.spec.as_ref().unwrap().replicas, Some(0));
    block(|| status_until(&name, 30, |s| s["status"] == "Paused"));
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

/// A pause cut short: WordPress scaled to zero and labelled paused by the pause's own
/// field manager (pause stops WordPress first), MySQL never reached. `resume --wait`
/// brings both back, read through the API: one replica each, updated and available, a
/// Ready pod of each, no paused label left.
#[tokio::test(flavor = "multi_thread")]
async fn resume_after_a_pause_cut_short_brings_both_deployments_back_and_leaves_no_mark() {
    use kube::api::{Patch, PatchParams};
    use storectl::cluster::pause::PAUSE_MANAGER;
    use storectl::domain::labels::PAUSED_LABEL;

    let c = cluster();
    let name = unique("half");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    let ns = format!("store-{name}");
    let client = c.admin().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let wordpress = format!("{name}-wordpress");
    let mysql = format!("{name}-mysql");
    // What `set_paused(.., true)` writes to WordPress, and nothing to MySQL.
    let patch = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": wordpress, "labels": { PAUSED_LABEL: "true" } },
        "spec": { "replicas": 0 },
    });
    deployments
        .patch(
            &wordpress,
            &PatchParams::apply(PAUSE_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await
        .unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let running = |component: &'static str| {
        let pods = pods.clone();
        async move {
            pods.list(&ListParams::default().labels(&format!("component={component}")))
                .await
                .unwrap()
                .items
                .len()
        }
    };
    common::wait_for(&deployments, &wordpress, 60, "scaled to zero", |d| {
        d.status
            .as_ref()
            .is_some_and(|s| s.replicas.unwrap_or(0) == 0)
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while running("wordpress").await > 0 {
        assert!(Instant::now() < deadline, "WordPress's pod never went");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        workloads(c, &name).await,
        [
            (mysql.clone(), Some(1), None),
            (wordpress.clone(), Some(0), Some("true".to_string())),
        ],
        "the half-paused state"
    );
    assert_eq!(running("mysql").await, 1);
    let half = block(|| storectl(c, ADMIN, &["status", &name, "-o", "json"]).expect_code(0));
    let half: Value = serde_json::from_str(&half.stdout).unwrap();
    // Not Ready (WordPress's zero replicas are all available), not Paused: Failed, why.
    assert_eq!(
        (&half["status"], &half["reason"]),
        (
            &Value::from("Failed"),
            &Value::from(format!(
                "pause did not finish: 1 of 2 Deployments stopped; run `storectl pause {name}` again or `storectl resume {name}`"
            ))
        ),
        "{half:#}"
    );

    let resumed = block(|| {
        storectl(c, ADMIN, &["resume", &name, "--wait", "--timeout", "90s"]).expect_code(0)
    });
    assert_eq!(
        resumed.stdout.lines().next(),
        Some(
            format!("resuming store {name}: MySQL and WordPress scaled back to one replica")
                .as_str()
        ),
        "{resumed:?}"
    );
    for d in deployments.list(&ListParams::default()).await.unwrap() {
        let status = d.status.clone().unwrap();
        assert_eq!(
            d.spec.as_ref().unwrap().replicas,
            Some(1),
            "{:?}",
            d.metadata.name
        );
        assert!(
            status.observed_generation >= d.metadata.generation
                && status.updated_replicas == Some(1)
                && status.available_replicas == Some(1),
            "{:?}: {status:?}",
            d.metadata.name
        );
    }
    assert_eq!(
        workloads(c, &name).await,
        [(mysql, Some(1), None), (wordpress, Some(1), None)],
        "both back, no paused label left"
    );
    assert_eq!(
        common::ready_components(&pods).await,
        ["mysql", "wordpress"],
        "a Ready pod of each"
    );
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

/// docs/cli.md: stores of the original platform (shared namespace, its labels, no
/// storectl mark) are found and worked on. Pause scales both Deployments to zero keeping
/// the volumes; resume brings them back to Ready; neither adds a namespace or any other
/// object. A backup is refused (exit 3, nothing started) while the store has no
/// credentials Secret; with one made from its passwords, it is backed up and restored
/// in the shared namespace.
#[tokio::test(flavor = "multi_thread")]
async fn an_original_platform_store_is_paused_resumed_backed_up_and_restored() {
    use k8s_openapi::api::core::v1::Namespace;
    const SHARED: &str = "ecommerce-stores";
    let c = cluster();
    let name = unique("origpause");
    common::original_platform_store(c, &name).await;
    let client = c.admin().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), SHARED);
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), SHARED);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), SHARED);
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let labelled = ListParams::default().labels(&format!("app={name}"));
    let ready = block(|| status_until(&name, 90, |s| s["status"] == "Ready"));
    assert_eq!(ready["namespace"], SHARED, "{ready:#}");
    let claims_before = claim_uids(&claims, &labelled).await;
    let secrets_before = secret_uids(&secrets, &labelled).await;
    assert_eq!(claims_before.len(), 2, "{claims_before:?}");
    let objects_before = common::labelled_in_shared(&client, &name).await;

    let paused = block(|| storectl(c, ADMIN, &["pause", &name]).expect_code(0));
    assert!(
        paused.stdout.starts_with(&format!("paused store {name}:")),
        "{paused:?}"
    );
    for component in ["mysql", "wordpress"] {
        let d = deployments
            .get(&format!("{name}-{component}"))
            .await
            .unwrap();
        assert_eq!(d.spec.unwrap().replicas, Some(0), "{component}");
        assert_eq!(
            d.metadata
                .labels
                .unwrap()
                .get("storectl.io/paused")
                .map(String::as_str),
            Some("true"),
            "{component}"
        );
    }
    block(|| status_until(&name, 60, |s| s["status"] == "Paused"));
    assert_eq!(claim_uids(&claims, &labelled).await, claims_before);
    assert_eq!(secret_uids(&secrets, &labelled).await, secrets_before);

    let resumed = block(|| {
        storectl(c, ADMIN, &["resume", &name, "--wait", "--timeout", "90s"]).expect_code(0)
    });
    assert!(
        resumed
            .stdout
            .contains(&format!("store {name} is ready at")),
        "{resumed:?}"
    );
    for component in ["mysql", "wordpress"] {
        let d = deployments
            .get(&format!("{name}-{component}"))
            .await
            .unwrap();
        assert_eq!(d.spec.as_ref().unwrap().replicas, Some(1), "{component}");
        let status = d.status.clone().unwrap();
        assert!(
            status.observed_generation >= d.metadata.generation
                && status.available_replicas == Some(1),
            "{component}: {status:?}"
        );
        assert!(
            !d.metadata
                .labels
                .unwrap()
                .contains_key("storectl.io/paused"),
            "{component}"
        );
    }
    assert_eq!(claim_uids(&claims, &labelled).await, claims_before);
    assert_eq!(secret_uids(&secrets, &labelled).await, secrets_before);
    // Nothing of storectl's was added: no namespace of its own, no other object.
    assert!(
        namespaces
            .get_opt(&format!("store-{name}"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        common::labelled_in_shared(&client, &name).await,
        objects_before
    );

    // Backup: the original platform made no credentials Secret, which the backup and
    // restore Jobs log in with, so storectl refuses before anything starts (no Job, no
    // record) and says how to give it one.
    let refused = block(|| {
        storectl(c, ADMIN, &["backup", &name, "--wait", "--timeout", "20s"]).expect_code(3)
    });
    assert!(
        refused.stderr.contains(&format!(
            "store '{name}' has no credentials secret {name}-credentials"
        )),
        "{refused:?}"
    );
    let jobs: Api<Job> = Api::namespaced(client.clone(), SHARED);
    let started: Vec<String> = jobs
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|j| j.metadata.name)
        .filter(|n| n.starts_with(&format!("{name}-backup")))
        .collect();
    assert!(started.is_empty(), "{started:?}");

    // With the Secret made from the passwords it runs with (as the message says), the
    // backup runs to its end and restores (through the MySQL Service the original
    // platform made with every store).
    let credentials = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(format!("{name}-credentials")),
            labels: Some([("app".to_string(), name.clone())].into()),
            ..Default::default()
        },
        string_data: Some(
            storectl::domain::credentials::Credentials::placeholder()
                .into_map()
                .into_keys()
                .map(|k| (k.to_string(), format!("value-of-{k}")))
                .collect(),
        ),
        ..Secret::default()
    };
    secrets
        .create(&Default::default(), &credentials)
        .await
        .unwrap();
    let backup = block(|| {
        storectl(c, ADMIN, &["backup", &name, "--wait", "--timeout", "90s"]).expect_code(0)
    });
    assert!(backup.stdout.contains("complete"), "{backup:?}");
    let id = backup.stdout.split_whitespace().nth(1).unwrap().to_string();
    let restored = block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "restore",
                &name,
                "--from",
                &id,
                "--yes",
                "--wait",
                "--timeout",
                "90s",
            ],
        )
        .expect_code(0)
    });
    assert!(restored.stdout.contains(&id), "{restored:?}");
    // Back to Ready in the shared namespace, still without a namespace of its own.
    let status = block(|| storectl(c, ADMIN, &["status", &name, "-o", "json"]).expect_code(0));
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        (status["status"].as_str(), status["namespace"].as_str()),
        (Some("Ready"), Some(SHARED)),
        "{status}"
    );
    assert!(
        namespaces
            .get_opt(&format!("store-{name}"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn claim_uids(api: &Api<PersistentVolumeClaim>, lp: &ListParams) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = api
        .list_metadata(lp)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|m| (m.metadata.name.unwrap(), m.metadata.uid.unwrap()))
        .collect();
    out.sort();
    out
}

async fn secret_uids(api: &Api<Secret>, lp: &ListParams) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = api
        .list_metadata(lp)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|m| (m.metadata.name.unwrap(), m.metadata.uid.unwrap()))
        .collect();
    out.sort();
    out
}
