//! End to end: the real binary in a real terminal (tmux), against the control plane with
//! the node simulator. Create a store through the form, see it reach Ready, open its logs,
//! delete it through the confirmation, see it disappear; and the terminal is restored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::tmux::Session;
use common::{cluster, storectl, unique};

/// The store's generated WordPress admin password, read through the API.
fn admin_password(c: &common::TestCluster, name: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
            kube::Api::namespaced(c.admin().await, &format!("store-{name}"));
        let secret = secrets.get(&format!("{name}-credentials")).await.unwrap();
        let value = secret.data.unwrap_or_default()["wordpress-admin-password"].clone();
        String::from_utf8(value.0).unwrap()
    })
}

fn row_of<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.trim_start().starts_with(name))
}

#[test]
fn create_watch_logs_and_delete_a_store_in_the_terminal_ui() {
    let c = cluster();
    let name = unique("tui");
    let tui = Session::start(&c.kubeconfig, 120, 32);
    tui.wait("the live table", 30, |s| {
        s.contains("live") && (s.contains("NAME") || s.contains("no stores yet"))
    });

    // Create through the form; an invalid character is rejected as it is typed.
    tui.keys(&["c"]);
    tui.wait("the form", 10, |s| s.contains("create store"));
    tui.text("Bad");
    tui.wait("the live name check", 10, |s| {
        s.contains("store names are lowercase")
    });
    tui.keys(&["BSpace", "BSpace", "BSpace"]);
    tui.text(&name);
    tui.wait("a valid name", 10, |s| s.contains("valid name"));
    tui.keys(&["Enter"]);
    tui.wait("the new row", 30, |s| row_of(s, &name).is_some());
    let screen = tui.wait("Ready", 60, |s| {
        row_of(s, &name).is_some_and(|r| r.contains("Ready"))
    });
    assert!(row_of(&screen, &name).unwrap().contains("2/2"), "{screen}");
    assert!(
        screen.contains(&format!("created store {name}")),
        "{screen}"
    );

    // Details: reveal the admin login, copy: the clipboard (tmux's buffer, fed by OSC 52)
    // receives the password, not the user name.
    tui.keys(&["Enter"]);
    tui.wait("the details", 10, |s| s.contains("press r to reveal"));
    tui.keys(&["r"]);
    tui.wait("the revealed login", 10, |s| s.contains("Password"));
    tui.keys(&["c"]);
    tui.wait("the copy notice", 10, |s| {
        s.contains("copied the admin password")
    });
    let password = admin_password(c, &name);
    let buffer = Command::new("tmux").args(["show-buffer"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&buffer.stdout),
        password,
        "the clipboard holds the password"
    );
    tui.keys(&["Escape"]);

    // Logs of the selected (new) store, live.
    tui.keys(&["l"]);
    tui.wait("wordpress logs", 30, |s| {
        s.contains(&format!("logs {name} / wordpress")) && s.contains("resuming normal operations")
    });
    tui.wait("lines arriving while following", 30, |s| {
        s.contains("simulated request 2")
    });
    tui.keys(&["3"]);
    tui.wait("setup logs", 30, |s| s.contains("store setup complete"));
    tui.keys(&["Escape"]);
    tui.wait("the table again", 10, |s| s.contains("sorted by"));

    // Delete: Enter alone does nothing; the typed name deletes.
    tui.keys(&["C-d"]);
    tui.wait("the confirmation", 10, |s| {
        s.contains("delete store") && s.contains("data volumes")
    });
    tui.keys(&["Enter"]);
    tui.wait("the refusal", 10, |s| {
        s.contains(&format!("type '{name}' exactly"))
    });
    tui.text(&name);
    tui.keys(&["Enter"]);
    tui.wait("Deleting or gone", 30, |s| {
        row_of(s, &name).is_none_or(|r| r.contains("Deleting"))
    });
    tui.wait("the row to disappear", 90, |s| row_of(s, &name).is_none());
    storectl(c, "devcluster-admin", &["status", &name]).expect_code(4);

    // Quit restores the terminal: the shell prints after the alternate screen is left.
    tui.keys(&["q"]);
    let screen = tui.wait("a clean exit", 10, |s| s.contains("STORECTL-EXITED-0"));
    assert!(!tui.alternate_screen_on(), "the alternate screen was left");
    assert!(
        !screen.contains("sorted by"),
        "the table is gone with the alternate screen:\n{screen}"
    );
}

