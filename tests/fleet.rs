//! A fleet across clusters (#26): two control planes of their own at once, `east` and
//! `west`, named in one kubeconfig. Stores made in each, listed together with their
//! context (`--context` twice, `--all-contexts`), found by `status` in the right
//! cluster, a name in both refused, a cluster stopped and restarted while the other
//! answers, `list --watch` following both, a delete in each, and a single-cluster verb
//! refused with two contexts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use common::fleet::Fleet;
use common::unique;

const BOTH: &[&str] = &["east", "west"];

static FLEET: OnceLock<Fleet> = OnceLock::new();
/// Tests that look at whole outputs, or stop a cluster, run alone (write); the others
/// together (read).
static GATE: RwLock<()> = RwLock::new(());

fn fleet() -> &'static Fleet {
    FLEET.get_or_init(|| Fleet::start(BOTH))
}

fn shared() -> (&'static Fleet, RwLockReadGuard<'static, ()>) {
    let gate = GATE.read().unwrap_or_else(|e| e.into_inner());
    (fleet(), gate)
}

fn alone() -> (&'static Fleet, RwLockWriteGuard<'static, ()>) {
    let gate = GATE.write().unwrap_or_else(|e| e.into_inner());
    (fleet(), gate)
}

/// The namespace in `cluster`, as its API server says: absent (None), or whether it is
/// being deleted.
fn namespace(f: &Fleet, cluster: &str, name: &str) -> Option<bool> {
    let client = f.cluster(cluster);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let api: kube::Api<k8s_openapi::api::core::v1::Namespace> =
            kube::Api::all(client.admin().await);
        api.get_opt(name)
            .await
            .unwrap()
            .map(|n| n.metadata.deletion_timestamp.is_some())
    })
}

/// Waits until the namespace is gone from `cluster`.
fn namespace_gone(f: &Fleet, cluster: &str, name: &str) {
    let client = f.cluster(cluster);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let api: kube::Api<k8s_openapi::api::core::v1::Namespace> =
            kube::Api::all(client.admin().await);
        common::wait_gone(&api, name, 120).await;
    });
}

/// `(context, name)` of every store of a `list -o json`.
fn listed(json: &str) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["context"].as_str().unwrap_or_default().to_string(),
                s["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The row of `name` in a table, split into words.
fn row<'a>(table: &'a str, name: &str) -> Option<Vec<&'a str>> {
    table
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|words| words.get(1) == Some(&name) || words.first() == Some(&name))
}

