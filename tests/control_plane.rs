//! Proof that the test control plane is real: controllers run, the node simulator plays
//! scheduler/kubelet/provisioner, RBAC is enforced, and each injected fault shows in the
//! objects' status the way a real cluster reports it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{cluster, scratch_namespace, unique, wait_for};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

fn deployment(name: &str, image: &str) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]}
            }
        }
    }))
    .unwrap()
}

fn job(name: &str, image: &str) -> Job {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 0,
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": image}]}}
        }
    }))
    .unwrap()
}

fn claim(name: &str, class: Option<&str>) -> PersistentVolumeClaim {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": class,
            "resources": {"requests": {"storage": "1Gi"}}
        }
    }))
    .unwrap()
}

fn has_deployment_condition(d: &Deployment, type_: &str, status: &str) -> bool {
    d.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == type_ && c.status == status)
}

fn has_job_condition(j: &Job, type_: &str) -> bool {
    j.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == type_ && c.status == "True")
}

/// Waits until some pod labelled `app=<app>` satisfies `check` (polled: the condition
/// spans several pods of a ReplicaSet).
async fn wait_for_pod(pods: &Api<Pod>, app: &str, what: &str, check: impl Fn(&Pod) -> bool) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let list = pods
            .list(&ListParams::default().labels(&format!("app={app}")))
            .await
            .unwrap();
        if list.items.iter().any(&check) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no pod of {app} reached {what}: {list:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// Waits until a container of a pod of `app` waits with `reason`.
async fn wait_for_pod_reason(pods: &Api<Pod>, app: &str, reason: &str) {
    wait_for_pod(pods, app, reason, |p| {
        p.status
            .iter()
            .flat_map(|s| s.container_statuses.iter().flatten())
            .any(|c| {
                c.state
                    .as_ref()
                    .and_then(|st| st.waiting.as_ref())
                    .and_then(|w| w.reason.as_deref())
                    == Some(reason)
            })
    })
    .await;
}

/// Creates a Deployment `web` running `image` in a fresh namespace; returns its pods' API.
async fn deploy(image: &str) -> (Client, String, Api<Pod>) {
    let client = cluster().admin().await;
    let ns = scratch_namespace(&client, "t").await;
    Api::<Deployment>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &deployment("web", image))
        .await
        .unwrap();
    let pods = Api::namespaced(client.clone(), &ns);
    (client, ns, pods)
}

#[tokio::test]
async fn a_deployment_gets_a_replicaset_and_a_ready_pod() {
    let (client, ns, _) = deploy("nginx:1.27").await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    wait_for(&deployments, "web", 60, "Available=True", |d| {
        has_deployment_condition(d, "Available", "True")
    })
    .await;
    let sets = Api::<ReplicaSet>::namespaced(client.clone(), &ns)
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(
        sets.items.len(),
        1,
        "the deployment controller made one ReplicaSet"
    );
    let pods = Api::<Pod>::namespaced(client, &ns)
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap();
    let pod = &pods.items[0];
    assert_eq!(
        pod.spec.as_ref().and_then(|s| s.node_name.as_deref()),
        Some("sim-node-1")
    );
    let ready = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    assert!(ready, "pod is Ready: {:?}", pod.status);
}

#[tokio::test]
async fn a_job_completes() {
    let client = cluster().admin().await;
    let ns = scratch_namespace(&client, "t").await;
    let jobs: Api<Job> = Api::namespaced(client, &ns);
    jobs.create(&PostParams::default(), &job("once", "busybox:1.36"))
        .await
        .unwrap();
    wait_for(&jobs, "once", 60, "Complete=True", |j| {
        has_job_condition(j, "Complete")
    })
    .await;
}

#[tokio::test]
async fn a_claim_binds_to_a_provisioned_volume() {
    let client = cluster().admin().await;
    let ns = scratch_namespace(&client, "t").await;
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client, &ns);
    claims
        .create(&PostParams::default(), &claim("data", Some("standard")))
        .await
        .unwrap();
    wait_for(&claims, "data", 60, "Bound", |c| {
        c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound")
    })
    .await;
}

