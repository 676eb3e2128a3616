//! Fleet upgrades against the real control plane with the node simulator: waves that
//! each reach Ready before the next, a failing canary that stops the rollout with one
//! store changed, rollback, an interrupted rollout (kill -9) and its resumption.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestCluster, cluster, storectl, unique};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use kube::Api;
use kube::api::ListParams;
use serde_json::Value;

const ADMIN: &str = "devcluster-admin";
const OLD: &str = "wordpress:6.8-apache";
const NEW: &str = "wordpress:6.9-apache";

/// Creates the stores `prefix-1..=n` side by side and waits until each is Ready.
fn create_fleet(c: &TestCluster, prefix: &str, n: usize) -> Vec<String> {
    let names: Vec<String> = (1..=n).map(|i| format!("{prefix}-{i}")).collect();
    std::thread::scope(|s| {
        for name in &names {
            s.spawn(move || {
                storectl(c, ADMIN, &["create", name, "--wait", "--timeout", "180s"]).expect_code(0)
            });
        }
    });
    names
}

async fn wordpress_image(c: &TestCluster, name: &str) -> String {
    let api: Api<Deployment> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let d = api.get(&format!("{name}-wordpress")).await.unwrap();
    d.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone()
        .unwrap()
}

/// The numbers of the store's recorded revisions.
fn revisions(c: &TestCluster, name: &str) -> Vec<u64> {
    let run = storectl(c, ADMIN, &["history", name, "-o", "json"]).expect_code(0);
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_u64().unwrap())
        .collect()
}

/// The database upgrade Job storectl renders for store `name`'s `revision` under `set`.
fn rendered_database_upgrade_job(name: &str, set: &str, revision: u32) -> Job {
    use storectl::domain::config::{Sources, load};
    use storectl::domain::layout::StoreLayout;
    use storectl::domain::name::StoreName;
    let config = load(&Sources {
        sets: vec![set.to_string()],
        ..Sources::default()
    })
    .unwrap();
    let layout = StoreLayout::new(&StoreName::parse(name, "store-").unwrap(), &config);
    storectl::domain::manifests::database_upgrade_job(&layout, &config, revision)
}

fn status_of(c: &TestCluster, name: &str) -> Value {
    let run = storectl(c, ADMIN, &["status", name, "-o", "json"]).expect_code(0);
    serde_json::from_str(&run.stdout).unwrap()
}

/// What storectl could write in the stores, read through the API: each Deployment's
/// generation (its spec), labels and annotations (not its status, which the controllers
/// keep writing), and each revision ConfigMap's resourceVersion. Equal before and after
/// means storectl wrote nothing there.
async fn written_state(c: &TestCluster, names: &[String]) -> Vec<(String, String)> {
    use k8s_openapi::api::core::v1::ConfigMap;
    let client = c.admin().await;
    let mut out = Vec::new();
    for name in names {
        let namespace = format!("store-{name}");
        let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace);
        let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
        for d in deployments
            .list_metadata(&ListParams::default())
            .await
            .unwrap()
            .items
        {
            let m = d.metadata;
            out.push((
                format!("{namespace}/Deployment/{}", m.name.unwrap()),
                format!(
                    "generation {:?}, labels {:?}, annotations {:?}",
                    m.generation, m.labels, m.annotations
                ),
            ));
        }
        for map in maps
            .list_metadata(&ListParams::default().labels("storectl.io/revision"))
            .await
            .unwrap()
            .items
        {
            let m = map.metadata;
            out.push((
                format!("{namespace}/ConfigMap/{}", m.name.unwrap()),
                m.resource_version.unwrap(),
            ));
        }
    }
    out.sort();
    out
}

/// What the test's own watch saw happen to a store's WordPress Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// Its template asks for the new image.
    Changed(String),
    /// Its one replica is updated and available on the new image.
    ReadyOnNew(String),
}

/// Watches the WordPress Deployments of `names` (not through storectl) and logs, in the
/// order the API server wrote them, when each took the new image and when it ran it.
/// Returns once the watch has listed them.
async fn follow_wordpress(
    client: kube::Client,
    names: &[String],
) -> (
    std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
    tokio::task::JoinHandle<()>,
) {
    use futures::StreamExt;
    use kube::runtime::watcher::{self, Event};
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let stores: Vec<String> = names.to_vec();
    let writer = log.clone();
    let (listed, on_list) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let api: Api<Deployment> = Api::all(client);
        let config = watcher::Config::default().labels("component=wordpress");
        let mut events = watcher::watcher(api, config).boxed();
        let mut listed = Some(listed);
        while let Some(event) = events.next().await {
            let d = match event {
                Ok(Event::Apply(d) | Event::InitApply(d)) => d,
                Ok(Event::InitDone) => {
                    if let Some(listed) = listed.take() {
                        let _ = listed.send(());
                    }
                    continue;
                }
                _ => continue,
            };
            let name = d.metadata.name.clone().unwrap_or_default();
            let Some(store) = stores.iter().find(|s| name == format!("{s}-wordpress")) else {
                continue;
            };
            let spec = d.spec.clone().unwrap();
            if spec.template.spec.unwrap().containers[0].image.as_deref() != Some(NEW) {
                continue;
            }
            let status = d.status.clone().unwrap_or_default();
            let running = status.observed_generation >= d.metadata.generation
                && status.updated_replicas == Some(1)
                && status.available_replicas == Some(1)
                && status.replicas == Some(1);
            let mut log = writer.lock().unwrap();
            for seen in [
                Some(Seen::Changed(store.clone())),
                running.then(|| Seen::ReadyOnNew(store.clone())),
            ]
            .into_iter()
            .flatten()
            {
                if !log.contains(&seen) {
                    log.push(seen);
                }
            }
        }
    });
    on_list
        .await
        .expect("the watch of the Deployments ended before listing");
    (log, task)
}

