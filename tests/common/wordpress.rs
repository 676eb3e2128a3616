//! What the tests of a store's PHP share (tests/store_php.rs, tests/wordpress_jobs.rs),
//! no control plane needed: Debian's MariaDB started in a temporary folder on a free
//! port, a WordPress folder as a store's Job sees it (Debian's core, its own
//! wp-content, the official image's wp-config.php settings), a rendered container's
//! environment with its Secret references resolved from the rendered Secret, and a
//! `php -S` that serves files. A missing tool fails the test (CI must have it):
//! `scripts/test` installs php8.2-cli, php8.2-mysql, php8.2-curl, mariadb-server,
//! wordpress and zip.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Container, Secret};

/// Debian's WordPress core (package `wordpress`, 6.1).
pub const DEBIAN_WORDPRESS: &str = "/usr/share/wordpress";
/// The tests' wp-config.php: the official image's settings, from the environment.
pub const WP_CONFIG: &str = include_str!("../fixtures/wp-config-docker.php");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `cmd`, which must succeed.
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

/// `name` (a path, or a program on PATH); a test fails, not skips, without it.
pub fn tool(name: &str) -> String {
    let found = Path::new(name).exists()
        || std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(name).is_file()));
    assert!(
        found,
        "{name} is missing: these tests need php8.2-cli, php8.2-mysql, php8.2-curl, mariadb-server, wordpress and zip (scripts/test installs them)"
    );
    name.to_string()
}

/// MariaDB on a free port, its root reached over the socket only.
pub struct MariaDb {
    pub server: Server,
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
            server,
            port,
            socket,
        }
    }

    /// `sql` run as root; its output, tab-separated, without column names.
    pub fn query(&self, sql: &str) -> String {
        let out = run(Command::new(tool("mysql"))
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-u", "root", "--batch", "--skip-column-names", "-e"])
            .arg(sql));
        String::from_utf8(out.stdout).unwrap()
    }

    /// The store's database and user as the store's MySQL has them, from the
    /// `WORDPRESS_DB_*` of `env`; `env`'s host then points here.
    pub fn create_store_database(&self, env: &mut BTreeMap<String, String>) {
        self.query(&format!(
            "CREATE DATABASE `{db}`; CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; \
             GRANT ALL ON `{db}`.* TO '{user}'@'%';",
            db = env["WORDPRESS_DB_NAME"],
            user = env["WORDPRESS_DB_USER"],
            password = env["WORDPRESS_DB_PASSWORD"],
        ));
        env.insert(
            "WORDPRESS_DB_HOST".into(),
            format!("127.0.0.1:{}", self.port),
        );
    }
}

/// `container`'s environment as the kubelet gives it: each Secret reference resolved
/// from `secret` (the rendered one, named `secret_name`).
pub fn resolved_env(
    container: &Container,
    secret: &Secret,
    secret_name: &str,
) -> BTreeMap<String, String> {
    let data = secret.string_data.clone().unwrap_or_default();
    resolved_env_from(
        container,
        &BTreeMap::from([(secret_name.to_string(), data)]),
    )
}

/// `container`'s environment with each Secret reference resolved from `secrets` (name →
/// data); a reference to any other Secret, or to a key it lacks, fails the test.
pub fn resolved_env_from(
    container: &Container,
    secrets: &BTreeMap<String, BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    container
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
                    let data = secrets.get(&r.name).unwrap_or_else(|| {
                        panic!("{} comes from Secret {}, unknown here", e.name, r.name)
                    });
                    data.get(&r.key).cloned().unwrap_or_else(|| {
                        panic!("{} names {} that the Secret lacks", e.name, r.key)
                    })
                }
                None => e.value.clone().unwrap_or_default(),
            };
            (e.name.clone(), value)
        })
        .collect()
}

/// A WordPress folder at `dir` as the store's Jobs have it: Debian's core without its
/// wp-content and its own wp-config.php, the tests' wp-config.php (the official image's
/// settings), and a wp-content of the store's own with the default theme.
pub fn wordpress_folder(dir: &Path) -> PathBuf {
    let root = dir.join("html");
    std::fs::create_dir_all(&root).unwrap();
    for entry in std::fs::read_dir(tool(DEBIAN_WORDPRESS)).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if ["wp-content", "wp-config.php", ".htaccess"].contains(&name.as_str()) {
            continue;
        }
        run(Command::new("cp").arg("-a").arg(&path).arg(&root));
    }
    std::fs::write(root.join("wp-config.php"), WP_CONFIG).unwrap();
    let content = root.join("wp-content");
    for folder in ["plugins", "uploads", "themes"] {
        std::fs::create_dir_all(content.join(folder)).unwrap();
    }
    let themes = Path::new(DEBIAN_WORDPRESS).join("wp-content/themes");
    for theme in std::fs::read_dir(themes).unwrap() {
        run(Command::new("cp")
            .arg("-a")
            .arg(theme.unwrap().path())
            .arg(content.join("themes")));
    }
    root
}

/// `php -S` serving the folder `root` with `env` (and nothing else of the test's), its
/// request log in `log`.
pub fn php_server(root: &Path, env: &BTreeMap<String, String>, log: &Path) -> (Server, u16) {
    let port = free_port();
    let child = Command::new(tool("php"))
        .arg("-S")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-t")
        .arg(root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let server = Server(child);
    wait_until(&format!("php -S never listened on {port}"), || {
        listening(port)
    });
    (server, port)
}

/// A WordPress folder ([`wordpress_folder`]) to run PHP in: storectl's must-use plugins
/// put where a store mounts them, PHP run with exactly a given environment, and
/// WordPress installed by its own `wp_install()` where a test needs an installed site
/// (storectl's setup itself is tests/wordpress_jobs.rs's).
pub struct WordPress {
    pub root: PathBuf,
}

impl WordPress {
    pub fn new(dir: &Path) -> Self {
        let root = wordpress_folder(dir);
        std::fs::create_dir_all(root.join("wp-content/mu-plugins")).unwrap();
        Self { root }
    }

    /// Puts `source` at `wp-content/mu-plugins/<file>`, as a store's mount does.
    pub fn must_use(&self, file: &str, source: &str) {
        std::fs::write(self.root.join("wp-content/mu-plugins").join(file), source).unwrap();
    }

    /// `php` run in the folder with exactly `env` (and PATH); it may fail.
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

    /// `code` run after loading WordPress; what it printed. It must succeed.
    pub fn eval(&self, env: &BTreeMap<String, String>, code: &str) -> String {
        let out = self.php(env, &["-r", &format!("require 'wp-load.php'; {code}")]);
        assert!(
            out.status.success(),
            "{code}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// WordPress installed in the database `env` names.
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
