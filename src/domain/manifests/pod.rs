//! The pod parts every workload and Job of a store shares: users, where WordPress's files
//! are, the environment WordPress reads, the restricted Pod Security level, and the wait
//! for MySQL that orders everything by readiness, never by time.

use k8s_openapi::api::core::v1::{
    Capabilities, Container, EnvVar, EnvVarSource, PersistentVolumeClaimVolumeSource,
    PodSecurityContext, PodSpec, ResourceRequirements, SeccompProfile, SecretKeySelector,
    SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::network::MYSQL_PORT;
use super::tenancy::quantities;
use crate::domain::config::{Config, Resources};
use crate::domain::credentials::{MYSQL_PASSWORD, WORDPRESS_SALTS};
use crate::domain::layout::{Component, StoreLayout};

/// uid and gid of www-data in the official wordpress images.
pub(super) const WWW_DATA: i64 = 33;
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

/// Copies the image's WordPress core (not its wp-content) and its wp-config.php, which
/// reads the database settings and salts from the environment, as the image's
/// entrypoint does on each start of the WordPress container.
pub(super) const CORE_FROM_IMAGE: &str = r#"tar -C /usr/src/wordpress --exclude=./wp-content -cf - . | tar -C /var/www/html --no-overwrite-dir -xf -
cp /usr/src/wordpress/wp-config-docker.php /var/www/html/wp-config.php
[ -f /var/www/html/wp-includes/version.php ] || { echo "the image has no WordPress core in /usr/src/wordpress" >&2; exit 1; }
"#;

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

pub(super) fn resources(r: &Resources) -> ResourceRequirements {
    ResourceRequirements {
        requests: (!r.requests.is_empty()).then(|| quantities(&r.requests)),
        limits: (!r.limits.is_empty()).then(|| quantities(&r.limits)),
        ..ResourceRequirements::default()
    }
}
