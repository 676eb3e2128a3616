//! Backups end to end on the control plane with the node simulator (which runs no
//! process: it reports the Jobs' states as the kubelet would): backup, list, restore,
//! clone to Ready, delete keeping the backups, a refused `delete --delete-backups`
//! keeping them too, a paused store refused backup and restore, a failing backup
//! reported with its reason, a failing restore (WordPress started again only when the
//! script said it changed nothing, else kept stopped with the status saying so), and a
//! schedule whose failure shows in the store's status and events. The scripts the Jobs
//! run are tested for real in tests/backup_scripts.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestCluster, cluster, storectl, unique};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Container, Pod, Secret, Service};
use kube::Api;
use kube::api::ListParams;
use serde_json::Value;
use storectl::domain::backup::{
    BACKUP_SCRIPT, RESTORE_SCRIPT, REWRITE_URLS_SCRIPT, human_size, search_replace_php,
};
use storectl::domain::labels::RESTORING_LABEL;

const ADMIN: &str = "devcluster-admin";
const PLATFORM: &str = "ecommerce-platform";

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn backups_of(c: &TestCluster, name: &str) -> Vec<Value> {
    let run = storectl(c, ADMIN, &["backups", name, "-o", "json"]).expect_code(0);
    serde_json::from_str::<Vec<Value>>(&run.stdout).unwrap()
}

/// The script and environment of a Job's main container.
fn script_and_env(job: &Job) -> (String, Vec<(String, String)>) {
    let pod = job.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    container_script_and_env(&pod.containers[0])
}

/// The script and environment (secret references as empty values) of a container.
fn container_script_and_env(c: &Container) -> (String, Vec<(String, String)>) {
    let env = c
        .env
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e.name, e.value.unwrap_or_default()))
        .collect();
    (c.command.clone().unwrap()[2].clone(), env)
}

