//! The store's cron runner: a second container of the WordPress pod (so a paused store
//! runs none, and a thousand stores start no pod a minute) that runs WordPress's due
//! cron events every minute with storectl's PHP (`assets/wordpress/storectl-runner.php`,
//! from a ConfigMap), and reports what the store runs to its Lease `<store>-report`:
//! the renew time is when cron last ran, an annotation holds the versions and Action
//! Scheduler's past-due count. The report is written with the namespace's default
//! ServiceAccount's token, mounted into this container alone, which a Role allows to
//! patch that one Lease and nothing else. In the shared namespace the default
//! ServiceAccount is every store's, so there the runner runs cron and reports nothing.

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapProjection, Container, KeyToPath, ProjectedVolumeSource, SecurityContext,
    ServiceAccountTokenProjection, Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};

use super::meta;
use super::php_files::{php_config_map, php_volume};
use super::pod::{CORE_FROM_IMAGE, WWW_DATA, content_mount, plain_env, resources, wordpress_env};
use crate::domain::config::Config;
use crate::domain::layout::{Component, StoreLayout};

/// The runner's source, the one copy the store and the tests run.
pub const RUNNER_PHP: &str = include_str!("../../../assets/wordpress/storectl-runner.php");
/// Its file name in the ConfigMap and under [`RUNNER_FOLDER`].
pub const RUNNER_FILE: &str = "storectl-runner.php";
/// Where the runner container finds it (read-only).
pub const RUNNER_FOLDER: &str = "/storectl";
/// Where the runner container finds its token and the cluster's CA (`STORECTL_TOKEN_DIR`).
pub const TOKEN_FOLDER: &str = "/var/run/secrets/storectl";
/// The name of the Role and RoleBinding that let the runner write its Lease.
pub const RUNNER_ACCESS: &str = "storectl-runner";
/// The Lease counts as expired (cron not running) this long after its last renewal.
pub const LEASE_SECONDS: i32 = 600;
/// The container's name in the WordPress pod.
pub const RUNNER_CONTAINER: &str = "runner";
const CODE_VOLUME: &str = "storectl-runner";
const TOKEN_VOLUME: &str = "storectl-runner-token";
/// A projected token's lifetime; the kubelet renews it well before.
const TOKEN_SECONDS: i64 = 3600;

/// Copies core as the wp-cli Jobs do, then runs the runner once a minute, for ever.
const RUNNER_LOOP: &str = r#"
while :; do
  timeout 600 php /storectl/storectl-runner.php || echo "storectl-runner: exited with status $?" >&2
  sleep 60
done
"#;

/// The ConfigMap holding the runner's PHP, `<store>-wordpress-runner`.
pub fn config_map(layout: &StoreLayout) -> ConfigMap {
    php_config_map(layout, code_name(layout), &[(RUNNER_FILE, RUNNER_PHP)])
}

fn code_name(layout: &StoreLayout) -> String {
    format!("{}-runner", layout.workload(Component::WordPress))
}

/// The store's report, `<store>-report`: storectl makes it (its metadata only); the
/// runner writes its spec and the report annotation.
pub fn lease_name(layout: &StoreLayout) -> String {
    format!("{}-report", layout.name())
}

pub fn lease(layout: &StoreLayout) -> Lease {
    Lease {
        metadata: meta(layout, lease_name(layout), Some(Component::WordPress)),
        spec: None,
    }
}

/// Patch that one Lease: all the runner's token may do.
pub fn role(layout: &StoreLayout) -> Role {
    Role {
        metadata: meta(
            layout,
            RUNNER_ACCESS.to_string(),
            Some(Component::WordPress),
        ),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec!["coordination.k8s.io".to_string()]),
            resources: Some(vec!["leases".to_string()]),
            resource_names: Some(vec![lease_name(layout)]),
            verbs: vec!["get".to_string(), "patch".to_string()],
            ..PolicyRule::default()
        }]),
    }
}

/// The Role, for the namespace's default ServiceAccount (the store's own namespace).
pub fn binding(layout: &StoreLayout) -> RoleBinding {
    RoleBinding {
        metadata: meta(
            layout,
            RUNNER_ACCESS.to_string(),
            Some(Component::WordPress),
        ),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".to_string(),
            kind: "Role".to_string(),
            name: RUNNER_ACCESS.to_string(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".to_string(),
            name: "default".to_string(),
            namespace: Some(layout.namespace.clone()),
            ..Subject::default()
        }]),
    }
}

/// The runner container: the store's WordPress image (its PHP and core), environment
/// and wp-content, as www-data whatever the pod's level (files it writes stay
/// WordPress's).
pub(super) fn container(layout: &StoreLayout, config: &Config) -> Container {
    let mut env = wordpress_env(layout, config);
    let mut mounts = vec![
        content_mount(),
        VolumeMount {
            name: CODE_VOLUME.to_string(),
            mount_path: RUNNER_FOLDER.to_string(),
            read_only: Some(true),
            ..VolumeMount::default()
        },
    ];
    if layout.owns_namespace {
        env.extend([
            plain_env("STORECTL_NAMESPACE", &layout.namespace),
            plain_env("STORECTL_REPORT", &lease_name(layout)),
            plain_env("STORECTL_TOKEN_DIR", TOKEN_FOLDER),
        ]);
        mounts.push(VolumeMount {
            name: TOKEN_VOLUME.to_string(),
            mount_path: TOKEN_FOLDER.to_string(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }
    Container {
        name: RUNNER_CONTAINER.to_string(),
        image: Some(config.wordpress.image.clone()),
        command: Some(vec![
            "sh".to_string(),
            "-c".to_string(),
            format!("set -eu\n{CORE_FROM_IMAGE}{RUNNER_LOOP}"),
        ]),
        env: Some(env),
        resources: Some(resources(&config.runner.resources)),
        volume_mounts: Some(mounts),
        security_context: Some(SecurityContext {
            run_as_user: Some(WWW_DATA),
            run_as_group: Some(WWW_DATA),
            ..SecurityContext::default()
        }),
        ..Container::default()
    }
}

/// The pod's volumes for the runner: its code, and (own namespace) its token and CA.
pub(super) fn volumes(layout: &StoreLayout) -> Vec<Volume> {
    let mut volumes = vec![php_volume(CODE_VOLUME, code_name(layout))];
    if layout.owns_namespace {
        volumes.push(Volume {
            name: TOKEN_VOLUME.to_string(),
            projected: Some(ProjectedVolumeSource {
                default_mode: Some(0o444),
                sources: Some(vec![
                    VolumeProjection {
                        service_account_token: Some(ServiceAccountTokenProjection {
                            path: "token".to_string(),
                            expiration_seconds: Some(TOKEN_SECONDS),
                            ..ServiceAccountTokenProjection::default()
                        }),
                        ..VolumeProjection::default()
                    },
                    VolumeProjection {
                        config_map: Some(ConfigMapProjection {
                            name: "kube-root-ca.crt".to_string(),
                            items: Some(vec![KeyToPath {
                                key: "ca.crt".to_string(),
                                path: "ca.crt".to_string(),
                                ..KeyToPath::default()
                            }]),
                            ..ConfigMapProjection::default()
                        }),
                        ..VolumeProjection::default()
                    },
                ]),
            }),
            ..Volume::default()
        });
    }
    volumes
}
