//! A store's mail, run for real (no cluster): storectl's must-use plugin and the
//! `storectl mail-test` script, both taken from the rendered objects, in Debian's
//! WordPress 6.1 on PHP 8.2 and MariaDB, with the rendered WordPress container's
//! environment, sending to a real SMTP server (aiosmtpd from PyPI, installed by
//! `scripts/test` into a venv: `STORECTL_AIOSMTPD_PYTHON`) that requires a login.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::wordpress::{
    MariaDb, Server, WordPress, free_port, listening, resolved_env_from, wait_until,
};
use k8s_openapi::api::core::v1::Container;
use storectl::domain::config::{self, Sources};
use storectl::domain::credentials::Credentials;
use storectl::domain::layout::StoreLayout;
use storectl::domain::manifests::mail::{MAIL_FILE, MAIL_TEST_FILE};
use storectl::domain::manifests::{Manifest, render};
use storectl::domain::name::StoreName;

const USER: &str = "shop-mailer";
const PASSWORD: &str = "Sm7p-Pa55word-0f-the-Platform";

/// An SMTP server that requires AUTH (PLAIN/LOGIN, without TLS) as USER/PASSWORD and
/// writes each message it accepts to <dir>/<n>.json: envelope, login, message.
const SMTP_SERVER: &str = r#"
import json, sys, time
from pathlib import Path
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port, out, user, password = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)

class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = len(list(out.glob("*.json")))
        login = session.auth_data
        (out / f"{n}.json").write_text(json.dumps({
            "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
            "login": login, "data": envelope.content.decode("utf8", "replace")}))
        return "250 2.0.0 Message accepted for delivery"

controller = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                        auth_required=True, auth_require_tls=False)
controller.start()
print("listening", flush=True)
while True:
    time.sleep(3600)
"#;

fn aiosmtpd_python() -> PathBuf {
    let python = std::env::var_os("STORECTL_AIOSMTPD_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/storectl/aiosmtpd/bin/python"))
        })
        .unwrap();
    assert!(
        python.is_file(),
        "{} is missing: run scripts/test (it installs aiosmtpd from PyPI)",
        python.display()
    );
    python
}

fn smtp_server(dir: &Path) -> (Server, u16, PathBuf) {
    let out = dir.join("received");
    std::fs::create_dir_all(&out).unwrap();
    let port = free_port();
    let child = Command::new(aiosmtpd_python())
        .arg("-c")
        .arg(SMTP_SERVER)
        .arg(port.to_string())
        .arg(&out)
        .args([USER, PASSWORD])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("smtp.log")).unwrap())
        .spawn()
        .unwrap();
    let server = Server(child);
    wait_until(&format!("aiosmtpd never listened on {port}"), || {
        listening(port)
    });
    (server, port, out)
}

fn received(out: &Path) -> Vec<serde_json::Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
        .collect()
}

/// The rendered store with mail on (SMTP at 127.0.0.1:`port`): the plugin and the mail
/// test from its ConfigMap, and the WordPress container's environment with each Secret
/// reference resolved (the store's credentials from the rendered Secret, the SMTP
/// password from what storectl copies into `<store>-mail`).
fn rendered(port: u16) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let sets = [
        "mail.smtp.host=127.0.0.1".to_string(),
        format!("mail.smtp.port={port}"),
        format!("mail.smtp.username={USER}"),
        "mail.smtp.passwordSecret=smtp".to_string(),
        "mail.from=Shop One <shop1@example.com>".to_string(),
    ];
    let config = config::load(&Sources {
        sets: sets.to_vec(),
        ..Sources::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let name = StoreName::parse("shop1", &config.stores.namespace_prefix).unwrap();
    let layout = StoreLayout::new(&name, &config);
    let mut files = BTreeMap::new();
    let mut secret = BTreeMap::new();
    let mut container: Option<Container> = None;
    for object in render(&layout, &config, &Credentials::generate().unwrap()) {
        match &object {
            Manifest::ConfigMap(map) if object.name() == "shop1-wordpress-mail" => {
                files = map.data.clone().unwrap_or_default();
            }
            Manifest::Secret(s) => secret = s.string_data.clone().unwrap_or_default(),
            Manifest::Deployment(d) if object.name() == "shop1-wordpress" => {
                let spec = d.spec.as_ref().and_then(|s| s.template.spec.as_ref());
                container = spec.map(|s| s.containers[0].clone());
            }
            _ => {}
        }
    }
    let secrets = BTreeMap::from([
        (layout.secret(), secret),
        (
            layout.mail_secret(),
            BTreeMap::from([("password".to_string(), PASSWORD.to_string())]),
        ),
    ]);
    let env = resolved_env_from(&container.expect("no WordPress container"), &secrets);
    (files, env)
}

/// Standard base64 (with padding): how the login travels in AUTH PLAIN and LOGIN.
fn b64(input: &str) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn no_password_in(output: &std::process::Output) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(b64("Man"), "TWFu");
    assert_eq!(b64("Ma"), "TWE=");
    for hidden in [
        PASSWORD.to_string(),
        b64(PASSWORD),
        b64(&format!("\0{USER}\0{PASSWORD}")),
    ] {
        assert!(
            !all.contains(&hidden),
            "the password is in the output: {all}"
        );
    }
}

