//! The setup Job and the database upgrade Job run for real (issue 23, points 2 and 7):
//! each Job's main container command, taken from the rendered Job with its environment
//! (Secret references resolved from the rendered Secret), run as the Job runs it
//! (`sh -c STEPS NAME PHP`, in the WordPress folder) by Debian's php8.2 against Debian's
//! MariaDB and Debian's WordPress 6.1 core, the plugins' zips served by `php -S` from
//! zips this test builds: a stand-in WooCommerce (a `WC_Install` with update callbacks
//! that record that they ran) at three versions, an extra pinned plugin at two, and a
//! plugin of `setup.plugins` at its latest stable release. No control plane needed;
//! the harness is tests/common/wordpress.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::wordpress::{MariaDb, php_server, resolved_env, run, tool, wordpress_folder};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Secret;
use storectl::domain::config::{self, Config, Sources, ValuesText};
use storectl::domain::credentials::Credentials;
use storectl::domain::layout::StoreLayout;
use storectl::domain::manifests::{Manifest, database_upgrade_job, render};
use storectl::domain::name::StoreName;

const WOO_1: &str = "1.0.0";
const WOO_2: &str = "2.0.0";
/// Served, but its zip holds WooCommerce 2.0.0.
const WOO_WRONG: &str = "3.0.0";

/// The stand-in WooCommerce at `version`: the parts storectl's update uses (WC_ABSPATH,
/// WC_Install's update callbacks and update_db_version, wc-update-functions.php); each
/// update callback appends "<name> by <version>" to the option `standin_updates`.
fn woocommerce(version: &str) -> Vec<(&'static str, String)> {
    let callbacks = if version == WOO_1 {
        "['1.0.0' => ['standin_update_100']]"
    } else {
        "['1.0.0' => ['standin_update_100'], '2.0.0' => ['standin_update_200_a', 'standin_update_200_b']]"
    };
    vec![
        (
            "woocommerce.php",
            format!(
                "<?php\n/**\n * Plugin Name: WooCommerce (storectl's stand-in)\n * Version: {version}\n */\n\
                 defined('ABSPATH') || exit;\ndefine('WC_ABSPATH', __DIR__ . '/');\ndefine('WC_VERSION', '{version}');\n\
                 include_once WC_ABSPATH . 'includes/class-wc-install.php';\n\
                 register_activation_hook(__FILE__, ['WC_Install', 'install']);\n"
            ),
        ),
        (
            "includes/class-wc-install.php",
            format!(
                "<?php\nclass WC_Install {{\n\
                 public static function install() {{ if (!get_option('woocommerce_db_version')) {{ self::update_db_version(); }} }}\n\
                 public static function get_db_update_callbacks() {{ return {callbacks}; }}\n\
                 public static function update_db_version($version = null) {{ update_option('woocommerce_db_version', $version ?? WC_VERSION); }}\n}}\n"
            ),
        ),
        (
            "includes/wc-update-functions.php",
            "<?php\nfunction standin_ran($name) { $ran = get_option('standin_updates', []); $ran[] = \"$name by \" . WC_VERSION; update_option('standin_updates', $ran); }\n\
             function standin_update_100() { standin_ran('standin_update_100'); }\n\
             function standin_update_200_a() { standin_ran('standin_update_200_a'); }\n\
             function standin_update_200_b() { standin_ran('standin_update_200_b'); }\n"
                .to_string(),
        ),
    ]
}

fn plain_plugin(slug: &str, version: &str) -> Vec<(String, String)> {
    vec![(
        format!("{slug}.php"),
        format!("<?php\n/**\n * Plugin Name: {slug}\n * Version: {version}\n */\n"),
    )]
}

/// `{zips}/{slug}.{name}.zip` holding the folder `{slug}` with `files`.
fn zip<P: AsRef<Path>>(zips: &Path, slug: &str, name: &str, files: &[(P, String)]) {
    let staging = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = staging.path().join(slug).join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    run(Command::new(tool("zip"))
        .current_dir(staging.path())
        .arg("-qr")
        .arg(zips.join(format!("{slug}.{name}.zip")))
        .arg(slug));
}

