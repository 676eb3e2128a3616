//! rollback: the store back to a recorded revision's configuration (default: the one
//! before the latest), through the same checks and apply as upgrade, recorded as a new
//! revision.

use super::{Error, upgrade};
use crate::cluster::connect::Connection;
use crate::cluster::revisions;
use crate::cluster::rollout::{self, Planned, Target};
use crate::domain::config::Config;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;
use crate::domain::revision;

/// A rollback worked out: the one store's plan, and the change it records.
#[derive(Debug)]
pub struct RollbackPlan {
    pub planned: Vec<Planned>,
    pub change: String,
}

/// The plan of the rollback of `store` to revision `to` and the change it records.
pub async fn plan(
    conn: &Connection,
    store: StoreObjects,
    layout: &StoreLayout,
    config: &Config,
    to: Option<u32>,
) -> anyhow::Result<RollbackPlan> {
    let name = layout.name();
    let recorded = revisions::list(conn, layout).await?;
    let Some(latest) = recorded.last() else {
        return Err(Error::NoRevision {
            name: name.to_string(),
            wanted: to,
            kept: String::new(),
        }
        .into());
    };
    let wanted = to.unwrap_or(latest.revision.revision.saturating_sub(1));
    let Some(back_to) = recorded.iter().find(|r| r.revision.revision == wanted) else {
        let kept = recorded
            .iter()
            .map(|r| r.revision.revision.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::NoRevision {
            name: name.to_string(),
            wanted: Some(wanted),
            kept,
        }
        .into());
    };
    // Where storectl writes is this run's configuration, never a revision's.
    let recorded_config = |map| -> anyhow::Result<Config> {
        Ok(revision::where_the_operator_says(
            revision::config_of(map)?,
            config,
        ))
    };
    let target = Target {
        layout: layout.clone(),
        store,
        from_revision: Some(latest.revision.revision),
        from: recorded_config(&latest.map)?,
        to: recorded_config(&back_to.map)?,
    };
    let planned = upgrade::only_if_accepted(rollout::plan(conn, vec![target]).await)?;
    Ok(RollbackPlan {
        planned,
        change: format!("rollback to revision {wanted}"),
    })
}
