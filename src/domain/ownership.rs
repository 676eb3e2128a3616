//! Whose an object on the cluster is: storectl's own for a store (it carries storectl's
//! mark), the original platform's (its exact layout), or someone else's. storectl applies
//! to and deletes only the first two.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::layout::StoreLayout;
use super::watched::Meta;
use crate::domain::labels::{
    LABEL_APP, LABEL_MANAGED_BY, MANAGED_BY, MARK_LABEL, MARK_VALUE, STORE_ANNOTATION,
};

/// Who an existing object belongs to, seen from one store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Marked by storectl for this store.
    Storectl,
    /// The original platform's layout: shared namespace, seed labels, a name the store's
    /// layout gives this kind of object.
    OriginalPlatform,
    /// Anything else; the text names its manager as far as the object tells.
    Foreign(String),
}

impl Owner {
    pub fn is_ours(&self) -> bool {
        !matches!(self, Self::Foreign(_))
    }
}

/// Whose `meta` is, for the store of `layout`. `known_name`: the object's name is one
/// the store's layout gives its kind (only then can it be the original platform's).
pub fn owner(meta: &ObjectMeta, layout: &StoreLayout, known_name: bool) -> Owner {
    let label = |key: &str| meta.labels.as_ref().and_then(|l| l.get(key));
    let annotation = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(STORE_ANNOTATION));
    let for_this_store = label(LABEL_APP).map(String::as_str) == Some(layout.name());
    if label(MARK_LABEL).map(String::as_str) == Some(MARK_VALUE) {
        return match annotation {
            // Objects of storectl versions before the annotation carry the label alone.
            None if for_this_store => Owner::Storectl,
            Some(store) if store == layout.name() && for_this_store => Owner::Storectl,
            Some(store) => Owner::Foreign(format!("storectl, for store '{store}'")),
            None => Owner::Foreign(format!(
                "storectl, for store '{}'",
                label(LABEL_APP).map_or("?", |s| s.as_str())
            )),
        };
    }
    let original = !layout.owns_namespace
        && known_name
        && for_this_store
        && meta.namespace.as_deref() == Some(layout.namespace.as_str())
        && label(LABEL_MANAGED_BY).map(String::as_str) == Some(MANAGED_BY)
        && label(MARK_LABEL).is_none();
    if original {
        Owner::OriginalPlatform
    } else {
        Owner::Foreign(manager(meta))
    }
}

/// Whether `meta` carries storectl's mark for store `store`: the label, and the store
/// annotation naming it (objects of storectl versions before the annotation: the label and
/// the store's `app` label). What makes a namespace a store's and a record storectl's.
pub fn marked_for(meta: &impl Marked, store: &str) -> bool {
    if meta.label(MARK_LABEL) != Some(MARK_VALUE) {
        return false;
    }
    match meta.annotation(STORE_ANNOTATION) {
        Some(annotated) => annotated == store,
        None => meta.label(LABEL_APP) == Some(store),
    }
}

/// Metadata that may carry storectl's mark: an object read whole, or a watched one.
pub trait Marked {
    fn label(&self, key: &str) -> Option<&str>;
    fn annotation(&self, key: &str) -> Option<&str>;
}

impl Marked for ObjectMeta {
    fn label(&self, key: &str) -> Option<&str> {
        self.labels.as_ref()?.get(key).map(String::as_str)
    }
    fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }
}

impl Marked for Meta {
    fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key)
    }
    fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key)
    }
}

