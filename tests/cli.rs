//! The headless CLI through its process interface, against the real control plane with
//! the node simulator: the store lifecycle, every fault, the original platform's stores,
//! bad input, unreachable clusters, rejected credentials and RBAC.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{cluster, original_platform_store, storectl, unique};

const ADMIN: &str = "devcluster-admin";

/// A store name unique to this run.
fn store(prefix: &str) -> String {
    unique(prefix)
}

#[test]
fn a_store_goes_from_create_to_ready_and_is_deleted_without_a_trace() {
    let c = cluster();
    let name = store("life");
    let run = storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0);
    assert!(
        run.stdout.contains(&format!(
            "created store {name} in namespace store-{name} (25 objects)"
        )),
        "{run:#?}"
    );
    assert!(
        run.stdout.contains("Provisioning: "),
        "progress lines: {run:#?}"
    );
    assert!(
        run.stdout
            .contains(&format!("store {name} is ready at http://{name}.local")),
        "{run:#?}"
    );

    let list = storectl(c, ADMIN, &["list"]).expect_code(0);
    let row = list
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .expect("row in list");
    assert!(
        row.contains("Ready") && row.contains("2/2") && row.contains(&format!("store-{name}")),
        "{row}"
    );
    assert!(
        !list.stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );

    let json = storectl(c, ADMIN, &["status", &name, "-o", "json"]).expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["status"], "Ready");
    assert_eq!(v["url"], format!("http://{name}.local"));
    assert_eq!(v["pods_ready"], 2);
    let mut kinds = std::collections::BTreeMap::new();
    for o in v["objects"].as_array().unwrap() {
        *kinds
            .entry(o["kind"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    let expected: std::collections::BTreeMap<String, i32> = [
        ("Namespace", 1),
        ("PersistentVolumeClaim", 2),
        ("Deployment", 2),
        ("Job", 1),
        ("Pod", 2), // the finished setup pod is left out
        ("Ingress", 1),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(kinds, expected, "{v}");

    let logs = storectl(c, ADMIN, &["logs", &name, "-c", "setup"]).expect_code(0);
    assert!(logs.stdout.contains("store setup complete"), "{logs:#?}");
    let logs = storectl(c, ADMIN, &["logs", &name, "--tail", "1", "--timestamps"]).expect_code(0);
    assert_eq!(logs.stdout.lines().count(), 1, "{logs:#?}");
    let stamp = logs.stdout.split_whitespace().next().unwrap_or_default();
    assert!(
        stamp.parse::<k8s_openapi::jiff::Timestamp>().is_ok(),
        "the line starts with an RFC 3339 time: {logs:#?}"
    );
    let plain = storectl(c, ADMIN, &["logs", &name, "--tail", "1"]).expect_code(0);
    let first = plain.stdout.split_whitespace().next().unwrap_or_default();
    assert!(
        first.parse::<k8s_openapi::jiff::Timestamp>().is_err(),
        "no timestamp unless asked: {plain:#?}"
    );
    let events = storectl(c, ADMIN, &["events", &name]).expect_code(0);
    assert!(events.stdout.contains("Scheduled"), "{events:#?}");

    storectl(c, ADMIN, &["create", &name]).expect_code(3);

    let del = storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0);
    assert!(
        del.stdout.contains("its data volumes"),
        "names the data loss: {del:#?}"
    );
    assert!(del.stdout.contains(&format!("store {name} is gone")));
    let list = storectl(c, ADMIN, &["list", "-o", "json"]).expect_code(0);
    assert!(!list.stdout.contains(&format!("\"{name}\"")), "{list:#?}");
    storectl(c, ADMIN, &["status", &name]).expect_code(4);
    // Gone as the API server says: the namespace, and with it every object in it.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> =
            kube::Api::all(c.admin().await);
        assert!(
            namespaces
                .get_opt(&format!("store-{name}"))
                .await
                .unwrap()
                .is_none(),
            "the namespace outlived `delete --wait`"
        );
    });
}

