//! Pod logs of a store component, streamed from the API server.

use futures::{AsyncBufReadExt, Stream, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, LogParams};

use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::labels::{LABEL_APP, LABEL_COMPONENT};
use crate::domain::layout::Component;
use crate::domain::text::printable;

#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    pub tail_lines: Option<i64>,
    /// Resume after this RFC 3339 time (for reconnects without duplicates).
    pub since_time: Option<k8s_openapi::jiff::Timestamp>,
}

/// The newest pod of `component` in the store, if any.
pub async fn newest_pod(
    conn: &Connection,
    namespace: &str,
    store: &str,
    component: Component,
) -> Result<Option<Pod>, ClusterError> {
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), namespace);
    let selector = format!(
        "{LABEL_APP}={store},{LABEL_COMPONENT}={}",
        component.as_str()
    );
    let list = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(conn.error("listing the store's pods"))?;
    Ok(list
        .items
        .into_iter()
        .max_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0)))
}

/// Lines of the component's container in `pod`, decoded lossily and with control
/// characters neutralised (`domain::text::printable`).
pub async fn lines(
    conn: &Connection,
    pod: &Pod,
    component: Component,
    options: &LogOptions,
) -> Result<impl Stream<Item = Result<String, ClusterError>> + use<>, ClusterError> {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), &namespace);
    let params = LogParams {
        container: Some(component.as_str().to_string()),
        follow: options.follow,
        previous: options.previous,
        timestamps: options.timestamps,
        tail_lines: options.tail_lines,
        since_time: options.since_time,
        ..LogParams::default()
    };
    let action = format!("reading logs of pod {name}");
    let reader = pods
        .log_stream(&name, &params)
        .await
        .map_err(conn.error(&action))?;
    let endpoint = conn.endpoint.clone();
    // Lines as bytes: one line that is not UTF-8 must not end the stream.
    let lines = futures::stream::try_unfold(Box::pin(reader), |mut reader| async move {
        let mut line = Vec::new();
        let read = reader.read_until(b'\n', &mut line).await?;
        Ok::<_, std::io::Error>((read > 0).then(|| (printable(&line), reader)))
    });
    Ok(lines
        .map_err(move |e| ClusterError::Other {
            action: action.clone(),
            detail: format!("{e} (server {})", endpoint.server),
        })
        .boxed())
}
