//! Who may use the API: bearer tokens from a file, or the cluster's own TokenReview and
//! SubjectAccessReview; no check at all only when asked for, on a loopback address.

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

use super::error::ApiError;
use super::routes::watch_param;

/// How requests are checked.
pub enum Auth {
    Tokens(TokenFile),
    Cluster(ClusterReview),
    /// `--insecure-no-auth`.
    Open,
}

/// What a request asks to do, in the terms RBAC rules use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// The access a request needs, from its method and path.
fn access_of(request: &Request) -> Access {
    let path = request.uri().path();
    if path == "/metrics" {
        return Access::Metrics;
    }
    let name = path
        .strip_prefix("/api/stores/")
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let verb = match (request.method(), &name) {
        (&Method::GET, None) if watch_param(request.uri().query()).unwrap_or(false) => "watch",
        (&Method::GET, None) => "list",
        (&Method::GET, Some(_)) => "get",
        (&Method::POST, _) => "create",
        (&Method::DELETE, _) => "delete",
        _ => "get",
    };
    Access::Stores { verb, name }
}

/// Middleware: lets the request through, or answers 401, 403 or 503.
pub async fn require(State(auth): State<Arc<Auth>>, request: Request, next: Next) -> Response {
    let token = bearer(&request);
    let verdict = match (&*auth, token) {
        (Auth::Open, _) => Ok(()),
        (_, None) => Err(unauthenticated(
            "missing credentials: send the header Authorization: Bearer <token>",
        )),
        (Auth::Tokens(file), Some(token)) => {
            if file.accepts(token) {
                Ok(())
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
                review::Refusal::Unavailable(why) => {
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, why).into_response()
                }
            }),
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(response) => response,
    }
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
