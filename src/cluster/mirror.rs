//! Objects of one kind as a watcher last saw them, ordered by namespace and name. A (re-)list
//! builds a fresh set and swaps it in whole when the list is complete, so readers never
//! see half a list. Objects are handed out shared (`Arc`), never copied, and ordered by
//! their own name and namespace (no key is kept beside them). Every change is noted in
//! the model's touch log (`touched.rs`) once it is visible, a whole list as every store.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use kube::runtime::watcher::Event;
use tokio::sync::watch;

use super::touched::TouchLog;
use crate::domain::watched::{Meta, Sym, Watched};

/// An object in a mirror, ordered by namespace then name.
struct Keyed<K>(Arc<K>);

impl<K: Watched> Keyed<K> {
    fn key(&self) -> (Option<&str>, &str) {
        let meta = self.0.meta();
        (meta.namespace.as_deref(), &meta.name)
    }
}

impl<K: Watched + Default> Keyed<K> {
    /// An empty object with this key: the bound of a range.
    fn probe(namespace: Option<&str>, name: &str) -> Self {
        let mut object = K::default();
        let meta = object.meta_mut();
        meta.namespace = namespace.map(Sym::new);
        meta.name = name.into();
        Self(Arc::new(object))
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
    touched: TouchLog,
}

/// A mirror whose changes are noted in `touched`.
pub fn mirror<K>(touched: TouchLog) -> (Mirror<K>, MirrorWriter<K>) {
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
            touched,
        },
    )
}

impl<K> Mirror<K> {
    /// Every object, by namespace then name (the order the API server lists them in), so
    /// screens built from it do not reshuffle as objects change.
    pub fn state(&self) -> Vec<Arc<K>> {
        self.read().iter().map(|o| o.0.clone()).collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Objects<K>> {
        self.objects.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the first list is complete, to wait on apart from the mirror.
    pub fn listed(&self) -> watch::Receiver<bool> {
        self.listed.clone()
    }
}

impl<K: Watched + Default> Mirror<K> {
    /// The objects in `namespace` that `keep` accepts, by name: a range of the mirror,
    /// not a pass over it.
    pub fn in_namespace(&self, namespace: &str, keep: impl Fn(&Meta) -> bool) -> Vec<Arc<K>> {
        let from = Keyed::probe(Some(namespace), "");
        self.read()
            .range(from..)
            .take_while(|o| o.key().0 == Some(namespace))
            .filter(|o| keep(o.0.meta()))
            .map(|o| o.0.clone())
            .collect()
    }

    /// The cluster-scoped object `name`, if seen.
    pub fn cluster_scoped(&self, name: &str) -> Option<Arc<K>> {
        self.read()
            .get(&Keyed::probe(None, name))
            .map(|o| o.0.clone())
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
        self.touched.all();
        self.listed.send_replace(true);
    }
}

impl<K: Watched> MirrorWriter<K> {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Objects<K>> {
        self.objects.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn apply(&mut self, event: Event<K>) {
        let keyed = |object: K| Keyed(Arc::new(object));
        match event {
            Event::Init => self.listing = Some(BTreeSet::new()),
            Event::InitApply(object) => {
                if let Some(listing) = &mut self.listing {
                    listing.replace(keyed(object));
                }
            }
            Event::InitDone => {
                if let Some(listing) = self.listing.take() {
                    *self.write() = listing;
                    self.touched.all();
                }
                self.listed.send_replace(true);
            }
            Event::Apply(object) => {
                let new = keyed(object);
                let now = new.0.clone();
                let was = self.write().replace(new);
                // Both stores, should its labels have moved it from one to another.
                if let Some(was) = was {
                    self.touched.object(was.0.meta());
                }
                self.touched.object(now.meta());
            }
            Event::Delete(object) => {
                let gone = self.write().take(&keyed(object));
                if let Some(gone) = gone {
                    self.touched.object(gone.0.meta());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::cluster::touched::{StoreKey, Touched};
    use crate::domain::labels::LABEL_APP;
    use crate::domain::watched::WatchedPod;

    use super::*;

    fn pod(name: &str, phase: &str) -> WatchedPod {
        let json = serde_json::json!({
            "metadata": {"name": name, "namespace": "store-a"},
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
        let (m, mut w) = mirror::<WatchedPod>(TouchLog::default());
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
        let (m, w) = mirror::<WatchedPod>(TouchLog::default());
        drop(w);
        assert!(m.listed().wait_for(|l| *l).await.is_err());
    }

    #[tokio::test]
    async fn a_refused_kind_counts_as_listed_and_empty() {
        let (m, mut w) = mirror::<WatchedPod>(TouchLog::default());
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

    /// Pod `name` of store `app` in `namespace`.
    fn store_pod(name: &str, namespace: &str, app: &str) -> WatchedPod {
        let json = serde_json::json!({
            "metadata": {"name": name, "namespace": namespace, "labels": {LABEL_APP: app}},
        });
        serde_json::from_value(json).unwrap()
    }

    fn names(pods: &[Arc<WatchedPod>]) -> Vec<&str> {
        pods.iter().map(|p| &*p.meta.name).collect()
    }

    #[tokio::test]
    async fn a_namespace_is_read_as_a_range_with_its_objects_only() {
        let (m, mut w) = mirror::<WatchedPod>(TouchLog::default());
        for (name, ns, app) in [
            ("x", "store-a", "a"),
            ("y", "store-a", "a"),
            ("planted", "store-a", "b"),
            ("z", "store-ab", "ab"),
            ("w", "store", "s"),
        ] {
            w.apply(Event::Apply(store_pod(name, ns, app)));
        }
        let all = m.in_namespace("store-a", |_| true);
        assert_eq!(names(&all), ["planted", "x", "y"]);
        let of_a = m.in_namespace("store-a", |meta| meta.labels.get(LABEL_APP) == Some("a"));
        assert_eq!(names(&of_a), ["x", "y"]);
        assert!(m.in_namespace("store-b", |_| true).is_empty());
    }

    #[tokio::test]
    async fn each_change_names_its_store_once_visible_and_a_list_names_all() {
        let touched = TouchLog::default();
        let (m, mut w) = mirror::<WatchedPod>(touched.clone());
        let key = |name: &str| StoreKey {
            name: name.into(),
            namespace: "store-a".into(),
        };
        w.apply(Event::Apply(store_pod("x", "store-a", "a")));
        assert_eq!(touched.take(), Touched::Stores(BTreeSet::from([key("a")])));
        // Relabelled into another store: both stores changed.
        w.apply(Event::Apply(store_pod("x", "store-a", "b")));
        assert_eq!(
            touched.take(),
            Touched::Stores(BTreeSet::from([key("a"), key("b")]))
        );
        assert_eq!(names(&m.state()), ["x"]);
        w.apply(Event::Delete(store_pod("x", "store-a", "b")));
        assert_eq!(touched.take(), Touched::Stores(BTreeSet::from([key("b")])));
        w.apply(Event::Init);
        w.apply(Event::InitApply(store_pod("y", "store-a", "a")));
        assert_eq!(touched.take(), Touched::Nothing, "half a list is not seen");
        w.apply(Event::InitDone);
        assert_eq!(touched.take(), Touched::All);
    }
}
