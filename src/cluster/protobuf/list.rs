//! LISTs in protobuf, read as the body arrives: each item is decoded once all of its
//! bytes have come and dropped after, so a list of hundreds of MB (a kind's whole list
//! at 10,000 stores) is never held whole. A LIST is one answer, not pages: the API
//! server serves both readings from its watch cache (a consistent one once the cache
//! has caught up, Kubernetes 1.31+) and encodes the answer as it sends it (1.33+),
//! where pages after the first are read from etcd at the first one's version and,
//! through a field selector, cost seconds each at 10,000 stores. The body is the `k8s\0` magic
//! and a `runtime.Unknown` whose `raw` (2) is the `XList`: `ListMeta` at 1 (its resource
//! version at 2), the items at 2.

use http::header::CONTENT_TYPE;
use http_body_util::BodyExt;
use kube::Resource;
use kube::api::ListParams;
use kube::core::Request;

use super::{MAGIC, PROTOBUF, PROTOBUF_OR_JSON, sent};
use crate::cluster::connect::Connection;
use crate::cluster::error::{ClusterError, root_cause};
use crate::cluster::slim::SlimKind;
use crate::domain::watched::wire::{Value, WireError, fields, head, text};

/// Which state of the cluster a LIST reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The latest (a consistent read, as kubectl's).
    Latest,
    /// Whatever the API server's watch cache holds, in one answer (client-go's
    /// reflector's first list, `resourceVersion=0`): what a watch then brings up to
    /// date, at the least cost to the server.
    Cached,
}

/// Every object of kind `K` at `url_path` matching `selector` (and the kind's field
/// selector), read as `reading` says, each handed to `each` without the resource version
/// it arrived with; gives the list's resource version.
pub async fn list_all<K: SlimKind>(
    conn: &Connection,
    url_path: &str,
    selector: &str,
    reading: Reading,
    mut each: impl FnMut(K),
) -> Result<Option<String>, ClusterError> {
    let action = format!("listing {}", K::Api::plural(&()));
    let mut params = ListParams::default().labels(selector);
    if reading == Reading::Cached {
        params = params.match_any();
    }
    if let Some(fields) = K::FIELD_SELECTOR {
        params = params.fields(fields);
    }
    let mut each = |mut object: K| {
        object.meta_mut().resource_version = None;
        each(object);
    };
    list_with::<K>(conn, url_path, &params, &action, &mut each).await
}

/// The objects of `url_path` (a kind's collection, as `Resource::url_path` gives it) that
/// `params` asks for, each handed to `each` as it is read; gives the list's resource
/// version. `action` names the request in errors ("listing pods").
pub async fn list_with<K: SlimKind>(
    conn: &Connection,
    url_path: &str,
    params: &ListParams,
    action: &str,
    each: &mut impl FnMut(K),
) -> Result<Option<String>, ClusterError> {
    let fail = conn.error(action);
    let request = Request::new(url_path).list(params);
    let response = sent(conn, request, PROTOBUF_OR_JSON, action).await?;
    let protobuf = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(PROTOBUF.as_bytes()));
    let mut body = response.into_body();
    if !protobuf {
        let bytes = body.collect_bytes().await.map_err(&fail)?;
        let list: kube::core::ObjectList<K> =
            serde_json::from_slice(&bytes).map_err(|e| fail(kube::Error::SerdeError(e)))?;
        list.items.into_iter().for_each(each);
        return Ok(list.metadata.resource_version);
    }
    let failed = |detail: String| ClusterError::Other {
        action: action.to_string(),
        detail,
    };
    let mut reader = ListReader::default();
    let mut item = |bytes: &[u8]| K::from_protobuf(bytes).map(&mut *each);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| failed(root_cause(&e)))?;
        if let Ok(data) = frame.into_data() {
            reader
                .read(&data, &mut item)
                .map_err(|e| failed(e.to_string()))?;
        }
    }
    reader.finish().map_err(|e| failed(e.to_string()))
}