fn result_of(output: &std::process::Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "{e}: not one JSON line: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn wordpress_mail_goes_through_the_configured_smtp_server_from_the_configured_address() {
    let dir = tempfile::tempdir().unwrap();
    let (_smtp, smtp_port, inbox) = smtp_server(dir.path());
    let (files, mut env) = rendered(smtp_port);
    let db = MariaDb::start(dir.path());
    // The one value the cluster gives and this machine cannot: the MySQL Service's name.
    assert_eq!(env["WORDPRESS_DB_HOST"], "shop1-mysql:3306");
    db.create_store_database(&mut env);
    let wp = WordPress::new(dir.path());
    wp.install(&env, "Shop One", "admin@example.com");
    wp.must_use(MAIL_FILE, &files[MAIL_FILE]);
    let test = dir.path().join(MAIL_TEST_FILE);
    std::fs::write(&test, &files[MAIL_TEST_FILE]).unwrap();
    let mut test_env = env.clone();
    test_env.insert("STORECTL_WORDPRESS".into(), wp.root.display().to_string());
    test_env.insert("STORECTL_MAIL_TO".into(), "customer@example.net".into());
    let result_file = dir.path().join("termination-log");
    test_env.insert(
        "STORECTL_RESULT_FILE".into(),
        result_file.display().to_string(),
    );

    // WordPress's own wp_mail(), with the plugin alone: sent over SMTP with the login.
    let out = wp.php(
        &env,
        &[
            "-r",
            "$_SERVER['HTTP_HOST'] = 'localhost'; require 'wp-load.php'; \
             add_action('wp_mail_failed', function ($e) { echo $e->get_error_message(), ': '; }); \
             echo wp_mail('buyer@example.org', 'Your order', 'Thanks') ? 'sent' : 'not sent';",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "sent",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    no_password_in(&out);
    let mail = received(&inbox);
    assert_eq!(mail.len(), 1);
    assert_eq!(
        mail[0]["mail_from"], "shop1@example.com",
        "the envelope sender"
    );
    assert_eq!(
        mail[0]["rcpt_tos"],
        serde_json::json!(["buyer@example.org"])
    );
    assert_eq!(
        mail[0]["login"], USER,
        "authenticated as the configured user"
    );
    let data = mail[0]["data"].as_str().unwrap();
    assert!(
        data.contains("From: Shop One <shop1@example.com>"),
        "the configured From: {data}"
    );
    assert!(data.contains("Subject: Your order"), "{data}");

    // storectl mail-test's script: one JSON line with the server's 250, also in the
    // termination message's file.
    let out = wp.php(&test_env, &[test.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    no_password_in(&out);
    let result = result_of(&out);
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(
        result["answer"], "250 2.0.0 Message accepted for delivery",
        "{result}"
    );
    let written = std::fs::read_to_string(&result_file).unwrap();
    assert_eq!(
        written.trim(),
        String::from_utf8_lossy(&out.stdout).trim(),
        "the same line as the termination message"
    );
    let mail = received(&inbox);
    assert_eq!(mail.len(), 2);
    assert_eq!(
        mail[1]["rcpt_tos"],
        serde_json::json!(["customer@example.net"])
    );
    assert!(
        mail[1]["data"]
            .as_str()
            .unwrap()
            .contains("From: Shop One <shop1@example.com>")
    );

    // A wrong password: the server's refusal, and neither password anywhere.
    let wrong = "N0t-the-Sm7p-Pa55word";
    let mut refused_env = test_env.clone();
    refused_env.insert("STORECTL_SMTP_PASSWORD".into(), wrong.into());
    let out = wp.php(&refused_env, &[test.to_str().unwrap()]);
    no_password_in(&out);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(wrong));
    let result = result_of(&out);
    assert_eq!(result["ok"], false, "{result}");
    assert!(
        result["answer"].as_str().unwrap().starts_with("535"),
        "the server's refusal: {result}"
    );
    assert!(
        !result["error"].as_str().unwrap().is_empty(),
        "PHPMailer's error: {result}"
    );
    assert_eq!(received(&inbox).len(), 2, "nothing more arrived");

    // Mail off (no SMTP settings): the script says so and fails; nothing is sent.
    let mut off = test_env.clone();
    off.retain(|k, _| !k.starts_with("STORECTL_SMTP_"));
    let out = wp.php(&off, &[test.to_str().unwrap()]);
    assert!(!out.status.success());
    let result = result_of(&out);
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .contains("mail is not configured"),
        "{result}"
    );
    assert_eq!(received(&inbox).len(), 2);
}
