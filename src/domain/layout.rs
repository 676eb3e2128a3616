//! Where a store's objects live and what they are called and labelled: the naming and
//! labelling scheme of the original platform, plus the recommended app.kubernetes.io labels.

use std::collections::BTreeMap;

use super::config::{Config, Isolation};
use super::name::StoreName;

/// The original platform's label keys and value, kept so its stores stay manageable.
pub const LABEL_APP: &str = "app";
pub const LABEL_COMPONENT: &str = "component";
pub const LABEL_MANAGED_BY: &str = "managed-by";
pub const MANAGED_BY: &str = "ecommerce-platform";
pub const PART_OF: &str = "ecommerce-platform";
/// Selects every object of every store (what watches and lists use).
pub const STORE_SELECTOR: &str = "managed-by=ecommerce-platform";

/// The parts of a store that run something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    WordPress,
    MySql,
    Setup,
}

impl Component {
    pub const ALL: [Component; 3] = [Component::WordPress, Component::MySql, Component::Setup];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::WordPress => "wordpress",
            Self::MySql => "mysql",
            Self::Setup => "setup",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Every derived name of one store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreLayout {
    pub store: StoreName,
    pub namespace: String,
    /// True when the namespace belongs to this store alone (and is deleted with it).
    pub owns_namespace: bool,
    pub host: String,
}

impl StoreLayout {
    pub fn new(store: &StoreName, config: &Config) -> Self {
        let (namespace, owns_namespace) = match config.stores.isolation {
            Isolation::Namespace => (format!("{}{}", config.stores.namespace_prefix, store), true),
            Isolation::Shared => (config.stores.shared_namespace.clone(), false),
        };
        Self {
            store: store.clone(),
            namespace,
            owns_namespace,
            host: format!("{}.{}", store, config.global.domain),
        }
    }

    pub fn name(&self) -> &str {
        self.store.as_str()
    }

    /// Deployment, Service and Job name: `<store>-<component>`.
    pub fn workload(&self, c: Component) -> String {
        format!("{}-{}", self.store, c.as_str())
    }

    /// PVC name: `<store>-<component>-pvc`.
    pub fn pvc(&self, c: Component) -> String {
        format!("{}-{}-pvc", self.store, c.as_str())
    }

    pub fn ingress(&self) -> String {
        format!("{}-ingress", self.store)
    }

    pub fn secret(&self) -> String {
        format!("{}-credentials", self.store)
    }

    pub fn tls_secret(&self) -> String {
        format!("{}-tls", self.store)
    }

    pub fn quota(&self) -> String {
        format!("{}-quota", self.store)
    }

    pub fn limit_range(&self) -> String {
        format!("{}-limits", self.store)
    }

    /// Name of one of the store's NetworkPolicies.
    pub fn policy(&self, purpose: &str) -> String {
        format!("{}-{purpose}", self.store)
    }

    /// Labels of an object; `component` is left off store-wide objects (namespace,
    /// secret, quota, policies) that belong to no single component.
    pub fn labels(&self, component: Option<Component>) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::from([
            (LABEL_APP.to_string(), self.store.to_string()),
            (LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
            (
                "app.kubernetes.io/instance".to_string(),
                self.store.to_string(),
            ),
            (
                "app.kubernetes.io/managed-by".to_string(),
                "storectl".to_string(),
            ),
            ("app.kubernetes.io/part-of".to_string(), PART_OF.to_string()),
        ]);
        if let Some(c) = component {
            labels.insert(LABEL_COMPONENT.to_string(), c.as_str().to_string());
            labels.insert(
                "app.kubernetes.io/component".to_string(),
                c.as_str().to_string(),
            );
            labels.insert("app.kubernetes.io/name".to_string(), c.as_str().to_string());
        }
        labels
    }

    /// The labels a Deployment selects its pods by (the original platform's two).
    pub fn selector(&self, c: Component) -> BTreeMap<String, String> {
        BTreeMap::from([
            (LABEL_APP.to_string(), self.store.to_string()),
            (LABEL_COMPONENT.to_string(), c.as_str().to_string()),
        ])
    }

    /// Label selector text for everything of this store.
    pub fn store_selector(&self) -> String {
        format!("{LABEL_APP}={},{STORE_SELECTOR}", self.store)
    }
}
