//! Kubernetes Events the simulated scheduler and kubelet record, so that `storectl events`
//! and `kubectl describe` show what a real cluster would: Scheduled, Started, Failed, BackOff.

use k8s_openapi::api::core::v1::{
    ContainerStatus, Event, EventSource, ObjectReference, Pod, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::{Api, Client};

use super::node::NODE_NAME;

/// (type, reason, message) for each container whose state changed between two statuses.
pub fn transitions(
    old: Option<&PodStatus>,
    new: &PodStatus,
) -> Vec<(&'static str, &'static str, String)> {
    let before = |name: &str| -> Option<ContainerStatus> {
        old?.container_statuses
            .iter()
            .chain(old?.init_container_statuses.iter())
            .flatten()
            .find(|c| c.name == name)
            .cloned()
    };
    let mut out = Vec::new();
    for c in new
        .init_container_statuses
        .iter()
        .chain(new.container_statuses.iter())
        .flatten()
    {
        let prev = before(&c.name);
        let reason = |s: &ContainerStatus| {
            s.state
                .as_ref()
                .and_then(|st| st.waiting.as_ref())
                .and_then(|w| w.reason.clone())
        };
        let running = |s: &ContainerStatus| s.state.as_ref().is_some_and(|st| st.running.is_some());
        let now_reason = reason(c);
        if now_reason.is_some() && now_reason != prev.as_ref().and_then(reason) {
            let message = c
                .state
                .as_ref()
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.message.clone())
                .unwrap_or_default();
            match now_reason.as_deref() {
                Some("ErrImagePull" | "InvalidImageName" | "CreateContainerConfigError") => {
                    out.push(("Warning", "Failed", format!("Error: {message}")));
                }
                Some("ImagePullBackOff" | "CrashLoopBackOff") => {
                    out.push(("Warning", "BackOff", message))
                }
                _ => {}
            }
        }
        if running(c) && !prev.as_ref().is_some_and(running) {
            out.push(("Normal", "Started", format!("Started container {}", c.name)));
        }
    }
    out
}

/// Records one event about `pod`; failures are logged, never fatal.
pub async fn record(client: &Client, pod: &Pod, type_: &str, reason: &str, message: String) {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let now = Timestamp::now();
    let event = Event {
        metadata: ObjectMeta {
            name: Some(format!("{name}.{:x}", now.as_nanosecond())),
            namespace: Some(namespace.clone()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some("v1".to_string()),
            kind: Some("Pod".to_string()),
            name: Some(name),
            namespace: Some(namespace.clone()),
            uid: pod.metadata.uid.clone(),
            ..ObjectReference::default()
        },
        type_: Some(type_.to_string()),
        reason: Some(reason.to_string()),
        message: Some(message),
        source: Some(EventSource {
            component: Some(
                if reason == "Scheduled" {
                    "default-scheduler"
                } else {
                    "kubelet"
                }
                .to_string(),
            ),
            host: Some(NODE_NAME.to_string()),
        }),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        count: Some(1),
        reporting_component: Some("storectl-node-simulator".to_string()),
        ..Event::default()
    };
    let events: Api<Event> = Api::namespaced(client.clone(), &namespace);
    if let Err(e) = events.create(&PostParams::default(), &event).await {
        tracing::debug!("recording event {reason}: {e}");
    }
}
