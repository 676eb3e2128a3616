//! The store's cron runner, run for real (issue 23, points 3, 4 and 7): the PHP of the
//! rendered runner ConfigMap, with the rendered runner container's environment, run by
//! Debian's PHP 8.2 on a real WordPress 6.1 (Debian's core, tests/common/wordpress.rs)
//! and MariaDB, reporting to the real kube-apiserver with a token of the namespace's
//! default ServiceAccount bound only by the rendered Role. An event scheduled in
//! WordPress's database runs; the Lease gets the versions WordPress and PHP really have,
//! which storectl's own reader (`domain::report`) reads back; the token can do nothing
//! else; a stopped database is reported without losing when cron last ran.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::wordpress::{MariaDb, WordPress, resolved_env};
use common::{cluster, unique};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Container, Namespace, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use storectl::domain::config::{self, Sources};
use storectl::domain::credentials::Credentials;
use storectl::domain::labels::REPORT_ANNOTATION;
use storectl::domain::layout::StoreLayout;
use storectl::domain::manifests::runner::{RUNNER_CONTAINER, RUNNER_FILE};
use storectl::domain::manifests::{Manifest, render};
use storectl::domain::name::StoreName;
use storectl::domain::report;
use storectl::domain::watched::observed;

/// The store as rendered: the runner's PHP, its container, its Secret, its Lease, Role
/// and RoleBinding.
struct Rendered {
    php: String,
    container: Container,
    secret: Secret,
    lease: Lease,
    role: Role,
    binding: RoleBinding,
    layout: StoreLayout,
}

fn rendered(name: &str) -> Rendered {
    let config = config::load(&Sources::default()).unwrap_or_else(|e| panic!("{e}"));
    let store = StoreName::parse(name, &config.stores.namespace_prefix).unwrap();
    let layout = StoreLayout::new(&store, &config);
    let objects = render(&layout, &config, &Credentials::generate().unwrap());
    let (mut php, mut container, mut secret) = (None, None, None);
    let (mut lease, mut role, mut binding) = (None, None, None);
    for object in objects {
        match object {
            Manifest::ConfigMap(map)
                if map
                    .data
                    .as_ref()
                    .is_some_and(|d| d.contains_key(RUNNER_FILE)) =>
            {
                php = map.data.unwrap().remove(RUNNER_FILE);
            }
            Manifest::Deployment(d)
                if d.metadata.name.as_deref() == Some(&format!("{name}-wordpress")) =>
            {
                let pod = d.spec.unwrap().template.spec.unwrap();
                container = pod
                    .containers
                    .into_iter()
                    .find(|c| c.name == RUNNER_CONTAINER);
            }
            Manifest::Secret(s) => secret = Some(s),
            Manifest::Lease(l) => lease = Some(l),
            Manifest::Role(r) => role = Some(r),
            Manifest::RoleBinding(b) if b.metadata.name.as_deref() == Some("storectl-runner") => {
                binding = Some(b)
            }
            _ => {}
        }
    }
    Rendered {
        php: php.expect("no runner ConfigMap"),
        container: container.expect("no runner container"),
        secret: secret.unwrap(),
        lease: lease.unwrap(),
        role: role.unwrap(),
        binding: binding.unwrap(),
        layout,
    }
}

/// The API server's host, port and CA (PEM), from the test cluster's kubeconfig.
fn api_server() -> (String, String, Vec<u8>) {
    let kubeconfig = kube::config::Kubeconfig::read_from(&cluster().kubeconfig).unwrap();
    let entry = kubeconfig.clusters[0].cluster.clone().unwrap();
    let url = url_parts(entry.server.as_deref().unwrap());
    let ca = std::fs::read(entry.certificate_authority.unwrap()).unwrap();
    (url.0, url.1, ca)
}

fn url_parts(server: &str) -> (String, String) {
    let rest = server.trim_start_matches("https://");
    let (host, port) = rest.trim_end_matches('/').rsplit_once(':').unwrap();
    (host.to_string(), port.to_string())
}