#[test]
fn sigterm_and_a_tiny_terminal_are_handled() {
    let c = cluster();
    let tui = Session::start(&c.kubeconfig, 50, 10);
    tui.wait("the too-small message", 30, |s| {
        s.contains("Terminal too small")
    });
    let _ = Command::new("tmux")
        .args(["resize-window", "-t", &tui.name, "-x", "100", "-y", "30"])
        .status();
    tui.wait("the table after resizing", 30, |s| s.contains("sorted by"));
    let shell = Command::new("tmux")
        .args(["display-message", "-p", "-t", &tui.name, "#{pane_pid}"])
        .output()
        .unwrap();
    let shell = String::from_utf8_lossy(&shell.stdout).trim().to_string();
    let pid = Command::new("pgrep")
        .args(["-P", &shell, "storectl"])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&pid.stdout).trim().to_string();
    assert!(!pid.is_empty(), "storectl is running");
    assert!(
        tui.alternate_screen_on(),
        "the TUI runs in the alternate screen"
    );
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    tui.wait("a clean exit on SIGTERM", 10, |s| {
        s.contains("STORECTL-EXITED-0")
    });
    // Not the screen's text: after a resize in the alternate screen, tmux may carry some
    // of its lines into the main screen. The mode itself is what must be restored.
    assert!(!tui.alternate_screen_on(), "the alternate screen was left");
}

#[test]
fn a_panic_in_the_running_ui_gives_the_terminal_back_as_it_was() {
    let c = cluster();
    // A debug build panics on the key this names; `stty -a` then reads the terminal's
    // line settings in the same pane, as the user's shell would find them.
    let tui = Session::launch(
        &c.kubeconfig,
        "--context devcluster-admin",
        (140, 40),
        "STORECTL_DEBUG_PANIC_KEY=%",
        "stty -a; echo STTY-READ;",
    );
    tui.wait("the table", 30, |s| s.contains("sorted by"));
    assert!(
        tui.alternate_screen_on(),
        "the TUI runs in the alternate screen"
    );
    assert!(!tui.flag("#{cursor_flag}"), "the TUI hides the cursor");
    tui.text("%");
    let screen = tui.wait("the shell after the panic", 15, |s| s.contains("STTY-READ"));
    assert!(
        screen.contains("STORECTL-EXITED-101"),
        "the process ended by the panic:\n{screen}"
    );
    assert!(
        screen.contains("deliberate panic"),
        "the panic's message is left on the user's screen:\n{screen}"
    );
    assert!(!tui.alternate_screen_on(), "the alternate screen was left");
    assert!(tui.flag("#{cursor_flag}"), "the cursor is shown again");
    let settings: Vec<&str> = screen
        .split(|c: char| c.is_whitespace() || c == ';')
        .collect();
    for mode in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(
            settings.contains(&mode) && !settings.contains(&format!("-{mode}").as_str()),
            "raw mode was left on: `stty -a` shows no {mode}:\n{screen}"
        );
    }
}

#[test]
fn the_header_says_reconnecting_once_the_server_goes_away_and_live_once_it_is_back() {
    let c = common::dedicated_cluster();
    let tui = Session::start(&c.kubeconfig, 140, 30);
    tui.wait("the live table", 30, |s| s.contains(" live"));
    c.stop_apiserver();
    let screen = tui.wait("reconnecting", 15, |s| s.contains("reconnecting since"));
    assert!(
        screen.contains("STALE"),
        "the table is marked stale:\n{screen}"
    );
    c.restart_apiserver();
    tui.wait("live again", 60, |s| {
        s.contains(" live") && !s.contains("reconnecting")
    });
    tui.keys(&["q"]);
    tui.wait("a clean exit", 10, |s| s.contains("STORECTL-EXITED-0"));
}

