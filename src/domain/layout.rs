//! Where a store's objects live and what they are called and labelled: the naming and
//! labelling scheme of the original platform, plus the recommended app.kubernetes.io labels.

use std::collections::BTreeMap;

use super::config::{Config, Isolation};
use super::name::StoreName;
use crate::domain::labels::{
    LABEL_APP, LABEL_COMPONENT, LABEL_MANAGED_BY, MANAGED_BY, MARK_LABEL, MARK_VALUE, PART_OF,
    STORE_ANNOTATION, STORE_SELECTOR,
};

/// The middle part of a database upgrade Job's name (`<store>-db-upgrade-<revision>`).
pub const DATABASE_UPGRADE: &str = "db-upgrade";

/// Label selector text for everything of the store `name`, in any namespace.
pub fn selector_for(name: &StoreName) -> String {
    format!("{LABEL_APP}={name},{STORE_SELECTOR}")
}

/// The alphabet Kubernetes draws generated name suffixes from (pod-template hashes and
/// `generateName` suffixes): no vowels, so no word is ever mistaken for one.
const GENERATED: &str = "bcdfghjklmnpqrstvwxz2456789";

/// Whether `object` names one of `store`'s objects: one of its own (`own`, e.g. from
/// `manifests::references`), or a ReplicaSet or pod its Deployments and Job generate
/// (`<store>-<component>-<hash>[-<suffix>]`). Store `shop` does not claim `shop-two`'s.
pub fn is_store_object(store: &str, object: &str, own: &[String]) -> bool {
    if own.iter().any(|o| o == object) {
        return true;
    }
    let generated = |part: &str| !part.is_empty() && part.chars().all(|c| GENERATED.contains(c));
    // Backup, restore and forget Jobs (`<store>-backup-<id>`, ids `YYYYMMDD-HHMMSS`, or a
    // schedule's `<store>-backup-<minutes>`) and their pods.
    for kind in ["backup", "restore", "forget"] {
        if let Some(rest) = object
            .strip_prefix(store)
            .and_then(|r| r.strip_prefix('-'))
            .and_then(|r| r.strip_prefix(kind))
            .and_then(|r| r.strip_prefix('-'))
        {
            let parts: Vec<&str> = rest.split('-').collect();
            let id = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
            let ok = match parts.as_slice() {
                [a] => id(a),
                [a, b] => id(a) && (id(b) || generated(b)),
                [a, b, c] => id(a) && id(b) && generated(c),
                _ => false,
            };
            if ok {
                return true;
            }
        }
    }
    Component::ALL.into_iter().any(|c| {
        let Some(rest) = object
            .strip_prefix(store)
            .and_then(|r| r.strip_prefix('-'))
            .and_then(|r| r.strip_prefix(c.as_str()))
            .and_then(|r| r.strip_prefix('-'))
        else {
            return false;
        };
        let parts: Vec<&str> = rest.split('-').collect();
        (1..=2).contains(&parts.len()) && parts.iter().all(|p| generated(p))
    })
}

/// The parts of a store that run something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    WordPress,
    MySql,
    Setup,
    /// The backup and restore Jobs.
    Backup,
}

impl Component {
    pub const ALL: [Component; 4] = [
        Component::WordPress,
        Component::MySql,
        Component::Setup,
        Component::Backup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::WordPress => "wordpress",
            Self::MySql => "mysql",
            Self::Setup => "setup",
            Self::Backup => "backup",
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

    /// The layout of a store found in `namespace` on the cluster, wherever the current
    /// configuration would put a new one: any namespace but the shared one is its own.
    pub fn found(store: &StoreName, namespace: &str, config: &Config) -> Self {
        Self {
            store: store.clone(),
            namespace: namespace.to_string(),
            owns_namespace: namespace != config.stores.shared_namespace,
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

    /// The Job that upgrades the database to revision `revision`'s images.
    pub fn database_upgrade_job(&self, revision: u32) -> String {
        format!("{}-{DATABASE_UPGRADE}-{revision}", self.store)
    }

    /// The Job that backs the store up as backup `id`.
    pub fn backup_job(&self, id: &str) -> String {
        format!("{}-backup-{id}", self.store)
    }

    /// The Job that restores a backup into the store, started at `at` (a backup-style id).
    pub fn restore_job(&self, at: &str) -> String {
        format!("{}-restore-{at}", self.store)
    }

    /// The Job that removes every backup of the store from the target.
    pub fn forget_job(&self, at: &str) -> String {
        format!("{}-forget-{at}", self.store)
    }

    /// The CronJob of scheduled backups.
    pub fn backup_schedule(&self) -> String {
        format!("{}-backup", self.store)
    }

    /// The copy, in the store's namespace, of the backup target's credentials.
    pub fn backup_credentials(&self) -> String {
        format!("{}-backup-target", self.store)
    }

    /// The store's own copy of the SMTP password (`mail.smtp.passwordSecret`).
    pub fn mail_secret(&self) -> String {
        format!("{}-mail", self.store)
    }

    /// The prefix of a `storectl mail-test` Job's name (the server adds a suffix).
    pub fn mail_test_job_prefix(&self) -> String {
        format!("{}-mail-test-", self.store)
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
            (MARK_LABEL.to_string(), MARK_VALUE.to_string()),
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

    /// Annotations of every object storectl makes for the store: its mark, naming the store.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(STORE_ANNOTATION.to_string(), self.store.to_string())])
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
        selector_for(&self.store)
    }
}

#[cfg(test)]
mod tests {
    use super::is_store_object;

    #[test]
    fn generated_children_belong_to_their_store_only() {
        let own = ["shop-mysql".to_string(), "shop-mysql-pvc".to_string()];
        for ours in [
            "shop-mysql",
            "shop-mysql-pvc",
            "shop-wordpress-7d9f8b6c5",
            "shop-wordpress-7d9f8b6c5-x2k4p",
            "shop-setup-q8v2z",
            "shop-backup-20261126-101500",
            "shop-backup-20261126-101500-x2k4p",
            "shop-backup-29400000",
            "shop-restore-20261126-111500-q8v2z",
        ] {
            assert!(is_store_object("shop", ours, &own), "{ours}");
        }
        for theirs in [
            "shop-two-mysql",
            "shop-two-wordpress-7d9f8b6c5-x2k4p",
            "shop-mysql-wordpress-7d9f8b6c5-x2k4p",
            "shop-mysql-mysql",
            "shopping-mysql-7d9f8b6c5",
            "shop-two-backup-20261126-101500",
            "shop-backup-today",
        ] {
            assert!(!is_store_object("shop", theirs, &own), "{theirs}");
        }
    }
}
