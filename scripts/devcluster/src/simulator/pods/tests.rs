//! The simulated kubelet's answers, checked against what a real kubelet reports.

use k8s_openapi::api::core::v1::{
    Container, EnvVar, EnvVarSource, PersistentVolumeClaimVolumeSource, PodSpec, SecretKeySelector,
    Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::*;

fn container(name: &str, image: &str) -> Container {
    Container {
        name: name.into(),
        image: Some(image.into()),
        ..Container::default()
    }
}

fn pod(containers: Vec<Container>) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some("p".into()),
            namespace: Some("ns".into()),
            uid: Some("u1".into()),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            containers,
            node_name: Some("sim-node-1".into()),
            ..PodSpec::default()
        }),
        status: None,
    }
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap_or_else(|e| panic!("{e}"))
}

/// Applies the plan's status once at t=0, then plans again at `secs`.
fn status_after(mut p: Pod, secs: i64) -> PodStatus {
    let world = World::default();
    let t = Timing::default();
    if let PodAction::Status(s) = plan(&p, &world, at(0), &t) {
        p.status = Some(*s);
    }
    match plan(&p, &world, at(secs), &t) {
        PodAction::Status(s) => *s,
        PodAction::Nothing => p.status.clone().unwrap_or_default(),
        other => panic!("unexpected {other:?}"),
    }
}

fn waiting_reason(s: &PodStatus) -> Option<String> {
    s.container_statuses
        .as_ref()?
        .first()?
        .state
        .as_ref()?
        .waiting
        .as_ref()?
        .reason
        .clone()
}

fn ready(s: &PodStatus) -> bool {
    s.conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

#[test]
fn a_healthy_pod_runs_then_turns_ready_and_then_stays_unchanged() {
    let p = pod(vec![container("web", "wordpress:6.8-apache")]);
    let s = status_after(p.clone(), 0);
    assert_eq!(s.phase.as_deref(), Some("Running"));
    assert!(!ready(&s));
    let mut later = p;
    later.status = Some(status_after(later.clone(), 5));
    assert!(ready(
        later.status.as_ref().unwrap_or(&PodStatus::default())
    ));
    assert_eq!(
        plan(&later, &World::default(), at(60), &Timing::default()),
        PodAction::Nothing
    );
}

#[test]
fn unbound_volumes_keep_a_pod_unscheduled() {
    let mut p = pod(vec![container("db", "mysql:8.4")]);
    if let Some(spec) = p.spec.as_mut() {
        spec.node_name = None;
        spec.volumes = Some(vec![Volume {
            name: "data".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: "c".into(),
                ..Default::default()
            }),
            ..Volume::default()
        }]);
    }
    let mut world = World::default();
    world.claims.insert("ns/c".into());
    let t = Timing::default();
    assert_eq!(
        plan(&p, &world, at(0), &t),
        PodAction::Unschedulable("pod has unbound immediate PersistentVolumeClaims".into())
    );
    world.bound_claims.insert("ns/c".into());
    assert_eq!(plan(&p, &world, at(0), &t), PodAction::Bind);
}

#[test]
fn image_faults_show_as_kubelet_reports_them() {
    let s = status_after(pod(vec![container("db", "registry.invalid/mysql:8.4")]), 0);
    assert_eq!(waiting_reason(&s).as_deref(), Some("ErrImagePull"));
    let s = status_after(pod(vec![container("db", "registry.invalid/mysql:8.4")]), 10);
    assert_eq!(waiting_reason(&s).as_deref(), Some("ImagePullBackOff"));
    assert_eq!(s.phase.as_deref(), Some("Pending"));
    let s = status_after(pod(vec![container("db", "Bad:Image")]), 0);
    assert_eq!(waiting_reason(&s).as_deref(), Some("InvalidImageName"));
    let s = status_after(pod(vec![container("db", "mysql:sim-exit-1")]), 10);
    assert_eq!(waiting_reason(&s).as_deref(), Some("CrashLoopBackOff"));
    let restarts = s
        .container_statuses
        .as_ref()
        .map(|c| c[0].restart_count)
        .unwrap_or_default();
    assert!(restarts >= 3, "restart count grows: {restarts}");
    let s = status_after(pod(vec![container("db", "mysql:sim-never-ready")]), 60);
    assert_eq!(s.phase.as_deref(), Some("Running"));
    assert!(!ready(&s));
}

