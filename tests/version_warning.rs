//! The warning for a server outside the versions storectl supports: asked beside a
//! command's first requests, it is still printed when the command fails before the
//! version's answer is in. The server here is a stand-in (plain HTTP on loopback) that
//! answers its version late and refuses everything else: what is tested is what
//! storectl prints, not a cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

/// How late the stand-in answers `/version` (the refusals come at once).
const VERSION_DELAY: Duration = Duration::from_millis(400);

/// Serves `/version` as Kubernetes `minor` after `VERSION_DELAY`, and a 404 Status for
/// every other request, one thread per connection; returns its address.
fn stand_in_server(minor: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap_or_default();
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let (status, body) = if request_line.starts_with("GET /version") {
                    std::thread::sleep(VERSION_DELAY);
                    let version = format!(
                        r#"{{"major":"1","minor":"{minor}","gitVersion":"v1.{minor}.0","platform":"linux/amd64"}}"#
                    );
                    ("200 OK", version)
                } else {
                    let status = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"not here","reason":"NotFound","code":404}"#;
                    ("404 Not Found", status.to_string())
                };
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    address
}

/// `storectl list` against the stand-in, from an empty home: its exit code and stderr.
fn list_against(server: &str) -> (Option<i32>, String) {
    let port = server.rsplit(':').next().unwrap();
    let home = std::env::temp_dir().join(format!("storectl-version-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let kubeconfig = home.join("kubeconfig");
    std::fs::write(&kubeconfig, common::token_kubeconfig(server, "x", "t")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(["--kubeconfig", kubeconfig.to_str().unwrap(), "list"])
        .env_clear()
        .env("HOME", &home)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_old_server_is_named_even_when_the_command_fails_before_its_version_comes() {
    let (code, stderr) = list_against(&stand_in_server("20"));
    assert_ne!(code, Some(0), "the stand-in refuses every list: {stderr}");
    assert!(
        stderr.contains(
            "storectl: warning: the cluster runs Kubernetes v1.20.0, older than storectl supports"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.matches("warning:").count(), 1, "said once: {stderr}");
}

#[test]
fn a_supported_server_gets_no_warning() {
    let (code, stderr) = list_against(&stand_in_server("35"));
    assert_ne!(code, Some(0), "the stand-in refuses every list: {stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(!stderr.is_empty(), "the refusal is said: {stderr}");
}