#[test]
fn deleting_needs_confirmation_without_a_terminal_and_a_store_that_exists() {
    let c = cluster();
    let name = store("confirm");
    // Its volumes never bind: Provisioning for as long as the test looks.
    storectl(
        c,
        ADMIN,
        &["create", &name, "--set", "global.storageClass=sim-unbound"],
    )
    .expect_code(0);
    let refused = storectl(c, ADMIN, &["delete", &name]).expect_code(2);
    assert!(refused.stderr.contains("pass --yes"), "{refused:#?}");
    // Deleting while it is still provisioning works (and it was provisioning).
    let status = storectl(c, ADMIN, &["status", &name, "-o", "json"]).expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(v["status"], "Provisioning", "{v}");
    storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0);
    let missing = storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(4);
    assert!(
        missing
            .stderr
            .contains(&format!("store '{name}' not found")),
        "{missing:#?}"
    );
}

#[test]
fn shared_isolation_keeps_the_original_namespace_and_deletes_by_label() {
    let c = cluster();
    let (a, b) = (store("sha"), store("shb"));
    for n in [&a, &b] {
        let run = storectl(
            c,
            ADMIN,
            &[
                "create",
                n,
                "--set",
                "stores.isolation=shared",
                "--wait",
                "--timeout",
                "90s",
            ],
        )
        .expect_code(0);
        assert!(
            run.stdout.contains("in namespace ecommerce-stores"),
            "{run:#?}"
        );
    }
    // Creating a complete shared store again is refused, as in per-store mode.
    storectl(
        c,
        ADMIN,
        &["create", &b, "--set", "stores.isolation=shared"],
    )
    .expect_code(3);
    storectl(c, ADMIN, &["delete", &a, "--yes", "--wait"]).expect_code(0);
    let status = storectl(c, ADMIN, &["status", &b, "-o", "json"]).expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(v["status"], "Ready", "the other store is untouched: {v}");
    storectl(c, ADMIN, &["status", &a]).expect_code(4);
    storectl(c, ADMIN, &["delete", &b, "--yes", "--wait"]).expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn stores_of_the_original_platform_appear_and_can_be_deleted() {
    let c = cluster();
    let name = store("legacy");
    original_platform_store(cluster(), &name).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let status =
            tokio::task::block_in_place(|| storectl(c, ADMIN, &["status", &name, "-o", "json"]));
        let v: serde_json::Value =
            serde_json::from_str(&status.stdout).unwrap_or(serde_json::Value::Null);
        if status.code == Some(0) && v["status"] == "Ready" {
            assert_eq!(v["namespace"], "ecommerce-stores", "{v}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the original store never showed Ready: {status:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let create = tokio::task::block_in_place(|| {
        storectl(
            c,
            ADMIN,
            &["create", &name, "--set", "stores.isolation=shared"],
        )
    });
    let create = create.expect_code(3);
    assert!(
        create
            .stderr
            .contains("created by ecommerce-orchestrator, not storectl"),
        "{create:#?}"
    );
    tokio::task::block_in_place(|| {
        storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0)
    });
    tokio::task::block_in_place(|| storectl(c, ADMIN, &["status", &name]).expect_code(4));
}

/// `create --wait` of a store with `sets` must end Failed (exit 1); returns the reason.
fn fails_with(prefix: &str, sets: &[&str]) -> String {
    let c = cluster();
    let name = store(prefix);
    let mut args = vec![
        "create",
        name.as_str(),
        "--wait",
        "--timeout",
        "120s",
        "--set",
        "stores.failureGrace=2s",
    ];
    for s in sets {
        args.extend(["--set", s]);
    }
    let run = storectl(c, ADMIN, &args).expect_code(1);
    let prefix = format!("error: store '{name}' failed: ");
    let reason = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no failure line: {run:#?}"))
        .to_string();
    storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0);
    reason
}

