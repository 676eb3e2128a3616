//! `storectl upgrade (NAME... | --all | -l SELECTOR) [-f FILE] [--set K=V] [--wave-size N]
//! [--max-failures K] [--dry-run] [--yes] [--wait] [--timeout D]` and
//! `storectl rollback NAME [--to REVISION] [--wait]`: each store re-rendered from its
//! latest revision plus the new layers (or from a recorded revision), shown as a plan,
//! confirmed on a terminal, and rolled out canary first, then in waves.

use std::io::{BufRead, IsTerminal, Write};

use serde::Serialize;

use super::{CliError, Format, RollbackArgs, UpgradeArgs, find, output};
use crate::cluster::connect::Connection;
use crate::cluster::plan::Plan;
use crate::cluster::rollout::{self, Options, Planned, Target};
use crate::cluster::{revisions, snapshot};
use crate::domain::config::{Config, Sources};
use crate::domain::labels::STORE_SELECTOR;
use crate::domain::layout::StoreLayout;
use crate::domain::name::StoreName;
use crate::domain::revision;
use crate::domain::rollout::{Event, Step};
use crate::domain::status::{self, Phase};

pub async fn upgrade(
    conn: &Connection,
    args: &UpgradeArgs,
    layers: &Sources,
    base: &Config,
    config: &Config,
) -> anyhow::Result<()> {
    let mut targets = Vec::new();
    for (store, layout) in selected(conn, args, config).await? {
        targets.push(rollout::target(conn, &layout, store, layers, base).await?);
    }
    let planned = rollout::plan(conn, targets).await;
    let options = Options {
        wave_size: usize::from(args.wave_size),
        max_failures: args.max_failures,
        timeout: args.until.timeout,
        wait: args.until.wait,
        rules: config.status_rules(),
        change: "upgrade".to_string(),
    };
    // One store named, refused: its own error (and exit code), nothing changed.
    let mut planned = planned;
    if planned.len() == 1 && !args.dry_run {
        planned = only_if_accepted(planned)?;
    }
    go(conn, planned, &options, args.dry_run, args.yes, args.format).await
}

/// The plan of one store, or that store's refusal as the error itself (with its exit
/// code).
fn only_if_accepted(mut planned: Vec<Planned>) -> anyhow::Result<Vec<Planned>> {
    match planned.pop() {
        Some(Planned { check: Err(e), .. }) => Err(e.into()),
        Some(one) => Ok(vec![one]),
        None => Ok(planned),
    }
}

