//! Finding stores wherever they live (their own namespace, or the shared one): the store
//! a verb acts on, seen whole, or why not.

use crate::cluster::connect::Connection;
use crate::cluster::error::ClusterError;
use crate::cluster::snapshot;
use crate::domain::config::Config;
use crate::domain::inventory::StoreObjects;
use crate::domain::inventory::is_store;
use crate::domain::layout::StoreLayout;
use crate::domain::lookup::{LookupError, the_one};
use crate::domain::name::StoreName;

/// One store as far as the user may see it.
pub struct Found {
    pub store: StoreObjects,
    /// Refusals for the kinds left out (empty when the view is complete).
    pub forbidden: Vec<ClusterError>,
}

impl Found {
    /// The store, only if every kind could be read: for actions that change it.
    pub fn complete(self) -> anyhow::Result<StoreObjects> {
        match self.forbidden.into_iter().next() {
            Some(refusal) => Err(refusal.into()),
            None => Ok(self.store),
        }
    }
}

/// The store `name`, wherever it lives. Objects that carry its labels but are not a
/// store (no storectl mark on their namespace, outside the shared one) are refused by
/// name, so that no verb acts on them.
pub async fn store(conn: &Connection, name: &StoreName, config: &Config) -> anyhow::Result<Found> {
    // Only this store's objects: one selective LIST per kind, not the whole fleet.
    let snapshot = snapshot::inventory(conn, &crate::domain::layout::selector_for(name)).await?;
    let (matches, unmarked): (Vec<StoreObjects>, Vec<StoreObjects>) = snapshot
        .inventory
        .groups()
        .into_iter()
        .filter(|s| s.name == name.as_str())
        .partition(|s| is_store(s, &config.stores.shared_namespace));
    let mut forbidden = snapshot.forbidden;
    // Not seen, but maybe only because it is hidden from this user.
    if matches.is_empty() && !forbidden.is_empty() {
        return Err(forbidden.remove(0).into());
    }
    if let (true, Some(fake)) = (matches.is_empty(), unmarked.into_iter().next()) {
        return Err(LookupError::Unmarked {
            name: fake.name,
            namespace: fake.namespace_name,
        }
        .into());
    }
    let store = the_one(matches, name.as_str(), |s| &s.namespace_name)?;
    Ok(Found { store, forbidden })
}

/// A store seen whole, and where its objects are: what a verb acts on.
#[derive(Debug, Clone)]
pub struct Located {
    pub store: StoreObjects,
    pub layout: StoreLayout,
}

/// The store, seen whole, and where its objects are: for the commands that act on it.
pub async fn to_act_on(
    conn: &Connection,
    name: &StoreName,
    config: &Config,
) -> anyhow::Result<Located> {
    let store = store(conn, name, config).await?.complete()?;
    let layout = StoreLayout::found(name, &store.namespace_name, config);
    Ok(Located { store, layout })
}
