//! Status rules on fixture objects (YAML as a cluster returns it).

use std::time::Duration;

use super::*;
use crate::domain::watched::{Sym, WatchedDeployment, WatchedJob, WatchedPvc};

const RULES: StatusRules = StatusRules {
    provisioning_deadline: Duration::from_secs(900),
    failure_grace: Duration::from_secs(30),
};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn yaml<T: serde::de::DeserializeOwned>(s: &str) -> T {
    serde_yaml_ng::from_str(s).unwrap()
}

fn arc_yaml<T: serde::de::DeserializeOwned>(s: &str) -> Arc<T> {
    Arc::new(yaml(s))
}

fn deployment(component: &str, ready: bool) -> Arc<WatchedDeployment> {
    arc_yaml(&format!(
        r#"
metadata: {{name: shop-{component}, generation: 1, creationTimestamp: "2026-01-01T00:00:00Z",
  labels: {{app: shop, component: {component}, app.kubernetes.io/managed-by: storectl}}}}
spec: {{replicas: 1, selector: {{}}, template: {{}}}}
status:
  observedGeneration: 1
  replicas: 1
  updatedReplicas: 1
  readyReplicas: {r}
  conditions: [{{type: Available, status: "{a}"}}]
"#,
        r = u8::from(ready),
        a = if ready { "True" } else { "False" }
    ))
}

fn job(condition: Option<(&str, &str)>) -> Arc<WatchedJob> {
    let conditions = condition.map_or(String::new(), |(t, r)| {
        format!("conditions: [{{type: {t}, status: 'True', reason: {r}}}]")
    });
    arc_yaml(&format!(
        "metadata: {{name: shop-setup, labels: {{app: shop, component: setup}}}}\nstatus: {{{conditions}}}"
    ))
}

fn claim(phase: &str) -> Arc<WatchedPvc> {
    arc_yaml(&format!(
        "metadata: {{name: shop-mysql-pvc}}\nstatus: {{phase: {phase}}}"
    ))
}

fn pod(component: &str, created: &str, waiting: Option<&str>) -> Arc<WatchedPod> {
    let state = waiting.map_or("running: {}".to_string(), |r| {
        format!("waiting: {{reason: {r}, message: 'details here'}}")
    });
    arc_yaml(&format!(
        r#"
metadata: {{name: shop-{component}-abc, creationTimestamp: "{created}", labels: {{app: shop, component: {component}}}}}
status:
  phase: Pending
  containerStatuses: [{{name: {component}, image: x, imageID: "", ready: false, restartCount: 0, state: {{{state}}}}}]
"#
    ))
}

fn ready_store() -> StoreObjects {
    StoreObjects {
        name: "shop".into(),
        namespace: Some(arc_yaml(
            r#"metadata: {name: store-shop, creationTimestamp: "2026-01-01T00:00:00Z"}"#,
        )),
        namespace_name: "store-shop".into(),
        deployments: vec![deployment("mysql", true), deployment("wordpress", true)],
        jobs: vec![job(Some(("Complete", "Completed")))],
        claims: vec![claim("Bound")],
        pods: vec![],
        ingresses: vec![arc_yaml(
            "metadata: {name: shop-ingress}\nspec: {rules: [{host: shop.local}]}",
        )],
        reports: vec![],
    }
}

const SOON: &str = "2026-01-01T00:01:00Z";

#[test]
fn complete_stores_are_ready_with_their_url() {
    let s = ready_store();
    assert_eq!(
        derive(&s, &RULES, t(SOON)),
        StoreStatus::new(Phase::Ready, "all components ready")
    );
    assert_eq!(url(&s).as_deref(), Some("http://shop.local"));
}

#[test]
fn provisioning_names_what_it_waits_for_in_order() {
    let mut s = ready_store();
    s.claims = vec![claim("Pending")];
    s.deployments = vec![deployment("mysql", false), deployment("wordpress", false)];
    s.jobs = vec![job(None)];
    assert_eq!(
        derive(&s, &RULES, t(SOON)),
        StoreStatus::new(
            Phase::Provisioning,
            "waiting for PVC shop-mysql-pvc to bind"
        )
    );
    s.claims = vec![claim("Bound")];
    assert_eq!(
        derive(&s, &RULES, t(SOON)).reason,
        "waiting for MySQL to become ready (0/1)"
    );
    s.deployments[0] = deployment("mysql", true);
    assert_eq!(
        derive(&s, &RULES, t(SOON)).reason,
        "waiting for WordPress to become ready (0/1)"
    );
    s.deployments[1] = deployment("wordpress", true);
    let status = derive(&s, &RULES, t(SOON));
    assert_eq!(
        (status.phase, status.reason.as_str()),
        (
            Phase::Provisioning,
            "setup job running (installing WordPress and WooCommerce)"
        )
    );
}