/// The namespace with the rendered Lease, Role and RoleBinding, and a token of its
/// default ServiceAccount written with the CA into `dir` (as the projected volume has them).
async fn report_target(r: &Rendered, dir: &Path) -> Api<Lease> {
    let client = cluster().admin().await;
    let ns = &r.layout.namespace;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(ns.clone()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap();
    let pp = PostParams::default();
    let leases: Api<Lease> = Api::namespaced(client.clone(), ns);
    leases.create(&pp, &r.lease).await.unwrap();
    Api::<Role>::namespaced(client.clone(), ns)
        .create(&pp, &r.role)
        .await
        .unwrap();
    Api::<RoleBinding>::namespaced(client.clone(), ns)
        .create(&pp, &r.binding)
        .await
        .unwrap();
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
    let mut token = None;
    for _ in 0..100 {
        let request = TokenRequest {
            spec: TokenRequestSpec {
                audiences: vec![],
                expiration_seconds: Some(3600),
                ..TokenRequestSpec::default()
            },
            ..TokenRequest::default()
        };
        match accounts
            .create_token_request("default", &pp, &request)
            .await
        {
            Ok(t) => {
                token = t.status.map(|s| s.token);
                break;
            }
            // The controller manager makes the default ServiceAccount shortly.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    std::fs::write(dir.join("token"), token.expect("no token for default")).unwrap();
    std::fs::write(dir.join("ca.crt"), api_server().2).unwrap();
    leases
}

/// A must-use plugin that records the test's event when it runs.
const TEST_EVENT: &str = "<?php add_action('storectl_test_event', function ($n) { update_option('storectl_test_ran', $n); });\n";

/// One run of the runner, as the container's loop runs it; what it printed.
fn run_runner(wp: &WordPress, file: &Path, env: &BTreeMap<String, String>) -> String {
    let out = wp.php(env, &[file.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_runner_runs_due_events_and_reports_what_wordpress_and_php_really_are() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique("runphp");
    let r = rendered(&name);
    let tokens = dir.path().join("token");
    std::fs::create_dir_all(&tokens).unwrap();
    let leases = report_target(&r, &tokens).await;

    let db = MariaDb::start(dir.path());
    let mut env = resolved_env(&r.container, &r.secret, &r.layout.secret());
    db.create_store_database(&mut env);
    assert_eq!(
        env.get("WORDPRESS_CONFIG_EXTRA").map(String::as_str),
        Some("define('DISABLE_WP_CRON', true);"),
        "page loads must not run cron"
    );
    let wp = WordPress::new(dir.path());
    wp.install(&env, "Shop", "admin@example.com");
    wp.must_use("test-event.php", TEST_EVENT);
    let (host, port, _) = api_server();
    env.insert("KUBERNETES_SERVICE_HOST".into(), host);
    env.insert("KUBERNETES_SERVICE_PORT".into(), port);
    env.insert("STORECTL_TOKEN_DIR".into(), tokens.display().to_string());
    env.insert(
        "STORECTL_WORDPRESS_ROOT".into(),
        wp.root.display().to_string(),
    );
    env.insert(
        "STORECTL_STATE".into(),
        dir.path().join("state.json").display().to_string(),
    );
    let runner = dir.path().join(RUNNER_FILE);
    std::fs::write(&runner, &r.php).unwrap();

    // An event due two minutes ago, as WooCommerce's Action Scheduler queues its own.
    wp.eval(
        &env,
        "wp_schedule_single_event(time() - 120, 'storectl_test_event', [42]);",
    );
    let line = run_runner(&wp, &runner, &env);
    assert_eq!(
        line,
        "storectl-runner: cron ran, null overdue; report sent\n"
    );
    assert_eq!(wp.eval(&env, "echo get_option('storectl_test_ran');"), "42");

    let lease = leases
        .get(&r.lease.metadata.name.clone().unwrap())
        .await
        .unwrap();
    let found = report::read(&observed(&lease).unwrap()).expect("no report in the Lease");
    let versions = found.versions.clone().unwrap();
    let wp_version = wp.eval(&env, "echo $GLOBALS['wp_version'];");
    let php_version = String::from_utf8(wp.php(&env, &["-r", "echo PHP_VERSION;"]).stdout).unwrap();
    assert!(wp_version.starts_with("6.1"), "{wp_version}");
    assert_eq!(versions.wordpress.as_deref(), Some(wp_version.as_str()));
    assert_eq!(versions.php.as_deref(), Some(php_version.as_str()));
    assert_eq!(
        versions.wordpress_database,
        versions.wordpress_database_expected
    );
    assert!(
        versions
            .database
            .as_deref()
            .is_some_and(|d| d.contains("MariaDB")),
        "{versions:?}"
    );
    assert_eq!(versions.woocommerce, None, "no WooCommerce installed");
    assert!(found.last_run.is_some(), "{lease:?}");
    assert_eq!(found.error, None);

    // What is installed is what is reported: a plugin folder named woocommerce with its
    // header's version, and WooCommerce's database version from its option.
    let plugin = wp.root.join("wp-content/plugins/woocommerce");
    std::fs::create_dir_all(&plugin).unwrap();
    std::fs::write(
        plugin.join("woocommerce.php"),
        "<?php\n/*\n * Plugin Name: WooCommerce\n * Version: 9.9.1\n */\n",
    )
    .unwrap();
    wp.eval(&env, "update_option('woocommerce_db_version', '9.9.0');");

    // Action Scheduler's past-due actions: one pending an hour ago counts, one due
    // tomorrow and one done do not.
    db.query(&format!(
        "CREATE TABLE `{db}`.wp_actionscheduler_actions (action_id INT PRIMARY KEY, status VARCHAR(20), scheduled_date_gmt DATETIME); \
         INSERT INTO `{db}`.wp_actionscheduler_actions VALUES \
         (1, 'pending', UTC_TIMESTAMP() - INTERVAL 1 HOUR), (2, 'pending', UTC_TIMESTAMP() + INTERVAL 1 DAY), \
         (3, 'complete', UTC_TIMESTAMP() - INTERVAL 2 HOUR);",
        db = env["WORDPRESS_DB_NAME"]
    ));
    assert_eq!(
        run_runner(&wp, &runner, &env),
        "storectl-runner: cron ran, 1 overdue; report sent\n"
    );
    // Unchanged, and sent a moment ago: not written again (a thousand stores, no churn).
    assert_eq!(
        run_runner(&wp, &runner, &env),
        "storectl-runner: cron ran, 1 overdue; report unchanged\n"
    );
    let lease = leases
        .get(&r.lease.metadata.name.clone().unwrap())
        .await
        .unwrap();
    let found = report::read(&observed(&lease).unwrap()).unwrap();
    let ran_at = found.last_run;
    assert_eq!(found.cron.overdue, Some(1));
    let versions = found.versions.clone().unwrap();
    assert_eq!(versions.woocommerce.as_deref(), Some("9.9.1"));
    assert_eq!(versions.woocommerce_database.as_deref(), Some("9.9.0"));
    assert!(
        !versions.plugins["woocommerce"].active,
        "installed, not active"
    );
    assert_eq!(
        report::drift(&found, &[("woocommerce".into(), "10.1.2".into())]),
        [
            "runs woocommerce 9.9.1, the revision pins 10.1.2",
            "WooCommerce's database is at 9.9.0, the plugin at 9.9.1"
        ]
    );

    // The database stops: the runner says so, and when cron last ran is kept.
    drop(db);
    let line = run_runner(&wp, &runner, &env);
    assert_eq!(
        line,
        "storectl-runner: database: cannot connect; report sent\n"
    );
    let lease = leases
        .get(&r.lease.metadata.name.clone().unwrap())
        .await
        .unwrap();
    let found = report::read(&observed(&lease).unwrap()).unwrap();
    assert_eq!(found.error.as_deref(), Some("database: cannot connect"));
    assert_eq!(found.last_run, ran_at);
    let annotation = &lease.metadata.annotations.unwrap()[REPORT_ANNOTATION];
    for secret in [&env["WORDPRESS_DB_PASSWORD"], &env["WORDPRESS_AUTH_KEY"]] {
        assert!(
            !annotation.contains(secret.as_str()),
            "a secret in the report"
        );
        assert!(
            !line.contains(secret.as_str()),
            "a secret in the runner's output"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_runners_token_may_patch_its_own_lease_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique("runtoken");
    let r = rendered(&name);
    report_target(&r, dir.path()).await;
    let token = std::fs::read_to_string(dir.path().join("token")).unwrap();
    let kubeconfig = kube::config::Kubeconfig::read_from(&cluster().kubeconfig).unwrap();
    let mut config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .unwrap();
    config.auth_info = kube::config::AuthInfo {
        token: Some(token.trim().to_string().into()),
        ..kube::config::AuthInfo::default()
    };
    let runner = kube::Client::try_from(config).unwrap();
    let ns = &r.layout.namespace;
    let leases: Api<Lease> = Api::namespaced(runner.clone(), ns);
    let note = serde_json::json!({"metadata": {"annotations": {"x": "y"}}});
    let patch = kube::api::Patch::Merge(&note);
    let params = kube::api::PatchParams::default();
    let own = r.lease.metadata.name.clone().unwrap();
    leases
        .patch(&own, &params, &patch)
        .await
        .expect("its own Lease");
    let refused = |result: Result<(), kube::Error>, what: &str| match result {
        Err(kube::Error::Api(status)) if status.code == 403 => {}
        other => panic!("{what}: {other:?}"),
    };
    refused(
        leases
            .patch("other-report", &params, &patch)
            .await
            .map(drop),
        "another Lease",
    );
    refused(
        Api::<Lease>::all(runner.clone())
            .list(&Default::default())
            .await
            .map(drop),
        "all Leases",
    );
    refused(
        Api::<Secret>::namespaced(runner.clone(), ns)
            .list(&Default::default())
            .await
            .map(drop),
        "Secrets",
    );
    refused(
        Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(runner.clone(), ns)
            .list(&Default::default())
            .await
            .map(drop),
        "ConfigMaps",
    );
    refused(
        Api::<Role>::namespaced(runner, ns)
            .patch("storectl-runner", &params, &patch)
            .await
            .map(drop),
        "its own Role",
    );
}