/// The pod templates of the store's two Deployments (labels and spec; annotations left
/// out: storectl marks them with the revision).
async fn pod_templates(c: &TestCluster, name: &str) -> Vec<Value> {
    let api: Api<Deployment> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let mut out = Vec::new();
    for component in ["mysql", "wordpress"] {
        let d = api.get(&format!("{name}-{component}")).await.unwrap();
        let template = d.spec.unwrap().template;
        out.push(serde_json::json!({
            "labels": template.metadata.and_then(|m| m.labels),
            "spec": template.spec,
        }));
    }
    out
}

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// The stores of each `wave N/M` line, in order.
fn waves_in(output: &str) -> Vec<Vec<String>> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("wave "))
        .map(|l| {
            let stores = l.split_once(": ").unwrap().1;
            stores.split(", ").map(str::to_string).collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_stores_upgrade_in_waves_each_ready_before_the_next_and_a_rerun_skips_them() {
    let c = cluster();
    let prefix = unique("fleet");
    let names = block(|| create_fleet(c, &prefix, 20));
    let mut args = vec!["upgrade"];
    args.extend(names.iter().map(String::as_str));
    let set = format!("wordpress.image={NEW}");
    args.extend(["--set", &set, "--wave-size", "5", "--timeout", "180s"]);

    let before_dry_run = written_state(c, &names).await;
    let plan = block(|| {
        let mut dry = args.clone();
        dry.push("--dry-run");
        storectl(c, ADMIN, &dry).expect_code(0)
    });
    assert!(
        plan.stdout.contains("plan: 20 store(s) in 5 wave(s): ")
            && plan
                .stdout
                .contains(&format!("wordpress.image: {OLD} -> {NEW}")),
        "{plan:?}"
    );
    assert_eq!(
        block(|| wordpress_image_sync(c, &names[0])),
        OLD,
        "a dry run changes nothing"
    );
    assert_eq!(
        written_state(c, &names).await,
        before_dry_run,
        "a dry run writes nothing in any of the 20 stores"
    );

    let (seen, watching) = follow_wordpress(c.admin().await, &names).await;
    let run = block(|| storectl(c, ADMIN, &args).expect_code(0));
    watching.abort();
    let waves = waves_in(&run.stdout);
    assert_eq!(
        waves.iter().map(Vec::len).collect::<Vec<_>>(),
        [1, 5, 5, 5, 4],
        "{run:?}"
    );
    // Every store of a wave runs the new image, as the API server says, before any
    // Deployment of the next wave is changed.
    let seen = seen.lock().unwrap().clone();
    let at = |what: &Seen| {
        seen.iter()
            .position(|s| s == what)
            .unwrap_or_else(|| panic!("never seen {what:?}: {seen:?}"))
    };
    for (i, wave) in waves.iter().enumerate().skip(1) {
        let started = wave
            .iter()
            .map(|s| at(&Seen::Changed(s.clone())))
            .min()
            .unwrap();
        for store in &waves[i - 1] {
            assert!(
                at(&Seen::ReadyOnNew(store.clone())) < started,
                "{store} ran the new image only after wave {} began: {seen:?}",
                i + 1
            );
        }
    }
    assert!(
        run.stdout
            .ends_with("done: 20 of 20 store(s) at the target\n")
    );
    let jobs: Api<Job> = Api::namespaced(c.admin().await, &format!("store-{}", names[7]));
    let upgrade_job = jobs
        .get(&format!("{}-db-upgrade-2", names[7]))
        .await
        .unwrap();
    // The Job runs the database upgrade storectl renders for that revision (the
    // simulator completes any Job: `wp core update-db` itself runs in no test).
    let wanted = rendered_database_upgrade_job(&names[7], &set, 2);
    let container = |j: &Job| j.spec.clone().unwrap().template.spec.unwrap().containers[0].clone();
    assert_eq!(container(&upgrade_job).command, container(&wanted).command);
    assert_eq!(container(&upgrade_job).image, container(&wanted).image);
    assert_eq!(
        upgrade_job.status.unwrap().succeeded,
        Some(1),
        "the database upgrade Job completed"
    );
    for name in &names {
        assert_eq!(wordpress_image(c, name).await, NEW);
        assert_eq!(block(|| revisions(c, name)), [1, 2]);
    }
    let history = block(|| storectl(c, ADMIN, &["history", &names[3]]).expect_code(0));
    assert!(
        history
            .stdout
            .contains(&format!("upgrade: wordpress.image: {OLD} -> {NEW}")),
        "{history:?}"
    );

    // The same command again: every store is there already, and nothing is written.
    let before_rerun = written_state(c, &names).await;
    let again = block(|| storectl(c, ADMIN, &args).expect_code(0));
    assert_eq!(
        again.stdout,
        "nothing to do: every store is at its target revision (20 store(s))\n"
    );
    assert_eq!(written_state(c, &names).await, before_rerun);
}

fn wordpress_image_sync(c: &TestCluster, name: &str) -> String {
    let status = status_of(c, name);
    assert_eq!(status["status"], "Ready", "{status:#}");
    tokio::runtime::Handle::current().block_on(wordpress_image(c, name))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unpullable_canary_stops_the_rollout_with_one_store_changed_and_rollback_restores_it() {
    let c = cluster();
    let prefix = unique("canary");
    let names = block(|| create_fleet(c, &prefix, 3));
    let selector = format!("app.kubernetes.io/instance in ({})", names.join(","));
    let canary_templates = pod_templates(c, &names[0]).await;
    let run = block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "upgrade",
                "-l",
                &selector,
                "--set",
                "wordpress.image=registry.invalid/wordpress:7",
                "--set",
                "stores.failureGrace=2s",
                "--timeout",
                "120s",
            ],
        )
        .expect_code(1)
    });
    let canary = &names[0];
    let admin = c.admin().await;
    assert!(
        run.stdout
            .contains(&format!("wave 1/2 (canary): {canary}\n")),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(
            "rollout stopped after 1 failure(s) (more than --max-failures 0); 2 store(s) left untouched"
        ) && (run.stderr.contains(&format!("{canary}: wordpress container"))
            // The database upgrade Job copies core from the same image: whichever pod
            // the status reads first names the pull that failed.
            || run.stderr.contains(&format!("{canary}: setup container wordpress-core")))
            && run.stderr.contains("ImagePull"),
        "{run:?}"
    );
    assert!(!run.stdout.contains("wave 2/2"), "{run:?}");
    assert_eq!(
        wordpress_image(c, canary).await,
        "registry.invalid/wordpress:7"
    );
    for name in &names[1..] {
        assert_eq!(wordpress_image(c, name).await, OLD, "{name} was untouched");
        assert_eq!(block(|| revisions(c, name)), [1]);
    }
    assert_eq!(block(|| revisions(c, canary)), [1, 2]);

    let back = block(|| {
        storectl(
            c,
            ADMIN,
            &["rollback", canary, "--wait", "--timeout", "120s"],
        )
        .expect_code(0)
    });
    assert!(
        back.stdout
            .contains(&format!("{canary}: Ready on revision 3")),
        "{back:?}"
    );
    assert_eq!(wordpress_image(c, canary).await, OLD);
    assert_eq!(
        pod_templates(c, canary).await,
        canary_templates,
        "the rollback restores both Deployments' pod templates whole"
    );
    let values = |n: u32| {
        let maps: Api<k8s_openapi::api::core::v1::ConfigMap> =
            Api::namespaced(admin.clone(), &format!("store-{canary}"));
        let name = format!("{canary}-revision-{n}");
        async move { maps.get(&name).await.unwrap().data.unwrap()["values.yaml"].clone() }
    };
    assert_eq!(
        values(3).await,
        values(1).await,
        "revision 3 is revision 1's configuration"
    );
    assert_eq!(block(|| status_of(c, canary))["status"], "Ready");
    let history = block(|| storectl(c, ADMIN, &["history", canary]).expect_code(0));
    assert!(
        history.stdout.contains("rollback to revision 1: "),
        "{history:?}"
    );
    let missing = block(|| storectl(c, ADMIN, &["rollback", canary, "--to", "9"]).expect_code(4));
    assert!(
        missing.stderr.contains(&format!(
            "store '{canary}' has no revision 9 (kept: 1, 2, 3)"
        )),
        "{missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_killed_mid_wave_leaves_every_store_ready_and_the_same_command_resumes_it() {
    let c = cluster();
    let prefix = unique("resume");
    let names = block(|| create_fleet(c, &prefix, 7));
    let set = format!("wordpress.image={NEW}");
    let mut args: Vec<&str> = vec!["--context", ADMIN, "upgrade"];
    args.extend(names.iter().map(String::as_str));
    args.extend(["--set", &set, "--wave-size", "3", "--timeout", "180s"]);

    // Killed (SIGKILL) as soon as the second wave has been applied.
    let home = common::fresh_home(c);
    let mut child = Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(&args)
        .env_clear()
        .env("HOME", &home)
        .env("KUBECONFIG", &c.kubeconfig)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    block(|| {
        for line in lines.by_ref() {
            let line = line.unwrap();
            let applied = line.contains(": revision 2: applied");
            seen.push(line);
            if applied && seen.iter().any(|l| l.starts_with("wave 2/")) {
                break;
            }
        }
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        seen.iter().any(|l| l.starts_with("wave 2/3: ")),
        "killed before the second wave: {seen:?}"
    );
    let mut left = Vec::new();
    for name in &names {
        if wordpress_image(c, name).await == OLD {
            left.push(name.clone());
        }
    }
    assert_eq!(left, names[4..], "the kill left the third wave undone");

    // Every store comes to Ready on the old or the new image.
    let deadline = Instant::now() + Duration::from_secs(120);
    for name in &names {
        loop {
            let status = block(|| status_of(c, name));
            if status["status"] == "Ready" {
                break;
            }
            assert!(Instant::now() < deadline, "{name} never Ready: {status:#}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let image = wordpress_image(c, name).await;
        assert!(image == OLD || image == NEW, "{name} runs {image}");
    }
    let canary_done = wordpress_image(c, &names[0]).await == NEW;
    assert!(canary_done, "the canary finished before wave 2 began");

    // The same command resumes: the canary is not upgraded again.
    let rest: Vec<&str> = args[2..].to_vec();
    let resumed = block(|| storectl(c, ADMIN, &rest).expect_code(0));
    assert!(
        resumed.stdout.contains(&format!(
            "{}: at its target (revision 2); skipped",
            names[0]
        )),
        "{resumed:?}"
    );
    assert!(
        waves_in(&resumed.stdout)
            .iter()
            .flatten()
            .all(|s| s != &names[0]),
        "{resumed:?}"
    );
    for name in &names {
        assert_eq!(wordpress_image(c, name).await, NEW);
        assert_eq!(block(|| revisions(c, name)), [1, 2], "{name}");
        assert_eq!(block(|| status_of(c, name))["status"], "Ready");
    }
    let pods: Api<k8s_openapi::api::core::v1::Pod> =
        Api::namespaced(c.admin().await, &format!("store-{}", names[6]));
    let running: Vec<_> = pods
        .list(&ListParams::default().labels("component=wordpress"))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|p| {
            common::pod_ready(p)
                && p.spec.as_ref().unwrap().containers[0].image.as_deref() == Some(NEW)
        })
        .collect();
    assert_eq!(running.len(), 1, "one Ready WordPress pod on the new image");
}

#[tokio::test(flavor = "multi_thread")]
async fn stores_without_revisions_get_a_first_one_when_first_upgraded() {
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    let c = cluster();
    // A storectl store from before revisions: its revision ConfigMap removed.
    let older = unique("older");
    block(|| storectl(c, ADMIN, &["create", &older, "--wait"]).expect_code(0));
    let maps: Api<ConfigMap> = Api::namespaced(c.admin().await, &format!("store-{older}"));
    maps.delete(&format!("{older}-revision-1"), &Default::default())
        .await
        .unwrap();
    let set = format!("wordpress.image={NEW}");
    block(|| storectl(c, ADMIN, &["upgrade", &older, "--set", &set, "--wait"]).expect_code(0));
    let history = block(|| storectl(c, ADMIN, &["history", &older]).expect_code(0));
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{history:?}");
    assert!(lines[0].starts_with("1 ") && lines[0].ends_with("recorded at its first upgrade"));
    assert!(
        lines[1].starts_with("2 ")
            && lines[1].contains(&format!("wordpress.image: {OLD} -> {NEW}"))
    );

    // A store of the original platform: refused until its credentials are a Secret.
    let original = unique("orig");
    common::original_platform_store(c, &original).await;
    let refused = block(|| storectl(c, ADMIN, &["upgrade", &original]).expect_code(3));
    assert!(
        refused.stderr.contains(&format!(
            "the credentials secret {original}-credentials of store '{original}' is missing"
        )) && refused.stderr.contains("mysql-password"),
        "{refused:?}"
    );
    assert!(
        block(|| storectl(c, ADMIN, &["history", &original]).expect_code(0))
            .stdout
            .is_empty(),
        "nothing recorded"
    );
    assert_eq!(shared_revisions(c, &original).await, Vec::<String>::new());
    let secrets: Api<Secret> = Api::namespaced(c.admin().await, "ecommerce-stores");
    let data: std::collections::BTreeMap<String, String> =
        storectl::domain::credentials::Credentials::placeholder()
            .into_map()
            .into_keys()
            .map(|k| (k, "the-store's-own".to_string()))
            .collect();
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(format!("{original}-credentials")),
            labels: Some(
                [
                    ("app".to_string(), original.clone()),
                    ("managed-by".to_string(), "ecommerce-platform".to_string()),
                ]
                .into(),
            ),
            ..Default::default()
        },
        string_data: Some(data),
        ..Default::default()
    };
    secrets.create(&Default::default(), &secret).await.unwrap();
    // Its volumes are 1Gi; they cannot grow here (the simulator's volumes have no class
    // that expands): said before anything changes.
    let shared: Api<Deployment> = Api::namespaced(c.admin().await, "ecommerce-stores");
    let deployments = || async {
        let mut out = Vec::new();
        for component in ["mysql", "wordpress"] {
            let d = shared
                .get(&format!("{original}-{component}"))
                .await
                .unwrap();
            let revision = d
                .metadata
                .annotations
                .and_then(|a| a.get("storectl.io/revision").cloned());
            out.push((d.metadata.generation, revision, d.spec.unwrap().strategy));
        }
        out
    };
    let before = deployments().await;
    let grow = block(|| storectl(c, ADMIN, &["upgrade", &original]).expect_code(2));
    assert!(
        grow.stderr.contains(&format!(
            "volume {original}-mysql-pvc cannot grow from 1Gi to 10Gi: it has no storage class that could expand it"
        )),
        "{grow:?}"
    );
    assert_eq!(
        deployments().await,
        before,
        "refused before anything changes"
    );
    assert_eq!(shared_revisions(c, &original).await, Vec::<String>::new());
    let run = block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "upgrade",
                &original,
                "--set",
                "wordpress.storage=1Gi",
                "--set",
                "mysql.storage=1Gi",
                "--yes",
            ],
        )
        .expect_code(0)
    });
    assert!(
        run.stdout
            .contains(&format!("{original}: revision 2 applied")),
        "{run:?}"
    );
    let history = block(|| storectl(c, ADMIN, &["history", &original]).expect_code(0));
    assert!(
        history.stdout.starts_with("1 ")
            && history.stdout.contains("recorded at its first upgrade"),
        "{history:?}"
    );
    assert_eq!(
        shared_revisions(c, &original).await,
        [
            format!("{original}-revision-1"),
            format!("{original}-revision-2")
        ]
    );
    for (_, _, strategy) in deployments().await {
        let strategy = strategy.unwrap();
        assert_eq!(strategy.type_.as_deref(), Some("Recreate"));
        assert!(strategy.rolling_update.is_none(), "{strategy:?}");
    }
    block(|| storectl(c, ADMIN, &["delete", &original, "--yes"]).expect_code(0));
    block(|| storectl(c, ADMIN, &["delete", &older, "--yes"]).expect_code(0));
}

