//! End to end over a fleet: the real binary in a real terminal (tmux) with
//! `--context east --context west`, against two control planes at once. One table holds
//! both clusters' stores with their context; one cluster's API server stopped dims its
//! rows only while the other stays live; creates and deletes through the UI land in the
//! cluster chosen, verified on each cluster through its own API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;

use common::fleet::Fleet;
use common::tmux::Session;

/// `storectl --context CONTEXT ARGS` against the fleet, which must succeed.
fn storectl(fleet: &Fleet, context: &str, args: &[&str]) {
    fleet.storectl(&[context], args).expect_code(0);
}

/// The table line of store `name` in the cluster of `context` (a fleet's rows start
/// with their context).
fn row<'a>(screen: &'a str, name: &str, context: &str) -> Option<&'a str> {
    screen.lines().find(|l| {
        let mut words = l.split_whitespace().filter(|w| *w != "●");
        words.next() == Some(context) && words.next() == Some(name)
    })
}

/// What the header says of cluster `context`: from its name to the next cluster's.
fn header_part<'a>(screen: &'a str, context: &str) -> &'a str {
    let header = screen.lines().next().unwrap_or_default();
    let from = header.find(&format!(" {context} ")).unwrap_or(header.len());
    let rest = &header[from..];
    let end = rest[context.len() + 2..]
        .find(" west ")
        .map_or(rest.len(), |i| i + context.len() + 2);
    rest[..end].trim()
}

/// Whether `name`'s namespace exists (and is not being deleted) in `cluster`.
fn namespace_live(fleet: &Fleet, cluster: &str, name: &str) -> bool {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let api: Api<Namespace> = Api::all(fleet.cluster(cluster).admin().await);
        api.get_opt(&format!("store-{name}"))
            .await
            .unwrap()
            .is_some_and(|ns| ns.metadata.deletion_timestamp.is_none())
    })
}

/// Narrows the table to `filter` (a context name matches its rows) and keeps it.
fn filter(tui: &Session, text: &str) {
    // Escape alone (right before another key a terminal reads it as Alt): the old
    // filter cleared first.
    tui.keys(&["Escape"]);
    tui.wait("the filter cleared", 10, |s| !s.contains(" filter: "));
    tui.keys(&["/"]);
    tui.text(text);
    tui.keys(&["Enter"]);
}

/// Selects the row of `name` in `context`: the filter narrows the table to `name`'s
/// rows, then the selection moves down to the one of `context`.
fn select(tui: &Session, name: &str, context: &str) {
    filter(tui, name);
    let screen = tui.wait("the filtered rows", 10, |s| {
        s.contains(&format!("filter: {name}")) && row(s, name, context).is_some()
    });
    let shown: Vec<&str> = screen
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(name))
        .collect();
    let at = shown
        .iter()
        .position(|l| Some(*l) == row(&screen, name, context))
        .unwrap();
    tui.keys(&["g"]);
    for _ in 0..at {
        tui.keys(&["j"]);
    }
}

/// Deletes store `name` of `context` through the typed confirmation.
fn delete(tui: &Session, name: &str, context: &str) {
    select(tui, name, context);
    tui.keys(&["C-d"]);
    let screen = tui.wait("the confirmation", 10, |s| s.contains("delete store"));
    assert!(
        screen.contains(&format!("Delete store {name}?"))
            && screen.contains(&format!("context {context}")),
        "the confirmation names the store and its cluster:\n{screen}"
    );
    tui.text(name);
    tui.keys(&["Enter"]);
}

#[test]
fn one_table_over_two_clusters_stays_live_per_cluster_and_acts_in_the_rows_cluster() {
    let fleet = Fleet::start(&["east", "west"]);
    // The same store name in both clusters, each made by the CLI in its own.
    storectl(&fleet, "east", &["create", "shop"]);
    storectl(&fleet, "west", &["create", "shop"]);

    let tui = Session::launch(
        &fleet.kubeconfig,
        "--context east --context west",
        (160, 40),
        "",
        "",
    );
    let screen = tui.wait("both clusters' shop, Ready", 120, |s| {
        ["east", "west"]
            .iter()
            .all(|c| row(s, "shop", c).is_some_and(|r| r.contains("Ready")))
    });
    assert!(screen.contains("CONTEXT"), "{screen}");
    assert!(
        screen.contains("east v1.") && screen.contains("west v1."),
        "each cluster's version in the header:\n{screen}"
    );

    // West's API server stops: west says so and its rows are stale; east stays live and
    // its changes still arrive.
    let west = fleet.cluster("west");
    west.stop_apiserver();
    let screen = tui.wait("west reconnecting", 60, |s| {
        s.contains("STALE: west") && s.contains("west v1.") && s.contains("reconnecting")
    });
    assert!(
        header_part(&screen, "east").ends_with("live"),
        "east stays live:\n{screen}"
    );
    storectl(&fleet, "east", &["create", "while-down"]);
    tui.wait("east's new store while west is down", 60, |s| {
        row(s, "while-down", "east").is_some()
    });
    assert!(
        row(&tui.screen(), "shop", "west").is_some(),
        "west's rows stay, as last seen"
    );
    west.restart_apiserver();
    tui.wait("west live again", 90, |s| {
        !s.contains("STALE") && !s.contains("reconnecting")
    });

    // A create through the form in each cluster: it starts on the selected row's cluster.
    for (context, name) in [("west", "made-w"), ("east", "made-e")] {
        filter(&tui, context);
        tui.keys(&["g", "c"]);
        let form = tui.wait("the form", 10, |s| s.contains("create store"));
        assert!(
            form.contains(&format!("Context: ‹ {context} ›")),
            "the form is on {context}:\n{form}"
        );
        tui.text(name);
        tui.wait("a valid name", 10, |s| s.contains("valid name"));
        tui.keys(&["Enter"]);
        tui.wait("the new row Ready", 120, |s| {
            row(s, name, context).is_some_and(|r| r.contains("Ready"))
        });
        let other = if context == "east" { "west" } else { "east" };
        assert!(namespace_live(&fleet, context, name), "{name} in {context}");
        assert!(
            !namespace_live(&fleet, other, name),
            "{name} made in {other} too"
        );
    }

    // A delete in each cluster: west's shop, then east's; the other's stays.
    delete(&tui, "shop", "west");
    tui.wait("west's shop gone", 120, |s| {
        row(s, "shop", "west").is_none()
    });
    assert!(!namespace_live(&fleet, "west", "shop"));
    assert!(namespace_live(&fleet, "east", "shop"), "east's shop stays");
    delete(&tui, "made-e", "east");
    tui.wait("east's made-e gone", 120, |s| {
        row(s, "made-e", "east").is_none()
    });
    assert!(!namespace_live(&fleet, "east", "made-e"));
    assert!(namespace_live(&fleet, "east", "shop"));
    assert!(namespace_live(&fleet, "west", "made-w"));
    tui.keys(&["Escape"]);
    tui.wait("the filter cleared", 10, |s| !s.contains(" filter: "));
    tui.keys(&["q"]);
    tui.wait("storectl exited", 10, |s| s.contains("STORECTL-EXITED-0"));
}
