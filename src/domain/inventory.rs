//! Groups observed objects into stores by their `app` label and namespace, the way the
//! original platform identified a store's resources.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::Metadata;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::layout::LABEL_APP;
use super::status::StoreObjects;

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
}

impl Inventory {
    /// The stores, sorted by name then namespace. A store exists while any of its
    /// namespace, Deployments, Jobs, PVCs or Ingresses does (pods alone do not make one).
    pub fn stores(&self) -> Vec<StoreObjects> {
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
        for pod in &self.pods {
            let app = pod.metadata.labels.as_ref().and_then(|l| l.get(LABEL_APP));
            if let (Some(app), Some(ns)) = (app, pod.metadata.namespace.as_ref())
                && let Some(s) = stores.get_mut(&(app.clone(), ns.clone()))
            {
                s.pods.push(pod.clone());
            }
        }
        stores.into_values().collect()
    }
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
        let stores = inv.stores();
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
}
