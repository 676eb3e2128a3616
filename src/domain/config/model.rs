//! The typed configuration, mirroring assets/values.yaml key for key, with the checks on
//! values that YAML types alone cannot express (sizes, durations, names).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub global: Global,
    pub platform: Platform,
    pub stores: Stores,
    pub wordpress: WordPress,
    pub mysql: MySql,
    pub setup: Setup,
    pub woocommerce: WooCommerce,
    pub runner: Runner,
    pub ingress: Ingress,
    pub tls: Tls,
    pub network_policy: Toggle,
    pub quota: Quota,
    pub limit_range: LimitRange,
    pub backup: Backup,
    pub mail: Mail,
    pub log_level: LogLevel,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Global {
    pub domain: String,
    pub storage_class: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Platform {
    pub namespace: String,
    pub writers: Writers,
}

/// storectl's principals, bound to ClusterRole storectl-store-writer in each store's
/// namespace.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Writers {
    pub groups: Vec<String>,
    /// `<namespace>/<name>`.
    pub service_accounts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// One namespace per store (the default).
    Namespace,
    /// All stores in one namespace, as the original platform did.
    Shared,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurityLevel {
    Privileged,
    Baseline,
    Restricted,
}

impl PodSecurityLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Privileged => "privileged",
            Self::Baseline => "baseline",
            Self::Restricted => "restricted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Stores {
    pub isolation: Isolation,
    pub namespace_prefix: String,
    pub shared_namespace: String,
    pub pod_security: PodSecurityLevel,
    pub provisioning_deadline: DurationValue,
    pub failure_grace: DurationValue,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WordPress {
    pub image: String,
    pub storage: Quantity,
    pub resources: Resources,
    pub admin: Admin,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Admin {
    pub user: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MySql {
    pub image: String,
    pub database: String,
    pub user: String,
    pub storage: Quantity,
    pub resources: Resources,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Setup {
    pub image: String,
    pub plugins: Vec<String>,
    pub backoff_limit: u32,
    pub resources: Resources,
}

/// The cron runner beside each store's WordPress (`manifests/runner.rs`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Runner {
    pub resources: Resources,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    #[serde(default)]
    pub requests: BTreeMap<String, Quantity>,
    #[serde(default)]
    pub limits: BTreeMap<String, Quantity>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingress {
    pub enabled: bool,
    pub class_name: String,
    pub annotations: BTreeMap<String, String>,
    pub controller_namespace: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tls {
    pub enabled: bool,
    pub cluster_issuer: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toggle {
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quota {
    pub enabled: bool,
    pub hard: BTreeMap<String, Quantity>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitRange {
    pub enabled: bool,
    pub default: BTreeMap<String, Quantity>,
    pub default_request: BTreeMap<String, Quantity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// A Kubernetes resource quantity (`10Gi`, `500m`, `2`), accepted from YAML strings or
/// numbers and checked to be a non-negative quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match serde_yaml_ng::Value::deserialize(d)? {
            serde_yaml_ng::Value::String(s) => s,
            serde_yaml_ng::Value::Number(n) => n.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected a quantity like 10Gi or 500m, got {other:?}"
                )));
            }
        };
        parse_quantity(&text).map_err(serde::de::Error::custom)?;
        Ok(Self(text))
    }
}

impl Quantity {
    pub fn to_k8s(&self) -> k8s_openapi::apimachinery::pkg::api::resource::Quantity {
        k8s_openapi::apimachinery::pkg::api::resource::Quantity(self.0.clone())
    }

    /// The amount in base units (cores, bytes, counts), for comparing and adding.
    pub fn value(&self) -> f64 {
        let (number, unit) = split_quantity(&self.0);
        let factor = match unit {
            "n" => 1e-9,
            "u" => 1e-6,
            "m" => 1e-3,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            "P" => 1e15,
            "E" => 1e18,
            "Ki" => 1024f64,
            "Mi" => 1024f64.powi(2),
            "Gi" => 1024f64.powi(3),
            "Ti" => 1024f64.powi(4),
            "Pi" => 1024f64.powi(5),
            "Ei" => 1024f64.powi(6),
            _ => 1.0,
        };
        number.parse::<f64>().unwrap_or(0.0) * factor
    }
}

/// (number, unit suffix) of a quantity's text.
fn split_quantity(text: &str) -> (&str, &str) {
    let number = QUANTITY_SUFFIXES
        .iter()
        .find_map(|s| text.strip_suffix(s).filter(|n| !n.is_empty()))
        .unwrap_or(text);
    let number_len = number.len();
    let number = number.strip_prefix('+').unwrap_or(number);
    (number, &text[number_len..])
}

const QUANTITY_SUFFIXES: &[&str] = &[
    "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E", "",
];

fn parse_quantity(text: &str) -> Result<(), String> {
    if text.starts_with('-') {
        return Err(format!(
            "'{text}' is negative: use a positive quantity like 10Gi or 500m"
        ));
    }
    let (number, _) = split_quantity(text);
    let valid = !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && number.chars().filter(|c| *c == '.').count() <= 1
        && number.chars().any(|c| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(format!(
            "'{text}' is not a quantity: use a number with an optional unit, like 10Gi, 512Mi or 500m"
        ))
    }
}

/// A duration written as `90s`, `15m`, `1h30m` or a plain number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationValue(pub Duration);

impl Serialize for DurationValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}s", self.0.as_secs()))
    }
}

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match serde_yaml_ng::Value::deserialize(d)? {
            serde_yaml_ng::Value::String(s) => s,
            serde_yaml_ng::Value::Number(n) => format!("{n}s"),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected a duration like 15m, got {other:?}"
                )));
            }
        };
        parse_duration(&text)
            .map(DurationValue)
            .map_err(serde::de::Error::custom)
    }
}

/// Parses `1h30m`, `90s`, `15m` (jiff's friendly duration format). Shared with the CLI's
/// `--timeout`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("'{text}' is not a duration: use a positive value like 90s, 15m or 1h30m");
    let parsed: k8s_openapi::jiff::SignedDuration = text.trim().parse().map_err(|_| bad())?;
    match Duration::try_from(parsed) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(bad()),
    }
}

mod backup;
mod mail;
mod plugins;

pub use backup::*;
pub use mail::*;
pub use plugins::*;

#[cfg(test)]
mod tests;