/// The plugin source: every zip this test needs, served by `php -S` (its log says what
/// was downloaded).
struct Source {
    _server: common::wordpress::Server,
    url: String,
    log: PathBuf,
}

impl Source {
    fn start(dir: &Path) -> Self {
        let zips = dir.join("zips");
        std::fs::create_dir_all(&zips).unwrap();
        zip(&zips, "woocommerce", WOO_1, &woocommerce(WOO_1));
        zip(&zips, "woocommerce", WOO_2, &woocommerce(WOO_2));
        zip(&zips, "woocommerce", WOO_WRONG, &woocommerce(WOO_2));
        zip(
            &zips,
            "standin-extra",
            "1.0",
            &plain_plugin("standin-extra", "1.0"),
        );
        zip(
            &zips,
            "standin-extra",
            "1.1",
            &plain_plugin("standin-extra", "1.1"),
        );
        let latest = plain_plugin("standin-latest", "4.2");
        zip(&zips, "standin-latest", "latest-stable", &latest);
        std::fs::write(zips.join("standin-extra.9.9.zip"), "not a zip\n").unwrap();
        let log = dir.join("zips.log");
        let (server, port) = php_server(&zips, &BTreeMap::new(), &log);
        Self {
            _server: server,
            url: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// `GET <path> <status>` for each request served so far.
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let (_, rest) = l.split_once(" [")?;
                let (status, rest) = rest.split_once("]: ")?;
                let path = rest.strip_prefix("GET ")?;
                Some(format!("GET {} {status}", path.split(' ').next()?))
            })
            .collect()
    }
}

