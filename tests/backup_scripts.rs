//! The backup and restore scripts, exactly as the Jobs run them, against a real MariaDB
//! server (Debian's mariadb-server, started here on a free port) holding a
//! WordPress-shaped database, a wp-content folder, and a real S3-compatible server
//! (versitygw, built by scripts/s3-server/install) that checks SigV4 credentials and
//! payload hashes: back up, damage, restore, compare; and every refusal leaves the store
//! as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use std::collections::BTreeMap;

use common::wordpress::{MariaDb, Server, free_port, listening, run, wait_until};
use k8s_openapi::api::batch::v1::Job;
use storectl::domain::backup::{
    BACKUP_FILES, BACKUP_SCRIPT, FORGET_SCRIPT, RESTORE_SCRIPT, REWRITE_URLS_SCRIPT,
};
use storectl::domain::config::{self, Config, Sources};
use storectl::domain::layout::StoreLayout;
use storectl::domain::manifests::backup_access::{
    PresignedFile, access_job, fetch_through, presigned_files, store_access_key_id,
    store_key_secret,
};
use storectl::domain::manifests::backup_target::{
    ACCESS_KEY_ID, SECRET_ACCESS_KEY, TARGET_SERVER, target_server,
};
use storectl::domain::manifests::backups::{UrlRewrite, backup_job, restore_job};
use storectl::domain::name::StoreName;
use storectl::domain::presign::SigningKey;

const KEY: &str = "storectl-test";
const SECRET: &str = "s3cr3tS3cr3tS3cr3t";
const DB_PASSWORD: &str = "Wp0rdPassw0rd123";
const ROOT_PASSWORD: &str = "R00tPassw0rd456";

