//! forget: a store's backups removed from the target (a Job), then their records; only
//! once the store's delete has passed every check, since backups cannot come back.

use std::time::Duration;

use super::delete;
use crate::cluster::backups;
use crate::cluster::connect::Connection;
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;

/// Removes the backups of the store of `layout`; how many were recorded.
pub async fn run(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    timeout: Duration,
) -> anyhow::Result<usize> {
    delete::check(conn, layout, config).await?;
    Ok(backups::forget(conn, layout, config, timeout).await?)
}
