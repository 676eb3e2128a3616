//! Checks on configuration values that their YAML types cannot express. Each failure is
//! (dotted key, why) so the loader can add which layer set the key.

use super::model::{Config, Isolation};
use crate::domain::name::DNS_LABEL_MAX;

type Failure = (String, String);

pub fn check(c: &Config) -> Result<(), Failure> {
    dns_subdomain("global.domain", &c.global.domain)?;
    dns_label("platform.namespace", &c.platform.namespace)?;
    dns_label("stores.sharedNamespace", &c.stores.shared_namespace)?;
    namespace_prefix(&c.stores.namespace_prefix, c.stores.isolation)?;
    image("wordpress.image", &c.wordpress.image)?;
    image("mysql.image", &c.mysql.image)?;
    image("setup.image", &c.setup.image)?;
    mysql_identifier("mysql.database", &c.mysql.database)?;
    mysql_identifier("mysql.user", &c.mysql.user)?;
    if c.wordpress.admin.user.trim().is_empty() {
        return fail(
            "wordpress.admin.user",
            "the WordPress admin user cannot be empty",
        );
    }
    if !c.wordpress.admin.email.contains('@') {
        return fail(
            "wordpress.admin.email",
            format!("'{}' is not an email address", c.wordpress.admin.email),
        );
    }
    for plugin in &c.setup.plugins {
        let slug_ok = !plugin.is_empty()
            && plugin
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
        if !slug_ok {
            return fail(
                "setup.plugins",
                format!(
                    "'{plugin}' is not a WordPress.org plugin slug (a-z, 0-9, '-'), e.g. 'woocommerce'"
                ),
            );
        }
    }
    if c.tls.enabled && c.tls.cluster_issuer.is_empty() {
        return fail(
            "tls.clusterIssuer",
            "tls.enabled is true, so name the cert-manager ClusterIssuer that signs the certificates",
        );
    }
    if c.ingress.enabled && !c.ingress.class_name.is_empty() {
        dns_subdomain("ingress.className", &c.ingress.class_name)?;
    }
    dns_label(
        "ingress.controllerNamespace",
        &c.ingress.controller_namespace,
    )?;
    super::budget::check(c)
}

fn fail(key: &str, why: impl Into<String>) -> Result<(), Failure> {
    Err((key.to_string(), why.into()))
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= DNS_LABEL_MAX
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn dns_label(key: &str, value: &str) -> Result<(), Failure> {
    if is_label(value) {
        Ok(())
    } else {
        fail(
            key,
            format!(
                "'{value}' is not a valid namespace name (lowercase a-z, 0-9 and '-', at most 63 characters)"
            ),
        )
    }
}

fn dns_subdomain(key: &str, value: &str) -> Result<(), Failure> {
    if value.len() <= 253 && value.split('.').all(is_label) {
        Ok(())
    } else {
        fail(
            key,
            format!(
                "'{value}' is not a valid DNS name (lowercase labels of a-z, 0-9 and '-' joined by dots)"
            ),
        )
    }
}

fn namespace_prefix(prefix: &str, isolation: Isolation) -> Result<(), Failure> {
    const MAX_PREFIX: usize = 40;
    if isolation == Isolation::Shared {
        return Ok(());
    }
    let chars_ok = prefix
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !chars_ok || prefix.starts_with(|c: char| !c.is_ascii_lowercase()) {
        return fail(
            "stores.namespacePrefix",
            format!(
                "'{prefix}' must start with a letter and use only a-z, 0-9 and '-', like 'store-'"
            ),
        );
    }
    if prefix.len() > MAX_PREFIX {
        return fail(
            "stores.namespacePrefix",
            format!(
                "'{prefix}' is longer than {MAX_PREFIX} characters, which leaves too little room for store names"
            ),
        );
    }
    Ok(())
}

fn image(key: &str, value: &str) -> Result<(), Failure> {
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        fail(
            key,
            format!("'{value}' is not a container image reference, e.g. 'mysql:8.4'"),
        )
    } else {
        Ok(())
    }
}

fn mysql_identifier(key: &str, value: &str) -> Result<(), Failure> {
    let ok = !value.is_empty()
        && value.len() <= 32
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        fail(
            key,
            format!("'{value}' must be 1-32 characters of A-Z, a-z, 0-9 and '_'"),
        )
    }
}
