//! What serves: the MySQL and WordPress Deployments (WordPress with its cron runner and
//! storectl's PHP files). WordPress waits in an init container until MySQL accepts a
//! real login (`pod.rs`).

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, ExecAction, PodSpec, PodTemplateSpec, Probe, Sysctl, TCPSocketAction,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::network::{HTTP_PORT, MYSQL_PORT};
use super::pod::{
    WWW_DATA, content_mount, mount, plain_env, pod_meta, pod_spec, resources, restrict, secret_env,
    wait_for_mysql, wordpress_env,
};
use super::storectl_php::storectl_php_mounts;
use super::{health, mail, meta, runner};
use crate::domain::config::{Config, PodSecurityLevel};
use crate::domain::credentials::{MYSQL_PASSWORD, MYSQL_ROOT_PASSWORD};
use crate::domain::labels::{EXTRA_PLUGINS_ANNOTATION, MAIL_ANNOTATION, WOOCOMMERCE_ANNOTATION};
use crate::domain::layout::{Component, StoreLayout};

/// uid and gid of mysql in the official mysql images.
const MYSQL_USER: i64 = 999;
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

fn container_port(name: &str, port: i32) -> ContainerPort {
    ContainerPort {
        name: Some(name.to_string()),
        container_port: port,
        protocol: Some("TCP".to_string()),
        ..ContainerPort::default()
    }
}

fn shell_exec(script: &str) -> ExecAction {
    ExecAction {
        command: Some(vec!["sh".to_string(), "-c".to_string(), script.to_string()]),
    }
}
