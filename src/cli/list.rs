//! `storectl list [-o table|json|yaml]` and `storectl status NAME` (`--watch`: watch.rs).

use k8s_openapi::jiff::Timestamp;

use super::output::{self, store_table};
use super::{Format, ListArgs, OneStoreArgs, find};
use crate::cluster::connect::Connection;
use crate::cluster::snapshot;
use crate::domain::config::Config;
use crate::domain::labels::STORE_SELECTOR;
use crate::domain::name::StoreName;
use crate::domain::report;
use crate::domain::summary::{StatusReport, StoreSummary, summarize};

pub async fn run(conn: &Connection, args: &ListArgs, config: &Config) -> anyhow::Result<()> {
    if args.watch {
        return super::watch::run(std::slice::from_ref(conn), config).await;
    }
    let snapshot = snapshot::inventory(conn, STORE_SELECTOR).await?;
    let rules = config.status_rules();
    let now = Timestamp::now();
    let stores: Vec<StoreSummary> = snapshot
        .inventory
        .stores(&config.stores.shared_namespace)
        .iter()
        .map(|s| summarize(s, &conn.endpoint.context, &rules, now))
        .collect();
    match args.format {
        Format::Table if stores.is_empty() && snapshot.forbidden.is_empty() => {
            eprintln!("no stores (create one with: storectl create NAME)")
        }
        Format::Table => print!("{}", store_table(&stores)),
        other => output::structured(&stores, other)?,
    }
    find::report_forbidden(&snapshot.forbidden)
}

pub async fn status(
    conn: &Connection,
    args: &OneStoreArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let find::Found { store, forbidden } = find::store(conn, name, config).await?;
    let report = StatusReport::of(
        &store,
        &conn.endpoint.context,
        &config.status_rules(),
        Timestamp::now(),
    );
    show_status(&report, args.format, false)?;
    find::report_forbidden(&forbidden)
}

/// Prints one store's report: JSON / YAML, or the table form (with a `Context:` line
/// when `with_context`: the run spans several clusters).
pub(super) fn show_status(
    report: &StatusReport,
    format: Format,
    with_context: bool,
) -> anyhow::Result<()> {
    if format != Format::Table {
        return output::structured(report, format);
    }
    let s = &report.summary;
    println!("Store:     {}", s.name);
    if with_context {
        println!("Context:   {}", s.context);
    }
    println!("Namespace: {}", s.namespace);
    println!("Status:    {} ({})", s.status, s.reason);
    println!("URL:       {}", s.url.as_deref().unwrap_or("-"));
    println!("Created:   {}", s.created.as_deref().unwrap_or("-"));
    println!("Pods:      {}/{} ready", s.pods_ready, s.pods_total);
    println!("Runs:      {}", report::versions_line(s.versions.as_ref()));
    println!("Cron:      {}", report::cron_line(&s.cron));
    let mail = crate::domain::summary::mail_line(report.mail.as_ref());
    println!("Mail:      {}", mail.trim_start_matches("mail: "));
    println!();
    let rows: Vec<Vec<String>> = report
        .objects
        .iter()
        .map(|o| vec![o.kind.to_string(), o.name.clone(), o.state.clone()])
        .collect();
    print!(
        "{}",
        output::table(&["KIND", "NAME", "STATE"], &rows, None, 2)
    );
    Ok(())
}
