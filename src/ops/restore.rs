//! restore: a backup replaces the store's database and wp-content (WordPress stopped, the
//! restore Job run, WordPress started again); refused for a store whose database does not
//! run, as backup refuses it.

use std::time::Duration;

use super::backup::running_store;
use crate::cluster::backups;
use crate::cluster::connect::Connection;
use crate::domain::backup::Record;
use crate::domain::config::Config;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;

/// A restore checked and ready to run (once confirmed).
pub struct Restore {
    pub record: Record,
    settings: Config,
}

impl Restore {
    /// What the restore replaces, for the confirmation.
    pub fn warning(&self, name: &str) -> String {
        format!(
            "This replaces the database and wp-content of store {name} with backup {} (taken {}); what the store holds now is lost.",
            self.record.id, self.record.created
        )
    }
}

/// Checks the store (its database runs) and the backup (`id`, complete).
pub async fn prepare(
    conn: &Connection,
    store: StoreObjects,
    layout: &StoreLayout,
    config: &Config,
    id: &str,
) -> anyhow::Result<Restore> {
    let settings = running_store(conn, store, layout, config).await?;
    let list = backups::records(conn, config, layout.name(), Some(&layout.namespace)).await?;
    let record = backups::usable(&list, layout.name(), id)?.clone();
    Ok(Restore { record, settings })
}

/// Runs the restore.
pub async fn run(
    conn: &Connection,
    layout: &StoreLayout,
    restore: &Restore,
    timeout: Duration,
) -> anyhow::Result<()> {
    backups::restore(
        conn,
        layout,
        &restore.settings,
        &restore.record,
        None,
        timeout,
    )
    .await?;
    Ok(())
}
