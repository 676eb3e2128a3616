//! Groups observed objects into stores by their `app` label and namespace, the way the
//! original platform identified a store's resources, and keeps only the groups that are
//! stores: those in a namespace storectl marked for that store, or in the original
//! platform's shared namespace. Labels alone make no store: anyone may set them.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::ownership::marked_for;
use super::watched::{
    Meta, Watched, WatchedDeployment, WatchedIngress, WatchedJob, WatchedLease, WatchedNamespace,
    WatchedPod, WatchedPvc,
};
use crate::domain::labels::LABEL_APP;

/// Everything observed of one store, grouped by the `app` label. The objects are shared
/// with the model they were observed into.
#[derive(Debug, Clone, Default)]
pub struct StoreObjects {
    pub name: String,
    /// The store's own namespace (per-store mode), if it exists.
    pub namespace: Option<Arc<WatchedNamespace>>,
    /// Where the store's objects are (its own namespace, or the shared one).
    pub namespace_name: String,
    pub deployments: Vec<Arc<WatchedDeployment>>,
    pub jobs: Vec<Arc<WatchedJob>>,
    pub claims: Vec<Arc<WatchedPvc>>,
    pub pods: Vec<Arc<WatchedPod>>,
    pub ingresses: Vec<Arc<WatchedIngress>>,
    /// The store's report, written by its runner (none until it first reports).
    pub reports: Vec<Arc<WatchedLease>>,
}

/// Every store object seen on the cluster, by kind. Objects are shared, not copied:
/// grouping a thousand stores moves pointers only.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub namespaces: Vec<Arc<WatchedNamespace>>,
    pub deployments: Vec<Arc<WatchedDeployment>>,
    pub jobs: Vec<Arc<WatchedJob>>,
    pub claims: Vec<Arc<WatchedPvc>>,
    pub pods: Vec<Arc<WatchedPod>>,
    pub ingresses: Vec<Arc<WatchedIngress>>,
    pub reports: Vec<Arc<WatchedLease>>,
}

impl Inventory {
    /// The stores, sorted by name then namespace: the groups `is_store` accepts. A store
    /// exists while any of its namespace, Deployments, Jobs, PVCs or Ingresses does (pods
    /// alone do not make one).
    pub fn stores(&self, shared_namespace: &str) -> Vec<StoreObjects> {
        let mut groups = self.groups();
        groups.retain(|g| is_store(g, shared_namespace));
        groups
    }

    /// Every group of objects with store labels, stores or not: for the checks that must
    /// see what anyone labelled (a deletion confirmed complete, a lookup that explains
    /// why a name is not a store).
    pub fn groups(&self) -> Vec<StoreObjects> {
        // Keyed by (store, namespace) borrowed from the objects: no text copied per lookup.
        let mut stores: Stores<'_> = BTreeMap::new();
        for ns in &self.namespaces {
            if let Some(store) = store_of(&mut stores, &ns.meta, true) {
                store.namespace = Some(ns.clone());
            }
        }
        attach(&mut stores, &self.deployments, |s| &mut s.deployments);
        attach(&mut stores, &self.jobs, |s| &mut s.jobs);
        attach(&mut stores, &self.claims, |s| &mut s.claims);
        attach(&mut stores, &self.ingresses, |s| &mut s.ingresses);
        attach_to_existing(&mut stores, &self.pods, |s| &mut s.pods);
        attach_to_existing(&mut stores, &self.reports, |s| &mut s.reports);
        stores.into_values().collect()
    }
}

/// Whether a group of labelled objects is a store: its objects are in the original
/// platform's shared namespace, or in a namespace that carries storectl's mark for it.
pub fn is_store(group: &StoreObjects, shared_namespace: &str) -> bool {
    group.namespace_name == shared_namespace
        || group
            .namespace
            .as_ref()
            .is_some_and(|ns| marked_for(&ns.meta, &group.name))
}

type Stores<'a> = BTreeMap<(&'a str, &'a str), StoreObjects>;

/// The store an object belongs to, created on first sight. `own_namespace`: the object is
/// the store's namespace itself.
fn store_of<'s, 'a>(
    stores: &'s mut Stores<'a>,
    meta: &'a Meta,
    own_namespace: bool,
) -> Option<&'s mut StoreObjects> {
    let app: &str = meta.labels.get(LABEL_APP)?;
    let namespace: &str = if own_namespace {
        &meta.name
    } else {
        meta.namespace.as_deref()?
    };
    Some(
        stores
            .entry((app, namespace))
            .or_insert_with(|| StoreObjects {
                name: app.to_string(),
                namespace_name: namespace.to_string(),
                ..StoreObjects::default()
            }),
    )
}