#[test]
fn an_image_that_cannot_be_pulled_fails_the_store() {
    let reason = fails_with("pull", &["mysql.image=registry.invalid/mysql:8.4"]);
    // ErrImagePull or ImagePullBackOff, whichever the pod shows when the grace ends.
    assert!(
        reason.starts_with("mysql container mysql: ErrImagePull: Failed to pull image \"registry.invalid/mysql:8.4\"")
            || reason.starts_with("mysql container mysql: ImagePullBackOff: Back-off pulling image \"registry.invalid/mysql:8.4\""),
        "{reason}"
    );
}

#[test]
fn a_crash_looping_wordpress_fails_the_store() {
    // (the wait-for-mysql init container runs the same image, so it crashes first)
    let reason = fails_with(
        "crash",
        &["wordpress.image=wordpress:6.8-apache-sim-exit-1"],
    );
    assert!(
        reason.starts_with("wordpress container wait-for-mysql: CrashLoopBackOff"),
        "{reason}"
    );
}

#[test]
fn a_failed_setup_job_fails_the_store() {
    let reason = fails_with(
        "setup",
        &[
            "setup.image=wordpress:cli-sim-exit-1",
            "setup.backoffLimit=0",
        ],
    );
    assert!(
        reason.starts_with("setup job ") && reason.contains(" failed: BackoffLimitExceeded"),
        "{reason}"
    );
}

#[test]
fn a_volume_that_never_binds_fails_the_store_at_the_deadline() {
    let reason = fails_with(
        "unbound",
        &[
            "global.storageClass=sim-unbound",
            "stores.provisioningDeadline=6s",
        ],
    );
    assert!(
        reason.starts_with("not ready 6s after creation: waiting for PVC ")
            && reason.ends_with("-pvc to bind"),
        "{reason}"
    );
}

#[test]
fn a_pod_that_never_gets_ready_fails_the_store_at_the_deadline() {
    let reason = fails_with(
        "never",
        &[
            "wordpress.image=wordpress:sim-never-ready",
            "stores.provisioningDeadline=8s",
        ],
    );
    assert_eq!(
        reason,
        "not ready 8s after creation: waiting for WordPress to become ready (0/1)"
    );
}

#[test]
fn bad_input_fails_before_any_api_call() {
    // An unreachable server: if any of these reached the API, the exit code would be 6.
    // (No cluster here: a scratch folder holds the kubeconfig and serves as HOME.)
    let scratch = std::env::temp_dir().join(unique("storectl-bad-input"));
    std::fs::create_dir_all(&scratch).unwrap();
    let dir = scratch.join("kubeconfig");
    std::fs::write(
        &dir,
        common::token_kubeconfig("https://127.0.0.1:1", "x", "t"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_storectl"))
            .args(args)
            .env_clear()
            .env("KUBECONFIG", &dir)
            .env("HOME", &scratch)
            .output()
            .unwrap()
    };
    for (args, message) in [
        (vec!["create", "Bad_Name"], "store names"),
        (
            vec!["create", "ok", "--set", "wordpres.image=x"],
            "unknown key 'wordpres'",
        ),
        (
            vec!["create", "ok", "--set", "mysql.storage=-3Gi"],
            "is negative",
        ),
        (vec!["delete", "kube-system", "--yes"], "reserved"),
    ] {
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(message),
            "{args:?}"
        );
    }
    let out = run(&["list"]);
    assert_eq!(out.status.code(), Some(6));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot reach the cluster at https://127.0.0.1:1"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    std::fs::remove_dir_all(&scratch).unwrap();
}

