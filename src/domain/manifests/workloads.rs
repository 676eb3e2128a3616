//! What runs: the MySQL and WordPress Deployments, the setup Job that installs
//! WordPress and WooCommerce with wp-cli, and the Job that upgrades their database
//! after an image change. Ordering is by readiness, never by time:
//! WordPress and the Job wait in an init container until MySQL accepts a real login.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    ExecAction, HTTPGetAction, PersistentVolumeClaimVolumeSource, PodAffinity, PodAffinityTerm,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile,
    SecretKeySelector, SecurityContext, Sysctl, TCPSocketAction, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta;
use super::network::{HTTP_PORT, MYSQL_PORT};
use super::tenancy::quantities;
use crate::domain::config::{Config, PodSecurityLevel, Resources};
use crate::domain::credentials::{
    MYSQL_PASSWORD, MYSQL_ROOT_PASSWORD, WORDPRESS_ADMIN_PASSWORD, WORDPRESS_SALTS,
};
use crate::domain::layout::{Component, StoreLayout};

/// uid and gid of www-data in the official wordpress images.
const WWW_DATA: i64 = 33;
/// uid and gid of mysql in the official mysql images.
const MYSQL_USER: i64 = 999;
const WORDPRESS_ROOT: &str = "/var/www/html";

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

/// Idempotent installation: safe to run again on a store that is already set up.
const SETUP_SCRIPT: &str = r#"set -eu
cd /var/www/html
until [ -f wp-config.php ]; do echo "waiting for WordPress to write wp-config.php"; sleep 2; done
if wp core is-installed; then
  echo "WordPress is already installed"
else
  printf '%s\n' "$WP_ADMIN_PASSWORD" | wp core install --url="$WP_URL" --title="$WP_TITLE" \
    --admin_user="$WP_ADMIN_USER" --admin_email="$WP_ADMIN_EMAIL" --skip-email --prompt=admin_password
fi
for plugin in $WP_PLUGINS; do
  wp plugin is-installed "$plugin" || wp plugin install "$plugin"
  wp plugin activate "$plugin"
done
wp rewrite structure '/%postname%/'
echo "store setup complete"
"#;

/// After a new WordPress image: WordPress core's database upgrade, then WooCommerce's
/// own. Both are idempotent (nothing to upgrade is a success).
const DATABASE_UPGRADE_SCRIPT: &str = r#"set -eu
cd /var/www/html
wp core update-db
if wp plugin is-active woocommerce; then wp wc update; fi
echo "database upgrade complete"
"#;

/// How long a finished database upgrade Job stays for its logs and status (a day).
const FINISHED_JOB_TTL_SECONDS: i32 = 86_400;

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
    let mut env = database_env(layout, config);
    env.extend(
        WORDPRESS_SALTS
            .iter()
            .map(|(key, var)| secret_env(var, layout, key)),
    );
    let container = Container {
        name: c.as_str().to_string(),
        image: Some(config.wordpress.image.clone()),
        env: Some(env),
        ports: Some(vec![container_port("http", HTTP_PORT)]),
        readiness_probe: Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/wp-login.php".to_string()),
                port: IntOrString::String("http".to_string()),
                ..HTTPGetAction::default()
            }),
            initial_delay_seconds: Some(5),
            period_seconds: Some(10),
            timeout_seconds: Some(5),
            ..Probe::default()
        }),
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
        volume_mounts: Some(vec![mount("data", WORDPRESS_ROOT)]),
        ..Container::default()
    };
    let init = wait_for_mysql(layout, config, &config.wordpress.image);
    let mut spec = pod_spec(layout, c, vec![init], container);
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
    deployment(layout, c, spec)
}

pub fn setup_job(layout: &StoreLayout, config: &Config) -> Job {
    let title = if config.wordpress.title.is_empty() {
        layout.name().to_string()
    } else {
        config.wordpress.title.clone()
    };
    let scheme = if config.tls.enabled { "https" } else { "http" };
    let mut env = database_env(layout, config);
    env.extend([
        plain_env("WP_URL", &format!("{scheme}://{}", layout.host)),
        plain_env("WP_TITLE", &title),
        plain_env("WP_ADMIN_USER", &config.wordpress.admin.user),
        plain_env("WP_ADMIN_EMAIL", &config.wordpress.admin.email),
        secret_env("WP_ADMIN_PASSWORD", layout, WORDPRESS_ADMIN_PASSWORD),
        plain_env("WP_PLUGINS", &config.setup.plugins.join(" ")),
    ]);
    wp_cli_job(
        layout,
        config,
        layout.workload(Component::Setup),
        SETUP_SCRIPT,
        env,
    )
}

/// The Job that upgrades the store's database after revision `revision` changed an
/// image (`wp core update-db`, `wp wc update`); removed a day after it finishes.
pub fn database_upgrade_job(layout: &StoreLayout, config: &Config, revision: u32) -> Job {
    let mut job = wp_cli_job(
        layout,
        config,
        layout.database_upgrade_job(revision),
        DATABASE_UPGRADE_SCRIPT,
        database_env(layout, config),
    );
    if let Some(spec) = job.spec.as_mut() {
        spec.ttl_seconds_after_finished = Some(FINISHED_JOB_TTL_SECONDS);
    }
    job
}

/// A Job running `script` with wp-cli on the WordPress volume, once MySQL answers.
fn wp_cli_job(
    layout: &StoreLayout,
    config: &Config,
    name: String,
    script: &str,
    env: Vec<EnvVar>,
) -> Job {
    script_job(
        layout,
        config,
        ScriptJob {
            name,
            component: Component::Setup,
            image: &config.setup.image,
            script,
            env,
            scratch: false,
            beside_wordpress: true,
            needs_database: true,
        },
    )
}

