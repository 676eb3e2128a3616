//! `storectl diff NAME [-f FILE] [--set K=V] [-o table|json|yaml]`: what `upgrade` would
//! change, object by object and field by field, drift included. The new configuration
//! is the store's latest revision with these layers on top (for a store without one, the
//! configuration of this run). Exit 0: no difference; 1: some; more: an error (as
//! `kubectl diff`).

use super::{CliError, Format, OneStoreArgs, find, output};
use crate::cluster::connect::Connection;
use crate::cluster::{rollout, upgrade};
use crate::domain::config::{Config, Sources};
use crate::domain::diff::ObjectDiff;
use crate::domain::name::StoreName;

pub async fn run(
    conn: &Connection,
    args: &OneStoreArgs,
    layers: &Sources,
    base: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let (store, current) = find::to_act_on(conn, name, base).await?;
    let target = rollout::target(conn, &current, store, layers, base).await?;
    let changes = upgrade::prepare(conn, &current, &target.store, &target.from.1, &target.to)
        .await?
        .changes;
    match args.format {
        Format::Table => print!("{}", describe(&changes)),
        other => output::structured(&changes, other)?,
    }
    if changes.is_empty() {
        Ok(())
    } else {
        Err(CliError::Differs(changes.len()).into())
    }
}

/// The changes as text: each object, then its fields `path: before -> after`.
fn describe(changes: &[ObjectDiff]) -> String {
    let mut out = String::new();
    for change in changes {
        out.push_str(&format!("{} ({})\n", change.object, change.change));
        for field in &change.fields {
            out.push_str(&format!(
                "  {}: {} -> {}\n",
                field.path, field.from, field.to
            ));
        }
    }
    out
}
