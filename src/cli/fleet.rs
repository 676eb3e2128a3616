//! `list` and `status` over several clusters (`--context` more than once, or
//! `--all-contexts`): each cluster read at the same time, its stores marked with its
//! context, and a cluster that cannot be read named on stderr while the others answer.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use tokio::sync::mpsc;

use super::list::{clock, show_status};
use super::output::{self, fleet_table};
use super::{CliError, Format, ListArgs, OneStoreArgs, find};
use crate::cluster::connect::Connection;
use crate::cluster::error::ClusterError;
use crate::cluster::health::Health;
use crate::cluster::snapshot::{self, Snapshot};
use crate::cluster::watch::{LiveModel, Scope, Started};
use crate::domain::changes::{ChangeKind, StatusChanges};
use crate::domain::config::Config;
use crate::domain::labels::STORE_SELECTOR;
use crate::domain::lookup::LookupError;
use crate::domain::name::StoreName;
use crate::domain::summary::{StatusReport, StoreSummary, summarize};
use crate::ops::Kind;

/// Says once, on stderr, when a cluster's server version is outside what storectl
/// supports (a server that does not answer is left to the command).
async fn warn_version(conn: &Connection) {
    if let Ok(version) = conn.server_version().await
        && let Some(warning) = version.warning()
    {
        eprintln!(
            "storectl: warning: context {}: {warning}",
            conn.endpoint.context
        );
    }
}

/// `storectl list` over several clusters: one table with a CONTEXT column (or JSON /
/// YAML, each store with its `context`), clusters in the order asked.
pub async fn list(conns: &[Connection], args: &ListArgs, config: &Config) -> anyhow::Result<()> {
    if args.watch {
        return watch(conns, config).await;
    }
    let reads: Vec<Result<Snapshot, ClusterError>> =
        futures::future::join_all(conns.iter().map(|conn| async move {
            let ((), read) = futures::join!(
                warn_version(conn),
                snapshot::inventory(conn, STORE_SELECTOR)
            );
            read
        }))
        .await;
    let rules = config.status_rules();
    let now = Timestamp::now();
    let mut stores: Vec<StoreSummary> = Vec::new();
    // Printed after the stores: `(context, what went wrong)`.
    let mut unread: Vec<(&str, ClusterError)> = Vec::new();
    let mut forbidden: Vec<(&str, ClusterError)> = Vec::new();
    for (conn, read) in conns.iter().zip(reads) {
        let context = conn.endpoint.context.as_str();
        match read {
            Ok(snapshot) => {
                stores.extend(
                    snapshot
                        .inventory
                        .stores(&config.stores.shared_namespace)
                        .iter()
                        .map(|s| summarize(s, context, &rules, now)),
                );
                forbidden.extend(snapshot.forbidden.into_iter().map(|e| (context, e)));
            }
            Err(e) => unread.push((context, e)),
        }
    }
    match args.format {
        Format::Table if stores.is_empty() && forbidden.is_empty() && unread.is_empty() => {
            eprintln!(
                "no stores in any of the clusters (create one with: storectl --context NAME create NAME)"
            )
        }
        Format::Table => print!("{}", fleet_table(&stores)),
        other => output::structured(&stores, other)?,
    }
    for (context, refusal) in &forbidden {
        eprintln!("storectl: context {context}: {refusal}");
    }
    for (context, failure) in &unread {
        eprintln!("storectl: context {context}: {failure}");
    }
    if !unread.is_empty() {
        return Err(CliError::ClustersMissing {
            failed: unread.len(),
            total: conns.len(),
        }
        .into());
    }
    if !forbidden.is_empty() {
        return Err(CliError::Incomplete(forbidden.len()).into());
    }
    Ok(())
}

/// What a cluster's live model says to the loop of `watch`.
enum Event {
    /// Some object changed somewhere.
    Changed,
    /// Cluster `i` has listed every kind once.
    Listed(usize),
    /// Cluster `i`'s health now.
    Health(usize, Health),
}

/// What `watch` knows of one cluster.
#[derive(Default)]
struct Followed {
    listed: bool,
    /// Its API server does not answer (or a watcher lost its stream) right now.
    down: bool,
    /// "reconnecting" was said and "connected again" not yet.
    said_down: bool,
    /// Refused kinds, each named once.
    told: Vec<String>,
}

/// `list --watch` over several clusters: a live model per cluster; the table once every
/// cluster has listed or is known to be down (named on stderr), then a line per status
/// change with the store's context.
async fn watch(conns: &[Connection], config: &Config) -> anyhow::Result<()> {
    let (models, mut events) = follow(conns);
    let rules = config.status_rules();
    let mut followed: Vec<Followed> = conns.iter().map(|_| Followed::default()).collect();
    let mut seen = StatusChanges::default();
    let mut first = true;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            event = events.recv() => match event {
                None => return Ok(()),
                Some(Event::Changed) => {}
                Some(Event::Listed(i)) => followed[i].listed = true,
                Some(Event::Health(i, now)) => {
                    health_lines(&conns[i].endpoint.context, &mut followed[i], &now)
                }
            },
            _ = tick.tick() => {}
        }
        if first && !followed.iter().all(|f| f.listed || f.down) {
            continue;
        }
        let now = Timestamp::now();
        // A cluster's stores count once it has listed (before, its model is empty).
        let stores: Vec<StoreSummary> = models
            .iter()
            .zip(conns)
            .zip(&followed)
            .filter(|(_, f)| f.listed)
            .flat_map(|((model, conn), _)| {
                model
                    .inventory()
                    .stores(&config.stores.shared_namespace)
                    .iter()
                    .map(|s| summarize(s, &conn.endpoint.context, &rules, now))
                    .collect::<Vec<_>>()
            })
            .collect();
        let changes = seen.update(&stores);
        if first {
            print!("{}", fleet_table(&stores));
            first = false;
            continue;
        }
        for change in changes {
            let s = &change.store;
            let (status, reason) = match change.kind {
                ChangeKind::Deleted => ("Deleted".to_string(), "no objects remain"),
                ChangeKind::Added | ChangeKind::Modified => (s.status.to_string(), &*s.reason),
            };
            println!(
                "{}  {}  {}  {status}  {reason}",
                clock(now),
                s.context,
                s.name
            );
        }
    }
}

