//! history: a store's recorded revisions, oldest first.

use crate::cluster::connect::Connection;
use crate::cluster::revisions;
use crate::domain::layout::StoreLayout;
use crate::domain::revision::Revision;

/// The revisions recorded for the store of `layout`.
pub async fn run(conn: &Connection, layout: &StoreLayout) -> anyhow::Result<Vec<Revision>> {
    Ok(revisions::list(conn, layout)
        .await?
        .into_iter()
        .map(|r| r.revision)
        .collect())
}
