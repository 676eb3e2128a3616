//! The PHP that runs in a store, run for real: the WordPress container's readiness
//! endpoint (docs/stores.md), taken from the rendered ConfigMap, served by Debian's PHP
//! 8.2 (`php -S`, with mysqli) with the environment of the rendered WordPress container
//! (its Secret references resolved from the rendered Secret), against Debian's MariaDB
//! started here on a free port. `scripts/test` installs php8.2-cli, php8.2-mysql and
//! mariadb-server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::wordpress::{MariaDb, listening, php_server, resolved_env, wait_until};
use k8s_openapi::api::core::v1::{Container, Secret};
use storectl::domain::config::{self, Sources};
use storectl::domain::credentials::Credentials;
use storectl::domain::layout::StoreLayout;
use storectl::domain::manifests::{HEALTH_FILE, HEALTH_PATH, Manifest, render};
use storectl::domain::name::StoreName;

/// The rendered store: the endpoint's source from its ConfigMap, and the WordPress
/// container's environment with every Secret reference resolved from the rendered
/// Secret (as the kubelet does).
fn rendered() -> (String, BTreeMap<String, String>) {
    let config = config::load(&Sources::default()).unwrap_or_else(|e| panic!("{e}"));
    let name = StoreName::parse("shop1", &config.stores.namespace_prefix).unwrap();
    let layout = StoreLayout::new(&name, &config);
    let objects = render(&layout, &config, &Credentials::generate().unwrap());
    let mut php = None;
    let mut secret = Secret::default();
    let mut container: Option<Container> = None;
    for object in &objects {
        match object {
            Manifest::ConfigMap(map) => {
                if let Some(file) = map.data.as_ref().and_then(|d| d.get(HEALTH_FILE)) {
                    php = Some(file.clone());
                }
            }
            Manifest::Secret(s) => secret = s.clone(),
            Manifest::Deployment(d) if object.name() == "shop1-wordpress" => {
                let spec = d.spec.as_ref().and_then(|s| s.template.spec.as_ref());
                container = spec.map(|s| s.containers[0].clone());
            }
            _ => {}
        }
    }
    let container = container.expect("no WordPress Deployment rendered");
    let probe = container
        .readiness_probe
        .as_ref()
        .and_then(|p| p.http_get.as_ref());
    assert_eq!(
        probe.and_then(|g| g.path.as_deref()),
        Some(HEALTH_PATH),
        "the readiness probe asks another path"
    );
    let env = resolved_env(&container, &secret, &layout.secret());
    (php.expect("no health ConfigMap rendered"), env)
}

/// `php -S` serving `php` as HEALTH_PATH with `env` (and nothing else of the test's).
fn serve(
    dir: &Path,
    php: &str,
    env: &BTreeMap<String, String>,
) -> (common::wordpress::Server, u16) {
    let root = dir.join("html");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join(HEALTH_PATH.trim_start_matches('/')), php).unwrap();
    php_server(&root, env, &dir.join("php.log"))
}

fn get(port: u16) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut reply = agent
        .get(format!("http://127.0.0.1:{port}{HEALTH_PATH}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {HEALTH_PATH}: {e}"));
    let status = reply.status().as_u16();
    (status, reply.body_mut().read_to_string().unwrap())
}

/// A 503 whose body is one line `database: <why>`, with a reason, and no password in it.
fn assert_database_failure(status: u16, body: &str, secrets: &[&str]) {
    assert_eq!(status, 503, "{body}");
    let line = body.strip_suffix('\n').unwrap_or(body);
    assert!(!line.contains('\n'), "more than one line: {body:?}");
    let why = line
        .strip_prefix("database: ")
        .unwrap_or_else(|| panic!("not a database reason: {body:?}"));
    assert!(!why.trim().is_empty(), "no reason: {body:?}");
    for secret in secrets {
        assert!(
            !body.contains(secret),
            "the password is in the answer: {body:?}"
        );
    }
}

#[test]
fn the_health_endpoint_is_ok_with_the_database_and_names_the_database_when_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (php, mut env) = rendered();
    let password = env["WORDPRESS_DB_PASSWORD"].clone();
    assert!(password.len() >= 16, "the rendered password: {password:?}");
    // The one value the cluster gives and this machine cannot: the MySQL Service's name.
    assert_eq!(env["WORDPRESS_DB_HOST"], "shop1-mysql:3306");
    let db = MariaDb::start(dir.path());
    let db_port = db.port;
    db.create_store_database(&mut env);

    let (_php, port) = serve(&dir.path().join("up"), &php, &env);
    assert_eq!(get(port), (200, "ok\n".to_string()));

    // A wrong password: refused by the server, said without either password.
    let wrong = "N0tTheStoresPassw0rd";
    let mut bad = env.clone();
    bad.insert("WORDPRESS_DB_PASSWORD".into(), wrong.into());
    let (_bad_php, bad_port) = serve(&dir.path().join("wrong"), &php, &bad);
    let (status, body) = get(bad_port);
    assert_database_failure(status, &body, &[&password, wrong]);
    assert!(body.contains("Access denied"), "{body}");

    // The database stops: the same server now answers 503.
    drop(db);
    wait_until("mariadbd still listens after it was stopped", || {
        !listening(db_port)
    });
    let (status, body) = get(port);
    assert_database_failure(status, &body, &[&password]);
}
