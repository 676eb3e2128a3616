//! clone: a new store from another store's backup (the source may be gone), with the
//! source's recorded configuration; once it is Ready the backup is restored into it with
//! WordPress's URLs rewritten. Never into a store that exists, whole or half-made.

use std::time::Duration;

use super::{backup, find, wait};
use crate::cluster::apply::{self, CreateError};
use crate::cluster::audit;
use crate::cluster::backups::{self, BackupError};
use crate::cluster::connect::Connection;
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;
use crate::domain::lookup::LookupError;
use crate::domain::manifests::backups::UrlRewrite;
use crate::domain::name::StoreName;

/// What a clone did.
pub struct Cloned {
    pub layout: StoreLayout,
    pub backup: String,
    /// The URLs rewritten: from the source's, to the clone's.
    pub old: String,
    pub new: String,
}

/// Clones `source` (backup `from`, default its latest complete one) into `target`;
/// `progress` gets a line at each stage.
pub async fn run(
    conn: &Connection,
    config: &Config,
    source: &StoreName,
    target: &StoreName,
    from: Option<&str>,
    timeout: Duration,
    mut progress: impl FnMut(String),
) -> anyhow::Result<Cloned> {
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
        Ok(find::Located { store, layout }) => (
            Some(layout.namespace.clone()),
            backup::settings_for(conn, &layout, store, config).await?,
        ),
        Err(e) if matches!(e.downcast_ref(), Some(LookupError::NotFound(_))) => {
            (None, config.clone())
        }
        Err(e) => return Err(e),
    };
    let list = backups::records(conn, config, source.as_str(), namespace.as_deref()).await?;
    let record = match from {
        Some(id) => backups::usable(&list, source.as_str(), id)?,
        None => backups::latest_complete(&list)
            .ok_or_else(|| BackupError::NoBackup(source.to_string()))?,
    };
    let layout = StoreLayout::new(target, &settings);
    apply::create_store(conn, &layout, &settings).await?;
    progress(format!(
        "created store {target} for the clone of {source}; restoring backup {} once it is Ready",
        record.id
    ));
    let url = wait::until_settled(conn, &layout, config, timeout, &mut progress).await?;
    if let Some(url) = url {
        progress(format!("store {target} is ready at {url}"));
    }
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
        Some(UrlRewrite {
            old: &old,
            new: &new,
        }),
        timeout,
    )
    .await?;
    let detail = format!(": from store {source}, backup {}", record.id);
    audit::record(conn, &layout, audit::Change::Cloned, &detail).await;
    Ok(Cloned {
        layout,
        backup: record.id.clone(),
        old,
        new,
    })
}

impl Cloned {
    /// The result in a sentence.
    pub fn summary(&self, source: &StoreName) -> String {
        format!(
            "cloned store {source} (backup {}) into {}: URLs rewritten from {} to {}",
            self.backup,
            self.layout.name(),
            self.old,
            self.new
        )
    }
}
