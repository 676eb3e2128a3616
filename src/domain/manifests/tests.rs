//! Structural checks of rendered stores; the full output is snapshot-tested in tests/render.rs.

use std::collections::BTreeMap;

use super::*;
use crate::domain::config::{Sources, defaults, load};
use crate::domain::layout::StoreLayout;
use crate::domain::name::StoreName;

fn render_with(config: &Config) -> Vec<Manifest> {
    let name = StoreName::parse("shop1", &config.stores.namespace_prefix)
        .unwrap_or_else(|e| panic!("{e}"));
    render(
        &StoreLayout::new(&name, config),
        config,
        &Credentials::placeholder(),
    )
}

fn config_with(sets: &[&str]) -> Config {
    load(&Sources {
        sets: sets.iter().map(|s| (*s).to_string()).collect(),
        ..Sources::default()
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_store_object_carries_the_original_labels() {
    let config = defaults().unwrap_or_else(|e| panic!("{e}"));
    for m in render_with(&config) {
        let labels = m.metadata().labels.clone().unwrap_or_default();
        assert_eq!(
            labels.get("app").map(String::as_str),
            Some("shop1"),
            "{}",
            m.reference()
        );
        assert_eq!(
            labels.get("managed-by").map(String::as_str),
            Some("ecommerce-platform"),
            "{}",
            m.reference()
        );
        assert_eq!(
            labels.get("app.kubernetes.io/instance").map(String::as_str),
            Some("shop1")
        );
        assert_eq!(
            labels.get("app.kubernetes.io/part-of").map(String::as_str),
            Some("ecommerce-platform")
        );
    }
}

#[test]
fn names_follow_the_original_convention_in_apply_order() {
    let config = defaults().unwrap_or_else(|e| panic!("{e}"));
    let refs: Vec<String> = render_with(&config)
        .iter()
        .map(Manifest::reference)
        .collect();
    assert_eq!(
        refs,
        [
            "Namespace/store-shop1",
            "RoleBinding/storectl-store-writer",
            "ResourceQuota/shop1-quota",
            "LimitRange/shop1-limits",
            "NetworkPolicy/shop1-default-deny",
            "NetworkPolicy/shop1-allow-dns",
            "NetworkPolicy/shop1-mysql-from-wordpress",
            "NetworkPolicy/shop1-wordpress-from-ingress",
            "NetworkPolicy/shop1-egress",
            "NetworkPolicy/shop1-mysql-from-backup",
            "NetworkPolicy/shop1-backup-egress",
            "Secret/shop1-credentials",
            "PersistentVolumeClaim/shop1-mysql-pvc",
            "PersistentVolumeClaim/shop1-wordpress-pvc",
            "Service/shop1-mysql",
            "Service/shop1-wordpress",
            "ConfigMap/shop1-wordpress-health",
            "ConfigMap/shop1-wordpress-runner",
            "Lease/shop1-report",
            "Role/storectl-runner",
            "RoleBinding/storectl-runner",
            "Deployment/shop1-mysql",
            "Deployment/shop1-wordpress",
            "Job/shop1-setup",
            "Ingress/shop1-ingress",
        ]
    );
    for m in render_with(&config).iter().skip(1) {
        assert_eq!(
            m.metadata().namespace.as_deref(),
            Some("store-shop1"),
            "{}",
            m.reference()
        );
    }
}

#[test]
fn shared_isolation_uses_the_original_namespace_without_quotas() {
    let config = config_with(&["stores.isolation=shared"]);
    let objects = render_with(&config);
    let Some(Manifest::Namespace(ns)) = objects.first() else {
        panic!("no namespace first")
    };
    assert_eq!(ns.metadata.name.as_deref(), Some("ecommerce-stores"));
    let ns_labels = ns.metadata.labels.clone().unwrap_or_default();
    assert!(
        !ns_labels.contains_key("app"),
        "the shared namespace must not be selected as a store object"
    );
    assert!(!objects.iter().any(|m| matches!(
        m,
        Manifest::ResourceQuota(_) | Manifest::LimitRange(_) | Manifest::RoleBinding(_)
    )));
    for m in objects.iter().skip(1) {
        assert_eq!(m.metadata().namespace.as_deref(), Some("ecommerce-stores"));
    }
    let Some(Manifest::NetworkPolicy(deny)) = objects.get(1) else {
        panic!("no policy")
    };
    let selector = deny
        .spec
        .as_ref()
        .and_then(|s| s.pod_selector.as_ref())
        .and_then(|s| s.match_labels.clone());
    assert_eq!(
        selector.and_then(|l| l.get("app").cloned()).as_deref(),
        Some("shop1"),
        "default deny must not cover other stores"
    );
}

#[test]
fn no_secret_value_is_inlined_outside_the_secret() {
    let config = defaults().unwrap_or_else(|e| panic!("{e}"));
    let name = StoreName::parse("shop1", "store-").unwrap_or_else(|e| panic!("{e}"));
    let creds = Credentials::generate().unwrap_or_else(|e| panic!("{e}"));
    let objects = render(&StoreLayout::new(&name, &config), &config, &creds);
    for m in objects.iter().filter(|m| !matches!(m, Manifest::Secret(_))) {
        let yaml = serde_yaml_ng::to_string(m).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            yaml.contains("name: "),
            "{} serialised to nothing",
            m.reference()
        );
        for v in creds.clone().into_map().values() {
            assert!(
                !yaml.contains(v.as_str()),
                "{} inlines a secret",
                m.reference()
            );
        }
    }
}

#[test]
fn toggles_remove_their_objects() {
    let config = config_with(&[
        "ingress.enabled=false",
        "networkPolicy.enabled=false",
        "quota.enabled=false",
        "limitRange.enabled=false",
    ]);
    let kinds: Vec<&str> = render_with(&config).iter().map(Manifest::kind).collect();
    for gone in ["Ingress", "NetworkPolicy", "ResourceQuota", "LimitRange"] {
        assert!(!kinds.contains(&gone), "{gone} still rendered");
    }
    // Everything else is still there (an empty render would pass the loop above).
    assert_eq!(
        kinds,
        [
            "Namespace",
            "RoleBinding",
            "Secret",
            "PersistentVolumeClaim",
            "PersistentVolumeClaim",
            "Service",
            "Service",
            "ConfigMap",
            "ConfigMap",
            "Lease",
            "Role",
            "RoleBinding",
            "Deployment",
            "Deployment",
            "Job"
        ]
    );
}

#[test]
fn tls_adds_the_issuer_annotation_and_a_tls_block() {
    let config = config_with(&[
        "tls.enabled=true",
        "tls.clusterIssuer=le",
        "global.domain=shops.example.com",
    ]);
    let objects = render_with(&config);
    let Some(Manifest::Ingress(ing)) = objects.last() else {
        panic!("no ingress last")
    };
    let ann = ing.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        ann.get("cert-manager.io/cluster-issuer")
            .map(String::as_str),
        Some("le")
    );
    let tls = ing
        .spec
        .as_ref()
        .and_then(|s| s.tls.clone())
        .unwrap_or_default();
    assert_eq!(
        tls[0].hosts.clone().unwrap_or_default(),
        ["shop1.shops.example.com"]
    );
    assert_eq!(tls[0].secret_name.as_deref(), Some("shop1-tls"));
}

#[test]
fn the_writer_binding_names_the_configured_principals_and_only_the_writer_role() {
    let config = config_with(&[
        "platform.writers.groups={ops,night-shift}",
        "platform.writers.serviceAccounts={tools/storectl}",
    ]);
    let Some(Manifest::RoleBinding(binding)) = render_with(&config).get(1).cloned() else {
        panic!("no binding right after the namespace")
    };
    assert_eq!(binding.role_ref.kind, "ClusterRole");
    assert_eq!(binding.role_ref.name, "storectl-store-writer");
    let subjects: Vec<(String, String, Option<String>)> = binding
        .subjects
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.kind, s.name, s.namespace))
        .collect();
    assert_eq!(
        subjects,
        [
            ("Group".to_string(), "ops".to_string(), None),
            ("Group".to_string(), "night-shift".to_string(), None),
            (
                "ServiceAccount".to_string(),
                "storectl".to_string(),
                Some("tools".to_string())
            ),
        ]
    );
}

