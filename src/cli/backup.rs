//! `storectl backup NAME [--wait]`, `backups NAME [-o ...]`, `restore NAME --from ID
//! [--yes] [--wait]` and `clone SOURCE TARGET [--from ID] [--wait]`: backups taken by
//! Jobs, recorded where they outlive the store, restored only after the store's name has
//! been typed, and cloned into a new store with its URLs rewritten.

use k8s_openapi::jiff::Timestamp;

use super::delete::confirm_by_name;
use super::output::{self, on_terminal};
use super::{BackupArgs, CloneArgs, Format, OneStoreArgs, RestoreArgs, create, find};
use crate::cluster::apply::{self, CreateError};
use crate::cluster::audit;
use crate::cluster::backups::{self, BackupError};
use crate::cluster::connect::Connection;
use crate::domain::backup::{self as records, Record, human_size};
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;
use crate::domain::lookup::LookupError;
use crate::domain::name::StoreName;
use crate::domain::status;

pub async fn backup(
    conn: &Connection,
    args: &BackupArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let (layout, settings) = running_store(conn, config, name).await?;
    let id = records::new_id(Timestamp::now());
    let record = backups::start(conn, &layout, &settings, &id).await?;
    println!(
        "backup {id} of store {name} started (job {}); it goes to {}",
        record.job, record.location
    );
    if !args.wait {
        println!("see it with: storectl backups {name}");
        return Ok(());
    }
    let end = backups::wait_job(conn, &layout.namespace, &record.job, args.timeout).await?;
    let record = backups::settle(conn, &settings, record, &end).await?;
    if !end.complete {
        return Err(BackupError::JobFailed {
            what: format!("backup {id} of store {name}"),
            reason: record.reason,
        }
        .into());
    }
    println!(
        "backup {id} complete: {}{} at {}",
        record
            .size
            .map_or_else(|| "size not reported".to_string(), human_size),
        if record.sha256.is_empty() {
            String::new()
        } else {
            format!(", manifest sha256 {}", record.sha256)
        },
        record.location
    );
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
    let (layout, settings) = running_store(conn, config, name).await?;
    let list = backups::records(conn, config, name.as_str(), Some(&layout.namespace)).await?;
    let record = backups::usable(&list, name.as_str(), &args.from)?;
    if !args.yes {
        let prompt = format!(
            "This replaces the database and wp-content of store {name} with backup {} (taken {}); what the store holds now is lost.",
            record.id, record.created
        );
        confirm_by_name(name, &prompt, "restore", "restored")?;
    }
    println!(
        "restoring backup {} into store {name}: WordPress stopped",
        record.id
    );
    backups::restore(conn, &layout, &settings, record, None, args.until.timeout).await?;
    println!(
        "restored backup {} into store {name}; WordPress started again",
        record.id
    );
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
    // A clone never goes into a store that exists, whole or half-made.
    match find::store(conn, target, config).await {
        Ok(found) => {
            return Err(CreateError::AlreadyExists {
                name: target.to_string(),
                namespace: found.store.namespace_name,
                how: String::new(),
            }
            .into());
        }
        Err(e) if matches!(e.downcast_ref(), Some(LookupError::NotFound(_))) => {}
        Err(e) => return Err(e),
    }
    // The source may be gone: its backups and the configuration of this run remain.
    let (namespace, settings) = match find::to_act_on(conn, source, config).await {
        Ok((store, layout)) => (
            Some(layout.namespace.clone()),
            backups::settings_for(conn, &layout, store, config).await?,
        ),
        Err(e) if matches!(e.downcast_ref(), Some(LookupError::NotFound(_))) => {
            (None, config.clone())
        }
        Err(e) => return Err(e),
    };
    let list = backups::records(conn, config, source.as_str(), namespace.as_deref()).await?;
    let record = match &args.from {
        Some(id) => backups::usable(&list, source.as_str(), id)?,
        None => backups::latest_complete(&list)
            .ok_or_else(|| BackupError::NoBackup(source.to_string()))?,
    };
    let layout = StoreLayout::new(target, &settings);
    apply::create_store(conn, &layout, &settings).await?;
    println!(
        "created store {target} for the clone of {source}; restoring backup {} once it is Ready",
        record.id
    );
    create::wait_until_settled(conn, &layout, config, args.until.timeout).await?;
    let scheme = if settings.tls.enabled {
        "https"
    } else {
        "http"
    };
    let old = format!("{scheme}://{source}.{}", settings.global.domain);
    let new = format!("{scheme}://{}", layout.host);
    backups::restore(
        conn,
        &layout,
        &settings,
        record,
        Some((&old, &new)),
        args.until.timeout,
    )
    .await?;
    println!(
        "cloned store {source} (backup {}) into {target}: URLs rewritten from {old} to {new}",
        record.id
    );
    let detail = format!(": from store {source}, backup {}", record.id);
    audit::record(conn, &layout, audit::Change::Cloned, &detail).await;
    if args.until.wait {
        create::wait_until_settled(conn, &layout, config, args.until.timeout).await?;
    }
    Ok(())
}

/// The store to back up or restore into, seen whole, with its database running (not
/// paused, not being deleted), and the configuration its Jobs run with.
async fn running_store(
    conn: &Connection,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<(StoreLayout, Config)> {
    let (store, layout) = find::to_act_on(conn, name, config).await?;
    let phase = status::derive(&store, &config.status_rules(), Timestamp::now()).phase;
    records::database_running(name.as_str(), phase).map_err(BackupError::from)?;
    let settings = backups::settings_for(conn, &layout, store, config).await?;
    Ok((layout, settings))
}
