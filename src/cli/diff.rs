//! `storectl diff NAME [-f FILE] [--set K=V] [-o table|json|yaml]`: `ops::diff` printed,
//! object by object and field by field. Exit 0: no difference; 1: some; more: an error
//! (as `kubectl diff`).

use super::{CliError, Format, OneStoreArgs, find, output};
use crate::cluster::connect::Connection;
use crate::domain::config::{Config, Sources};
use crate::domain::diff::ObjectDiff;
use crate::domain::name::StoreName;
use crate::ops;

pub async fn run(
    conn: &Connection,
    args: &OneStoreArgs,
    layers: &Sources,
    base: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let find::Located { store, layout } = find::to_act_on(conn, name, base).await?;
    let changes = ops::diff::run(conn, store, &layout, layers, base).await?;
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
