//! `storectl delete NAME [--yes] [--wait] [--delete-backups]`: confirm by typing the name
//! (on a terminal), `ops::forget` and `ops::delete`, and optionally wait until nothing
//! labelled for the store remains.

use std::io::{BufRead, IsTerminal, Write};

use super::{CliError, DeleteArgs, find};
use crate::cluster::connect::Connection;
use crate::cluster::{backups, delete, snapshot};
use crate::domain::backup::BackupStatus;
use crate::domain::config::Config;
use crate::domain::layout::selector_for;
use crate::domain::manifests::backup_target::BackupBucket;
use crate::domain::name::StoreName;
use crate::ops;

pub async fn run(
    conn: &Connection,
    args: &DeleteArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let find::Located { store, layout } = find::to_act_on(conn, name, config).await?;
    // Finished backups are recorded before the store (and its Jobs) go. Records are
    // bookkeeping (the backups stay on the target): one that cannot be read is said.
    let kept = match backups::records(conn, config, name.as_str(), Some(&layout.namespace)).await {
        Ok(list) => list
            .iter()
            .filter(|r| r.status == BackupStatus::Complete)
            .count(),
        Err(e) if !args.delete_backups => {
            eprintln!("storectl: warning: the store's backup records were not read: {e}");
            0
        }
        Err(e) => return Err(e.into()),
    };
    let folder = BackupBucket::of(config).folder(name.as_str());
    let mut what = ops::delete::what(&store);
    if args.delete_backups {
        what.push_str(&format!(", and its backups at {folder}"));
    } else if kept > 0 {
        what.push_str(&format!(
            "; its {kept} backup(s) at {folder} are kept (--delete-backups removes them)"
        ));
    }
    if !args.yes {
        confirm_by_name(name, &format!("This deletes {what}."), "delete", "deleted")?;
    }
    if args.delete_backups {
        let removed = ops::forget::run(conn, &layout, config, args.timeout).await?;
        println!("removed the backups of store {name} ({removed} recorded)");
    }
    let pending = ops::delete::run(conn, &layout, config).await?;
    println!("deleting store {name}: {what}");
    if kept > 0 && !args.delete_backups {
        println!(
            "kept {kept} backup(s) of store {name} at {folder}: storectl backups {name}; restore them with storectl clone {name} NEW-NAME"
        );
    }
    if args.wait {
        let remaining = delete::wait_gone(pending, args.timeout).await;
        if !remaining.is_empty() {
            return Err(ops::Error::TimedOut {
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
        .groups();
    match left.first() {
        None => Ok(()),
        Some(store) => Err(CliError::StillThere {
            name: name.to_string(),
            namespace: store.namespace_name.clone(),
        }
        .into()),
    }
}

/// Asks for the store's name to be typed on a terminal (`action`: "delete", "restore";
/// `done`: "deleted", "restored" for the refusal); no terminal: refused.
pub(super) fn confirm_by_name(
    name: &StoreName,
    prompt: &str,
    action: &'static str,
    done: &'static str,
) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::NeedsConfirmation {
            action,
            name: name.to_string(),
        }
        .into());
    }
    eprint!("{prompt}\nType the store name ({name}) to confirm: ");
    std::io::stderr().flush()?;
    let mut typed = String::new();
    stdin.lock().read_line(&mut typed)?;
    if typed.trim() == name.as_str() {
        Ok(())
    } else {
        Err(CliError::NotConfirmed {
            name: name.to_string(),
            done,
        }
        .into())
    }
}
