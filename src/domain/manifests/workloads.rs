//! What serves: the MySQL and WordPress Deployments, and the pod parts the Jobs
//! (`jobs.rs`) share with them. Ordering is by readiness, never by time: WordPress and
//! every Job wait in an init container until MySQL accepts a real login.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EnvVar, EnvVarSource, ExecAction,
    PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, SecretKeySelector, SecurityContext, Sysctl,
    TCPSocketAction, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::network::{HTTP_PORT, MYSQL_PORT};
use super::php_files::storectl_php_mounts;
use super::tenancy::quantities;
use super::{health, mail, meta, runner};
use crate::domain::config::{Config, PodSecurityLevel, Resources};
use crate::domain::credentials::{MYSQL_PASSWORD, MYSQL_ROOT_PASSWORD, WORDPRESS_SALTS};
use crate::domain::labels::{EXTRA_PLUGINS_ANNOTATION, MAIL_ANNOTATION, WOOCOMMERCE_ANNOTATION};
use crate::domain::layout::{Component, StoreLayout};

/// uid and gid of www-data in the official wordpress images.
pub(super) const WWW_DATA: i64 = 33;
/// uid and gid of mysql in the official mysql images.
const MYSQL_USER: i64 = 999;
/// Where WordPress core lives in every container that runs it: the image's own copy
/// (the official entrypoint copies it from /usr/src/wordpress on each start), never the
/// volume, so a new image is new core.
pub(super) const WORDPRESS_ROOT: &str = "/var/www/html";
/// Where stores from before that mounted the whole WordPress volume (core on it).
pub const CORE_ON_THE_VOLUME: &str = WORDPRESS_ROOT;
/// The one layout of the WordPress volume: its folder `wp-content` is the store's
/// wp-content (uploads, plugins, themes), mounted over the image's at this path.
pub const WP_CONTENT: &str = "/var/www/html/wp-content";
/// The volume's folder that is mounted at [`WP_CONTENT`] (`subPath`). The volume of a
/// store from before this layout held core at its root and wp-content in this folder,
/// so the same mount serves it without moving a file.
pub const WP_CONTENT_FOLDER: &str = "wp-content";

/// Exits once MySQL accepts the store's user over TCP; prints why it is still waiting.
/// Gives up (exit 1, so the pod's failure shows) after 10 minutes.
const WAIT_FOR_MYSQL_PHP: &str = r#"mysqli_report(MYSQLI_REPORT_OFF);
[$host, $port] = array_pad(explode(":", getenv("WORDPRESS_DB_HOST")), 2, "3306");
$deadline = time() + 600;
while (true) {
    $db = @mysqli_connect($host, getenv("WORDPRESS_DB_USER"), getenv("WORDPRESS_DB_PASSWORD"), getenv("WORDPRESS_DB_NAME"), (int) $port);
    if ($db) { echo "MySQL at $host is ready\n"; exit(0); }
    $why = mysqli_connect_error();
    if (time() >= $deadline) { fwrite(STDERR, "MySQL at $host did not accept the store's login within 10 minutes: $why\n"); exit(1); }
    fwrite(STDERR, "waiting for MySQL at $host: $why\n");
    sleep(2);
}"#;

pub fn mysql(layout: &StoreLayout, config: &Config) -> Deployment {
    let c = Component::MySql;
    let container = Container {
        name: c.as_str().to_string(),
        image: Some(config.mysql.image.clone()),
        env: Some(vec![
            secret_env("MYSQL_ROOT_PASSWORD", layout, MYSQL_ROOT_PASSWORD),
            plain_env("MYSQL_DATABASE", &config.mysql.database),
            plain_env("MYSQL_USER", &config.mysql.user),
            secret_env("MYSQL_PASSWORD", layout, MYSQL_PASSWORD),
        ]),
        ports: Some(vec![container_port("mysql", MYSQL_PORT)]),
        // A real query over TCP: the entrypoint's temporary init server listens on the
        // socket only, so this turns ready only once the real server runs.
        readiness_probe: Some(Probe {
            exec: Some(shell_exec(
                r#"MYSQL_PWD="$MYSQL_PASSWORD" mysql --protocol=TCP -h 127.0.0.1 -u "$MYSQL_USER" -e "SELECT 1" "$MYSQL_DATABASE""#,
            )),
            initial_delay_seconds: Some(5),
            period_seconds: Some(5),
            timeout_seconds: Some(5),
            ..Probe::default()
        }),
        liveness_probe: Some(Probe {
            exec: Some(shell_exec(
                r#"MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysqladmin ping -u root --silent"#,
            )),
            initial_delay_seconds: Some(30),
            period_seconds: Some(10),
            timeout_seconds: Some(5),
            failure_threshold: Some(6),
            ..Probe::default()
        }),
        resources: Some(resources(&config.mysql.resources)),
        volume_mounts: Some(vec![mount("data", "/var/lib/mysql")]),
        ..Container::default()
    };
    let mut spec = pod_spec(layout, c, vec![], container);
    if config.stores.pod_security == PodSecurityLevel::Restricted {
        restrict(&mut spec, MYSQL_USER);
    }
    deployment(layout, c, spec)
}