#[test]
fn a_store_made_in_each_cluster_is_listed_once_with_its_context() {
    let (f, _alone) = alone();
    let (a, w) = (unique("a1"), unique("w1"));
    f.storectl(&["east"], &["create", &a]).expect_code(0);
    f.storectl(&["west"], &["create", &w]).expect_code(0);
    // Each made in its own cluster only, as their API servers say.
    let (a_ns, w_ns) = (format!("store-{a}"), format!("store-{w}"));
    assert_eq!(namespace(f, "east", &a_ns), Some(false));
    assert_eq!(namespace(f, "west", &a_ns), None);
    assert_eq!(namespace(f, "west", &w_ns), Some(false));
    assert_eq!(namespace(f, "east", &w_ns), None);

    let table = f.storectl(BOTH, &["list"]).expect_code(0);
    let header: Vec<&str> = table
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "CONTEXT",
            "NAME",
            "NAMESPACE",
            "STATUS",
            "REASON",
            "URL",
            "AGE",
            "PODS"
        ],
        "{table:#?}"
    );
    let row_a = row(&table.stdout, &a).unwrap_or_else(|| panic!("no row of {a}: {table:#?}"));
    assert_eq!(
        row_a[..3],
        ["east", a.as_str(), a_ns.as_str()],
        "{table:#?}"
    );
    let row_w = row(&table.stdout, &w).unwrap_or_else(|| panic!("no row of {w}: {table:#?}"));
    assert_eq!(
        row_w[..3],
        ["west", w.as_str(), w_ns.as_str()],
        "{table:#?}"
    );
    // Clusters in the order asked: every east row before the first west row.
    let contexts: Vec<&str> = table
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut sorted = contexts.clone();
    sorted.sort_by_key(|c| *c != "east");
    assert_eq!(contexts, sorted, "{table:#?}");

    let json = f.storectl(BOTH, &["list", "-o", "json"]).expect_code(0);
    let stores = listed(&json.stdout);
    assert!(stores.contains(&("east".into(), a.clone())), "{json:#?}");
    assert!(stores.contains(&("west".into(), w.clone())), "{json:#?}");
    assert_eq!(
        stores.iter().filter(|(_, n)| *n == a || *n == w).count(),
        2,
        "each store once: {json:#?}"
    );
    let yaml = f.storectl(BOTH, &["list", "-o", "yaml"]).expect_code(0);
    assert!(yaml.stdout.contains("context: west"), "{yaml:#?}");

    // `--all-contexts` over a kubeconfig of exactly these two: the same stores.
    let kubeconfig = f.kubeconfig_of(BOTH);
    let all = f
        .storectl_with(&kubeconfig, &["--all-contexts", "list", "-o", "json"])
        .expect_code(0);
    assert_eq!(listed(&all.stdout), stores, "{all:#?}");

    // One cluster: the table as it always was, no CONTEXT column, only its stores.
    let one = f.storectl(&["east"], &["list"]).expect_code(0);
    assert!(one.stdout.starts_with("NAME "), "{one:#?}");
    assert!(
        row(&one.stdout, &a).is_some() && row(&one.stdout, &w).is_none(),
        "{one:#?}"
    );
    let one_json = f
        .storectl(&["west"], &["list", "-o", "json"])
        .expect_code(0);
    assert!(listed(&one_json.stdout).iter().all(|(c, _)| c == "west"));
    // The clusters are read at the same time: two take about as long as one (the best
    // of five runs each; printed with --nocapture, not asserted on a shared machine).
    let best = |contexts: &[&str]| {
        (0..5)
            .map(|_| {
                let started = Instant::now();
                f.storectl(contexts, &["list"]).expect_code(0);
                started.elapsed()
            })
            .min()
            .unwrap()
    };
    let (one, two) = (best(&["east"]), best(BOTH));
    eprintln!("timing: list over one cluster {one:?}, over two {two:?}");
}

#[test]
fn status_finds_a_store_in_its_own_cluster_and_refuses_a_name_in_both() {
    let (f, _shared) = shared();
    let w = unique("sw");
    f.storectl(&["west"], &["create", &w]).expect_code(0);
    let run = f.storectl(BOTH, &["status", &w]).expect_code(0);
    assert!(
        run.stdout.contains(&format!("Store:     {w}\n")),
        "{run:#?}"
    );
    assert!(run.stdout.contains("Context:   west\n"), "{run:#?}");
    assert!(run.stdout.contains("Namespace"), "{run:#?}");
    let json = f
        .storectl(BOTH, &["status", &w, "-o", "json"])
        .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        (v["name"].as_str(), v["context"].as_str()),
        (Some(w.as_str()), Some("west"))
    );
    assert!(!v["objects"].as_array().unwrap().is_empty(), "{v}");
    // One cluster: no Context line, as before.
    let one = f.storectl(&["west"], &["status", &w]).expect_code(0);
    assert!(!one.stdout.contains("Context:"), "{one:#?}");

    let d = unique("dup");
    f.storectl(&["east"], &["create", &d]).expect_code(0);
    f.storectl(&["west"], &["create", &d]).expect_code(0);
    let both = f.storectl(BOTH, &["status", &d]).expect_code(1);
    assert!(
        both.stderr.contains("several clusters (east, west)") && both.stdout.is_empty(),
        "{both:#?}"
    );
    // Each cluster alone still answers for its own.
    let east = f
        .storectl(&["east"], &["status", &d, "-o", "json"])
        .expect_code(0);
    assert!(east.stdout.contains("\"context\": \"east\""), "{east:#?}");

    let none = f
        .storectl(BOTH, &["status", &unique("none")])
        .expect_code(4);
    assert!(none.stderr.contains("not found"), "{none:#?}");
}

