//! A real WordPress for the tests of the PHP that runs in a store, without a cluster:
//! Debian's MariaDB on a free port, Debian's WordPress (6.1, /usr/share/wordpress)
//! copied into a folder with a `wp-config.php` that reads the official image's variables
//! (`WORDPRESS_DB_*`, as its `wp-config-docker.php` does), installed with WordPress's
//! own `wp_install()`, and PHP 8.2's CLI run in it with exactly a given environment.
//! `scripts/test` installs php8.2-cli, php8.2-mysql, mariadb-server and wordpress.
//! (The mail tests' harness, written beside tests/common/wordpress.rs at the same time; to be folded into it.)
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A process killed when the test ends.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Polls until `done` holds; panics with `what` at the deadline.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `name`, which must exist (a failure, never a skip, when a package is missing).
pub fn tool(name: &str) -> String {
    let found = Path::new(name).exists()
        || std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(name).is_file()));
    assert!(
        found,
        "{name} is missing: these tests need php8.2-cli, php8.2-mysql, mariadb-server and wordpress (scripts/test installs them)"
    );
    name.to_string()
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// MariaDB on a free port, its root reached over the socket only.
pub struct MariaDb {
    _server: Server,
    pub port: u16,
    pub socket: PathBuf,
}

impl MariaDb {
    pub fn start(dir: &Path) -> Self {
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
        Self {
            _server: server,
            port,
            socket,
        }
    }

    /// A database and a user with every right on it, as the store's MySQL entrypoint
    /// makes them.
    pub fn create_database(&self, database: &str, user: &str, password: &str) {
        run(Command::new("mysql")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-u", "root", "-e"])
            .arg(format!(
                "CREATE DATABASE `{database}`; CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; \
                 GRANT ALL ON `{database}`.* TO '{user}'@'%';"
            )));
    }
}

/// What the official image's wp-config-docker.php does with its variables, in short.
const WP_CONFIG: &str = r#"<?php
function storectl_test_env($name, $default) { $v = getenv($name); return $v === false || $v === '' ? $default : $v; }
define('DB_NAME', storectl_test_env('WORDPRESS_DB_NAME', 'wordpress'));
define('DB_USER', storectl_test_env('WORDPRESS_DB_USER', 'example username'));
define('DB_PASSWORD', storectl_test_env('WORDPRESS_DB_PASSWORD', 'example password'));
define('DB_HOST', storectl_test_env('WORDPRESS_DB_HOST', 'mysql'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = storectl_test_env('WORDPRESS_TABLE_PREFIX', 'wp_');
define('WP_DEBUG', false);
if (!defined('ABSPATH')) { define('ABSPATH', __DIR__ . '/'); }
require_once ABSPATH . 'wp-settings.php';
"#;

/// A WordPress folder: Debian's core copied, wp-config.php reading the environment.
pub struct WordPress {
    pub root: PathBuf,
}

impl WordPress {
    pub fn new(dir: &Path) -> Self {
        let core = Path::new("/usr/share/wordpress");
        assert!(
            core.join("wp-includes/version.php").is_file(),
            "Debian's wordpress package is missing (scripts/test installs it)"
        );
        let root = dir.join("html");
        run(Command::new("cp").arg("-r").arg(core).arg(&root));
        std::fs::write(root.join("wp-config.php"), WP_CONFIG).unwrap();
        std::fs::create_dir_all(root.join("wp-content/mu-plugins")).unwrap();
        Self { root }
    }

    /// Puts `source` at `wp-content/mu-plugins/<file>`, as a store's mount does.
    pub fn must_use(&self, file: &str, source: &str) {
        std::fs::write(self.root.join("wp-content/mu-plugins").join(file), source).unwrap();
    }

    /// `php` run in the folder with exactly `env` (and PATH).
    pub fn php(&self, env: &BTreeMap<String, String>, args: &[&str]) -> Output {
        Command::new(tool("php"))
            .args(args)
            .current_dir(&self.root)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env)
            .output()
            .unwrap()
    }

    /// WordPress installed in the database `env` names (WordPress's own `wp_install`).
    pub fn install(&self, env: &BTreeMap<String, String>, title: &str, admin_email: &str) {
        let code = format!(
            "define('WP_INSTALLING', true); $_SERVER['HTTP_HOST'] = 'localhost'; \
             require 'wp-load.php'; require_once ABSPATH . 'wp-admin/includes/upgrade.php'; \
             $r = wp_install({title:?}, 'admin', {admin_email:?}, true, '', wp_generate_password(24)); \
             echo is_wp_error($r) ? 'error' : 'installed';"
        );
        let out = self.php(env, &["-r", &code]);
        assert!(
            String::from_utf8_lossy(&out.stdout).ends_with("installed"),
            "wp_install: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
