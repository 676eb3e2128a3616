//! LISTs and WATCHes answered in protobuf rather than JSON. Most of a watched object is what storectl
//! never reads (specs, managed fields), and encoding it as JSON is most of the API
//! server's work for a LIST: protobuf is 2-3 times cheaper for the server to send and
//! smaller on the wire (docs/performance.md), and storectl's reader skips the unread
//! fields by their length (`domain::watched::wire`). A body is the `k8s\0` magic and a
//! `runtime.Unknown` whose `raw` is the list; an error is a `metav1.Status` the same way.
//! JSON is accepted second, as client-go asks, for a server or proxy that has no protobuf.

mod list;

use http::header::{ACCEPT, HeaderValue};
use http_body_util::BodyExt;
use kube::api::WatchParams;
use kube::core::Request;

use super::connect::Connection;
use super::error::ClusterError;
use super::slim::SlimKind;
use crate::domain::watched::wire::{Value, WireError, entry, fields, text};

const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
const PROTOBUF_OR_JSON: &str = "application/vnd.kubernetes.protobuf, application/json";
const PROTOBUF_WATCH: &str = "application/vnd.kubernetes.protobuf;stream=watch";
const MAGIC: &[u8] = b"k8s\0";
/// The annotation of the bookmark that ends a first list streamed as watch events.
const INITIAL_EVENTS_END: &str = "k8s.io/initial-events-end";

pub use list::{Reading, list_all, list_with};

/// Sends `request` (as kube builds it) asking for `accept`; a refusal is the error.
async fn sent(
    conn: &Connection,
    request: Result<http::Request<Vec<u8>>, kube::core::request::Error>,
    accept: &'static str,
    action: &str,
) -> Result<http::Response<kube::client::Body>, ClusterError> {
    let fail = conn.error(action);
    let mut request = request.map_err(|e| fail(kube::Error::BuildRequest(e)))?;
    request
        .headers_mut()
        .insert(ACCEPT, HeaderValue::from_static(accept));
    let response = conn
        .client
        .send(request.map(Into::into))
        .await
        .map_err(&fail)?;
    let code = response.status();
    if code.is_success() {
        return Ok(response);
    }
    let body = response.into_body().collect_bytes().await.map_err(&fail)?;
    Err(fail(kube::Error::Api(
        refusal(code.as_u16(), &body).boxed(),
    )))
}

/// The message inside the `k8s\0` + `runtime.Unknown` envelope (its `raw`, 2).
pub fn unwrap(body: &[u8]) -> Result<&[u8], WireError> {
    let unknown = body
        .strip_prefix(MAGIC)
        .ok_or(WireError("no k8s protobuf magic"))?;
    let mut raw: &[u8] = &[];
    for field in fields(unknown) {
        match field? {
            (2, Value::Bytes(b)) => raw = b,
            (3, Value::Bytes(encoding)) if !encoding.is_empty() => {
                return Err(WireError("an encoded (compressed) object"));
            }
            _ => {}
        }
    }
    Ok(raw)
}

/// The API server's refusal of a request answered `code`: the `metav1.Status` it sent,
/// else the body's text.
fn refusal(code: u16, body: &[u8]) -> kube::core::Status {
    match unwrap(body).ok().and_then(status) {
        Some(status) => status.with_code(code),
        None => {
            let text = String::from_utf8_lossy(body);
            kube::core::Status::failure(text.trim(), "").with_code(code)
        }
    }
}

/// A `metav1.Status`: message 3, reason 4, code 6.
fn status(message: &[u8]) -> Option<kube::core::Status> {
    let (mut text_of, mut reason, mut code) = (String::new(), String::new(), 0);
    for field in fields(message) {
        match field.ok()? {
            (3, Value::Bytes(b)) => text_of = text(b).ok()?.to_string(),
            (4, Value::Bytes(b)) => reason = text(b).ok()?.to_string(),
            (6, Value::Varint(v)) => code = u16::try_from(v).unwrap_or_default(),
            _ => {}
        }
    }
    Some(kube::core::Status::failure(&text_of, &reason).with_code(code))
}