#[test]
fn a_delete_acts_in_one_cluster_only_and_two_contexts_are_refused() {
    let (f, _shared) = shared();
    let x = unique("del");
    let ns = format!("store-{x}");
    f.storectl(&["east"], &["create", &x]).expect_code(0);
    f.storectl(&["west"], &["create", &x]).expect_code(0);

    // A verb of one cluster with two contexts: refused before anything, nothing deleted.
    let refused = f.storectl(BOTH, &["delete", &x, "--yes"]).expect_code(2);
    assert!(
        refused.stderr.contains("acts in one cluster"),
        "{refused:#?}"
    );
    let refused = f
        .storectl_with(
            &f.kubeconfig_of(BOTH),
            &["--all-contexts", "delete", &x, "--yes"],
        )
        .expect_code(2);
    assert!(
        refused.stderr.contains("acts in one cluster"),
        "{refused:#?}"
    );
    assert_eq!(
        namespace(f, "east", &ns),
        Some(false),
        "east's store was touched"
    );
    assert_eq!(
        namespace(f, "west", &ns),
        Some(false),
        "west's store was touched"
    );

    // Deleted in east: gone there, west's store of the same name untouched.
    f.storectl(&["east"], &["delete", &x, "--yes", "--wait"])
        .expect_code(0);
    namespace_gone(f, "east", &ns);
    assert_eq!(
        namespace(f, "west", &ns),
        Some(false),
        "west's store was touched"
    );
    let json = f.storectl(BOTH, &["list", "-o", "json"]).expect_code(0);
    let of_x: Vec<(String, String)> = listed(&json.stdout)
        .into_iter()
        .filter(|(_, n)| *n == x)
        .collect();
    assert_eq!(of_x, [("west".to_string(), x.clone())], "{json:#?}");

    // And in west.
    f.storectl(&["west"], &["delete", &x, "--yes", "--wait"])
        .expect_code(0);
    namespace_gone(f, "west", &ns);
    f.storectl(BOTH, &["status", &x]).expect_code(4);
}

