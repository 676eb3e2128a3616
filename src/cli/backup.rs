//! `storectl backup NAME [--wait]`, `backups NAME [-o ...]`, `restore NAME --from ID
//! [--yes] [--wait]` and `clone SOURCE TARGET [--from ID] [--wait]`: `ops::backup`,
//! `ops::restore` (only after the store's name has been typed) and `ops::clone`, their
//! results printed.

use super::delete::confirm_by_name;
use super::output::{self, on_terminal};
use super::{BackupArgs, CloneArgs, Format, OneStoreArgs, RestoreArgs, create, find};
use crate::cluster::backups::{self, BackupError};
use crate::cluster::connect::Connection;
use crate::domain::backup::{Record, human_size};
use crate::domain::config::Config;
use crate::domain::lookup::LookupError;
use crate::domain::name::StoreName;
use crate::ops;

pub async fn backup(
    conn: &Connection,
    args: &BackupArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let find::Located { store, layout } = find::to_act_on(conn, name, config).await?;
    let started = ops::backup::start(conn, store, &layout, config).await?;
    println!("{}", started.summary());
    if !args.wait {
        println!("see it with: storectl backups {name}");
        return Ok(());
    }
    let record = ops::backup::finish(conn, &layout, started, args.timeout).await?;
    println!("{}", ops::backup::complete(&record));
    Ok(())
}

pub async fn list(
    conn: &Connection,
    args: &OneStoreArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    // A deleted store's backups are listed from their records.
    let namespace = match find::store(conn, name, config).await {
        Ok(found) => Some(found.store.namespace_name),
        Err(e)
            if matches!(
                e.downcast_ref(),
                Some(LookupError::NotFound(_) | LookupError::Unmarked { .. })
            ) =>
        {
            None
        }
        Err(e) => return Err(e),
    };
    let list = backups::records(conn, config, name.as_str(), namespace.as_deref()).await?;
    if list.is_empty() && namespace.is_none() {
        return Err(BackupError::Unknown(name.to_string()).into());
    }
    if args.format != Format::Table {
        return output::structured(&list, args.format);
    }
    if list.is_empty() {
        eprintln!("store {name} has no backups yet (storectl backup {name})");
        return Ok(());
    }
    print!("{}", table(&list));
    Ok(())
}

/// The records as `backups` prints them, newest first; the header only on a terminal.
fn table(list: &[Record]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .rev()
        .map(|r| {
            vec![
                r.id.clone(),
                r.created.clone(),
                r.status.as_str().to_string(),
                r.size.map_or_else(|| "-".to_string(), human_size),
                r.location.clone(),
                r.reason.clone(),
            ]
        })
        .collect();
    let text = output::table(
        &["ID", "CREATED", "STATUS", "SIZE", "LOCATION", "REASON"],
        &rows,
        None,
        5,
    );
    let skip = usize::from(!on_terminal());
    text.lines()
        .skip(skip)
        .map(|l| format!("{}\n", l.trim_end()))
        .collect()
}

pub async fn restore(
    conn: &Connection,
    args: &RestoreArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let find::Located { store, layout } = find::to_act_on(conn, name, config).await?;
    let restore = ops::restore::prepare(conn, store, &layout, config, &args.from).await?;
    if !args.yes {
        confirm_by_name(name, &restore.warning(name.as_str()), "restore", "restored")?;
    }
    let id = &restore.record.id;
    println!("restoring backup {id} into store {name}: WordPress stopped");
    ops::restore::run(conn, &layout, &restore, args.until.timeout).await?;
    println!("restored backup {id} into store {name}; WordPress started again");
    if args.until.wait {
        create::wait_until_settled(conn, &layout, config, args.until.timeout).await?;
    }
    Ok(())
}

pub async fn clone(
    conn: &Connection,
    args: &CloneArgs,
    config: &Config,
    source: &StoreName,
    target: &StoreName,
) -> anyhow::Result<()> {
    let cloned = ops::clone::run(
        conn,
        config,
        source,
        target,
        args.from.as_deref(),
        args.until.timeout,
        |line| println!("{line}"),
    )
    .await?;
    println!("{}", cloned.summary(source));
    if args.until.wait {
        create::wait_until_settled(conn, &cloned.layout, config, args.until.timeout).await?;
    }
    Ok(())
}
