//! Pinned WooCommerce (issue 23, point 2) against the real control plane with the node
//! simulator: the setup Job installs exactly `woocommerce.version`, an upgrade that
//! changes it starts a database upgrade Job that installs exactly the new one and
//! records it in the revision, and a version that is not one is refused before any API
//! call. What the Jobs run never runs here (the simulator runs no container):
//! tests/wordpress_jobs.rs runs it, taken from the same rendered Jobs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{cluster, storectl, unique};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::Api;
use serde_json::Value;

const ADMIN: &str = "devcluster-admin";
const A: &str = "9.8.5";
const B: &str = "10.1.2";

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// The lines of the `sh -c` steps of a Job's main container.
fn script_lines(job: &Job) -> Vec<String> {
    let container = job.spec.clone().unwrap().template.spec.unwrap().containers[0].clone();
    container.command.unwrap()[2]
        .lines()
        .map(str::to_string)
        .collect()
}

/// `name` in the environment of a Job's main container: the pins the PHP installs.
fn env_of(job: &Job, name: &str) -> String {
    let container = job.spec.clone().unwrap().template.spec.unwrap().containers[0].clone();
    container
        .env
        .unwrap()
        .into_iter()
        .find(|e| e.name == name)
        .and_then(|e| e.value)
        .unwrap_or_else(|| panic!("no {name} in {}", job.metadata.name.clone().unwrap()))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_to_a_new_woocommerce_version_installs_exactly_it_and_records_it() {
    let c = cluster();
    let name = unique("pinned");
    let namespace = format!("store-{name}");
    let set_a = format!("woocommerce.version={A}");
    let create = [
        "create",
        &name,
        "--set",
        &set_a,
        "--wait",
        "--timeout",
        "90s",
    ];
    block(|| storectl(c, ADMIN, &create).expect_code(0));
    let jobs: Api<Job> = Api::namespaced(c.admin().await, &namespace);
    let setup = jobs.get(&format!("{name}-setup")).await.unwrap();
    assert_eq!(
        env_of(&setup, "WP_PINNED_PLUGINS"),
        format!("woocommerce={A}")
    );
    assert!(
        script_lines(&setup).contains(&r#"php -r "$1" plugins-install"#.to_string()),
        "{:#?}",
        script_lines(&setup)
    );

    let set_b = format!("woocommerce.version={B}");
    // diff names it: the pinned version is on the WordPress Deployment (not its pods).
    let diff = block(|| storectl(c, ADMIN, &["diff", &name, "--set", &set_b]).expect_code(1));
    assert_eq!(
        diff.stdout,
        format!(
            "Deployment/{name}-wordpress (update)\n  metadata.annotations.storectl.io/woocommerce-version: \"{A}\" -> \"{B}\"\n"
        ),
        "{diff:?}"
    );
    let upgrade = [
        "upgrade",
        &name,
        "--set",
        &set_b,
        "--wait",
        "--timeout",
        "90s",
    ];
    let run = block(|| storectl(c, ADMIN, &upgrade).expect_code(0));
    let change = format!("woocommerce.version: {A} -> {B}");
    assert!(run.stdout.contains(&change), "the plan names it: {run:?}");

    let job = jobs
        .get(&format!("{name}-db-upgrade-2"))
        .await
        .unwrap_or_else(|e| panic!("no database upgrade Job for the new version: {e}; {run:?}"));
    assert_eq!(
        env_of(&job, "WP_PINNED_PLUGINS"),
        format!("woocommerce={B}")
    );
    let lines = script_lines(&job);
    let at = |line: &str| lines.iter().position(|l| l == line);
    let update = r#"php -r "$1" plugins-upgrade"#;
    assert!(
        at(update).is_some() && at(update) < at(r#"php -r "$1" woocommerce-update"#),
        "{lines:#?}"
    );

    let history = block(|| storectl(c, ADMIN, &["history", &name, "-o", "json"]).expect_code(0));
    let history: Value = serde_json::from_str(&history.stdout).unwrap();
    assert_eq!(history[1]["revision"], 2, "{history:#}");
    assert_eq!(
        history[1]["change"],
        format!("upgrade: {change}").as_str(),
        "{history:#}"
    );
    // The revision records the configuration: read back, it has the new version.
    let maps: Api<ConfigMap> = Api::namespaced(c.admin().await, &namespace);
    let recorded = maps.get(&format!("{name}-revision-2")).await.unwrap();
    let config = storectl::domain::revision::config_of(&recorded).unwrap();
    assert_eq!(config.woocommerce.version, B);
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_woocommerce_version_that_is_not_one_is_refused_and_nothing_is_made() {
    let c = cluster();
    let name = unique("latest");
    let run = block(|| {
        storectl(
            c,
            ADMIN,
            &["create", &name, "--set", "woocommerce.version=latest"],
        )
        .expect_code(2)
    });
    assert_eq!(
        run.stderr.trim_end(),
        "error: woocommerce.version (set in --set woocommerce.version=latest): 'latest' is not a version: use digits and dots, like 10.1.2",
        "{run:?}"
    );
    let namespaces: Api<Namespace> = Api::all(c.admin().await);
    assert!(
        namespaces
            .get_opt(&format!("store-{name}"))
            .await
            .unwrap()
            .is_none()
    );
    // Before any API call: against a server that cannot be reached it is the same exit 2
    // (reaching for the API would be exit 6).
    let scratch = c.kubeconfig.parent().unwrap().join(unique("unreachable"));
    std::fs::create_dir_all(&scratch).unwrap();
    let kubeconfig = scratch.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- name: x\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\ncontexts:\n- name: x\n  context: {cluster: x, user: x}\nusers:\n- name: x\n  user: {token: t}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(["create", &name, "--set", "woocommerce.version=latest"])
        .env_clear()
        .env("KUBECONFIG", &kubeconfig)
        .env("HOME", &scratch)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_extra_plugin_added_by_an_upgrade_is_installed_at_exactly_its_version() {
    let c = cluster();
    let name = unique("extra");
    let namespace = format!("store-{name}");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    let file = c.kubeconfig.parent().unwrap().join(unique("extra.yaml"));
    std::fs::write(
        &file,
        "woocommerce:\n  extraPlugins:\n    - {name: mailpoet, version: \"5.12\"}\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let upgrade = ["upgrade", &name, "-f", file, "--wait", "--timeout", "90s"];
    let run = block(|| storectl(c, ADMIN, &upgrade).expect_code(0));
    assert!(run.stdout.contains("woocommerce.extraPlugins: "), "{run:?}");
    let jobs: Api<Job> = Api::namespaced(c.admin().await, &namespace);
    let job = jobs
        .get(&format!("{name}-db-upgrade-2"))
        .await
        .unwrap_or_else(|e| panic!("no database upgrade Job for the new plugin: {e}; {run:?}"));
    let pinned = env_of(&job, "WP_PINNED_PLUGINS");
    assert!(pinned.ends_with(" mailpoet=5.12"), "{pinned}");
    let maps: Api<ConfigMap> = Api::namespaced(c.admin().await, &namespace);
    let recorded = maps.get(&format!("{name}-revision-2")).await.unwrap();
    let config = storectl::domain::revision::config_of(&recorded).unwrap();
    assert_eq!(config.woocommerce.extra_plugins[0].name, "mailpoet");
    assert_eq!(config.woocommerce.extra_plugins[0].version, "5.12");
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(0));
}