#[test]
fn a_stale_deployment_status_is_not_ready() {
    let mut s = ready_store();
    Arc::make_mut(&mut s.deployments[1]).meta.generation = Some(2);
    assert_eq!(derive(&s, &RULES, t(SOON)).phase, Phase::Provisioning);
}

#[test]
fn failing_containers_fail_the_store_after_the_grace_period() {
    let mut s = ready_store();
    s.deployments[0] = deployment("mysql", false);
    s.pods = vec![pod(
        "mysql",
        "2026-01-01T00:00:50Z",
        Some("ImagePullBackOff"),
    )];
    assert_eq!(
        derive(&s, &RULES, t(SOON)).phase,
        Phase::Provisioning,
        "10 s old: still in grace"
    );
    let status = derive(&s, &RULES, t("2026-01-01T00:05:00Z"));
    assert_eq!(status.phase, Phase::Failed);
    assert_eq!(
        status.reason,
        "mysql container mysql: ImagePullBackOff: details here"
    );
    for reason in [
        "ErrImagePull",
        "InvalidImageName",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
    ] {
        s.pods = vec![pod("wordpress", "2026-01-01T00:00:00Z", Some(reason))];
        assert!(
            derive(&s, &RULES, t(SOON)).reason.contains(reason),
            "{reason}"
        );
    }
    s.pods = vec![pod(
        "wordpress",
        "2026-01-01T00:00:00Z",
        Some("ContainerCreating"),
    )];
    assert_eq!(
        derive(&s, &RULES, t(SOON)).phase,
        Phase::Provisioning,
        "ContainerCreating is normal"
    );
}

#[test]
fn a_failed_setup_job_fails_the_store() {
    let mut s = ready_store();
    s.jobs = vec![job(Some(("Failed", "BackoffLimitExceeded")))];
    assert_eq!(
        derive(&s, &RULES, t(SOON)),
        StoreStatus::new(
            Phase::Failed,
            "setup job shop-setup failed: BackoffLimitExceeded"
        )
    );
}

#[test]
fn a_progress_deadline_fails_the_store() {
    let mut s = ready_store();
    let mut d = deployment("wordpress", false);
    if let Some(st) = Arc::make_mut(&mut d).status.as_mut() {
        st.conditions =
            yaml("[{type: Progressing, status: 'False', reason: ProgressDeadlineExceeded}]");
    }
    s.deployments[1] = d;
    assert_eq!(
        derive(&s, &RULES, t(SOON)),
        StoreStatus::new(
            Phase::Failed,
            "deployment shop-wordpress: progress deadline exceeded"
        )
    );
}

#[test]
fn the_provisioning_deadline_fails_a_store_that_never_gets_ready() {
    let mut s = ready_store();
    s.claims = vec![claim("Pending")];
    let status = derive(&s, &RULES, t("2026-01-01T00:16:00Z"));
    assert_eq!(status.phase, Phase::Failed);
    assert_eq!(
        status.reason,
        "not ready 15m after creation: waiting for PVC shop-mysql-pvc to bind"
    );
}

#[test]
fn an_upgraded_store_counts_its_deadline_from_the_upgrade() {
    let mut s = ready_store();
    let mut d = deployment("wordpress", false);
    Arc::make_mut(&mut d)
        .meta
        .annotations
        .set(APPLIED_ANNOTATION, Some("2026-03-01T00:00:00Z"));
    s.deployments[1] = d;
    let during = derive(&s, &RULES, t("2026-03-01T00:05:00Z"));
    assert_eq!(
        during,
        StoreStatus::new(
            Phase::Provisioning,
            "waiting for WordPress to become ready (0/1)"
        )
    );
    let after = derive(&s, &RULES, t("2026-03-01T00:16:00Z"));
    assert_eq!(
        after.reason,
        "not ready 15m after its last upgrade: waiting for WordPress to become ready (0/1)"
    );
}