pub fn wordpress(layout: &StoreLayout, config: &Config) -> Deployment {
    let c = Component::WordPress;
    let php = storectl_php_mounts(layout, config);
    let mut env = wordpress_env(layout, config);
    env.extend(php.env.iter().cloned());
    let mut volume_mounts = vec![content_mount()];
    volume_mounts.extend(php.mounts.iter().cloned());
    let container = Container {
        name: c.as_str().to_string(),
        image: Some(config.wordpress.image.clone()),
        env: Some(env),
        ports: Some(vec![container_port("http", HTTP_PORT)]),
        readiness_probe: Some(health::readiness()),
        liveness_probe: Some(Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::String("http".to_string()),
                ..TCPSocketAction::default()
            }),
            initial_delay_seconds: Some(30),
            period_seconds: Some(20),
            ..Probe::default()
        }),
        resources: Some(resources(&config.wordpress.resources)),
        volume_mounts: Some(volume_mounts),
        ..Container::default()
    };
    let init = wait_for_mysql(layout, config, &config.wordpress.image);
    let mut spec = pod_spec(layout, c, vec![init], container);
    // The runner runs the store's WordPress too (cron sends WooCommerce's mail).
    let mut runner = runner::container(layout, config);
    runner.env.get_or_insert_with(Vec::new).extend(php.env);
    runner
        .volume_mounts
        .get_or_insert_with(Vec::new)
        .extend(php.mounts);
    spec.containers.push(runner);
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    volumes.extend(php.volumes);
    volumes.extend(runner::volumes(layout));
    if config.stores.pod_security == PodSecurityLevel::Restricted {
        restrict(&mut spec, WWW_DATA);
        // Apache listens on port 80 as www-data: a namespaced sysctl that the restricted
        // level allows, instead of a capability a non-root process would not keep.
        if let Some(context) = &mut spec.security_context {
            context.sysctls = Some(vec![Sysctl {
                name: "net.ipv4.ip_unprivileged_port_start".to_string(),
                value: "0".to_string(),
            }]);
        }
    }
    let mut d = deployment(layout, c, spec);
    let annotations = d.metadata.annotations.get_or_insert_with(Default::default);
    annotations.insert(
        WOOCOMMERCE_ANNOTATION.to_string(),
        config.woocommerce.version.clone(),
    );
    let extra = &config.woocommerce.extra_plugins;
    if !extra.is_empty() {
        let pinned: Vec<String> = extra
            .iter()
            .map(|p| format!("{}={}", p.name, p.version))
            .collect();
        annotations.insert(EXTRA_PLUGINS_ANNOTATION.to_string(), pinned.join(","));
    }
    if let Some(settings) = mail::MailSettings::of(&config.mail) {
        annotations.insert(MAIL_ANNOTATION.to_string(), settings.annotation());
    }
    d
}

/// A Deployment without `replicas` (one by default): that field is `storectl pause`'s
/// alone, so re-applying a store never wakes a paused one.
fn deployment(layout: &StoreLayout, c: Component, spec: PodSpec) -> Deployment {
    Deployment {
        metadata: meta(layout, layout.workload(c), Some(c)),
        spec: Some(DeploymentSpec {
            // One pod at a time: both mount a ReadWriteOnce volume.
            strategy: Some(DeploymentStrategy {
                type_: Some("Recreate".to_string()),
                ..DeploymentStrategy::default()
            }),
            selector: LabelSelector {
                match_labels: Some(layout.selector(c)),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(pod_meta(layout, c)),
                spec: Some(spec),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

pub(super) fn pod_meta(layout: &StoreLayout, c: Component) -> ObjectMeta {
    ObjectMeta {
        labels: Some(layout.labels(Some(c))),
        ..ObjectMeta::default()
    }
}

pub(super) fn pod_spec(
    layout: &StoreLayout,
    c: Component,
    init: Vec<Container>,
    main: Container,
) -> PodSpec {
    PodSpec {
        init_containers: (!init.is_empty()).then_some(init),
        containers: vec![main],
        automount_service_account_token: Some(false),
        volumes: Some(vec![Volume {
            name: "data".to_string(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: layout.pvc(match c {
                    Component::MySql => Component::MySql,
                    Component::WordPress | Component::Setup | Component::Backup => {
                        Component::WordPress
                    }
                }),
                ..PersistentVolumeClaimVolumeSource::default()
            }),
            ..Volume::default()
        }]),
        ..PodSpec::default()
    }
}

/// uid and gid `nobody`: the platform's own pods (the backup target server, the access
/// Jobs), which need no user of an image.
pub(super) const NOBODY: i64 = 65_534;

/// `spec` as the restricted Pod Security level demands it ([`restrict`]).
pub(super) fn restricted(mut spec: PodSpec, uid: i64) -> PodSpec {
    restrict(&mut spec, uid);
    spec
}

/// What the restricted Pod Security level demands of a pod: a fixed non-root user (with
/// its group owning the volume), RuntimeDefault seccomp, and in every container no
/// privilege escalation and no capabilities.
pub(super) fn restrict(spec: &mut PodSpec, uid: i64) {
    spec.security_context = Some(PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(uid),
        run_as_group: Some(uid),
        fs_group: Some(uid),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_string(),
            ..SeccompProfile::default()
        }),
        ..PodSecurityContext::default()
    });
    let containers = spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten());
    for container in containers {
        container.security_context = Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".to_string()]),
                ..Capabilities::default()
            }),
            ..SecurityContext::default()
        });
    }
}

