//! The one-look reads (`cluster::snapshot`, behind `list`, `status` and every verb's
//! lookup) against the real API server: a kind with more objects than one page holds is
//! read whole, page after page, and its protobuf is read as its JSON is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{cluster, scratch_namespace, unique};
use futures::{StreamExt, stream};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams, VersionMatch};
use kube::core::{ObjectList, Request};
use kube::{Api, Resource};
use serde_json::json;
use storectl::cluster::connect::Connection;
use storectl::cluster::slim::SlimKind;
use storectl::cluster::{protobuf, snapshot};
use storectl::domain::watched::{
    WatchedDeployment, WatchedIngress, WatchedJob, WatchedLease, WatchedNamespace, WatchedPod,
    WatchedPvc,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_kind_of_a_thousand_objects_is_read_whole() {
    let c = cluster();
    let admin = c.admin().await;
    let namespace = scratch_namespace(&admin, "pages").await;
    let label = unique("paged");
    // More than a page of kubectl's (500), in one answer read as it streams.
    let leases: Api<Lease> = Api::namespaced(admin.clone(), &namespace);
    let made = stream::iter(0..1001)
        .map(|i| {
            let lease: Lease = serde_json::from_value(json!({
                "metadata": {"name": format!("lease-{i:04}"), "labels": {"storectl-test-page": label}}
            }))
            .unwrap();
            let leases = leases.clone();
            async move { leases.create(&PostParams::default(), &lease).await.is_ok() }
        })
        .buffer_unordered(16)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    assert_eq!(made, 1001);

    let conn = c.admin_connection().await;
    let read = snapshot::inventory(&conn, &format!("storectl-test-page={label}"))
        .await
        .unwrap()
        .complete()
        .unwrap();
    let mut names: Vec<&str> = read.reports.iter().map(|l| &*l.meta.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 1001, "each lease once");
    assert_eq!((names[0], names[1000]), ("lease-0000", "lease-1000"));

    Api::<Namespace>::all(admin)
        .delete(&namespace, &DeleteParams::default())
        .await
        .unwrap();
}

/// Every kept field, read from protobuf (what `list` and every verb's lookup ask for) and
/// from JSON (what the watchers read), gives the same objects: each kind's LIST is taken
/// as JSON, then as protobuf at that very resource version, so both see one state.
#[tokio::test(flavor = "multi_thread")]
async fn protobuf_and_json_read_the_same_objects() {
    let c = cluster();
    let admin = c.admin().await;
    let label = unique("both");
    let namespace = scratch_namespace(&admin, "protobuf").await;
    let selector = format!("storectl-test-proto={label}");
    made_with_every_kept_field(&admin, &namespace, &label).await;

    let conn = c.admin_connection().await;
    same::<WatchedNamespace>(&conn, None, &selector, 1).await;
    let deployments = same::<WatchedDeployment>(&conn, Some(&namespace), &selector, 2).await;
    assert_eq!(
        deployments.iter().map(|d| d.replicas).collect::<Vec<_>>(),
        [Some(2), Some(0)],
        "running, then stopped: a replicas of 0 is kept as set"
    );
    same::<WatchedJob>(&conn, Some(&namespace), &selector, 1).await;
    let claims = same::<WatchedPvc>(&conn, Some(&namespace), &selector, 1).await;
    assert_eq!(
        claims[0].storage_class.as_deref(),
        Some(""),
        "an empty class is set"
    );
    let pods = same::<WatchedPod>(&conn, Some(&namespace), &selector, 1).await;
    let waiting = pods[0].containers[0].waiting.as_ref();
    let waiting = waiting.unwrap_or_else(|| panic!("the init container waits: {pods:#?}"));
    assert_eq!(waiting.reason.as_deref(), Some("ImagePullBackOff"));
    same::<WatchedIngress>(&conn, Some(&namespace), &selector, 1).await;
    let leases = same::<WatchedLease>(&conn, Some(&namespace), &selector, 2).await;
    assert!(leases.iter().any(|l| l.meta.deleting()) && leases.iter().all(|l| l.renewed.is_some()));

    let gone = json!({"metadata": {"finalizers": null}});
    Api::<Lease>::namespaced(admin.clone(), &namespace)
        .patch("going", &PatchParams::default(), &Patch::Merge(&gone))
        .await
        .unwrap();
    Api::<Namespace>::all(admin)
        .delete(&namespace, &DeleteParams::default())
        .await
        .unwrap();
}

/// Lists kind `K` as JSON, then as protobuf at the same resource version; asserts both
/// read `count` objects, equal field for field, and gives them.
async fn same<K: SlimKind>(
    conn: &Connection,
    namespace: Option<&str>,
    selector: &str,
    count: usize,
) -> Vec<K> {
    let url = K::Api::url_path(&(), namespace);
    let params = ListParams::default().labels(selector);
    let request = Request::new(&url).list(&params).unwrap();
    let json: ObjectList<K> = conn.client.request(request).await.unwrap();
    let version = json.metadata.resource_version.clone().unwrap();
    let exact = params.at(&version).matching(VersionMatch::Exact);
    let mut from_protobuf = Vec::new();
    let listed_at = protobuf::list_with::<K>(conn, &url, &exact, "listing", &mut |object| {
        from_protobuf.push(object)
    })
    .await
    .unwrap();
    assert_eq!(listed_at, Some(version), "one state read twice");
    assert_eq!(from_protobuf.len(), count, "{url}: {from_protobuf:#?}");
    assert_eq!(json.items.len(), count, "{url}");
    for (proto, json) in from_protobuf.iter().zip(&json.items) {
        // Each with its resource version: both keep it as it arrived.
        assert!(proto.meta().resource_version.is_some());
        assert_eq!(format!("{proto:#?}"), format!("{json:#?}"), "{url}");
    }
    from_protobuf
}

/// One object of every watched kind (two Deployments and Leases) with each field
/// storectl keeps set, the edge cases among them: a zero set through a pointer
/// (`replicas: 0`), an empty one (`storageClassName: ""`), a waiting container, a
/// condition without a reason, a Lease being deleted.
async fn made_with_every_kept_field(client: &kube::Client, namespace: &str, label: &str) {
    let meta = |name: &str| {
        json!({"name": name, "labels": {"storectl-test-proto": label, "app": "shop",
            "app.kubernetes.io/managed-by": "storectl", "not-kept": "x"},
            "annotations": {"storectl.io/store": "shop", "not-kept": "y"}})
    };
    let ns_labels = json!({"metadata": {"labels": {"storectl-test-proto": label, "app": "shop"}}});
    Api::<Namespace>::all(client.clone())
        .patch(
            namespace,
            &PatchParams::default(),
            &Patch::Merge(&ns_labels),
        )
        .await
        .unwrap();
    let template = json!({"metadata": {"labels": {"app": "x"}},
        "spec": {"containers": [{"name": "c", "image": "x"}]}});
    for (name, replicas) in [("stopped", 0), ("running", 2)] {
        let deployment = json!({"metadata": meta(name), "spec": {"replicas": replicas,
            "selector": {"matchLabels": {"app": "x"}}, "template": template,
            "paused": true}});
        let status = json!({"status": {"observedGeneration": 1, "replicas": replicas,
            "updatedReplicas": replicas, "readyReplicas": replicas,
            "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "Unknown"}]}});
        created_with_status::<Deployment>(client, namespace, deployment, Some(status)).await;
    }
    let job = json!({"metadata": meta("setup"), "spec": {"suspend": true,
        "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}}}});
    created_with_status::<Job>(client, namespace, job, None).await;
    let claim = json!({"metadata": meta("data"), "spec": {"accessModes": ["ReadWriteOnce"],
        "storageClassName": "", "resources": {"requests": {"storage": "10Gi"}}}});
    let claim_status = json!({"status": {"phase": "Lost"}});
    created_with_status::<PersistentVolumeClaim>(client, namespace, claim, Some(claim_status))
        .await;
    // Never scheduled (its claim does not exist), and already saying so as the node
    // simulator would, so nothing but this test writes its status.
    let pod = json!({"metadata": meta("web"), "spec": {
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "missing"}}],
        "initContainers": [{"name": "init", "image": "x"}],
        "containers": [{"name": "web", "image": "x"}]}});
    let pod_status = json!({"status": {"phase": "Pending",
        "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "persistentvolumeclaim \"missing\" not found"}],
        "initContainerStatuses": [{"name": "init", "image": "x", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff",
            "message": "Back-off pulling image \"x\""}}}],
        "containerStatuses": [{"name": "web", "image": "x", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}]}});
    created_with_status::<Pod>(client, namespace, pod, Some(pod_status)).await;
    let ingress = json!({"metadata": meta("shop"), "spec": {
        "tls": [{"hosts": ["shop.example.com"], "secretName": "tls"}],
        "rules": [{"host": "shop.example.com"}, {"host": "second.example.com"}]}});
    created_with_status::<Ingress>(client, namespace, ingress, None).await;
    for name in ["report", "going"] {
        let mut lease = json!({"metadata": meta(name), "spec": {
            "holderIdentity": "runner", "renewTime": "2026-12-02T08:00:00.123456Z"}});
        if name == "going" {
            lease["metadata"]["finalizers"] = json!(["storectl.io/test"]);
        }
        created_with_status::<Lease>(client, namespace, lease, None).await;
    }
    Api::<Lease>::namespaced(client.clone(), namespace)
        .delete("going", &DeleteParams::default())
        .await
        .unwrap();
}

/// Creates `object` of kind `K`, then writes `status` through its status subresource.
async fn created_with_status<K>(
    client: &kube::Client,
    namespace: &str,
    object: serde_json::Value,
    status: Option<serde_json::Value>,
) where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let object: K = serde_json::from_value(object).unwrap();
    let made = api.create(&PostParams::default(), &object).await.unwrap();
    if let Some(status) = status {
        let name = made.meta().name.clone().unwrap();
        api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .unwrap_or_else(|e| panic!("{name}'s status: {e}"));
    }
}
