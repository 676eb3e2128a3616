//! Values derived from each store of a live model (a summary, a table row), kept between
//! changes: an update derives again only the stores whose objects changed since the last
//! one (`touched.rs`), each read as ranges of its namespace, or every store when asked
//! (the time moved: ages, grace periods, deadlines) or when a list replaced a kind. At
//! 10,000 stores every store costs ~100 ms; a change of one, well under a millisecond.

use std::collections::BTreeMap;

use super::mirrors::Mirrors;
use super::touched::{StoreKey, Touched};
use crate::domain::inventory::{StoreObjects, is_store};

/// What an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Update {
    /// Stores derived again.
    pub derived: usize,
    /// Every store was (asked, or a list replaced a kind).
    pub all: bool,
}

/// Each store's value, by name then namespace.
#[derive(Debug)]
pub struct PerStore<T> {
    values: BTreeMap<StoreKey, T>,
}

impl<T> Default for PerStore<T> {
    fn default() -> Self {
        Self {
            values: BTreeMap::new(),
        }
    }
}

impl<T> PerStore<T> {
    /// Brings the values up to date with `model` (see the module comment): every store
    /// when `all`, else those touched since the last update. The one reader of the
    /// model's changes: another would take them from this one.
    pub fn update(
        &mut self,
        model: &Mirrors,
        shared_namespace: &str,
        all: bool,
        mut derive: impl FnMut(&StoreObjects) -> T,
    ) -> Update {
        let keys = match model.take_touched() {
            Touched::Stores(keys) if !all => keys,
            Touched::Nothing if !all => Default::default(),
            _ => {
                self.values = model
                    .inventory()
                    .stores(shared_namespace)
                    .iter()
                    .map(|s| (key_of(s), derive(s)))
                    .collect();
                return Update {
                    derived: self.values.len(),
                    all: true,
                };
            }
        };
        for key in &keys {
            let store = model
                .store_objects(key)
                .filter(|s| is_store(s, shared_namespace));
            match store {
                Some(store) => self.values.insert(key.clone(), derive(&store)),
                None => self.values.remove(key),
            };
        }
        Update {
            derived: keys.len(),
            all: false,
        }
    }

    /// Every store's value, by name then namespace.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &T> {
        self.values.values()
    }
}

fn key_of(store: &StoreObjects) -> StoreKey {
    StoreKey {
        name: store.name.clone(),
        namespace: store.namespace_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use kube::runtime::watcher::Event;
    use serde_json::json;

    use super::*;
    use crate::cluster::mirrors::MirrorWriters;
    use crate::domain::labels::{LABEL_APP, MARK_LABEL, MARK_VALUE, STORE_ANNOTATION};

    /// An object as a watcher receives it.
    fn event<T: serde::de::DeserializeOwned>(object: serde_json::Value) -> Event<T> {
        Event::Apply(serde_json::from_value(object).unwrap())
    }

    /// Store `name`'s marked namespace and a Deployment with `replicas`, as watched.
    fn put_store(w: &mut MirrorWriters, name: &str, replicas: i32) {
        let ns = format!("store-{name}");
        w.namespaces.apply(event(json!({"metadata": {
            "name": ns, "resourceVersion": "1",
            "labels": {LABEL_APP: name, MARK_LABEL: MARK_VALUE},
            "annotations": {STORE_ANNOTATION: name},
        }})));
        put_deployment(w, name, &ns, replicas);
    }

    fn put_deployment(w: &mut MirrorWriters, name: &str, ns: &str, replicas: i32) {
        w.deployments.apply(event(json!({
            "metadata": {"name": format!("{name}-mysql"), "namespace": ns, "resourceVersion": "1",
                "labels": {LABEL_APP: name}},
            "spec": {"replicas": replicas},
        })));
    }

    /// Each store's (name, replicas), as derived.
    fn derive(store: &StoreObjects) -> (String, i32) {
        (store.name.clone(), store.deployments[0].replicas.unwrap())
    }

    fn values(per: &PerStore<(String, i32)>) -> Vec<(&str, i32)> {
        per.values().map(|(n, r)| (n.as_str(), *r)).collect()
    }

    #[test]
    fn only_stores_whose_objects_changed_are_derived_again() {
        let (mirrors, mut w) = Mirrors::new();
        put_store(&mut w, "a", 1);
        put_store(&mut w, "b", 1);
        let mut per = PerStore::default();
        assert!(per.update(&mirrors, "shared", false, derive).derived == 2);

        put_store(&mut w, "c", 1);
        put_deployment(&mut w, "b", "store-b", 2);
        let seen = RefCell::new(Vec::new());
        let update = per.update(&mirrors, "shared", false, |s| {
            seen.borrow_mut().push(s.name.clone());
            derive(s)
        });
        assert_eq!(
            update,
            Update {
                derived: 2,
                all: false
            }
        );
        assert_eq!(seen.into_inner(), ["b", "c"], "a did not change");
        assert_eq!(values(&per), [("a", 1), ("b", 2), ("c", 1)]);
        let idle = per.update(&mirrors, "shared", false, derive);
        assert_eq!(
            idle,
            Update {
                derived: 0,
                all: false
            }
        );
    }

    #[test]
    fn a_store_whose_objects_go_leaves_and_all_means_every_store() {
        let (mirrors, mut w) = Mirrors::new();
        put_store(&mut w, "a", 1);
        put_store(&mut w, "b", 1);
        let mut per = PerStore::default();
        per.update(&mirrors, "shared", false, derive);
        w.deployments.apply(Event::Delete(
            serde_json::from_value(json!({"metadata": {
                "name": "b-mysql", "namespace": "store-b", "resourceVersion": "2",
                "labels": {LABEL_APP: "b"},
            }}))
            .unwrap(),
        ));
        // Its namespace alone still makes store b (being deleted, say).
        per.update(&mirrors, "shared", false, |s| {
            (s.name.clone(), s.deployments.len() as i32)
        });
        assert_eq!(values(&per), [("a", 1), ("b", 0)]);
        w.namespaces.apply(Event::Delete(
            serde_json::from_value(
                json!({"metadata": {"name": "store-b", "resourceVersion": "3",
                "labels": {LABEL_APP: "b"}}}),
            )
            .unwrap(),
        ));
        per.update(&mirrors, "shared", false, derive);
        assert_eq!(values(&per), [("a", 1)]);
        let all = per.update(&mirrors, "shared", true, derive);
        assert_eq!(
            all,
            Update {
                derived: 1,
                all: true
            }
        );
    }

    #[test]
    fn a_changed_group_that_is_no_store_is_not_kept() {
        let (mirrors, mut w) = Mirrors::new();
        let mut per = PerStore::default();
        per.update(&mirrors, "shared", false, derive);
        // Store labels in a namespace storectl never marked.
        put_deployment(&mut w, "x", "team-x", 1);
        per.update(&mirrors, "shared", false, derive);
        assert_eq!(per.values().len(), 0);
        // The original platform's shared namespace needs no mark.
        put_deployment(&mut w, "y", "shared", 1);
        per.update(&mirrors, "shared", false, derive);
        assert_eq!(values(&per), [("y", 1)]);
    }
}