/// The store's configuration: WooCommerce `woo`, the extra plugin at `extra`, one plugin
/// of `setup.plugins`, plugins from `source`.
fn config(woo: &str, extra: &str, source: &str) -> Config {
    let text = format!(
        "woocommerce: {{version: '{woo}', source: '{source}', extraPlugins: [{{name: standin-extra, version: '{extra}'}}]}}\nsetup: {{plugins: [standin-latest]}}\n"
    );
    config::load(&Sources {
        files: vec![ValuesText::new("test.yaml", text)],
        ..Sources::default()
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn layout(config: &Config) -> StoreLayout {
    let name = StoreName::parse("shop1", &config.stores.namespace_prefix).unwrap();
    StoreLayout::new(&name, config)
}

/// The rendered setup Job and Secret.
fn rendered(config: &Config) -> (Job, Secret) {
    let objects = render(&layout(config), config, &Credentials::generate().unwrap());
    let mut job = None;
    let mut secret = None;
    for object in objects {
        match object {
            Manifest::Job(j) => job = Some(j),
            Manifest::Secret(s) => secret = Some(s),
            _ => {}
        }
    }
    (job.expect("no setup Job"), secret.expect("no Secret"))
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// The store: its database, its WordPress folder, its Secret.
struct Store {
    db: MariaDb,
    root: PathBuf,
    secret: Secret,
    database: String,
}

impl Store {
    /// `job`'s main container as the kubelet runs it: its command with its environment
    /// alone, in its working directory (here the test's WordPress folder), the database
    /// host the one value changed (the MySQL Service's name does not resolve here).
    fn run(&self, job: &Job, config: &Config) -> Ran {
        self.run_with(job, config, &[])
    }

    /// As `run`, with the environment's `changes` (a wrong password, say).
    fn run_with(&self, job: &Job, config: &Config, changes: &[(&str, &str)]) -> Ran {
        let pod = job.spec.clone().unwrap().template.spec.unwrap();
        let main = &pod.containers[0];
        assert_eq!(main.image.as_deref(), Some(config.wordpress.image.as_str()));
        assert_eq!(main.working_dir.as_deref(), Some("/var/www/html"));
        let mut env = resolved_env(main, &self.secret, &layout(config).secret());
        env.insert(
            "WORDPRESS_DB_HOST".into(),
            format!("127.0.0.1:{}", self.db.port),
        );
        // The init container that waits for MySQL, run too (it is PHP of its own).
        let wait = &pod.init_containers.as_ref().unwrap()[0];
        assert_eq!(wait.name, "wait-for-mysql");
        let mut wait_env = resolved_env(wait, &self.secret, &layout(config).secret());
        wait_env.insert("WORDPRESS_DB_HOST".into(), env["WORDPRESS_DB_HOST"].clone());
        let waited = command(wait.command.as_ref().unwrap(), &self.root, &wait_env);
        assert_eq!(waited.code, Some(0), "{}", waited.stderr);
        env.extend(
            changes
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string())),
        );
        let ran = command(main.command.as_ref().unwrap(), &self.root, &env);
        // No value of the Secret (passwords, salts) is ever printed.
        for secret in self.secret.string_data.iter().flat_map(|d| d.values()) {
            assert!(
                !ran.stdout.contains(secret.as_str()) && !ran.stderr.contains(secret.as_str()),
                "a password is in the output: {}{}",
                ran.stdout,
                ran.stderr
            );
        }
        ran
    }

    fn option(&self, name: &str) -> String {
        self.db
            .query(&format!(
                "SELECT option_value FROM `{}`.wp_options WHERE option_name = '{name}'",
                self.database
            ))
            .trim_end()
            .to_string()
    }

    fn set_option(&self, name: &str, value: &str) {
        self.db.query(&format!(
            "UPDATE `{}`.wp_options SET option_value = '{value}' WHERE option_name = '{name}'",
            self.database
        ));
    }

    /// Every option but transients, for "changed nothing".
    fn options(&self) -> String {
        self.db.query(&format!(
            "SELECT option_name, option_value FROM `{}`.wp_options WHERE option_name NOT LIKE '%transient%' ORDER BY option_name",
            self.database
        ))
    }

    fn plugin_version(&self, slug: &str) -> String {
        let text = std::fs::read_to_string(
            self.root
                .join(format!("wp-content/plugins/{slug}/{slug}.php")),
        )
        .unwrap_or_else(|e| panic!("{slug}: {e}"));
        let line = text.lines().find(|l| l.contains("Version: ")).unwrap();
        line.split("Version: ").nth(1).unwrap().trim().to_string()
    }
}

fn command(command: &[String], dir: &Path, env: &BTreeMap<String, String>) -> Ran {
    let out = Command::new(&command[0])
        .args(&command[1..])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env)
        .output()
        .unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Exit 0, `last` the last line, nothing on stderr (no PHP warning either).
fn assert_success(ran: &Ran, last: &str) {
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    assert_eq!(ran.stdout.lines().last(), Some(last), "{}", ran.stdout);
    assert_eq!(ran.stderr, "", "{}", ran.stdout);
}

/// Exit 1 and one line on stderr: `error: <step>: <why>`.
fn assert_failure(ran: &Ran, line: &str) {
    assert_eq!(ran.code, Some(1), "{}{}", ran.stdout, ran.stderr);
    assert_eq!(ran.stderr, format!("{line}\n"), "stdout: {}", ran.stdout);
}

#[test]
fn setup_installs_wordpress_and_the_pinned_plugins_and_upgrades_replace_exactly_what_changed() {
    // Missing tools fail here with what to install (never a skip).
    for needed in ["php", "zip", "mysql", common::wordpress::DEBIAN_WORDPRESS] {
        tool(needed);
    }
    let dir = tempfile::tempdir().unwrap();
    let source = Source::start(dir.path());
    let first = config(WOO_1, "1.0", &source.url);
    let (setup, secret) = rendered(&first);
    let db = MariaDb::start(dir.path());
    let container = &setup
        .spec
        .clone()
        .unwrap()
        .template
        .spec
        .unwrap()
        .containers[0];
    let mut env = resolved_env(container, &secret, &layout(&first).secret());
    db.create_store_database(&mut env);
    let store = Store {
        db,
        root: wordpress_folder(dir.path()),
        secret,
        database: env["WORDPRESS_DB_NAME"].clone(),
    };

    // The database refuses the login: one line saying so, no password in it.
    let ran = store.run_with(
        &setup,
        &first,
        &[("WORDPRESS_DB_PASSWORD", "N0tTheStoresPassw0rd")],
    );
    assert_eq!(ran.code, Some(1), "{}{}", ran.stdout, ran.stderr);
    let prefix = format!(
        "error: core-install: cannot connect to the database at 127.0.0.1:{}: Access denied for user",
        store.db.port
    );
    assert!(
        ran.stderr.starts_with(&prefix) && ran.stderr.lines().count() == 1,
        "{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("N0tTheStoresPassw0rd"),
        "{}",
        ran.stderr
    );

    // A source without the zips: WordPress is installed, then the first download fails
    // with one line naming the URL.
    let missing = format!("{}/missing", source.url);
    let (bad_setup, _) = rendered(&config(WOO_1, "1.0", &missing));
    let ran = store.run(&bad_setup, &first);
    assert_failure(
        &ran,
        &format!(
            "error: plugins-install: downloading {missing}/woocommerce.{WOO_1}.zip failed: HTTP 404 Not Found"
        ),
    );
    assert!(
        !ran.stdout.contains("store setup complete"),
        "{}",
        ran.stdout
    );
    assert!(store.plugin_folder_absent("woocommerce"));

    // The setup Job, as retried: WordPress already there, the plugins installed.
    let ran = store.run(&setup, &first);
    assert_success(&ran, "store setup complete");
    assert!(
        ran.stdout.contains("WordPress is already installed"),
        "{}",
        ran.stdout
    );
    assert_eq!(store.option("siteurl"), env["WP_URL"]);
    assert_eq!(store.option("home"), env["WP_URL"]);
    assert_eq!(store.option("blogname"), env["WP_TITLE"]);
    assert_eq!(store.option("permalink_structure"), "/%postname%/");
    assert!(
        store.option("rewrite_rules").contains("(.?.+?)"),
        "no rules flushed"
    );
    let active = store.option("active_plugins");
    for plugin in [
        "woocommerce/woocommerce.php",
        "standin-extra/standin-extra.php",
        "standin-latest/standin-latest.php",
    ] {
        assert!(active.contains(plugin), "{plugin} is not active: {active}");
    }
    assert_eq!(store.plugin_version("woocommerce"), WOO_1);
    assert_eq!(store.plugin_version("standin-extra"), "1.0");
    assert_eq!(store.plugin_version("standin-latest"), "4.2");
    // WooCommerce's activation ran its install (the stand-in records the version).
    assert_eq!(store.option("woocommerce_db_version"), WOO_1);
    assert_eq!(store.admin_roles(&env), "administrator");
    let downloads = [
        format!("GET /missing/woocommerce.{WOO_1}.zip 404"),
        format!("GET /woocommerce.{WOO_1}.zip 200"),
        "GET /standin-extra.1.0.zip 200".to_string(),
        "GET /standin-latest.latest-stable.zip 200".to_string(),
    ];
    assert_eq!(source.requests(), downloads);

    // A second run changes nothing and downloads nothing.
    let before = store.options();
    let ran = store.run(&setup, &first);
    assert_success(&ran, "store setup complete");
    let after = store.options();
    let changed: Vec<&str> = after
        .lines()
        .filter(|l| !before.lines().any(|b| b == *l))
        .collect();
    assert!(changed.is_empty(), "options changed: {changed:#?}");
    assert_eq!(source.requests(), downloads);

    // An upgrade to new pins: each replaced, WooCommerce's update run, activity kept.
    let second = config(WOO_2, "1.1", &source.url);
    let upgrade = database_upgrade_job(&layout(&second), &second, 2);
    let ran = store.run(&upgrade, &second);
    assert_success(&ran, "database upgrade complete");
    assert_eq!(store.plugin_version("woocommerce"), WOO_2);
    assert_eq!(store.plugin_version("standin-extra"), "1.1");
    assert_eq!(store.option("active_plugins"), active);
    assert_eq!(store.option("woocommerce_db_version"), WOO_2);
    let ran_updates = store.option("standin_updates");
    assert!(
        ran_updates.contains("standin_update_200_a by 2.0.0")
            && ran_updates.contains("standin_update_200_b by 2.0.0")
            && !ran_updates.contains("standin_update_100"),
        "{ran_updates}"
    );
    let mut downloads = downloads.to_vec();
    downloads.push(format!("GET /woocommerce.{WOO_2}.zip 200"));
    downloads.push("GET /standin-extra.1.1.zip 200".to_string());
    assert_eq!(source.requests(), downloads);
    assert_eq!(store.leftovers(), Vec::<String>::new());

    // The same pins again: nothing downloaded, no update callback run again.
    let ran = store.run(&upgrade, &second);
    assert_success(&ran, "database upgrade complete");
    assert_eq!(source.requests(), downloads);
    assert_eq!(store.option("standin_updates"), ran_updates);

    // Core's database older than core (a new image): upgraded to core's db_version.
    let core = store.core_db_version();
    store.set_option("db_version", "50000");
    let ran = store.run(&upgrade, &second);
    assert_success(&ran, "database upgrade complete");
    assert!(
        ran.stdout.contains(&format!(
            "upgraded WordPress's database from version 50000 to {core}"
        )),
        "{}",
        ran.stdout
    );
    assert_eq!(store.option("db_version"), core);

    // A zip that is not the pinned version: refused, the installed plugin left as it was.
    let wrong = config(WOO_WRONG, "1.1", &source.url);
    let ran = store.run(&database_upgrade_job(&layout(&wrong), &wrong, 3), &wrong);
    assert_failure(
        &ran,
        &format!(
            "error: plugins-upgrade: {}/woocommerce.{WOO_WRONG}.zip holds woocommerce {WOO_2}, not {WOO_WRONG}",
            source.url
        ),
    );
    assert_eq!(store.plugin_version("woocommerce"), WOO_2);
    assert_eq!(store.option("active_plugins"), active);
    assert_eq!(store.leftovers(), Vec::<String>::new());

    // Something that is not a zip: refused the same way.
    let garbage = config(WOO_2, "9.9", &source.url);
    let ran = store.run(
        &database_upgrade_job(&layout(&garbage), &garbage, 4),
        &garbage,
    );
    assert_failure(
        &ran,
        &format!(
            "error: plugins-upgrade: {}/standin-extra.9.9.zip is not a zip WordPress can open: Incompatible Archive.",
            source.url
        ),
    );
    assert_eq!(store.plugin_version("standin-extra"), "1.1");
    assert_eq!(store.leftovers(), Vec::<String>::new());
}

impl Store {
    fn plugin_folder_absent(&self, slug: &str) -> bool {
        !self.root.join("wp-content/plugins").join(slug).exists()
    }

    /// What is left in wp-content/upgrade (the Jobs' work folders must not stay).
    fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.root.join("wp-content/upgrade"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `$wp_db_version` of the core in the folder.
    fn core_db_version(&self) -> String {
        let version = std::fs::read_to_string(self.root.join("wp-includes/version.php")).unwrap();
        let line = version
            .lines()
            .find(|l| l.starts_with("$wp_db_version = "))
            .unwrap();
        line.trim_start_matches("$wp_db_version = ")
            .trim_end_matches(';')
            .to_string()
    }

    /// The roles of the admin user, logged in with the admin password of the Secret.
    fn admin_roles(&self, env: &BTreeMap<String, String>) -> String {
        let mut env = env.clone();
        env.insert(
            "WORDPRESS_DB_HOST".into(),
            format!("127.0.0.1:{}", self.db.port),
        );
        let login = "require 'wp-load.php'; $u = wp_authenticate(getenv('WP_ADMIN_USER'), getenv('WP_ADMIN_PASSWORD')); echo is_wp_error($u) ? 'refused: ' . $u->get_error_code() : implode(',', $u->roles);";
        let args = [tool("php"), "-r".to_string(), login.to_string()];
        let ran = command(&args, &self.root, &env);
        assert_eq!(ran.code, Some(0), "{}", ran.stderr);
        ran.stdout
    }
}
