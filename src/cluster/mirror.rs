//! Objects of one kind as a watcher last saw them, ordered by namespace and name. A (re-)list
//! builds a fresh set and swaps it in whole when the list is complete, so readers never
//! see half a list. Objects are handed out shared (`Arc`), never copied, and ordered by
//! their own name and namespace (no key is kept beside them).

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use kube::runtime::watcher::Event;
use tokio::sync::watch;

use super::slim::Slim;
use crate::domain::watched::Watched;

/// An object in a mirror, ordered by namespace then name.
struct Keyed<K>(Arc<K>);

impl<K: Watched> Keyed<K> {
    fn key(&self) -> (Option<&str>, &str) {
        let meta = self.0.meta();
        (meta.namespace.as_deref(), &meta.name)
    }
}

impl<K: Watched> Ord for Keyed<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl<K: Watched> PartialOrd for Keyed<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Watched> PartialEq for Keyed<K> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl<K: Watched> Eq for Keyed<K> {}

type Objects<K> = BTreeSet<Keyed<K>>;

/// The read side, cheap to clone.
pub struct Mirror<K> {
    objects: Arc<RwLock<Objects<K>>>,
    listed: watch::Receiver<bool>,
}

impl<K> Clone for Mirror<K> {
    fn clone(&self) -> Self {
        Self {
            objects: self.objects.clone(),
            listed: self.listed.clone(),
        }
    }
}

/// The write side, fed by one watcher's events.
pub struct MirrorWriter<K> {
    objects: Arc<RwLock<Objects<K>>>,
    listed: watch::Sender<bool>,
    /// The list in progress, between `Init` and `InitDone`.
    listing: Option<Objects<K>>,
}

pub fn mirror<K>() -> (Mirror<K>, MirrorWriter<K>) {
    let objects = Arc::new(RwLock::new(BTreeSet::new()));
    let (listed_tx, listed_rx) = watch::channel(false);
    (
        Mirror {
            objects: objects.clone(),
            listed: listed_rx,
        },
        MirrorWriter {
            objects,
            listed: listed_tx,
            listing: None,
        },
    )
}

impl<K> Mirror<K> {
    /// Every object, by namespace then name (the order the API server lists them in), so
    /// screens built from it do not reshuffle as objects change.
    pub fn state(&self) -> Vec<Arc<K>> {
        let objects = self.objects.read().unwrap_or_else(|e| e.into_inner());
        objects.iter().map(|o| o.0.clone()).collect()
    }

    /// Whether the first list is complete, to wait on apart from the mirror.
    pub fn listed(&self) -> watch::Receiver<bool> {
        self.listed.clone()
    }
}

impl<K> MirrorWriter<K> {
    /// The kind may not be listed: nothing of it is known, and that is final until a
    /// later list succeeds (so a model with a refused kind still counts as listed).
    pub fn refused(&mut self) {
        self.listing = None;
        self.objects
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.listed.send_replace(true);
    }
}

impl<K: Watched> MirrorWriter<K> {
    pub fn apply(&mut self, event: Event<Slim<K>>) {
        let keyed = |slim: Slim<K>| Keyed(Arc::new(slim.object));
        match event {
            Event::Init => self.listing = Some(BTreeSet::new()),
            Event::InitApply(object) => {
                if let Some(listing) = &mut self.listing {
                    listing.replace(keyed(object));
                }
            }
            Event::InitDone => {
                if let Some(listing) = self.listing.take() {
                    *self.objects.write().unwrap_or_else(|e| e.into_inner()) = listing;
                }
                self.listed.send_replace(true);
            }
            Event::Apply(object) => {
                let mut objects = self.objects.write().unwrap_or_else(|e| e.into_inner());
                objects.replace(keyed(object));
            }
            Event::Delete(object) => {
                let mut objects = self.objects.write().unwrap_or_else(|e| e.into_inner());
                objects.remove(&keyed(object));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::watched::WatchedPod;

    use super::*;

    fn pod(name: &str, phase: &str) -> Slim<WatchedPod> {
        let json = serde_json::json!({
            "metadata": {"name": name, "namespace": "store-a", "resourceVersion": "1"},
            "status": {"phase": phase},
        });
        serde_json::from_value(json).unwrap()
    }

    /// (name, phase) in the order `state` hands them out: by name within the namespace.
    fn phases(m: &Mirror<WatchedPod>) -> Vec<(String, String)> {
        m.state()
            .iter()
            .map(|p| {
                (
                    p.meta.name.to_string(),
                    p.phase.as_deref().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn a_list_shows_only_when_complete_and_replaces_what_was_there() {
        let (m, mut w) = mirror::<WatchedPod>();
        w.apply(Event::Init);
        w.apply(Event::InitApply(pod("a", "Running")));
        assert!(m.state().is_empty(), "half a list is never visible");
        w.apply(Event::InitApply(pod("b", "Pending")));
        w.apply(Event::InitDone);
        assert!(*m.listed().borrow(), "listed once complete");
        assert_eq!(phases(&m).len(), 2);

        w.apply(Event::Apply(pod("c", "Pending")));
        w.apply(Event::Apply(pod("b", "Running")));
        w.apply(Event::Delete(pod("a", "Running")));
        assert_eq!(
            phases(&m),
            [
                ("b".into(), "Running".into()),
                ("c".into(), "Pending".into())
            ]
        );

        // A re-list (after an expired watch) drops what it no longer sees.
        w.apply(Event::Init);
        w.apply(Event::InitApply(pod("c", "Running")));
        w.apply(Event::InitDone);
        assert_eq!(phases(&m), [("c".into(), "Running".into())]);
    }

    #[tokio::test]
    async fn waiting_for_the_list_fails_when_the_writer_is_gone() {
        let (m, w) = mirror::<WatchedPod>();
        drop(w);
        assert!(m.listed().wait_for(|l| *l).await.is_err());
    }

    #[tokio::test]
    async fn a_refused_kind_counts_as_listed_and_empty() {
        let (m, mut w) = mirror::<WatchedPod>();
        w.apply(Event::Init);
        w.apply(Event::InitApply(pod("a", "Running")));
        w.apply(Event::InitDone);
        w.refused();
        assert!(*m.listed().borrow(), "the rest of the model can show");
        assert!(
            m.state().is_empty(),
            "nothing of a kind that may not be listed"
        );
    }
}
