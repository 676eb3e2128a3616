//! Kubernetes Events about a store's objects: Warnings first, then newest first.

use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::api::ListParams;

use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::is_store_object;

/// One event, flattened for display.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoreEvent {
    pub last_seen: Option<String>,
    #[serde(rename = "type")]
    pub type_: String,
    pub reason: String,
    pub object: String,
    pub message: String,
    pub count: i32,
}

/// Events of the store: everything in its own namespace, or in the shared namespace those
/// about its objects (`own`: their names) and the pods and ReplicaSets made for them.
pub async fn for_store(
    conn: &Connection,
    store: &StoreObjects,
    own: &[String],
) -> Result<Vec<StoreEvent>, ClusterError> {
    let api: Api<Event> = Api::namespaced(conn.client.clone(), &store.namespace_name);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(conn.error("listing events"))?;
    let mut events: Vec<StoreEvent> = list
        .items
        .into_iter()
        .filter(|e| {
            store.namespace.is_some()
                || e.involved_object
                    .name
                    .as_deref()
                    .is_some_and(|n| is_store_object(&store.name, n, own))
        })
        .map(|e| StoreEvent {
            last_seen: e
                .last_timestamp
                .map(|t| t.0)
                .or(e.event_time.map(|t| t.0))
                .or(e.metadata.creation_timestamp.map(|t| t.0))
                .map(|t| t.to_string()),
            type_: e.type_.unwrap_or_default(),
            reason: e.reason.unwrap_or_default(),
            object: format!(
                "{}/{}",
                e.involved_object.kind.unwrap_or_default().to_lowercase(),
                e.involved_object.name.unwrap_or_default()
            ),
            message: e.message.unwrap_or_default().trim().to_string(),
            count: e.count.unwrap_or(1),
        })
        .collect();
    sort(&mut events);
    Ok(events)
}

/// Warnings first; within each type, newest first.
pub fn sort(events: &mut [StoreEvent]) {
    events.sort_by(|a, b| {
        let warn = |e: &StoreEvent| e.type_ != "Warning";
        warn(a)
            .cmp(&warn(b))
            .then_with(|| b.last_seen.cmp(&a.last_seen))
    });
}