/// What a watch says happened.
#[derive(Debug)]
pub enum Change<K> {
    Added(K),
    Modified(K),
    Deleted(K),
    /// The server's resource version here; `initial_events_end` ends a first list
    /// streamed as events (watch-list).
    Bookmark {
        version: String,
        initial_events_end: bool,
    },
    /// The server ended the watch with this status (410: the version is too old).
    Failed(Box<kube::core::Status>),
}

/// A WATCH being answered: frames of a 4-byte big-endian length and a
/// `metav1.WatchEvent` (type 1; object 2, a `RawExtension` whose `raw`, 1, is an
/// enveloped object).
pub struct Watch {
    body: kube::client::Body,
    buffer: Vec<u8>,
    action: String,
}

/// Starts the watch of `url_path` that `params` and `version` ask for.
pub async fn watch(
    conn: &Connection,
    url_path: &str,
    params: &WatchParams,
    version: &str,
    action: &str,
) -> Result<Watch, ClusterError> {
    let request = Request::new(url_path).watch(params, version);
    let response = sent(conn, request, PROTOBUF_WATCH, action).await?;
    Ok(Watch {
        body: response.into_body(),
        buffer: Vec::new(),
        action: action.to_string(),
    })
}

impl Watch {
    /// The next change, or None when the server ended the watch (its timeout).
    pub async fn next<K: SlimKind>(&mut self) -> Result<Option<Change<K>>, ClusterError> {
        loop {
            if let Some(len) = self.framed() {
                let change = change(&self.buffer[4..4 + len]);
                self.buffer.drain(..4 + len);
                return change.map(Some).map_err(|e| ClusterError::Other {
                    action: self.action.clone(),
                    detail: e.to_string(),
                });
            }
            let Some(frame) = self.body.frame().await else {
                return Ok(None);
            };
            let frame = frame.map_err(|e| ClusterError::Other {
                action: self.action.clone(),
                detail: super::error::root_cause(&e),
            })?;
            if let Ok(data) = frame.into_data() {
                self.buffer.extend_from_slice(&data);
            }
        }
    }

    /// The length of the frame at the buffer's start, once all of it is there.
    fn framed(&self) -> Option<usize> {
        let len = self
            .buffer
            .first_chunk::<4>()
            .map(|l| u32::from_be_bytes(*l))?;
        let len = usize::try_from(len).ok()?;
        (self.buffer.len() >= 4 + len).then_some(len)
    }
}

fn change<K: SlimKind>(event: &[u8]) -> Result<Change<K>, WireError> {
    let (mut kind, mut raw): (&str, &[u8]) = ("", &[]);
    for field in fields(event) {
        match field? {
            (1, Value::Bytes(b)) => kind = text(b)?,
            (2, Value::Bytes(extension)) => {
                for field in fields(extension) {
                    if let (1, Value::Bytes(b)) = field? {
                        raw = b;
                    }
                }
            }
            _ => {}
        }
    }
    let object = unwrap(raw)?;
    Ok(match kind {
        "ADDED" => Change::Added(K::from_protobuf(object)?),
        "MODIFIED" => Change::Modified(K::from_protobuf(object)?),
        "DELETED" => Change::Deleted(K::from_protobuf(object)?),
        "BOOKMARK" => bookmark(object)?,
        "ERROR" => Change::Failed(
            status(object)
                .ok_or(WireError("an unreadable status"))?
                .boxed(),
        ),
        _ => return Err(WireError("an unknown watch event type")),
    })
}

/// A bookmark's object: only its metadata (1) is set, its resource version (6) and the
/// annotations (12) that may mark the end of the initial events.
fn bookmark<K>(object: &[u8]) -> Result<Change<K>, WireError> {
    let (mut version, mut initial_events_end) = (String::new(), false);
    for field in fields(object) {
        let (1, Value::Bytes(meta)) = field? else {
            continue;
        };
        for field in fields(meta) {
            match field? {
                (6, Value::Bytes(b)) => version = text(b)?.to_string(),
                (12, Value::Bytes(b)) => {
                    initial_events_end |= entry(b)? == (INITIAL_EVENTS_END, &b"true"[..]);
                }
                _ => {}
            }
        }
    }
    Ok(Change::Bookmark {
        version,
        initial_events_end,
    })
}

#[cfg(test)]
mod tests;
