//! `GET /api/stores` for clients that want fewer stores or fewer bytes at once. `?limit=N`
//! pages through the stores in (namespace, name, context) order (with one cluster served,
//! (namespace, name)); the answer is still a JSON array,
//! with the next page's `continue` token in the `Continue` header and a `Link` to it
//! (a token names the last store sent, so a page never repeats a store, nor skips one
//! that still exists, however the fleet changes between pages). `Accept-Encoding: gzip`
//! gets the whole list compressed once per view of the fleet, not once per request.

use std::io::Write;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use flate2::Compression;
use flate2::write::GzEncoder;

use super::error::ApiError;
use super::error::bad_request;
use crate::domain::summary::StoreSummary;

/// The most stores one page may ask for.
pub const MAX_LIMIT: usize = 10_000;

/// A client's `?limit=N[&continue=TOKEN]`.
#[derive(Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    /// The last store of the previous page.
    pub after: Option<After>,
}

/// The store a page ended with.
#[derive(Debug, PartialEq, Eq)]
pub struct After {
    pub namespace: String,
    pub name: String,
    /// Its cluster's context; None in a token from before several clusters were served
    /// (after that store in every cluster).
    pub context: Option<String>,
}

impl After {
    /// Whether `store` comes at or before this one in the list's order.
    fn covers(&self, store: &StoreSummary) -> bool {
        let this = (self.namespace.as_str(), self.name.as_str());
        match (store.namespace.as_str(), store.name.as_str()).cmp(&this) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => self
                .context
                .as_deref()
                .is_none_or(|context| store.context.as_str() <= context),
        }
    }
}

/// One page: the stores as a JSON array, and the token of the next page if there is one.
pub struct Page {
    pub json: Bytes,
    pub next: Option<String>,
}

/// The page `query` asks for, or `None` for the whole list; 400 for a bad limit or a
/// token this server never gave.
pub fn request(query: Option<&str>) -> Result<Option<PageRequest>, ApiError> {
    let limit = param(query, "limit");
    let token = param(query, "continue");
    let Some(limit) = limit else {
        return match token {
            Some(_) => Err(bad_request(
                "continue needs limit (the page size it was given with)",
            )),
            None => Ok(None),
        };
    };
    let limit = limit
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| {
            bad_request(format!(
                "limit must be a whole number from 1 to {MAX_LIMIT}, not '{limit}'"
            ))
        })?;
    let after = token.map(store_of_token).transpose()?;
    Ok(Some(PageRequest { limit, after }))
}

/// The page of `stores` (sorted by namespace, name, then context) that `request` asks
/// for.
pub fn page(stores: &[Arc<StoreSummary>], request: &PageRequest) -> Page {
    let start = match &request.after {
        Some(after) => stores.partition_point(|s| after.covers(s)),
        None => 0,
    };
    let end = (start + request.limit).min(stores.len());
    let sent = &stores[start..end];
    let next = (end < stores.len())
        .then(|| sent.last().map(|s| token(s)))
        .flatten();
    Page {
        json: serde_json::to_vec(sent)
            .map(Bytes::from)
            .unwrap_or_default(),
        next,
    }
}

/// Whether the client takes a gzip body (`Accept-Encoding` names `gzip` or `*` without
/// `q=0`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// `body` gzip-compressed.
pub fn gzip(body: &[u8]) -> Bytes {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 8), Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().map(Bytes::from).unwrap_or_default()
}

