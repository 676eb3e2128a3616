//! Layered configuration, kept from the original design's Helm values hierarchy:
//! embedded defaults (assets/values.yaml) <- each values file in order <- `--set` <-
//! the original environment variables <- the TUI's create form. Unknown keys and bad values are errors that
//! name the key and the layer they came from.

mod budget;
mod keys;
pub mod merge;
pub mod model;
pub mod set;
mod validate;

pub use model::*;

use serde_yaml_ng::Value;

use merge::{Provenance, deep_merge, join, key_text};

/// The defaults, compiled in: they are both the bottom layer and the schema of keys.
pub const DEFAULTS_YAML: &str = include_str!("../../../assets/values.yaml");
const DEFAULTS_ORIGIN: &str = "the built-in defaults";

/// Keys whose children are free-form names (annotations, resource names).
const OPEN_MAPS: &[&str] = &[
    "ingress.annotations",
    "quota.hard",
    "limitRange.default",
    "limitRange.defaultRequest",
    "*.resources.requests",
    "*.resources.limits",
];

/// The original platform's environment variables, read by the binary and passed in.
#[derive(Debug, Clone, Default)]
pub struct EnvVars {
    /// `HELM_VALUES`: a whole values document as inline YAML.
    pub helm_values: Option<String>,
    /// `STORE_NAMESPACE` -> `stores.sharedNamespace`.
    pub store_namespace: Option<String>,
    /// `GLOBAL_DOMAIN` -> `global.domain`.
    pub global_domain: Option<String>,
    /// `STORAGE_CLASS` -> `global.storageClass`.
    pub storage_class: Option<String>,
    /// `LOG_LEVEL` -> `logLevel`.
    pub log_level: Option<String>,
}

impl EnvVars {
    /// Reads the variables through `get` (e.g. `std::env::var(..).ok()`); empty counts as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name: &str| get(name).filter(|v| !v.is_empty());
        Self {
            helm_values: read("HELM_VALUES"),
            store_namespace: read("STORE_NAMESPACE"),
            global_domain: read("GLOBAL_DOMAIN"),
            storage_class: read("STORAGE_CLASS"),
            log_level: read("LOG_LEVEL"),
        }
    }

    fn single_keys(&self) -> [(&'static str, &'static str, Option<&String>); 4] {
        [
            (
                "STORE_NAMESPACE",
                "stores.sharedNamespace",
                self.store_namespace.as_ref(),
            ),
            (
                "GLOBAL_DOMAIN",
                "global.domain",
                self.global_domain.as_ref(),
            ),
            (
                "STORAGE_CLASS",
                "global.storageClass",
                self.storage_class.as_ref(),
            ),
            ("LOG_LEVEL", "logLevel", self.log_level.as_ref()),
        ]
    }
}

/// A values file read into memory: the name messages give it, and its YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuesText {
    pub origin: String,
    pub text: String,
}

impl ValuesText {
    pub fn new(origin: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            text: text.into(),
        }
    }
}

/// One field of a form as a configuration key: its dotted key and the value typed, taken
/// as a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    pub key: String,
    pub value: String,
}

impl FormField {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Everything a configuration is built from, already read into memory.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `-f/--values` files in command-line order.
    pub files: Vec<ValuesText>,
    /// `--set` arguments in command-line order.
    pub sets: Vec<String>,
    pub env: EnvVars,
    /// The fields typed into the TUI's create form, each value taken as a string: the
    /// top layer, above the environment, since they are the newest and
    /// most specific word. `storectl serve` puts a request's fields here.
    pub form: Vec<FormField>,
    /// What messages call that layer (default: "the create form").
    pub form_origin: Option<&'static str>,
}

/// A configuration problem, phrased for the person who caused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{origin}{}: invalid YAML: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Syntax {
        origin: String,
        line: Option<usize>,
        message: String,
    },
    #[error(
        "{origin}: the values must be a mapping of keys (like 'global: {{domain: example.com}}')"
    )]
    NotAMapping { origin: String },
    #[error("unknown key '{key}' in {origin}{hint}")]
    UnknownKey {
        key: String,
        origin: String,
        hint: String,
    },
    #[error("{key} (set in {origin}): {why}")]
    Invalid {
        key: String,
        origin: String,
        why: String,
    },
    #[error("--set '{arg}': {why}")]
    BadSet { arg: String, why: String },
    #[error("cannot read values file '{path}': {why}")]
    Unreadable { path: String, why: String },
}

