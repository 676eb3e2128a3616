//! delete: the store's namespace (per-store mode) or its labelled objects, after
//! checking each is storectl's or the original platform's. What it destroys is said by
//! `domain::verb::destroyed`, the same words in every confirmation.

use crate::cluster::connect::Connection;
use crate::cluster::delete::{self, DeleteError, Pending};
use crate::domain::config::Config;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;
use crate::domain::manifests;
use crate::domain::verb::destroyed;

/// What deleting `store` destroys, in words.
pub fn what(store: &StoreObjects) -> String {
    let volumes: Vec<&str> = store.claims.iter().map(|c| &*c.meta.name).collect();
    destroyed(
        &store.name,
        &store.namespace_name,
        store.namespace.is_some(),
        &volumes,
    )
}

/// Every check the delete makes, without deleting anything.
pub async fn check(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
) -> Result<(), DeleteError> {
    delete::check(conn, layout, &manifests::references(layout, config)).await
}

/// Deletes the store of `layout`; what is still going, to wait on.
pub async fn run(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
) -> Result<Vec<Pending>, DeleteError> {
    let known = manifests::references(layout, config);
    delete::delete(conn, layout, &known, &config.platform.namespace).await
}
