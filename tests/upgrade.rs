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

fn status_of(c: &TestCluster, name: &str) -> Value {
    let run = storectl(c, ADMIN, &["status", name, "-o", "json"]).expect_code(0);
    serde_json::from_str(&run.stdout).unwrap()
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

    let run = block(|| storectl(c, ADMIN, &args).expect_code(0));
    let waves = waves_in(&run.stdout);
    assert_eq!(
        waves.iter().map(Vec::len).collect::<Vec<_>>(),
        [1, 5, 5, 5, 4],
        "{run:?}"
    );
    // Every store of a wave is Ready before the next wave starts.
    let lines: Vec<&str> = run.stdout.lines().collect();
    for (i, wave) in waves.iter().enumerate().skip(1) {
        let start = lines
            .iter()
            .position(|l| l.starts_with(&format!("wave {}/", i + 1)))
            .unwrap();
        for store in &waves[i - 1] {
            let ready = lines
                .iter()
                .position(|l| *l == format!("{store}: Ready on revision 2"))
                .unwrap_or_else(|| panic!("{store} never Ready: {run:?}"));
            assert!(ready < start, "{store} Ready after wave {} began", i + 1);
        }
        assert!(!wave.is_empty());
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
    assert_eq!(
        upgrade_job.status.unwrap().succeeded,
        Some(1),
        "the image change ran the database upgrade"
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

    // The same command again: every store is there already.
    let again = block(|| storectl(c, ADMIN, &args).expect_code(0));
    assert_eq!(
        again.stdout,
        "nothing to do: every store is at its target revision (20 store(s))\n"
    );
    for name in &names {
        assert_eq!(block(|| revisions(c, name)), [1, 2]);
    }
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
    assert!(
        run.stdout
            .contains(&format!("wave 1/2 (canary): {canary}\n")),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(
            "rollout stopped after 1 failure(s) (more than --max-failures 0); 2 store(s) left untouched"
        ) && run.stderr.contains(&format!("{canary}: wordpress container"))
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
    assert!(
        !pods
            .list(&ListParams::default().labels("component=wordpress"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
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
    let grow = block(|| storectl(c, ADMIN, &["upgrade", &original]).expect_code(2));
    assert!(
        grow.stderr.contains(&format!(
            "volume {original}-mysql-pvc cannot grow from 1Gi to 10Gi: it has no storage class that could expand it"
        )),
        "{grow:?}"
    );
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
    block(|| storectl(c, ADMIN, &["delete", &original, "--yes"]).expect_code(0));
    block(|| storectl(c, ADMIN, &["delete", &older, "--yes"]).expect_code(0));
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
    use storectl::domain::config::{Sources, load};
    use storectl::domain::layout::StoreLayout;
    use storectl::domain::name::StoreName;
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
    let config = load(&Sources {
        sets: vec![set.clone()],
        ..Sources::default()
    })
    .unwrap();
    let layout = StoreLayout::new(&StoreName::parse(&name, "store-").unwrap(), &config);
    let wanted = storectl::domain::manifests::database_upgrade_job(&layout, &config, 2);
    let container = |j: &Job| j.spec.clone().unwrap().template.spec.unwrap().containers[0].clone();
    assert_eq!(container(&job).command, container(&wanted).command);
    assert_eq!(container(&job).image, container(&wanted).image);
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}