fn attach<'a, K: Watched>(
    stores: &mut Stores<'a>,
    items: &'a [Arc<K>],
    field: impl Fn(&mut StoreObjects) -> &mut Vec<Arc<K>>,
) {
    for item in items {
        if let Some(store) = store_of(stores, item.meta(), false) {
            field(store).push(item.clone());
        }
    }
}

/// Objects that belong to a store but make none (pods, reports): added to the stores
/// the other kinds found.
fn attach_to_existing<'a, K: Watched>(
    stores: &mut Stores<'a>,
    items: &'a [Arc<K>],
    field: impl Fn(&mut StoreObjects) -> &mut Vec<Arc<K>>,
) {
    for item in items {
        let meta = item.meta();
        if let (Some(app), Some(ns)) = (meta.labels.get(LABEL_APP), meta.namespace.as_deref())
            && let Some(store) = stores.get_mut(&(app, ns))
        {
            field(store).push(item.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    /// An object of kind `T` as the API server sends it.
    fn object<T: serde::de::DeserializeOwned>(metadata: serde_json::Value) -> Arc<T> {
        Arc::new(serde_json::from_value(json!({ "metadata": metadata })).unwrap())
    }

    fn meta(name: &str, namespace: Option<&str>, app: &str) -> serde_json::Value {
        json!({"name": name, "namespace": namespace, "labels": {LABEL_APP: app}})
    }

    #[test]
    fn objects_group_by_app_and_namespace() {
        let inv = Inventory {
            namespaces: vec![object(meta("store-a", None, "a"))],
            deployments: vec![
                object(meta("a-mysql", Some("store-a"), "a")),
                object(meta("b-mysql", Some("ecommerce-stores"), "b")),
                object(meta("c-mysql", Some("ecommerce-stores"), "c")),
            ],
            pods: vec![
                object(meta("b-mysql-x", Some("ecommerce-stores"), "b")),
                object(meta("orphan", Some("elsewhere"), "z")),
            ],
            ..Inventory::default()
        };
        let stores = inv.groups();
        let summary: Vec<(&str, &str, bool, usize, usize)> = stores
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    s.namespace_name.as_str(),
                    s.namespace.is_some(),
                    s.deployments.len(),
                    s.pods.len(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("a", "store-a", true, 1, 0),
                ("b", "ecommerce-stores", false, 1, 1),
                ("c", "ecommerce-stores", false, 1, 0)
            ]
        );
    }

    #[test]
    fn only_a_marked_namespace_or_the_shared_one_makes_a_store() {
        use crate::domain::labels::{MARK_LABEL, MARK_VALUE, STORE_ANNOTATION};
        let namespace = |name: &str, app: &str, mark: Option<&str>| {
            let mut m = meta(name, None, app);
            if let Some(store) = mark {
                m["labels"][MARK_LABEL] = json!(MARK_VALUE);
                m["annotations"] = json!({ STORE_ANNOTATION: store });
            }
            object::<WatchedNamespace>(m)
        };
        let deployment = |ns: &str, app: &str| object(meta(&format!("{app}-mysql"), Some(ns), app));
        let inv = Inventory {
            namespaces: vec![
                namespace("store-real", "real", Some("real")),
                // Store labels set by hand, no mark: not a store.
                namespace("store-fake", "fake", None),
                // storectl's mark, but for another store.
                namespace("store-other", "other", Some("real")),
            ],
            deployments: vec![
                deployment("store-real", "real"),
                deployment("store-fake", "fake"),
                deployment("store-other", "other"),
                // A labelled Deployment in some team's namespace.
                deployment("team-x", "planted"),
                // Another store's labels inside a real store's namespace.
                deployment("store-real", "intruder"),
                // The original platform's layout.
                deployment("ecommerce-stores", "seed"),
            ],
            ..Inventory::default()
        };
        let names = |stores: Vec<StoreObjects>| -> Vec<(String, String)> {
            stores
                .into_iter()
                .map(|s| (s.name, s.namespace_name))
                .collect()
        };
        assert_eq!(
            names(inv.stores("ecommerce-stores")),
            [
                ("real".to_string(), "store-real".to_string()),
                ("seed".to_string(), "ecommerce-stores".to_string())
            ]
        );
        assert_eq!(inv.groups().len(), 6, "every labelled group is still seen");
    }
}
