use super::*;
use crate::domain::watched::{FromProtobuf, Watched, WatchedLease};

/// `k8s\0` + Unknown{typeMeta: {}, raw: list, contentEncoding: "", contentType: ""},
/// the fields in the order the API server writes them.
fn envelope(list: &[u8]) -> Vec<u8> {
    let mut body = MAGIC.to_vec();
    body.extend([0x0a, 0]);
    body.push(0x12);
    let mut len = list.len();
    while len >= 0x80 {
        body.push(u8::try_from(len & 0x7f).unwrap() | 0x80);
        len >>= 7;
    }
    body.push(u8::try_from(len).unwrap());
    body.extend(list);
    body.extend([0x1a, 0, 0x22, 0]);
    body
}

/// LeaseList{metadata: {resourceVersion: "7", continue: "t"}, items: leases named `names`}
/// (a token only a paged list has: stepped over).
fn lease_list(names: &[String]) -> Vec<u8> {
    let mut list = vec![0x0a, 6, 0x12, 1, b'7', 0x1a, 1, b't'];
    for name in names {
        let meta = [
            &[0x0a, u8::try_from(name.len()).unwrap()][..],
            name.as_bytes(),
        ]
        .concat();
        let lease = [&[0x0a, u8::try_from(meta.len()).unwrap()][..], &meta].concat();
        list.extend([0x12, u8::try_from(lease.len()).unwrap()]);
        list.extend(lease);
    }
    list
}

/// The names read from `body` given in chunks of `chunk` bytes, and how it ended.
fn read_in_chunks(body: &[u8], chunk: usize) -> (Vec<String>, Result<Option<String>, WireError>) {
    let mut reader = ListReader::default();
    let mut names = Vec::new();
    let mut item = |bytes: &[u8]| {
        let lease = WatchedLease::from_protobuf(bytes)?;
        names.push(lease.meta().name.to_string());
        Ok(())
    };
    for piece in body.chunks(chunk) {
        if let Err(e) = reader.read(piece, &mut item) {
            return (names, Err(e));
        }
    }
    (names, reader.finish())
}

#[test]
fn a_list_gives_each_item_and_its_version_however_the_body_is_cut() {
    let names: Vec<String> = (0..40).map(|i| format!("lease-{i:03}")).collect();
    let body = envelope(&lease_list(&names));
    assert!(body.len() > 0x80, "a two-byte length");
    for chunk in [1, 2, 3, 7, 64, body.len()] {
        let (read, end) = read_in_chunks(&body, chunk);
        assert_eq!(read, names, "chunks of {chunk}");
        assert_eq!(end.unwrap().as_deref(), Some("7"));
    }
}

#[test]
fn the_reader_holds_no_more_than_an_item_and_a_chunk() {
    let names: Vec<String> = (0..40).map(|i| format!("lease-{i:03}")).collect();
    let body = envelope(&lease_list(&names));
    let mut reader = ListReader::default();
    let mut held = 0;
    for piece in body.chunks(16) {
        reader.read(piece, &mut |_| Ok(())).unwrap();
        held = held.max(reader.buffer.len());
    }
    assert!(held < 16 + 20, "held {held} bytes");
}

#[test]
fn an_empty_list_ends_without_items_or_version() {
    let (read, end) = read_in_chunks(&envelope(&[0x0a, 0]), 1);
    assert!(read.is_empty());
    assert_eq!(end, Ok(None));
}

#[test]
fn a_cut_or_foreign_body_is_an_error() {
    let names = vec!["a".to_string(), "b".to_string()];
    let body = envelope(&lease_list(&names));
    for cut in [3, 10, body.len() - 6] {
        let (_, end) = read_in_chunks(&body[..cut], 4);
        assert!(end.is_err(), "cut at {cut}");
    }
    let (_, end) = read_in_chunks(b"{\"kind\":\"LeaseList\"}", 4);
    assert_eq!(end.err(), Some(WireError("no k8s protobuf magic")));
    let compressed = [b'k', b'8', b's', 0, 0x1a, 4, b'g', b'z', b'i', b'p'];
    let (_, end) = read_in_chunks(&compressed, 3);
    assert!(end.is_err());
    // An item whose length runs past the list's.
    let mut bad = lease_list(&names);
    let last = bad.len() - 6;
    bad[last] = 0x7f;
    let (_, end) = read_in_chunks(&envelope(&bad), 5);
    assert!(end.is_err());
}
