//! `storectl delete NAME [--yes] [--wait]`: confirm by typing the name (on a terminal),
//! delete, and optionally wait until nothing labelled for the store remains.

use std::io::{BufRead, IsTerminal, Write};

use super::{CliError, DeleteArgs, find};
use crate::cluster::connect::Connection;
use crate::cluster::{delete, snapshot};
use crate::domain::config::Config;
use crate::domain::layout::selector_for;
use crate::domain::manifests;
use crate::domain::name::StoreName;
use crate::domain::status::StoreObjects;

pub async fn run(
    conn: &Connection,
    args: &DeleteArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let (store, layout) = find::to_act_on(conn, name, config).await?;
    let what = describe(&store);
    if !args.yes {
        confirm(name, &what)?;
    }
    let pending = delete::delete(conn, &layout, &manifests::references(&layout, config)).await?;
    println!("deleting store {name}: {what}");
    if args.wait {
        let remaining = delete::wait_gone(pending, args.timeout).await;
        if !remaining.is_empty() {
            return Err(CliError::TimedOut {
                after: args.timeout,
                what: format!("still there: {}", remaining.join(", ")),
            }
            .into());
        }
        confirm_gone(conn, name).await?;
        println!("store {name} is gone");
    }
    Ok(())
}

/// A final read: the watches said every object went; the API server must agree.
async fn confirm_gone(conn: &Connection, name: &StoreName) -> anyhow::Result<()> {
    let left = snapshot::inventory(conn, &selector_for(name))
        .await?
        .complete()?
        .stores();
    match left.first() {
        None => Ok(()),
        Some(store) => Err(CliError::StillThere {
            name: name.to_string(),
            namespace: store.namespace_name.clone(),
        }
        .into()),
    }
}

/// What deleting the store removes, in words.
fn describe(store: &StoreObjects) -> String {
    let volumes = store
        .claims
        .iter()
        .filter_map(|c| c.metadata.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let volumes = if volumes.is_empty() {
        String::new()
    } else {
        format!("; its data volumes ({volumes}) are lost")
    };
    match &store.namespace {
        Some(_) => format!(
            "namespace {} and everything in it{volumes}",
            store.namespace_name
        ),
        None => format!(
            "every object labelled app={} in namespace {}{volumes}",
            store.name, store.namespace_name
        ),
    }
}

fn confirm(name: &StoreName, what: &str) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::NeedsConfirmation(name.to_string()).into());
    }
    eprint!("This deletes {what}.\nType the store name ({name}) to confirm: ");
    std::io::stderr().flush()?;
    let mut typed = String::new();
    stdin.lock().read_line(&mut typed)?;
    if typed.trim() == name.as_str() {
        Ok(())
    } else {
        Err(CliError::NotConfirmed(name.to_string()).into())
    }
}
