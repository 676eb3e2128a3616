//! What a store's runner container would report (storectl's `storectl-runner.php`, which
//! the simulator cannot run): while a store's WordPress pod runs and is ready, its Lease
//! `<store>-report` is renewed every half minute with versions the pod's image and its
//! Deployment's pins imply. Only pods that carry the runner's token (a store in its own
//! namespace) report, as on a real cluster. A WordPress image whose tag contains
//! `sim-cron-stale` reports a last run eleven minutes old (cron stopped).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Patch, PatchParams};
use kube::runtime::reflector::Store;
use kube::{Api, Client};
use serde_json::json;

/// How often a running store's report is renewed: every half minute, or every
/// `STORECTL_SIM_REPORT_EVERY_SECS` (scripts/bench's 10,000-store tier: 300, the real
/// runner's default when nothing changes).
fn every() -> Duration {
    let secs = std::env::var("STORECTL_SIM_REPORT_EVERY_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    Duration::from_secs(secs)
}
/// The runner's token volume: present only where the store reports.
const TOKEN_VOLUME: &str = "storectl-runner-token";
const REPORT_ANNOTATION: &str = "storectl.io/report";
const WOOCOMMERCE_ANNOTATION: &str = "storectl.io/woocommerce-version";

pub async fn run(client: Client, pods: Store<Pod>) {
    let mut sent: HashMap<(String, String), Instant> = HashMap::new();
    let every = every();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for pod in pods.state() {
            let Some((namespace, store, image)) = reporting(&pod) else {
                continue;
            };
            let key = (namespace.clone(), store.clone());
            if sent.get(&key).is_some_and(|at| at.elapsed() < every) {
                continue;
            }
            match report(&client, &namespace, &store, &image).await {
                Ok(()) => {
                    sent.insert(key, Instant::now());
                }
                Err(e) => tracing::debug!("report of {namespace}/{store} not written: {e}"),
            }
        }
    }
}

/// (namespace, store, WordPress image) of a ready WordPress pod that has a runner token.
fn reporting(pod: &Pod) -> Option<(String, String, String)> {
    let labels = pod.metadata.labels.as_ref()?;
    if labels.get("component").map(String::as_str) != Some("wordpress")
        || pod.metadata.deletion_timestamp.is_some()
    {
        return None;
    }
    let spec = pod.spec.as_ref()?;
    spec.volumes
        .iter()
        .flatten()
        .find(|v| v.name == TOKEN_VOLUME)?;
    let ready = pod
        .status
        .as_ref()?
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    let image = spec.containers.first()?.image.clone()?;
    ready.then(|| {
        (
            pod.metadata.namespace.clone().unwrap_or_default(),
            labels.get("app").cloned().unwrap_or_default(),
            image,
        )
    })
}

async fn report(client: &Client, namespace: &str, store: &str, image: &str) -> kube::Result<()> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let pinned = deployments
        .get_opt(&format!("{store}-wordpress"))
        .await?
        .and_then(|d| d.metadata.annotations?.get(WOOCOMMERCE_ANNOTATION).cloned());
    // wordpress:6.8-apache runs WordPress 6.8.0 here; a tag without a version, 6.9.
    let tag = image.rsplit(':').next().unwrap_or_default();
    let numbers: String = tag
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let wordpress = match numbers.trim_end_matches('.') {
        "" => "6.9.0".to_string(),
        v if v.matches('.').count() == 1 => format!("{v}.0"),
        v => v.to_string(),
    };
    let mut plugins = serde_json::Map::new();
    if let Some(version) = &pinned {
        plugins.insert(
            "woocommerce".into(),
            json!({"version": version, "active": true}),
        );
    }
    let report = json!({
        "versions": {
            "wordpress": wordpress,
            "wordpressDatabase": 60421,
            "wordpressDatabaseExpected": 60421,
            "woocommerce": pinned,
            "woocommerceDatabase": pinned,
            "php": "8.2.29",
            "database": "8.4.6",
            "plugins": plugins,
        },
        "cron": {"overdue": pinned.as_ref().map(|_| 0)},
    });
    let mut last_run = Timestamp::now();
    if image.contains("sim-cron-stale") {
        last_run -= SignedDuration::from_mins(11);
    }
    let patch = json!({
        "metadata": {"annotations": {REPORT_ANNOTATION: report.to_string()}},
        "spec": {
            "holderIdentity": "runner",
            "leaseDurationSeconds": 600,
            "renewTime": last_run.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        },
    });
    let leases: Api<Lease> = Api::namespaced(client.clone(), namespace);
    leases
        .patch(
            &format!("{store}-report"),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await?;
    Ok(())
}