#[test]
fn a_database_upgrade_job_is_named_as_such() {
    let mut s = ready_store();
    let running: Arc<WatchedJob> =
        arc_yaml("metadata: {name: shop-db-upgrade-3, labels: {app: shop, component: setup}}");
    s.jobs.push(running);
    assert_eq!(
        derive(&s, &RULES, t(SOON)).reason,
        "database upgrade job running (WordPress's and WooCommerce's database updates)"
    );
    s.jobs[1] = arc_yaml(
        "metadata: {name: shop-db-upgrade-3}\nstatus: {conditions: [{type: Failed, status: 'True', reason: BackoffLimitExceeded}]}",
    );
    assert_eq!(
        derive(&s, &RULES, t(SOON)).reason,
        "database upgrade job shop-db-upgrade-3 failed: BackoffLimitExceeded"
    );
}

#[test]
fn a_terminating_namespace_means_deleting() {
    let mut s = ready_store();
    s.namespace = Some(arc_yaml(
        r#"metadata: {name: store-shop, deletionTimestamp: "2026-01-01T00:00:30Z"}"#,
    ));
    assert_eq!(
        derive(&s, &RULES, t(SOON)),
        StoreStatus::new(Phase::Deleting, "namespace store-shop is being deleted")
    );
}

#[test]
fn original_platform_stores_need_no_setup_job() {
    let mut s = ready_store();
    s.jobs.clear();
    for d in &mut s.deployments {
        Arc::make_mut(d)
            .meta
            .labels
            .set("app.kubernetes.io/managed-by", None);
    }
    assert_eq!(derive(&s, &RULES, t(SOON)).phase, Phase::Ready);
}

#[test]
fn pods_ready_counts_serving_pods_only() {
    let mut s = ready_store();
    let mut ready_pod = pod("wordpress", SOON, None);
    let p = Arc::make_mut(&mut ready_pod);
    p.phase = Some(Sym::new("Running"));
    p.conditions = yaml("[{type: Ready, status: 'True'}]");
    let mut done_job_pod = pod("setup", SOON, None);
    Arc::make_mut(&mut done_job_pod).phase = Some(Sym::new("Succeeded"));
    s.pods = vec![
        ready_pod,
        pod("mysql", SOON, Some("ContainerCreating")),
        done_job_pod,
    ];
    assert_eq!(pods_ready(&s), PodCount { ready: 1, total: 2 });
}

fn backup_job(name: &str, created: &str, condition: Option<(&str, &str)>) -> Arc<WatchedJob> {
    let conditions = condition.map_or(String::new(), |(t, r)| {
        format!("conditions: [{{type: {t}, status: 'True', reason: {r}}}]")
    });
    arc_yaml(&format!(
        "metadata: {{name: {name}, creationTimestamp: '{created}', labels: {{app: shop, component: backup, storectl.io/backup-of: shop}}}}\nstatus: {{{conditions}}}"
    ))
}

#[test]
fn backups_never_fail_the_store_but_the_last_failed_one_is_said() {
    let mut s = ready_store();
    s.jobs.push(backup_job(
        "shop-backup-20260101-000100",
        "2026-01-01T00:01:00Z",
        Some(("Failed", "BackoffLimitExceeded")),
    ));
    assert_eq!(
        derive(&s, &RULES, t(SOON)),
        StoreStatus::new(
            Phase::Ready,
            "all components ready; last backup failed: job shop-backup-20260101-000100: BackoffLimitExceeded"
        )
    );
    // A running backup is not something the store waits for.
    s.jobs.push(backup_job(
        "shop-backup-29000000",
        "2026-01-01T00:02:00Z",
        None,
    ));
    assert_eq!(derive(&s, &RULES, t(SOON)).phase, Phase::Ready);
    s.jobs.push(backup_job(
        "shop-backup-20260101-000300",
        "2026-01-01T00:03:00Z",
        Some(("Complete", "Completed")),
    ));
    assert_eq!(
        derive(&s, &RULES, t(SOON)),
        StoreStatus::new(Phase::Ready, "all components ready"),
        "a later good backup clears it"
    );
}

#[test]
fn a_store_being_restored_is_provisioning() {
    let mut s = ready_store();
    s.jobs.push(backup_job(
        "shop-restore-20260101-000500",
        "2026-01-01T00:05:00Z",
        None,
    ));
    assert_eq!(
        derive(&s, &RULES, t(SOON)),
        StoreStatus::new(
            Phase::Provisioning,
            "restoring a backup (job shop-restore-20260101-000500)"
        )
    );
}