#[test]
fn kinds_refused_in_one_cluster_are_named_with_its_context_and_exit_5() {
    let (f, _shared) = shared();
    let w = unique("rw");
    f.storectl(&["west"], &["create", &w]).expect_code(0);
    // `west-limited`: the same cluster as a user who may list nothing.
    let run = f
        .storectl(&["west", "west-limited"], &["list"])
        .expect_code(5);
    let row_w = row(&run.stdout, &w).unwrap_or_else(|| panic!("no row of {w}: {run:#?}"));
    assert_eq!(row_w[0], "west", "{run:#?}");
    assert!(
        run.stderr
            .contains("storectl: context west-limited: forbidden: user \"limited\" may not list"),
        "{run:#?}"
    );
    assert!(
        !run.stderr.contains("cluster(s) could not be read"),
        "{run:#?}"
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

/// A line containing every part in `parts`, among those seen or the next ones (stdout
/// and stderr come in no fixed order); waits up to `secs`.
fn line_with(
    lines: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    parts: &[&str],
    secs: u64,
) -> String {
    if let Some(line) = seen.iter().find(|l| parts.iter().all(|p| l.contains(p))) {
        return line.clone();
    }
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

/// `list --watch` over both clusters, killed when dropped.
struct Watching(std::process::Child);

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn watch_both(f: &Fleet) -> (Watching, mpsc::Receiver<String>) {
    let mut child = f
        .command(
            &f.kubeconfig,
            &["--context", "east", "--context", "west", "list", "--watch"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut child);
    (Watching(child), lines)
}

#[test]
fn list_watch_follows_a_change_in_each_cluster_with_its_context() {
    let (f, _shared) = shared();
    let (e, w) = (unique("we"), unique("ww"));
    let (_watch, lines) = watch_both(f);
    let mut seen = Vec::new();
    line_with(&lines, &mut seen, &["CONTEXT", "NAME", "STATUS"], 90);
    f.storectl(&["east"], &["create", &e]).expect_code(0);
    line_with(
        &lines,
        &mut seen,
        &[&format!("  east  {e}  Provisioning")],
        60,
    );
    f.storectl(&["west"], &["create", &w]).expect_code(0);
    line_with(
        &lines,
        &mut seen,
        &[&format!("  west  {w}  Provisioning")],
        60,
    );
    f.storectl(&["west"], &["delete", &w, "--yes"])
        .expect_code(0);
    line_with(&lines, &mut seen, &[&format!("  west  {w}  Deleted")], 120);
    assert!(
        !seen.iter().any(|l| l.contains(&format!("  east  {w}  "))),
        "west's store seen in east:\n{}",
        seen.join("\n")
    );
}

/// Restarts west's API server if a test stopped it and did not get as far.
struct Restart<'a>(&'a Fleet, bool);

impl Drop for Restart<'_> {
    fn drop(&mut self) {
        if self.1 {
            self.0.cluster("west").restart_apiserver();
        }
    }
}

#[test]
fn a_stopped_cluster_is_named_while_the_other_answers_and_is_back_once_restarted() {
    let (f, _alone) = alone();
    let (e, w) = (unique("se"), unique("sw"));
    f.storectl(&["east"], &["create", &e]).expect_code(0);
    f.storectl(&["west"], &["create", &w]).expect_code(0);

    f.cluster("west").stop_apiserver();
    let mut stopped = Restart(f, true);
    let list = f.storectl(BOTH, &["list"]).expect_code(6);
    let east_row = row(&list.stdout, &e).unwrap_or_else(|| panic!("no row of {e}: {list:#?}"));
    assert_eq!(east_row[0], "east", "{list:#?}");
    assert!(row(&list.stdout, &w).is_none(), "{list:#?}");
    assert!(
        list.stderr.contains("storectl: context west: cannot reach"),
        "{list:#?}"
    );
    assert!(
        list.stderr.contains("1 of 2 cluster(s) could not be read"),
        "{list:#?}"
    );
    let json = f.storectl(BOTH, &["list", "-o", "json"]).expect_code(6);
    assert!(
        listed(&json.stdout).contains(&("east".into(), e.clone())),
        "{json:#?}"
    );

    // Found in east: shown, west named as a warning.
    let status = f.storectl(BOTH, &["status", &e]).expect_code(0);
    assert!(status.stdout.contains("Context:   east"), "{status:#?}");
    assert!(
        status.stderr.contains("context west could not be read"),
        "{status:#?}"
    );
    // West's store: not in east, and west could not be read.
    let status = f.storectl(BOTH, &["status", &w]).expect_code(6);
    assert!(
        status.stderr.contains(&format!(
            "store '{w}' is not in context east; context west could not be read"
        )),
        "{status:#?}"
    );

    // A watch started now shows east's stores and names west as reconnecting.
    let (_watch, lines) = watch_both(f);
    let mut seen = Vec::new();
    line_with(
        &lines,
        &mut seen,
        &["watch: context west: reconnecting since"],
        60,
    );
    line_with(&lines, &mut seen, &["east", &e], 60);
    assert!(
        seen.iter().any(|l| l.starts_with("CONTEXT")),
        "the table came first:\n{}",
        seen.join("\n")
    );

    f.cluster("west").restart_apiserver();
    stopped.1 = false;
    line_with(
        &lines,
        &mut seen,
        &["watch: context west: connected again"],
        90,
    );
    line_with(&lines, &mut seen, &[&format!("  west  {w}  ")], 60);
    let list = f.storectl(BOTH, &["list", "-o", "json"]).expect_code(0);
    let stores = listed(&list.stdout);
    assert!(
        stores.contains(&("east".into(), e.clone()))
            && stores.contains(&("west".into(), w.clone())),
        "{list:#?}"
    );
}