/// What a Job runs: `sh -c script` in `image` with `env`, the WordPress volume at
/// /var/www/html, and (`scratch`) an empty folder at /work for what it makes.
pub(super) struct ScriptJob<'a> {
    pub name: String,
    pub component: Component,
    pub image: &'a str,
    pub script: &'a str,
    pub env: Vec<EnvVar>,
    pub scratch: bool,
    /// Scheduled next to the WordPress pod (its volume is ReadWriteOnce); false when
    /// WordPress is stopped for the Job (restore).
    pub beside_wordpress: bool,
    /// Starts once MySQL accepts the store's login.
    pub needs_database: bool,
}

/// Where a script Job's scratch folder is mounted.
pub(super) const SCRATCH: &str = "/work";

pub(super) fn script_job(layout: &StoreLayout, config: &Config, job: ScriptJob) -> Job {
    let c = job.component;
    let mut mounts = vec![mount("data", WORDPRESS_ROOT)];
    if job.scratch {
        mounts.push(mount("work", SCRATCH));
    }
    let container = Container {
        name: c.as_str().to_string(),
        image: Some(job.image.to_string()),
        command: Some(vec![
            "sh".to_string(),
            "-c".to_string(),
            job.script.to_string(),
        ]),
        env: Some(job.env),
        resources: Some(resources(&config.setup.resources)),
        volume_mounts: Some(mounts),
        // The script's one-line result, or its log's end when it fails before writing it.
        termination_message_policy: Some("FallbackToLogsOnError".to_string()),
        ..Container::default()
    };
    let init = if job.needs_database {
        vec![wait_for_mysql(layout, config, job.image)]
    } else {
        Vec::new()
    };
    let mut spec = pod_spec(layout, c, init, container);
    if job.scratch {
        spec.volumes.get_or_insert_with(Vec::new).push(Volume {
            name: "work".to_string(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Volume::default()
        });
    }
    spec.restart_policy = Some("Never".to_string());
    spec.security_context = Some(PodSecurityContext {
        run_as_user: Some(WWW_DATA),
        run_as_group: Some(WWW_DATA),
        fs_group: Some(WWW_DATA),
        ..PodSecurityContext::default()
    });
    if config.stores.pod_security == PodSecurityLevel::Restricted {
        restrict(&mut spec, WWW_DATA);
    }
    // The WordPress volume is ReadWriteOnce: run next to the WordPress pod.
    if job.beside_wordpress {
        spec.affinity = Some(Affinity {
            pod_affinity: Some(PodAffinity {
                required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                    label_selector: Some(LabelSelector {
                        match_labels: Some(layout.selector(Component::WordPress)),
                        ..LabelSelector::default()
                    }),
                    topology_key: "kubernetes.io/hostname".to_string(),
                    ..PodAffinityTerm::default()
                }]),
                ..PodAffinity::default()
            }),
            ..Affinity::default()
        });
    }
    Job {
        metadata: meta(layout, job.name, Some(c)),
        spec: Some(JobSpec {
            backoff_limit: Some(i32::try_from(config.setup.backoff_limit).unwrap_or(i32::MAX)),
            template: PodTemplateSpec {
                metadata: Some(pod_meta(layout, c)),
                spec: Some(spec),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

/// Runs a second step after a script Job's script, in a container of its own: the
/// script becomes the last init container (the step starts only if it succeeded) and the
/// step, `sh -c script` with `env` alone and the WordPress volume alone, the main one.
pub(super) fn followed_by(job: &mut Job, name: &str, script: &str, env: Vec<EnvVar>) {
    let Some(pod) = job.spec.as_mut().and_then(|s| s.template.spec.as_mut()) else {
        return;
    };
    let first = pod.containers.remove(0);
    let step = Container {
        name: name.to_string(),
        image: first.image.clone(),
        command: Some(vec!["sh".to_string(), "-c".to_string(), script.to_string()]),
        env: Some(env),
        resources: first.resources.clone(),
        volume_mounts: Some(vec![mount("data", WORDPRESS_ROOT)]),
        termination_message_policy: first.termination_message_policy.clone(),
        security_context: first.security_context.clone(),
        ..Container::default()
    };
    pod.init_containers.get_or_insert_with(Vec::new).push(first);
    pod.containers.push(step);
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

fn pod_meta(layout: &StoreLayout, c: Component) -> ObjectMeta {
    ObjectMeta {
        labels: Some(layout.labels(Some(c))),
        ..ObjectMeta::default()
    }
}

fn pod_spec(layout: &StoreLayout, c: Component, init: Vec<Container>, main: Container) -> PodSpec {
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

/// What the restricted Pod Security level demands of a pod: a fixed non-root user (with
/// its group owning the volume), RuntimeDefault seccomp, and in every container no
/// privilege escalation and no capabilities.
fn restrict(spec: &mut PodSpec, uid: i64) {
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

fn wait_for_mysql(layout: &StoreLayout, config: &Config, image: &str) -> Container {
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

fn secret_env(name: &str, layout: &StoreLayout, key: &str) -> EnvVar {
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

fn mount(volume: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: volume.to_string(),
        mount_path: path.to_string(),
        ..VolumeMount::default()
    }
}

fn shell_exec(script: &str) -> ExecAction {
    ExecAction {
        command: Some(vec!["sh".to_string(), "-c".to_string(), script.to_string()]),
    }
}

fn resources(r: &Resources) -> ResourceRequirements {
    ResourceRequirements {
        requests: (!r.requests.is_empty()).then(|| quantities(&r.requests)),
        limits: (!r.limits.is_empty()).then(|| quantities(&r.limits)),
        ..ResourceRequirements::default()
    }
}