#[test]
fn a_missing_secret_is_a_config_error() {
    let mut c = container("db", "mysql:8.4");
    c.env = Some(vec![EnvVar {
        name: "P".into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: "creds".into(),
                key: "k".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..EnvVar::default()
    }]);
    let s = status_after(pod(vec![c]), 0);
    assert_eq!(
        waiting_reason(&s).as_deref(),
        Some("CreateContainerConfigError")
    );
}

fn job_pod(image: &str) -> Pod {
    let mut p = pod(vec![container("setup", image)]);
    p.metadata.owner_references = Some(vec![OwnerReference {
        kind: "Job".into(),
        name: "j".into(),
        ..Default::default()
    }]);
    if let Some(spec) = p.spec.as_mut() {
        spec.restart_policy = Some("Never".into());
    }
    p
}

#[test]
fn job_pods_succeed_or_fail() {
    let s = status_after(job_pod("wordpress:cli"), 10);
    assert_eq!(s.phase.as_deref(), Some("Succeeded"));
    let s = status_after(job_pod("wordpress:cli-sim-exit-1"), 10);
    assert_eq!(s.phase.as_deref(), Some("Failed"));
}

#[test]
fn failing_init_containers_hold_the_main_ones() {
    let mut p = pod(vec![container("web", "wordpress:6.8-apache")]);
    if let Some(spec) = p.spec.as_mut() {
        spec.init_containers = Some(vec![container("wait", "registry.invalid/x:1")]);
    }
    let s = status_after(p, 1);
    assert_eq!(waiting_reason(&s).as_deref(), Some("PodInitializing"));
    let init = s.init_container_statuses.unwrap_or_default();
    let reason = init[0]
        .state
        .as_ref()
        .and_then(|st| st.waiting.as_ref())
        .and_then(|w| w.reason.clone());
    assert_eq!(reason.as_deref(), Some("ErrImagePull"));
}

#[test]
fn deleted_bound_pods_are_finalized() {
    let mut p = pod(vec![container("web", "x:1")]);
    p.metadata.deletion_timestamp = Some(Time(at(0)));
    assert_eq!(
        plan(&p, &World::default(), at(1), &Timing::default()),
        PodAction::Finalize
    );
}

#[test]
fn an_init_container_waiting_for_the_database_holds_the_pod_until_its_service_is_ready() {
    let mut wait = container("wait-for-mysql", "wordpress:cli");
    wait.env = Some(vec![EnvVar {
        name: "WORDPRESS_DB_HOST".into(),
        value: Some("shop-mysql:3306".into()),
        ..EnvVar::default()
    }]);
    let mut p = job_pod("wordpress:cli");
    if let Some(spec) = p.spec.as_mut() {
        spec.init_containers = Some(vec![wait]);
    }
    let t = Timing::default();
    let step = |p: &Pod, world: &World, secs: i64| match plan(p, world, at(secs), &t) {
        PodAction::Status(s) => *s,
        PodAction::Nothing => p.status.clone().unwrap_or_default(),
        other => panic!("unexpected {other:?}"),
    };
    // MySQL never comes up: long after a Job would have finished, nothing has.
    let down = World::default();
    p.status = Some(step(&p, &down, 0));
    let held = step(&p, &down, 600);
    assert_eq!(held.phase.as_deref(), Some("Pending"));
    let init = &held.init_container_statuses.clone().unwrap_or_default()[0];
    assert!(
        init.state.as_ref().is_some_and(|s| s.running.is_some()),
        "still waiting: {init:?}"
    );
    assert_eq!(
        waiting_reason(&held).as_deref(),
        Some("PodInitializing"),
        "main not started"
    );

    // Its Service gets a ready endpoint: the wait ends and the Job's pod runs to the end.
    let up = World {
        ready_services: ["ns/shop-mysql".to_string()].into(),
        ..World::default()
    };
    p.status = Some(held);
    p.status = Some(step(&p, &up, 601));
    let done = step(&p, &up, 700);
    assert_eq!(done.phase.as_deref(), Some("Succeeded"), "{done:#?}");
}