/// The revision ConfigMaps of a store of the original platform (in the shared
/// namespace), read through the API.
async fn shared_revisions(c: &TestCluster, name: &str) -> Vec<String> {
    use k8s_openapi::api::core::v1::ConfigMap;
    let maps: Api<ConfigMap> = Api::namespaced(c.admin().await, "ecommerce-stores");
    let mut names: Vec<String> = maps
        .list_metadata(&ListParams::default().labels("storectl.io/revision"))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .filter(|n| n.starts_with(&format!("{name}-revision-")))
        .collect();
    names.sort();
    names
}

/// The revision names of a store, read through the API (not through `history`).
async fn revision_maps(c: &TestCluster, name: &str) -> Vec<String> {
    use k8s_openapi::api::core::v1::ConfigMap;
    let maps: Api<ConfigMap> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let mut names: Vec<String> = maps
        .list(&ListParams::default().labels("storectl.io/revision"))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_cut_off_before_its_database_upgrade_job_is_finished_by_the_same_command() {
    use k8s_openapi::api::core::v1::ResourceQuota;
    let c = cluster();
    let name = unique("cutoff");
    let namespace = format!("store-{name}");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    let admin = c.admin().await;
    // The API server refuses every new Job in the namespace: the upgrade stops exactly
    // where its database upgrade Job is created (the state a storectl killed there
    // leaves), with no timing involved.
    let quotas: Api<ResourceQuota> = Api::namespaced(admin.clone(), &namespace);
    let no_jobs: ResourceQuota = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "test-no-new-jobs"},
        "spec": {"hard": {"count/jobs.batch": "0"}},
    }))
    .unwrap();
    quotas.create(&Default::default(), &no_jobs).await.unwrap();
    common::wait_for(&quotas, "test-no-new-jobs", 30, "counted", |q| {
        q.status.as_ref().and_then(|s| s.used.as_ref()).is_some()
    })
    .await;
    let set = format!("wordpress.image={NEW}");
    let args = [
        "upgrade",
        &name,
        "--set",
        &set,
        "--wait",
        "--timeout",
        "90s",
    ];
    let cut = block(|| storectl(c, ADMIN, &args).expect_code(1));
    assert!(
        cut.stderr.contains("exceeded quota: test-no-new-jobs"),
        "{cut:?}"
    );
    assert_eq!(wordpress_image(c, &name).await, NEW, "{cut:?}");
    assert_eq!(
        revision_maps(c, &name).await,
        [format!("{name}-revision-1")],
        "a revision whose database upgrade Job does not exist is not recorded"
    );

    quotas
        .delete("test-no-new-jobs", &Default::default())
        .await
        .unwrap();
    common::wait_gone(&quotas, "test-no-new-jobs", 30).await;
    let again = block(|| storectl(c, ADMIN, &args).expect_code(0));
    assert!(
        again
            .stdout
            .contains(&format!("{name}: Ready on revision 2")),
        "{again:?}"
    );
    assert_eq!(
        revision_maps(c, &name).await,
        [format!("{name}-revision-1"), format!("{name}-revision-2")]
    );
    let jobs: Api<Job> = Api::namespaced(admin, &namespace);
    let job = jobs
        .get(&format!("{name}-db-upgrade-2"))
        .await
        .unwrap_or_else(|e| panic!("no database upgrade Job after the rerun: {e}; {again:?}"));
    let wanted = rendered_database_upgrade_job(&name, &set, 2);
    let container = |j: &Job| j.spec.clone().unwrap().template.spec.unwrap().containers[0].clone();
    assert_eq!(container(&job).command, container(&wanted).command);
    assert_eq!(container(&job).image, container(&wanted).image);
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_upgrade_in_flight_is_never_killed_and_one_that_never_started_is_replaced() {
    let c = cluster();
    let name = unique("migrating");
    let namespace = format!("store-{name}");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    let admin = c.admin().await;
    let jobs: Api<Job> = Api::namespaced(admin.clone(), &namespace);
    // An earlier revision's database upgrade, as storectl renders it, whose PHP runs on
    // (its main container runs in the WordPress image): a migration in flight.
    let earlier_job = |image: &str, revision: u32| {
        rendered_database_upgrade_job(&name, &format!("wordpress.image={image}"), revision)
    };
    let running = earlier_job("wordpress:6.8-apache-sim-runs-forever", 7);
    let running_name = running.metadata.name.clone().unwrap();
    jobs.create(&Default::default(), &running).await.unwrap();
    common::wait_for(&jobs, &running_name, 60, "its pod ready", |j| {
        j.status.as_ref().and_then(|s| s.ready) == Some(1)
    })
    .await;

    let set = format!("wordpress.image={NEW}");
    let args = [
        "upgrade",
        &name,
        "--set",
        &set,
        "--wait",
        "--timeout",
        "90s",
    ];
    // One store's failure in a rollout: exit 1, the store's line says why.
    let refused = block(|| storectl(c, ADMIN, &args).expect_code(1));
    assert!(
        refused.stdout.lines().any(|l| l == format!(
            "{name}: failed: store '{name}' is upgrading its database (job {running_name} is running); nothing was changed: upgrade again once it has finished"
        )),
        "{refused:?}"
    );
    // Through the API: the migration runs on, and nothing of the upgrade happened.
    let still = jobs.get(&running_name).await.unwrap();
    assert!(still.metadata.deletion_timestamp.is_none(), "{still:?}");
    assert_eq!(still.status.and_then(|s| s.ready), Some(1));
    assert_eq!(wordpress_image(c, &name).await, OLD);
    assert_eq!(
        revision_maps(c, &name).await,
        [format!("{name}-revision-1")]
    );

    // Once it has ended (here: deleted by its owner), a Job whose pod never started (an
    // unpullable image) has run nothing, and the upgrade replaces it.
    jobs.delete(&running_name, &Default::default())
        .await
        .unwrap();
    common::wait_gone(&jobs, &running_name, 60).await;
    let stuck = earlier_job("registry.invalid/wordpress:6.8-apache", 8);
    let stuck_name = stuck.metadata.name.clone().unwrap();
    jobs.create(&Default::default(), &stuck).await.unwrap();
    common::wait_for(&jobs, &stuck_name, 60, "active, not ready", |j| {
        j.status.as_ref().and_then(|s| s.active) == Some(1)
    })
    .await;
    let upgraded = block(|| storectl(c, ADMIN, &args).expect_code(0));
    assert!(
        upgraded
            .stdout
            .contains(&format!("{name}: Ready on revision 2")),
        "{upgraded:?}"
    );
    assert_eq!(wordpress_image(c, &name).await, NEW);
    let left: Vec<String> = jobs
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|j| j.metadata.deletion_timestamp.is_none())
        .filter_map(|j| j.metadata.name)
        .filter(|n| n.contains("-db-upgrade-"))
        .collect();
    assert_eq!(left, [format!("{name}-db-upgrade-2")], "{upgraded:?}");
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

