//! `storectl upgrade (NAME... | --all | -l SELECTOR) [-f FILE] [--set K=V] [--wave-size N]
//! [--max-failures K] [--dry-run] [--yes] [--wait] [--timeout D]` and
//! `storectl rollback NAME [--to REVISION] [--wait]`: each store re-rendered from its
//! latest revision plus the new layers (or from a recorded revision): `ops::upgrade` and
//! `ops::rollback`'s plan shown, confirmed on a terminal, and rolled out canary first,
//! then in waves; the stores chosen and the progress printed here.

use std::io::{BufRead, IsTerminal, Write};

use super::{CliError, Format, RollbackArgs, UpgradeArgs, find, output};
use crate::cluster::connect::Connection;
use crate::cluster::plan::Plan;
use crate::cluster::rollout::{self, Options, Planned};
use crate::cluster::snapshot;
use crate::domain::config::{Config, Sources};
use crate::domain::labels::STORE_SELECTOR;
use crate::domain::layout::StoreLayout;
use crate::domain::name::StoreName;
use crate::domain::rollout::{Event, Step};
use crate::domain::status::{self, Phase};
use crate::ops;

pub async fn upgrade(
    conn: &Connection,
    args: &UpgradeArgs,
    layers: &Sources,
    base: &Config,
    config: &Config,
) -> anyhow::Result<()> {
    let stores = selected(conn, args, config).await?;
    let mut planned = ops::upgrade::plan(conn, stores, layers, base).await?;
    let options = ops::upgrade::options(
        usize::from(args.wave_size),
        args.max_failures,
        args.until.timeout,
        args.until.wait,
        config,
    );
    // One store named, refused: its own error (and exit code), nothing changed.
    if planned.len() == 1 && !args.dry_run {
        planned = ops::upgrade::only_if_accepted(planned)?;
    }
    go(conn, planned, &options, args.dry_run, args.yes, args.format).await
}

pub async fn rollback(
    conn: &Connection,
    args: &RollbackArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let find::Located { store, layout } = find::to_act_on(conn, name, config).await?;
    let ops::rollback::RollbackPlan { planned, change } =
        ops::rollback::plan(conn, store, &layout, config, args.to).await?;
    let options = Options {
        wave_size: 1,
        max_failures: 0,
        timeout: args.until.timeout,
        wait: args.until.wait,
        rules: config.status_rules(),
        change,
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
    let nothing = ops::upgrade::nothing_to_upgrade(&plan);
    if plan.refused() == 0
        && let Some(line) = &nothing
    {
        println!("{line}");
        return Ok(());
    }
    if format == Format::Table {
        print!("{}", plan.describe());
        if let Some(line) = &nothing {
            println!("{line}");
        }
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
        output::structured(&results, format)?;
    }
    let summary = ops::upgrade::Summary::of(&results);
    let line = summary.result(options.max_failures)?;
    if table {
        println!("done: {line}");
    }
    Ok(())
}

/// The stores named, all stores, or those whose objects match the selector; each seen
/// whole. Stores being deleted are left out of `--all` and `-l` (and said so).
async fn selected(
    conn: &Connection,
    args: &UpgradeArgs,
    config: &Config,
) -> anyhow::Result<Vec<find::Located>> {
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
        out.push(find::Located { store, layout });
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
