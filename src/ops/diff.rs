//! diff: what an upgrade of the store would change, object by object and field by field,
//! drift included. The new configuration is the store's latest revision with the given
//! layers on top (for a store without one, the configuration of this run).

use crate::cluster::connect::Connection;
use crate::cluster::upgrade;
use crate::domain::config::{Config, Sources};
use crate::domain::diff::ObjectDiff;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;

/// The changes an upgrade of `store` with `layers` would make.
pub async fn run(
    conn: &Connection,
    store: StoreObjects,
    layout: &StoreLayout,
    layers: &Sources,
    base: &Config,
) -> anyhow::Result<Vec<ObjectDiff>> {
    let target = super::upgrade::target(conn, layout, store, layers, base).await?;
    let prepared = upgrade::prepare(conn, layout, &target.store, &target.from, &target.to).await?;
    Ok(prepared.changes)
}
