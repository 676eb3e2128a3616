//! `storectl serve`: the original orchestrator's REST API (`/api/stores`, `/health`),
//! plus server-sent events, Prometheus metrics and an OpenAPI document, served from one
//! live model per cluster (`--context` given several times, or `--all-contexts`: one
//! list over every cluster, each store with its `context`). It runs until SIGTERM or
//! Ctrl-C, then lets the requests in flight finish.

mod auth;
mod caller;
mod clusters;
mod dashboard;
mod deriver;
mod details;
mod error;
mod feed;
mod file_stamp;
mod listen;
mod metrics;
mod options;
mod pages;
mod query;
mod routes;
mod standing;
mod streams;
mod tls;
mod view;
mod writes;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
use tokio::sync::watch;
use tower_http::cors::CorsLayer;

pub use auth::API_GROUP;
use auth::{Auth, ClusterReview, TokenFile};
use clusters::Clusters;
use feed::Feed;
use metrics::Metrics;
use options::cors;
pub use options::{AuthMode, Options, ServeError, TlsFiles};
use routes::Server;
use streams::Streams;

use crate::cluster::connect::Connection;
use crate::domain::config::{Config, Sources};

pub async fn run(
    conns: Vec<Connection>,
    config: Config,
    sources: Sources,
    options: Options,
) -> anyhow::Result<()> {
    options.check()?;
    let clusters = Clusters::new(conns);
    let auth = authentication(&options.auth, &clusters)?;
    let cors = cors(&options.cors_origins)?;
    let tls = match &options.tls {
        Some(TlsFiles { cert, key }) => Some(tls::acceptor(cert, key)?),
        None => None,
    };
    let tcp = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| ServeError::Listen {
            addr: options.listen,
            why: e.to_string(),
        })?;
    let local = tcp.local_addr()?;

    let metrics = Arc::new(Metrics::default());
    let feed = Feed::start(
        clusters.connections().to_vec(),
        config.status_rules(),
        config.stores.shared_namespace.clone(),
        metrics.clone(),
    );
    let (stop, stopping) = watch::channel(false);
    let server = Arc::new(Server {
        feed,
        clusters,
        sources,
        config,
        metrics: metrics.clone(),
        readonly: options.readonly,
        allowed_domains: options.allowed_domains.clone(),
        streams: Streams::new(streams::MAX_STREAMS, streams::MAX_STREAMS_PER_CALLER),
        stopping,
    });
    let serving = if server.clusters.several() {
        format!(
            "; clusters {} ({} reviews with --cluster-auth)",
            server.clusters.contexts().join(", "),
            server.clusters.home().endpoint.context
        )
    } else {
        String::new()
    };
    let open = matches!(auth, Auth::Open);
    let app = router(server, Arc::new(auth), metrics, cors, open);

    let scheme = if tls.is_some() { "https" } else { "http" };
    println!(
        "storectl serve: listening on {scheme}://{local} ({}){}",
        describe(&options.auth),
        serving
    );
    let shutdown = async move {
        shutdown_signal().await;
        println!("storectl serve: stopping; finishing the requests in flight");
        let _ = stop.send(true);
    };
    listen::serve(tcp, tls, app, options.max_connections, shutdown).await;
    println!("storectl serve: stopped");
    Ok(())
}

/// How requests are checked. With `--cluster-auth` and several clusters, the first
/// (home) cluster reviews every token and every action, whatever the store's cluster:
/// a token is only good for the cluster that issued it, and one place decides who may
/// do what (docs/serve.md, Several clusters).
fn authentication(mode: &AuthMode, clusters: &Clusters) -> Result<Auth, ServeError> {
    Ok(match mode {
        AuthMode::None => Auth::Open,
        AuthMode::TokenFile(path) => {
            Auth::Tokens(TokenFile::open(path).map_err(ServeError::TokenFile)?)
        }
        AuthMode::Cluster { audience } => Auth::Cluster(Box::new(ClusterReview::new(
            clusters.home().clone(),
            audience.clone(),
        ))),
    })
}

fn describe(auth: &AuthMode) -> String {
    match auth {
        AuthMode::TokenFile(path) => format!("bearer tokens from {}", path.display()),
        AuthMode::Cluster { audience } => {
            format!("tokens for the audience '{audience}' and access checked by the cluster")
        }
        AuthMode::None => "WITHOUT authentication".to_string(),
    }
}