fn param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The token after `store`: `namespace/name/context`, hex-encoded (opaque, URL-safe;
/// neither a namespace nor a store name has a '/', a context may).
fn token(store: &StoreSummary) -> String {
    format!("{}/{}/{}", store.namespace, store.name, store.context)
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn store_of_token(token: &str) -> Result<After, ApiError> {
    let refused = || bad_request("continue must be a token from this server's Continue header");
    if !token.len().is_multiple_of(2) {
        return Err(refused());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2).unwrap_or("x"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| refused())?;
    let text = String::from_utf8(bytes).map_err(|_| refused())?;
    let (namespace, rest) = text.split_once('/').ok_or_else(refused)?;
    let (name, context) = match rest.split_once('/') {
        Some((name, context)) => (name, Some(context.to_string())),
        None => (rest, None),
    };
    Ok(After {
        namespace: namespace.to_string(),
        name: name.to_string(),
        context,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::Phase;
    use axum::http::HeaderValue;

    fn fleet(names: &[&str]) -> Vec<Arc<StoreSummary>> {
        let mut stores: Vec<Arc<StoreSummary>> = names
            .iter()
            .map(|n| Arc::new(StoreSummary::example(n, Phase::Ready, "")))
            .collect();
        stores.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        stores
    }

    fn names(page: &Page) -> Vec<String> {
        let stores: Vec<serde_json::Value> = serde_json::from_slice(&page.json).unwrap();
        stores
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn pages_walk_every_store_once_even_when_the_fleet_changes_between_them() {
        let stores = fleet(&["a", "b", "c", "d", "e"]);
        let first = page(&stores, &request(Some("limit=2")).unwrap().unwrap());
        assert_eq!(names(&first), ["a", "b"]);
        let token = first.next.unwrap();
        // b is deleted and a new store comes before the token: neither shifts the walk.
        let changed = fleet(&["a", "aa", "c", "d", "e"]);
        let query = format!("limit=2&continue={token}");
        let second = page(&changed, &request(Some(&query)).unwrap().unwrap());
        assert_eq!(names(&second), ["c", "d"]);
        let query = format!("limit=2&continue={}", second.next.unwrap());
        let last = page(&changed, &request(Some(&query)).unwrap().unwrap());
        assert_eq!(names(&last), ["e"]);
        assert!(last.next.is_none(), "no token after the last page");
        assert!(
            request(Some("watch=false")).unwrap().is_none(),
            "no limit: the whole list"
        );
    }

    fn hex(text: &str) -> String {
        text.bytes().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn pages_of_several_clusters_walk_each_store_once_in_context_order() {
        let mut stores = Vec::new();
        for context in ["west", "east", "a/b"] {
            for name in ["a", "b"] {
                let mut s = StoreSummary::example(name, Phase::Ready, "");
                s.context = context.to_string();
                stores.push(Arc::new(s));
            }
        }
        stores.sort_by(|a, b| a.list_order(b));
        let mut walked = Vec::new();
        let mut query = "limit=2".to_string();
        loop {
            let one = page(&stores, &request(Some(&query)).unwrap().unwrap());
            let sent: Vec<serde_json::Value> = serde_json::from_slice(&one.json).unwrap();
            walked.extend(sent.iter().map(|s| {
                format!(
                    "{}@{}",
                    s["name"].as_str().unwrap(),
                    s["context"].as_str().unwrap()
                )
            }));
            match one.next {
                Some(token) => query = format!("limit=2&continue={token}"),
                None => break,
            }
        }
        assert_eq!(
            walked,
            ["a@a/b", "a@east", "a@west", "b@a/b", "b@east", "b@west"]
        );
        // A token of one cluster's server (namespace/name only) goes past every cluster's.
        let old = format!("limit=10&continue={}", hex("store-a/a"));
        let rest = page(&stores, &request(Some(&old)).unwrap().unwrap());
        assert_eq!(names(&rest), ["b", "b", "b"]);
    }

    #[test]
    fn a_bad_limit_or_token_is_refused() {
        for query in [
            "limit=0",
            "limit=x",
            "limit=10001",
            "continue=61",
            "limit=1&continue=zz",
        ] {
            assert!(request(Some(query)).is_err(), "{query}");
        }
        assert!(
            request(Some("limit=1&continue=616263")).is_err(),
            "no '/' in it"
        );
    }

    #[test]
    fn gzip_is_taken_unless_refused_and_round_trips() {
        let asks = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
            accepts_gzip(&headers)
        };
        assert!(asks("gzip"));
        assert!(asks("br;q=1.0, GZIP;q=0.5"));
        assert!(asks("*"));
        assert!(!asks("gzip;q=0"));
        assert!(!asks("br, deflate"));
        assert!(!accepts_gzip(&HeaderMap::new()));
        let body = serde_json::to_vec(&fleet(&["a", "b"])).unwrap();
        let mut out = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gzip(&body)[..]),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, body);
    }
}
