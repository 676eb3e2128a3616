//! Kubernetes Events about a store's objects: Warnings first, then newest first.

use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::api::ListParams;

use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::is_store_object;
use crate::domain::text::one_line as line;

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
        .map(flatten)
        .collect();
    sort(&mut events);
    Ok(events)
}

/// One event as shown: every text field made printable, since anyone who may create
/// events in the namespace chooses them (an escape sequence could otherwise retitle the
/// operator's terminal or set its clipboard).
fn flatten(e: Event) -> StoreEvent {
    StoreEvent {
        last_seen: e
            .last_timestamp
            .map(|t| t.0)
            .or(e.event_time.map(|t| t.0))
            .or(e.metadata.creation_timestamp.map(|t| t.0))
            .map(|t| t.to_string()),
        type_: line(&e.type_.unwrap_or_default()),
        reason: line(&e.reason.unwrap_or_default()),
        object: line(&format!(
            "{}/{}",
            e.involved_object.kind.unwrap_or_default().to_lowercase(),
            e.involved_object.name.unwrap_or_default()
        )),
        message: line(e.message.unwrap_or_default().trim()),
        count: e.count.unwrap_or(1),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_in_an_event_are_shown_not_obeyed() {
        let event: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "shop.1", "namespace": "store-shop"},
            "involvedObject": {"kind": "Pod", "name": "shop-wordpress-1\x1b[2J"},
            "type": "Warning\x1b[31m",
            "reason": "Evil\x1b]0;owned\x07",
            "message": "copy\x1b]52;c;cm0gLXJmIH4=\x07 this\nnext line\r\n",
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let shown = flatten(event);
        assert_eq!(shown.reason, "Evil^[]0;owned^G");
        assert_eq!(shown.message, "copy^[]52;c;cm0gLXJmIH4=^G this next line");
        assert_eq!(shown.type_, "Warning^[[31m");
        assert_eq!(shown.object, "pod/shop-wordpress-1^[[2J");
    }
}