/// Where a `ListReader` is in the body.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Before the `k8s\0` magic.
    #[default]
    Magic,
    /// Among the `runtime.Unknown`'s fields.
    Envelope,
    /// Inside its `raw`, the list, with this many of its bytes still to come.
    List { left: usize },
}

/// A protobuf LIST body read chunk by chunk (see the module comment).
#[derive(Debug, Default)]
struct ListReader {
    /// What has come and is not read yet: the start of an item that a chunk cut (at most
    /// an item and a chunk while it is completed).
    buffer: Vec<u8>,
    level: Level,
    /// The list's resource version (if it had one), once its metadata has been read.
    version: Option<Option<String>>,
}

impl ListReader {
    /// Reads `chunk`, handing each item it completes to `item`.
    fn read(
        &mut self,
        chunk: &[u8],
        item: &mut impl FnMut(&[u8]) -> Result<(), WireError>,
    ) -> Result<(), WireError> {
        // Read in place where nothing is pending: only what a chunk cuts is copied.
        if self.buffer.is_empty() {
            let used = self.step(chunk, item)?;
            self.buffer.extend_from_slice(&chunk[used..]);
        } else {
            let mut pending = std::mem::take(&mut self.buffer);
            pending.extend_from_slice(chunk);
            let used = self.step(&pending, item)?;
            pending.drain(..used);
            self.buffer = pending;
        }
        Ok(())
    }

    /// Reads what it can of `bytes`; gives how many it read.
    fn step(
        &mut self,
        bytes: &[u8],
        item: &mut impl FnMut(&[u8]) -> Result<(), WireError>,
    ) -> Result<usize, WireError> {
        let mut at = 0;
        loop {
            let rest = &bytes[at..];
            match self.level {
                Level::Magic => {
                    if rest.len() < MAGIC.len() {
                        return Ok(at);
                    }
                    if !rest.starts_with(MAGIC) {
                        return Err(WireError("no k8s protobuf magic"));
                    }
                    at += MAGIC.len();
                    self.level = Level::Envelope;
                }
                Level::Envelope => {
                    let Some(field) = head(rest)? else {
                        return Ok(at);
                    };
                    if field.number == 2 && field.delimited {
                        at += field.head_len;
                        self.level = Level::List {
                            left: field.value_len,
                        };
                        continue;
                    }
                    if rest.len() < field.field_len() {
                        return Ok(at);
                    }
                    if field.number == 3 && field.value_len > 0 {
                        return Err(WireError("an encoded (compressed) object"));
                    }
                    at += field.field_len();
                }
                Level::List { left: 0 } => {
                    self.level = Level::Envelope;
                    self.version.get_or_insert_default();
                }
                Level::List { left } => {
                    let Some(field) = head(rest)? else {
                        return Ok(at);
                    };
                    if field.field_len() > left {
                        return Err(WireError("an item runs past the list's end"));
                    }
                    if rest.len() < field.field_len() {
                        return Ok(at);
                    }
                    let value = &rest[field.head_len..field.field_len()];
                    match (field.number, field.delimited) {
                        (1, true) => self.version = Some(list_version(value)?),
                        (2, true) => item(value)?,
                        _ => {}
                    }
                    at += field.field_len();
                    self.level = Level::List {
                        left: left - field.field_len(),
                    };
                }
            }
        }
    }

    /// The list's resource version, once the body has ended: an error if it was cut
    /// short.
    fn finish(self) -> Result<Option<String>, WireError> {
        let whole = matches!(self.level, Level::Envelope | Level::List { left: 0 });
        match self.version {
            Some(version) if whole && self.buffer.is_empty() => Ok(version),
            _ => Err(WireError("the list was cut short")),
        }
    }
}

/// A `ListMeta`'s resource version (2), if not empty.
fn list_version(meta: &[u8]) -> Result<Option<String>, WireError> {
    let mut version = None;
    for field in fields(meta) {
        if let (2, Value::Bytes(b)) = field?
            && !b.is_empty()
        {
            version = Some(text(b)?.to_string());
        }
    }
    Ok(version)
}

#[cfg(test)]
mod tests;