/// MariaDB with database `wordpress` and its user (rights on that database only, as
/// the official mysql image's MYSQL_USER), and root over TCP with a password (as the
/// image's MYSQL_ROOT_PASSWORD).
fn mariadb(dir: &Path) -> MariaDb {
    let db = MariaDb::start(dir);
    db.query(&format!(
        "CREATE DATABASE wordpress CHARACTER SET utf8mb4; \
         CREATE USER 'wordpress'@'%' IDENTIFIED BY '{DB_PASSWORD}'; \
         GRANT ALL ON wordpress.* TO 'wordpress'@'%'; \
         CREATE USER 'root'@'%' IDENTIFIED BY '{ROOT_PASSWORD}'; \
         GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    ));
    db
}

/// The S3 server over `dir/s3`, with bucket `backups` (the one every store shared before
/// each had its own), as the target's Deployment runs it, with the root key `KEY`.
fn s3_server(dir: &Path) -> (Server, String) {
    std::fs::create_dir_all(dir.join("s3/backups")).unwrap();
    let port = free_port();
    let server = s3_server_as_rendered(dir, port, (KEY, SECRET));
    (server, format!("http://127.0.0.1:{port}"))
}

/// versitygw run as the rendered target Deployment runs it: its init container's command,
/// then its container's arguments and root credentials (`root`), on `port`. The volume's
/// mount path is `dir/s3` (kept across restarts, as the claim is); any other path is in a
/// folder of this start alone, as a container's own filesystem is.
fn s3_server_as_rendered(dir: &Path, port: u16, root: (&str, &str)) -> Server {
    let bin = std::env::var("STORECTL_S3_SERVER").unwrap_or_else(|_| {
        let out = Command::new("scripts/s3-server/install").output().unwrap();
        assert!(
            out.status.success(),
            "scripts/s3-server/install failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    });
    let config: Config = config::load(&Sources::default()).unwrap();
    let pod = target_server(&config)
        .deployment
        .spec
        .unwrap()
        .template
        .spec
        .unwrap();
    let server = &pod.containers[0];
    let mount = server.volume_mounts.as_ref().unwrap()[0].mount_path.clone();
    let volume = dir.join("s3");
    let own_filesystem = tempfile::tempdir_in(dir).unwrap().keep();
    let local = |arg: &String| match arg.strip_prefix(&mount) {
        Some(rest) => format!("{}{rest}", volume.display()),
        None if arg.starts_with('/') => format!("{}{arg}", own_filesystem.display()),
        // The listening address (`:PORT`): loopback, on the port asked for.
        None if arg.starts_with(':') => format!("127.0.0.1:{port}"),
        None => arg.clone(),
    };
    for init in pod.init_containers.iter().flatten() {
        let command: Vec<String> = init
            .command
            .iter()
            .chain(init.args.iter())
            .flatten()
            .map(local)
            .collect();
        run(Command::new(&command[0]).args(&command[1..]));
    }
    let mut command = Command::new(&bin);
    command.args(server.args.iter().flatten().map(local));
    for var in server.env.iter().flatten() {
        let key = &var
            .value_from
            .as_ref()
            .unwrap()
            .secret_key_ref
            .as_ref()
            .unwrap()
            .key;
        let value = match key.as_str() {
            ACCESS_KEY_ID => root.0,
            SECRET_ACCESS_KEY => root.1,
            other => panic!("{} comes from key {other}, unknown here", var.name),
        };
        command.env(&var.name, value);
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("s3.log"))
        .unwrap();
    let child = command
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    let server = Server(child);
    wait_until(&format!("versitygw never listened on {port}"), || {
        listening(port)
    });
    server
}

/// A WordPress-shaped database: options (URLs, schema versions, a serialized value),
/// users, WooCommerce products (posts + meta) and orders.
const SEED_SQL: &str = r#"
CREATE TABLE wp_options (option_id BIGINT AUTO_INCREMENT PRIMARY KEY, option_name VARCHAR(191) UNIQUE, option_value LONGTEXT, autoload VARCHAR(20));
INSERT INTO wp_options (option_name, option_value, autoload) VALUES
 ('siteurl', 'http://shop.local', 'yes'), ('home', 'http://shop.local', 'yes'),
 ('db_version', '58975', 'yes'), ('woocommerce_db_version', '9.8.0', 'yes'),
 ('woocommerce_currency', 'EUR', 'yes'),
 ('widget_text', 'a:1:{i:2;a:1:{s:4:\"text\";s:17:\"http://shop.local\";}}', 'yes');
CREATE TABLE wp_users (ID BIGINT AUTO_INCREMENT PRIMARY KEY, user_login VARCHAR(60), user_email VARCHAR(100));
INSERT INTO wp_users (user_login, user_email) VALUES ('admin', 'admin@example.com'), ('maria', 'maria@example.com');
CREATE TABLE wp_posts (ID BIGINT AUTO_INCREMENT PRIMARY KEY, post_title TEXT, post_type VARCHAR(20), post_status VARCHAR(20), guid VARCHAR(255));
CREATE TABLE wp_postmeta (meta_id BIGINT AUTO_INCREMENT PRIMARY KEY, post_id BIGINT, meta_key VARCHAR(255), meta_value LONGTEXT);
CREATE TABLE wp_wc_orders (id BIGINT PRIMARY KEY, status VARCHAR(20), currency VARCHAR(10), total_amount DECIMAL(26,8), customer_id BIGINT, billing_email VARCHAR(320), date_created_gmt DATETIME);
CREATE VIEW wp_product_prices AS SELECT post_id, meta_value AS price FROM wp_postmeta WHERE meta_key = '_price';
"#;

fn seed_rows() -> String {
    let mut sql = String::from(SEED_SQL);
    for i in 1..=40 {
        sql.push_str(&format!(
            "INSERT INTO wp_posts (post_title, post_type, post_status, guid) VALUES ('Product {i} – Ümlaut ☕', 'product', 'publish', 'http://shop.local/?p={i}');\n\
             INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES ({i}, '_price', '{}.{:02}'), ({i}, '_stock', '{}');\n\
             INSERT INTO wp_wc_orders VALUES ({i}, 'wc-completed', 'EUR', {}.50, 2, 'maria@example.com', '2026-11-{:02} 10:00:00');\n",
            10 + i,
            i % 100,
            i * 3,
            i * 7,
            1 + i % 28
        ));
    }
    sql
}

struct Env {
    dir: PathBuf,
    db_port: u16,
    endpoint: String,
    wp_root: PathBuf,
}

impl Env {
    fn vars(&self, store: &str, id: &str) -> Vec<(String, String)> {
        [
            ("STORE", store.to_string()),
            ("BACKUP_ID", id.to_string()),
            ("WORDPRESS_DB_HOST", format!("127.0.0.1:{}", self.db_port)),
            ("WORDPRESS_DB_USER", "wordpress".to_string()),
            ("WORDPRESS_DB_PASSWORD", DB_PASSWORD.to_string()),
            ("WORDPRESS_DB_NAME", "wordpress".to_string()),
            ("MYSQL_ROOT_PASSWORD", ROOT_PASSWORD.to_string()),
            ("WP_ROOT", self.wp_root.display().to_string()),
            // Core beside wp-content, as on a volume from before core came from the image.
            ("WP_CORE", self.wp_root.display().to_string()),
            ("S3_ENDPOINT", self.endpoint.clone()),
            ("S3_BUCKET", "backups".to_string()),
            ("S3_PREFIX", "stores/".to_string()),
            ("AWS_ACCESS_KEY_ID", KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
            ("WORK", self.dir.join("work").display().to_string()),
            ("RESULT", self.dir.join("result").display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Runs `script` with `sh -c` as the Job does; returns (success, stdout, stderr).
    fn script(&self, script: &str, vars: &[(String, String)]) -> (bool, String, String) {
        self.script_with(script, &[], vars)
    }

    /// `sh -c script args...` (the first arg is the script's `$0`, as in a container).
    fn script_with(
        &self,
        script: &str,
        args: &[String],
        vars: &[(String, String)],
    ) -> (bool, String, String) {
        let out = Command::new("sh")
            .arg("-c")
            .arg(script)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn sql(&self, sql: &str) -> String {
        let out = run(Command::new("mysql")
            .args(["-h", "127.0.0.1", "-P", &self.db_port.to_string()])
            .args([
                "-u",
                "wordpress",
                &format!("-p{DB_PASSWORD}"),
                "-N",
                "-B",
                "wordpress",
                "-e",
                sql,
            ]));
        String::from_utf8(out.stdout).unwrap()
    }

    /// The whole database as text: every table's definition and rows.
    fn dump(&self) -> String {
        let out = run(Command::new("mysqldump")
            .args(["-h", "127.0.0.1", "-P", &self.db_port.to_string()])
            .args(["-u", "wordpress", &format!("-p{DB_PASSWORD}")])
            .args([
                "--skip-dump-date",
                "--skip-comments",
                "--no-tablespaces",
                "wordpress",
            ]));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Every file under wp-content with its SHA-256.
    fn files(&self) -> Vec<(String, String)> {
        let out = run(Command::new("sh")
            .arg("-c")
            .arg("cd \"$1\" && find wp-content -type f -exec sha256sum {} + | sort")
            .arg("sh")
            .arg(&self.wp_root));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (sha, path) = l.split_once("  ").unwrap();
                (path.to_string(), sha.to_string())
            })
            .collect()
    }
}

fn setup() -> (tempfile::TempDir, Env, MariaDb, Server) {
    let dir = tempfile::tempdir().unwrap();
    let db = mariadb(dir.path());
    let db_port = db.port;
    let (s3, endpoint) = s3_server(dir.path());
    let wp_root = dir.path().join("html");
    let content = wp_root.join("wp-content");
    for sub in [
        "uploads/2026/11",
        "plugins/woocommerce",
        "themes/storefront",
    ] {
        std::fs::create_dir_all(content.join(sub)).unwrap();
    }
    std::fs::create_dir_all(wp_root.join("wp-includes")).unwrap();
    std::fs::write(
        wp_root.join("wp-includes/version.php"),
        "<?php\n$wp_version = '6.8.1';\n$wp_db_version = 58975;\n",
    )
    .unwrap();
    let mut photo = vec![0u8; 300_000];
    getrandom::fill(&mut photo).unwrap();
    std::fs::write(content.join("uploads/2026/11/product-1.jpg"), &photo).unwrap();
    std::fs::write(
        content.join("plugins/woocommerce/woocommerce.php"),
        "<?php /* Plugin Name: WooCommerce */",
    )
    .unwrap();
    std::fs::write(
        content.join("themes/storefront/style.css"),
        "/* Theme Name: Storefront */",
    )
    .unwrap();
    let env = Env {
        dir: dir.path().to_path_buf(),
        db_port,
        endpoint,
        wp_root,
    };
    // The seed goes in as the WordPress user, through the server's TCP port.
    let mut child = Command::new("mysql")
        .args(["-h", "127.0.0.1", "-P", &db_port.to_string()])
        .args(["-u", "wordpress", &format!("-p{DB_PASSWORD}"), "wordpress"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(seed_rows().as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "seeding the database failed"
    );
    (dir, env, db, s3)
}

#[test]
fn a_backup_restores_the_database_and_files_exactly_after_damage() {
    let (_dir, env, _db, _s3) = setup();
    let before_db = env.dump();
    let before_files = env.files();
    assert!(before_db.contains("Product 40"), "the seed is in");

    let (ok, stdout, stderr) = env.script(BACKUP_SCRIPT, &env.vars("shop", "20261126-101500"));
    assert!(ok, "backup failed: {stderr}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(result["size"].as_u64().unwrap() > 300_000, "{result}");
    assert_eq!(result["wordpress_db_version"], "58975");
    assert_eq!(result["location"], "backups/stores/shop/20261126-101500/");
    let stored = env.dir.join("s3/backups/stores/shop/20261126-101500");
    for object in ["manifest.json", "database.sql.gz", "wp-content.tar.gz"] {
        assert!(stored.join(object).is_file(), "{object} not on the target");
    }
    assert!(
        !stdout.contains(DB_PASSWORD) && !stderr.contains(DB_PASSWORD) && !stderr.contains(SECRET),
        "no secret in the output"
    );
    assert!(
        !env.dir.join("work/client.cnf").exists() && !env.dir.join("work/curl.cfg").exists(),
        "the secret files are removed"
    );

    // Damage: orders gone, a product renamed, a stray table, an upload lost, a plugin edited.
    env.sql("DELETE FROM wp_wc_orders WHERE id > 10; UPDATE wp_posts SET post_title = 'oops' WHERE ID = 3; CREATE TABLE wp_junk (x INT);");
    std::fs::remove_file(env.wp_root.join("wp-content/uploads/2026/11/product-1.jpg")).unwrap();
    std::fs::write(
        env.wp_root
            .join("wp-content/plugins/woocommerce/woocommerce.php"),
        "broken",
    )
    .unwrap();
    std::fs::write(env.wp_root.join("wp-content/stray.txt"), "left over").unwrap();
    assert_ne!(env.dump(), before_db);

    let (ok, stdout, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "20261126-101500"));
    assert!(ok, "restore failed: {stderr}");
    assert!(
        stdout.contains("\"restored\":\"20261126-101500\""),
        "{stdout}"
    );
    assert_eq!(env.dump(), before_db, "the database is as it was");
    assert_eq!(env.files(), before_files, "wp-content is as it was");
    assert_eq!(env.sql("SELECT COUNT(*) FROM wp_wc_orders").trim(), "40");

    // Retention: with KEEP=2, a third backup removes the oldest, whole.
    for id in ["20261126-111500", "20261126-121500"] {
        let mut vars = env.vars("shop", id);
        vars.push(("KEEP".into(), "2".into()));
        let (ok, stdout, stderr) = env.script(BACKUP_SCRIPT, &vars);
        assert!(ok, "{stderr}");
        let result: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        let pruned: Vec<&str> = result["pruned"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let expected: &[&str] = if id == "20261126-121500" {
            &["20261126-101500"]
        } else {
            &[]
        };
        assert_eq!(pruned, expected, "{result}");
    }
    // Every file on the target, not only the manifests: a prune that stopped after the
    // manifest would leave the rest.
    let whole = |ids: &[&str]| {
        let mut files: Vec<String> = ids
            .iter()
            .flat_map(|id| BACKUP_FILES.iter().map(move |f| format!("{id}/{f}")))
            .collect();
        files.sort();
        files
    };
    assert_eq!(
        files_under(&env.dir.join("s3/backups/stores/shop")),
        whole(&["20261126-111500", "20261126-121500"])
    );

    // A scheduled run has no id given: the script makes one from the time.
    let mut scheduled = env.vars("sched", "");
    scheduled.retain(|(k, _)| k != "BACKUP_ID");
    let (ok, stdout, stderr) = env.script(BACKUP_SCRIPT, &scheduled);
    assert!(ok, "{stderr}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let id = result["id"].as_str().unwrap().to_string();
    assert!(
        id.len() == 15
            && id.chars().enumerate().all(|(i, ch)| if i == 8 {
                ch == '-'
            } else {
                ch.is_ascii_digit()
            }),
        "{result}"
    );
    assert_eq!(
        files_under(&env.dir.join("s3/backups/stores/sched")),
        whole(&[id.as_str()])
    );
    // A bucket that does not exist is not made by the backup (the access Job makes a
    // store's bucket): the backup fails and the bucket stays absent.
    let mut absent = env.vars("shop", "20261126-140000");
    absent.retain(|(k, _)| k != "S3_BUCKET");
    absent.push(("S3_BUCKET".into(), "absent".into()));
    let (ok, _, stderr) = env.script(BACKUP_SCRIPT, &absent);
    assert!(!ok, "a backup into a missing bucket: {stderr}");
    assert!(!env.dir.join("s3/absent").exists(), "{stderr}");

    // Forgetting the store's backups removes every one, and nothing of another store.
    let (ok, _, stderr) = env.script(BACKUP_SCRIPT, &env.vars("other", "20261126-130000"));
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = env.script(FORGET_SCRIPT, &env.vars("shop", ""));
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.trim(),
        r#"{"removed":["20261126-111500","20261126-121500"]}"#
    );
    let left = |store: &str| files_under(&env.dir.join("s3/backups/stores").join(store));
    assert_eq!(left("shop"), Vec::<String>::new());
    assert_eq!(left("other"), whole(&["20261126-130000"]));
}

/// Every file below `dir` (none if it does not exist), as paths relative to it, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(at) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn restore_refuses_another_stores_backup_a_damaged_one_a_newer_schema_and_bad_credentials() {
    let (_dir, env, _db, _s3) = setup();
    let (ok, _, stderr) = env.script(BACKUP_SCRIPT, &env.vars("shop", "b1"));
    assert!(ok, "backup failed: {stderr}");
    env.sql(
        "UPDATE wp_options SET option_value = 'USD' WHERE option_name = 'woocommerce_currency'",
    );
    let state = env.dump();
    let files = env.files();
    let unchanged = |why: &str| {
        assert_eq!(env.dump(), state, "{why}: the database was touched");
        assert_eq!(env.files(), files, "{why}: wp-content was touched");
    };

    // Another store's name: the manifest says whose backup it is.
    let mut vars = env.vars("other", "b1");
    vars.push(("BACKUP_STORE".into(), "other".into()));
    let stored = env.dir.join("s3/backups/stores");
    std::fs::create_dir_all(stored.join("other/b1")).unwrap();
    for object in ["manifest.json", "database.sql.gz", "wp-content.tar.gz"] {
        std::fs::copy(
            stored.join("shop/b1").join(object),
            stored.join("other/b1").join(object),
        )
        .unwrap();
    }
    let (ok, _, stderr) = env.script(RESTORE_SCRIPT, &vars);
    assert!(!ok);
    assert!(
        stderr.contains("backup b1 is of store 'shop', not 'other': refusing to restore it"),
        "{stderr}"
    );
    let result = std::fs::read_to_string(env.dir.join("result")).unwrap();
    assert!(
        result.starts_with("{\"error\":\"backup b1 is of store 'shop'"),
        "{result}"
    );
    unchanged("another store's backup");

    // A damaged dump: its checksum no longer matches the manifest.
    let dump = stored.join("shop/b1/database.sql.gz");
    let mut bytes = std::fs::read(&dump).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&dump, &bytes).unwrap();
    let (ok, _, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "b1"));
    assert!(!ok);
    assert!(
        stderr.contains("backup b1: database.sql.gz does not match its checksum: the backup is damaged; nothing was restored"),
        "{stderr}"
    );
    unchanged("a damaged backup");

    // From here on the store differs from backup b2, so a restore of b2 that went ahead
    // would show in the database and in wp-content (the end of the test does one).
    let (ok, _, stderr) = env.script(BACKUP_SCRIPT, &env.vars("shop", "b2"));
    assert!(ok, "{stderr}");
    env.sql(
        "UPDATE wp_options SET option_value = 'GBP' WHERE option_name = 'woocommerce_currency'",
    );
    std::fs::write(
        env.wp_root.join("wp-content/uploads/2026/11/after-b2.txt"),
        "written after backup b2",
    )
    .unwrap();
    let (state, files) = (env.dump(), env.files());
    let unchanged = |why: &str| {
        assert_eq!(env.dump(), state, "{why}: the database was touched");
        assert_eq!(env.files(), files, "{why}: wp-content was touched");
    };

    // A wp-content archive that is not the one the manifest records (checked after the
    // dump, which is good here): a valid archive with a planted file, so only the
    // checksum can refuse it.
    let archive = stored.join("shop/b2/wp-content.tar.gz");
    let good_archive = std::fs::read(&archive).unwrap();
    let planted = env.dir.join("planted");
    run(Command::new("cp")
        .arg("-a")
        .arg(env.wp_root.join("wp-content"))
        .arg(&planted));
    std::fs::write(planted.join("planted.txt"), "not in backup b2").unwrap();
    run(Command::new("tar")
        .arg("-C")
        .arg(&env.dir)
        .arg("-czf")
        .arg(&archive)
        .arg("--transform=s,^planted,wp-content,")
        .arg("planted"));
    let (ok, _, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "b2"));
    assert!(!ok);
    assert!(
        stderr.contains("backup b2: wp-content.tar.gz does not match its checksum: the backup is damaged; nothing was restored"),
        "{stderr}"
    );
    unchanged("a damaged wp-content archive");
    std::fs::write(&archive, good_archive).unwrap();

    // A backup from a newer WordPress than the store runs.
    let version = env.wp_root.join("wp-includes/version.php");
    let runs = std::fs::read_to_string(&version).unwrap();
    std::fs::write(&version, "<?php\n$wp_db_version = 57155;\n").unwrap();
    let (ok, _, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "b2"));
    assert!(!ok);
    assert!(
        stderr.contains(
            "comes from a newer WordPress (database schema 58975) than store shop runs (57155)"
        ),
        "{stderr}"
    );
    unchanged("a newer schema");
    std::fs::write(&version, runs).unwrap();

    // Unknown id, wrong secret, unreachable target: one clear line each, for the backup
    // and for a restore of the good backup b2.
    let (ok, _, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "nope"));
    assert!(
        !ok && stderr
            .contains("not found on the backup target: backups/stores/shop/nope/manifest.json"),
        "{stderr}"
    );
    let wrong = |id: &str| {
        let mut vars = env.vars("shop", id);
        vars.retain(|(k, _)| k != "AWS_SECRET_ACCESS_KEY");
        vars.push(("AWS_SECRET_ACCESS_KEY".into(), "not-the-secret".into()));
        vars
    };
    let away = |id: &str| {
        let mut vars = env.vars("shop", id);
        vars.retain(|(k, _)| k != "S3_ENDPOINT");
        vars.push((
            "S3_ENDPOINT".into(),
            format!("http://127.0.0.1:{}", free_port()),
        ));
        vars
    };
    for (script, id) in [(BACKUP_SCRIPT, "b3"), (RESTORE_SCRIPT, "b2")] {
        let (ok, _, stderr) = env.script(script, &wrong(id));
        assert!(!ok);
        assert!(
            stderr.contains("the backup target refused the credentials for bucket backups (HTTP 403 SignatureDoesNotMatch)"),
            "{id}: {stderr}"
        );
        unchanged("the wrong secret");
        let (ok, _, stderr) = env.script(script, &away(id));
        assert!(
            !ok && stderr.contains("cannot reach the backup target http://127.0.0.1:"),
            "{id}: {stderr}"
        );
        unchanged("an unreachable target");
    }

    // With the right credentials the same restore changes the store back to b2.
    let (ok, _, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "b2"));
    assert!(ok, "{stderr}");
    assert_eq!(
        env.sql("SELECT option_value FROM wp_options WHERE option_name = 'woocommerce_currency'"),
        "USD\n"
    );
    assert!(
        !env.wp_root
            .join("wp-content/uploads/2026/11/after-b2.txt")
            .exists()
    );
}

/// A Job's script and environment as the kubelet would give them: plain values as
/// rendered, Secret references resolved from `secrets` (name → (access key id, secret)),
/// and only what differs on this machine (`local`) replaced.
fn as_run(
    job: &Job,
    secrets: &BTreeMap<String, (String, String)>,
    local: &[(String, String)],
) -> (String, Vec<(String, String)>) {
    let pod = job.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    let c = &pod.containers[0];
    let env = c
        .env
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            if let Some((_, v)) = local.iter().find(|(k, _)| *k == e.name) {
                return (e.name, v.clone());
            }
            if let Some(value) = e.value {
                return (e.name, value);
            }
            let r = e.value_from.unwrap().secret_key_ref.unwrap();
            let (id, secret) = secrets
                .get(&r.name)
                .unwrap_or_else(|| panic!("{} comes from Secret {}, unknown here", e.name, r.name));
            let value = match r.key.as_str() {
                ACCESS_KEY_ID => id.clone(),
                SECRET_ACCESS_KEY => secret.clone(),
                other => panic!("key {other} of Secret {}", r.name),
            };
            (e.name, value)
        })
        .collect::<Vec<_>>();
    let machine_only = local
        .iter()
        .filter(|(k, _)| !env.iter().any(|(n, _)| n == k));
    let env = env.iter().chain(machine_only).cloned().collect();
    (c.command.clone().unwrap()[2].clone(), env)
}

/// The variables a script (common.sh in front of it) refuses to run without: its
/// `for var in ...; do` list.
fn required_variables(script: &str) -> Vec<String> {
    let start = script.find("\nfor var in ").unwrap() + "\nfor var in ".len();
    let end = start + script[start..].find("; do").unwrap();
    let names: Vec<String> = script[start..end]
        .split_whitespace()
        .filter(|w| *w != "\\")
        .map(str::to_string)
        .collect();
    assert!(names.len() > 5, "{names:?}");
    names
}

/// Where the Jobs reach the zero-set-up target; curl here is sent to the local server
/// instead (a .curlrc with `connect-to`), so the rendered endpoint and signed Host stay.
const IN_CLUSTER: &str = "http://storectl-backups.ecommerce-platform.svc:7070";

fn curl_home(env: &Env) -> String {
    let home = env.dir.join("curl-home");
    std::fs::create_dir_all(&home).unwrap();
    let port = env.endpoint.rsplit(':').next().unwrap();
    std::fs::write(
        home.join(".curlrc"),
        format!("connect-to = \"storectl-backups.ecommerce-platform.svc:7070:127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    home.display().to_string()
}

/// The HTTP code the target answers `method` on `path` with, signed with `key` (kept in
/// a file, never on the command line a failure would print).
fn answer(home: &str, key: &(String, String), method: &str, path: &str) -> String {
    let config = Path::new(home).join("key.cfg");
    std::fs::write(&config, format!("user = \"{}:{}\"\n", key.0, key.1)).unwrap();
    let how = if method == "HEAD" {
        vec!["-I"]
    } else {
        vec!["-X", method]
    };
    let out = run(Command::new("curl")
        .env("CURL_HOME", home)
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"])
        .args(how)
        .arg("-K")
        .arg(&config)
        .args(["--aws-sigv4", "aws:amz:us-east-1:s3"])
        .args(["-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"])
        .arg(format!("{IN_CLUSTER}{path}")));
    String::from_utf8(out.stdout).unwrap()
}

/// What differs on this machine from a Job's pod: the database, the folders, curl's route
/// to the target (`home`).
fn machine_vars(env: &Env, home: &str) -> Vec<(String, String)> {
    let mut machine: Vec<(String, String)> = env
        .vars("", "")
        .into_iter()
        .filter(|(k, _)| {
            [
                "WP_ROOT",
                "WP_CORE",
                "WORK",
                "RESULT",
                "MYSQL_ROOT_PASSWORD",
            ]
            .contains(&k.as_str())
                || k.starts_with("WORDPRESS_DB_")
        })
        .collect();
    machine.push(("CURL_HOME".to_string(), home.to_string()));
    machine
}

fn fetch(home: &str, url: &str) -> String {
    let out = run(Command::new("curl")
        .env("CURL_HOME", home)
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(url));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_stores_key_opens_its_own_backups_alone_and_a_clone_reads_through_presigned_urls() {
    let (_dir, env, _db, _s3) = setup();
    let config: Config = config::load(&Sources::default()).unwrap();
    let layout =
        |store: &str| StoreLayout::new(&StoreName::parse(store, "store-").unwrap(), &config);
    let fresh = |len| {
        let mut bytes = vec![0u8; len];
        getrandom::fill(&mut bytes).unwrap();
        bytes
            .iter()
            .map(|b| char::from(b'a' + b % 26))
            .collect::<String>()
    };
    // The Secrets storectl makes: the target's root key and each store's own key in the
    // platform namespace, and the copy of the store's own key in its namespace.
    let mut secrets = BTreeMap::from([(
        TARGET_SERVER.to_string(),
        (KEY.to_string(), SECRET.to_string()),
    )]);
    for store in ["a", "b"] {
        let own = (store_access_key_id(store), fresh(40));
        secrets.insert(store_key_secret(&config, store), own.clone());
        secrets.insert(layout(store).backup_credentials(), own);
    }
    let own_key = |store: &str| secrets[&layout(store).backup_credentials()].clone();
    let home = curl_home(&env);
    let machine = machine_vars(&env, &home);
    // Every variable the scripts refuse to run without is set by the rendered Job itself:
    // `as_run` adds this machine's values for names the Job lacks, so a Job that dropped
    // one (WORK, WORDPRESS_DB_HOST, ...) would otherwise still run here.
    let required = required_variables(BACKUP_SCRIPT);
    assert_eq!(required, required_variables(RESTORE_SCRIPT));
    let restore_only = [
        "BACKUP_STORE".to_string(),
        "MYSQL_ROOT_PASSWORD".to_string(),
    ];
    for (what, job, extra) in [
        (
            "backup",
            backup_job(&layout("a"), &config, "20261126-100000"),
            &[][..],
        ),
        (
            "restore",
            restore_job(
                &layout("a"),
                &config,
                "20261126-120000",
                "a",
                "20261126-100000",
                None,
                Duration::from_secs(600),
            ),
            &restore_only[..],
        ),
    ] {
        let set: Vec<String> = job
            .spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .containers[0]
            .env
            .iter()
            .flatten()
            .map(|e| e.name.clone())
            .collect();
        let missing: Vec<&String> = required
            .iter()
            .chain(extra)
            .filter(|name| !set.contains(name))
            .collect();
        assert!(
            missing.is_empty(),
            "the rendered {what} Job does not set {missing:?} (it sets {set:?})"
        );
    }

    // A backup of store a that an earlier version made: the shared bucket, the root key.
    let (ok, _, stderr) = env.script(BACKUP_SCRIPT, &env.vars("a", "20261101-000000"));
    assert!(ok, "{stderr}");

    // The access Job of each store, as rendered: account, bucket, old backups moved.
    for store in ["a", "b"] {
        let (script, vars) = as_run(&access_job(&config, store), &secrets, &machine);
        let (ok, stdout, stderr) = env.script(&script, &vars);
        assert!(ok, "access job of {store}: {stderr}");
        let moved = if store == "a" { 1 } else { 0 };
        assert_eq!(stdout.trim(), format!("{{\"moved\":{moved}}}"));
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "no secret in the output"
        );
    }
    assert!(
        env.dir
            .join("s3/backups-a/stores/a/20261101-000000/manifest.json")
            .is_file()
    );
    assert!(
        !env.dir
            .join("s3/backups/stores/a/20261101-000000")
            .join("manifest.json")
            .exists()
    );

    // Each store's backup Job, as rendered, backs up into its own bucket.
    let backup = |store: &str, id: &str| {
        let (script, vars) = as_run(&backup_job(&layout(store), &config, id), &secrets, &machine);
        let (ok, stdout, stderr) = env.script(&script, &vars);
        assert!(ok, "backup of {store}: {stderr}");
        assert!(
            stdout.contains(&format!(
                "\"location\":\"backups-{store}/stores/{store}/{id}/\""
            )),
            "{stdout}"
        );
    };
    backup("a", "20261126-100000");
    env.sql("DELETE FROM wp_wc_orders WHERE id > 5");
    backup("b", "20261126-110000");
    let b_state = env.dump();

    // Store a's key, exactly as its Jobs get it, opens nothing of store b's, nor the
    // shared bucket, nor the admin API.
    let a = own_key("a");
    let b_object = "/backups-b/stores/b/20261126-110000/manifest.json";
    for (method, path) in [
        ("GET", b_object),
        ("HEAD", b_object),
        ("PUT", "/backups-b/stores/b/20261126-110000/forged.json"),
        // The shared bucket, whence b's access Job would move a planted backup.
        ("PUT", "/backups/stores/b/20261126-120000/manifest.json"),
        ("DELETE", b_object),
        ("GET", "/backups-b?list-type=2&prefix=stores%2Fb%2F"),
        ("GET", "/backups?list-type=2"),
        ("PUT", "/backups-c"),
        ("PATCH", "/list-users"),
    ] {
        assert_eq!(
            answer(&home, &a, method, path),
            "403",
            "{method} {path} with store a's key"
        );
    }
    assert_eq!(
        answer(
            &home,
            &a,
            "GET",
            "/backups-a/stores/a/20261126-100000/manifest.json"
        ),
        "200"
    );
    assert!(
        env.dir.join("s3").join(&b_object[1..]).is_file(),
        "store b's backup is whole"
    );

    // Store a's restore Job, pointed at store b's backup without URLs, looks in store a's
    // bucket alone: nothing there, nothing touched.
    let restore = |urls: Option<&[PresignedFile]>| {
        let mut job = restore_job(
            &layout("a"),
            &config,
            "20261126-120000",
            "b",
            "20261126-110000",
            None,
            Duration::from_secs(600),
        );
        if let Some(urls) = urls {
            fetch_through(&mut job, urls);
        }
        let (script, vars) = as_run(&job, &secrets, &machine);
        env.script(&script, &vars)
    };
    env.sql("DELETE FROM wp_wc_orders WHERE id > 2");
    let a_state = env.dump();
    let (ok, _, stderr) = restore(None);
    assert!(
        !ok && stderr.contains("not found on the backup target: backups-a/stores/b/"),
        "{stderr}"
    );
    assert_eq!(env.dump(), a_state);

    // A clone's restore: presigned URLs for exactly that backup, signed with the root key.
    let root = SigningKey {
        access_key_id: KEY,
        secret_access_key: SECRET,
        region: "us-east-1",
    };
    let now = k8s_openapi::jiff::Timestamp::now();
    let urls = presigned_files(
        &config,
        "b",
        "20261126-110000",
        &root,
        now,
        Duration::from_secs(900),
    );
    assert!(urls[0].url.starts_with(IN_CLUSTER), "{}", urls[0].key);
    // They open those files only, and only until they expire.
    assert_eq!(fetch(&home, &urls[0].url), "200");
    let elsewhere = urls[0].url.replace(
        "20261126-110000/manifest.json",
        "20261126-110000/database.sql.gz",
    );
    assert_eq!(
        fetch(&home, &elsewhere),
        "403",
        "a URL opens its own object alone"
    );
    let old = presigned_files(
        &config,
        "b",
        "20261126-110000",
        &root,
        now - Duration::from_secs(3600),
        Duration::from_secs(60),
    );
    assert_eq!(fetch(&home, &old[0].url), "403", "an expired URL");
    let (ok, stdout, stderr) = restore(Some(&urls));
    assert!(ok, "clone restore: {stderr}");
    assert!(
        stdout.contains("\"restored\":\"20261126-110000\""),
        "{stdout}"
    );
    assert_eq!(env.dump(), b_state, "store b's backup is in store a");

    // The clone's rewrite container, as rendered after that restore, run for real:
    // storectl's search-replace (its PHP from the container's command) with this
    // machine's PHP 8.2, the rendered environment (the database login's names, this
    // machine's values) against the restored database.
    let clone = restore_job(
        &layout("a"),
        &config,
        "20261126-120000",
        "b",
        "20261126-110000",
        Some(UrlRewrite {
            old: "http://shop.local",
            new: "http://a.local",
        }),
        Duration::from_secs(600),
    );
    let pod = clone.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    assert_eq!(
        pod.init_containers
            .as_ref()
            .unwrap()
            .last()
            .unwrap()
            .command
            .as_ref()
            .unwrap()[2],
        RESTORE_SCRIPT,
        "the restore runs before the rewrite"
    );
    let rendered: Vec<String> = pod.containers[0]
        .env
        .iter()
        .flatten()
        .map(|e| e.name.clone())
        .collect();
    for name in [
        "WORDPRESS_DB_HOST",
        "WORDPRESS_DB_USER",
        "WORDPRESS_DB_PASSWORD",
        "WORDPRESS_DB_NAME",
        "OLD_URL",
        "NEW_URL",
    ] {
        assert!(rendered.iter().any(|n| n == name), "{name} in {rendered:?}");
    }
    let rewrite_machine: Vec<(String, String)> = machine
        .iter()
        .filter(|(k, _)| k == "RESULT" || k.starts_with("WORDPRESS_DB_"))
        .cloned()
        .collect();
    let (script, vars) = as_run(&clone, &secrets, &rewrite_machine);
    assert_eq!(script, REWRITE_URLS_SCRIPT);
    let command = pod.containers[0].command.clone().unwrap();
    let args = &command[3..];
    let option = |name: &str| {
        env.sql(&format!(
            "SELECT option_value FROM wp_options WHERE option_name = '{name}'"
        ))
    };
    let guids = env.sql("SELECT guid FROM wp_posts ORDER BY ID");
    assert!(guids.contains("http://shop.local/?p="), "{guids}");
    let (ok, stdout, stderr) = env.script_with(&script, args, &vars);
    assert!(ok, "rewrite: {stderr}");
    assert_eq!(
        stdout,
        "{\"rewritten\":\"http://a.local\",\"rows\":3,\"skipped\":[]}\n"
    );
    assert_eq!(
        std::fs::read_to_string(env.dir.join("result")).unwrap(),
        stdout
    );
    assert_eq!(option("siteurl"), "http://a.local\n");
    assert_eq!(option("home"), "http://a.local\n");
    // Inside serialized data, with the string's length written anew.
    assert_eq!(
        option("widget_text"),
        "a:1:{i:2;a:1:{s:4:\"text\";s:14:\"http://a.local\";}}\n"
    );
    assert_eq!(
        env.sql("SELECT guid FROM wp_posts ORDER BY ID"),
        guids,
        "guid kept"
    );
    // Run again: nothing left to rewrite.
    let (ok, stdout, _) = env.script_with(&script, args, &vars);
    assert!(ok);
    assert_eq!(
        stdout,
        "{\"rewritten\":\"http://a.local\",\"rows\":0,\"skipped\":[]}\n"
    );
    // A failing rewrite (the database refuses the login) fails the container, saying so
    // in the result, without the password.
    let mut failing = vars.clone();
    for (k, v) in &mut failing {
        if k == "WORDPRESS_DB_PASSWORD" {
            *v = "wrong-password".to_string();
        }
    }
    let (ok, _, stderr) = env.script_with(&script, args, &failing);
    assert!(!ok);
    assert!(
        stderr.starts_with(
            "error: rewriting the URLs from http://shop.local to http://a.local failed: Access denied"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-password"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(env.dir.join("result")).unwrap(),
        "{\"error\":\"rewriting the URLs from http://shop.local to http://a.local failed\"}\n"
    );
}

/// Backup `to` of store shop on the target: backup `from`'s objects with the dump
/// replaced by `dump` (gzip'd here), and a manifest whose size and SHA-256 match it, so
/// every check before the import passes.
#[test]
fn rotating_the_targets_root_key_keeps_every_stores_account_and_backups() {
    let (dir, env, _db, s3) = setup();
    let config: Config = config::load(&Sources::default()).unwrap();
    let layout =
        |store: &str| StoreLayout::new(&StoreName::parse(store, "store-").unwrap(), &config);
    let old_root = (KEY.to_string(), SECRET.to_string());
    let a = (
        store_access_key_id("a"),
        "aOwnSecretKeyOfStoreA0123456789abcdefghij".to_string(),
    );
    let mut secrets = BTreeMap::from([
        (TARGET_SERVER.to_string(), old_root.clone()),
        (store_key_secret(&config, "a"), a.clone()),
        (layout("a").backup_credentials(), a.clone()),
    ]);
    let home = curl_home(&env);
    let machine = machine_vars(&env, &home);
    let job_runs = |job: &Job, secrets: &BTreeMap<String, (String, String)>| {
        let (script, vars) = as_run(job, secrets, &machine);
        env.script(&script, &vars)
    };
    let (ok, _, stderr) = job_runs(&access_job(&config, "a"), &secrets);
    assert!(ok, "access job of a: {stderr}");
    let (ok, _, stderr) = job_runs(
        &backup_job(&layout("a"), &config, "20261201-100000"),
        &secrets,
    );
    assert!(ok, "backup of a: {stderr}");

    // docs/backups.md: a new root key in Secret `storectl-backups`, the server restarted.
    let port: u16 = env.endpoint.rsplit(':').next().unwrap().parse().unwrap();
    drop(s3);
    let new_root = (
        "storectl-rotated".to_string(),
        "n3wS3cr3tAfterRotation0123456789".to_string(),
    );
    let _s3 = s3_server_as_rendered(dir.path(), port, (&new_root.0, &new_root.1));
    secrets.insert(TARGET_SERVER.to_string(), new_root.clone());

    let first = "/backups-a/stores/a/20261201-100000/manifest.json";
    assert_eq!(
        answer(&home, &old_root, "GET", first),
        "403",
        "the old root key is refused"
    );
    assert_eq!(
        answer(&home, &new_root, "GET", first),
        "200",
        "the new root key is taken"
    );
    assert_eq!(
        answer(&home, &a, "GET", first),
        "200",
        "store a's own key still reads its backup"
    );
    let (ok, stdout, stderr) = job_runs(
        &backup_job(&layout("a"), &config, "20261201-110000"),
        &secrets,
    );
    assert!(
        ok,
        "store a backs up with its own key after the rotation: {stderr}"
    );
    assert!(
        stdout.contains("\"location\":\"backups-a/stores/a/20261201-110000/\""),
        "{stdout}"
    );
    // storectl's next access Job (a new store) works with the new key alone.
    let b = (
        store_access_key_id("b"),
        "bOwnSecretKeyOfStoreB0123456789abcdefghij".to_string(),
    );
    secrets.insert(store_key_secret(&config, "b"), b.clone());
    let (ok, _, stderr) = job_runs(&access_job(&config, "b"), &secrets);
    assert!(ok, "access job of b with the new root key: {stderr}");
    assert_eq!(
        answer(&home, &b, "PUT", "/backups-b/probe"),
        "200",
        "store b's account works"
    );
    assert_eq!(
        answer(&home, &a, "GET", "/backups-b/probe"),
        "403",
        "and is b's alone"
    );
}

fn forge(env: &Env, from: &str, to: &str, dump: &str) {
    let stored = env.dir.join("s3/backups/stores/shop");
    std::fs::create_dir_all(stored.join(to)).unwrap();
    std::fs::copy(
        stored.join(from).join("wp-content.tar.gz"),
        stored.join(to).join("wp-content.tar.gz"),
    )
    .unwrap();
    let plain = env.dir.join("forged.sql");
    std::fs::write(&plain, dump).unwrap();
    run(Command::new("gzip").arg("-f").arg(&plain));
    let gz = env.dir.join("forged.sql.gz");
    let bytes = std::fs::read(&gz).unwrap();
    std::fs::rename(&gz, stored.join(to).join("database.sql.gz")).unwrap();
    let sha = run(Command::new("sha256sum").arg(stored.join(to).join("database.sql.gz")));
    let sha = String::from_utf8(sha.stdout).unwrap();
    let manifest = std::fs::read_to_string(stored.join(from).join("manifest.json")).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(manifest.trim()).unwrap();
    manifest["id"] = to.into();
    manifest["database"]["size"] = bytes.len().into();
    manifest["database"]["sha256"] = sha.split_whitespace().next().unwrap().into();
    std::fs::write(
        stored.join(to).join("manifest.json"),
        format!("{manifest}\n"),
    )
    .unwrap();
}

/// The backup's dump as SQL text.
fn dump_of(env: &Env, id: &str) -> String {
    let gz = env
        .dir
        .join("s3/backups/stores/shop")
        .join(id)
        .join("database.sql.gz");
    String::from_utf8(run(Command::new("gunzip").arg("-c").arg(gz)).stdout).unwrap()
}

#[test]
fn a_restore_that_breaks_before_or_at_the_swap_leaves_the_store_as_it_was() {
    let (_dir, env, _db, _s3) = setup();
    let (ok, _, stderr) = env.script(BACKUP_SCRIPT, &env.vars("shop", "b1"));
    assert!(ok, "backup failed: {stderr}");
    let backed_up = (env.dump(), env.files());
    // The store moves on after the backup: what a failed restore must keep.
    env.sql("UPDATE wp_options SET option_value = 'USD' WHERE option_name = 'woocommerce_currency'; DELETE FROM wp_wc_orders WHERE id > 30;");
    std::fs::write(env.wp_root.join("wp-content/uploads/new.txt"), "after").unwrap();
    let state = env.dump();
    let files = env.files();
    let result = || std::fs::read_to_string(env.dir.join("result")).unwrap();
    let unchanged = |why: &str| {
        assert_eq!(env.dump(), state, "{why}: the database was touched");
        assert_eq!(env.files(), files, "{why}: wp-content was touched");
        assert!(
            result().contains("\"unchanged\":true"),
            "{why}: {}",
            result()
        );
        assert!(
            !env.wp_root.join(".storectl-restore").exists(),
            "{why}: the side folder is left"
        );
        assert_eq!(
            env.sql("SHOW DATABASES LIKE 'wordpress\\_%'").trim(),
            "",
            "{why}: a side database is left"
        );
    };

    // A dump that breaks halfway: an SQL error in the middle of the rows.
    let good = dump_of(&env, "b1");
    let lines: Vec<&str> = good.lines().collect();
    let middle = lines
        .iter()
        .position(|l| l.starts_with("INSERT INTO `wp_postmeta`"))
        .unwrap();
    let mut broken = lines[..=middle].join("\n");
    broken.push_str("\nINSERT INTO `wp_no_such_table` VALUES (1);\n");
    broken.push_str(&lines[middle + 1..].join("\n"));
    forge(&env, "b1", "broken", &broken);
    let (ok, _, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "broken"));
    assert!(!ok);
    assert!(
        stderr.contains("error: backup broken: importing the database dump failed (")
            && stderr.trim_end().ends_with("nothing was restored"),
        "{stderr}"
    );
    unchanged("a dump that breaks halfway");

    // A dump that imports but is not a WordPress database.
    let no_options: String = good
        .split(";\n")
        .filter(|statement| !statement.contains("`wp_options`"))
        .collect::<Vec<_>>()
        .join(";\n");
    forge(&env, "b1", "nooptions", &no_options);
    let (ok, _, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "nooptions"));
    assert!(!ok);
    assert!(
        stderr.contains("the imported database has no wp_options table with a siteurl"),
        "{stderr}"
    );
    unchanged("a dump without the options table");

    // A swap the database refuses (a trigger cannot move to another database): the
    // files, already swapped, are put back.
    env.sql("CREATE TRIGGER wp_orders_audit BEFORE UPDATE ON wp_wc_orders FOR EACH ROW SET NEW.status = NEW.status");
    let (state, files) = (env.dump(), env.files());
    let (ok, _, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "b1"));
    assert!(!ok);
    assert!(
        stderr.contains("error: backup b1: swapping the tables in was refused ("),
        "{stderr}"
    );
    assert_eq!(
        env.dump(),
        state,
        "a refused swap: the database was touched"
    );
    assert_eq!(env.files(), files, "a refused swap: wp-content was touched");
    assert!(result().contains("\"unchanged\":true"), "{}", result());
    env.sql("DROP TRIGGER wp_orders_audit");

    // A good restore replaces both, and leaves nothing on the side.
    let (ok, stdout, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "b1"));
    assert!(ok, "restore failed: {stderr}");
    assert!(stdout.contains("\"restored\":\"b1\""), "{stdout}");
    assert_eq!(env.dump(), backed_up.0, "the database is the backup's");
    assert_eq!(env.files(), backed_up.1, "wp-content is the backup's");
    assert!(!env.wp_root.join(".storectl-restore").exists());
    assert_eq!(env.sql("SHOW DATABASES LIKE 'wordpress\\_%'").trim(), "");
}

#[test]
fn retention_counts_only_complete_backups_and_removes_abandoned_partial_ones() {
    let (_dir, env, _db, _s3) = setup();
    for id in ["20261101-030000", "20261102-030000", "20261103-030000"] {
        let (ok, _, stderr) = env.script(BACKUP_SCRIPT, &env.vars("shop", id));
        assert!(ok, "{stderr}");
    }
    // Failed runs after their first upload: newer than every complete backup, and one
    // older than any Job may run.
    let stored = env.dir.join("s3/backups/stores/shop");
    for partial in [
        "00000101-000000",
        "99990101-000001",
        "99990101-000002",
        "99990101-000003",
    ] {
        std::fs::create_dir_all(stored.join(partial)).unwrap();
        std::fs::copy(
            stored.join("20261101-030000/database.sql.gz"),
            stored.join(partial).join("database.sql.gz"),
        )
        .unwrap();
    }
    let mut vars = env.vars("shop", "20261104-030000");
    vars.push(("KEEP".into(), "3".into()));
    vars.push(("JOB_DEADLINE_SECONDS".into(), "21600".into()));
    let (ok, stdout, stderr) = env.script(BACKUP_SCRIPT, &vars);
    assert!(ok, "{stderr}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(result["pruned"], serde_json::json!(["20261101-030000"]));
    let mut left: Vec<(String, bool)> = std::fs::read_dir(&stored)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::read_dir(p).unwrap().next().is_some())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                p.join("manifest.json").exists(),
            )
        })
        .collect();
    left.sort();
    let expected: Vec<(String, bool)> = [
        ("20261102-030000", true),
        ("20261103-030000", true),
        ("20261104-030000", true),
        ("99990101-000001", false),
        ("99990101-000002", false),
        ("99990101-000003", false),
    ]
    .into_iter()
    .map(|(id, complete)| (id.to_string(), complete))
    .collect();
    assert_eq!(left, expected, "complete ones kept, in-flight ones left");
}

