//! Finding a store by name wherever it lives: its own namespace, or the shared one.

use crate::cli::CliError;
use crate::cluster::connect::Connection;
use crate::cluster::snapshot;
use crate::domain::layout::{LABEL_APP, STORE_SELECTOR};
use crate::domain::name::StoreName;
use crate::domain::status::StoreObjects;

pub async fn store(conn: &Connection, name: &StoreName) -> anyhow::Result<StoreObjects> {
    // Only this store's objects: one selective LIST per kind, not the whole fleet.
    let selector = format!("{LABEL_APP}={name},{STORE_SELECTOR}");
    let inventory = snapshot::inventory(conn, &selector).await?;
    let mut matches: Vec<StoreObjects> = inventory
        .stores()
        .into_iter()
        .filter(|s| s.name == name.as_str())
        .collect();
    match matches.len() {
        0 => Err(CliError::NotFound(name.to_string()).into()),
        1 => Ok(matches.remove(0)),
        _ => Err(CliError::Ambiguous {
            name: name.to_string(),
            namespaces: matches
                .iter()
                .map(|s| s.namespace_name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into()),
    }
}