fn env_value(env: &[(String, String)], key: &str) -> String {
    env.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_restore_and_clone_then_delete_keeps_the_backups() {
    let c = cluster();
    let name = unique("bk");
    let copy = unique("bkcopy");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait"]).expect_code(0));
    let client = c.admin().await;

    let run = block(|| storectl(c, ADMIN, &["backup", &name, "--wait"]).expect_code(0));
    let id = run
        .stdout
        .strip_prefix("backup ")
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    // What the script reported (the simulator writes the result line a finished script
    // would, as its termination message) is what the record holds and storectl says.
    let reported = script_result(c, &name, &format!("{name}-backup-{id}")).await;
    let record = record_of(c, &name, &id).await;
    assert_eq!(record["size"], reported["size"].to_string());
    assert_eq!(record["sha256"], reported["sha256"].as_str().unwrap());
    assert_eq!(
        run.stdout.lines().last().unwrap(),
        format!(
            "backup {id} complete: {}, manifest sha256 {} at http://storectl-backups.{PLATFORM}.svc:7070/backups-{name}/stores/{name}/{id}/",
            human_size(reported["size"].as_u64().unwrap()),
            reported["sha256"].as_str().unwrap()
        ),
        "{run:?}"
    );
    // The zero-set-up target in the platform namespace, and the Job running the one
    // backup script.
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), PLATFORM);
    assert!(
        deployments
            .get_opt("storectl-backups")
            .await
            .unwrap()
            .is_some()
    );
    let services: Api<Service> = Api::namespaced(client.clone(), PLATFORM);
    assert!(
        services
            .get_opt("storectl-backups")
            .await
            .unwrap()
            .is_some()
    );
    let ns = format!("store-{name}");
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns);
    let job = jobs.get(&format!("{name}-backup-{id}")).await.unwrap();
    let (script, env) = script_and_env(&job);
    assert_eq!(script, BACKUP_SCRIPT);
    assert_eq!(env_value(&env, "STORE"), name);
    let copy_secret: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let target = copy_secret
        .get(&format!("{name}-backup-target"))
        .await
        .unwrap();
    // The store's namespace holds its own key, never the target's root key.
    let in_store = target.data.unwrap();
    assert_eq!(
        in_store.keys().cloned().collect::<Vec<_>>(),
        ["access-key-id", "secret-access-key"]
    );
    let platform: Api<Secret> = Api::namespaced(client.clone(), PLATFORM);
    let root = platform
        .get("storectl-backups")
        .await
        .unwrap()
        .data
        .unwrap();
    let own = platform
        .get(&format!("storectl-backups-{name}"))
        .await
        .unwrap()
        .data
        .unwrap();
    // (Compared without printing: a failure must not show a key.)
    for key in ["access-key-id", "secret-access-key"] {
        assert!(
            in_store[key] != root[key],
            "the root {key} is in the store's namespace"
        );
    }
    assert!(
        in_store == own,
        "the store's namespace does not hold the store's own key"
    );
    assert_eq!(own["access-key-id"].0, format!("store-{name}").into_bytes());
    // The target gave that key an account and a bucket (a Job in the platform namespace).
    let access: Api<Job> = Api::namespaced(client.clone(), PLATFORM);
    let made = access
        .list(&ListParams::default().labels(&format!("storectl.io/backup-access-of={name}")))
        .await
        .unwrap();
    assert!(!made.items.is_empty(), "no access job for {name}");

    let listed = block(|| backups_of(c, &name));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["status"], "Complete");
    let table = block(|| storectl(c, ADMIN, &["backups", &name]).expect_code(0));
    assert!(
        table.stdout.starts_with(&format!("{id} ")) && table.stdout.contains(" Complete "),
        "{table:?}"
    );

    // Restore: never without the typed name (here: --yes), WordPress back afterwards.
    let refused = block(|| storectl(c, ADMIN, &["restore", &name, "--from", &id]).expect_code(2));
    assert!(
        refused.stderr.contains(&format!(
            "refusing to restore '{name}' without confirmation"
        )),
        "{refused:?}"
    );
    let unknown = block(|| {
        storectl(
            c,
            ADMIN,
            &["restore", &name, "--from", "20990101-000000", "--yes"],
        )
        .expect_code(4)
    });
    assert!(
        unknown.stderr.contains(&format!(
            "store '{name}' has no backup '20990101-000000' (known: {id})"
        )),
        "{unknown:?}"
    );
    // The test's own watch of the store's pods: which WordPress pods exist when the
    // restore's pod first appears (none may: the restore writes WordPress's volume).
    let (beside_restore, watching) = follow_restore(client.clone(), &name).await;
    let restored = block(|| {
        storectl(
            c,
            ADMIN,
            &["restore", &name, "--from", &id, "--yes", "--wait"],
        )
        .expect_code(0)
    });
    watching.abort();
    assert_eq!(
        beside_restore.lock().unwrap().clone(),
        Some(Vec::<String>::new()),
        "the restore pod appeared (Some) with no WordPress pod beside it"
    );
    assert!(
        restored.stdout.contains(&format!(
            "restored backup {id} into store {name}; WordPress started again"
        )) && restored.stdout.contains("is ready at"),
        "{restored:?}"
    );
    let restore_jobs = jobs
        .list(&ListParams::default().labels(&format!("storectl.io/backup-of={name}")))
        .await
        .unwrap();
    let restore = restore_jobs
        .items
        .iter()
        .find(|j| j.metadata.name.as_deref().unwrap().contains("-restore-"))
        .unwrap();
    let (script, env) = script_and_env(restore);
    assert_eq!(script, RESTORE_SCRIPT);
    assert_eq!(env_value(&env, "BACKUP_ID"), id);
    let wordpress = deployments_in(c, &ns).await;
    assert_eq!(wordpress, Some(1), "WordPress runs again");
    // ... and a WordPress pod is Ready again, as the API server says.
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let ready_wordpress = pods
        .list(&ListParams::default().labels("component=wordpress"))
        .await
        .unwrap()
        .items
        .iter()
        .filter(|p| common::pod_ready(p))
        .count();
    assert_eq!(
        ready_wordpress, 1,
        "one Ready WordPress pod after the restore"
    );

    // Clone: a new store from the backup, its URLs rewritten.
    let cloned = block(|| storectl(c, ADMIN, &["clone", &name, &copy, "--wait"]).expect_code(0));
    assert!(
        cloned.stdout.contains(&format!(
            "cloned store {name} (backup {id}) into {copy}: URLs rewritten from http://{name}.local to http://{copy}.local"
        )),
        "{cloned:?}"
    );
    let status = block(|| storectl(c, ADMIN, &["status", &copy, "-o", "json"]).expect_code(0));
    assert!(
        status.stdout.contains("\"status\": \"Ready\""),
        "{status:?}"
    );
    let copy_jobs: Api<Job> = Api::namespaced(client.clone(), &format!("store-{copy}"));
    let clone_restore = copy_jobs
        .list(&ListParams::default().labels(&format!("storectl.io/backup-of={copy}")))
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|j| j.metadata.name.as_deref().unwrap().contains("-restore-"))
        .unwrap();
    // The restore script runs first (an init container, with the target's keys); the
    // URL rewrite after it in a container holding none, with no plugin or theme loaded.
    let pod = clone_restore.spec.unwrap().template.spec.unwrap();
    let script_container = pod.init_containers.as_ref().unwrap().last().unwrap();
    let (script, env) = container_script_and_env(script_container);
    assert_eq!(script, RESTORE_SCRIPT);
    assert_eq!(env_value(&env, "BACKUP_STORE"), name);
    // The source's files through presigned URLs for that backup alone; its key is not there.
    let presigned = env_value(&env, "PRESIGNED");
    assert_eq!(presigned.lines().count(), 3, "{presigned}");
    assert!(
        presigned.lines().all(|l| l.starts_with(&format!("stores/{name}/{id}/"))
            && l.contains(&format!(" http://storectl-backups.{PLATFORM}.svc:7070/backups-{name}/stores/{name}/{id}/"))
            && l.contains("X-Amz-Signature=")),
        "{presigned}"
    );
    assert!(env.iter().any(|(k, _)| k == "AWS_SECRET_ACCESS_KEY"));
    let key_from: Vec<String> = script_container
        .env
        .iter()
        .flatten()
        .filter(|e| e.name.starts_with("AWS_"))
        .map(|e| e.value_from.clone().unwrap().secret_key_ref.unwrap().name)
        .collect();
    assert_eq!(
        key_from,
        [
            format!("{copy}-backup-target"),
            format!("{copy}-backup-target")
        ],
        "the clone's restore holds the clone's own key"
    );
    let (rewrite, env) = container_script_and_env(&pod.containers[0]);
    assert_eq!(rewrite, REWRITE_URLS_SCRIPT);
    // storectl's search-replace with the store's own PHP, which loads no WordPress.
    let command = pod.containers[0].command.clone().unwrap();
    assert_eq!(command[4], search_replace_php());
    assert!(!command[4].contains("wp-load.php") && !command[4].contains("wp-settings.php"));
    assert_eq!(
        pod.containers[0].image.as_deref(),
        Some("wordpress:6.8-apache")
    );
    assert_eq!(env_value(&env, "NEW_URL"), format!("http://{copy}.local"));
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        !names
            .iter()
            .any(|k| k.starts_with("AWS_") || *k == "MYSQL_ROOT_PASSWORD" || *k == "PRESIGNED"),
        "no backup credentials where the clone's PHP may run: {names:?}"
    );
    // No Secret in either store's namespace holds the root key or the other store's key
    // (compared without printing).
    let root_secret = root["secret-access-key"].0.clone();
    let source_secret = own_secret(&platform, &name).await;
    let copy_secret = own_secret(&platform, &copy).await;
    for (store, foreign) in [(&name, &copy_secret), (&copy, &source_secret)] {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), &format!("store-{store}"));
        for secret in secrets.list(&ListParams::default()).await.unwrap().items {
            let held = secret.metadata.name.unwrap();
            for value in secret.data.unwrap_or_default().values() {
                assert!(
                    value.0 != root_secret,
                    "{held} in store {store} holds the root key"
                );
                assert!(
                    value.0 != *foreign,
                    "{held} in store {store} holds another store's key"
                );
            }
        }
    }
    let again = block(|| storectl(c, ADMIN, &["clone", &name, &copy]).expect_code(3));
    assert!(
        again
            .stderr
            .contains(&format!("store '{copy}' already exists")),
        "{again:?}"
    );

    // Deleting the store keeps its backups, and says where.
    let deleted =
        block(|| storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0));
    assert!(
        deleted.stdout.contains(&format!(
            "kept 1 backup(s) of store {name} at http://storectl-backups.{PLATFORM}.svc:7070/backups-{name}/stores/{name}/"
        )),
        "{deleted:?}"
    );
    let after = block(|| backups_of(c, &name));
    assert_eq!(after.len(), 1, "listed for a deleted store");
    assert_eq!(after[0]["status"], "Complete");

    // A deleted store is still a clone's source: its backup restored into a new store
    // (read through the API: the restore Job's backup, the store running).
    let late = unique("bklate");
    block(|| storectl(c, ADMIN, &["clone", &name, &late, "--wait"]).expect_code(0));
    let late_ns = format!("store-{late}");
    let late_jobs: Api<Job> = Api::namespaced(client.clone(), &late_ns);
    let late_restore = late_jobs
        .list(&ListParams::default().labels(&format!("storectl.io/backup-of={late}")))
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|j| j.metadata.name.as_deref().unwrap().contains("-restore-"))
        .unwrap();
    let late_pod = late_restore.spec.unwrap().template.spec.unwrap();
    let (script, env) =
        container_script_and_env(late_pod.init_containers.as_ref().unwrap().last().unwrap());
    assert_eq!(script, RESTORE_SCRIPT);
    assert_eq!(
        (
            env_value(&env, "BACKUP_STORE"),
            env_value(&env, "BACKUP_ID")
        ),
        (name.clone(), id.clone())
    );
    assert_eq!(late_restore.status.unwrap().succeeded, Some(1));
    assert_eq!(deployments_in(c, &late_ns).await, Some(1));
    block(|| storectl(c, ADMIN, &["delete", &late, "--yes", "--wait"]).expect_code(0));
    // A source without a complete backup: exit 4, nothing made.
    let (never, unmade) = (unique("bknever"), unique("bkno"));
    let none = block(|| storectl(c, ADMIN, &["clone", &never, &unmade]).expect_code(4));
    assert_eq!(
        none.stderr,
        format!(
            "error: store '{never}' has no complete backup: take one first (storectl backup {never})\n"
        )
    );
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    assert!(
        namespaces
            .get_opt(&format!("store-{unmade}"))
            .await
            .unwrap()
            .is_none()
    );

    // --delete-backups: the clone's backup goes with it, record and all.
    block(|| storectl(c, ADMIN, &["backup", &copy, "--wait"]).expect_code(0));
    assert_eq!(block(|| backups_of(c, &copy)).len(), 1);
    let gone = block(|| {
        storectl(
            c,
            ADMIN,
            &["delete", &copy, "--yes", "--delete-backups", "--wait"],
        )
        .expect_code(0)
    });
    assert!(
        gone.stdout
            .contains(&format!("removed the backups of store {copy} (1 recorded)")),
        "{gone:?}"
    );
    let none = block(|| storectl(c, ADMIN, &["backups", &copy]).expect_code(4));
    assert!(
        none.stderr.contains(&format!(
            "store '{copy}' does not exist and no backups of it are recorded"
        )),
        "{none:?}"
    );
    let records: Api<ConfigMap> = Api::namespaced(client, PLATFORM);
    let record_names = |store: String| {
        let records = records.clone();
        async move {
            records
                .list_metadata(
                    &ListParams::default().labels(&format!("storectl.io/backup-of={store}")),
                )
                .await
                .unwrap()
                .items
                .into_iter()
                .filter_map(|m| m.metadata.name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        record_names(copy.clone()).await,
        Vec::<String>::new(),
        "the clone's backup record is gone, as the API server says"
    );
    assert_eq!(record_names(name.clone()).await.len(), 1);
}

/// The result line the script of Job `job` in `store`'s namespace wrote as its
/// termination message, read through the API.
async fn script_result(c: &TestCluster, store: &str, job: &str) -> Value {
    let pods: Api<Pod> = Api::namespaced(c.admin().await, &format!("store-{store}"));
    let listed = pods
        .list(&ListParams::default().labels(&format!("batch.kubernetes.io/job-name={job}")))
        .await
        .unwrap()
        .items;
    let messages: Vec<String> = listed
        .iter()
        .filter_map(|p| p.status.as_ref()?.container_statuses.as_ref())
        .flatten()
        .filter_map(|s| s.state.as_ref()?.terminated.as_ref()?.message.clone())
        .collect();
    assert_eq!(messages.len(), 1, "{job}: {listed:#?}");
    serde_json::from_str(messages[0].trim()).unwrap()
}

/// The data of the record of backup `id` of `store`, read through the API.
async fn record_of(
    c: &TestCluster,
    store: &str,
    id: &str,
) -> std::collections::BTreeMap<String, String> {
    let maps: Api<ConfigMap> = Api::namespaced(c.admin().await, PLATFORM);
    maps.get(&format!("backup-{store}-{id}"))
        .await
        .unwrap()
        .data
        .unwrap()
}

/// The ids of `store`'s backup records, read through the API.
async fn record_ids(c: &TestCluster, store: &str) -> Vec<String> {
    let maps: Api<ConfigMap> = Api::namespaced(c.admin().await, PLATFORM);
    let mut ids: Vec<String> = maps
        .list(&ListParams::default().labels(&format!("storectl.io/backup-of={store}")))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|m| m.data.unwrap()["id"].clone())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn each_backup_records_what_its_script_reported_and_retention_removes_the_oldest_records() {
    let c = cluster();
    let name = unique("bkkeep2");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait"]).expect_code(0));
    let mut ids: Vec<String> = Vec::new();
    for n in 1..=3 {
        // (The backup settings are this run's, as for the target.)
        let run = block(|| {
            storectl(
                c,
                ADMIN,
                &["backup", &name, "--wait", "--set", "backup.keep=2"],
            )
            .expect_code(0)
        });
        let id = run.stdout.split_whitespace().nth(1).unwrap().to_string();
        let reported = script_result(c, &name, &format!("{name}-backup-{id}")).await;
        assert_eq!(reported["id"], id.as_str());
        let record = record_of(c, &name, &id).await;
        assert_eq!(record["status"], "Complete");
        assert_eq!(record["size"], reported["size"].to_string());
        assert_eq!(record["sha256"], reported["sha256"].as_str().unwrap());
        // The third backup's retention (keep 2) removed the first, on the target and so
        // in the records.
        let pruned: Vec<&str> = reported["pruned"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let expected: Vec<&str> = if n == 3 {
            vec![ids[0].as_str()]
        } else {
            vec![]
        };
        assert_eq!(pruned, expected, "backup {n}: {reported}");
        ids.push(id);
    }
    assert_eq!(record_ids(c, &name).await, ids[1..].to_vec());
    let listed: Vec<String> = block(|| backups_of(c, &name))
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    let mut listed = listed;
    listed.sort();
    assert_eq!(listed, ids[1..].to_vec());
    // Looking again (the listing reads the Jobs) does not bring the pruned one back.
    assert_eq!(record_ids(c, &name).await, ids[1..].to_vec());

    // Of several backups, `restore --from` takes the one named (the older here) and a
    // clone the newest complete one: the restore Jobs' BACKUP_ID, read through the API.
    let restored_id = |store: String| async move {
        let jobs: Api<Job> = Api::namespaced(c.admin().await, &format!("store-{store}"));
        let restores: Vec<(String, String)> = jobs
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .iter()
            .filter(|j| j.metadata.name.as_deref().unwrap().contains("-restore-"))
            .map(|j| {
                let pod = j.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
                let script = pod
                    .init_containers
                    .iter()
                    .flatten()
                    .chain(&pod.containers)
                    .find(|c| {
                        c.command
                            .as_ref()
                            .is_some_and(|cmd| cmd[2] == RESTORE_SCRIPT)
                    })
                    .unwrap();
                let (_, env) = container_script_and_env(script);
                (
                    env_value(&env, "BACKUP_STORE"),
                    env_value(&env, "BACKUP_ID"),
                )
            })
            .collect();
        restores
    };
    block(|| {
        storectl(
            c,
            ADMIN,
            &["restore", &name, "--from", &ids[1], "--yes", "--wait"],
        )
        .expect_code(0)
    });
    assert_eq!(
        restored_id(name.clone()).await,
        [(name.clone(), ids[1].clone())]
    );
    let copy = unique("bkkeepcopy");
    block(|| storectl(c, ADMIN, &["clone", &name, &copy, "--wait"]).expect_code(0));
    assert_eq!(
        restored_id(copy.clone()).await,
        [(name.clone(), ids[2].clone())]
    );
    block(|| storectl(c, ADMIN, &["delete", &copy, "--yes"]).expect_code(0));
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

/// Watches the pods of `store`'s namespace (not through storectl); once a pod of a
/// restore Job first appears, records the names of the WordPress pods that exist at that
/// moment (terminating ones included). Returns once the watch has listed the pods.
async fn follow_restore(
    client: kube::Client,
    store: &str,
) -> (
    std::sync::Arc<std::sync::Mutex<Option<Vec<String>>>>,
    tokio::task::JoinHandle<()>,
) {
    use futures::StreamExt;
    use kube::runtime::watcher::{self, Event};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let writer = seen.clone();
    let (wordpress, restore) = (format!("{store}-wordpress-"), format!("{store}-restore-"));
    let pods: Api<Pod> = Api::namespaced(client, &format!("store-{store}"));
    let (listed, on_list) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let mut events = watcher::watcher(pods, watcher::Config::default()).boxed();
        let mut listed = Some(listed);
        let mut existing = std::collections::BTreeSet::new();
        while let Some(event) = events.next().await {
            match event {
                Ok(Event::Apply(p) | Event::InitApply(p)) => {
                    existing.insert(p.metadata.name.unwrap_or_default());
                }
                Ok(Event::Delete(p)) => {
                    existing.remove(&p.metadata.name.unwrap_or_default());
                }
                Ok(Event::InitDone) => {
                    if let Some(listed) = listed.take() {
                        let _ = listed.send(());
                    }
                }
                _ => {}
            }
            let mut seen = writer.lock().unwrap();
            if seen.is_none() && existing.iter().any(|n| n.starts_with(&restore)) {
                *seen = Some(
                    existing
                        .iter()
                        .filter(|n| n.starts_with(&wordpress))
                        .cloned()
                        .collect(),
                );
            }
        }
    });
    on_list
        .await
        .expect("the watch of the pods ended before listing");
    (seen, task)
}

/// The secret of `store`'s own backup key (Secret `storectl-backups-<store>`).
async fn own_secret(platform: &Api<Secret>, store: &str) -> Vec<u8> {
    let data = platform
        .get(&format!("storectl-backups-{store}"))
        .await
        .unwrap()
        .data
        .unwrap();
    data["secret-access-key"].0.clone()
}

async fn deployments_in(c: &TestCluster, ns: &str) -> Option<i32> {
    let api: Api<Deployment> = Api::namespaced(c.admin().await, ns);
    let name = ns.strip_prefix("store-").unwrap();
    api.get(&format!("{name}-wordpress"))
        .await
        .unwrap()
        .spec
        .and_then(|s| s.replicas)
}

/// The store's WordPress Deployment: its replicas and the restore's hold on it.
async fn wordpress_of(c: &TestCluster, name: &str) -> (Option<i32>, Option<String>) {
    let api: Api<Deployment> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let d = api.get(&format!("{name}-wordpress")).await.unwrap();
    let hold = d
        .metadata
        .labels
        .and_then(|l| l.get(RESTORING_LABEL).cloned());
    (d.spec.and_then(|s| s.replicas), hold)
}

fn status_of(c: &TestCluster, name: &str) -> Value {
    let run = storectl(c, ADMIN, &["status", name, "-o", "json"]).expect_code(0);
    serde_json::from_str(&run.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_restore_starts_wordpress_again_only_when_it_changed_nothing() {
    let c = cluster();
    let name = unique("bkrestore");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait"]).expect_code(0));
    let run = block(|| storectl(c, ADMIN, &["backup", &name, "--wait"]).expect_code(0));
    let id = run.stdout.split_whitespace().nth(1).unwrap().to_string();
    let restore = |image: &str| {
        let image = format!("backup.image={image}");
        block(|| {
            storectl(
                c,
                ADMIN,
                &["restore", &name, "--from", &id, "--yes", "--set", &image],
            )
            .expect_code(1)
        })
    };

    // The script says it failed before changing anything: WordPress runs again, the hold
    // is gone, and the store comes back Ready on its old data.
    let unchanged = restore("wordpress:cli-sim-exit-1-unchanged");
    assert!(
        unchanged.stderr.contains(&format!(
            "restoring backup {id} failed: simulated: the image tag asks for a failure that changed nothing; nothing was changed: WordPress started again on the store's previous data"
        )),
        "{unchanged:?}"
    );
    assert_eq!(wordpress_of(c, &name).await, (Some(1), None));
    let deployments: Api<Deployment> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let wordpress = format!("{name}-wordpress");
    let available = |d: Option<&Deployment>| {
        d.and_then(|d| d.status.as_ref())
            .is_some_and(|s| s.ready_replicas == Some(1))
    };
    kube::runtime::wait::await_condition(deployments, &wordpress, available)
        .await
        .unwrap();
    let status = block(|| status_of(c, &name));
    assert_eq!(status["status"], "Ready", "{status:#}");

    // A failure that does not say so: the outcome is unknown, so WordPress stays
    // stopped, held for the restore, and the status says what to do.
    let unknown = restore("wordpress:cli-sim-exit-1");
    assert!(
        unknown.stderr.contains(&format!("error: restore of backup {id} did not finish (job {name}-restore-"))
            && unknown.stderr.contains(&format!(
                "): WordPress kept stopped; run `storectl restore {name} --from {id}` again or `storectl resume {name}`"
            )),
        "{unknown:?}"
    );
    assert_eq!(wordpress_of(c, &name).await, (Some(0), Some(id.clone())));
    let status = block(|| status_of(c, &name));
    assert_eq!(status["status"], "Failed", "{status:#}");
    assert_eq!(
        status["reason"],
        format!(
            "restore of backup {id} did not finish: WordPress kept stopped; run `storectl restore {name} --from {id}` again or `storectl resume {name}`"
        )
    );

    // resume starts it again, the hold removed.
    block(|| storectl(c, ADMIN, &["resume", &name, "--wait"]).expect_code(0));
    assert_eq!(wordpress_of(c, &name).await, (Some(1), None));
    assert_eq!(block(|| status_of(c, &name))["status"], "Ready");
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_delete_with_delete_backups_keeps_the_backups() {
    let c = cluster();
    let name = unique("bkkeep");
    let shared = "ecommerce-stores";
    block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "create",
                &name,
                "--wait",
                "--set",
                "stores.isolation=shared",
            ],
        )
        .expect_code(0)
    });
    block(|| storectl(c, ADMIN, &["backup", &name, "--wait"]).expect_code(0));
    // Someone else's object with the store's labels: the delete must refuse.
    let client = c.admin().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), shared);
    let foreign: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": format!("{name}-notes"), "labels": {"app": name, "managed-by": "ecommerce-platform"}},
        "data": {"k": "v"}
    }))
    .unwrap();
    let someone = kube::api::PostParams {
        field_manager: Some("someone".into()),
        ..kube::api::PostParams::default()
    };
    maps.create(&someone, &foreign).await.unwrap();
    let refused = block(|| {
        storectl(c, ADMIN, &["delete", &name, "--yes", "--delete-backups"]).expect_code(3)
    });
    assert!(
        refused.stderr.contains(&format!(
            "ConfigMap/{name}-notes is not storectl's (managed by someone); nothing was deleted"
        )) && !refused.stdout.contains("removed the backups"),
        "{refused:?}"
    );
    // The backups were not touched: no forget Job ran, the record is still Complete.
    let jobs: Api<Job> = Api::namespaced(client.clone(), shared);
    let forgets: Vec<String> = jobs
        .list(&ListParams::default().labels(&format!("storectl.io/backup-of={name}")))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|j| j.metadata.name)
        .filter(|n| n.starts_with(&format!("{name}-forget-")))
        .collect();
    assert!(forgets.is_empty(), "a forget Job ran: {forgets:?}");
    let listed = block(|| backups_of(c, &name));
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["status"], "Complete");
    maps.delete(&format!("{name}-notes"), &Default::default())
        .await
        .unwrap();
    // --wait: until the store's objects are gone, `backups` still finds the store.
    block(|| {
        storectl(
            c,
            ADMIN,
            &["delete", &name, "--yes", "--wait", "--delete-backups"],
        )
        .expect_code(0)
    });
    assert!(
        block(|| storectl(c, ADMIN, &["backups", &name]).expect_code(4))
            .stderr
            .contains(&format!(
                "store '{name}' does not exist and no backups of it are recorded"
            ))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_store_is_refused_backup_and_restore_and_no_job_starts() {
    let c = cluster();
    let name = unique("bkpaused");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait"]).expect_code(0));
    let run = block(|| storectl(c, ADMIN, &["backup", &name, "--wait"]).expect_code(0));
    let id = run.stdout.split_whitespace().nth(1).unwrap().to_string();
    block(|| storectl(c, ADMIN, &["pause", &name]).expect_code(0));
    let jobs: Api<Job> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let before = jobs.list(&ListParams::default()).await.unwrap().items.len();
    let paused = format!(
        "store '{name}' is paused: its database is stopped; resume it first (storectl resume {name})"
    );
    let backup = block(|| storectl(c, ADMIN, &["backup", &name]).expect_code(3));
    let restore =
        block(|| storectl(c, ADMIN, &["restore", &name, "--from", &id, "--yes"]).expect_code(3));
    for refused in [&backup, &restore] {
        assert_eq!(
            refused.stderr.trim(),
            format!("error: {paused}"),
            "{refused:?}"
        );
    }
    let after = jobs.list(&ListParams::default()).await.unwrap().items.len();
    assert_eq!(after, before, "a Job was started for a paused store");
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_backup_is_reported_with_its_reason_and_a_running_one_cannot_be_restored() {
    let c = cluster();
    let name = unique("bkfail");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait"]).expect_code(0));
    // The simulator fails containers whose image asks for it.
    let failed = block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "backup",
                &name,
                "--wait",
                "--set",
                "backup.image=wordpress:sim-exit-1",
            ],
        )
        .expect_code(1)
    });
    let listed = block(|| backups_of(c, &name));
    assert_eq!(listed[0]["status"], "Failed");
    // The reason the Job controller gave, in the record and as the one line of stderr
    // (the simulator fails the wait-for-mysql init container first: same image).
    let reason = listed[0]["reason"].as_str().unwrap();
    assert!(reason.contains("BackoffLimitExceeded"), "{listed:?}");
    assert_eq!(failed.stderr.lines().count(), 1, "{failed:?}");
    assert!(
        failed.stderr.starts_with("error: ")
            && failed.stderr.contains(listed[0]["id"].as_str().unwrap())
            && failed.stderr.ends_with(&format!(" failed: {reason}\n")),
        "{failed:?} vs {listed:?}"
    );
    let status = block(|| storectl(c, ADMIN, &["status", &name, "-o", "json"]).expect_code(0));
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        status["status"], "Ready",
        "a failed backup does not fail the store"
    );
    assert!(
        status["reason"]
            .as_str()
            .unwrap()
            .starts_with("all components ready; last backup failed: job "),
        "{status:#}"
    );
    let failed_id = listed[0]["id"].as_str().unwrap().to_string();
    let not_complete = block(|| {
        storectl(c, ADMIN, &["restore", &name, "--from", &failed_id, "--yes"]).expect_code(3)
    });
    assert!(
        not_complete
            .stderr
            .contains(&format!("backup '{failed_id}' of store '{name}' is Failed")),
        "{not_complete:?}"
    );
    // Refused before anything changes: WordPress runs unheld, no restore Job exists.
    let restore_jobs = || async {
        let jobs: Api<Job> = Api::namespaced(c.admin().await, &format!("store-{name}"));
        jobs.list_metadata(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|j| j.metadata.name)
            .filter(|n| n.starts_with(&format!("{name}-restore-")))
            .collect::<Vec<_>>()
    };
    assert_eq!(wordpress_of(c, &name).await, (Some(1), None));
    assert_eq!(restore_jobs().await, Vec::<String>::new());

    // One that never ends stays Running, and is not restored from.
    let started = block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "backup",
                &name,
                "--set",
                "backup.image=wordpress:sim-never-ready",
            ],
        )
        .expect_code(0)
    });
    let running_id = started
        .stdout
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let refused = block(|| {
        storectl(
            c,
            ADMIN,
            &["restore", &name, "--from", &running_id, "--yes"],
        )
        .expect_code(3)
    });
    assert!(
        refused.stderr.contains(&format!(
            "backup '{running_id}' of store '{name}' is Running"
        )),
        "{refused:?}"
    );
    assert_eq!(wordpress_of(c, &name).await, (Some(1), None));
    assert_eq!(restore_jobs().await, Vec::<String>::new());

    // Its Job gone without a result (deleted through the API): the record says Unknown,
    // with why, in the cluster too.
    let jobs: Api<Job> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let job = format!("{name}-backup-{running_id}");
    jobs.delete(&job, &kube::api::DeleteParams::background())
        .await
        .unwrap();
    common::wait_gone(&jobs, &job, 60).await;
    let listed = block(|| backups_of(c, &name));
    let unknown = listed
        .iter()
        .find(|b| b["id"] == running_id.as_str())
        .unwrap();
    assert_eq!(unknown["status"], "Unknown", "{listed:?}");
    let record = record_of(c, &name, &running_id).await;
    assert_eq!(
        (record["status"].as_str(), record["reason"].clone()),
        ("Unknown", format!("its Job {job} is gone without a result"))
    );

    // A backup that does not end within --timeout: exit 7.
    let slow = block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "backup",
                &name,
                "--wait",
                "--timeout",
                "3s",
                "--set",
                "backup.image=wordpress:sim-never-ready",
            ],
        )
        .expect_code(7)
    });
    assert_eq!(slow.stderr.lines().count(), 1, "{slow:?}");
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_runs_backups_whose_failure_shows_in_status_and_events() {
    let c = cluster();
    let name = unique("bksched");
    block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "create",
                &name,
                "--wait",
                "--set",
                "backup.schedule=* * * * *",
                "--set",
                "backup.image=wordpress:sim-exit-1",
            ],
        )
        .expect_code(0)
    });
    let ns = format!("store-{name}");
    let schedules: Api<CronJob> = Api::namespaced(c.admin().await, &ns);
    let schedule = schedules.get(&format!("{name}-backup")).await.unwrap();
    assert_eq!(schedule.spec.as_ref().unwrap().schedule, "* * * * *");
    // Within a minute the CronJob starts a backup; it fails (the image says so).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let status = loop {
        let run = block(|| storectl(c, ADMIN, &["status", &name, "-o", "json"]).expect_code(0));
        let status: Value = serde_json::from_str(&run.stdout).unwrap();
        if status["reason"]
            .as_str()
            .unwrap()
            .contains("last backup failed")
        {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no failed scheduled backup: {status:#}"
        );
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    };
    assert_eq!(status["status"], "Ready");
    let events = block(|| storectl(c, ADMIN, &["events", &name, "-o", "json"]).expect_code(0));
    let events: Vec<Value> = serde_json::from_str(&events.stdout).unwrap();
    assert!(
        events.iter().any(|e| e["type"] == "Warning"
            && e["object"]
                .as_str()
                .unwrap()
                .contains(&format!("/{name}-backup-"))),
        "the scheduled Job's failure is a Warning among the store's events: {events:#?}"
    );
    let listed = block(|| backups_of(c, &name));
    assert!(
        listed.iter().any(|b| b["status"] == "Failed"),
        "the scheduled run is recorded: {listed:?}"
    );
    // The schedule goes when the configuration drops it: diff says so, upgrade does it.
    let diff =
        block(|| storectl(c, ADMIN, &["diff", &name, "--set", "backup.schedule="]).expect_code(1));
    assert!(
        diff.stdout
            .contains(&format!("CronJob/{name}-backup (delete)\n")),
        "{diff:?}"
    );
    block(|| storectl(c, ADMIN, &["upgrade", &name, "--set", "backup.schedule="]).expect_code(0));
    assert!(
        schedules
            .get_opt(&format!("{name}-backup"))
            .await
            .unwrap()
            .is_none_or(|s| s.metadata.deletion_timestamp.is_some())
    );
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_target_needs_its_credentials_secret_and_the_jobs_use_its_endpoint() {
    let c = cluster();
    let name = unique("bks3");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait"]).expect_code(0));
    let secret = unique("s3-keys");
    let s3 = [
        "--set",
        "backup.target=s3",
        "--set",
        "backup.s3.endpoint=https://s3.example.com:9443",
        "--set",
        "backup.s3.bucket=shop-backups",
    ];
    let with_secret = format!("backup.s3.credentialsSecret={secret}");
    let mut args = vec!["backup", name.as_str()];
    args.extend(s3);
    args.extend(["--set", with_secret.as_str()]);
    // The platform namespace exists (made here if no test made it yet), so a record
    // written before the refusal would be seen.
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(c.admin().await);
    let platform = k8s_openapi::api::core::v1::Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some(PLATFORM.to_string()),
            ..Default::default()
        },
        ..Default::default()
    };
    match namespaces
        .create(&kube::api::PostParams::default(), &platform)
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(e) => panic!("{e}"),
    }
    let missing = block(|| storectl(c, ADMIN, &args).expect_code(2));
    assert!(
        missing.stderr.contains(&format!(
            "the backup target's credentials are missing: Secret {secret}-{name} in namespace {PLATFORM} does not exist"
        )),
        "{missing:?}"
    );
    let jobs: Api<Job> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    assert!(
        jobs.list(&ListParams::default().labels(&format!("storectl.io/backup-of={name}")))
            .await
            .unwrap()
            .items
            .is_empty(),
        "nothing started"
    );
    // Nothing made either: no record of a backup, no copy of the keys in the store.
    let nothing_made = || async {
        let records: Api<ConfigMap> = Api::namespaced(c.admin().await, PLATFORM);
        let recorded: Vec<String> = records
            .list_metadata(&ListParams::default().labels(&format!("storectl.io/backup-of={name}")))
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|m| m.metadata.name)
            .collect();
        assert_eq!(recorded, Vec::<String>::new(), "a backup record was made");
        let store_secrets: Api<Secret> = Api::namespaced(c.admin().await, &format!("store-{name}"));
        assert!(
            store_secrets
                .get_opt(&format!("{name}-backup-target"))
                .await
                .unwrap()
                .is_none(),
            "the target's keys were copied into the store"
        );
    };
    nothing_made().await;
    let half: Vec<&str> = ["backup", name.as_str()].into_iter().chain(s3).collect();
    let incomplete = block(|| storectl(c, ADMIN, &half).expect_code(2));
    assert!(
        incomplete.stderr.contains("backup.s3.credentialsSecret"),
        "{incomplete:?}"
    );

    // The operator's Secret, in the platform namespace.
    let secrets: Api<Secret> = Api::namespaced(c.admin().await, PLATFORM);
    let keys = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(secret.clone()),
            ..Default::default()
        },
        string_data: Some(
            [
                ("access-key-id".to_string(), "AKIAEXAMPLE".to_string()),
                (
                    "secret-access-key".to_string(),
                    "not-a-real-secret".to_string(),
                ),
            ]
            .into(),
        ),
        ..Default::default()
    };
    secrets
        .create(&kube::api::PostParams::default(), &keys)
        .await
        .unwrap();
    // The store's own key, scoped by the operator: required, the platform's is not copied.
    let own_missing = block(|| storectl(c, ADMIN, &args).expect_code(2));
    assert!(
        own_missing.stderr.contains(&format!(
            "the backup target's credentials are missing: Secret {secret}-{name} in namespace {PLATFORM} does not exist"
        )),
        "{own_missing:?}"
    );
    nothing_made().await;
    let mut own_keys = keys.clone();
    own_keys.metadata.name = Some(format!("{secret}-{name}"));
    own_keys.string_data = Some(
        [
            ("access-key-id".to_string(), "AKIASTOREONLY".to_string()),
            (
                "secret-access-key".to_string(),
                "store-only-secret".to_string(),
            ),
        ]
        .into(),
    );
    secrets
        .create(&kube::api::PostParams::default(), &own_keys)
        .await
        .unwrap();
    let started = block(|| storectl(c, ADMIN, &args).expect_code(0));
    let copied: Api<Secret> = Api::namespaced(c.admin().await, &format!("store-{name}"));
    let copied = copied
        .get(&format!("{name}-backup-target"))
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(copied["access-key-id"].0, b"AKIASTOREONLY".to_vec());
    assert!(
        started.stdout.contains(&format!(
            "it goes to https://s3.example.com:9443/shop-backups/stores/{name}/"
        )),
        "{started:?}"
    );
    let job = jobs
        .list(&ListParams::default().labels(&format!("storectl.io/backup-of={name}")))
        .await
        .unwrap()
        .items
        .remove(0);
    let (_, env) = script_and_env(&job);
    assert_eq!(
        env_value(&env, "S3_ENDPOINT"),
        "https://s3.example.com:9443"
    );
    assert_eq!(env_value(&env, "S3_BUCKET"), "shop-backups");
    for made in [secret.clone(), format!("{secret}-{name}")] {
        secrets
            .delete(&made, &kube::api::DeleteParams::default())
            .await
            .unwrap();
    }
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

