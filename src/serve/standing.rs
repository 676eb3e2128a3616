//! Where each served cluster stands (live, connecting, reconnecting, or live with kinds
//! it may not list), as `/health`, `/api/info` and the dashboard show it, and the
//! server's overall health decided from them: ok while every cluster is live; with
//! several clusters, degraded (still 200) while at least one is live; unavailable (503)
//! when none is. A single cluster is ok or unavailable, as before there were several.

use serde::Serialize;

use crate::cluster::health::Health;

/// One cluster at the last look.
#[derive(Debug, Clone)]
pub struct ClusterState {
    pub context: String,
    pub health: Health,
    /// Its watches have listed every kind once: its stores are known (maybe stale since).
    pub listed: bool,
    /// Its stores in the view.
    pub stores: usize,
}

impl ClusterState {
    /// Why its stores cannot be vouched for, if they cannot: the kind of trouble only,
    /// since anyone may ask (the watches log the errors themselves, which name the API
    /// server and the server's account).
    pub fn trouble(&self) -> Option<String> {
        match &self.health {
            Health::Connecting => Some("the watches have not listed every kind yet".to_string()),
            Health::Reconnecting { since, .. } => Some(format!(
                "reconnecting to the API server since {}",
                since.strftime("%H:%M:%S UTC")
            )),
            Health::Live { forbidden } if !forbidden.is_empty() => Some(format!(
                "{} kind(s) may not be listed (the server's log says which)",
                forbidden.len()
            )),
            Health::Live { .. } => None,
        }
    }

    /// Its state in one word.
    pub fn state(&self) -> &'static str {
        match &self.health {
            Health::Connecting => "connecting",
            Health::Reconnecting { .. } => "reconnecting",
            Health::Live { forbidden } if !forbidden.is_empty() => "limited",
            Health::Live { .. } => "live",
        }
    }

    /// As `/health` and `/api/info` show it.
    pub fn report(&self) -> ClusterReport {
        ClusterReport {
            context: self.context.clone(),
            state: self.state(),
            reason: self.trouble(),
            listed: self.listed,
            stores: self.stores,
        }
    }
}

/// One cluster in `/health` and `/api/info` (`clusters`).
#[derive(Debug, Serialize)]
pub struct ClusterReport {
    pub context: String,
    /// `live`, `limited` (live, some kinds may not be listed), `connecting` or
    /// `reconnecting` (its stores are shown as last seen).
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub listed: bool,
    pub stores: usize,
}

/// The server's health over every cluster.
#[derive(Debug, PartialEq, Eq)]
pub enum Overall {
    Ok,
    /// Some clusters are not live, at least one is: 200, with why.
    Degraded(String),
    /// No cluster is live: 503, with why.
    Unavailable(String),
}

pub fn overall(clusters: &[ClusterState]) -> Overall {
    let troubled: Vec<(&str, String)> = clusters
        .iter()
        .filter_map(|c| c.trouble().map(|why| (c.context.as_str(), why)))
        .collect();
    let named = || {
        troubled
            .iter()
            .map(|(context, why)| format!("{context}: {why}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match (clusters.len(), troubled.len()) {
        (_, 0) => Overall::Ok,
        (1, _) => Overall::Unavailable(troubled[0].1.clone()),
        (all, n) if n < all => Overall::Degraded(format!(
            "{n} of {all} clusters not live (their stores are shown as last seen): {}",
            named()
        )),
        _ => Overall::Unavailable(format!("no cluster is live: {}", named())),
    }
}

/// Whether the stores may be served: every cluster has listed once or is reconnecting
/// (a cluster down from the start does not hold the others back), and one has listed.
pub fn serving(clusters: &[ClusterState]) -> bool {
    clusters.iter().any(|c| c.listed)
        && clusters
            .iter()
            .all(|c| c.listed || matches!(c.health, Health::Reconnecting { .. }))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::jiff::Timestamp;

    use super::*;

    fn state(context: &str, health: Health, listed: bool) -> ClusterState {
        ClusterState {
            context: context.to_string(),
            health,
            listed,
            stores: 0,
        }
    }

    fn live() -> Health {
        Health::Live {
            forbidden: Vec::new(),
        }
    }

    fn away() -> Health {
        Health::Reconnecting {
            since: Timestamp::UNIX_EPOCH,
            why: "connection refused to 127.0.0.1:6443".to_string(),
            forbidden: Vec::new(),
        }
    }

    #[test]
    fn one_cluster_is_ok_or_unavailable_as_before() {
        assert_eq!(overall(&[state("a", live(), true)]), Overall::Ok);
        assert_eq!(
            overall(&[state("a", away(), true)]),
            Overall::Unavailable("reconnecting to the API server since 00:00:00 UTC".to_string())
        );
    }

    #[test]
    fn several_clusters_are_degraded_while_one_is_live_and_unavailable_when_none_is() {
        let east = state("east", live(), true);
        let west = state("west", away(), true);
        match overall(&[east.clone(), west.clone()]) {
            Overall::Degraded(why) => {
                assert!(why.starts_with("1 of 2 clusters not live"), "{why}");
                assert!(why.contains("west: reconnecting"), "{why}");
                assert!(
                    !why.contains("127.0.0.1"),
                    "the cause stays in the log: {why}"
                );
            }
            other => panic!("{other:?}"),
        }
        let both = overall(&[state("east", away(), true), west]);
        assert!(
            matches!(&both, Overall::Unavailable(why) if why.starts_with("no cluster is live: east:")),
            "{both:?}"
        );
        assert_eq!(overall(&[east.clone(), east]), Overall::Ok);
    }

    #[test]
    fn a_cluster_down_from_the_start_does_not_hold_the_list_back() {
        let east = state("east", live(), true);
        assert!(serving(&[east.clone(), state("west", away(), false)]));
        assert!(!serving(&[east, state("west", Health::Connecting, false)]));
        assert!(!serving(&[state("west", away(), false)]));
        assert!(serving(&[state("west", away(), true)]));
    }
}
