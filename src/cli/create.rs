//! `storectl create NAME [--wait]`: render, apply, and optionally follow the store until
//! it is Ready or Failed, printing what it waits for whenever that changes.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use super::{CliError, StartArgs};
use crate::cluster::apply;
use crate::cluster::connect::Connection;
use crate::cluster::watch::{LiveModel, Scope};
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;
use crate::domain::name::StoreName;
use crate::domain::status::{self, Phase};

pub async fn run(
    conn: &Connection,
    args: &StartArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let layout = StoreLayout::new(name, config);
    let (created, _) = apply::create_store(conn, &layout, config).await?;
    if created.already_present > 0 {
        println!(
            "completed half-made store {name}: {} of {} objects were already there{}",
            created.already_present,
            created.applied,
            if created.kept_secret {
                " (existing credentials kept)"
            } else {
                ""
            }
        );
    } else {
        println!(
            "created store {name} in namespace {} ({} objects)",
            layout.namespace, created.applied
        );
    }
    if args.until.wait {
        wait_until_settled(conn, &layout, config, args.until.timeout).await?;
    }
    Ok(())
}

/// Follows the store's objects on watches until it is Ready (Ok) or Failed, or `timeout`.
pub(super) async fn wait_until_settled(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    timeout: Duration,
) -> anyhow::Result<()> {
    let scope = Scope::Store {
        namespace: layout.namespace.clone(),
        selector: layout.store_selector(),
    };
    let (model, mut changes, _health) = LiveModel::start(conn, &scope);
    let rules = config.status_rules();
    if tokio::time::timeout(timeout, model.ready()).await.is_err() {
        return Err(CliError::TimedOut {
            after: timeout,
            what: "the watches never listed the store".to_string(),
        }
        .into());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    // Time-based rules (grace period, deadline) need a re-check without any event.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_reason = String::new();
    loop {
        tokio::select! {
            _ = changes.recv() => {}
            _ = tick.tick() => {}
            () = tokio::time::sleep_until(deadline) => {
                return Err(CliError::TimedOut { after: timeout, what: format!("store {} is still {last_reason}", layout.name()) }.into());
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
            println!("{}: {}", status.phase, status.reason);
            last_reason = status.reason.clone();
        }
        match status.phase {
            Phase::Ready => {
                if let Some(url) = status::url(&store) {
                    println!("store {} is ready at {url}", layout.name());
                }
                return Ok(());
            }
            Phase::Failed => {
                return Err(CliError::StoreFailed {
                    name: layout.name().to_string(),
                    reason: status.reason,
                }
                .into());
            }
            Phase::Deleting => {
                return Err(CliError::StoreFailed {
                    name: layout.name().to_string(),
                    reason: "it is being deleted".to_string(),
                }
                .into());
            }
            Phase::Paused => {
                return Err(CliError::StoreFailed {
                    name: layout.name().to_string(),
                    reason: "it is paused (storectl resume)".to_string(),
                }
                .into());
            }
            Phase::Provisioning => {}
        }
    }
}
