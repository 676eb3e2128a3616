//! `storectl list --watch`, over one cluster or several: a live model per cluster
//! (`cluster::fleet_watch`), the table once every cluster has listed (in a fleet: or is
//! known to be down, and named), then a line per status change; a fleet's lines and
//! stderr messages name the store's context. Summaries are derived again for the stores
//! that changed, and for every store as the time moves (`cluster::pacing`).

use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::jiff::Timestamp;

use super::output::{fleet_table, store_table};
use crate::cluster::connect::Connection;
use crate::cluster::fleet_watch::{LiveFleet, Step};
use crate::cluster::health::Health;
use crate::cluster::pacing::Pacing;
use crate::domain::changes::{ChangeKind, StatusChanges, StoreChange};
use crate::domain::config::Config;
use crate::domain::summary::{StoreSummary, summarize};

/// What the loop knows of one cluster.
#[derive(Default)]
struct Followed {
    /// Its API server does not answer (or a watcher lost its stream) right now.
    down: bool,
    /// "reconnecting" was said and "connected again" not yet.
    said_down: bool,
    /// Refused kinds, each named once.
    told: Vec<String>,
}

/// Follows the clusters of `conns` until interrupted.
pub async fn run(conns: &[Connection], config: &Config) -> anyhow::Result<()> {
    let several = conns.len() > 1;
    let mut fleet: LiveFleet<Arc<StoreSummary>> = LiveFleet::start(conns.to_vec());
    let rules = config.status_rules();
    let mut followed: Vec<Followed> = conns.iter().map(|_| Followed::default()).collect();
    let mut seen = StatusChanges::default();
    let mut first = true;
    let mut pacing = Pacing::new(Instant::now());
    loop {
        let all = match fleet.step(&mut pacing).await {
            Step::Health(i, now) => {
                let context = several.then_some(conns[i].endpoint.context.as_str());
                health_lines(context, &mut followed[i], &now);
                false
            }
            Step::Update { all } => all,
        };
        let (started, now) = (Instant::now(), Timestamp::now());
        let update = fleet.update(&config.stores.shared_namespace, all, |store, context| {
            Arc::new(summarize(store, context, &rules, now))
        });
        pacing.updated(started, Instant::now(), update.all);
        // One cluster is waited for; in a fleet, a cluster down does not hold the table.
        let settled = fleet
            .members
            .iter()
            .zip(&followed)
            .all(|(m, f)| m.listed || (several && f.down));
        if first && !settled {
            continue;
        }
        let stores: Vec<Arc<StoreSummary>> = fleet.values().cloned().collect();
        let changes = seen.update(&stores);
        if first {
            let table = if several {
                fleet_table(&stores)
            } else {
                store_table(&stores)
            };
            print!("{table}");
            first = false;
            continue;
        }
        for change in changes {
            println!("{}", change_line(&change, now, several));
        }
    }
}

/// `HH:MM:SS  [CONTEXT  ]NAME  STATUS  REASON`.
fn change_line(change: &StoreChange, now: Timestamp, several: bool) -> String {
    let s = &change.store;
    let (status, reason) = match change.kind {
        ChangeKind::Deleted => ("Deleted".to_string(), "no objects remain"),
        ChangeKind::Added | ChangeKind::Modified => (s.status.to_string(), s.reason.as_str()),
    };
    let context = if several {
        format!("{}  ", s.context)
    } else {
        String::new()
    };
    format!("{}  {context}{}  {status}  {reason}", clock(now), s.name)
}

/// The stderr lines of a cluster's health change: refused kinds once, reconnecting and
/// connected again; in a fleet each names the context.
fn health_lines(context: Option<&str>, followed: &mut Followed, now: &Health) {
    let about = context.map_or_else(String::new, |c| format!("context {c}: "));
    for refused in now.forbidden() {
        if !followed.told.contains(&refused.kind) {
            eprintln!("storectl: {about}{}", refused.message);
            followed.told.push(refused.kind.clone());
        }
    }
    followed.down = matches!(now, Health::Reconnecting { .. });
    match now {
        Health::Live { .. } if followed.said_down => {
            eprintln!("watch: {about}connected again");
            followed.said_down = false;
        }
        Health::Reconnecting { since, why, .. } if !followed.said_down => {
            eprintln!("watch: {about}reconnecting since {} ({why})", clock(*since));
            followed.said_down = true;
        }
        _ => {}
    }
}

/// A time as the lines show it.
pub(super) fn clock(t: Timestamp) -> String {
    t.strftime("%H:%M:%S").to_string()
}
