//! Groups observed objects into stores by their `app` label and namespace, the way the
//! original platform identified a store's resources, and keeps only the groups that are
//! stores: those in a namespace storectl marked for that store, or in the original
//! platform's shared namespace. Labels alone make no store: anyone may set them.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::Metadata;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::ownership::marked_for;
use crate::domain::labels::LABEL_APP;

/// Everything observed of one store, grouped by the `app` label. The objects are shared
/// with the model they were observed into.
#[derive(Debug, Clone, Default)]
pub struct StoreObjects {
    pub name: String,
    /// The store's own namespace (per-store mode), if it exists.
    pub namespace: Option<Arc<Namespace>>,
    /// Where the store's objects are (its own namespace, or the shared one).
    pub namespace_name: String,
    pub deployments: Vec<Arc<Deployment>>,
    pub jobs: Vec<Arc<Job>>,
    pub claims: Vec<Arc<PersistentVolumeClaim>>,
    pub pods: Vec<Arc<Pod>>,
    pub ingresses: Vec<Arc<Ingress>>,
    /// The store's report, written by its runner (none until it first reports).
    pub reports: Vec<Arc<Lease>>,
}

/// Every store object seen on the cluster, by kind. Objects are shared, not copied:
/// grouping a thousand stores moves pointers only.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub namespaces: Vec<Arc<Namespace>>,
    pub deployments: Vec<Arc<Deployment>>,
    pub jobs: Vec<Arc<Job>>,
    pub claims: Vec<Arc<PersistentVolumeClaim>>,
    pub pods: Vec<Arc<Pod>>,
    pub ingresses: Vec<Arc<Ingress>>,
    pub reports: Vec<Arc<Lease>>,
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
        let mut stores: BTreeMap<(String, String), StoreObjects> = BTreeMap::new();
        for ns in &self.namespaces {
            if let Some(store) = store_of(&mut stores, &ns.metadata, true) {
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
            .is_some_and(|ns| marked_for(&ns.metadata, &group.name))
}

type Stores = BTreeMap<(String, String), StoreObjects>;

/// The store an object belongs to, created on first sight. `own_namespace`: the object is
/// the store's namespace itself.
fn store_of<'a>(
    stores: &'a mut Stores,
    meta: &ObjectMeta,
    own_namespace: bool,
) -> Option<&'a mut StoreObjects> {
    let app = meta.labels.as_ref()?.get(LABEL_APP)?.clone();
    let namespace = if own_namespace {
        meta.name.clone()?
    } else {
        meta.namespace.clone()?
    };
    Some(
        stores
            .entry((app.clone(), namespace.clone()))
            .or_insert_with(|| StoreObjects {
                name: app,
                namespace_name: namespace,
                ..StoreObjects::default()
            }),
    )
}

fn attach<K: Metadata<Ty = ObjectMeta>>(
    stores: &mut Stores,
    items: &[Arc<K>],
    field: impl Fn(&mut StoreObjects) -> &mut Vec<Arc<K>>,
) {
    for item in items {
        if let Some(store) = store_of(stores, item.metadata(), false) {
            field(store).push(item.clone());
        }
    }
}

/// Objects that belong to a store but make none (pods, reports): added to the stores
/// the other kinds found.
fn attach_to_existing<K: Metadata<Ty = ObjectMeta>>(
    stores: &mut Stores,
    items: &[Arc<K>],
    field: impl Fn(&mut StoreObjects) -> &mut Vec<Arc<K>>,
) {
    for item in items {
        let meta = item.metadata();
        let app = meta.labels.as_ref().and_then(|l| l.get(LABEL_APP));
        if let (Some(app), Some(ns)) = (app, meta.namespace.as_ref())
            && let Some(store) = stores.get_mut(&(app.clone(), ns.clone()))
        {
            field(store).push(item.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, namespace: Option<&str>, app: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            namespace: namespace.map(str::to_string),
            labels: Some([(LABEL_APP.to_string(), app.to_string())].into()),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn objects_group_by_app_and_namespace() {
        let inv = Inventory {
            namespaces: vec![Arc::new(Namespace {
                metadata: meta("store-a", None, "a"),
                ..Default::default()
            })],
            deployments: vec![
                Arc::new(Deployment {
                    metadata: meta("a-mysql", Some("store-a"), "a"),
                    ..Default::default()
                }),
                Arc::new(Deployment {
                    metadata: meta("b-mysql", Some("ecommerce-stores"), "b"),
                    ..Default::default()
                }),
                Arc::new(Deployment {
                    metadata: meta("c-mysql", Some("ecommerce-stores"), "c"),
                    ..Default::default()
                }),
            ],
            pods: vec![
                Arc::new(Pod {
                    metadata: meta("b-mysql-x", Some("ecommerce-stores"), "b"),
                    ..Default::default()
                }),
                Arc::new(Pod {
                    metadata: meta("orphan", Some("elsewhere"), "z"),
                    ..Default::default()
                }),
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
                m.labels
                    .get_or_insert_default()
                    .insert(MARK_LABEL.into(), MARK_VALUE.into());
                m.annotations = Some([(STORE_ANNOTATION.to_string(), store.to_string())].into());
            }
            Arc::new(Namespace {
                metadata: m,
                ..Default::default()
            })
        };
        let deployment = |ns: &str, app: &str| {
            Arc::new(Deployment {
                metadata: meta(&format!("{app}-mysql"), Some(ns), app),
                ..Default::default()
            })
        };
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
