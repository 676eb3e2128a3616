//! `storectl list --watch` on a control plane of its own: a line per status change, and
//! the model survives an API server restart without stale or duplicate stores.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{dedicated_cluster, storectl, unique};

const ADMIN: &str = "devcluster-admin";

/// Waits for a line containing every part in `parts`; returns it.
fn line_with(
    lines: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    parts: &[&str],
    secs: u64,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if parts.iter().all(|p| line.contains(p)) {
                    return line;
                }
            }
            Err(_) => panic!(
                "no line with {parts:?} within {secs}s; saw:\n{}",
                seen.join("\n")
            ),
        }
    }
}

#[test]
fn list_watch_follows_changes_across_an_api_server_restart() {
    let c = dedicated_cluster();
    let (a, b) = (unique("wa"), unique("wb"));
    let mut watch = Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(["--context", ADMIN, "list", "--watch"])
        .env_clear()
        .env("HOME", common::fresh_home(&c))
        .env("KUBECONFIG", &c.kubeconfig)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    for stream in [
        Box::new(watch.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(watch.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut seen = Vec::new();
    line_with(&rx, &mut seen, &["NAME", "STATUS"], 60);

    storectl(&c, ADMIN, &["create", &a]).expect_code(0);
    line_with(&rx, &mut seen, &[&a, "Provisioning"], 60);
    line_with(&rx, &mut seen, &[&a, "Ready"], 60);

    c.restart_apiserver();
    storectl(&c, ADMIN, &["create", &b, "--wait", "--timeout", "90s"]).expect_code(0);
    line_with(&rx, &mut seen, &[&b, "Ready"], 60);
    let before_delete = seen.len();
    storectl(&c, ADMIN, &["delete", &a, "--yes", "--wait"]).expect_code(0);
    line_with(&rx, &mut seen, &[&a, "Deleted"], 60);
    let _ = watch.kill();
    let _ = watch.wait();
    let deleted = |lines: &[String]| {
        lines
            .iter()
            .filter(|l| l.contains(&a) && l.contains("  Deleted  "))
            .count()
    };
    assert_eq!(
        (
            deleted(&seen[..before_delete]),
            deleted(&seen[before_delete..])
        ),
        (0, 1),
        "one Deleted line, and only after the deletion (a reconnect must not fake one):\n{}",
        seen.join("\n")
    );

    let ready_lines_of_a = seen
        .iter()
        .filter(|l| l.contains(&a) && l.contains("  Ready  "))
        .count();
    assert_eq!(
        ready_lines_of_a,
        1,
        "no duplicate after the reconnect:\n{}",
        seen.join("\n")
    );
    assert!(
        seen.iter().any(|l| l.contains("watch: reconnecting")),
        "the restart was noticed:\n{}",
        seen.join("\n")
    );
}

/// How many LISTs of `resource` the API server has served (its own metrics).
async fn lists_served(client: &kube::Client, resource: &str) -> u64 {
    let text = client
        .request_text(
            ureq::http::Request::get("/metrics")
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap();
    let wanted = format!("resource=\"{resource}\"");
    text.lines()
        .filter(|l| l.starts_with("apiserver_request_total{"))
        .filter(|l| l.contains(&wanted) && l.contains("verb=\"LIST\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// `storectl list --watch` until its table is up, with `env`.
fn watch_until_listed(c: &common::TestCluster, env: &[(&str, &str)]) {
    let mut watch = Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(["--context", ADMIN, "list", "--watch"])
        .env_clear()
        .env("HOME", common::fresh_home(c))
        .env("KUBECONFIG", &c.kubeconfig)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = watch.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    line_with(&rx, &mut Vec::new(), &["NAME", "STATUS"], 60);
    let _ = watch.kill();
    let _ = watch.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn first_lists_stream_as_watches_unless_storectl_no_watch_list_is_set() {
    let c = dedicated_cluster();
    let client = c.admin().await;
    // Ingresses: a kind nothing else here lists once the controllers have started.
    let before = lists_served(&client, "ingresses").await;
    tokio::task::block_in_place(|| watch_until_listed(&c, &[]));
    let streamed = lists_served(&client, "ingresses").await;
    assert_eq!(streamed, before, "the first list came as watch events");
    tokio::task::block_in_place(|| watch_until_listed(&c, &[("STORECTL_NO_WATCH_LIST", "1")]));
    let listed = lists_served(&client, "ingresses").await;
    assert_eq!(listed, streamed + 1, "STORECTL_NO_WATCH_LIST=1: one LIST");
}
