//! What the server knows at one moment: the list of every cluster's stores (serialized
//! once, by the first request that wants it whole) and each cluster's state.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;

use super::pages;
use super::standing::ClusterState;
use crate::domain::summary::StoreSummary;

/// What the server knows at one moment.
pub struct View {
    /// Every cluster's stores in `StoreSummary::list_order`, shared with the deriver
    /// (a store that did not change is the same summary from view to view).
    pub stores: Vec<Arc<StoreSummary>>,
    /// Each served cluster, in the order given.
    pub clusters: Vec<ClusterState>,
    /// The stores may be served (`standing::serving`).
    pub listed: bool,
    /// `stores` as a JSON array, and that gzip-compressed: each made once, for the first
    /// request that asks (a fleet that changes while nobody reads it is never serialized).
    json: OnceLock<Bytes>,
    gzip: OnceLock<Bytes>,
}

impl View {
    pub fn new(stores: Vec<Arc<StoreSummary>>, clusters: Vec<ClusterState>, listed: bool) -> Self {
        Self {
            stores,
            clusters,
            listed,
            json: OnceLock::new(),
            gzip: OnceLock::new(),
        }
    }

    /// Every store as a JSON array.
    pub fn json(&self) -> Bytes {
        let serialize = || Bytes::from(serde_json::to_vec(&self.stores).unwrap_or_default());
        self.json.get_or_init(serialize).clone()
    }

    /// `json()` gzip-compressed.
    pub fn gzip(&self) -> Bytes {
        self.gzip.get_or_init(|| pages::gzip(&self.json())).clone()
    }
}