pub async fn rollback(
    conn: &Connection,
    args: &RollbackArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let (store, layout) = find::to_act_on(conn, name, config).await?;
    let recorded = revisions::list(conn, &layout).await?;
    let Some((latest, _)) = recorded.last() else {
        return Err(CliError::NoRevision {
            name: name.to_string(),
            wanted: args.to,
            kept: String::new(),
        }
        .into());
    };
    let wanted = args.to.unwrap_or(latest.revision.saturating_sub(1));
    let Some((_, map)) = recorded.iter().find(|(r, _)| r.revision == wanted) else {
        let kept = recorded
            .iter()
            .map(|(r, _)| r.revision.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(CliError::NoRevision {
            name: name.to_string(),
            wanted: Some(wanted),
            kept,
        }
        .into());
    };
    // Where storectl writes is this run's configuration, never a revision's.
    let recorded_config = |map| -> anyhow::Result<Config> {
        Ok(revision::where_the_operator_says(
            revision::config_of(map)?,
            config,
        ))
    };
    let target = Target {
        layout: layout.clone(),
        store,
        from: (
            Some(latest.revision),
            recorded_config(&recorded[recorded.len() - 1].1)?,
        ),
        to: recorded_config(map)?,
    };
    let planned = only_if_accepted(rollout::plan(conn, vec![target]).await)?;
    let options = Options {
        wave_size: 1,
        max_failures: 0,
        timeout: args.until.timeout,
        wait: args.until.wait,
        rules: config.status_rules(),
        change: format!("rollback to revision {wanted}"),
    };
    go(conn, planned, &options, false, true, Format::Table).await
}

/// Shows the plan, asks on a terminal (unless `yes`), runs it, and sums it up.
async fn go(
    conn: &Connection,
    planned: Vec<Planned>,
    options: &Options,
    dry_run: bool,
    yes: bool,
    format: Format,
) -> anyhow::Result<()> {
    let plan = Plan::of(&planned, options);
    if dry_run {
        match format {
            Format::Table => print!("{}", plan.describe()),
            other => output::structured(&plan, other)?,
        }
        return Ok(());
    }
    if plan.to_upgrade() == 0 && plan.refused() == 0 {
        println!(
            "nothing to do: every store is at its target revision ({} store(s))",
            plan.stores.len()
        );
        return Ok(());
    }
    if format == Format::Table {
        print!("{}", plan.describe());
    }
    if !yes && std::io::stdin().is_terminal() {
        confirm(plan.to_upgrade())?;
    }
    let table = format == Format::Table;
    let results = rollout::run(conn, planned, options, |event| {
        if table {
            print_event(&event);
        }
    })
    .await;
    if !table {
        let rows: Vec<StoreResult> = results
            .iter()
            .map(|(name, step)| StoreResult {
                name: name.clone(),
                result: step.clone(),
            })
            .collect();
        output::structured(&rows, format)?;
    }
    let done = results.iter().filter(|(_, s)| s.is_done()).count();
    let failed: Vec<(String, String)> = results
        .iter()
        .filter_map(|(name, step)| match step {
            Step::Failed { reason } => Some((name.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    let untouched = results
        .iter()
        .filter(|(_, s)| matches!(s, Step::Untouched))
        .count();
    if failed.is_empty() {
        if table {
            println!("done: {done} of {} store(s) at the target", results.len());
        }
        return Ok(());
    }
    Err(CliError::RolloutFailed {
        failed,
        done,
        untouched,
        max_failures: options.max_failures,
    }
    .into())
}

/// The stores named, all stores, or those whose objects match the selector; each seen
/// whole. Stores being deleted are left out of `--all` and `-l` (and said so).
async fn selected(
    conn: &Connection,
    args: &UpgradeArgs,
    config: &Config,
) -> anyhow::Result<Vec<(crate::domain::inventory::StoreObjects, StoreLayout)>> {
    if !args.names.is_empty() {
        let mut out = Vec::new();
        for raw in &args.names {
            let name = StoreName::parse_for(raw, config)?;
            out.push(find::to_act_on(conn, &name, config).await?);
        }
        return Ok(out);
    }
    let all = snapshot::inventory(conn, STORE_SELECTOR)
        .await?
        .complete()?
        .stores(&config.stores.shared_namespace);
    let wanted: Option<Vec<String>> = match &args.selector {
        Some(selector) => Some(
            snapshot::inventory(conn, &format!("{STORE_SELECTOR},{selector}"))
                .await?
                .complete()?
                .stores(&config.stores.shared_namespace)
                .into_iter()
                .map(|s| s.name)
                .collect(),
        ),
        None => None,
    };
    let rules = config.status_rules();
    let now = k8s_openapi::jiff::Timestamp::now();
    let mut out = Vec::new();
    for store in all {
        if wanted.as_ref().is_some_and(|w| !w.contains(&store.name)) {
            continue;
        }
        if status::derive(&store, &rules, now).phase == Phase::Deleting {
            eprintln!(
                "storectl: skipping store {}: it is being deleted",
                store.name
            );
            continue;
        }
        let name = StoreName::parse_for(&store.name, config)?;
        let layout = StoreLayout::found(&name, &store.namespace_name, config);
        out.push((store, layout));
    }
    if out.is_empty() {
        return Err(CliError::NoStoresSelected(args.selector.clone()).into());
    }
    Ok(out)
}

fn confirm(count: usize) -> anyhow::Result<()> {
    eprint!("Upgrade {count} store(s)? [y/N] ");
    std::io::stderr().flush()?;
    let mut typed = String::new();
    std::io::stdin().lock().read_line(&mut typed)?;
    if matches!(typed.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(CliError::NotConfirmedUpgrade.into())
    }
}

fn print_event(event: &Event) {
    match event {
        Event::Wave { number, of, stores } => {
            let what = if *number == 1 { " (canary)" } else { "" };
            println!("wave {number}/{of}{what}: {}", stores.join(", "));
        }
        Event::Store { name, step } => match step {
            Step::Waiting | Step::Skipped { .. } | Step::Untouched => {}
            Step::Applying => println!("{name}: applying"),
            Step::RollingOut { revision, reason } => {
                println!("{name}: revision {revision}: {reason}");
            }
            Step::Ready { revision } => println!("{name}: Ready on revision {revision}"),
            Step::Applied { revision, note } => {
                println!("{name}: revision {revision} applied ({note})");
            }
            Step::Failed { reason } => println!("{name}: failed: {reason}"),
        },
    }
}

/// One store's result, for `-o json|yaml`.
#[derive(Debug, Serialize)]
struct StoreResult {
    name: String,
    #[serde(flatten)]
    result: Step,
}
