//! `storectl logs` and `storectl events`: looking into a store's pods and events.

use std::io::Write;

use futures::StreamExt;

use super::output;
use super::{CliError, ComponentArg, Format, LogsArgs, OneStoreArgs, find};
use crate::cluster::connect::Connection;
use crate::cluster::{events, logs};
use crate::domain::config::Config;
use crate::domain::layout::{Component, StoreLayout};
use crate::domain::manifests;
use crate::domain::name::StoreName;

pub async fn logs(
    conn: &Connection,
    args: &LogsArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let store = find::store(conn, name, config).await?.store;
    let component = match args.component {
        ComponentArg::Wordpress => Component::WordPress,
        ComponentArg::Mysql => Component::MySql,
        ComponentArg::Setup => Component::Setup,
        ComponentArg::Backup => Component::Backup,
    };
    let pod = logs::newest_pod(conn, &store.namespace_name, &store.name, component).await?;
    let Some(pod) = pod else {
        return Err(CliError::NoPod {
            name: name.to_string(),
            component: component.as_str().to_string(),
            why: " yet".to_string(),
        }
        .into());
    };
    let options = logs::LogOptions {
        follow: args.follow,
        previous: args.previous,
        timestamps: args.timestamps,
        tail_lines: args.tail,
        since_time: None,
    };
    let mut lines = logs::lines(conn, &pod, component, &options).await?;
    let mut stdout = std::io::stdout().lock();
    while let Some(line) = lines.next().await {
        writeln!(stdout, "{}", line?)?;
    }
    Ok(())
}

pub async fn events(
    conn: &Connection,
    args: &OneStoreArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let store = find::store(conn, name, config).await?.store;
    let layout = StoreLayout::found(name, &store.namespace_name, config);
    let events = events::for_store(conn, &store, &manifests::names(&layout, config)).await?;
    if args.format != Format::Table {
        return output::structured(&events, args.format);
    }
    if events.is_empty() {
        eprintln!("no events for store {name}");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                e.last_seen.clone().unwrap_or_else(|| "-".into()),
                e.type_.clone(),
                e.reason.clone(),
                e.object.clone(),
                e.message.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(
            &["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
            &rows,
            None,
            4
        )
    );
    Ok(())
}