#[tokio::test]
async fn a_namespace_deletion_finishes_with_its_pods_and_volumes() {
    let (client, ns, _) = deploy("nginx:1.27").await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &ns);
    claims
        .create(&PostParams::default(), &claim("data", None))
        .await
        .unwrap();
    wait_for(&deployments, "web", 60, "Available=True", |d| {
        has_deployment_condition(d, "Available", "True")
    })
    .await;
    wait_for(&claims, "data", 60, "Bound", |c| {
        c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound")
    })
    .await;
    let volume = claims
        .get("data")
        .await
        .unwrap()
        .spec
        .and_then(|s| s.volume_name)
        .unwrap();
    let volumes: Api<k8s_openapi::api::core::v1::PersistentVolume> = Api::all(client.clone());
    assert!(volumes.get_opt(&volume).await.unwrap().is_some());
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let uid = namespaces.get(&ns).await.unwrap().metadata.uid.unwrap();
    namespaces.delete(&ns, &Default::default()).await.unwrap();
    let gone = tokio::time::timeout(
        std::time::Duration::from_secs(90),
        kube::runtime::wait::await_condition(
            namespaces.clone(),
            &ns,
            kube::runtime::conditions::is_deleted(&uid),
        ),
    )
    .await;
    let leftover = namespaces.get_opt(&ns).await.unwrap();
    assert!(
        gone.is_ok() && leftover.is_none(),
        "namespace {ns} still exists: {leftover:#?}"
    );
    // Its pods and claims went with it, and the released volume was reclaimed.
    let pods = Api::<Pod>::all(client.clone())
        .list(&ListParams::default())
        .await
        .unwrap();
    assert!(
        !pods
            .items
            .iter()
            .any(|p| p.metadata.namespace.as_deref() == Some(&ns)),
        "pods of {ns} remain"
    );
    common::wait_gone(&volumes, &volume, 60).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_whose_mysql_never_starts_holds_its_setup_job_and_wordpress() {
    // Two stores created together; the healthy twin's setup Job completing shows the
    // simulator has had every chance to move the broken one along.
    let c = cluster();
    let (broken, twin) = (unique("nomysql"), unique("twin"));
    tokio::task::block_in_place(|| {
        common::storectl(
            c,
            "devcluster-admin",
            &[
                "create",
                &broken,
                "--set",
                "mysql.image=registry.invalid/mysql:8.4",
            ],
        )
        .expect_code(0);
        common::storectl(
            c,
            "devcluster-admin",
            &["create", &twin, "--wait", "--timeout", "90s"],
        )
        .expect_code(0);
    });
    let client = c.admin().await;
    let twin_jobs: Api<Job> = Api::namespaced(client.clone(), &format!("store-{twin}"));
    let twin_job = twin_jobs.get(&format!("{twin}-setup")).await.unwrap();
    assert!(has_job_condition(&twin_job, "Complete"));

    let ns = format!("store-{broken}");
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns);
    let job = jobs.get(&format!("{broken}-setup")).await.unwrap();
    assert!(
        !has_job_condition(&job, "Complete") && !has_job_condition(&job, "SuccessCriteriaMet"),
        "the setup Job completed without MySQL: {:#?}",
        job.status
    );
    let pods: Api<Pod> = Api::namespaced(client, &ns);
    let list = pods
        .list(&ListParams::default().labels("component in (wordpress,setup)"))
        .await
        .unwrap();
    assert_eq!(
        list.items.len(),
        2,
        "a WordPress and a setup pod: {list:#?}"
    );
    for p in &list.items {
        let status = p.status.clone().unwrap_or_default();
        let waiting = status
            .init_container_statuses
            .iter()
            .flatten()
            .find(|c| c.name == "wait-for-mysql")
            .and_then(|c| c.state.clone())
            .is_some_and(|s| s.running.is_some());
        assert!(waiting, "wait-for-mysql is not waiting: {status:#?}");
        let started = status
            .container_statuses
            .iter()
            .flatten()
            .any(|c| c.state.as_ref().is_some_and(|s| s.waiting.is_none()));
        assert!(
            !started,
            "a main container started without MySQL: {status:#?}"
        );
    }
    tokio::task::block_in_place(|| {
        for name in [&broken, &twin] {
            common::storectl(c, "devcluster-admin", &["delete", name, "--yes", "--wait"])
                .expect_code(0);
        }
    });
}

#[tokio::test]
async fn the_limited_user_is_refused_what_rbac_does_not_grant() {
    let limited = cluster().client_as("devcluster-limited").await;
    let err = Api::<Namespace>::all(limited.clone())
        .list(&ListParams::default())
        .await
        .unwrap_err();
    match err {
        kube::Error::Api(e) => {
            assert_eq!(e.code, 403);
            assert!(
                e.message
                    .contains("User \"limited\" cannot list resource \"namespaces\""),
                "{}",
                e.message
            );
        }
        other => panic!("expected a 403, got {other}"),
    }
    let admin = cluster().admin().await;
    let ns = scratch_namespace(&admin, "t").await;
    let err = Api::<Deployment>::namespaced(limited, &ns)
        .create(&PostParams::default(), &deployment("x", "nginx"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref e) if e.code == 403),
        "{err}"
    );
}

#[tokio::test]
async fn an_unpullable_image_shows_err_image_pull_then_back_off() {
    let (_, _, pods) = deploy("registry.invalid/nginx:1").await;
    wait_for_pod_reason(&pods, "web", "ErrImagePull").await;
    wait_for_pod_reason(&pods, "web", "ImagePullBackOff").await;
}

#[tokio::test]
async fn a_crashing_container_goes_into_crash_loop_back_off() {
    let (_, _, pods) = deploy("nginx:sim-exit-1").await;
    wait_for_pod_reason(&pods, "web", "CrashLoopBackOff").await;
}

