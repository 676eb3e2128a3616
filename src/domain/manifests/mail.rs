//! A store's mail (`mail.*` keys): storectl's must-use plugin (`assets/wordpress/
//! storectl-mail.php`) that configures PHPMailer from the environment, the SMTP
//! settings in that environment (the password from the store's own Secret
//! `<store>-mail`, a copy of the platform's), and the egress to the SMTP server (the
//! `storectl mail-test` Job is `mail_test.rs`). Nothing of it exists while mail is off.

use k8s_openapi::api::core::v1::{
    ConfigMap, EnvVar, EnvVarSource, SecretKeySelector, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};

use super::meta;
use super::php_files::{php_config_map, php_file_mount, php_volume};
use super::pod::plain_env;
use crate::domain::config::{Config, MAIL_PASSWORD_KEY, Mail};
use crate::domain::layout::{Component, StoreLayout};

/// The must-use plugin's source, the one copy the store and the tests run.
pub const MAIL_PHP: &str = include_str!("../../../assets/wordpress/storectl-mail.php");
/// The mail test's source (`storectl mail-test`), the one copy the Job and the tests run.
pub const MAIL_TEST_PHP: &str = include_str!("../../../assets/wordpress/storectl-mail-test.php");
/// The plugin's name: its key in the ConfigMap and its file in `mu-plugins`.
pub const MAIL_FILE: &str = "storectl-mail.php";
/// The mail test's key in the ConfigMap.
pub const MAIL_TEST_FILE: &str = "storectl-mail-test.php";
/// Where the plugin is in every container that runs the store's WordPress: a must-use
/// plugin, loaded always, never switched off from the admin screen.
pub const MAIL_MOUNT: &str = "/var/www/html/wp-content/mu-plugins/storectl-mail.php";
/// Where the mail test Job finds its script (off the volume and off core).
pub const MAIL_TEST_MOUNT: &str = "/storectl/storectl-mail-test.php";
const VOLUME: &str = "storectl-mail";

/// The mail settings a store runs with, as its WordPress Deployment's annotation
/// `storectl.io/mail` says them (what `status` shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSettings {
    pub host: String,
    pub port: u32,
    pub from: String,
}

impl MailSettings {
    /// The settings of `mail`, if mail is on.
    pub fn of(mail: &Mail) -> Option<Self> {
        mail.enabled().then(|| Self {
            host: mail.smtp.host.clone(),
            port: mail.smtp.port,
            from: mail.from.clone(),
        })
    }

    /// The annotation's value.
    pub fn annotation(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Read back from the annotation's value.
    pub fn parse(annotation: &str) -> Option<Self> {
        serde_json::from_str(annotation).ok()
    }

    /// `HOST:PORT from FROM`, as `status` prints it.
    pub fn line(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{host}:{} from {}", self.port, self.from)
    }
}

/// What `storectl-mail-test.php` reports (its one JSON line): whether the server
/// accepted the message, its answer, and PHPMailer's error when it did not.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct MailTestResult {
    pub ok: bool,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub error: String,
}

impl MailTestResult {
    /// The script's line (the last line of a termination message that holds more).
    pub fn parse(message: &str) -> Option<Self> {
        message
            .lines()
            .rev()
            .find_map(|line| serde_json::from_str(line.trim()).ok())
    }
}

/// The ConfigMap `<store>-wordpress-mail`: the plugin and the mail test.
pub fn config_map(layout: &StoreLayout) -> ConfigMap {
    php_config_map(
        layout,
        name(layout),
        &[(MAIL_FILE, MAIL_PHP), (MAIL_TEST_FILE, MAIL_TEST_PHP)],
    )
}

fn name(layout: &StoreLayout) -> String {
    format!("{}-mail", layout.workload(Component::WordPress))
}

/// The pod's volume of that ConfigMap.
pub(super) fn volume(layout: &StoreLayout) -> Volume {
    php_volume(VOLUME, name(layout))
}

pub(super) fn file_mount(file: &str, at: &str) -> VolumeMount {
    php_file_mount(VOLUME, file, at)
}

/// The plugin at [`MAIL_MOUNT`], read-only.
pub(super) fn plugin_mount() -> VolumeMount {
    file_mount(MAIL_FILE, MAIL_MOUNT)
}

/// The SMTP settings in the environment the plugin reads: host, port, user name, the
/// password from the store's Secret `<store>-mail`, and the From's address and name.
pub(super) fn env(layout: &StoreLayout, mail: &Mail) -> Vec<EnvVar> {
    let sender = mail.sender();
    let mut env = vec![
        plain_env("STORECTL_SMTP_HOST", &mail.smtp.host),
        plain_env("STORECTL_SMTP_PORT", &mail.smtp.port.to_string()),
        plain_env("STORECTL_MAIL_FROM", sender.address),
        plain_env("STORECTL_MAIL_FROM_NAME", sender.name),
    ];
    if mail.authenticates() {
        env.push(plain_env("STORECTL_SMTP_USERNAME", &mail.smtp.username));
        env.push(EnvVar {
            name: "STORECTL_SMTP_PASSWORD".to_string(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: layout.mail_secret(),
                    key: MAIL_PASSWORD_KEY.to_string(),
                    ..SecretKeySelector::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        });
    }
    env
}

/// Egress to the SMTP server from the store's WordPress pods and its Jobs (the mail
/// test is one): exactly `mail.smtp.port` over TCP, to exactly the host where it is an
/// IP address (/32, /128). A NetworkPolicy cannot name a DNS name, so for one the port
/// is open to every address.
pub(super) fn policy(layout: &StoreLayout, config: &Config) -> Option<NetworkPolicy> {
    let mail = &config.mail;
    if !mail.enabled() {
        return None;
    }
    let to = mail.smtp.host.parse::<std::net::IpAddr>().ok().map(|ip| {
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        vec![NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: format!("{ip}/{bits}"),
                except: None,
            }),
            ..NetworkPolicyPeer::default()
        }]
    });
    Some(NetworkPolicy {
        metadata: meta(layout, layout.policy("mail"), None),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(super::network::web_and_setup(layout)),
            egress: Some(vec![NetworkPolicyEgressRule {
                to,
                ports: Some(vec![NetworkPolicyPort {
                    protocol: Some("TCP".to_string()),
                    port: Some(IntOrString::Int(i32::try_from(mail.smtp.port).unwrap_or(0))),
                    ..NetworkPolicyPort::default()
                }]),
            }]),
            policy_types: Some(vec!["Egress".to_string()]),
            ..NetworkPolicySpec::default()
        }),
    })
}
