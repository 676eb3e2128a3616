//! LISTs answered in protobuf rather than JSON. Most of a watched object is what storectl
//! never reads (specs, managed fields), and encoding it as JSON is most of the API
//! server's work for a LIST: protobuf is 2-3 times cheaper for the server to send and
//! smaller on the wire (docs/performance.md), and storectl's reader skips the unread
//! fields by their length (`domain::watched::wire`). A body is the `k8s\0` magic and a
//! `runtime.Unknown` whose `raw` is the list; an error is a `metav1.Status` the same way.
//! JSON is accepted second, as client-go asks, for a server or proxy that has no protobuf.

use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use kube::api::ListParams;
use kube::core::Request;

use super::connect::Connection;
use super::error::ClusterError;
use super::slim::{Slim, SlimKind};
use crate::domain::watched::wire::{Value, WireError, fields, text};

const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
const PROTOBUF_OR_JSON: &str = "application/vnd.kubernetes.protobuf, application/json";
const MAGIC: &[u8] = b"k8s\0";

/// One page of a LIST: its items, and the token of the next page if there is one.
pub struct Page<K> {
    pub items: Vec<K>,
    pub next: Option<String>,
}

/// The page of `url_path` (a kind's collection, as `Api::resource_url` gives it) that
/// `params` asks for; `action` names the request in errors ("listing pods").
pub async fn list_page<K: SlimKind>(
    conn: &Connection,
    url_path: &str,
    params: &ListParams,
    action: &str,
) -> Result<Page<K>, ClusterError> {
    let fail = conn.error(action);
    let mut request = Request::new(url_path)
        .list(params)
        .map_err(|e| fail(kube::Error::BuildRequest(e)))?;
    request
        .headers_mut()
        .insert(ACCEPT, HeaderValue::from_static(PROTOBUF_OR_JSON));
    let response = conn
        .client
        .send(request.map(Into::into))
        .await
        .map_err(&fail)?;
    let code = response.status();
    let protobuf = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(PROTOBUF.as_bytes()));
    let body = response.into_body().collect_bytes().await.map_err(&fail)?;
    if !code.is_success() {
        return Err(fail(kube::Error::Api(
            refusal(code.as_u16(), &body).boxed(),
        )));
    }
    let malformed = |e: WireError| ClusterError::Other {
        action: action.to_string(),
        detail: e.to_string(),
    };
    if !protobuf {
        let list: kube::core::ObjectList<Slim<K>> =
            serde_json::from_slice(&body).map_err(|e| fail(kube::Error::SerdeError(e)))?;
        return Ok(Page {
            items: list.items.into_iter().map(|item| item.object).collect(),
            next: list.metadata.continue_.filter(|token| !token.is_empty()),
        });
    }
    page(unwrap(&body).map_err(malformed)?).map_err(malformed)
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

/// A `XList`: `ListMeta` at 1 (its `continue` at 3) and the items at 2.
fn page<K: SlimKind>(list: &[u8]) -> Result<Page<K>, WireError> {
    let mut page = Page {
        items: Vec::new(),
        next: None,
    };
    for field in fields(list) {
        match field? {
            (1, Value::Bytes(meta)) => {
                for field in fields(meta) {
                    if let (3, Value::Bytes(token)) = field? {
                        let token = text(token)?;
                        page.next = (!token.is_empty()).then(|| token.to_string());
                    }
                }
            }
            (2, Value::Bytes(item)) => page.items.push(K::from_protobuf(item)?),
            _ => {}
        }
    }
    Ok(page)
}

/// The API server's refusal: its `metav1.Status` (message 3, reason 4, code 6) when it
/// sent one, else the body's text.
fn refusal(code: u16, body: &[u8]) -> kube::core::Status {
    let status = unwrap(body).ok().and_then(|raw| {
        let (mut message, mut reason) = (String::new(), String::new());
        for field in fields(raw) {
            match field.ok()? {
                (3, Value::Bytes(b)) => message = text(b).ok()?.to_string(),
                (4, Value::Bytes(b)) => reason = text(b).ok()?.to_string(),
                _ => {}
            }
        }
        Some(kube::core::Status::failure(&message, &reason).with_code(code))
    });
    status.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        kube::core::Status::failure(text.trim(), "").with_code(code)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::watched::WatchedLease;

    /// `k8s\0` + Unknown{raw: list}.
    fn envelope(list: &[u8]) -> Vec<u8> {
        let mut body = MAGIC.to_vec();
        body.extend([0x12, u8::try_from(list.len()).unwrap()]);
        body.extend(list);
        body
    }

    #[test]
    fn a_page_gives_its_items_and_the_next_token() {
        // LeaseList{metadata: {continue: "t"}, items: [{metadata: {name: "a"}}, {...: "b"}]}
        let list = [
            0x0a, 3, 0x1a, 1, b't', 0x12, 5, 0x0a, 3, 0x0a, 1, b'a', 0x12, 5, 0x0a, 3, 0x0a, 1,
            b'b',
        ];
        let body = envelope(&list);
        let page: Page<WatchedLease> = page(unwrap(&body).unwrap()).unwrap();
        let names: Vec<&str> = page.items.iter().map(|l| &*l.meta.name).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(page.next.as_deref(), Some("t"));
    }

    #[test]
    fn a_body_without_the_magic_or_compressed_is_refused() {
        assert!(unwrap(b"{\"kind\":\"LeaseList\"}").is_err());
        let compressed = [b'k', b'8', b's', 0, 0x1a, 4, b'g', b'z', b'i', b'p'];
        assert!(unwrap(&compressed).is_err());
    }

    #[test]
    fn a_refusal_keeps_the_servers_message_and_reason() {
        // The 404 the API server sent for `GET pods/zz` with protobuf asked for.
        let status = [
            0x12, 7, b'F', b'a', b'i', b'l', b'u', b'r', b'e', 0x1a, 5, b'g', b'o', b'n', b'e',
            b'!', 0x22, 8, b'N', b'o', b't', b'F', b'o', b'u', b'n', b'd', 0x30, 0x94, 0x03,
        ];
        let refused = refusal(404, &envelope(&status));
        assert_eq!(
            (refused.code, &*refused.message, &*refused.reason),
            (404, "gone!", "NotFound")
        );
        let plain = refusal(502, b"bad gateway\n");
        assert_eq!((plain.code, &*plain.message), (502, "bad gateway"));
    }
}