#[tokio::test]
async fn a_claim_of_the_unbound_class_stays_pending_and_holds_its_pod() {
    let client = cluster().admin().await;
    let ns = scratch_namespace(&client, "t").await;
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &ns);
    claims
        .create(&PostParams::default(), &claim("data", Some("sim-unbound")))
        .await
        .unwrap();
    let mut d = deployment("db", "mysql:8.4");
    let pod_spec = d
        .spec
        .as_mut()
        .and_then(|s| s.template.spec.as_mut())
        .unwrap();
    let volume = json!({"name": "data", "persistentVolumeClaim": {"claimName": "data"}});
    pod_spec.volumes = Some(vec![serde_json::from_value(volume).unwrap()]);
    Api::<Deployment>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &d)
        .await
        .unwrap();
    // A twin claim of an ordinary class, made at the same moment, binds: by then the
    // simulator has provisioned everything it would.
    claims
        .create(&PostParams::default(), &claim("twin", Some("standard")))
        .await
        .unwrap();
    wait_for(&claims, "twin", 60, "Bound", |c| {
        c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound")
    })
    .await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    wait_for_pod(&pods, "db", "Unschedulable", |p| {
        p.status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten())
            .any(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("Unschedulable")
            })
    })
    .await;
    let data = claims.get("data").await.unwrap();
    assert_eq!(
        data.status.and_then(|s| s.phase).as_deref(),
        Some("Pending")
    );
    assert!(data.spec.and_then(|s| s.volume_name).is_none());
    // No volume was provisioned for it at all.
    let volumes = Api::<k8s_openapi::api::core::v1::PersistentVolume>::all(client)
        .list(&ListParams::default())
        .await
        .unwrap();
    let for_data = volumes.items.iter().filter(|v| {
        v.spec
            .as_ref()
            .and_then(|s| s.claim_ref.as_ref())
            .is_some_and(|r| {
                r.namespace.as_deref() == Some(&ns) && r.name.as_deref() == Some("data")
            })
    });
    assert_eq!(for_data.count(), 0, "a volume exists for the unbound claim");
}

#[tokio::test]
async fn a_failing_job_ends_failed_with_backoff_limit_exceeded() {
    let client = cluster().admin().await;
    let ns = scratch_namespace(&client, "t").await;
    let jobs: Api<Job> = Api::namespaced(client, &ns);
    jobs.create(
        &PostParams::default(),
        &job("setup", "wordpress:cli-sim-exit-1"),
    )
    .await
    .unwrap();
    wait_for(&jobs, "setup", 60, "Failed=True", |j| {
        has_job_condition(j, "Failed")
    })
    .await;
    let job = jobs.get("setup").await.unwrap();
    let reason = job
        .status
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "Failed")
        .and_then(|c| c.reason);
    assert_eq!(reason.as_deref(), Some("BackoffLimitExceeded"));
}

#[tokio::test]
async fn a_pod_that_never_becomes_ready_keeps_its_deployment_unavailable() {
    // A healthy twin started at the same time: once it is Available, the faulty one has
    // had every chance (a pod starting Ready=False, or a Deployment starting
    // Available=False, proves nothing by itself).
    let (client, ns, pods) = deploy("nginx:sim-never-ready").await;
    let (twin_client, twin_ns, _) = deploy("nginx:1.27").await;
    let twin: Api<Deployment> = Api::namespaced(twin_client, &twin_ns);
    wait_for(&twin, "web", 60, "Available=True", |d| {
        has_deployment_condition(d, "Available", "True")
    })
    .await;
    wait_for_pod(&pods, "web", "Running", |p| {
        p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
    })
    .await;
    // Well past the simulator's readiness delay (1 s), it stays not Ready.
    for _ in 0..10 {
        let list = pods
            .list(&ListParams::default().labels("app=web"))
            .await
            .unwrap();
        assert!(!list.items.is_empty());
        for p in &list.items {
            let ready = p
                .status
                .iter()
                .flat_map(|s| s.conditions.iter().flatten())
                .any(|c| c.type_ == "Ready" && c.status == "True");
            assert!(!ready, "the never-ready pod became Ready: {p:#?}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let deployments: Api<Deployment> = Api::namespaced(client, &ns);
    let d = deployments.get("web").await.unwrap();
    assert!(
        !has_deployment_condition(&d, "Available", "True"),
        "{:#?}",
        d.status
    );
}

/// The API server stopped right after `up` (kube-controller-manager still starting: it
/// exits when its discovery finds no server) and started again: the control plane stays
/// up and its controllers work again (CI saw the whole control plane give up here once).
#[tokio::test(flavor = "multi_thread")]
async fn controllers_work_after_the_api_server_went_away_while_they_started() {
    let own = common::dedicated_cluster();
    tokio::task::block_in_place(|| own.stop_apiserver());
    // Longer than the controller manager waits for a healthy API server when it starts.
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
    tokio::task::block_in_place(|| own.restart_apiserver());
    let client = own.admin().await;
    let ns = scratch_namespace(&client, "t").await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    deployments
        .create(&PostParams::default(), &deployment("web", "nginx:1.27"))
        .await
        .unwrap();
    wait_for(&deployments, "web", 60, "Available=True", |d| {
        has_deployment_condition(d, "Available", "True")
    })
    .await;
}
