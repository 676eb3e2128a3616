//! Proof that the test control plane is real: controllers run, the node simulator plays
//! scheduler/kubelet/provisioner, RBAC is enforced, and each injected fault shows in the
//! objects' status the way a real cluster reports it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{cluster, unique, wait_for};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

async fn namespace(client: &Client) -> String {
    let name = unique("t");
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
    name
}

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
    let ns = namespace(&client).await;
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
    let ns = namespace(&client).await;
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
    let ns = namespace(&client).await;
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
    let namespaces: Api<Namespace> = Api::all(client);
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
    let ns = namespace(&admin).await;
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
    let ns = namespace(&client).await;
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
    let pods: Api<Pod> = Api::namespaced(client, &ns);
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
    let phase = claims
        .get("data")
        .await
        .unwrap()
        .status
        .and_then(|s| s.phase);
    assert_eq!(phase.as_deref(), Some("Pending"));
}

#[tokio::test]
async fn a_failing_job_ends_failed_with_backoff_limit_exceeded() {
    let client = cluster().admin().await;
    let ns = namespace(&client).await;
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
    let (client, ns, pods) = deploy("nginx:sim-never-ready").await;
    let deployments: Api<Deployment> = Api::namespaced(client, &ns);
    wait_for(&deployments, "web", 60, "Available=False", |d| {
        has_deployment_condition(d, "Available", "False")
    })
    .await;
    wait_for_pod(&pods, "web", "Running but not Ready", |p| {
        let s = p.status.clone().unwrap_or_default();
        s.phase.as_deref() == Some("Running")
            && s.conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "False")
    })
    .await;
}