/// The best name for whoever manages `meta`: a tool's `app.kubernetes.io/managed-by`
/// label, else the first field manager the API server recorded (who created it), else
/// the platform's `managed-by` label.
fn manager(meta: &ObjectMeta) -> String {
    let label = |key: &str| meta.labels.as_ref().and_then(|l| l.get(key)).cloned();
    label(MARK_LABEL)
        .or_else(|| {
            meta.managed_fields
                .iter()
                .flatten()
                .find_map(|f| f.manager.clone())
        })
        .or_else(|| label(LABEL_MANAGED_BY))
        .unwrap_or_else(|| "unknown: it has no storectl mark".to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;

    use super::*;
    use crate::domain::config::{Isolation, defaults};
    use crate::domain::name::StoreName;

    fn layout(isolation: Isolation) -> StoreLayout {
        let mut config = defaults().unwrap_or_else(|e| panic!("{e}"));
        config.stores.isolation = isolation;
        let name = StoreName::parse("shop", "store-").unwrap_or_else(|e| panic!("{e}"));
        StoreLayout::new(&name, &config)
    }

    fn meta(namespace: &str, labels: &[(&str, &str)], annotation: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            name: Some("shop-mysql".into()),
            namespace: Some(namespace.into()),
            labels: Some(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            annotations: annotation
                .map(|s| BTreeMap::from([(STORE_ANNOTATION.to_string(), s.to_string())])),
            ..ObjectMeta::default()
        }
    }

    const SEED: [(&str, &str); 2] = [("app", "shop"), ("managed-by", "ecommerce-platform")];
    const MARKED: [(&str, &str); 3] = [
        ("app", "shop"),
        ("managed-by", "ecommerce-platform"),
        (MARK_LABEL, MARK_VALUE),
    ];

    #[test]
    fn marked_objects_of_this_store_are_storectls() {
        let per_store = layout(Isolation::Namespace);
        let m = meta("store-shop", &MARKED, Some("shop"));
        assert_eq!(owner(&m, &per_store, true), Owner::Storectl);
        // Made by a storectl before the annotation existed.
        assert_eq!(
            owner(&meta("store-shop", &MARKED, None), &per_store, false),
            Owner::Storectl
        );
    }

    #[test]
    fn another_stores_mark_is_foreign() {
        let per_store = layout(Isolation::Namespace);
        let m = meta("store-shop", &MARKED, Some("shop-two"));
        assert_eq!(
            owner(&m, &per_store, true),
            Owner::Foreign("storectl, for store 'shop-two'".into())
        );
    }

    #[test]
    fn the_original_layout_is_adoptable_only_in_the_shared_namespace_under_a_known_name() {
        let shared = layout(Isolation::Shared);
        let m = meta("ecommerce-stores", &SEED, None);
        assert_eq!(owner(&m, &shared, true), Owner::OriginalPlatform);
        assert!(!owner(&m, &shared, false).is_ours(), "unknown name");
        let elsewhere = meta("monitoring", &SEED, None);
        assert!(
            !owner(&elsewhere, &shared, true).is_ours(),
            "other namespace"
        );
        let per_store = layout(Isolation::Namespace);
        assert!(
            !owner(&meta("store-shop", &SEED, None), &per_store, true).is_ours(),
            "a per-store namespace is never the original platform's"
        );
    }

    #[test]
    fn only_storectls_mark_for_the_store_marks_it() {
        assert!(marked_for(
            &meta("store-shop", &MARKED, Some("shop")),
            "shop"
        ));
        assert!(marked_for(&meta("store-shop", &MARKED, None), "shop"));
        assert!(!marked_for(
            &meta("store-shop", &MARKED, Some("two")),
            "shop"
        ));
        assert!(!marked_for(
            &meta("store-shop", &SEED, Some("shop")),
            "shop"
        ));
        assert!(!marked_for(&meta("store-shop", &MARKED, None), "two"));
    }

    #[test]
    fn an_unmarked_object_names_its_manager() {
        let per_store = layout(Isolation::Namespace);
        let mut m = meta("store-shop", &[("team", "payments")], None);
        assert_eq!(
            owner(&m, &per_store, true),
            Owner::Foreign("unknown: it has no storectl mark".into())
        );
        m.managed_fields = Some(vec![ManagedFieldsEntry {
            manager: Some("kubectl-create".into()),
            ..ManagedFieldsEntry::default()
        }]);
        assert_eq!(
            owner(&m, &per_store, true),
            Owner::Foreign("kubectl-create".into())
        );
        let helm = meta("store-shop", &[(MARK_LABEL, "Helm"), ("app", "shop")], None);
        assert_eq!(
            owner(&helm, &per_store, true),
            Owner::Foreign("Helm".into())
        );
    }
}
