//! Store names: the rules a name must follow so that every object derived from it is a
//! valid Kubernetes name, and a message for each rule that says what would be accepted.

use std::fmt;

use super::config::{Config, Isolation};
use super::dns::{DNS_LABEL_MAX, HOST_MAX};

/// Suffixes appended to a store name whose results must fit in a DNS-1123 *label*
/// (63 characters): Service names, and the `job-name` label the Job controller adds.
const LABEL_LIMITED_SUFFIXES: &[&str] = &["-wordpress", "-mysql", "-setup"];

/// Names that collide with system or platform namespaces or hosts.
const RESERVED: &[(&str, &str)] = &[
    ("default", "it is the Kubernetes default namespace"),
    ("ecommerce-platform", "it is the platform's own namespace"),
    (
        "ecommerce-stores",
        "it is the shared namespace of the original platform",
    ),
    ("dashboard", "its host would shadow the platform dashboard"),
];

/// A validated store name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreName(String);

/// Why a name was refused. `Display` gives the full sentence shown to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a store name is required: try 'shop1'")]
    Empty,
    #[error("store names are lowercase: try '{suggestion}'")]
    Uppercase { suggestion: String },
    #[error(
        "store names may only contain a-z, 0-9 and '-' ({found:?} is not allowed): try '{suggestion}'"
    )]
    InvalidCharacter { found: char, suggestion: String },
    #[error("store names must start with a letter: try '{suggestion}'")]
    LeadingNonLetter { suggestion: String },
    #[error("store names cannot end with '-': try '{suggestion}'")]
    TrailingHyphen { suggestion: String },
    #[error(
        "store names cannot contain '--' (reserved for punycode in host names): try '{suggestion}'"
    )]
    DoubleHyphen { suggestion: String },
    #[error(
        "store names can be at most {max} characters (this one has {len}) so that {longest} fits in {limit}: try '{suggestion}'"
    )]
    TooLong {
        len: usize,
        max: usize,
        longest: String,
        limit: &'static str,
        suggestion: String,
    },
    #[error("'{name}' is reserved because {why}: choose another name, e.g. '{name}-shop'")]
    Reserved { name: String, why: &'static str },
    #[error(
        "'{name}' is reserved: names starting with 'kube-' belong to Kubernetes; try 'shop-{rest}'"
    )]
    KubePrefix { name: String, rest: String },
    #[error(
        "the store's host '{name}.<global.domain>' would have {len} characters, but a host name has at most {HOST_MAX}: use a name of at most {max} characters, or a shorter global.domain"
    )]
    HostTooLong {
        name: String,
        len: usize,
        max: usize,
    },
}

