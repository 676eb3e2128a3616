//! One line about a store, as `storectl list`, `status` and the TUI's table show it:
//! derived from its objects, the status rules and the time.

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::status::{self, Phase, StatusRules, StoreObjects};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreSummary {
    pub name: String,
    pub namespace: String,
    pub status: Phase,
    pub reason: String,
    pub url: Option<String>,
    /// Seconds since creation.
    pub age_seconds: Option<i64>,
    pub pods_ready: usize,
    pub pods_total: usize,
    /// RFC 3339 creation time.
    pub created: Option<String>,
}

pub fn summarize(store: &StoreObjects, rules: &StatusRules, now: Timestamp) -> StoreSummary {
    let status = status::derive(store, rules, now);
    let created = status::created(store);
    let (pods_ready, pods_total) = status::pods_ready(store);
    StoreSummary {
        name: store.name.clone(),
        namespace: store.namespace_name.clone(),
        status: status.phase,
        reason: status.reason,
        url: status::url(store),
        age_seconds: created.map(|c| now.duration_since(c).as_secs().max(0)),
        pods_ready,
        pods_total,
        created: created.map(|c| c.to_string()),
    }
}

/// kubectl-style age: `42s`, `5m`, `3h`, `12d`.
pub fn human_age(seconds: Option<i64>) -> String {
    match seconds {
        None => "-".to_string(),
        Some(s) if s < 120 => format!("{s}s"),
        Some(s) if s < 2 * 3600 => format!("{}m", s / 60),
        Some(s) if s < 2 * 86400 => format!("{}h", s / 3600),
        Some(s) => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(human_age(None), "-");
        assert_eq!(human_age(Some(42)), "42s");
        assert_eq!(human_age(Some(300)), "5m");
        assert_eq!(human_age(Some(3 * 3600)), "3h");
        assert_eq!(human_age(Some(12 * 86400)), "12d");
    }
}