#[test]
fn a_user_who_may_not_list_ingresses_sees_the_table_and_is_told_what_is_hidden() {
    let c = cluster();
    let name = unique("partial");
    storectl(
        c,
        "devcluster-admin",
        &["create", &name, "--wait", "--timeout", "90s"],
    )
    .expect_code(0);
    // `limited` may read every store kind but ingresses.
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(common::grant_all_but_ingresses(c));
    let tui = Session::start_as(&c.kubeconfig, "devcluster-limited", 160, 30);
    let screen = tui.wait("the header naming the hidden kind", 30, |s| {
        s.contains("no access to ingresses")
    });
    assert!(screen.contains(" live"), "{screen}");
    let screen = tui.wait("the store's row", 30, |s| {
        row_of(s, &name).is_some_and(|r| r.contains("Ready") || r.contains("Provisioning"))
    });
    // Without its URL (it comes from the Ingress, which this user may not read): the
    // column shows "-", and the host is nowhere on the screen.
    let row = row_of(&screen, &name).unwrap();
    // (Columns counted in characters: the table's borders and an ellipsis are not ASCII.)
    let header: Vec<char> = screen
        .lines()
        .find(|l| l.contains("NAME"))
        .unwrap()
        .chars()
        .collect();
    let column = (0..header.len())
        .find(|&i| header[i..].starts_with(&[' ', 'U', 'R', 'L', ' ']))
        .unwrap()
        + 1;
    let url: String = row
        .chars()
        .skip(column)
        .take_while(|ch| !ch.is_whitespace())
        .collect();
    assert_eq!(url, "-", "{row}\n{screen}");
    assert!(!screen.contains(&format!("{name}.local")), "{screen}");
    tui.keys(&["q"]);
    tui.wait("a clean exit", 10, |s| s.contains("STORECTL-EXITED-0"));
    storectl(c, "devcluster-admin", &["delete", &name, "--yes", "--wait"]).expect_code(0);
}

#[test]
fn x_switches_the_kubeconfig_context_and_everything_follows() {
    let c = cluster();
    let name = unique("ctx");
    storectl(c, "devcluster-admin", &["create", &name]).expect_code(0);
    let tui = Session::start(&c.kubeconfig, 160, 30);
    tui.wait("the admin's table with the store", 30, |s| {
        s.contains("context devcluster-admin") && row_of(s, &name).is_some()
    });
    tui.keys(&["x"]);
    let picker = tui.wait("the context picker", 10, |s| {
        s.contains("contexts (* current)")
    });
    for context in [
        "* devcluster-admin",
        "devcluster-limited",
        "devcluster-operator",
    ] {
        assert!(picker.contains(context), "{context} missing:\n{picker}");
    }
    // `operator` may list nothing here: the header says so and the store is not shown.
    tui.keys(&["j", "j", "Enter"]);
    let screen = tui.wait("the operator's view", 30, |s| {
        s.contains("context devcluster-operator") && s.contains("no access to")
    });
    assert!(row_of(&screen, &name).is_none(), "{screen}");
    assert!(
        screen.contains("switched to context devcluster-operator"),
        "{screen}"
    );
    // And back: the store is there again.
    tui.keys(&["x"]);
    tui.wait("the picker, operator current", 10, |s| {
        s.contains("* devcluster-operator")
    });
    tui.keys(&["g", "Enter"]);
    tui.wait("the admin's table again", 30, |s| {
        s.contains("context devcluster-admin") && row_of(s, &name).is_some()
    });
    tui.keys(&["q"]);
    tui.wait("a clean exit", 10, |s| s.contains("STORECTL-EXITED-0"));
    storectl(c, "devcluster-admin", &["delete", &name, "--yes"]).expect_code(0);
}

