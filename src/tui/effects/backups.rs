//! Backups from the terminal UI: start one, list them, restore one; each through its verb
//! in `ops`, which refuses a store whose database does not run.

use std::time::Duration;

use super::{Effects, text};
use crate::app::Action;
use crate::cluster::backups;
use crate::cluster::connect::Connection;
use crate::domain::config::Config;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;
use crate::ops;
use crate::ops::find::Located;

/// How long a restore from the terminal UI may take.
const RESTORE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

impl Effects {
    pub(super) fn back_up(&self, name: String, store: Option<StoreObjects>) {
        let located = self.located(store, "the store is gone");
        let (conn, tx, config) = (self.conn.clone(), self.results.clone(), self.config.clone());
        tokio::spawn(async move {
            let result = match located {
                Ok(Located { store, layout }) => ops::backup::start(&conn, store, &layout, &config)
                    .await
                    .map(|started| started.record.id)
                    .map_err(text),
                Err(e) => Err(e),
            };
            let _ = tx.send(Action::BackupStarted { name, result });
        });
    }

    pub(super) fn backups(&self, name: String, namespace: String) {
        let (conn, tx, config) = (self.conn.clone(), self.results.clone(), self.config.clone());
        tokio::spawn(async move {
            let result = backups::records(&conn, &config, &name, Some(&namespace))
                .await
                .map_err(text);
            let _ = tx.send(Action::BackupList { name, result });
        });
    }

    /// Restores backup `id` into the store (WordPress stopped, the Job run, WordPress
    /// started); confirmed in the app by typing the store's name.
    pub(super) fn restore(&self, name: String, store: Option<StoreObjects>, id: String) {
        let located = self.located(store, "the store is gone");
        let (conn, tx, config) = (self.conn.clone(), self.results.clone(), self.config.clone());
        tokio::spawn(async move {
            let result = match located {
                Ok(Located { store, layout }) => restore(&conn, store, &layout, &config, &id)
                    .await
                    .map_err(text),
                Err(e) => Err(e),
            };
            let _ = tx.send(Action::Restored { name, result });
        });
    }
}

async fn restore(
    conn: &Connection,
    store: StoreObjects,
    layout: &StoreLayout,
    config: &Config,
    id: &str,
) -> anyhow::Result<String> {
    let restore = ops::restore::prepare(conn, store, layout, config, id).await?;
    ops::restore::run(conn, layout, &restore, RESTORE_TIMEOUT).await?;
    Ok(restore.record.id)
}