/// The manifest and the result line as storectl and restore.sh read them: one key each,
/// no key twice (a value that closes its quote would add one).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StrictManifest {
    format: u32,
    store: String,
    id: String,
    created: String,
    prefix: String,
    wordpress_db_version: String,
    woocommerce_db_version: String,
    database: serde_json::Value,
    files: serde_json::Value,
}

/// Values a tenant controls (its options, its tables' names) reach the manifest and the
/// result only as data: a quote in them adds no key, a control character does not
/// reach the termination message, and the backup restores (security review L6).
#[test]
fn a_tenants_options_and_table_names_cannot_rewrite_the_manifest_or_the_result() {
    let (_dir, env, _db, _s3) = setup();
    env.sql(concat!(
        r#"UPDATE wp_options SET option_value = '58975","store":"victim","x":"' WHERE option_name = 'db_version'; "#,
        r#"UPDATE wp_options SET option_value = CONCAT('9.8.0"}', CHAR(10), CHAR(27), ']0;owned', CHAR(7)) WHERE option_name = 'woocommerce_db_version'; "#,
        "CREATE TABLE `a\"b_options` (x INT);",
    ));
    let (ok, stdout, stderr) = env.script(BACKUP_SCRIPT, &env.vars("shop", "20261201-090000"));
    assert!(ok, "backup failed: {stderr}");
    let text = std::fs::read_to_string(
        env.dir
            .join("s3/backups/stores/shop/20261201-090000/manifest.json"),
    )
    .unwrap();
    let manifest: StrictManifest =
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(
        (manifest.store.as_str(), manifest.prefix.as_str()),
        ("shop", "wp_")
    );
    assert_eq!(manifest.wordpress_db_version, "58975");
    let version_like = |v: &str| {
        v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
    };
    assert!(
        manifest.woocommerce_db_version.starts_with("9.8.0")
            && version_like(&manifest.woocommerce_db_version),
        "{text}"
    );
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Result {
        id: String,
        wordpress_db_version: String,
    }
    let result: Result =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(result.wordpress_db_version, "58975");
    assert!(!stdout.trim().chars().any(char::is_control), "{stdout:?}");

    // Restored (a table name the restore does not handle gone first): the restore reads
    // the same manifest.
    env.sql("DROP TABLE `a\"b_options`");
    let (ok, _, stderr) = env.script(BACKUP_SCRIPT, &env.vars("shop", "20261201-100000"));
    assert!(ok, "backup failed: {stderr}");
    let (ok, stdout, stderr) = env.script(RESTORE_SCRIPT, &env.vars("shop", "20261201-100000"));
    assert!(ok, "restore failed: {stderr}");
    assert!(
        stdout.contains("\"wordpress_db_version\":\"58975\""),
        "{stdout}"
    );
}
