//! `list` and `status` over several clusters (`--context` more than once, or
//! `--all-contexts`): each cluster read at the same time, its stores marked with its
//! context, and a cluster that cannot be read named on stderr while the others answer.

use k8s_openapi::jiff::Timestamp;

use super::list::show_status;
use super::output::{self, fleet_table};
use super::{CliError, Format, ListArgs, OneStoreArgs, find};
use crate::cluster::connect::Connection;
use crate::cluster::error::ClusterError;
use crate::cluster::snapshot::{self, Snapshot};
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
        return super::watch::run(conns, config).await;
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