/// Every pod template of a store, rendered or made by a verb (database upgrade, backup,
/// restore with a clone's rewrite, forget, the schedule's CronJob).
fn every_pod_template(config: &Config) -> Vec<(String, k8s_openapi::api::core::v1::PodSpec)> {
    use std::time::Duration;
    let name = StoreName::parse("shop1", &config.stores.namespace_prefix)
        .unwrap_or_else(|e| panic!("{e}"));
    let layout = StoreLayout::new(&name, config);
    let mut jobs: Vec<k8s_openapi::api::batch::v1::Job> = vec![
        database_upgrade_job(&layout, config, 2),
        backups::backup_job(&layout, config, "20261201-050000"),
        backups::restore_job(
            &layout,
            config,
            "1",
            "shop0",
            "20261201-050000",
            Some(backups::UrlRewrite {
                old: "http://shop0.local",
                new: "http://shop1.local",
            }),
            Duration::from_secs(60),
        ),
        backups::forget_job(&layout, config, "1"),
        mail_test::mail_test_job(&layout, config, "someone@example.com"),
    ];
    let mut specs = Vec::new();
    for m in render_with(config) {
        match m {
            Manifest::Deployment(d) => specs.push((
                m_ref(&d.metadata),
                d.spec.and_then(|s| s.template.spec).unwrap_or_default(),
            )),
            Manifest::Job(j) => jobs.push(j),
            Manifest::CronJob(c) => specs.push((
                m_ref(&c.metadata),
                c.spec
                    .and_then(|s| s.job_template.spec)
                    .and_then(|s| s.template.spec)
                    .unwrap_or_default(),
            )),
            _ => {}
        }
    }
    for j in jobs {
        specs.push((
            m_ref(&j.metadata),
            j.spec.and_then(|s| s.template.spec).unwrap_or_default(),
        ));
    }
    specs
}

