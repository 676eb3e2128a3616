//! Checks on configuration values that their YAML types cannot express. Each failure
//! names the dotted key and why, so the loader can add which layer set the key.

mod mail;

use super::keys::{self, Failure};
use super::model::{Config, Isolation};
use crate::domain::dns::{DNS_LABEL_MAX, HOST_MAX};

pub fn check(c: &Config) -> Result<(), Failure> {
    dns_subdomain("global.domain", &c.global.domain)?;
    if c.global.domain.len() > HOST_MAX - 2 {
        return fail(
            "global.domain",
            format!(
                "'{}' has {} characters, which leaves no room for a store name in a host of at most {HOST_MAX}",
                c.global.domain,
                c.global.domain.len()
            ),
        );
    }
    if !c.global.storage_class.is_empty() {
        dns_subdomain("global.storageClass", &c.global.storage_class)?;
    }
    dns_label("platform.namespace", &c.platform.namespace)?;
    writers(&c.platform.writers)?;
    dns_label("stores.sharedNamespace", &c.stores.shared_namespace)?;
    namespace_prefix(&c.stores.namespace_prefix, c.stores.isolation)?;
    image("wordpress.image", &c.wordpress.image)?;
    image("mysql.image", &c.mysql.image)?;
    image("setup.image", &c.setup.image)?;
    backup(&c.backup)?;
    mail::check(&c.mail)?;
    mysql_identifier("mysql.database", &c.mysql.database)?;
    mysql_identifier("mysql.user", &c.mysql.user)?;
    if c.wordpress.admin.user.trim().is_empty() {
        return fail(
            "wordpress.admin.user",
            "the WordPress admin user cannot be empty",
        );
    }
    if let Err(why) = email(&c.wordpress.admin.email) {
        return fail(
            "wordpress.admin.email",
            format!(
                "'{}' is not an email address WordPress accepts: {why}",
                c.wordpress.admin.email
            ),
        );
    }
    version("woocommerce.version", &c.woocommerce.version)?;
    http_url("woocommerce.source", &c.woocommerce.source)?;
    for plugin in &c.setup.plugins {
        slug("setup.plugins", plugin)?;
    }
    for plugin in &c.woocommerce.extra_plugins {
        slug("woocommerce.extraPlugins", &plugin.name)?;
        if plugin.name == "woocommerce" {
            return fail(
                "woocommerce.extraPlugins",
                "WooCommerce itself is pinned by woocommerce.version, not listed here",
            );
        }
        version("woocommerce.extraPlugins", &plugin.version).map_err(|f| {
            keys::Failure::new(&f.key, format!("plugin {}: {}", plugin.name, f.why))
        })?;
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
    keys::check(c)?;
    super::budget::check(c)
}

/// The rules of WordPress's `is_email()`, which `wp core install` applies: a local part
/// of its allowed characters, and a domain of at least two dot-separated labels.
fn email(address: &str) -> Result<(), &'static str> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("it has no '@'");
    };
    const LOCAL_EXTRA: &str = "!#$%&'*+/=?^_`{|}~.-";
    if local.is_empty()
        || !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || LOCAL_EXTRA.contains(c))
    {
        return Err("the part before '@' is empty or has characters an address cannot have");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err("the part after '@' must be a domain like example.com");
    }
    if address.len() < 6 {
        return Err("it is shorter than 6 characters");
    }
    Ok(())
}

/// The backup settings: a usable target, prefix and schedule.
fn backup(b: &super::model::Backup) -> Result<(), Failure> {
    use super::model::BackupTarget;
    if !b.image.is_empty() {
        image("backup.image", &b.image)?;
    }
    image("backup.cluster.image", &b.cluster.image)?;
    backup_prefix(&b.prefix)?;
    if !b.schedule.is_empty() && !cron_like(&b.schedule) {
        return fail(
            "backup.schedule",
            format!(
                "'{}' is not a cron schedule: five fields like \"0 3 * * *\" (minute hour day month weekday), or @daily, @weekly, @hourly",
                b.schedule
            ),
        );
    }
    if b.target == BackupTarget::S3 {
        let s3 = &b.s3;
        if !(s3.endpoint.starts_with("https://") || s3.endpoint.starts_with("http://")) {
            return fail(
                "backup.s3.endpoint",
                format!(
                    "'{}' is not an http(s):// URL; backup.target s3 needs the bucket's endpoint",
                    s3.endpoint
                ),
            );
        }
        let bucket_ok = (3..=63).contains(&s3.bucket.len())
            && s3
                .bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !bucket_ok {
            return fail(
                "backup.s3.bucket",
                format!(
                    "'{}' is not a bucket name (3 to 63 lowercase letters, digits, '-' and '.')",
                    s3.bucket
                ),
            );
        }
        if s3.credentials_secret.is_empty() {
            return fail(
                "backup.s3.credentialsSecret",
                "backup.target s3 needs the name of a Secret in platform.namespace with keys access-key-id and secret-access-key",
            );
        }
        dns_subdomain("backup.s3.credentialsSecret", &s3.credentials_secret)?;
    }
    Ok(())
}

