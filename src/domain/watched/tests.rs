//! Each kind read from an object recorded from the local control plane (a Ready store's,
//! `tests/fixtures/watched/`): what the rules read is there, and nothing else is kept.

use super::*;
use crate::domain::labels::{
    LABEL_APP, LABEL_COMPONENT, MARK_LABEL, STORE_ANNOTATION, WOOCOMMERCE_ANNOTATION,
};

fn read<T: serde::de::DeserializeOwned>(json: &str) -> T {
    serde_json::from_str(json).unwrap()
}

#[test]
fn a_deployment_keeps_its_replicas_rollout_and_the_labels_and_pins_read() {
    let d: WatchedDeployment = read(include_str!(
        "../../../tests/fixtures/watched/deployment.json"
    ));
    let m = &d.meta;
    assert_eq!(
        (&*m.name, m.namespace.as_deref()),
        ("shop1-wordpress", Some("store-shop1"))
    );
    assert_eq!(m.generation, Some(1));
    assert_eq!(
        m.created.map(|t| t.to_string()).as_deref(),
        Some("2026-12-01T11:58:15Z")
    );
    assert_eq!(
        m.resource_version.as_deref().map(str::is_empty),
        Some(false)
    );
    assert_eq!(
        (
            m.labels.get(LABEL_APP),
            m.labels.get(LABEL_COMPONENT),
            m.labels.get(MARK_LABEL)
        ),
        (Some("shop1"), Some("wordpress"), Some("storectl"))
    );
    assert_eq!(m.annotations.get(WOOCOMMERCE_ANNOTATION), Some("10.1.2"));
    assert_eq!(m.annotations.get(STORE_ANNOTATION), Some("shop1"));
    assert_eq!(d.replicas, Some(1));
    let status = d.status.as_ref().unwrap();
    assert_eq!(
        (
            status.observed_generation,
            status.ready_replicas,
            status.updated_replicas
        ),
        (Some(1), Some(1), Some(1))
    );
    assert!(status.conditions.holds("Available"));
    let progressing = status.conditions.holding("Progressing").unwrap();
    assert_eq!(
        progressing.reason.as_deref(),
        Some("NewReplicaSetAvailable")
    );
}

#[test]
fn labels_and_annotations_nothing_reads_are_not_kept() {
    let d: WatchedDeployment = read(include_str!(
        "../../../tests/fixtures/watched/deployment.json"
    ));
    // The fixture has eight labels (app.kubernetes.io/name, part-of, ... among them) and a
    // `deployment.kubernetes.io/revision` annotation.
    let kept = format!("{:?} {:?}", d.meta.labels, d.meta.annotations);
    for skipped in [
        "app.kubernetes.io/name",
        "part-of",
        "deployment.kubernetes.io/revision",
    ] {
        assert!(!kept.contains(skipped), "{skipped} kept: {kept}");
    }
    assert_eq!(kept.matches("\", ").count(), 4 + 2, "{kept}");
}

#[test]
fn a_pod_keeps_its_phase_readiness_and_containers_init_ones_first() {
    let p: WatchedPod = read(include_str!("../../../tests/fixtures/watched/pod.json"));
    assert_eq!(p.phase.as_deref(), Some("Running"));
    assert!(p.conditions.holds("Ready"));
    let names: Vec<&str> = p.containers.iter().map(|c| &*c.name).collect();
    assert_eq!(names, ["wait-for-mysql", "wordpress", "runner"]);
    assert!(p.containers.iter().all(|c| c.waiting.is_none()));
    assert!(!p.meta.deleting());

    let waiting: WatchedPod = read(
        r#"{"metadata": {"name": "p", "deletionTimestamp": "2026-01-01T00:00:00Z"},
            "status": {"containerStatuses": [{"name": "mysql", "state":
              {"waiting": {"reason": "ImagePullBackOff", "message": "no such image"}}}]}}"#,
    );
    let w = waiting.containers[0].waiting.as_ref().unwrap();
    assert_eq!(
        (w.reason.as_deref(), w.message.as_deref()),
        (Some("ImagePullBackOff"), Some("no such image"))
    );
    assert!(waiting.meta.deleting());
}

#[test]
fn jobs_claims_ingresses_namespaces_and_leases_keep_what_is_read() {
    let j: WatchedJob = read(include_str!("../../../tests/fixtures/watched/job.json"));
    assert_eq!(
        j.conditions.holding("Complete").unwrap().reason.as_deref(),
        Some("CompletionsReached")
    );
    assert!(!j.conditions.holds("Failed"));
    let c: WatchedPvc = read(include_str!(
        "../../../tests/fixtures/watched/persistentvolumeclaim.json"
    ));
    assert_eq!(
        (c.phase.as_deref(), c.storage.as_deref()),
        (Some("Bound"), Some("10Gi"))
    );
    assert_eq!(c.storage_class, None);
    let i: WatchedIngress = read(include_str!("../../../tests/fixtures/watched/ingress.json"));
    assert_eq!((i.host.as_deref(), i.tls), (Some("shop1.local"), false));
    let tls: WatchedIngress = read(r#"{"spec": {"rules": [{"host": "a.b"}], "tls": [{}]}}"#);
    assert!(tls.tls);
    let n: WatchedNamespace = read(include_str!(
        "../../../tests/fixtures/watched/namespace.json"
    ));
    assert_eq!(
        (&*n.meta.name, n.phase.as_deref()),
        ("store-shop1", Some("Active"))
    );
    assert_eq!(n.meta.namespace, None);
    let l: WatchedLease = read(include_str!("../../../tests/fixtures/watched/lease.json"));
    assert!(l.renewed.is_some());
    let report = crate::domain::report::read(&l).unwrap();
    assert_eq!(
        report.versions.unwrap().woocommerce.as_deref(),
        Some("10.1.2")
    );
}

#[test]
fn a_rendered_object_reads_as_it_would_be_watched() {
    let rendered = k8s_openapi::api::core::v1::PersistentVolumeClaim {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some("shop-mysql-pvc".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let watched: Arc<WatchedPvc> = observed(&rendered).unwrap();
    assert_eq!(
        (&*watched.meta.name, watched.phase.as_ref()),
        ("shop-mysql-pvc", None)
    );
}
