//! pause and resume: Deployments to zero and back, every volume and secret kept. Which
//! statuses pause accepts is `domain::verb::pause_check`; resume also starts a store whose
//! pause was cut short or whose WordPress a restore kept stopped, never while a restore
//! Job runs.

use k8s_openapi::jiff::Timestamp;

use super::Error;
use crate::cluster::connect::Connection;
use crate::cluster::pause::set_paused;
use crate::domain::config::Config;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;
use crate::domain::status::{self, Phase};
use crate::domain::verb::{PauseCheck, pause_check};

/// What pause or resume did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Paused,
    AlreadyPaused,
    Resumed,
    /// Not paused: nothing to resume (its status now).
    NotPaused(Phase),
}

impl Outcome {
    /// The result in a sentence, as every front end says it.
    pub fn summary(&self, name: &str) -> String {
        match self {
            Self::Paused => format!(
                "paused store {name}: WordPress and MySQL scaled to zero; volumes and secrets kept (storectl resume {name})"
            ),
            Self::AlreadyPaused => format!("store {name} is already paused"),
            Self::Resumed => {
                format!("resuming store {name}: MySQL and WordPress scaled back to one replica")
            }
            Self::NotPaused(phase) => format!("store {name} is not paused ({phase})"),
        }
    }
}

/// Pauses `store` if its status allows it.
pub async fn pause(
    conn: &Connection,
    store: &StoreObjects,
    layout: &StoreLayout,
    config: &Config,
) -> anyhow::Result<Outcome> {
    let now = status::derive(store, &config.status_rules(), Timestamp::now());
    match pause_check(now.phase) {
        PauseCheck::AlreadyPaused => return Ok(Outcome::AlreadyPaused),
        PauseCheck::Refused => {
            return Err(Error::CannotPause {
                name: store.name.clone(),
                status: now.phase,
                reason: now.reason,
            }
            .into());
        }
        PauseCheck::Pause => {}
    }
    set_paused(conn, layout, true).await?;
    Ok(Outcome::Paused)
}

/// Resumes `store`: also a pause cut short (one Deployment labelled) or a WordPress a
/// restore kept stopped; refused while a restore Job runs.
pub async fn resume(
    conn: &Connection,
    store: &StoreObjects,
    layout: &StoreLayout,
    config: &Config,
) -> anyhow::Result<Outcome> {
    if status::paused_deployments(store) == 0 && status::restore_hold(store).is_none() {
        let now = status::derive(store, &config.status_rules(), Timestamp::now());
        return Ok(Outcome::NotPaused(now.phase));
    }
    if let Some(job) = status::running_restore(store) {
        return Err(Error::RestoreRunning {
            name: store.name.clone(),
            job,
        }
        .into());
    }
    set_paused(conn, layout, false).await?;
    Ok(Outcome::Resumed)
}
