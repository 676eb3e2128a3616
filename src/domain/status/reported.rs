//! A Ready store's reason, completed from its runner's report (`domain/report.rs`): a
//! runner that could not look, cron that stopped, versions that differ from what the
//! revision pins. The store stays Ready (it serves), like a failed backup.

use k8s_openapi::jiff::Timestamp;

use crate::domain::inventory::StoreObjects;
use crate::domain::labels::{EXTRA_PLUGINS_ANNOTATION, WOOCOMMERCE_ANNOTATION};
use crate::domain::layout::Component;
use crate::domain::report::{self, CRON_STALE_SECONDS, StoreReport};

use super::objects::component_of;

/// The store's report, if its Lease holds one.
pub fn report_of(store: &StoreObjects) -> Option<StoreReport> {
    store.reports.first().and_then(|lease| report::read(lease))
}

/// `reason` with what the report adds, `; `-separated.
pub(super) fn with_report(
    reason: String,
    store: &StoreObjects,
    report: Option<&StoreReport>,
    now: Timestamp,
) -> String {
    let notes = report_notes(store, report, now);
    if notes.is_empty() {
        reason
    } else {
        format!("{reason}; {}", notes.join("; "))
    }
}

/// A WordPress that is not ready, with what its runner last found wrong: the readiness
/// probe's own answer (`database: ...`) reaches no object, the runner's does (a stopped
/// database, a PHP fatal error loading WordPress).
pub(super) fn why_wordpress_waits(waiting: String, report: Option<&StoreReport>) -> String {
    let error = report.and_then(|r| r.error.as_deref());
    match error {
        Some(error) if waiting.starts_with("waiting for WordPress") => {
            format!("{waiting}; runner: {error}")
        }
        _ => waiting,
    }
}

fn report_notes(store: &StoreObjects, report: Option<&StoreReport>, now: Timestamp) -> Vec<String> {
    if store.reports.is_empty() {
        return Vec::new();
    }
    let old_enough =
        super::created(store).is_some_and(|c| now.duration_since(c).as_secs() > CRON_STALE_SECONDS);
    let Some(found) = report else {
        return if old_enough {
            vec!["no report from the store's runner yet".to_string()]
        } else {
            Vec::new()
        };
    };
    let mut notes = Vec::new();
    if let Some(error) = &found.error {
        notes.push(format!("runner: {error}"));
    }
    match report::cron_stopped(found, now) {
        Some(minutes) => notes.push(format!("cron has not run for {minutes} min")),
        None if found.last_run.is_none() && old_enough => {
            notes.push("cron has not run yet".to_string())
        }
        None => {}
    }
    notes.extend(report::drift(found, &pins(store)));
    notes
}

/// What the WordPress Deployment says the revision pins: WooCommerce, then the extra
/// plugins, as (slug, version).
pub fn pins(store: &StoreObjects) -> Vec<(String, String)> {
    let Some(annotations) = store
        .deployments
        .iter()
        .find(|d| component_of(&d.meta) == Some(Component::WordPress))
        .map(|d| &d.meta.annotations)
    else {
        return Vec::new();
    };
    let mut pins = Vec::new();
    if let Some(version) = annotations.get(WOOCOMMERCE_ANNOTATION) {
        pins.push(("woocommerce".to_string(), version.to_string()));
    }
    if let Some(extra) = annotations.get(EXTRA_PLUGINS_ANNOTATION) {
        pins.extend(extra.split(',').filter_map(|pair| {
            let (name, version) = pair.split_once('=')?;
            Some((name.to_string(), version.to_string()))
        }));
    }
    pins
}