/// Empty, or segments of letters, digits, '.', '_' and '-' each ending in '/': the
/// prefix goes unencoded into the S3 URLs and into the scripts' sed and grep programs,
/// and curl would resolve a '.' or '..' segment (out of the bucket).
fn backup_prefix(prefix: &str) -> Result<(), Failure> {
    const MAX_BACKUP_PREFIX: usize = 200;
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    let ok = prefix.is_empty()
        || (prefix.len() <= MAX_BACKUP_PREFIX
            && prefix
                .strip_suffix('/')
                .is_some_and(|folders| folders.split('/').all(segment_ok)));
    if ok {
        return Ok(());
    }
    fail(
        "backup.prefix",
        format!(
            "'{prefix}' must be empty or a path like stores/: folders of letters, digits, '.', '_' and '-' (not '.' or '..'), each ending in '/', at most {MAX_BACKUP_PREFIX} characters"
        ),
    )
}

/// Five cron fields of digits and `*,-/`, or one of the @ shorthands CronJobs take.
fn cron_like(schedule: &str) -> bool {
    const SHORTHANDS: &[&str] = &[
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "@daily",
        "@midnight",
        "@hourly",
    ];
    if SHORTHANDS.contains(&schedule.trim()) {
        return true;
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    fields.len() == 5
        && fields.iter().all(|f| {
            f.chars()
                .all(|c| c.is_ascii_alphanumeric() || "*,-/?".contains(c))
        })
}

/// Groups are any non-empty names; ServiceAccounts `<namespace>/<name>`, both DNS names.
fn writers(w: &super::model::Writers) -> Result<(), Failure> {
    if let Some(group) = w.groups.iter().find(|g| g.trim().is_empty()) {
        return fail(
            "platform.writers.groups",
            format!("'{group}' is not a group name: it is empty"),
        );
    }
    for account in &w.service_accounts {
        let ok = account.split_once('/').is_some_and(|(ns, name)| {
            is_label(ns) && !name.is_empty() && name.split('.').all(is_label)
        });
        if !ok {
            return fail(
                "platform.writers.serviceAccounts",
                format!(
                    "'{account}' is not <namespace>/<name>, e.g. 'ecommerce-platform/storectl'"
                ),
            );
        }
    }
    Ok(())
}

fn fail(key: &str, why: impl Into<String>) -> Result<(), Failure> {
    Err(Failure::new(key, why))
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
    if prefix.is_empty() {
        // Store names would be bare namespace names: `create argocd` could claim that
        // namespace before Argo CD is installed, and `delete argocd` remove it later.
        return fail(
            "stores.namespacePrefix",
            "cannot be empty with stores.isolation namespace: a store's namespace would be its bare name (a store 'argocd' in namespace argocd); use a prefix like 'store-'",
        );
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

/// An http(s) URL with a host, to which the Jobs append `/{slug}.{version}.zip`: no
/// query or fragment, nothing a URL cannot hold unescaped (whitespace, quotes, `<>{}|\^`).
/// A trailing '/' is allowed (the Jobs drop it).
fn http_url(key: &str, value: &str) -> Result<(), Failure> {
    let host = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .map(|rest| rest.split('/').next().unwrap_or_default());
    let clean = !value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "\"'`<>{}|\\^?#".contains(c));
    match host {
        Some(host) if clean && !host.is_empty() => Ok(()),
        _ => fail(
            key,
            format!(
                "'{value}' is not an http(s) URL, e.g. 'https://downloads.wordpress.org/plugin'"
            ),
        ),
    }
}

/// A WordPress.org plugin slug: a-z, 0-9 and '-' (safe in a shell line unquoted).
fn slug(key: &str, plugin: &str) -> Result<(), Failure> {
    let ok = !plugin.is_empty()
        && plugin
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
    if ok {
        Ok(())
    } else {
        fail(
            key,
            format!(
                "'{plugin}' is not a WordPress.org plugin slug (a-z, 0-9, '-'), e.g. 'woocommerce'"
            ),
        )
    }
}

/// A plugin release as WordPress.org numbers them: digits and dots (`10.1.2`). Never
/// `latest` or a range: a store runs exactly the version its revision records.
fn version(key: &str, value: &str) -> Result<(), Failure> {
    let ok = value.len() <= 32
        && value
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        fail(
            key,
            format!("'{value}' is not a version: use digits and dots, like 10.1.2"),
        )
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
