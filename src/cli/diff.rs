//! `storectl diff NAME [-f FILE] [--set K=V] [-o table|json|yaml]`: what `upgrade` would
//! change, object by object and field by field, drift included. The new configuration
//! is the store's latest revision with these layers on top (the configuration of this
//! run for a store without one). Exit 0: no difference; 1: some; more: an error (as
//! `kubectl diff`).

use super::{CliError, Format, OneStoreArgs, find, output};
use crate::cluster::connect::Connection;
use crate::cluster::diff::{self, ObjectDiff};
use crate::cluster::revisions;
use crate::domain::config::{self, Config, EnvVars, Sources};
use crate::domain::credentials::Credentials;
use crate::domain::layout::StoreLayout;
use crate::domain::manifests;
use crate::domain::name::StoreName;

pub async fn run(
    conn: &Connection,
    args: &OneStoreArgs,
    layers: &Sources,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let (store, current) = find::to_act_on(conn, name, config).await?;
    let target = target_config(conn, &current, layers, config).await?;
    let layout = StoreLayout::found(name, &store.namespace_name, &target);
    let objects = manifests::render(&layout, &target, &Credentials::placeholder());
    let changes = diff::diff(conn, &objects).await?;
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

/// The store's configuration after this change: its latest revision (or, for a store
/// without one, `fallback`) with the command's own `-f` files and `--set`s on top.
pub async fn target_config(
    conn: &Connection,
    layout: &StoreLayout,
    layers: &Sources,
    fallback: &Config,
) -> anyhow::Result<Config> {
    let (origin, base) = match revisions::latest_values(conn, layout).await? {
        Some((n, values)) => (format!("revision {n} of store {}", layout.name()), values),
        None => (
            "this run's configuration".to_string(),
            serde_yaml_ng::to_string(fallback)?,
        ),
    };
    let mut files = vec![(origin, base)];
    files.extend(layers.files.iter().cloned());
    Ok(config::load(&Sources {
        files,
        sets: layers.sets.clone(),
        env: EnvVars::default(),
        ..Sources::default()
    })?)
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