/// The store's WordPress container with `mounts`, written under storectl's own field
/// manager as an older storectl (or a hand edit it took over) left it: before the
/// health endpoint too (no ConfigMap, no volume of it, the readiness probe on
/// /wp-login.php).
async fn with_mounts(c: &TestCluster, name: &str, mounts: Value) {
    use kube::api::{Patch, PatchParams};
    let api: Api<Deployment> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let live = api.get(&format!("{name}-wordpress")).await.unwrap();
    let mut old = serde_json::to_value(&live).unwrap();
    for key in [
        "managedFields",
        "resourceVersion",
        "uid",
        "generation",
        "creationTimestamp",
    ] {
        old["metadata"].as_object_mut().unwrap().remove(key);
    }
    old.as_object_mut().unwrap().remove("status");
    let pod = &mut old["spec"]["template"]["spec"];
    // An older storectl's pod: WordPress alone (no cron runner beside it).
    let wordpress_only: Vec<Value> = pod["containers"].as_array().unwrap()[..1].to_vec();
    pod["containers"] = wordpress_only.into();
    pod["containers"][0]["volumeMounts"] = mounts;
    pod["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/wp-login.php".into();
    let claim_only: Vec<Value> = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v.get("persistentVolumeClaim").is_some())
        .cloned()
        .collect();
    pod["volumes"] = claim_only.into();
    let maps: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(c.admin().await, &format!("store-{name}"));
    let health = format!("{name}-wordpress-health");
    if maps.get_opt(&health).await.unwrap().is_some() {
        maps.delete(&health, &Default::default()).await.unwrap();
    }
    api.patch(
        &format!("{name}-wordpress"),
        &PatchParams::apply("storectl").force(),
        &Patch::Apply(old),
    )
    .await
    .unwrap();
}

