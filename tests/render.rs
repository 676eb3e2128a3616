//! `storectl render` through the real binary: snapshots of the rendered stream for each
//! shipped configuration, and the behaviour on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

const ASSETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets");

/// Runs the binary with a clean environment: no user values file, none of the original
/// platform's variables.
fn storectl(args: &[&str]) -> Output {
    let home = std::env::temp_dir().join("storectl-render-test-home");
    Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(args)
        .env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run storectl: {e}"))
}

fn rendered(args: &[&str]) -> String {
    let out = storectl(args);
    assert!(
        out.status.success(),
        "storectl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "unexpected stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("stdout is not UTF-8: {e}"))
}

#[test]
fn defaults() {
    insta::assert_snapshot!("defaults", rendered(&["render", "shop1"]));
}

#[test]
fn values_local() {
    let file = format!("{ASSETS}/values-local.yaml");
    insta::assert_snapshot!("values_local", rendered(&["render", "shop1", "-f", &file]));
}

#[test]
fn values_prod() {
    let file = format!("{ASSETS}/values-prod.yaml");
    insta::assert_snapshot!("values_prod", rendered(&["render", "shop1", "-f", &file]));
}

#[test]
fn shared_isolation() {
    insta::assert_snapshot!(
        "shared_isolation",
        rendered(&["render", "shop1", "--set", "stores.isolation=shared"])
    );
}

#[test]
fn set_override_on_top_of_a_file() {
    let file = format!("{ASSETS}/values-prod.yaml");
    insta::assert_snapshot!(
        "set_override",
        rendered(&[
            "render",
            "shop1",
            "-f",
            &file,
            "--set",
            "global.domain=shops.example.org,wordpress.storage=50Gi",
            "--set",
            "setup.plugins={woocommerce,storefront}",
        ])
    );
}

#[test]
fn output_is_deterministic_and_hides_secrets_by_default() {
    let a = rendered(&["render", "shop1"]);
    assert_eq!(a, rendered(&["render", "shop1"]));
    assert!(a.contains("mysql-password: <generated-on-create>"));
}

#[test]
fn show_secrets_prints_fresh_random_values() {
    let a = rendered(&["render", "shop1", "--show-secrets"]);
    let b = rendered(&["render", "shop1", "--show-secrets"]);
    assert!(!a.contains("<generated-on-create>"));
    let password = |s: &str| {
        s.lines()
            .find_map(|l| l.trim().strip_prefix("mysql-password: "))
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert!(password(&a).len() >= 24, "password too short");
    assert_ne!(
        password(&a),
        password(&b),
        "secrets must be generated per run"
    );
}

#[test]
fn invalid_input_prints_only_a_message_and_fails() {
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["render", "Shop"],
            2,
            "error: store names are lowercase: try 'shop'",
        ),
        (
            &["render", "kube-shop"],
            2,
            "names starting with 'kube-' belong to Kubernetes",
        ),
        (
            &["render", "shop", "--set", "ingres.enabled=false"],
            2,
            "unknown key 'ingres' in --set ingres.enabled=false (did you mean 'ingress'?)",
        ),
        (
            &["render", "shop", "--set", "mysql.storage=-1Gi"],
            2,
            "mysql.storage (set in --set mysql.storage=-1Gi): '-1Gi' is negative",
        ),
        (
            &["render", "shop", "-f", "/nonexistent/values.yaml"],
            2,
            "cannot read values file '/nonexistent/values.yaml'",
        ),
    ];
    for (args, code, expected) in cases {
        let out = storectl(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn environment_variables_of_the_original_platform_apply() {
    let home = std::env::temp_dir().join("storectl-render-test-home");
    let out = Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(["render", "shop1", "--set", "stores.isolation=shared"])
        .env_clear()
        .env("HOME", &home)
        .env("GLOBAL_DOMAIN", "env.example")
        .env("STORE_NAMESPACE", "legacy-stores")
        .env("STORAGE_CLASS", "fast-ssd")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let yaml = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(yaml.contains("host: shop1.env.example"));
    assert!(yaml.contains("namespace: legacy-stores"));
    assert!(yaml.contains("storageClassName: fast-ssd"));
}
