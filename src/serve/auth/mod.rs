//! Who may use the API: bearer tokens from a file, or the cluster's own TokenReview and
//! SubjectAccessReview; no check at all only when asked for, on a loopback address and
//! for requests naming a loopback host (no DNS rebinding). An Authorization header over
//! 8 KiB is refused before anything else. The caller found is put in the request's
//! extensions for the handlers.

pub mod cache;
mod limit;
mod review;
mod tokens;

use std::fmt;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use review::{API_GROUP, ClusterReview};
pub use tokens::TokenFile;

use super::caller::Caller;
use super::error::ApiError;
use super::query::{percent_decoded, watch_param};

/// Largest Authorization header looked at (larger: 401 at once).
pub const MAX_AUTHORIZATION: usize = 8 * 1024;

/// How requests are checked.
pub enum Auth {
    Tokens(TokenFile),
    Cluster(Box<ClusterReview>),
    /// `--insecure-no-auth`.
    Open,
}

/// What a request asks to do, in the terms RBAC rules use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Stores {
        verb: &'static str,
        name: Option<String>,
    },
    Metrics,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stores { verb, name: None } => write!(f, "{verb} stores.{API_GROUP}"),
            Self::Stores {
                verb,
                name: Some(name),
            } => write!(f, "{verb} stores.{API_GROUP} {name}"),
            Self::Metrics => f.write_str("get /metrics"),
        }
    }
}

/// The access a request needs, from its method and path (the name percent-decoded, as
/// the handler will see it).
fn access_of(request: &Request) -> Access {
    let path = request.uri().path();
    if path == "/metrics" {
        return Access::Metrics;
    }
    // `/api/stores/NAME` and what is read of it (`/api/stores/NAME/events`): NAME.
    let name = path
        .strip_prefix("/api/stores/")
        .map(|rest| rest.split('/').next().unwrap_or_default())
        .filter(|n| !n.is_empty())
        .map(percent_decoded);
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    let verb = match (request.method(), &name) {
        (_, None) if read && watch_param(request.uri().query()).unwrap_or(false) => "watch",
        (_, None) if read => "list",
        (_, Some(_)) if read => "get",
        (&Method::POST, _) => "create",
        (&Method::DELETE, _) => "delete",
        _ => "get",
    };
    Access::Stores { verb, name }
}

/// Middleware: lets the request through with its caller, or answers 401, 403, 429 or 503.
pub async fn require(State(auth): State<Arc<Auth>>, mut request: Request, next: Next) -> Response {
    let too_large = request
        .headers()
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.len() > MAX_AUTHORIZATION);
    if too_large {
        return unauthenticated(&format!(
            "the Authorization header is larger than {} KiB",
            MAX_AUTHORIZATION / 1024
        ));
    }
    let token = bearer(&request);
    let verdict = match (&*auth, token) {
        (Auth::Open, _) => Ok(Caller::anonymous()),
        (_, None) => Err(unauthenticated(
            "missing credentials: send the header Authorization: Bearer <token>",
        )),
        (Auth::Tokens(file), Some(token)) => {
            if file.accepts(token) {
                Ok(Caller::from_token(token))
            } else {
                Err(unauthenticated("the bearer token is not valid"))
            }
        }
        (Auth::Cluster(review), Some(token)) => review
            .check(token, &access_of(&request))
            .await
            .map_err(|refusal| match refusal {
                review::Refusal::Unauthenticated(why) => unauthenticated(&why),
                review::Refusal::Forbidden(why) => {
                    ApiError::new(StatusCode::FORBIDDEN, why).into_response()
                }
                review::Refusal::Busy(why) => {
                    let mut response =
                        ApiError::new(StatusCode::TOO_MANY_REQUESTS, why).into_response();
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                    response
                }
                review::Refusal::Unavailable(why) => {
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, why).into_response()
                }
            }),
    };
    match verdict {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(response) => response,
    }
}

/// Middleware of a server without authentication: only requests for a loopback host
/// name, so a web page that rebinds its own name to 127.0.0.1 gets nothing.
pub async fn loopback_host(request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if is_loopback_host(host) {
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "without authentication this server answers only requests for localhost, 127.0.0.1 or [::1], not for host '{host}'"
            ),
        )
        .into_response()
    }
}

/// `localhost`, `127.0.0.1` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            name
        }
        _ => host,
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "[::1]"
    )
}

fn bearer(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn unauthenticated(why: &str) -> Response {
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, why).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"storectl\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_host_names_pass() {
        for good in [
            "localhost",
            "LOCALHOST:8080",
            "127.0.0.1",
            "127.0.0.1:8080",
            "[::1]",
            "[::1]:8080",
        ] {
            assert!(is_loopback_host(good), "{good}");
        }
        for bad in [
            "",
            "evil.example",
            "127.0.0.1.rebind.example:8080",
            "localhost.evil:8080",
            "::1",
            "10.0.0.1:8080",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn what_is_read_of_a_store_is_authorized_as_get_on_the_store() {
        let access = |method: &str, uri: &str| {
            let request = Request::builder()
                .method(method)
                .uri(uri)
                .body(axum::body::Body::empty())
                .unwrap_or_else(|e| panic!("{e}"));
            access_of(&request)
        };
        let get = |name: &str| Access::Stores {
            verb: "get",
            name: Some(name.to_string()),
        };
        for sub in ["", "/events", "/revisions", "/backups"] {
            assert_eq!(
                access("GET", &format!("/api/stores/%73hop{sub}")),
                get("shop")
            );
        }
        let list = Access::Stores {
            verb: "list",
            name: None,
        };
        assert_eq!(access("GET", "/api/info"), list);
        assert_eq!(access("GET", "/api/stores"), list);
    }
}