#[test]
fn rejected_credentials_and_missing_contexts_say_so() {
    let c = cluster();
    let kubeconfig = std::fs::read_to_string(&c.kubeconfig).unwrap();
    let server = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .unwrap()
        .to_string();
    let home = common::fresh_home(c);
    let path = home.join("expired-kubeconfig");
    std::fs::write(
        &path,
        common::token_kubeconfig(&server, "x", "expired-token"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(["--kubeconfig", path.to_str().unwrap(), "list"])
        .env_clear()
        .env("HOME", &home)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rejected the credentials of context 'x' (401 Unauthorized)"),
        "{stderr}"
    );
    let run = storectl(c, "no-such-context", &["list"]).expect_code(6);
    assert!(
        run.stderr
            .contains("context 'no-such-context' is not in the kubeconfig"),
        "{run:#?}"
    );
}

/// A kubeconfig whose user logs in through an exec credential plugin (as cloud providers'
/// kubeconfigs do): `plugin` is the shell the plugin runs.
fn exec_kubeconfig(c: &common::TestCluster, plugin: &str) -> String {
    let kubeconfig = kube::config::Kubeconfig::read_from(&c.kubeconfig).unwrap();
    let cluster = kubeconfig.clusters[0].cluster.clone().unwrap();
    let ca = cluster.certificate_authority.unwrap();
    let server = cluster.server.unwrap();
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- name: x\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\ncontexts:\n- name: x\n  context: {{cluster: x, user: x}}\nusers:\n- name: x\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [\"-c\", {plugin:?}]\n      interactiveMode: Never\n"
    )
}

#[test]
fn an_exec_credential_plugin_logs_in_and_a_failing_one_says_why() {
    let c = cluster();
    // The admin context's token, read from the test kubeconfig as YAML.
    let text = std::fs::read_to_string(&c.kubeconfig).unwrap();
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let user_of = |context: &serde_yaml_ng::Value| context["context"]["user"].clone();
    let admin_user = yaml["contexts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|n| n["name"] == ADMIN)
        .map(user_of)
        .unwrap();
    let token = yaml["users"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|u| u["name"] == admin_user)
        .and_then(|u| u["user"]["token"].as_str())
        .unwrap()
        .to_string();
    let name = store("execauth");
    storectl(c, ADMIN, &["create", &name]).expect_code(0);
    let home = common::fresh_home(c);
    let run = |plugin: &str| {
        let path = home.join(unique("exec-kubeconfig"));
        std::fs::write(&path, exec_kubeconfig(c, plugin)).unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_storectl"))
            .args(["--kubeconfig", path.to_str().unwrap(), "list", "-o", "json"])
            .env_clear()
            .env("HOME", &home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .unwrap()
    };
    // The plugin prints an ExecCredential; storectl lists with its token.
    let credential = format!(
        r#"{{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{{"token":"{token}"}}}}"#
    );
    let out = run(&format!("printf '%s' '{credential}'"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let listed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == name.as_str()),
        "{stdout}"
    );
    // A plugin that fails (an expired login, say): one line with what it said, exit 6.
    let out = run("echo 'login expired: run cloud-login' >&2; exit 1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    assert!(
        stderr.contains(
            "cannot get credentials for context 'x': its credential plugin \"sh\" failed (exit status: 1): login expired: run cloud-login; log in again"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains(&token));
}

/// Without storectl's roles each action is refused in one line naming what is missing
/// (with them, tests/rbac.rs runs the whole lifecycle).
#[tokio::test(flavor = "multi_thread")]
async fn without_the_operator_role_each_action_is_refused() {
    let c = cluster();
    let name = store("rbac");
    storectl(c, ADMIN, &["create", &name]).expect_code(0);
    tokio::task::spawn_blocking(move || {
        let c = cluster();
        let limited = "devcluster-limited";
        for (args, verb_resource) in [
            (vec!["list"], "may not list namespaces cluster-wide"),
            (
                vec!["status", name.as_str()],
                "may not list namespaces cluster-wide",
            ),
            // (create first looks for the name in both layouts, with a LIST)
            (vec!["create", "rbac-refused"], "may not list namespaces"),
            (
                vec!["delete", name.as_str(), "--yes"],
                "may not list namespaces",
            ),
            (vec!["logs", name.as_str()], "may not list"),
        ] {
            let run = storectl(c, limited, &args).expect_code(5);
            assert!(
                run.stderr.contains("forbidden: user \"limited\""),
                "{args:?}: {run:#?}"
            );
            assert!(run.stderr.contains(verb_resource), "{args:?}: {run:#?}");
        }
        storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0);
    })
    .await
    .unwrap();
}
