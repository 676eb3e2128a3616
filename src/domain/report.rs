//! What a store says it runs, read from its runner's Lease (`manifests/runner.rs`):
//! WordPress, PHP, WooCommerce and the database schemas as installed, when cron last ran
//! and how many Action Scheduler actions are past due. The store writes it, so it is
//! read as untrusted input: bounded in size, every text cut short and made printable,
//! anything malformed ignored (the store then has no report, never a wrong one).

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::labels::REPORT_ANNOTATION;
use super::text::printable;
use super::watched::WatchedLease;

/// A report larger than this is not read.
const MAX_REPORT_BYTES: usize = 64 * 1024;
/// Longest version text kept.
const MAX_VERSION: usize = 40;
/// Longest error text kept.
const MAX_ERROR: usize = 200;
/// Most plugins kept.
const MAX_PLUGINS: usize = 100;
/// Cron counts as stopped once its last run is this old (the Lease's duration).
pub const CRON_STALE_SECONDS: i64 = 600;

/// Versions as the store found them installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Versions {
    pub wordpress: Option<String>,
    /// The schema WordPress's database has (`db_version` option).
    pub wordpress_database: Option<u64>,
    /// The schema the running WordPress core expects (`$wp_db_version`).
    pub wordpress_database_expected: Option<u64>,
    pub woocommerce: Option<String>,
    /// WooCommerce's database version (`woocommerce_db_version` option).
    pub woocommerce_database: Option<String>,
    pub php: Option<String>,
    /// The database server's version.
    pub database: Option<String>,
    /// Every installed plugin by its folder (slug): version and whether it is active.
    pub plugins: BTreeMap<String, Plugin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Plugin {
    pub version: Option<String>,
    pub active: bool,
}

/// The store's cron as its runner last reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Cron {
    /// RFC 3339: when the runner last ran WordPress's due events (the Lease's renew time).
    pub last_run: Option<String>,
    /// Action Scheduler actions pending more than 10 minutes past their time; null where
    /// the store has no Action Scheduler (no WooCommerce).
    pub overdue: Option<u64>,
}

/// A store's report: versions and cron, or what kept the runner from looking.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreReport {
    pub versions: Option<Versions>,
    pub cron: Cron,
    /// Why the last run could not look (WordPress not installed, no database, a fatal
    /// error in a cron event).
    pub error: Option<String>,
    pub last_run: Option<Timestamp>,
}

/// The annotation's JSON as the runner writes it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Written {
    versions: Option<Versions>,
    cron: Option<WrittenCron>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WrittenCron {
    overdue: Option<u64>,
}

/// The report in a store's Lease, if it holds one that reads.
pub fn read(lease: &WatchedLease) -> Option<StoreReport> {
    let last_run = lease.renewed;
    let text = lease.meta.annotations.get(REPORT_ANNOTATION)?;
    if text.len() > MAX_REPORT_BYTES {
        return None;
    }
    let written: Written = serde_json::from_str(text).ok()?;
    Some(StoreReport {
        versions: written.versions.map(cleaned),
        cron: Cron {
            last_run: last_run.map(|t| t.to_string()),
            overdue: written.cron.and_then(|c| c.overdue),
        },
        error: written.error.map(|e| short(&e, MAX_ERROR)),
        last_run,
    })
}

/// Every text cut to a printable version's length; at most [`MAX_PLUGINS`] plugins.
fn cleaned(v: Versions) -> Versions {
    let version = |s: Option<String>| s.map(|s| short(&s, MAX_VERSION));
    Versions {
        wordpress: version(v.wordpress),
        woocommerce: version(v.woocommerce),
        woocommerce_database: version(v.woocommerce_database),
        php: version(v.php),
        database: version(v.database),
        plugins: v
            .plugins
            .into_iter()
            .take(MAX_PLUGINS)
            .map(|(slug, p)| {
                let plugin = Plugin {
                    version: version(p.version),
                    active: p.active,
                };
                (short(&slug, MAX_VERSION), plugin)
            })
            .collect(),
        ..v
    }
}

/// `text` printable, on one line, at most `max` characters.
fn short(text: &str, max: usize) -> String {
    let line = printable(text.replace(['\r', '\n'], " ").as_bytes());
    match line.char_indices().nth(max) {
        Some((end, _)) => format!("{}...", &line[..end]),
        None => line,
    }
}

/// What the report says differs from what the store's revision pins (`pins`: plugin slug
/// to version, WooCommerce first), and a database not upgraded to the code: the notes a
/// Ready store's reason carries.
pub fn drift(report: &StoreReport, pins: &[(String, String)]) -> Vec<String> {
    let Some(v) = &report.versions else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for (slug, pinned) in pins {
        let installed = v.plugins.get(slug).and_then(|p| p.version.as_deref());
        match installed {
            Some(found) if found == pinned => {}
            Some(found) => notes.push(format!("runs {slug} {found}, the revision pins {pinned}")),
            None => notes.push(format!(
                "{slug} is not installed, the revision pins {pinned}"
            )),
        }
    }
    if let (Some(has), Some(wants)) = (v.wordpress_database, v.wordpress_database_expected)
        && has < wants
    {
        notes.push(format!(
            "WordPress's database is at schema {has}, its code expects {wants}"
        ));
    }
    if let (Some(code), Some(data)) = (&v.woocommerce, &v.woocommerce_database)
        && code != data
    {
        notes.push(format!(
            "WooCommerce's database is at {data}, the plugin at {code}"
        ));
    }
    notes
}

/// One line of what a store runs, for `storectl status` and the TUI's details.
pub fn versions_line(versions: Option<&Versions>) -> String {
    let Some(v) = versions else {
        return "not reported yet".to_string();
    };
    let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_string());
    let mut parts = vec![format!("WordPress {}", or_dash(&v.wordpress))];
    if let Some(schema) = v.wordpress_database {
        parts[0].push_str(&format!(" (schema {schema})"));
    }
    if v.woocommerce.is_some() {
        parts.push(format!(
            "WooCommerce {} (database {})",
            or_dash(&v.woocommerce),
            or_dash(&v.woocommerce_database)
        ));
    }
    parts.push(format!("PHP {}", or_dash(&v.php)));
    if let Some(db) = &v.database {
        parts.push(format!("database {db}"));
    }
    parts.join(", ")
}

/// One line of the store's cron, for `storectl status` and the TUI's details.
pub fn cron_line(cron: &Cron) -> String {
    let last = match &cron.last_run {
        Some(t) => format!("last run {t}"),
        None => "no run reported yet".to_string(),
    };
    match cron.overdue {
        Some(n) => format!("{last}, {n} Action Scheduler action(s) past due"),
        None => last,
    }
}

/// Minutes since cron last ran, when that is more than [`CRON_STALE_SECONDS`].
pub fn cron_stopped(report: &StoreReport, now: Timestamp) -> Option<i64> {
    let last = report.last_run?;
    let seconds = now.duration_since(last).as_secs();
    (seconds > CRON_STALE_SECONDS).then_some(seconds / 60)
}

#[cfg(test)]
mod tests;
