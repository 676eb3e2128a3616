//! Who did what: every change to a store (through the CLI, the TUI or `storectl serve`)
//! leaves a Kubernetes Event naming the acting identity (`Connection::actor`), about the
//! store's WordPress Deployment. It goes into the store's namespace, or, for a deletion
//! (the store's namespace goes with it), into the platform namespace. Recording never
//! fails the change itself: a refused or failed Event is a warning in the log.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Event, EventSource, Namespace, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;

use super::connect::Connection;
use crate::domain::labels::{MARK_LABEL, MARK_VALUE, PART_OF};
use crate::domain::layout::{Component, StoreLayout};

/// The component named as the reporter of every Event storectl records.
pub const REPORTER: &str = "storectl";

/// What was done to the store: the Event's reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    /// An upgrade or a rollback: a new revision applied.
    Upgraded,
    Paused,
    Resumed,
    BackupStarted,
    RestoreStarted,
    Cloned,
    BackupsForgotten,
    Deleted,
}

impl Change {
    pub fn reason(self) -> &'static str {
        match self {
            Self::Created => "StoreCreated",
            Self::Upgraded => "StoreUpgraded",
            Self::Paused => "StorePaused",
            Self::Resumed => "StoreResumed",
            Self::BackupStarted => "BackupStarted",
            Self::RestoreStarted => "RestoreStarted",
            Self::Cloned => "StoreCloned",
            Self::BackupsForgotten => "BackupsForgotten",
            Self::Deleted => "StoreDeleted",
        }
    }

    /// The Event's `action` (what the reporter did).
    fn action(self) -> &'static str {
        match self {
            Self::Created => "Create",
            Self::Upgraded => "Upgrade",
            Self::Paused => "Pause",
            Self::Resumed => "Resume",
            Self::BackupStarted => "Backup",
            Self::RestoreStarted => "Restore",
            Self::Cloned => "Clone",
            Self::BackupsForgotten => "Forget",
            Self::Deleted => "Delete",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Upgraded => "upgraded",
            Self::Paused => "paused",
            Self::Resumed => "resumed",
            Self::BackupStarted => "started a backup of",
            Self::RestoreStarted => "started a restore of",
            Self::Cloned => "cloned into",
            Self::BackupsForgotten => "removed every backup of",
            Self::Deleted => "deleted",
        }
    }
}

/// The Event recording that the connection's actor made `change` to the store of
/// `layout`, in `namespace`; `detail` follows the sentence (e.g. ": backup 2026...").
pub fn event(
    layout: &StoreLayout,
    namespace: &str,
    change: Change,
    actor: &str,
    detail: &str,
) -> Event {
    let now = Timestamp::now();
    let store = layout.name();
    Event {
        metadata: ObjectMeta {
            generate_name: Some(format!("{store}.")),
            namespace: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some("apps/v1".to_string()),
            kind: Some("Deployment".to_string()),
            name: Some(layout.workload(Component::WordPress)),
            namespace: Some(layout.namespace.clone()),
            ..ObjectReference::default()
        },
        reason: Some(change.reason().to_string()),
        action: Some(change.action().to_string()),
        message: Some(format!("{actor} {} store {store}{detail}", change.verb())),
        type_: Some("Normal".to_string()),
        event_time: Some(MicroTime(now)),
        reporting_component: Some(REPORTER.to_string()),
        reporting_instance: Some(format!("{REPORTER}-{}", env!("CARGO_PKG_VERSION"))),
        source: Some(EventSource {
            component: Some(REPORTER.to_string()),
            host: None,
        }),
        ..Event::default()
    }
}

/// Records `change` to the store of `layout` in its namespace, naming who acts.
pub async fn record(conn: &Connection, layout: &StoreLayout, change: Change, detail: &str) {
    record_in(conn, &layout.namespace, layout, change, detail).await;
}

/// Records `change` in the platform namespace `platform` (made if it is absent, as the
/// backup target's set-up does): for what outlives the store's namespace.
pub async fn record_in_platform(
    conn: &Connection,
    platform: &str,
    layout: &StoreLayout,
    change: Change,
    detail: &str,
) {
    let namespaces: Api<Namespace> = Api::all(conn.client.clone());
    if let Ok(None) = namespaces.get_metadata_opt(platform).await {
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(platform.to_string()),
                labels: Some(BTreeMap::from([
                    (MARK_LABEL.to_string(), MARK_VALUE.to_string()),
                    ("app.kubernetes.io/part-of".to_string(), PART_OF.to_string()),
                ])),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        if let Err(e) = namespaces.create(&PostParams::default(), &ns).await {
            tracing::debug!("creating the platform namespace {platform} for an event: {e}");
        }
    }
    record_in(conn, platform, layout, change, detail).await;
}

async fn record_in(
    conn: &Connection,
    namespace: &str,
    layout: &StoreLayout,
    change: Change,
    detail: &str,
) {
    let event = event(layout, namespace, change, conn.actor().await, detail);
    let api: Api<Event> = Api::namespaced(conn.client.clone(), namespace);
    if let Err(e) = api.create(&PostParams::default(), &event).await {
        tracing::warn!(
            "could not record event {} of store {} in namespace {namespace}: {e}",
            change.reason(),
            layout.name()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::config::defaults;
    use crate::domain::name::StoreName;

    #[test]
    fn an_event_names_the_actor_the_change_and_the_store() {
        let config = defaults().unwrap_or_else(|e| panic!("{e}"));
        let name = StoreName::parse("shop", "store-").unwrap_or_else(|e| panic!("{e}"));
        let layout = StoreLayout::new(&name, &config);
        let e = event(
            &layout,
            "ecommerce-platform",
            Change::Deleted,
            "alice (through storectl serve)",
            "",
        );
        assert_eq!(e.reason.as_deref(), Some("StoreDeleted"));
        assert_eq!(
            e.message.as_deref(),
            Some("alice (through storectl serve) deleted store shop")
        );
        assert_eq!(e.metadata.namespace.as_deref(), Some("ecommerce-platform"));
        assert_eq!(e.involved_object.namespace.as_deref(), Some("store-shop"));
        assert_eq!(e.involved_object.name.as_deref(), Some("shop-wordpress"));
        let started = event(&layout, "store-shop", Change::BackupStarted, "bob", ": 1");
        assert_eq!(
            started.message.as_deref(),
            Some("bob started a backup of store shop: 1")
        );
    }
}