#[test]
fn a_store_whose_restore_did_not_finish_is_failed_with_wordpress_kept_stopped() {
    let mut s = ready_store();
    // WordPress held for the restore and scaled to zero: Available with no replica.
    let held = Arc::make_mut(&mut s.deployments[1]);
    held.meta
        .labels
        .set(RESTORING_LABEL, Some("20260101-000100"));
    held.replicas = Some(0);
    s.jobs.push(backup_job(
        "shop-restore-20260101-000500",
        "2026-01-01T00:05:00Z",
        None,
    ));
    assert_eq!(
        derive(&s, &RULES, t(SOON)).reason,
        "restoring a backup (job shop-restore-20260101-000500)",
        "while the Job runs"
    );
    s.jobs.pop();
    s.jobs.push(backup_job(
        "shop-restore-20260101-000500",
        "2026-01-01T00:05:00Z",
        Some(("Failed", "BackoffLimitExceeded")),
    ));
    assert_eq!(
        derive(&s, &RULES, t(SOON)),
        StoreStatus::new(
            Phase::Failed,
            "restore of backup 20260101-000100 did not finish: WordPress kept stopped; run `storectl restore shop --from 20260101-000100` again or `storectl resume shop`"
        )
    );
}

#[test]
fn a_provisioned_store_whose_pods_restart_is_waited_for_not_failed() {
    let mut s = ready_store();
    let rolled_out = |component: &str, ready: bool| {
        let mut d = deployment(component, ready);
        if let Some(st) = Arc::make_mut(&mut d).status.as_mut() {
            st.conditions.push(yaml(
                "{type: Progressing, status: 'True', reason: NewReplicaSetAvailable}",
            ));
        }
        d
    };
    s.deployments = vec![rolled_out("mysql", true), rolled_out("wordpress", false)];
    let long_after = t("2026-03-01T00:00:00Z");
    assert_eq!(
        derive(&s, &RULES, long_after),
        StoreStatus::new(
            Phase::Provisioning,
            "waiting for WordPress to become ready (0/1)"
        )
    );
    // Never rolled out: the deadline applies.
    s.deployments[1] = deployment("wordpress", false);
    assert_eq!(derive(&s, &RULES, long_after).phase, Phase::Failed);
}

#[test]
fn a_wordpress_that_is_not_ready_says_what_its_runner_found() {
    let mut s = ready_store();
    s.deployments = vec![deployment("mysql", true), deployment("wordpress", false)];
    s.reports = vec![arc_yaml(
        r#"metadata: {name: shop-report, annotations: {storectl.io/report: '{"error":"database: cannot connect"}'}}"#,
    )];
    assert_eq!(
        derive(&s, &RULES, t(SOON)),
        StoreStatus::new(
            Phase::Provisioning,
            "waiting for WordPress to become ready (0/1); runner: database: cannot connect"
        )
    );
}

#[test]
fn a_ready_store_names_a_stopped_cron_and_versions_its_revision_does_not_pin() {
    let mut s = ready_store();
    let mut wordpress = (*deployment("wordpress", true)).clone();
    wordpress
        .meta
        .annotations
        .set("storectl.io/woocommerce-version", Some("10.2.0"));
    s.deployments = vec![deployment("mysql", true), Arc::new(wordpress)];
    s.reports = vec![arc_yaml(
        r#"
metadata: {name: shop-report, annotations: {storectl.io/report: '{"versions":{"plugins":{"woocommerce":{"version":"10.1.2"}}}}'}}
spec: {renewTime: "2026-01-01T00:00:00.000000Z"}
"#,
    )];
    assert_eq!(
        derive(&s, &RULES, t("2026-01-01T00:30:00Z")),
        StoreStatus::new(
            Phase::Ready,
            "all components ready; cron has not run for 30 min; runs woocommerce 10.1.2, the revision pins 10.2.0"
        )
    );
    // Within ten minutes of its last run, cron is fine.
    let fine = derive(&s, &RULES, t("2026-01-01T00:05:00Z"));
    assert_eq!(
        fine.reason,
        "all components ready; runs woocommerce 10.1.2, the revision pins 10.2.0"
    );
}
