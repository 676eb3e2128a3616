//! Tests of the layered loader: order of layers, unknown keys, bad values and YAML errors.

use super::*;

fn sources(files: &[(&str, &str)], sets: &[&str]) -> Sources {
    Sources {
        files: files.iter().map(|(n, t)| ValuesText::new(*n, *t)).collect(),
        sets: sets.iter().map(|s| (*s).to_string()).collect(),
        env: EnvVars::default(),
        form: Vec::new(),
        form_origin: None,
    }
}

/// The defaults with `sets` on top, as sources.
pub(crate) fn sources_with(sets: &[&str]) -> Sources {
    sources(&[], sets)
}

/// The message `load` gives for the defaults with `sets` on top (panics if accepted).
pub(crate) fn refusal(sets: &[&str]) -> String {
    error(&sources(&[], sets))
}

fn error(s: &Sources) -> String {
    match load(s) {
        Ok(_) => panic!("configuration was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn defaults_load_and_use_the_original_names() {
    let c = defaults().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.platform.namespace, "ecommerce-platform");
    assert_eq!(c.stores.shared_namespace, "ecommerce-stores");
    assert_eq!(c.stores.isolation, Isolation::Namespace);
    assert_eq!(c.mysql.image, "mysql:8.4");
    assert!(c.wordpress.image.starts_with("wordpress:") && c.wordpress.image.ends_with("-apache"));
}

#[test]
fn the_shipped_example_files_load() {
    let local = include_str!("../../../assets/values-local.yaml");
    let prod = include_str!("../../../assets/values-prod.yaml");
    let c = load(&sources(&[("values-local.yaml", local)], &[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.global.domain, "local");
    assert!(!c.tls.enabled);
    let c = load(&sources(&[("values-prod.yaml", prod)], &[])).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.tls.enabled);
    assert_eq!(c.tls.cluster_issuer, "letsencrypt-prod");
    assert_eq!(c.global.domain, "shops.example.com");
}

#[test]
fn later_layers_win_in_the_documented_order() {
    let mut s = sources(
        &[
            (
                "a.yaml",
                "global: {domain: a.example}\nwordpress: {storage: 5Gi}",
            ),
            ("b.yaml", "global: {domain: b.example}"),
        ],
        &["global.domain=set.example", "mysql.storage=7Gi"],
    );
    let c = load(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.global.domain, "set.example", "--set beats files");
    assert_eq!(
        c.wordpress.storage.0, "5Gi",
        "untouched keys of earlier files stay"
    );
    assert_eq!(c.mysql.storage.0, "7Gi");

    s.env.helm_values = Some("global: {domain: helm.example}\nlogLevel: warn".into());
    let c = load(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.global.domain, "helm.example", "HELM_VALUES beats --set");
    assert_eq!(c.log_level, LogLevel::Warn);

    s.env = EnvVars::from_lookup(|k| match k {
        "HELM_VALUES" => Some("global: {domain: helm.example}".into()),
        "GLOBAL_DOMAIN" => Some("env.example".into()),
        "STORE_NAMESPACE" => Some("old-stores".into()),
        "STORAGE_CLASS" => Some("fast".into()),
        "LOG_LEVEL" => Some("debug".into()),
        _ => None,
    });
    let c = load(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.global.domain, "env.example",
        "single variables beat HELM_VALUES"
    );
    assert_eq!(c.stores.shared_namespace, "old-stores");
    assert_eq!(c.global.storage_class, "fast");
    assert_eq!(c.log_level, LogLevel::Debug);

    s.form = vec![FormField::new("global.domain", "form.example")];
    let c = load(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.global.domain, "form.example",
        "what is typed into the create form beats every variable"
    );
    s.form = vec![FormField::new("wordpress.admin.email", "true")];
    assert!(
        error(&s).contains("'true' is not an email address"),
        "a form value is a string, never a boolean: {}",
        error(&s)
    );
    s.form = vec![FormField::new("wordpress.storage", "lots")];
    assert!(
        error(&s)
            .starts_with("wordpress.storage (set in the create form (wordpress.storage=lots))"),
        "{}",
        error(&s)
    );
}

#[test]
fn unknown_keys_name_the_key_the_file_and_a_guess() {
    let msg = error(&sources(
        &[("prod.yaml", "ingress:\n  clasName: nginx\n")],
        &[],
    ));
    assert_eq!(
        msg,
        "unknown key 'ingress.clasName' in prod.yaml (did you mean 'className'?)"
    );
    let msg = error(&sources(&[], &["wordpres.image=x"]));
    assert!(
        msg.contains("unknown key 'wordpres' in --set wordpres.image=x"),
        "{msg}"
    );
    let msg = error(&sources(&[("x.yaml", "zzz: 1")], &[]));
    assert!(msg.contains("known keys here: global, platform"), "{msg}");
}

#[test]
fn free_form_maps_accept_any_key() {
    let c = load(&sources(
        &[("a.yaml", "ingress:\n  annotations:\n    example.com/anything: 'yes'\nquota:\n  hard:\n    count/jobs.batch: '3'\n")],
        &[],
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.ingress
            .annotations
            .get("example.com/anything")
            .map(String::as_str),
        Some("yes")
    );
    assert!(c.quota.hard.contains_key("count/jobs.batch"));
}

#[test]
fn malformed_yaml_reports_file_and_line() {
    let msg = error(&sources(
        &[("broken.yaml", "global:\n  domain: a\n  storageClass: [x\n")],
        &[],
    ));
    assert!(msg.starts_with("broken.yaml, line "), "{msg}");
    assert!(msg.contains("invalid YAML"), "{msg}");
    let msg = error(&sources(&[("list.yaml", "- a\n- b\n")], &[]));
    assert!(
        msg.contains("list.yaml: the values must be a mapping"),
        "{msg}"
    );
}

#[test]
fn bad_values_say_which_key_and_why() {
    let cases: &[(&str, &str)] = &[
        (
            "wordpress: {storage: -5Gi}",
            "wordpress.storage (set in v.yaml): '-5Gi' is negative",
        ),
        (
            "stores: {isolation: tenant}",
            "stores.isolation (set in v.yaml): unknown variant `tenant`, expected `namespace` or `shared`",
        ),
        (
            "global: {domain: Shop.Example}",
            "global.domain (set in v.yaml): 'Shop.Example' is not a valid DNS name",
        ),
        (
            "stores: {provisioningDeadline: soon}",
            "stores.provisioningDeadline (set in v.yaml): 'soon' is not a duration",
        ),
        (
            "tls: {enabled: true}",
            "tls.clusterIssuer (set in the built-in defaults): tls.enabled is true",
        ),
        (
            "setup: {plugins: ['woo; rm -rf /']}",
            "setup.plugins (set in v.yaml): 'woo; rm -rf /' is not a WordPress.org plugin slug",
        ),
        (
            "woocommerce: {version: latest}",
            "woocommerce.version (set in v.yaml): 'latest' is not a version: use digits and dots, like 10.1.2",
        ),
        (
            "woocommerce: {version: 10.10}",
            "woocommerce.version (set in v.yaml): expected a version in quotes like \"10.1.2\"",
        ),
        (
            "woocommerce: {extraPlugins: [{name: 'Mail Poet', version: '5.12'}]}",
            "woocommerce.extraPlugins (set in v.yaml): 'Mail Poet' is not a WordPress.org plugin slug",
        ),
        (
            "woocommerce: {extraPlugins: [{name: mailpoet, version: latest}]}",
            "woocommerce.extraPlugins (set in v.yaml): plugin mailpoet: 'latest' is not a version: use digits and dots",
        ),
        (
            "woocommerce: {extraPlugins: [{name: woocommerce, version: '10.1.2'}]}",
            "woocommerce.extraPlugins (set in v.yaml): WooCommerce itself is pinned by woocommerce.version",
        ),
        (
            "woocommerce: {source: 'ftp://mirror.example.com/plugin'}",
            "woocommerce.source (set in v.yaml): 'ftp://mirror.example.com/plugin' is not an http(s) URL, e.g. 'https://downloads.wordpress.org/plugin'",
        ),
        (
            "woocommerce: {source: 'https://'}",
            "woocommerce.source (set in v.yaml): 'https://' is not an http(s) URL",
        ),
        (
            "woocommerce: {source: 'https://mirror.example.com/plugin?x=1'}",
            "woocommerce.source (set in v.yaml): 'https://mirror.example.com/plugin?x=1' is not an http(s) URL",
        ),
        (
            "woocommerce: {source: 'https://mirror.example.com/my plugins'}",
            "woocommerce.source (set in v.yaml): 'https://mirror.example.com/my plugins' is not an http(s) URL",
        ),
        (
            "mysql: {user: 'bad user'}",
            "mysql.user (set in v.yaml): 'bad user' must be 1-32 characters",
        ),
        (
            "platform: {writers: {serviceAccounts: [storectl]}}",
            "platform.writers.serviceAccounts (set in v.yaml): 'storectl' is not <namespace>/<name>",
        ),
        (
            "setup: {backoffLimit: -1}",
            "setup.backoffLimit (set in v.yaml): invalid value",
        ),
    ];
    for (yaml, expected) in cases {
        let msg = error(&sources(&[("v.yaml", yaml)], &[]));
        assert!(
            msg.starts_with(expected),
            "{yaml}:\n  got      {msg}\n  expected {expected}"
        );
    }
}

#[test]
fn a_woocommerce_version_is_digits_and_dots_and_nothing_else() {
    for ok in ["10.1.2", "9.8.5", "10", "10.1.2.1"] {
        let config =
            crate::domain::config::load(&sources(&[], &[&format!("woocommerce.version={ok}")]))
                .unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(config.woocommerce.version, ok);
    }
    for bad in [
        "latest",
        "10.1.",
        ".1",
        "10..1",
        "10.1.2-beta",
        "v10.1.2",
        "10.1.2 ",
        "1;rm -rf",
    ] {
        let msg = error(&sources(&[], &[&format!("woocommerce.version={bad}")]));
        assert_eq!(
            msg,
            format!(
                "woocommerce.version (set in --set woocommerce.version={bad}): '{bad}' is not a version: use digits and dots, like 10.1.2"
            )
        );
    }
}

#[test]
fn bad_set_arguments_are_reported_with_the_argument() {
    let msg = error(&sources(&[], &["global.domain"]));
    assert!(
        msg.starts_with("--set 'global.domain': expected key.path=value"),
        "{msg}"
    );
}

#[test]
fn mail_is_off_by_default_and_each_bad_mail_key_is_named() {
    let c = defaults().unwrap_or_else(|e| panic!("{e}"));
    assert!(!c.mail.enabled(), "mail is off by default");
    assert_eq!(c.mail.smtp.port, 587);
    let on = [
        "mail.smtp.host=smtp.example.com",
        "mail.from=Shop <shop@example.com>",
    ];
    let c = load(&sources(&[], &on)).unwrap_or_else(|e| panic!("{e}"));
    let sender = c.mail.sender();
    assert_eq!((sender.name, sender.address), ("Shop", "shop@example.com"));
    let with = |more: &[&str]| {
        let mut sets = on.to_vec();
        sets.extend_from_slice(more);
        refusal(&sets)
    };
    for (sets, key) in [
        (&["mail.smtp.host=smtp example.com"][..], "mail.smtp.host"),
        (&["mail.smtp.host=-smtp.example.com"][..], "mail.smtp.host"),
        (&["mail.smtp.port=0"][..], "mail.smtp.port"),
        (&["mail.smtp.port=65536"][..], "mail.smtp.port"),
        (&["mail.from="][..], "mail.from"),
        (&["mail.from=shop"][..], "mail.from"),
        (&["mail.from=Sh<op <shop@example.com>"][..], "mail.from"),
        (&["mail.smtp.username=shop"][..], "mail.smtp.passwordSecret"),
        (&["mail.smtp.passwordSecret=smtp"][..], "mail.smtp.username"),
        (
            &[
                "mail.smtp.username=shop",
                "mail.smtp.passwordSecret=Bad_Name",
            ][..],
            "mail.smtp.passwordSecret",
        ),
    ] {
        let message = with(sets);
        assert!(
            message.starts_with(&format!("{key} (set in")) && !message.contains('\n'),
            "{sets:?}: {message}"
        );
    }
    for host in ["192.0.2.10", "2001:db8::25", "SMTP.Example.com"] {
        let sets = [
            format!("mail.smtp.host={host}"),
            "mail.from=a@example.com".into(),
        ];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        load(&sources(&[], &sets)).unwrap_or_else(|e| panic!("{host}: {e}"));
    }
    let off = load(&sources(&[], &["mail.smtp.port=0", "mail.from=x"]));
    assert!(off.is_ok(), "mail off: its other keys are not checked");
}

#[test]
fn namespace_mode_needs_a_namespace_prefix() {
    // Without a prefix a store's namespace is its bare name: `create argocd` would claim
    // a namespace before Argo CD is installed, and `delete argocd` remove it later.
    let message = refusal(&["stores.namespacePrefix="]);
    assert!(
        message.starts_with("stores.namespacePrefix (set in --set")
            && message.contains("cannot be empty"),
        "{message}"
    );
    let shared = load(&sources_with(&[
        "stores.namespacePrefix=",
        "stores.isolation=shared",
    ]));
    assert!(shared.is_ok(), "the shared layout uses no prefix");
    load(&sources_with(&["stores.namespacePrefix=shop-"])).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_backup_prefix_is_plain_path_segments() {
    // The prefix goes unencoded into S3 URLs and into the scripts' sed and grep
    // programs: only letters, digits, '.', '_' and '-' in segments, no '.' or '..'.
    for bad in [
        "stores:x/",
        "st ores/",
        "a//",
        "../other-bucket/",
        "./",
        "a/../",
        "stores/[0-9]*/",
        "st%2Fores/",
        "s&t/",
    ] {
        let message = refusal(&[&format!("backup.prefix={bad}")]);
        assert!(
            message.starts_with("backup.prefix (set in --set"),
            "{bad}: {message}"
        );
    }
    for good in ["", "stores/", "Backups/v1.2/shop_a-b/"] {
        load(&sources_with(&[&format!("backup.prefix={good}")]))
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
}