/// The WordPress container's mounts and the claim (or `ConfigMap/name`) of each volume
/// they name, read through the API.
async fn wordpress_mounts(c: &TestCluster, name: &str) -> Vec<(String, Option<String>, String)> {
    let api: Api<Deployment> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let spec = api.get(&format!("{name}-wordpress")).await.unwrap().spec;
    let pod = spec.and_then(|s| s.template.spec).unwrap();
    let claim = |volume: &str| {
        let v = pod.volumes.iter().flatten().find(|v| v.name == volume);
        v.and_then(|v| v.persistent_volume_claim.as_ref())
            .map(|p| p.claim_name.clone())
            .or_else(|| {
                v.and_then(|v| v.config_map.as_ref())
                    .map(|m| format!("ConfigMap/{}", m.name))
            })
            .unwrap_or_default()
    };
    pod.containers[0]
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| (m.mount_path.clone(), m.sub_path.clone(), claim(&m.name)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_with_core_on_its_volume_moves_to_wp_content_only_at_its_next_upgrade() {
    use k8s_openapi::api::core::v1::PersistentVolumeClaim;
    let c = cluster();
    let name = unique("oldcore");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    let claim = format!("{name}-wordpress-pvc");
    let api: Api<Deployment> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let set = format!("wordpress.image={NEW}");

    // A volume whose root is wp-content (mounted there whole): refused, nothing changed.
    with_mounts(
        c,
        &name,
        serde_json::json!([{"name": "data", "mountPath": "/var/www/html/wp-content"}]),
    )
    .await;
    let generation = api
        .get(&format!("{name}-wordpress"))
        .await
        .unwrap()
        .metadata
        .generation;
    let refused =
        block(|| storectl(c, ADMIN, &["upgrade", &name, "--set", &set, "--yes"]).expect_code(3));
    assert!(
        refused.stderr.contains(&format!("store '{name}' mounts a volume of its WordPress container at /var/www/html/wp-content, where storectl's stores never had one")),
        "{refused:?}"
    );
    assert_eq!(
        api.get(&format!("{name}-wordpress"))
            .await
            .unwrap()
            .metadata
            .generation,
        generation
    );
    assert_eq!(
        wordpress_mounts(c, &name).await,
        [("/var/www/html/wp-content".to_string(), None, claim.clone())]
    );
    assert_eq!(block(|| revisions(c, &name)), [1]);

    // Core on the volume, as storectl's stores had it.
    with_mounts(
        c,
        &name,
        serde_json::json!([{"name": "data", "mountPath": "/var/www/html"}]),
    )
    .await;
    assert_eq!(
        wordpress_mounts(c, &name).await,
        [("/var/www/html".to_string(), None, claim.clone())]
    );
    let claims: Api<PersistentVolumeClaim> =
        Api::namespaced(c.admin().await, &format!("store-{name}"));
    let uid = claims.get(&claim).await.unwrap().metadata.uid;

    // diff names the mount that changes (and what a store from before the health
    // endpoint and the cron runner gains: the ConfigMap, volumes, mounts, probe and the
    // runner container), each named list element by element.
    let drift = block(|| storectl(c, ADMIN, &["diff", &name]).expect_code(1));
    let lines: Vec<&str> = drift.stdout.lines().collect();
    let runner_line = "  spec.template.spec.containers[runner]: null -> {\"command\":";
    assert_eq!(
        lines
            .iter()
            .map(|l| if l.starts_with(runner_line) {
                "(the runner)"
            } else {
                l
            })
            .collect::<Vec<_>>(),
        [
            format!("ConfigMap/{name}-wordpress-health (create)").as_str(),
            &format!("Deployment/{name}-wordpress (update)"),
            "  spec.template.spec.containers[0].readinessProbe.httpGet.path: \"/wp-login.php\" -> \"/storectl-health.php\"",
            "  spec.template.spec.containers[0].volumeMounts[0].mountPath: \"/var/www/html\" -> \"/var/www/html/wp-content\"",
            "  spec.template.spec.containers[0].volumeMounts[0].subPath: null -> \"wp-content\"",
            "  spec.template.spec.containers[0].volumeMounts[storectl-health]: null -> {\"mountPath\":\"/var/www/html/storectl-health.php\",\"name\":\"storectl-health\",\"readOnly\":true,\"subPath\":\"storectl-health.php\"}",
            "(the runner)",
            &format!(
                "  spec.template.spec.volumes[storectl-health]: null -> {{\"configMap\":{{\"defaultMode\":292,\"name\":\"{name}-wordpress-health\"}},\"name\":\"storectl-health\"}}"
            ),
            &format!(
                "  spec.template.spec.volumes[storectl-runner]: null -> {{\"configMap\":{{\"defaultMode\":292,\"name\":\"{name}-wordpress-runner\"}},\"name\":\"storectl-runner\"}}"
            ),
            "  spec.template.spec.volumes[storectl-runner-token]: null -> {\"name\":\"storectl-runner-token\",\"projected\":{\"defaultMode\":292,\"sources\":[{\"serviceAccountToken\":{\"expirationSeconds\":3600,\"path\":\"token\"}},{\"configMap\":{\"items\":[{\"key\":\"ca.crt\",\"path\":\"ca.crt\"}],\"name\":\"kube-root-ca.crt\"}}]}}",
        ],
        "{drift:?}"
    );
    // The plan names the move; the dry run changes nothing.
    let dry = block(|| {
        storectl(c, ADMIN, &["upgrade", &name, "--set", &set, "--dry-run"]).expect_code(0)
    });
    assert_eq!(
        dry.stdout,
        format!(
            "{name}: revision 1 -> next; wordpress.image: {OLD} -> {NEW}; 2 object(s) change (ConfigMap/{name}-wordpress-health, Deployment/{name}-wordpress); moves to the core-from-image layout (only wp-content on the volume)\nplan: 1 store\n"
        )
    );
    assert_eq!(
        wordpress_mounts(c, &name).await,
        [("/var/www/html".to_string(), None, claim.clone())]
    );

    block(|| storectl(c, ADMIN, &["upgrade", &name, "--set", &set, "--wait"]).expect_code(0));
    assert_eq!(
        wordpress_mounts(c, &name).await,
        [
            (
                "/var/www/html/wp-content".to_string(),
                Some("wp-content".to_string()),
                claim.clone()
            ),
            (
                "/var/www/html/storectl-health.php".to_string(),
                Some("storectl-health.php".to_string()),
                format!("ConfigMap/{name}-wordpress-health")
            )
        ],
        "the same claim, its wp-content folder alone; the health endpoint from its ConfigMap"
    );
    assert_eq!(claims.get(&claim).await.unwrap().metadata.uid, uid);
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

/// `rollback --to N` applies revision N's configuration as a new revision, not the one
/// before the last: read back through the API (the Deployment and the revision
/// ConfigMaps).
#[tokio::test(flavor = "multi_thread")]
async fn rollback_to_a_kept_revision_applies_that_revisions_configuration() {
    use k8s_openapi::api::core::v1::ConfigMap;
    let c = cluster();
    let name = unique("rbto");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait"]).expect_code(0));
    let client = c.admin().await;
    let namespace = format!("store-{name}");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace);
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
    let memory = || async {
        let d = deployments.get(&format!("{name}-wordpress")).await.unwrap();
        let container = d.spec.unwrap().template.spec.unwrap().containers[0].clone();
        container
            .resources
            .and_then(|r| r.limits)
            .and_then(|l| l.get("memory").map(|q| q.0.clone()))
    };
    let created = memory().await;
    for limit in ["640Mi", "700Mi"] {
        let set = format!("wordpress.resources.limits.memory={limit}");
        block(|| storectl(c, ADMIN, &["upgrade", &name, "--set", &set, "--wait"]).expect_code(0));
        assert_eq!(memory().await.as_deref(), Some(limit));
    }
    assert_ne!(created.as_deref(), Some("640Mi"));
    block(|| storectl(c, ADMIN, &["rollback", &name, "--to", "1", "--wait"]).expect_code(0));
    assert_eq!(
        memory().await,
        created,
        "revision 1's limit (not revision 2's 640Mi)"
    );
    let values = |n: u32| {
        let maps = maps.clone();
        let name = format!("{name}-revision-{n}");
        async move { maps.get(&name).await.unwrap().data.unwrap()["values.yaml"].clone() }
    };
    assert_eq!(values(4).await, values(1).await);
    assert_ne!(values(4).await, values(2).await);
    let mut kept: Vec<String> = maps
        .list_metadata(&ListParams::default().labels("storectl.io/revision"))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        (1..=4)
            .map(|n| format!("{name}-revision-{n}"))
            .collect::<Vec<_>>()
    );
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

/// A store refused by upgrade's checks counts as a failure before the first wave: with
/// `--max-failures 0` nothing changes anywhere; with `--max-failures 1` the other store
/// is upgraded and the refused one named (exit 1 both times). Read through the API; and
/// `-l` matching no store is exit 4.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_store_is_a_failure_and_max_failures_above_0_lets_the_rest_go_on() {
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    let c = cluster();
    let prefix = unique("maxf");
    let names = block(|| create_fleet(c, &prefix, 2));
    let (good, refused) = (&names[0], &names[1]);
    let client = c.admin().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &format!("store-{refused}"));
    secrets
        .delete(&format!("{refused}-credentials"), &Default::default())
        .await
        .unwrap();
    let set = "wordpress.resources.limits.memory=640Mi";
    let upgrade = |max: &str| {
        block(|| {
            storectl(
                c,
                ADMIN,
                &[
                    "upgrade",
                    good,
                    refused,
                    "--set",
                    set,
                    "--max-failures",
                    max,
                    "--timeout",
                    "120s",
                ],
            )
            .expect_code(1)
        })
    };
    let before = written_state(c, &names).await;
    let stopped = upgrade("0");
    assert_eq!(
        written_state(c, &names).await,
        before,
        "a refusal with --max-failures 0 changed a store: {stopped:?}"
    );
    let went = upgrade("1");
    assert!(
        went.stderr.contains(&format!(
            "the credentials secret {refused}-credentials of store '{refused}' is missing"
        )),
        "{went:?}"
    );
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &format!("store-{good}"));
    let d = deployments.get(&format!("{good}-wordpress")).await.unwrap();
    let limits = d.spec.unwrap().template.spec.unwrap().containers[0]
        .resources
        .clone()
        .and_then(|r| r.limits)
        .unwrap();
    assert_eq!(limits["memory"].0, "640Mi", "{went:?}");
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &format!("store-{good}"));
    let recorded = maps
        .list_metadata(&ListParams::default().labels("storectl.io/revision"))
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(recorded, 2, "{went:?}");
    let after = written_state(c, std::slice::from_ref(refused)).await;
    let refused_before: Vec<(String, String)> = before
        .into_iter()
        .filter(|(k, _)| k.starts_with(&format!("store-{refused}/")))
        .collect();
    assert_eq!(after, refused_before, "the refused store was changed");

    let selector = format!("app.kubernetes.io/instance={}", unique("nomatch"));
    let none =
        block(|| storectl(c, ADMIN, &["upgrade", "-l", &selector, "--set", set]).expect_code(4));
    assert_eq!(
        none.stderr,
        format!("error: no store matches the selector '{selector}'\n")
    );
    for name in &names {
        block(|| storectl(c, ADMIN, &["delete", name, "--yes"]).expect_code(0));
    }
}

