//! `storectl list --watch` on a control plane of its own: a line per status change, and
//! the model survives an API server restart without stale or duplicate stores; `delete
//! --wait` watches again after its watch breaks and says "gone" only once it is.
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

/// The lines a child prints on stdout and stderr, as they come.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    rx
}

/// `delete --wait` whose watch breaks (the API server stopped) while the namespace is
/// held in deletion (a finalizer on an unlabelled ConfigMap in it): storectl watches
/// again, is still waiting when the server is back, and says "is gone" (exit 0) only
/// after the finalizer is removed and the namespace is gone, as the API server says.
#[tokio::test(flavor = "multi_thread")]
async fn delete_wait_watches_again_after_its_watch_breaks_and_says_gone_only_once_it_is() {
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
    use kube::Api;
    use kube::api::{Patch, PatchParams, PostParams};

    let c = dedicated_cluster();
    let name = unique("dw");
    let ns = format!("store-{name}");
    tokio::task::block_in_place(|| {
        storectl(&c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0)
    });
    let client = c.admin().await;
    let held: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let hold: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "hold", "finalizers": ["storectl.test/hold"]}
    }))
    .unwrap();
    held.create(&PostParams::default(), &hold).await.unwrap();

    let home = common::fresh_home(&c);
    let log = home.join(".local/state/storectl/storectl.log");
    let mut delete = Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(["--context", ADMIN, "delete", &name, "--yes", "--wait"])
        .args(["--timeout", "120s"])
        .env_clear()
        .env("HOME", &home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("KUBECONFIG", &c.kubeconfig)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut delete);
    let mut seen = Vec::new();
    // The delete was made and storectl waits on it.
    line_with(&rx, &mut seen, &[&format!("deleting store {name}:")], 60);
    let namespaces: Api<Namespace> = Api::all(client.clone());
    common::wait_for(&namespaces, &ns, 60, "being deleted", |n| {
        n.metadata.deletion_timestamp.is_some()
    })
    .await;

    // The server goes away until storectl has seen its watch fail.
    c.stop_apiserver();
    let broke = format!("waiting for {ns} to go: ");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text
            .lines()
            .any(|l| l.contains(&broke) && l.ends_with("; watching again"))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "storectl's watch never failed while the API server was stopped; its log:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    c.restart_apiserver();

    // Still held: storectl must not have finished, nor said "gone".
    let client = c.admin().await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    assert!(
        namespaces.get_opt(&ns).await.unwrap().is_some(),
        "the namespace went while held"
    );
    while let Ok(line) = rx.try_recv() {
        seen.push(line);
    }
    assert_eq!(
        delete.try_wait().unwrap(),
        None,
        "storectl ended while the namespace was still there:\n{}",
        seen.join("\n")
    );
    let gone_line = format!("store {name} is gone");
    assert!(
        !seen.iter().any(|l| l == &gone_line),
        "said gone while the namespace was there:\n{}",
        seen.join("\n")
    );

    let held: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    held.patch(
        "hold",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    line_with(&rx, &mut seen, &[&gone_line], 120);
    // At the moment storectl says gone, the API server agrees.
    assert_eq!(
        namespaces.get_opt(&ns).await.unwrap().map(|n| n.metadata),
        None,
        "storectl said gone, the namespace is still there"
    );
    let status = tokio::task::block_in_place(|| delete.wait()).unwrap();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(5)) {
        seen.push(line);
    }
    assert_eq!(status.code(), Some(0), "{}", seen.join("\n"));
    assert_eq!(
        seen.iter().filter(|l| **l == gone_line).count(),
        1,
        "{}",
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
async fn first_lists_are_one_list_each_unless_storectl_watch_list_is_set() {
    let c = dedicated_cluster();
    let client = c.admin().await;
    // Ingresses: a kind nothing else here lists once the controllers have started.
    let before = lists_served(&client, "ingresses").await;
    tokio::task::block_in_place(|| watch_until_listed(&c, &[]));
    let listed = lists_served(&client, "ingresses").await;
    assert_eq!(listed, before + 1, "by default the first list is one LIST");
    let streaming = [("STORECTL_WATCH_LIST", "1")];
    tokio::task::block_in_place(|| watch_until_listed(&c, &streaming));
    let streamed = lists_served(&client, "ingresses").await;
    assert_eq!(
        streamed, listed,
        "STORECTL_WATCH_LIST=1: it came as watch events"
    );
    let both = [
        ("STORECTL_WATCH_LIST", "1"),
        ("STORECTL_NO_WATCH_LIST", "1"),
    ];
    tokio::task::block_in_place(|| watch_until_listed(&c, &both));
    let refused = lists_served(&client, "ingresses").await;
    assert_eq!(
        refused,
        streamed + 1,
        "STORECTL_NO_WATCH_LIST=1 wins: one LIST"
    );
}
