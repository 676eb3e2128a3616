//! What the server knows at one moment: the list of every cluster's stores (serialized
//! once, when a request first wants it whole, or before the view is published where the
//! last view's readers wanted it: see `prepared_as`) and each cluster's state.

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

    /// This view with the bodies made that `previous` was asked for: made by the deriver
    /// before it publishes the view, not by the first request after (5 MB of JSON and
    /// its gzip at 10,000 stores take tens of ms, while every request on the same
    /// worker, and any other asking for them, waits).
    pub fn prepared_as(self, previous: &View) -> Self {
        if previous.gzip.get().is_some() {
            self.gzip();
        } else if previous.json.get().is_some() {
            self.json();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        View::new(Vec::new(), Vec::new(), true)
    }

    #[test]
    fn a_view_is_made_with_the_bodies_its_predecessor_was_asked_for_and_no_others() {
        let unread = view();
        let next = view().prepared_as(&unread);
        assert!(next.json.get().is_none() && next.gzip.get().is_none());

        let read_plain = view();
        read_plain.json();
        let next = view().prepared_as(&read_plain);
        assert!(next.json.get().is_some() && next.gzip.get().is_none());

        let read_gzipped = view();
        read_gzipped.gzip();
        let next = view().prepared_as(&read_gzipped);
        assert!(next.json.get().is_some() && next.gzip.get().is_some());
    }
}