/// `upgrade --all` upgrades every store but one being deleted (said on stderr), read
/// through the API. On a control plane of its own: `--all` would reach the other tests'
/// stores.
#[tokio::test(flavor = "multi_thread")]
async fn upgrade_all_upgrades_every_store_but_one_being_deleted() {
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
    use kube::api::{Patch, PatchParams, PostParams};
    let own = common::dedicated_cluster();
    let prefix = unique("all");
    let names = block(|| create_fleet(&own, &prefix, 3));
    let client = own.admin().await;
    // The third is being deleted, held by a finalizer on an object in its namespace.
    let leaving = &names[2];
    let held: Api<ConfigMap> = Api::namespaced(client.clone(), &format!("store-{leaving}"));
    let hold: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "hold", "finalizers": ["storectl.test/hold"]}
    }))
    .unwrap();
    held.create(&PostParams::default(), &hold).await.unwrap();
    block(|| storectl(&own, ADMIN, &["delete", leaving, "--yes"]).expect_code(0));
    let namespaces: Api<Namespace> = Api::all(client.clone());
    common::wait_for(
        &namespaces,
        &format!("store-{leaving}"),
        60,
        "being deleted",
        |n| n.metadata.deletion_timestamp.is_some(),
    )
    .await;

    let set = "wordpress.resources.limits.memory=640Mi";
    let run = block(|| storectl(&own, ADMIN, &["upgrade", "--all", "--set", set]).expect_code(0));
    assert_eq!(
        run.stderr,
        format!("storectl: skipping store {leaving}: it is being deleted\n"),
        "{run:?}"
    );
    let memory = |name: String| {
        let client = client.clone();
        async move {
            let api: Api<Deployment> = Api::namespaced(client, &format!("store-{name}"));
            api.get_opt(&format!("{name}-wordpress"))
                .await
                .unwrap()
                .map(|d| {
                    d.spec.unwrap().template.spec.unwrap().containers[0]
                        .resources
                        .clone()
                        .and_then(|r| r.limits)
                        .and_then(|l| l.get("memory").map(|q| q.0.clone()))
                })
        }
    };
    for name in &names[..2] {
        assert_eq!(
            memory(name.clone()).await,
            Some(Some("640Mi".to_string())),
            "{name}: {run:?}"
        );
    }
    assert_ne!(
        memory(leaving.clone()).await,
        Some(Some("640Mi".to_string())),
        "the store being deleted was upgraded: {run:?}"
    );
    held.patch(
        "hold",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
}