fn m_ref(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.name
        .clone()
        .or_else(|| meta.generate_name.clone())
        .unwrap_or_default()
}

#[test]
fn core_comes_from_the_image_and_only_wp_content_from_the_volume() {
    let config = config_with(&["backup.schedule=@daily"]);
    let mut seen = std::collections::BTreeMap::new();
    for (object, spec) in every_pod_template(&config) {
        let claim_volumes: Vec<String> = spec
            .volumes
            .iter()
            .flatten()
            .filter(|v| {
                v.persistent_volume_claim
                    .as_ref()
                    .map(|c| c.claim_name.as_str())
                    == Some("shop1-wordpress-pvc")
            })
            .map(|v| v.name.clone())
            .collect();
        let containers = spec
            .init_containers
            .iter()
            .flatten()
            .chain(&spec.containers);
        for container in containers {
            let env = |name: &str| {
                container
                    .env
                    .iter()
                    .flatten()
                    .find(|e| e.name == name)
                    .and_then(|e| e.value.clone())
            };
            for m in container.volume_mounts.iter().flatten() {
                if !claim_volumes.contains(&m.name) {
                    continue;
                }
                let at = (m.mount_path.as_str(), m.sub_path.as_deref());
                let how = match at {
                    ("/var/www/html/wp-content", Some("wp-content")) => "wp-content",
                    // The backup scripts' Jobs: the root, where wp-content is a folder
                    // they can swap by renames, and told so.
                    ("/wordpress-volume", None) => {
                        assert_eq!(
                            env("WP_ROOT").as_deref(),
                            Some("/wordpress-volume"),
                            "{object}/{}",
                            container.name
                        );
                        "root"
                    }
                    other => panic!("{object}/{}: the claim at {other:?}", container.name),
                };
                // Where the store's WordPress runs, core is the image's: an empty folder
                // the Job's init container filled, or the image's own.
                if how == "wp-content" && !object.ends_with("-wordpress") {
                    let core = container
                        .volume_mounts
                        .iter()
                        .flatten()
                        .find(|c| c.mount_path == "/var/www/html");
                    let core =
                        core.and_then(|c| spec.volumes.iter().flatten().find(|v| v.name == c.name));
                    assert!(
                        core.is_some_and(|v| v.empty_dir.is_some()),
                        "{object}/{}: no core folder",
                        container.name
                    );
                }
                seen.insert(format!("{object}/{}", container.name), how);
            }
        }
    }
    let expected: std::collections::BTreeMap<String, &str> = [
        ("shop1-wordpress/wordpress", "wp-content"),
        ("shop1-wordpress/runner", "wp-content"),
        ("shop1-setup/setup", "wp-content"),
        ("shop1-db-upgrade-2/setup", "wp-content"),
        ("shop1-backup/backup", "root"),
        ("shop1-backup-20261201-050000/backup", "root"),
        ("shop1-restore-1/backup", "root"),
        ("shop1-restore-1/rewrite-urls", "wp-content"),
        ("shop1-forget-1/backup", "root"),
        ("shop1-mail-test-/mail-test", "wp-content"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(seen, expected);
}

/// A Job's main container.
fn main_container(job: &k8s_openapi::api::batch::v1::Job) -> k8s_openapi::api::core::v1::Container {
    job.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.containers.first())
        .cloned()
        .unwrap_or_default()
}

/// The value of `name` in the main container's environment.
fn env_of(job: &k8s_openapi::api::batch::v1::Job, name: &str) -> String {
    main_container(job)
        .env
        .unwrap_or_default()
        .into_iter()
        .find(|e| e.name == name)
        .and_then(|e| e.value)
        .unwrap_or_else(|| panic!("no {name} in the Job's environment"))
}

fn setup_job_of(config: &Config) -> k8s_openapi::api::batch::v1::Job {
    render_with(config)
        .into_iter()
        .find_map(|m| match m {
            Manifest::Job(j) => Some(j),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no setup Job"))
}

/// Both Jobs run storectl's PHP (the file without its `<?php` line) with the store's
/// WordPress image in core's folder, step after step, as `sh -c STEPS NAME PHP`.
#[test]
fn setup_and_database_upgrade_run_storectls_php_step_by_step_in_the_wordpress_image() {
    let config = config_with(&["wordpress.image=wordpress:6.9-apache"]);
    let name = StoreName::parse("shop1", &config.stores.namespace_prefix)
        .unwrap_or_else(|e| panic!("{e}"));
    let upgrade = database_upgrade_job(&StoreLayout::new(&name, &config), &config, 2);
    for (job, steps, last) in [
        (
            setup_job_of(&config),
            &[
                "core-install",
                "plugins-install",
                "permalinks",
                "rewrite-rules",
            ][..],
            "store setup complete",
        ),
        (
            upgrade,
            &["core-upgrade", "plugins-upgrade", "woocommerce-update"][..],
            "database upgrade complete",
        ),
    ] {
        let main = main_container(&job);
        assert_eq!(main.image.as_deref(), Some("wordpress:6.9-apache"));
        assert_eq!(main.working_dir.as_deref(), Some("/var/www/html"));
        let command = main.command.unwrap_or_default();
        assert_eq!(command.len(), 5, "{command:?}");
        assert_eq!(command[..2], ["sh", "-c"]);
        let mut lines = vec!["set -eu".to_string()];
        lines.extend(steps.iter().map(|s| format!("php -r \"$1\" {s}")));
        lines.push(format!("echo \"{last}\""));
        assert_eq!(command[2].lines().collect::<Vec<_>>(), lines);
        assert!(WORDPRESS_PHP.starts_with("<?php\n"));
        assert_eq!(command[4], WORDPRESS_PHP["<?php\n".len()..]);
        // The init container that waits for MySQL keeps setup.image.
        let init = job
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .and_then(|p| p.init_containers.clone())
            .unwrap_or_default();
        assert_eq!(init[0].name, "wait-for-mysql");
        assert_eq!(init[0].image.as_deref(), Some(config.setup.image.as_str()));
        assert_eq!(env_of(&job, "WP_URL"), "http://shop1.local");
    }
}

#[test]
fn setup_and_database_upgrade_install_exactly_the_pinned_woocommerce() {
    let config = config_with(&[
        "woocommerce.version=9.8.5",
        "woocommerce.source=https://mirror.example.com/plugins/",
    ]);
    let setup = setup_job_of(&config);
    let name = StoreName::parse("shop1", &config.stores.namespace_prefix)
        .unwrap_or_else(|e| panic!("{e}"));
    let upgrade = database_upgrade_job(&StoreLayout::new(&name, &config), &config, 2);
    for job in [&setup, &upgrade] {
        assert_eq!(env_of(job, "WP_PINNED_PLUGINS"), "woocommerce=9.8.5");
        // The source without its trailing '/': the PHP adds '/{slug}.{version}.zip'.
        assert_eq!(
            env_of(job, "WP_PLUGIN_SOURCE"),
            "https://mirror.example.com/plugins"
        );
    }
    assert_eq!(env_of(&setup, "WP_PLUGINS"), "");
    let defaults = config_with(&[]);
    assert_eq!(
        env_of(&setup_job_of(&defaults), "WP_PLUGIN_SOURCE"),
        "https://downloads.wordpress.org/plugin"
    );
}

#[test]
fn extra_plugins_are_installed_at_exactly_their_versions_after_woocommerce() {
    let config = load(&Sources {
        files: vec![crate::domain::config::ValuesText::new(
            "v.yaml",
            "woocommerce: {version: '9.8.5', extraPlugins: [{name: woocommerce-payments, version: '9.5.0'}, {name: mailpoet, version: '5.12'}]}\nsetup: {plugins: [akismet, jetpack]}",
        )],
        ..Sources::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let setup = setup_job_of(&config);
    let name = StoreName::parse("shop1", &config.stores.namespace_prefix)
        .unwrap_or_else(|e| panic!("{e}"));
    let upgrade = database_upgrade_job(&StoreLayout::new(&name, &config), &config, 2);
    for job in [&setup, &upgrade] {
        assert_eq!(
            env_of(job, "WP_PINNED_PLUGINS"),
            "woocommerce=9.8.5 woocommerce-payments=9.5.0 mailpoet=5.12"
        );
    }
    assert_eq!(env_of(&setup, "WP_PLUGINS"), "akismet jetpack");
    let wordpress = super::workloads::wordpress(&StoreLayout::new(&name, &config), &config);
    assert_eq!(
        wordpress
            .metadata
            .annotations
            .unwrap_or_default()
            .get("storectl.io/extra-plugins")
            .map(String::as_str),
        Some("woocommerce-payments=9.5.0,mailpoet=5.12")
    );
}

#[test]
fn wordpress_is_ready_by_the_health_endpoint_mounted_from_its_config_map_not_the_claim() {
    for level in ["baseline", "restricted"] {
        let objects = render_with(&config_with(&[&format!("stores.podSecurity={level}")]));
        let Some(Manifest::ConfigMap(map)) = objects
            .iter()
            .find(|m| m.reference() == "ConfigMap/shop1-wordpress-health")
        else {
            panic!("no ConfigMap/shop1-wordpress-health: {objects:#?}")
        };
        let php = map.data.as_ref().and_then(|d| d.get(HEALTH_FILE));
        assert!(
            php.is_some_and(|p| p.starts_with("<?php") && p.contains("SELECT 1")),
            "{map:#?}"
        );
        let Some(Manifest::Deployment(wordpress)) = objects
            .iter()
            .find(|m| m.reference() == "Deployment/shop1-wordpress")
        else {
            panic!("no WordPress Deployment")
        };
        let spec = wordpress
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.clone())
            .unwrap_or_default();
        let container = &spec.containers[0];
        let probe = container.readiness_probe.clone().unwrap_or_default();
        let get = probe.http_get.unwrap_or_default();
        assert_eq!(get.path.as_deref(), Some(HEALTH_PATH), "{level}");
        assert_eq!(
            get.port,
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("http".into())
        );
        // A database outage must not restart WordPress: liveness stays a TCP check.
        let liveness = container.liveness_probe.clone().unwrap_or_default();
        assert!(liveness.tcp_socket.is_some() && liveness.http_get.is_none());
        let mounts: Vec<_> = container
            .volume_mounts
            .iter()
            .flatten()
            .filter(|m| m.mount_path == HEALTH_MOUNT)
            .collect();
        assert_eq!(mounts.len(), 1, "{:#?}", container.volume_mounts);
        assert_eq!(mounts[0].sub_path.as_deref(), Some(HEALTH_FILE));
        assert_eq!(mounts[0].read_only, Some(true));
        let volume = spec
            .volumes
            .iter()
            .flatten()
            .find(|v| v.name == mounts[0].name)
            .unwrap_or_else(|| panic!("no volume {}", mounts[0].name));
        assert!(volume.persistent_volume_claim.is_none(), "{volume:#?}");
        assert_eq!(
            volume.config_map.as_ref().map(|c| c.name.as_str()),
            Some("shop1-wordpress-health"),
            "{volume:#?}"
        );
        // Apache serves HEALTH_PATH from core's folder: the mount is that file there.
        assert_eq!(HEALTH_MOUNT, format!("/var/www/html{HEALTH_PATH}"));
    }
}

const MAIL_ON: [&str; 5] = [
    "mail.smtp.host=192.0.2.25",
    "mail.smtp.port=465",
    "mail.smtp.username=shop",
    "mail.smtp.passwordSecret=smtp-password",
    "mail.from=Shop <shop@example.com>",
];

fn wordpress_container(objects: &[Manifest]) -> k8s_openapi::api::core::v1::Container {
    objects
        .iter()
        .find_map(|m| match m {
            Manifest::Deployment(d) if m.name() == "shop1-wordpress" => d
                .spec
                .as_ref()?
                .template
                .spec
                .as_ref()?
                .containers
                .first()
                .cloned(),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no WordPress container"))
}

/// Every egress port of every policy, with where it may go (`*` for anywhere).
fn egress_ports(objects: &[Manifest]) -> Vec<(String, i32, String)> {
    let mut out = Vec::new();
    for m in objects {
        let Manifest::NetworkPolicy(p) = m else {
            continue;
        };
        for rule in p.spec.iter().flat_map(|s| s.egress.iter().flatten()) {
            let to = match &rule.to {
                None => "*".to_string(),
                Some(peers) => peers
                    .iter()
                    .map(|peer| match &peer.ip_block {
                        Some(b) => b.cidr.clone(),
                        None => "pods".to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            };
            for port in rule.ports.iter().flatten() {
                if let Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n)) =
                    port.port
                {
                    out.push((m.name().to_string(), n, to.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn mail_off_has_no_plugin_no_smtp_settings_and_no_smtp_port() {
    let objects = render_with(&config_with(&[]));
    let container = wordpress_container(&objects);
    assert!(
        container
            .env
            .iter()
            .flatten()
            .all(|e| !e.name.starts_with("STORECTL_")),
        "no SMTP settings"
    );
    assert!(
        container
            .volume_mounts
            .iter()
            .flatten()
            .all(|m| !m.mount_path.contains("mu-plugins")),
        "no mail plugin"
    );
    assert!(!objects.iter().any(|m| m.name() == "shop1-wordpress-mail"));
    let ports: Vec<i32> = egress_ports(&objects).iter().map(|p| p.1).collect();
    assert_eq!(
        ports,
        [53, 53, 3306, 443, 6443, 3306, 7070],
        "DNS, MySQL, HTTPS, the API server, and the backup Jobs' MySQL and target only"
    );
}

#[test]
fn mail_on_gives_wordpress_the_plugin_the_settings_and_exactly_the_smtp_egress() {
    let config = config_with(&MAIL_ON);
    let objects = render_with(&config);
    let container = wordpress_container(&objects);
    let env: BTreeMap<String, String> = container
        .env
        .iter()
        .flatten()
        .map(|e| {
            let value = match e
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
            {
                Some(r) => format!("<{}:{}>", r.name, r.key),
                None => e.value.clone().unwrap_or_default(),
            };
            (e.name.clone(), value)
        })
        .filter(|(name, _)| name.starts_with("STORECTL_"))
        .collect();
    let expected: BTreeMap<String, String> = [
        ("STORECTL_SMTP_HOST", "192.0.2.25"),
        ("STORECTL_SMTP_PORT", "465"),
        ("STORECTL_SMTP_USERNAME", "shop"),
        ("STORECTL_SMTP_PASSWORD", "<shop1-mail:password>"),
        ("STORECTL_MAIL_FROM", "shop@example.com"),
        ("STORECTL_MAIL_FROM_NAME", "Shop"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(env, expected);
    let plugin = container
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path == mail::MAIL_MOUNT)
        .unwrap_or_else(|| panic!("no plugin mount"));
    assert_eq!(plugin.sub_path.as_deref(), Some(mail::MAIL_FILE));
    assert_eq!(plugin.read_only, Some(true));
    let map = objects.iter().find_map(|m| match m {
        Manifest::ConfigMap(c) if m.name() == "shop1-wordpress-mail" => c.data.clone(),
        _ => None,
    });
    let map = map.unwrap_or_else(|| panic!("no mail ConfigMap"));
    assert_eq!(map[mail::MAIL_FILE], mail::MAIL_PHP);
    let smtp: Vec<(String, i32, String)> = egress_ports(&objects)
        .into_iter()
        .filter(|p| p.0 == "shop1-mail")
        .collect();
    assert_eq!(
        smtp,
        [("shop1-mail".to_string(), 465, "192.0.2.25/32".to_string())]
    );
    let annotation = objects.iter().find_map(|m| match m {
        Manifest::Deployment(d) if m.name() == "shop1-wordpress" => d
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(crate::domain::labels::MAIL_ANNOTATION).cloned()),
        _ => None,
    });
    let settings = annotation.as_deref().and_then(mail::MailSettings::parse);
    assert_eq!(
        settings.map(|s| s.line()).as_deref(),
        Some("192.0.2.25:465 from Shop <shop@example.com>")
    );

    // A DNS name cannot be a NetworkPolicy peer: the port alone, to any address.
    let named = render_with(&config_with(&[
        "mail.smtp.host=smtp.example.com",
        "mail.from=shop@example.com",
    ]));
    let smtp: Vec<(String, i32, String)> = egress_ports(&named)
        .into_iter()
        .filter(|p| p.0 == "shop1-mail")
        .collect();
    assert_eq!(smtp, [("shop1-mail".to_string(), 587, "*".to_string())]);
    let env = wordpress_container(&named).env.unwrap_or_default();
    assert!(
        env.iter()
            .all(|e| e.name != "STORECTL_SMTP_PASSWORD" && e.name != "STORECTL_SMTP_USERNAME"),
        "no login without a user name"
    );
}

#[test]
fn the_mail_test_job_sends_as_the_wordpress_container_does() {
    let config = config_with(&MAIL_ON);
    let name = StoreName::parse("shop1", "store-").unwrap_or_else(|e| panic!("{e}"));
    let layout = StoreLayout::new(&name, &config);
    let job = mail_test::mail_test_job(&layout, &config, "someone@example.com");
    assert_eq!(
        job.metadata.generate_name.as_deref(),
        Some("shop1-mail-test-")
    );
    assert_eq!(
        job.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("storectl.io/mail-test-of"))
            .map(String::as_str),
        Some("shop1")
    );
    let spec = job.spec.clone().unwrap_or_default();
    assert_eq!(spec.backoff_limit, Some(0));
    assert!(spec.active_deadline_seconds.is_some());
    let pod = spec.template.spec.unwrap_or_default();
    let test = &pod.containers[0];
    let wordpress = wordpress_container(&render_with(&config));
    assert_eq!(test.image, wordpress.image, "the store's WordPress image");
    for e in wordpress.env.iter().flatten() {
        assert!(
            test.env.iter().flatten().any(|t| t == e),
            "{} differs",
            e.name
        );
    }
    let mounts: Vec<&str> = test
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| m.mount_path.as_str())
        .collect();
    for m in wordpress.volume_mounts.iter().flatten() {
        assert!(
            mounts.contains(&m.mount_path.as_str()),
            "{} missing",
            m.mount_path
        );
    }
    assert!(mounts.contains(&"/var/www/html") && mounts.contains(&mail::MAIL_TEST_MOUNT));
    let selected = super::network::web_and_setup(&layout);
    let labels = pod_labels(&job);
    assert!(
        selected
            .match_labels
            .iter()
            .flatten()
            .all(|(k, v)| labels.get(k) == Some(v)),
        "the mail policy selects the test's pod"
    );
}

fn pod_labels(job: &k8s_openapi::api::batch::v1::Job) -> BTreeMap<String, String> {
    job.spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}
