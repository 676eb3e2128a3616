//! `storectl create NAME [--wait]`: `ops::create`, then optionally the store followed
//! until it is Ready or Failed (`ops::wait`), printing what it waits for whenever that
//! changes.

use std::time::Duration;

use super::StartArgs;
use crate::cluster::connect::Connection;
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;
use crate::domain::name::StoreName;
use crate::ops;

pub async fn run(
    conn: &Connection,
    args: &StartArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let created = ops::create::run(conn, name, config).await?;
    println!("{}", created.summary());
    if args.until.wait {
        wait_until_settled(conn, &created.layout, config, args.until.timeout).await?;
    }
    Ok(())
}

/// `--wait`: `ops::wait::until_settled`, each line printed.
pub(super) async fn wait_until_settled(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    timeout: Duration,
) -> anyhow::Result<()> {
    let url =
        ops::wait::until_settled(conn, layout, config, timeout, |line| println!("{line}")).await?;
    if let Some(url) = url {
        println!("store {} is ready at {url}", layout.name());
    }
    Ok(())
}
