//! A backup restored into a store: WordPress stopped, the restore Job run, WordPress
//! started again.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::ListParams;

use super::error::{BackupError, JobEnd};
use super::jobs::{create_job, wait_job};
use super::target::prepare_target;
use crate::cluster::connect::Connection;
use crate::cluster::error::ClusterError;
use crate::domain::backup::{self, Record};
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;
use crate::domain::manifests::backups::{self as objects};

/// Restores `backup` (of its store) into the store of `layout`, all or nothing: WordPress
/// stopped (and gone) and held for the restore, the restore Job run to its end (at most
/// `timeout`, which is also the Job's own deadline). WordPress starts again only when the
/// Job completed, or when its script reported that it changed nothing; otherwise (the
/// outcome unknown: a failure mid-way, a timeout) it stays stopped, and the store's
/// status says so. `urls` are rewritten for a clone.
pub async fn restore(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    backup: &Record,
    urls: Option<objects::UrlRewrite<'_>>,
    timeout: Duration,
) -> Result<JobEnd, BackupError> {
    prepare_target(conn, layout, config).await?;
    // Another store's backup (a clone's source) is read through presigned URLs for its
    // files alone, never with a key; they are made before WordPress stops, and last for
    // the wait for WordPress to go plus the Job's own deadline.
    let presigned = if backup.store == layout.name() {
        Vec::new()
    } else {
        super::access::presigned_urls(conn, config, backup, timeout.saturating_mul(2)).await?
    };
    crate::cluster::pause::hold_wordpress(conn, layout, &backup.id)
        .await
        .map_err(|e| BackupError::JobFailed {
            what: "stopping WordPress".to_string(),
            reason: e.to_string(),
        })?;
    let unfinished = |why: String, timed_out: bool| BackupError::RestoreUnfinished {
        store: layout.name().to_string(),
        id: backup.id.clone(),
        why,
        timed_out,
    };
    // Before the Job exists, nothing has changed.
    if let Err(e) = wait_wordpress_gone(conn, layout, timeout).await {
        start_wordpress(conn, layout).await?;
        return Err(e);
    }
    let at = backup::new_id(Timestamp::now());
    let mut job = objects::restore_job(
        layout,
        config,
        &at,
        &backup.store,
        &backup.id,
        urls,
        timeout,
    );
    crate::domain::manifests::backup_access::fetch_through(&mut job, &presigned);
    let name = match create_job(conn, &job).await {
        Ok(name) => name,
        Err(e) if refused(&e) => {
            start_wordpress(conn, layout).await?;
            return Err(e);
        }
        Err(e) => return Err(unfinished(e.to_string(), false)),
    };
    let detail = format!(": backup {} of store {}", backup.id, backup.store);
    crate::cluster::audit::record(
        conn,
        layout,
        crate::cluster::audit::Change::RestoreStarted,
        &detail,
    )
    .await;
    let end = match wait_job(conn, &layout.namespace, &name, timeout).await {
        Ok(end) => end,
        Err(e @ BackupError::TimedOut { .. }) => return Err(unfinished(e.to_string(), true)),
        Err(e) => return Err(unfinished(e.to_string(), false)),
    };
    if end.complete {
        start_wordpress(conn, layout).await?;
        return Ok(end);
    }
    if end.result.as_ref().is_some_and(|r| r.unchanged) {
        start_wordpress(conn, layout).await?;
        return Err(BackupError::RestoreUnchanged {
            id: backup.id.clone(),
            reason: end.why(),
        });
    }
    Err(unfinished(format!("job {name}: {}", end.why()), false))
}

/// The API server answered the request with a refusal: nothing was made.
pub(super) fn refused(error: &BackupError) -> bool {
    matches!(
        error,
        BackupError::Cluster(
            ClusterError::Api { code: ..500, .. }
                | ClusterError::Forbidden { .. }
                | ClusterError::Unauthorized { .. }
        )
    )
}

/// WordPress started again after a restore, its hold removed.
pub(super) async fn start_wordpress(
    conn: &Connection,
    layout: &StoreLayout,
) -> Result<(), BackupError> {
    crate::cluster::pause::release_wordpress(conn, layout)
        .await
        .map_err(|e| BackupError::JobFailed {
            what: "starting WordPress again".to_string(),
            reason: e.to_string(),
        })
}

/// Until no WordPress pod of the store runs (its volume is the restore's to write).
pub(super) async fn wait_wordpress_gone(
    conn: &Connection,
    layout: &StoreLayout,
    timeout: Duration,
) -> Result<(), BackupError> {
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let selector = layout
        .selector(crate::domain::layout::Component::WordPress)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let left = pods
            .list_metadata(&ListParams::default().labels(&selector))
            .await
            .map_err(conn.error("listing the WordPress pods"))?;
        if left.items.is_empty() {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(BackupError::TimedOut {
                what: "WordPress to stop".to_string(),
                after: timeout,
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