fn router(
    server: Arc<Server>,
    auth: Arc<Auth>,
    metrics: Arc<Metrics>,
    cors: Option<CorsLayer>,
    open: bool,
) -> Router {
    let guarded = Router::new()
        .route("/api/stores", get(routes::list).post(writes::create))
        .route(
            "/api/stores/{name}",
            get(routes::get).delete(writes::remove),
        )
        .route("/api/stores/{name}/events", get(details::store_events))
        .route("/api/stores/{name}/revisions", get(details::revisions))
        .route("/api/stores/{name}/backups", get(details::store_backups))
        .route("/api/info", get(details::info))
        .route("/metrics", get(routes::metrics))
        .route_layer(middleware::from_fn_with_state(auth, auth::require));
    let app = Router::new()
        .route("/health", get(routes::health))
        .route("/openapi.json", get(routes::openapi))
        .route("/", get(dashboard::index))
        .route("/dashboard/{file}", get(dashboard::asset))
        .merge(guarded)
        .fallback(routes::not_found)
        .with_state(server)
        .layer(DefaultBodyLimit::max(routes::BODY_LIMIT))
        .layer(middleware::from_fn_with_state(metrics, routes::count));
    // Outermost, so a browser's preflight is answered before any token is asked for.
    let app = match cors {
        Some(cors) => app.layer(cors),
        None => app,
    };
    if open {
        app.layer(middleware::from_fn(auth::loopback_host))
    } else {
        app
    }
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use options::is_origin;
    use std::path::PathBuf;

    /// Connections to `contexts` of a kubeconfig written for the test (nothing is asked
    /// of their servers).
    async fn connections(contexts: &[&str]) -> Vec<Connection> {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("kubeconfig");
        let mut text = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        for (i, c) in contexts.iter().enumerate() {
            text += &format!(
                "- name: {c}\n  cluster: {{server: 'https://127.0.0.1:{}'}}\n",
                1 + i
            );
        }
        text += "users:\n- name: u\n  user: {token: t}\ncontexts:\n";
        for c in contexts {
            text += &format!("- name: {c}\n  context: {{cluster: {c}, user: u}}\n");
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        for c in contexts {
            let options = crate::cluster::connect::ConnectOptions {
                kubeconfig: Some(path.clone()),
                context: Some(c.to_string()),
                watch_list: false,
            };
            out.push(
                Connection::open(&options)
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        out
    }

    #[tokio::test]
    async fn with_several_clusters_the_first_reviews_tokens_and_actions() {
        let clusters = Clusters::new(connections(&["home", "away"]).await);
        let mode = AuthMode::Cluster {
            audience: "storectl".to_string(),
        };
        match authentication(&mode, &clusters) {
            Ok(Auth::Cluster(review)) => assert_eq!(review.context(), "home"),
            _ => panic!("not cluster authentication"),
        }
        assert!(matches!(
            authentication(&AuthMode::None, &clusters),
            Ok(Auth::Open)
        ));
    }

    #[test]
    fn an_origin_is_a_scheme_and_a_host_only() {
        for good in ["https://dash.example.com", "http://localhost:3000"] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "dash.example.com",
            "https://",
            "https://dash.example.com/",
            "https://a b",
            "ftp://x",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }

    #[test]
    fn no_authentication_is_for_loopback_addresses_only() {
        let options = |listen: &str| Options {
            listen: listen.parse().unwrap_or_else(|e| panic!("{e}")),
            auth: AuthMode::None,
            tls: None,
            cors_origins: Vec::new(),
            readonly: false,
            allowed_domains: Vec::new(),
            max_connections: 1024,
            insecure_plaintext: true,
        };
        assert!(options("127.0.0.1:8080").check().is_ok());
        assert!(options("[::1]:8080").check().is_ok());
        assert!(matches!(
            options("0.0.0.0:8080").check(),
            Err(ServeError::OpenOnNetwork(_))
        ));
        assert!(matches!(
            options("10.0.0.5:8080").check(),
            Err(ServeError::OpenOnNetwork(_))
        ));
        let mut any_page = options("127.0.0.1:8080");
        any_page.cors_origins = vec!["*".to_string()];
        assert!(matches!(
            any_page.check(),
            Err(ServeError::OpenToEveryOrigin)
        ));
    }

    #[test]
    fn plain_http_off_loopback_needs_to_be_asked_for() {
        let options = |listen: &str, tls: bool, insecure_plaintext: bool| Options {
            listen: listen.parse().unwrap_or_else(|e| panic!("{e}")),
            auth: AuthMode::TokenFile(PathBuf::from("tokens")),
            tls: tls.then(|| TlsFiles {
                cert: PathBuf::from("c"),
                key: PathBuf::from("k"),
            }),
            cors_origins: Vec::new(),
            readonly: false,
            allowed_domains: Vec::new(),
            max_connections: 1024,
            insecure_plaintext,
        };
        assert!(options("127.0.0.1:8080", false, false).check().is_ok());
        assert!(options("0.0.0.0:8443", true, false).check().is_ok());
        assert!(options("0.0.0.0:8080", false, true).check().is_ok());
        assert!(matches!(
            options("0.0.0.0:8080", false, false).check(),
            Err(ServeError::PlaintextOnNetwork(_))
        ));
    }
}