pub(super) fn wait_for_mysql(layout: &StoreLayout, config: &Config, image: &str) -> Container {
    Container {
        name: "wait-for-mysql".to_string(),
        image: Some(image.to_string()),
        command: Some(vec![
            "php".to_string(),
            "-r".to_string(),
            WAIT_FOR_MYSQL_PHP.to_string(),
        ]),
        env: Some(database_env(layout, config)),
        resources: Some(resources(&config.setup.resources)),
        ..Container::default()
    }
}

/// PHP the image's wp-config.php runs (`WORDPRESS_CONFIG_EXTRA`): WordPress never starts
/// cron from a page load; the store's runner runs it (`runner.rs`).
pub const WORDPRESS_CONFIG_EXTRA: &str = "define('DISABLE_WP_CRON', true);";

/// What WordPress's wp-config.php reads (the image's `wp-config-docker.php`): the
/// database settings and the keys and salts, all from the store's Secret, and
/// [`WORDPRESS_CONFIG_EXTRA`].
pub(super) fn wordpress_env(layout: &StoreLayout, config: &Config) -> Vec<EnvVar> {
    let mut env = database_env(layout, config);
    env.push(plain_env("WORDPRESS_CONFIG_EXTRA", WORDPRESS_CONFIG_EXTRA));
    env.extend(
        WORDPRESS_SALTS
            .iter()
            .map(|(key, var)| secret_env(var, layout, key)),
    );
    env
}

/// The official image's `WORDPRESS_DB_*` variables (wp-config.php reads them at run time).
pub(super) fn database_env(layout: &StoreLayout, config: &Config) -> Vec<EnvVar> {
    vec![
        plain_env(
            "WORDPRESS_DB_HOST",
            &format!("{}:{MYSQL_PORT}", layout.workload(Component::MySql)),
        ),
        plain_env("WORDPRESS_DB_NAME", &config.mysql.database),
        plain_env("WORDPRESS_DB_USER", &config.mysql.user),
        secret_env("WORDPRESS_DB_PASSWORD", layout, MYSQL_PASSWORD),
    ]
}

pub(super) fn plain_env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.to_string()),
        ..EnvVar::default()
    }
}

pub(super) fn secret_env(name: &str, layout: &StoreLayout, key: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: layout.secret(),
                key: key.to_string(),
                ..SecretKeySelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

fn container_port(name: &str, port: i32) -> ContainerPort {
    ContainerPort {
        name: Some(name.to_string()),
        container_port: port,
        protocol: Some("TCP".to_string()),
        ..ContainerPort::default()
    }
}

pub(super) fn mount(volume: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: volume.to_string(),
        mount_path: path.to_string(),
        ..VolumeMount::default()
    }
}

/// The WordPress volume's wp-content folder at [`WP_CONTENT`]: how every container that
/// runs WordPress (the Deployment's, the wp-cli Jobs') sees the store's files.
pub(super) fn content_mount() -> VolumeMount {
    VolumeMount {
        sub_path: Some(WP_CONTENT_FOLDER.to_string()),
        ..mount("data", WP_CONTENT)
    }
}

fn shell_exec(script: &str) -> ExecAction {
    ExecAction {
        command: Some(vec!["sh".to_string(), "-c".to_string(), script.to_string()]),
    }
}

pub(super) fn resources(r: &Resources) -> ResourceRequirements {
    ResourceRequirements {
        requests: (!r.requests.is_empty()).then(|| quantities(&r.requests)),
        limits: (!r.limits.is_empty()).then(|| quantities(&r.limits)),
        ..ResourceRequirements::default()
    }
}