/// Builds the configuration from all layers, checking every key and value.
pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
    let schema = parse_yaml(DEFAULTS_YAML, DEFAULTS_ORIGIN)?;
    let mut merged = schema.clone();
    let mut provenance = Provenance::default();
    deep_merge(
        &mut merged,
        schema.clone(),
        DEFAULTS_ORIGIN,
        &mut provenance,
    );

    let mut apply = |overlay: Value, origin: &str| -> Result<(), ConfigError> {
        check_keys(&overlay, &schema, "", origin)?;
        deep_merge(&mut merged, overlay, origin, &mut provenance);
        Ok(())
    };
    for ValuesText { origin, text } in &sources.files {
        apply(parse_yaml(text, origin)?, origin)?;
    }
    for arg in &sources.sets {
        apply(parse_set(arg)?, &format!("--set {arg}"))?;
    }
    if let Some(text) = &sources.env.helm_values {
        apply(parse_yaml(text, "HELM_VALUES")?, "HELM_VALUES")?;
    }
    for (var, path, value) in sources.env.single_keys() {
        if let Some(value) = value {
            apply(set::nested(path, Value::String(value.clone())), var)?;
        }
    }
    let form_origin = sources.form_origin.unwrap_or("the create form");
    for FormField { key, value } in &sources.form {
        apply(
            set::nested(key, Value::String(value.clone())),
            &format!("{form_origin} ({key}={value})"),
        )?;
    }

    let config: Config = serde_path_to_error::deserialize(merged).map_err(|e| {
        let key = e.path().to_string();
        ConfigError::Invalid {
            origin: provenance
                .source_of(&key)
                .unwrap_or(DEFAULTS_ORIGIN)
                .to_string(),
            key,
            why: e.into_inner().to_string(),
        }
    })?;
    validate::check(&config).map_err(|keys::Failure { key, why }| ConfigError::Invalid {
        origin: provenance
            .source_of(&key)
            .unwrap_or(DEFAULTS_ORIGIN)
            .to_string(),
        key,
        why,
    })?;
    Ok(config)
}

/// The defaults alone (what `load` returns with no files, `--set` or environment).
pub fn defaults() -> Result<Config, ConfigError> {
    load(&Sources::default())
}

/// One `key.path=value` argument as a values overlay.
fn parse_set(arg: &str) -> Result<Value, ConfigError> {
    set::parse_set(arg).map_err(|why| ConfigError::BadSet {
        arg: arg.to_string(),
        why,
    })
}

fn parse_yaml(text: &str, origin: &str) -> Result<Value, ConfigError> {
    let value: Value = serde_yaml_ng::from_str(text).map_err(|e| ConfigError::Syntax {
        origin: origin.to_string(),
        line: e.location().map(|l| l.line()),
        message: strip_location(&e.to_string()),
    })?;
    match value {
        Value::Null => Ok(merge::empty()),
        Value::Mapping(_) => Ok(value),
        _ => Err(ConfigError::NotAMapping {
            origin: origin.to_string(),
        }),
    }
}

/// serde_yaml_ng appends " at line L column C"; the line is reported separately.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn check_keys(
    overlay: &Value,
    schema: &Value,
    path: &str,
    origin: &str,
) -> Result<(), ConfigError> {
    if is_open_map(path) {
        return Ok(());
    }
    let (Value::Mapping(overlay_map), Value::Mapping(schema_map)) = (overlay, schema) else {
        return Ok(());
    };
    for (key, value) in overlay_map {
        let name = key_text(key);
        let child = join(path, &name);
        match schema_map.get(key) {
            Some(schema_child) => check_keys(value, schema_child, &child, origin)?,
            None => {
                let known: Vec<String> = schema_map.keys().map(key_text).collect();
                return Err(ConfigError::UnknownKey {
                    key: child,
                    origin: origin.to_string(),
                    hint: hint(&name, &known),
                });
            }
        }
    }
    Ok(())
}

fn is_open_map(path: &str) -> bool {
    OPEN_MAPS.iter().any(|pattern| {
        let (p, k): (Vec<&str>, Vec<&str>) =
            (pattern.split('.').collect(), path.split('.').collect());
        p.len() == k.len() && p.iter().zip(&k).all(|(p, k)| *p == "*" || p == k)
    })
}

fn hint(name: &str, known: &[String]) -> String {
    let closest = known
        .iter()
        .map(|k| {
            (
                strsim::levenshtein(&name.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .min();
    match closest {
        Some((d, k)) if d <= 2.max(name.len() / 4) => format!(" (did you mean '{k}'?)"),
        _ => format!(" (known keys here: {})", known.join(", ")),
    }
}

#[cfg(test)]
pub(crate) mod tests;
