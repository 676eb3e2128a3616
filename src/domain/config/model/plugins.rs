//! The plugins a store runs at pinned versions: WooCommerce and the extra ones.

use serde::{Deserialize, Deserializer, Serialize};

/// The WooCommerce a store runs: installed at exactly `version` by the setup Job, and
/// by the database upgrade Job of an upgrade that changes it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WooCommerce {
    /// A release of the plugin on WordPress.org, digits and dots (`10.1.2`).
    #[serde(deserialize_with = "version_text")]
    pub version: String,
    /// Other plugins, each at exactly its version, installed and activated after it.
    pub extra_plugins: Vec<PinnedPlugin>,
    /// Where the Jobs download plugins: `{source}/{slug}.{version}.zip` for a pinned one,
    /// `{source}/{slug}.latest-stable.zip` for `setup.plugins` (WordPress.org's layout).
    pub source: String,
}

/// A WordPress.org plugin at one release.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PinnedPlugin {
    /// Its WordPress.org slug (`woocommerce-payments`).
    pub name: String,
    #[serde(deserialize_with = "version_text")]
    pub version: String,
}

/// A version as text: a string, or a whole number (`--set woocommerce.version=10`); a
/// YAML float (`9.10`, read as 9.1) is refused rather than read wrong.
fn version_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_yaml_ng::Value::deserialize(d)? {
        serde_yaml_ng::Value::String(s) => Ok(s),
        serde_yaml_ng::Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a version in quotes like \"10.1.2\", got {other:?}"
        ))),
    }
}
