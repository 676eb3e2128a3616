//! Keys of the free-form maps (quota, resources, limit range, ingress annotations), which
//! the schema cannot list: each must be a name the API server accepts there, so a typo
//! like `request.cpu` is caught here with a guess instead of by the server later.

use std::collections::BTreeMap;

use super::model::{Config, Quantity};

/// A value refused: its dotted key and why (the loader adds which layer set it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    pub key: String,
    pub why: String,
}

impl Failure {
    pub(super) fn new(key: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            why: why.into(),
        }
    }
}

/// Resources a container asks for, besides hugepages and extended (`domain/name`) ones.
const CONTAINER_RESOURCES: &[&str] = &["cpu", "memory", "ephemeral-storage"];

/// Resource names a ResourceQuota counts, besides `count/*`, hugepages, storage-class
/// scoped and extended (`requests.domain/name`) ones.
const QUOTA_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "services.nodeports",
    "services.loadbalancers",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
];

pub fn check(c: &Config) -> Result<(), Failure> {
    for (component, resources) in [
        ("wordpress", &c.wordpress.resources),
        ("mysql", &c.mysql.resources),
        ("setup", &c.setup.resources),
    ] {
        container_keys(
            &format!("{component}.resources.requests"),
            &resources.requests,
        )?;
        container_keys(&format!("{component}.resources.limits"), &resources.limits)?;
    }
    container_keys("limitRange.default", &c.limit_range.default)?;
    container_keys("limitRange.defaultRequest", &c.limit_range.default_request)?;
    for key in c.quota.hard.keys() {
        if !quota_key(key) {
            return Err(unknown(
                "quota.hard",
                key,
                QUOTA_RESOURCES,
                "a quota resource",
            ));
        }
    }
    for key in c.ingress.annotations.keys() {
        if !qualified_name(key) {
            return Err(Failure::new(
                format!("ingress.annotations.{key}"),
                "an annotation key is an optional DNS prefix and '/', then a name of at most 63 characters of a-z, A-Z, 0-9, '-', '_' and '.' (e.g. nginx.ingress.kubernetes.io/proxy-body-size)".to_string(),
            ));
        }
    }
    Ok(())
}

fn container_keys(path: &str, map: &BTreeMap<String, Quantity>) -> Result<(), Failure> {
    for key in map.keys() {
        let ok = CONTAINER_RESOURCES.contains(&key.as_str())
            || key.starts_with("hugepages-")
            || extended(key);
        if !ok {
            return Err(unknown(
                path,
                key,
                CONTAINER_RESOURCES,
                "a container resource",
            ));
        }
    }
    Ok(())
}

fn quota_key(key: &str) -> bool {
    QUOTA_RESOURCES.contains(&key)
        || key.starts_with("count/")
        || key.starts_with("hugepages-")
        || key.starts_with("requests.hugepages-")
        || key
            .split_once(".storageclass.storage.k8s.io/")
            .is_some_and(|(class, what)| {
                !class.is_empty()
                    && matches!(
                        what,
                        "requests.storage"
                            | "persistentvolumeclaims"
                            | "requests.ephemeral-storage"
                    )
            })
        || key.strip_prefix("requests.").is_some_and(extended)
}

/// An extended resource: `domain/name`, fully qualified, outside kubernetes.io.
fn extended(key: &str) -> bool {
    qualified_name(key)
        && key
            .split_once('/')
            .is_some_and(|(domain, _)| domain.contains('.') && !domain.ends_with("kubernetes.io"))
}

/// A Kubernetes qualified name: `[prefix/]name`, prefix a DNS subdomain, name at most 63
/// characters of alphanumerics, '-', '_' and '.', starting and ending alphanumeric.
fn qualified_name(key: &str) -> bool {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
    });
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    prefix_ok && name_ok
}

/// "not a <what>", with the nearest known name as a guess.
fn unknown(path: &str, key: &str, known: &[&str], what: &str) -> Failure {
    let guess = known
        .iter()
        .map(|k| (strsim::levenshtein(key, k), *k))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, k)| format!(" (did you mean '{k}'?)"))
        .unwrap_or_default();
    Failure::new(
        format!("{path}.{key}"),
        format!("'{key}' is not {what} the API server accepts{guess}"),
    )
}

#[cfg(test)]
mod tests {
    use crate::domain::config::tests::refusal;
    use crate::domain::config::{Sources, load};

    #[test]
    fn misspelt_resource_keys_are_refused_with_a_guess() {
        assert_eq!(
            refusal(&["quota.hard.request\\.cpu=2"]),
            "quota.hard.request.cpu (set in --set quota.hard.request\\.cpu=2): 'request.cpu' is not a quota resource the API server accepts (did you mean 'requests.cpu'?)"
        );
        assert_eq!(
            refusal(&["mysql.resources.limits.cpuu=2"]),
            "mysql.resources.limits.cpuu (set in --set mysql.resources.limits.cpuu=2): 'cpuu' is not a container resource the API server accepts (did you mean 'cpu'?)"
        );
        assert!(
            refusal(&["ingress.annotations.bad key=x"])
                .starts_with("ingress.annotations.bad key (set in")
        );
    }

    #[test]
    fn real_resource_names_pass() {
        let sets = [
            "quota.hard.count/deployments\\.apps=4",
            "quota.hard.fast\\.storageclass\\.storage\\.k8s\\.io/requests\\.storage=20Gi",
            "quota.hard.requests\\.nvidia\\.com/gpu=1",
            "wordpress.resources.limits.hugepages-2Mi=0",
            "ingress.annotations.nginx\\.ingress\\.kubernetes\\.io/proxy-body-size=64m",
        ];
        let sources = Sources {
            sets: sets.iter().map(|s| s.to_string()).collect(),
            ..Sources::default()
        };
        assert!(load(&sources).is_ok(), "{:?}", load(&sources).err());
    }

    #[test]
    fn an_email_must_satisfy_wordpress() {
        let msg = refusal(&["wordpress.admin.email=a@"]);
        assert_eq!(
            msg,
            "wordpress.admin.email (set in --set wordpress.admin.email=a@): 'a@' is not an email address WordPress accepts: the part after '@' must be a domain like example.com"
        );
        assert!(refusal(&["wordpress.admin.email=ops@localhost"]).contains("a domain like"));
    }

    #[test]
    fn storage_class_and_domain_are_names_the_cluster_accepts() {
        assert!(
            refusal(&["global.storageClass=fast ssd"])
                .starts_with("global.storageClass (set in --set global.storageClass=fast ssd): 'fast ssd' is not a valid DNS name")
        );
        // 252 characters: a valid DNS name, but no room for "<store>." in front.
        let long = format!(
            "global.domain={}.{}",
            "a".repeat(63),
            vec!["b".repeat(62); 3].join(".")
        );
        assert!(refusal(&[&long]).contains("leaves no room for a store name"));
    }
}
