//! Who may write in a store's namespace: RoleBinding `storectl-store-writer`, the first
//! object after the namespace, binding ClusterRole `storectl-store-writer`
//! (assets/rbac.yaml) to storectl's principals (`platform.writers`). storectl's
//! cluster-wide role may only read, create namespaces and make this binding; every write
//! inside a store goes through it (docs/security.md).

use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};

use super::meta;
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;

/// Name of the RoleBinding and of the ClusterRole it binds.
pub const STORE_WRITER: &str = "storectl-store-writer";

pub fn writer_binding(layout: &StoreLayout, config: &Config) -> RoleBinding {
    let writers = &config.platform.writers;
    let groups = writers.groups.iter().map(|group| Subject {
        api_group: Some("rbac.authorization.k8s.io".to_string()),
        kind: "Group".to_string(),
        name: group.clone(),
        namespace: None,
    });
    let accounts = writers.service_accounts.iter().filter_map(|account| {
        let (namespace, name) = account.split_once('/')?;
        Some(Subject {
            api_group: None,
            kind: "ServiceAccount".to_string(),
            name: name.to_string(),
            namespace: Some(namespace.to_string()),
        })
    });
    RoleBinding {
        metadata: meta(layout, STORE_WRITER.to_string(), None),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".to_string(),
            kind: "ClusterRole".to_string(),
            name: STORE_WRITER.to_string(),
        },
        subjects: Some(groups.chain(accounts).collect()),
    }
}