/// Starts a live model per cluster, and one channel saying what each of them does.
fn follow(conns: &[Connection]) -> (Vec<LiveModel>, mpsc::Receiver<Event>) {
    let (tx, events) = mpsc::channel::<Event>(64);
    let mut models: Vec<LiveModel> = Vec::with_capacity(conns.len());
    for (i, conn) in conns.iter().enumerate() {
        let Started {
            model,
            mut changes,
            mut health,
        } = LiveModel::start(conn, &Scope::Cluster);
        let listed = model.listed();
        let said = tx.clone();
        tokio::spawn(async move {
            if listed.wait().await {
                let _ = said.send(Event::Listed(i)).await;
            }
        });
        let said = tx.clone();
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    changed = changes.recv() => match changed {
                        Some(()) => Event::Changed,
                        None => break,
                    },
                    changed = health.changed() => match changed {
                        Ok(()) => Event::Health(i, health.borrow_and_update().clone()),
                        Err(_) => break,
                    },
                };
                if said.send(event).await.is_err() {
                    break;
                }
            }
        });
        models.push(model);
    }
    (models, events)
}

/// The stderr lines of a cluster's health change: refused kinds once, reconnecting and
/// connected again, each naming the context.
fn health_lines(context: &str, followed: &mut Followed, now: &Health) {
    for refused in now.forbidden() {
        if !followed.told.contains(&refused.kind) {
            eprintln!("storectl: context {context}: {}", refused.message);
            followed.told.push(refused.kind.clone());
        }
    }
    followed.down = matches!(now, Health::Reconnecting { .. });
    match now {
        Health::Live { .. } if followed.said_down => {
            eprintln!("watch: context {context}: connected again");
            followed.said_down = false;
        }
        Health::Reconnecting { since, why, .. } if !followed.said_down => {
            eprintln!(
                "watch: context {context}: reconnecting since {} ({why})",
                clock(*since)
            );
            followed.said_down = true;
        }
        _ => {}
    }
}

/// `storectl status NAME` over several clusters: the store of the one cluster that has
/// it (with its context); in several, `InSeveralClusters`; in none, not found. A
/// cluster that cannot be read is a warning when the store was found elsewhere, else
/// the error.
pub async fn status(
    conns: &[Connection],
    args: &OneStoreArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let answers = futures::future::join_all(conns.iter().map(|conn| async move {
        let ((), answer) = futures::join!(warn_version(conn), find::store(conn, name, config));
        answer
    }))
    .await;
    let mut found: Vec<(&Connection, find::Found)> = Vec::new();
    // Clusters that answered "not here" (or "not a store here"), and those that could not.
    let mut absent: Vec<(&str, anyhow::Error)> = Vec::new();
    let mut unread: Vec<(&str, anyhow::Error)> = Vec::new();
    for (conn, answer) in conns.iter().zip(answers) {
        let context = conn.endpoint.context.as_str();
        match answer {
            Ok(one) => found.push((conn, one)),
            Err(e) if matches!(Kind::of(e.as_ref()), Kind::NotFound | Kind::NotAStore) => {
                absent.push((context, e))
            }
            Err(e) => unread.push((context, e)),
        }
    }
    if found.len() > 1 {
        let contexts: Vec<&str> = found
            .iter()
            .map(|(conn, _)| conn.endpoint.context.as_str())
            .collect();
        return Err(CliError::InSeveralClusters {
            name: name.to_string(),
            contexts: contexts.join(", "),
        }
        .into());
    }
    if let Some((conn, one)) = found.pop() {
        for (context, failure) in &unread {
            eprintln!(
                "storectl: warning: context {context} could not be read, the store may be there too: {failure:#}"
            );
        }
        let report = StatusReport::of(
            &one.store,
            &conn.endpoint.context,
            &config.status_rules(),
            Timestamp::now(),
        );
        show_status(&report, args.format, true)?;
        for refusal in &one.forbidden {
            eprintln!("storectl: context {}: {refusal}", conn.endpoint.context);
        }
        if !one.forbidden.is_empty() {
            return Err(CliError::Incomplete(one.forbidden.len()).into());
        }
        return Ok(());
    }
    if !unread.is_empty() {
        let (context, failure) = unread.remove(0);
        for (other, e) in &unread {
            eprintln!("storectl: context {other}: {e:#}");
        }
        let answered: Vec<&str> = absent.iter().map(|(c, _)| *c).collect();
        let looked = if answered.is_empty() {
            format!("cannot look for store '{name}'")
        } else {
            format!(
                "store '{name}' is not in context {}",
                answered.join(", context ")
            )
        };
        // The exit code follows the failure (unreachable 6, forbidden 5).
        return Err(failure.context(format!("{looked}; context {context} could not be read")));
    }
    // Nowhere: "not a store" where a cluster has such objects, else the usual not found.
    if let Some(i) = absent
        .iter()
        .position(|(_, e)| matches!(Kind::of(e.as_ref()), Kind::NotAStore))
    {
        let (context, e) = absent.swap_remove(i);
        return Err(e.context(format!("context {context}")));
    }
    match absent.into_iter().next() {
        Some((_, e)) => Err(e),
        None => Err(LookupError::NotFound(name.to_string()).into()),
    }
}
