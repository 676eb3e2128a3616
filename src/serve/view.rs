//! What the server knows at one moment (the list of every cluster's stores, kept
//! serialized, and each cluster's state), and the order of that list.

use axum::body::Bytes;

use super::standing::ClusterState;
use crate::domain::summary::StoreSummary;

/// What the server knows at one moment.
pub struct View {
    /// Every cluster's stores, sorted by namespace, name, then context.
    pub stores: Vec<StoreSummary>,
    /// `stores` as a JSON array, serialized once for every request.
    pub json: Bytes,
    /// `json` gzip-compressed, once, for the first client that asks.
    pub gzip: std::sync::OnceLock<Bytes>,
    /// Each served cluster, in the order given.
    pub clusters: Vec<ClusterState>,
    /// The stores may be served (`standing::serving`).
    pub listed: bool,
}

/// The order of the list, its pages and their tokens.
pub fn order(a: &StoreSummary, b: &StoreSummary) -> std::cmp::Ordering {
    (&a.namespace, &a.name, &a.context).cmp(&(&b.namespace, &b.name, &b.context))
}