#[test]
fn marked_stores_are_upgraded_with_a_plan_and_progress_then_deleted_together() {
    let c = cluster();
    let prefix = unique("tuiup");
    let names: Vec<String> = (1..=3).map(|i| format!("{prefix}-{i}")).collect();
    std::thread::scope(|s| {
        for name in &names {
            s.spawn(move || {
                storectl(c, "devcluster-admin", &["create", name, "--wait"]).expect_code(0)
            });
        }
    });
    let tui = Session::start(&c.kubeconfig, 160, 40);
    tui.wait("the stores", 30, |s| {
        names.iter().all(|n| s.contains(n.as_str()))
    });
    tui.keys(&["/"]);
    tui.text(&prefix);
    tui.keys(&["Enter", "*"]);
    tui.wait("three marked", 10, |s| {
        s.contains("(3 of ") && s.contains("3 marked)")
    });

    tui.keys(&["u"]);
    tui.wait("the upgrade form", 10, |s| s.contains("upgrade 3 stores"));
    tui.text("wordpress.image=wordpress:6.9-apache");
    tui.keys(&["Tab", "BSpace", "BSpace"]);
    tui.text("2");
    tui.keys(&["Enter"]);
    let plan = tui.wait("the plan", 60, |s| {
        s.contains("plan: 3 store(s) in 2 wave(s)")
    });
    assert!(
        plan.contains("wordpress.image: wordpress:6.8-apache -> wordpress:6.9-apache"),
        "{plan}"
    );
    tui.keys(&["Enter"]);
    tui.wait("the progress view", 10, |s| s.contains("rollout running"));
    // Leaving the progress view does not stop the rollout; U comes back to it.
    tui.keys(&["Escape"]);
    tui.wait("the table", 10, |s| s.contains("sorted by name"));
    tui.keys(&["U"]);
    let done = tui.wait("the rollout done", 180, |s| {
        s.contains("rollout done") && s.contains("3/3 at the target, 0 failed")
    });
    for name in &names {
        assert!(
            done.lines()
                .any(|l| l.contains(name.as_str()) && l.contains("ready on revision 2")),
            "{name}:\n{done}"
        );
    }
    for name in &names {
        let status =
            storectl(c, "devcluster-admin", &["status", name, "-o", "json"]).expect_code(0);
        let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
        assert_eq!(status["status"], "Ready");
        let history = storectl(c, "devcluster-admin", &["history", name]).expect_code(0);
        assert!(
            history
                .stdout
                .contains("upgrade: wordpress.image: wordpress:6.8-apache -> wordpress:6.9-apache"),
            "{history:?}"
        );
    }

    // Details: the revisions, and the diff (nothing: the cluster matches revision 2).
    tui.keys(&["Escape"]);
    tui.wait("the table", 10, |s| s.contains("sorted by name"));
    tui.keys(&["g", "Enter"]);
    let details = tui.wait("the revisions in details", 20, |s| {
        s.contains("Revisions") && s.contains("upgrade: wordpress.image")
    });
    assert!(details.contains("created"), "{details}");
    tui.keys(&["d"]);
    tui.wait("the diff", 30, |s| {
        s.contains("none: the cluster matches the latest revision")
    });

    // Two marked stores go with one confirmation: their number typed.
    tui.keys(&["Escape"]);
    tui.wait("the table", 10, |s| s.contains("sorted by name"));
    tui.keys(&["g", "Space", "Space", "C-d"]);
    tui.wait("the bulk confirmation", 10, |s| {
        s.contains("Delete 2 stores?")
    });
    tui.text("2");
    tui.keys(&["Enter"]);
    tui.wait("both deleting", 30, |s| {
        names[..2].iter().all(|n| {
            s.lines()
                .any(|l| l.contains(n.as_str()) && l.contains("Deleting"))
                || !s.contains(n.as_str())
        })
    });
    tui.keys(&["q"]);
    tui.wait("a clean exit", 10, |s| s.contains("STORECTL-EXITED-0"));
    // Gone, as the API server says (a row off the screen also passed "both deleting").
    namespaces_gone(c, &names[..2]);
    let left = storectl(c, "devcluster-admin", &["status", &names[2], "-o", "json"]).expect_code(0);
    assert!(
        left.stdout.contains("\"Ready\""),
        "the unmarked store stays"
    );
    storectl(c, "devcluster-admin", &["delete", &names[2], "--yes"]).expect_code(0);
}

#[test]
fn b_backs_up_details_list_it_r_restores_it_and_delete_says_it_stays() {
    let c = cluster();
    let name = unique("tuibk");
    storectl(c, "devcluster-admin", &["create", &name, "--wait"]).expect_code(0);
    let tui = Session::start(&c.kubeconfig, 160, 45);
    tui.wait("the store", 30, |s| row_of(s, &name).is_some());
    tui.keys(&["/"]);
    tui.text(&name);
    tui.keys(&["Enter", "b"]);
    let started = tui.wait("the backup started", 30, |s| {
        s.contains(&format!("of store {name} started"))
    });
    assert!(started.contains("backup 20"), "{started}");
    tui.keys(&["Enter"]);
    tui.wait("the backup complete in details", 60, |s| {
        s.lines()
            .any(|l| l.contains(" Complete ") && l.contains("http://storectl-backups."))
    });
    tui.keys(&["R"]);
    tui.wait("the restore picker", 10, |s| {
        s.contains(&format!("restore a backup into {name}"))
    });
    tui.keys(&["Enter"]);
    tui.wait("the restore confirmation", 10, |s| {
        s.contains("restore store") && s.contains(&format!("Type {name} to confirm"))
    });
    tui.text(&name);
    tui.keys(&["Enter"]);
    tui.wait("the restore done", 90, |s| {
        s.contains(&format!("into store {name}; WordPress started again"))
    });
    tui.wait("the store Ready again", 60, |s| {
        row_of(s, &name).is_some_and(|r| r.contains("Ready"))
    });
    tui.keys(&["C-d"]);
    let confirm = tui.wait("the delete confirmation with the backups", 20, |s| {
        s.contains(&format!("{name}: 1 backup(s) kept at"))
    });
    assert!(confirm.contains("delete store"), "{confirm}");
    tui.text(&name);
    tui.keys(&["Enter"]);
    tui.wait("deleting", 30, |s| {
        row_of(s, &name).is_none_or(|r| r.contains("Deleting"))
    });
    tui.keys(&["q"]);
    tui.wait("a clean exit", 10, |s| s.contains("STORECTL-EXITED-0"));
    // The store is gone, as the API server says; its backup record stays.
    namespaces_gone(c, std::slice::from_ref(&name));
    let kept = storectl(c, "devcluster-admin", &["backups", &name, "-o", "json"]).expect_code(0);
    let kept: Vec<serde_json::Value> = serde_json::from_str(&kept.stdout).unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["status"], "Complete");
    let records = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let api: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
            kube::Api::namespaced(c.admin().await, "ecommerce-platform");
        api.list_metadata(
            &kube::api::ListParams::default().labels(&format!("storectl.io/backup-of={name}")),
        )
        .await
        .unwrap()
        .items
        .len()
    });
    assert_eq!(records, 1, "the backup record outlives the store");
}