/// A scheduled run that succeeds is recorded under the id its script reported (made
/// from the time: the CronJob names none), with its size and checksum; read through the
/// API against the Job's own termination message.
#[tokio::test(flavor = "multi_thread")]
async fn a_successful_scheduled_backup_is_recorded_under_the_id_its_script_reported() {
    let c = cluster();
    let name = unique("bkschedok");
    block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "create",
                &name,
                "--wait",
                "--set",
                "backup.schedule=* * * * *",
            ],
        )
        .expect_code(0)
    });
    // Within a minute the CronJob starts a backup; the records are brought up to date
    // whenever storectl looks.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let listed = loop {
        let listed = block(|| backups_of(c, &name));
        if listed.iter().any(|b| b["status"] == "Complete") {
            break listed;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no complete scheduled backup: {listed:?}"
        );
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    };
    let done = listed.iter().find(|b| b["status"] == "Complete").unwrap();
    let id = done["id"].as_str().unwrap().to_string();
    let job = done["job"].as_str().unwrap().to_string();
    assert!(
        job.starts_with(&format!("{name}-backup-")) && !job.ends_with(&id),
        "a CronJob's Job, not a manual one: {done}"
    );
    let reported = script_result(c, &name, &job).await;
    assert_eq!(reported["id"], id.as_str());
    assert!(
        id.len() == 15
            && id.chars().enumerate().all(|(i, ch)| if i == 8 {
                ch == '-'
            } else {
                ch.is_ascii_digit()
            }),
        "{id}"
    );
    let record = record_of(c, &name, &id).await;
    assert_eq!(record["status"], "Complete");
    assert_eq!(record["job"], job);
    assert_eq!(record["size"], reported["size"].to_string());
    assert_eq!(record["sha256"], reported["sha256"].as_str().unwrap());
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}