impl StoreName {
    /// Validates `raw` for a cluster whose per-store namespaces are `namespace_prefix` +
    /// name (pass `""` in shared-namespace mode).
    pub fn parse(raw: &str, namespace_prefix: &str) -> Result<Self, NameError> {
        if raw.is_empty() {
            return Err(NameError::Empty);
        }
        let suggestion = suggest(raw);
        if raw.chars().any(|c| c.is_ascii_uppercase())
            && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(NameError::Uppercase { suggestion });
        }
        if let Some(found) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(NameError::InvalidCharacter { found, suggestion });
        }
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(NameError::LeadingNonLetter { suggestion });
        }
        if raw.ends_with('-') {
            return Err(NameError::TrailingHyphen { suggestion });
        }
        if raw.contains("--") {
            return Err(NameError::DoubleHyphen { suggestion });
        }
        let MaxLen {
            max,
            longest,
            limit,
        } = max_len(namespace_prefix);
        if raw.len() > max {
            return Err(NameError::TooLong {
                len: raw.len(),
                max,
                longest: longest.replace("NAME", "<name>"),
                limit,
                suggestion: suggestion
                    .chars()
                    .take(max)
                    .collect::<String>()
                    .trim_end_matches('-')
                    .to_string(),
            });
        }
        if let Some(rest) = raw.strip_prefix("kube-") {
            return Err(NameError::KubePrefix {
                name: raw.to_string(),
                rest: rest.to_string(),
            });
        }
        if let Some((name, why)) = RESERVED.iter().find(|(n, _)| *n == raw) {
            return Err(NameError::Reserved {
                name: (*name).to_string(),
                why,
            });
        }
        Ok(Self(raw.to_string()))
    }

    /// Validates `raw` under `config`: against its namespace prefix (per-store mode) and
    /// its domain (the host `<name>.<domain>` must be a valid host name).
    pub fn parse_for(raw: &str, config: &Config) -> Result<Self, NameError> {
        let prefix = match config.stores.isolation {
            Isolation::Namespace => config.stores.namespace_prefix.as_str(),
            Isolation::Shared => "",
        };
        let name = Self::parse(raw, prefix)?;
        let len = name.0.len() + 1 + config.global.domain.len();
        if len > HOST_MAX {
            return Err(NameError::HostTooLong {
                name: name.0,
                len,
                max: HOST_MAX.saturating_sub(1 + config.global.domain.len()),
            });
        }
        Ok(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StoreName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest accepted name, and which derived name sets that limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaxLen {
    pub max: usize,
    /// The derived name that sets it (`NAME` stands for the store's name).
    pub longest: String,
    /// That name's own limit, in words.
    pub limit: &'static str,
}

/// Longest accepted name, and which derived name sets that limit.
pub fn max_len(namespace_prefix: &str) -> MaxLen {
    let longest_suffix = LABEL_LIMITED_SUFFIXES
        .iter()
        .map(|s| s.len())
        .max()
        .unwrap_or(0);
    let by_suffix = DNS_LABEL_MAX - longest_suffix;
    let by_namespace = DNS_LABEL_MAX.saturating_sub(namespace_prefix.len());
    if by_namespace < by_suffix {
        MaxLen {
            max: by_namespace,
            longest: format!("the namespace '{namespace_prefix}NAME'"),
            limit: "63 characters",
        }
    } else {
        MaxLen {
            max: by_suffix,
            longest: "the Service 'NAME-wordpress'".to_string(),
            limit: "63 characters",
        }
    }
}

/// A best-effort valid name close to `raw`, for the "try '...'" part of messages.
fn suggest(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    let mut out = out.trim_end_matches('-').to_string();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "shop");
        if out.len() > 4 && !out[4..].starts_with('-') {
            out.insert(4, '-');
        }
    }
    if out.starts_with("kube-") || RESERVED.iter().any(|(n, _)| *n == out) {
        out.insert_str(0, "shop-");
    }
    if out == "shop-" || out.is_empty() {
        out = "shop1".to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "store-";

    fn err(raw: &str) -> String {
        match StoreName::parse(raw, PREFIX) {
            Ok(n) => panic!("{raw:?} was accepted as {n}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn accepts_valid_names() {
        for ok in ["a", "shop1", "my-shop", "a1-b2-c3", &"a".repeat(53)] {
            assert_eq!(
                StoreName::parse(ok, PREFIX).map(|n| n.to_string()),
                Ok(ok.to_string())
            );
        }
    }

    #[test]
    fn rejections_name_the_rule_and_a_valid_alternative() {
        let cases: &[(&str, &str)] = &[
            ("", "a store name is required: try 'shop1'"),
            ("MyShop", "store names are lowercase: try 'myshop'"),
            ("my shop", "(' ' is not allowed): try 'my-shop'"),
            ("café", "('é' is not allowed): try 'caf'"),
            ("shop_1", "('_' is not allowed): try 'shop-1'"),
            ("1shop", "must start with a letter: try 'shop-1shop'"),
            ("-shop", "must start with a letter: try 'shop'"),
            ("shop-", "cannot end with '-': try 'shop'"),
            ("my--shop", "cannot contain '--'"),
            (
                "default",
                "'default' is reserved because it is the Kubernetes default namespace",
            ),
            (
                "kube-system",
                "names starting with 'kube-' belong to Kubernetes; try 'shop-system'",
            ),
            ("kube-anything", "try 'shop-anything'"),
            ("ecommerce-platform", "is the platform's own namespace"),
            (
                "ecommerce-stores",
                "shared namespace of the original platform",
            ),
        ];
        for (raw, expected) in cases {
            let msg = err(raw);
            assert!(
                msg.contains(expected),
                "{raw:?}: {msg:?} lacks {expected:?}"
            );
        }
    }

    #[test]
    fn every_suggestion_is_itself_accepted() {
        for raw in [
            "MyShop",
            "my shop",
            "1shop",
            "-shop",
            "shop-",
            "café",
            "Über Store!",
            "9",
        ] {
            let suggestion = suggest(raw);
            assert!(
                StoreName::parse(&suggestion, PREFIX).is_ok(),
                "suggestion {suggestion:?} for {raw:?} is itself invalid"
            );
        }
    }

    #[test]
    fn longest_accepted_length_is_exact() {
        let max = max_len(PREFIX).max;
        assert_eq!(max, 53, "the Service '<name>-wordpress' must fit in 63");
        assert!(StoreName::parse(&"a".repeat(max), PREFIX).is_ok());
        let msg = err(&"a".repeat(max + 1));
        assert!(
            msg.contains("at most 53 characters (this one has 54)"),
            "{msg}"
        );
        assert!(msg.contains("'<name>-wordpress'"), "{msg}");
    }

    #[test]
    fn a_long_namespace_prefix_lowers_the_limit() {
        let prefix = "a-very-long-prefix-for-store-namespaces-";
        let MaxLen { max, longest, .. } = max_len(prefix);
        assert_eq!(max, 63 - prefix.len());
        assert!(longest.contains(prefix));
        assert!(StoreName::parse(&"b".repeat(max), prefix).is_ok());
        assert!(StoreName::parse(&"b".repeat(max + 1), prefix).is_err());
    }
}
