//! The PHP that runs in a store, run for real: the WordPress container's readiness
//! endpoint (docs/stores.md), taken from the rendered ConfigMap, served by Debian's PHP
//! 8.2 (`php -S`, with mysqli) with the environment of the rendered WordPress container
//! (its Secret references resolved from the rendered Secret), against Debian's MariaDB
//! started here on a free port. `scripts/test` installs php8.2-cli, php8.2-mysql and
//! mariadb-server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Container;
use storectl::domain::config::{self, Sources};
use storectl::domain::credentials::Credentials;
use storectl::domain::layout::StoreLayout;
use storectl::domain::manifests::{HEALTH_FILE, HEALTH_PATH, Manifest, render};
use storectl::domain::name::StoreName;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A process killed when the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Polls until `done` holds; panics with `what` at the deadline.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tool(name: &str) -> String {
    let found = Path::new(name).exists()
        || std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(name).is_file()));
    assert!(
        found,
        "{name} is missing: these tests need php8.2-cli, php8.2-mysql and mariadb-server (scripts/test installs them)"
    );
    name.to_string()
}

/// MariaDB on a free port, its root reached over the socket only.
fn mariadb(dir: &Path) -> (Server, u16, PathBuf) {
    let data = dir.join("mysql");
    run(Command::new(tool("mariadb-install-db"))
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg("--user=root")
        .arg("--auth-root-authentication-method=socket")
        .arg("--skip-test-db")
        .arg(format!("--tmpdir={}", dir.display())));
    let port = free_port();
    let socket = dir.join("mysql.sock");
    let child = Command::new(tool("/usr/sbin/mariadbd"))
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--port={port}"))
        .arg("--bind-address=127.0.0.1")
        .arg(format!("--pid-file={}", dir.join("mysql.pid").display()))
        .arg(format!("--tmpdir={}", dir.display()))
        .arg("--user=root")
        .arg("--skip-log-bin")
        .arg("--skip-name-resolve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("mysql.log")).unwrap())
        .spawn()
        .unwrap();
    let server = Server(child);
    wait_until(&format!("mariadbd never listened on {port}"), || {
        listening(port)
    });
    (server, port, socket)
}

/// The rendered store: the endpoint's source from its ConfigMap, and the WordPress
/// container's environment with every Secret reference resolved from the rendered
/// Secret (as the kubelet does).
fn rendered() -> (String, BTreeMap<String, String>) {
    let config = config::load(&Sources::default()).unwrap_or_else(|e| panic!("{e}"));
    let name = StoreName::parse("shop1", &config.stores.namespace_prefix).unwrap();
    let layout = StoreLayout::new(&name, &config);
    let objects = render(&layout, &config, &Credentials::generate().unwrap());
    let mut php = None;
    let mut secret = BTreeMap::new();
    let mut container: Option<Container> = None;
    for object in &objects {
        match object {
            Manifest::ConfigMap(map) => {
                php = map.data.as_ref().and_then(|d| d.get(HEALTH_FILE)).cloned();
            }
            Manifest::Secret(s) => secret = s.string_data.clone().unwrap_or_default(),
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
    let env = container
        .env
        .iter()
        .flatten()
        .map(|e| {
            let value = match e
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
            {
                Some(r) => {
                    assert_eq!(r.name, layout.secret(), "{}", e.name);
                    secret.get(&r.key).cloned().unwrap_or_else(|| {
                        panic!("{} names {} that the Secret lacks", e.name, r.key)
                    })
                }
                None => e.value.clone().unwrap_or_default(),
            };
            (e.name.clone(), value)
        })
        .collect();
    (php.expect("no health ConfigMap rendered"), env)
}

/// `php -S` serving `php` as HEALTH_PATH with `env` (and nothing else of the test's).
fn serve(dir: &Path, php: &str, env: &BTreeMap<String, String>) -> (Server, u16) {
    let root = dir.join("html");
    std::fs::create_dir_all(&root).unwrap();
    let dir = root.parent().unwrap();
    std::fs::write(root.join(HEALTH_PATH.trim_start_matches('/')), php).unwrap();
    let port = free_port();
    let child = Command::new(tool("php"))
        .arg("-S")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-t")
        .arg(&root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("php.log")).unwrap())
        .spawn()
        .unwrap();
    let server = Server(child);
    wait_until(&format!("php -S never listened on {port}"), || {
        listening(port)
    });
    (server, port)
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
    let (db, db_port, socket) = mariadb(dir.path());
    env.insert("WORDPRESS_DB_HOST".into(), format!("127.0.0.1:{db_port}"));
    run(Command::new("mysql")
        .arg(format!("--socket={}", socket.display()))
        .args(["-u", "root", "-e"])
        .arg(format!(
            "CREATE DATABASE `{db}`; CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; \
             GRANT ALL ON `{db}`.* TO '{user}'@'%';",
            db = env["WORDPRESS_DB_NAME"],
            user = env["WORDPRESS_DB_USER"],
        )));

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
