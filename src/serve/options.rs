//! What `storectl serve` is started with (authentication, TLS, origins, limits) and what
//! it refuses before anything starts.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How requests are authenticated, from the command line.
#[derive(Debug, Clone)]
pub enum AuthMode {
    TokenFile(PathBuf),
    /// TokenReview for tokens of this audience, SubjectAccessReview for each action.
    Cluster {
        audience: String,
    },
    /// No check (loopback addresses only).
    None,
}

/// The HTTPS certificate chain and its private key (PEM files).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub auth: AuthMode,
    pub tls: Option<TlsFiles>,
    /// Origins a browser may call the API from (`*` for any).
    pub cors_origins: Vec<String>,
    pub readonly: bool,
    /// The domains `POST /api/stores` may create stores under (empty: the configured
    /// `global.domain` only).
    pub allowed_domains: Vec<String>,
    /// Connections open at once; more are closed as soon as they are accepted.
    pub max_connections: u32,
    /// Serve plain HTTP on a non-loopback address anyway (`--insecure-plaintext`).
    pub insecure_plaintext: bool,
}

impl Options {
    /// What can be refused before anything starts: serving without authentication
    /// anywhere but on a loopback address, or to any web page; bearer tokens in plain
    /// HTTP off loopback unless asked for; and origins that are not origins.
    pub fn check(&self) -> Result<(), ServeError> {
        let loopback = self.listen.ip().is_loopback();
        let open = matches!(self.auth, AuthMode::None);
        if open && !loopback {
            return Err(ServeError::OpenOnNetwork(self.listen));
        }
        if open && self.cors_origins.iter().any(|o| o == "*") {
            return Err(ServeError::OpenToEveryOrigin);
        }
        if !loopback && self.tls.is_none() && !self.insecure_plaintext {
            return Err(ServeError::PlaintextOnNetwork(self.listen));
        }
        cors(&self.cors_origins).map(drop)
    }
}

/// Why the server refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "--insecure-no-auth serves without authentication, so only on a loopback address (127.0.0.1 or ::1), not {0}; use --token-file or --cluster-auth to listen there"
    )]
    OpenOnNetwork(SocketAddr),
    #[error(
        "--cors-origin '*' together with --insecure-no-auth would let any web page drive this server; name the dashboard's origin, or use --token-file"
    )]
    OpenToEveryOrigin,
    #[error(
        "listening on {0} without TLS would send bearer tokens in clear text; give --tls-cert and --tls-key, or --insecure-plaintext to do it anyway"
    )]
    PlaintextOnNetwork(SocketAddr),
    #[error("{0}")]
    TokenFile(String),
    #[error("--cors-origin '{0}' is not an origin like https://dashboard.example.com")]
    BadOrigin(String),
    #[error("cannot listen on {addr}: {why}")]
    Listen { addr: SocketAddr, why: String },
}

/// Serves the clusters of `conns` (one at least, in the order given).
/// The browsers' origins allowed to call the API; none by default.
pub(super) fn cors(origins: &[String]) -> Result<Option<CorsLayer>, ServeError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::LOCATION]);
    if origins.iter().any(|o| o == "*") {
        return Ok(Some(layer.allow_origin(AllowOrigin::any())));
    }
    let parsed = origins
        .iter()
        .map(|o| {
            HeaderValue::from_str(o)
                .ok()
                .filter(|_| is_origin(o))
                .ok_or_else(|| ServeError::BadOrigin(o.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(layer.allow_origin(AllowOrigin::list(parsed))))
}

/// `scheme://host[:port]`, as browsers send it in the Origin header.
pub(super) fn is_origin(o: &str) -> bool {
    o.strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
        .is_some_and(|host| !host.is_empty() && !host.contains(['/', ' ', '?', '#']))
}
