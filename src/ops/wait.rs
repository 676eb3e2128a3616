//! Wait until Ready: a store's objects followed on watches until it is Ready, Failed, or
//! the time is up; every change of what it waits for is handed to the caller.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use super::Error;
use crate::cluster::connect::Connection;
use crate::cluster::watch::{LiveModel, Scope, Started};
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;
use crate::domain::status::{self, Phase};

/// Follows the store until it is Ready (its URL, if it has one) or Failed, or `timeout`;
/// `progress` gets a line whenever what it waits for changes.
pub async fn until_settled(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    timeout: Duration,
    mut progress: impl FnMut(String),
) -> Result<Option<String>, Error> {
    let scope = Scope::Store {
        namespace: layout.namespace.clone(),
        selector: layout.store_selector(),
    };
    let Started {
        model, mut changes, ..
    } = LiveModel::start(conn, &scope);
    let rules = config.status_rules();
    if tokio::time::timeout(timeout, model.ready()).await.is_err() {
        return Err(Error::TimedOut {
            after: timeout,
            what: "the watches never listed the store".to_string(),
        });
    }
    let deadline = tokio::time::Instant::now() + timeout;
    // Time-based rules (grace period, deadline) need a re-check without any event.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_reason = String::new();
    let failed = |reason: String| Error::StoreFailed {
        name: layout.name().to_string(),
        reason,
    };
    loop {
        tokio::select! {
            _ = changes.recv() => {}
            _ = tick.tick() => {}
            () = tokio::time::sleep_until(deadline) => {
                return Err(Error::TimedOut { after: timeout, what: format!("store {} is still {last_reason}", layout.name()) });
            }
        }
        let store = model
            .inventory()
            .stores(&config.stores.shared_namespace)
            .into_iter()
            .find(|s| s.name == layout.name());
        let Some(store) = store else { continue };
        let status = status::derive(&store, &rules, Timestamp::now());
        if status.reason != last_reason && status.phase != Phase::Failed {
            progress(format!("{}: {}", status.phase, status.reason));
            last_reason = status.reason.clone();
        }
        match status.phase {
            Phase::Ready => return Ok(status::url(&store)),
            Phase::Failed => return Err(failed(status.reason)),
            Phase::Deleting => return Err(failed("it is being deleted".to_string())),
            Phase::Paused => return Err(failed("it is paused (storectl resume)".to_string())),
            Phase::Provisioning => {}
        }
    }
}