/// Waits (on watches) until the namespaces of the stores `names` are gone.
fn namespaces_gone(c: &common::TestCluster, names: &[String]) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(c.admin().await);
        for name in names {
            common::wait_gone(&api, &format!("store-{name}"), 120).await;
        }
    });
}

/// The ClusterRole `tui-resync` bound to the user `twin` (used by no other test of this
/// file): every kind storectl lists, ingresses too when `ingresses`.
fn grant_twin(c: &common::TestCluster, ingresses: bool) {
    use kube::api::{Patch, PatchParams};
    let mut rules = vec![
        serde_json::json!({"apiGroups": [""], "resources": ["namespaces", "pods", "persistentvolumeclaims", "events"], "verbs": ["get", "list", "watch"]}),
        serde_json::json!({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]}),
        serde_json::json!({"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch"]}),
        serde_json::json!({"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "list", "watch"]}),
    ];
    if ingresses {
        rules.push(serde_json::json!({"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": ["get", "list", "watch"]}));
    }
    let role: k8s_openapi::api::rbac::v1::ClusterRole = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "tui-resync"}, "rules": rules}),
    )
    .unwrap();
    let binding: k8s_openapi::api::rbac::v1::ClusterRoleBinding =
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "tui-resync-twin"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "tui-resync"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "twin"}]
        }))
        .unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = c.admin().await;
        let pp = PatchParams::apply("storectl-test").force();
        kube::Api::<k8s_openapi::api::rbac::v1::ClusterRole>::all(client.clone())
            .patch("tui-resync", &pp, &Patch::Apply(role))
            .await
            .unwrap();
        kube::Api::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>::all(client)
            .patch("tui-resync-twin", &pp, &Patch::Apply(binding))
            .await
            .unwrap();
    });
}

/// Ctrl-R lists everything again, as the user may now: a watch keeps running after its
/// permission is taken away (the API server authorizes a watch when it starts), so only
/// a new list shows `no access to ingresses` and the URL gone.
#[test]
fn ctrl_r_lists_everything_again_with_the_users_permissions_of_now() {
    let c = cluster();
    let name = unique("resync");
    storectl(
        c,
        "devcluster-admin",
        &["create", &name, "--wait", "--timeout", "90s"],
    )
    .expect_code(0);
    grant_twin(c, true);
    let tui = Session::start_as(&c.kubeconfig, "devcluster-twin", 160, 30);
    let host = format!("{name}.local");
    let screen = tui.wait("the store's row with its URL", 30, |s| {
        row_of(s, &name).is_some_and(|r| r.contains(&host)) && s.contains(" live")
    });
    assert!(!screen.contains("no access"), "{screen}");
    grant_twin(c, false);
    tui.keys(&["C-r"]);
    let screen = tui.wait("the header naming the hidden kind", 30, |s| {
        s.contains("no access to ingresses")
    });
    let screen = if row_of(&screen, &name).is_some_and(|r| !r.contains(&host)) {
        screen
    } else {
        tui.wait("the store's row without its URL", 30, |s| {
            row_of(s, &name).is_some_and(|r| !r.contains(&host))
        })
    };
    assert!(!screen.contains(&host), "{screen}");
    tui.keys(&["q"]);
    tui.wait("a clean exit", 10, |s| s.contains("STORECTL-EXITED-0"));
    storectl(c, "devcluster-admin", &["delete", &name, "--yes", "--wait"]).expect_code(0);
}
