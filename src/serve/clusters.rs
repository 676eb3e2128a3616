//! Which served cluster a request means. A store's routes take `?context=CTX`; without
//! it, a name found in one cluster only is that cluster's store, a name in several is
//! 409 naming their contexts. `POST /api/stores` takes `context` in its body, required
//! when the server serves several clusters. A context the server does not serve is 400.

use std::sync::Arc;

use axum::http::StatusCode;

use super::error::{ApiError, bad_request};
use crate::cluster::connect::Connection;
use crate::domain::lookup::the_one;
use crate::domain::summary::StoreSummary;
use crate::ops::Kind;

/// The served clusters' connections, in the order given (`--context`, `--all-contexts`).
pub struct Clusters(Vec<Connection>);

impl Clusters {
    /// At least one connection.
    pub fn new(conns: Vec<Connection>) -> Self {
        assert!(!conns.is_empty(), "a server serves one cluster at least");
        Self(conns)
    }

    /// The first cluster: with `--cluster-auth`, the one that reviews tokens and access.
    pub fn home(&self) -> &Connection {
        &self.0[0]
    }

    pub fn connections(&self) -> &[Connection] {
        &self.0
    }

    pub fn several(&self) -> bool {
        self.0.len() > 1
    }

    pub fn contexts(&self) -> Vec<&str> {
        self.0.iter().map(|c| c.endpoint.context.as_str()).collect()
    }

    /// The connection to the cluster of `context`, if served.
    pub fn get(&self, context: &str) -> Result<&Connection, ApiError> {
        let contexts = self.contexts();
        let i = served(&contexts, context)?;
        Ok(&self.0[i])
    }

    /// The cluster a new store goes to: the one asked for, or the only one served.
    pub fn for_create(&self, asked: Option<&str>) -> Result<&Connection, ApiError> {
        let contexts = self.contexts();
        let i = create_in(&contexts, asked)?;
        Ok(&self.0[i])
    }
}

/// The index of `context` among `served`, or 400 naming the served ones.
fn served(served: &[&str], context: &str) -> Result<usize, ApiError> {
    served.iter().position(|c| *c == context).ok_or_else(|| {
        bad_request(format!(
            "context '{context}' is not a cluster this server serves ({})",
            served.join(", ")
        ))
    })
}

/// The index of the cluster a create goes to: `asked` (absent or empty: the only one;
/// with several, 400 naming the choices).
fn create_in(contexts: &[&str], asked: Option<&str>) -> Result<usize, ApiError> {
    match asked.filter(|c| !c.is_empty()) {
        Some(context) => served(contexts, context),
        None if contexts.len() == 1 => Ok(0),
        None => Err(bad_request(format!(
            "this server serves several clusters: say which in \"context\" (one of {})",
            contexts.join(", ")
        ))),
    }
}

/// The one store `name` among `stores`, in the cluster of `context` if given (the caller
/// checked it is served); without it, 409 when stores of that name are in several
/// clusters.
pub fn find<'a>(
    stores: &'a [Arc<StoreSummary>],
    name: &str,
    context: Option<&str>,
) -> Result<&'a StoreSummary, ApiError> {
    let matches: Vec<&StoreSummary> = stores
        .iter()
        .map(|s| &**s)
        .filter(|s| s.name == name && context.is_none_or(|c| s.context == c))
        .collect();
    let mut contexts: Vec<&str> = matches.iter().map(|s| s.context.as_str()).collect();
    contexts.dedup();
    if contexts.len() > 1 {
        contexts.sort_unstable();
        contexts.dedup();
        let status =
            StatusCode::from_u16(Kind::Ambiguous.http_status()).unwrap_or(StatusCode::CONFLICT);
        return Err(ApiError::new(
            status,
            format!(
                "store '{name}' is in several clusters ({}): add ?context= with one of them",
                contexts.join(", ")
            ),
        ));
    }
    Ok(the_one(matches, name, |s| &s.namespace)?)
}

/// Where a store's page is: `/api/stores/NAME`, with `?context=` when several clusters
/// are served.
pub fn location(name: &str, context: &str, several: bool) -> String {
    if several {
        format!("/api/stores/{name}?context={}", percent_encoded(context))
    } else {
        format!("/api/stores/{name}")
    }
}

/// `value` with everything but unreserved characters percent-encoded.
fn percent_encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::Phase;
    use crate::serve::query::context_param;

    fn store(name: &str, namespace: &str, context: &str) -> Arc<StoreSummary> {
        let mut s = StoreSummary::example(name, Phase::Ready, "");
        s.namespace = namespace.to_string();
        s.context = context.to_string();
        Arc::new(s)
    }

    #[test]
    fn a_name_in_one_cluster_is_found_in_several_is_409_naming_them() {
        let stores = [
            store("shop", "store-shop", "east"),
            store("shop", "store-shop", "west"),
            store("solo", "store-solo", "west"),
        ];
        let found = |name, context| find(&stores, name, context).map(|s| s.context.clone());
        assert_eq!(found("solo", None).ok(), Some("west".to_string()));
        assert_eq!(found("shop", Some("east")).ok(), Some("east".to_string()));
        let both = found("shop", None).err().unwrap_or_else(|| panic!("found"));
        assert_eq!(both.status, StatusCode::CONFLICT);
        assert!(
            both.message.contains("several clusters (east, west)"),
            "{}",
            both.message
        );
        let missing = found("solo", Some("east")).err().map(|e| e.status);
        assert_eq!(missing, Some(StatusCode::NOT_FOUND));
        // Two namespaces of one cluster: the single-cluster words, still 409.
        let twice = [store("shop", "a", "east"), store("shop", "b", "east")];
        let e = find(&twice, "shop", None)
            .err()
            .unwrap_or_else(|| panic!("found"));
        assert_eq!(e.status, StatusCode::CONFLICT);
        assert!(e.message.contains("several namespaces"), "{}", e.message);
    }

    #[test]
    fn a_create_names_its_cluster_when_there_are_several() {
        assert_eq!(create_in(&["only"], None).ok(), Some(0));
        assert_eq!(create_in(&["only"], Some("")).ok(), Some(0));
        assert_eq!(create_in(&["only"], Some("only")).ok(), Some(0));
        assert_eq!(create_in(&["east", "west"], Some("west")).ok(), Some(1));
        let missing = create_in(&["east", "west"], None)
            .err()
            .unwrap_or_else(|| panic!("ok"));
        assert_eq!(missing.status, StatusCode::BAD_REQUEST);
        assert!(
            missing.message.contains("one of east, west"),
            "{}",
            missing.message
        );
        let unknown = create_in(&["only"], Some("north"))
            .err()
            .unwrap_or_else(|| panic!("ok"));
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert!(
            unknown.message.contains("'north' is not a cluster"),
            "{}",
            unknown.message
        );
    }

    #[test]
    fn the_context_parameter_is_decoded_and_round_trips_in_the_location() {
        let context = "arn:aws:eks:eu-west-1:1:cluster/shop floor";
        let at = location("shop", context, true);
        let query = at.split_once('?').map(|(_, q)| q);
        assert_eq!(context_param(query).as_deref(), Some(context));
        assert_eq!(location("shop", context, false), "/api/stores/shop");
        assert_eq!(context_param(Some("context=")), None);
        assert_eq!(context_param(Some("x=1")), None);
    }
}
