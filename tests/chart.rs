//! The Helm chart (charts/storectl) with the pinned Helm (`scripts/helm/install`, built
//! once from its Go module): `helm lint`, `helm template` with every option, the plain
//! manifests in assets/ equal to its rendering, and the rendering applied to the control
//! plane, the server's pod admitted by a namespace that enforces the restricted Pod
//! Security level (dry run, so the API server's admission decides).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{apply_file, cluster, fresh_home, unique};
use k8s_openapi::api::core::v1::{Namespace, Pod, ServiceAccount};
use kube::Api;
use kube::api::PostParams;
use serde_json::{Value, json};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn helm() -> &'static PathBuf {
    static HELM: OnceLock<PathBuf> = OnceLock::new();
    HELM.get_or_init(|| {
        let out = Command::new(repo().join("scripts/helm/install"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// `helm ARGS` in the repository: its output, whatever the exit status.
fn run_helm(args: &[&str]) -> Output {
    Command::new(helm())
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

fn template(sets: &[&str]) -> Output {
    let mut args = vec![
        "template",
        "storectl",
        "charts/storectl",
        "--namespace",
        "ecommerce-platform",
    ];
    for set in sets {
        args.extend(["--set", set]);
    }
    run_helm(&args)
}

fn documents(rendered: &Output) -> Vec<Value> {
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let text = String::from_utf8_lossy(&rendered.stdout);
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
        .filter(|d| !d.is_null())
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name}"))
}

const EVERYTHING: &[&str] = &[
    "ingress.enabled=true",
    "ingress.host=stores.example.com",
    "ingress.className=nginx",
    "tls.certManager.enabled=true",
    "tls.certManager.issuerRef.name=letsencrypt",
    "image.repository=registry.example.com/storectl",
    "image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "serve.allowedDomains={shops.example.com,other.example.com}",
    "serve.corsOrigins={https://dash.example.com}",
    "serve.set={global.domain=shops.example.com}",
];

#[test]
fn helm_lint_passes_with_the_defaults_and_with_every_option() {
    for sets in [&[][..], EVERYTHING, &["serve.readonly=true"]] {
        let mut args = vec![
            "lint",
            "--strict",
            "charts/storectl",
            "--namespace",
            "ecommerce-platform",
        ];
        for set in sets {
            args.extend(["--set", set]);
        }
        let linted = run_helm(&args);
        assert!(
            linted.status.success(),
            "{sets:?}: {}{}",
            String::from_utf8_lossy(&linted.stdout),
            String::from_utf8_lossy(&linted.stderr)
        );
    }
}

#[test]
fn the_plain_manifests_in_assets_are_the_charts_rendering() {
    helm();
    let checked = Command::new(repo().join("scripts/manifests"))
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[test]
fn the_values_reach_the_objects_they_name() {
    let objects = documents(&template(EVERYTHING));
    let container =
        &find(&objects, "Deployment", "storectl")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["image"],
        "registry.example.com/storectl@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    );
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for arg in [
        "--allowed-domain=shops.example.com",
        "--allowed-domain=other.example.com",
        "--cors-origin=https://dash.example.com",
        "--set=global.domain=shops.example.com",
    ] {
        assert!(args.contains(&arg), "{arg} missing from {args:?}");
    }
    // The dashboard: / of the public host to the Service's HTTPS port.
    let ingress = find(&objects, "Ingress", "storectl");
    let rule = &ingress["spec"]["rules"][0];
    assert_eq!(rule["host"], "stores.example.com");
    assert_eq!(rule["http"]["paths"][0]["path"], "/");
    assert_eq!(
        rule["http"]["paths"][0]["backend"]["service"],
        json!({"name": "storectl", "port": {"name": "https"}})
    );
    assert_eq!(ingress["spec"]["tls"][0]["secretName"], "storectl-tls");
    let certificate = find(&objects, "Certificate", "storectl");
    assert_eq!(certificate["spec"]["secretName"], "storectl-tls");
    assert_eq!(
        certificate["spec"]["dnsNames"],
        json!([
            "storectl.ecommerce-platform.svc",
            "storectl.ecommerce-platform.svc.cluster.local",
            "stores.example.com"
        ])
    );
    assert_eq!(certificate["spec"]["issuerRef"]["name"], "letsencrypt");

    // Read-only: the reads alone, and out of the platform namespace's writers.
    let readonly = documents(&template(&["serve.readonly=true"]));
    let binding = find(&readonly, "ClusterRoleBinding", "storectl-serve");
    assert_eq!(binding["roleRef"]["name"], "storectl-reader");
    let platform = find(&readonly, "RoleBinding", "storectl-platform");
    assert_eq!(
        platform["subjects"].as_array().unwrap().len(),
        1,
        "{platform}"
    );
    let container =
        &find(&readonly, "Deployment", "storectl")["spec"]["template"]["spec"]["containers"][0];
    assert!(
        container["args"]
            .as_array()
            .unwrap()
            .contains(&json!("--readonly"))
    );

    // Another namespace is refused with the reason, not rendered wrong.
    let elsewhere = run_helm(&[
        "template",
        "storectl",
        "charts/storectl",
        "--namespace",
        "shops",
    ]);
    assert!(!elsewhere.status.success());
    assert!(
        String::from_utf8_lossy(&elsewhere.stderr)
            .contains("install with --namespace ecommerce-platform"),
        "{}",
        String::from_utf8_lossy(&elsewhere.stderr)
    );
}

/// The chart's objects (the Ingress on; not the Certificate, whose kind this control plane
/// does not serve) applied server-side, and the server's pod, with its ServiceAccount,
/// dry-run created in a namespace enforcing the restricted level: admitted.
#[tokio::test(flavor = "multi_thread")]
async fn the_chart_applies_to_the_control_plane_and_its_pod_is_admitted_as_restricted() {
    let cluster = cluster();
    let client = cluster.admin().await;
    let rendered = template(&[
        "namespace.create=true",
        "ingress.enabled=true",
        "ingress.host=stores.example.com",
    ]);
    let objects = documents(&rendered);
    let file = fresh_home(cluster).join("chart.yaml");
    let text: Vec<String> = objects
        .iter()
        .map(|o| serde_yaml_ng::to_string(o).unwrap())
        .collect();
    std::fs::write(&file, text.join("---\n")).unwrap();
    let applied = apply_file(&client, &file).await;
    for object in [
        "Namespace/ecommerce-platform",
        "ServiceAccount/storectl",
        "ClusterRole/storectl-operator",
        "ClusterRole/storectl-store-writer",
        "RoleBinding/storectl-platform",
        "ClusterRoleBinding/storectl-serve",
        "ValidatingAdmissionPolicy/storectl-writes",
        "Deployment/storectl",
        "Service/storectl",
        "NetworkPolicy/storectl-api",
        "Ingress/storectl",
    ] {
        assert!(
            applied.iter().any(|a| a == object),
            "{object} not applied: {applied:?}"
        );
    }

    let restricted = unique("chart-restricted");
    Api::<Namespace>::all(client.clone())
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {
                "name": restricted,
                "labels": {"pod-security.kubernetes.io/enforce": "restricted"}
            }}))
            .unwrap(),
        )
        .await
        .unwrap();
    Api::<ServiceAccount>::namespaced(client.clone(), &restricted)
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "storectl"}})).unwrap(),
        )
        .await
        .unwrap();
    let spec = find(&objects, "Deployment", "storectl")["spec"]["template"]["spec"].clone();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &restricted);
    let pod = json!({"metadata": {"name": "storectl"}, "spec": spec});
    pods.create(
        &PostParams {
            dry_run: true,
            ..Default::default()
        },
        &serde_json::from_value(pod).unwrap(),
    )
    .await
    .unwrap_or_else(|e| panic!("the restricted level refuses the chart's pod: {e}"));
    // A dry run: nothing was made.
    assert!(
        pods.list(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
