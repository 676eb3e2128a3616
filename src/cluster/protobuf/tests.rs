use super::*;
use crate::domain::watched::WatchedLease;

/// `k8s\0` + Unknown{raw: message} (a short message).
fn envelope(message: &[u8]) -> Vec<u8> {
    let mut body = MAGIC.to_vec();
    body.extend([0x12, u8::try_from(message.len()).unwrap()]);
    body.extend(message);
    body
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
        0x12, 7, b'F', b'a', b'i', b'l', b'u', b'r', b'e', 0x1a, 5, b'g', b'o', b'n', b'e', b'!',
        0x22, 8, b'N', b'o', b't', b'F', b'o', b'u', b'n', b'd', 0x30, 0x94, 0x03,
    ];
    let refused = refusal(404, &envelope(&status));
    assert_eq!(
        (refused.code, &*refused.message, &*refused.reason),
        (404, "gone!", "NotFound")
    );
    let plain = refusal(502, b"bad gateway\n");
    assert_eq!((plain.code, &*plain.message), (502, "bad gateway"));
}

/// Field `number` holding `bytes` (length-delimited; every length here is below 128).
fn field(number: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![number << 3 | 2, u8::try_from(bytes.len()).unwrap()];
    out.extend(bytes);
    out
}

/// A watch frame: the length, then WatchEvent{type, object: RawExtension{raw: enveloped}}.
fn frame(kind: &str, object: &[u8]) -> Vec<u8> {
    let mut enveloped = MAGIC.to_vec();
    enveloped.extend(field(2, object));
    let mut event = field(1, kind.as_bytes());
    event.extend(field(2, &field(1, &enveloped)));
    let mut out = u32::try_from(event.len()).unwrap().to_be_bytes().to_vec();
    out.extend(event);
    out
}

fn lease(name: &str, version: &str) -> Vec<u8> {
    let mut meta = field(1, name.as_bytes());
    meta.extend(field(6, version.as_bytes()));
    field(1, &meta)
}

fn watching(stream: Vec<u8>) -> Watch {
    Watch {
        body: stream.into(),
        buffer: Vec::new(),
        action: "watching leases".to_string(),
    }
}

#[tokio::test]
async fn a_watch_gives_each_framed_change_then_none_when_the_server_ends_it() {
    let mut bookmark = field(6, b"9");
    bookmark.extend(field(
        12,
        &[field(1, b"k8s.io/initial-events-end"), field(2, b"true")].concat(),
    ));
    let stream = [
        frame("ADDED", &lease("a", "7")),
        frame("DELETED", &lease("a", "8")),
        frame("BOOKMARK", &field(1, &bookmark)),
        frame("BOOKMARK", &lease("", "10")),
    ]
    .concat();
    let mut watch = watching(stream);
    let Some(Change::Added(added)) = watch.next::<WatchedLease>().await.unwrap() else {
        panic!("added first");
    };
    assert_eq!(
        (&*added.meta.name, added.meta.resource_version.as_deref()),
        ("a", Some("7"))
    );
    let deleted = watch.next::<WatchedLease>().await.unwrap();
    assert!(matches!(deleted, Some(Change::Deleted(l)) if &*l.meta.name == "a"));
    let end = watch.next::<WatchedLease>().await.unwrap();
    assert!(
        matches!(end, Some(Change::Bookmark { version, initial_events_end: true }) if version == "9")
    );
    let plain = watch.next::<WatchedLease>().await.unwrap();
    assert!(
        matches!(plain, Some(Change::Bookmark { version, initial_events_end: false }) if version == "10")
    );
    assert!(watch.next::<WatchedLease>().await.unwrap().is_none());
}

#[tokio::test]
async fn a_watch_error_event_gives_the_servers_status() {
    // Status{message 3, reason 4, code 6 = 410}.
    let mut gone = field(3, b"too old resource version");
    gone.extend(field(4, b"Expired"));
    gone.extend([0x30, 0x9a, 0x03]);
    let mut watch = watching(frame("ERROR", &gone));
    let Some(Change::Failed(status)) = watch.next::<WatchedLease>().await.unwrap() else {
        panic!("a failure");
    };
    assert_eq!((status.code, &*status.reason), (410, "Expired"));
}

#[tokio::test]
async fn an_unknown_event_type_is_an_error_naming_the_watch() {
    let mut watch = watching(frame("RENAMED", &lease("a", "1")));
    let error = watch.next::<WatchedLease>().await.unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("watching leases: malformed protobuf"),
        "{error}"
    );
}
