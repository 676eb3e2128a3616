//! The endpoints of the original orchestrator's API, served from the watch-fed view:
//! health, the store list (or its events), one store, create and delete (through the
//! same core as `storectl create` and `delete`), metrics and the OpenAPI document. Every
//! create and delete is logged with its caller and source address.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use k8s_openapi::jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

use super::caller::Caller;
use super::error::ApiError;
use super::feed::{Feed, View};
use super::metrics::Metrics;
use super::streams::{Full, Streams};
use crate::cluster::connect::Connection;
use crate::cluster::{apply, delete};
use crate::domain::changes::{ChangeKind, StoreChange};
use crate::domain::config::{self, Config, Sources};
use crate::domain::layout::StoreLayout;
use crate::domain::lookup::{LookupError, the_one};
use crate::domain::manifests;
use crate::domain::name::StoreName;
use crate::domain::status::Phase;
use crate::domain::summary::{StatusReport, StoreSummary, summarize};

/// The OpenAPI document of every route here (schemathesis checks the server against it).
pub const OPENAPI: &str = include_str!("../../assets/openapi.json");
/// How long `POST` waits for the watches to show the store it created.
const SEEN_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);
/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler shares.
pub struct Server {
    pub feed: Feed,
    pub conn: Connection,
    /// The configuration layers the server was started with; a request adds its own.
    pub sources: Sources,
    pub config: Config,
    pub metrics: Arc<Metrics>,
    pub readonly: bool,
    /// The domains stores may be created under (empty: the configured domain only).
    pub allowed_domains: Vec<String>,
    /// The event streams open.
    pub streams: Streams,
    /// Becomes true when the server shuts down: open event streams end.
    pub stopping: watch::Receiver<bool>,
}

type Shared = State<Arc<Server>>;

/// The store list's `watch` parameter: `true` or `false` (absent: false).
pub fn watch_param(query: Option<&str>) -> Result<bool, ApiError> {
    let mut watch = false;
    for pair in query.unwrap_or_default().split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "watch" {
            continue;
        }
        watch = match value {
            "true" => true,
            "false" => false,
            other => {
                return Err(bad_request(format!(
                    "watch must be true or false, not '{other}'"
                )));
            }
        };
    }
    Ok(watch)
}

#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    stores: usize,
}

/// `GET /health`, for anyone: the reason is the kind of trouble only (the details, which
/// name the API server, are in the log).
pub async fn health(State(server): Shared) -> Response {
    let view = server.feed.view();
    let (code, status, reason) = match view.unhealthy() {
        None => (StatusCode::OK, "ok", None),
        Some(why) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", Some(why)),
    };
    let body = HealthBody {
        status,
        reason,
        stores: view.stores.len(),
    };
    (code, Json(body)).into_response()
}

pub async fn openapi() -> Response {
    json_response(Bytes::from_static(OPENAPI.as_bytes()))
}

pub async fn metrics(State(server): Shared) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        server.metrics.render(),
    )
        .into_response()
}

/// 200 with a body that is JSON already.
fn json_response(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::from(body),
    )
        .into_response()
}

fn not_listed() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the watches have not listed every kind yet; try again in a moment",
    )
}

/// `GET /api/stores`: the list as serialized after the last change, or its events.
pub async fn list(State(server): Shared, caller: Option<Extension<Caller>>, uri: Uri) -> Response {
    let view = server.feed.view();
    if !view.listed {
        return not_listed().into_response();
    }
    match watch_param(uri.query()) {
        Ok(true) => {
            let caller = caller.map_or_else(Caller::anonymous, |Extension(c)| c);
            match server.streams.open(&caller.name) {
                Ok(slot) => watch(&server, slot).into_response(),
                Err(full) => too_many_streams(&full).into_response(),
            }
        }
        Ok(false) => json_response(view.json.clone()),
        Err(e) => e.into_response(),
    }
}

fn too_many_streams(full: &Full) -> ApiError {
    let message = match full {
        Full::Server(max) => {
            format!("this server has {max} event streams open already; try again later")
        }
        Full::Caller(max) => {
            format!("you have {max} event streams open already; close one first")
        }
    };
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, message)
}

/// The stores of the view as `ADDED` events, serialized one by one as the client reads
/// them, from the view every request shares (no copy of the fleet per stream).
fn initial_events(view: Arc<View>) -> impl Stream<Item = Event> {
    futures::stream::iter(0..view.stores.len()).map(move |i| {
        let data = serde_json::to_string(&view.stores[i]).unwrap_or_default();
        Event::default()
            .event(ChangeKind::Added.as_str())
            .data(data)
    })
}

/// Server-sent events: every store as `ADDED`, then one event per status change, until
/// the server stops (or the client falls more than the backlog behind: it reconnects).
/// The stream holds its slot until it ends.
fn watch(
    server: &Server,
    slot: super::streams::Slot,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let (view, events) = server.feed.subscribe();
    let changes = futures::stream::unfold(events, |mut events| async move {
        match events.recv().await {
            Ok(event) => Some((event, events)),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::info!("a watch client fell {missed} events behind; closing its stream");
                None
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    });
    let mut stopping = server.stopping.clone();
    let stop = async move {
        let _ = stopping.wait_for(|s| *s).await;
    };
    let stream = initial_events(view)
        .chain(changes.map(|event| sse_event(&event)))
        .map(move |event| {
            let _held = &slot;
            Ok(event)
        })
        .take_until(Box::pin(stop));
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn sse_event(event: &StoreChange) -> Event {
    let data = serde_json::to_string(&event.store).unwrap_or_default();
    Event::default().event(event.kind.as_str()).data(data)
}

/// The one store of that name in the view, or why not.
fn find<'a>(stores: &'a [StoreSummary], name: &str) -> Result<&'a StoreSummary, LookupError> {
    let matches = stores.iter().filter(|s| s.name == name).collect();
    the_one(matches, name, |s| &s.namespace)
}

/// `GET /api/stores/NAME`: as `storectl status NAME -o json`.
pub async fn get(State(server): Shared, Path(name): Path<String>) -> Result<Response, ApiError> {
    let view = server.feed.view();
    if !view.listed {
        return Err(not_listed());
    }
    let summary = find(&view.stores, &name)?;
    let store = server
        .feed
        .store_objects(summary)
        .ok_or_else(|| LookupError::NotFound(name.clone()))?;
    let report = StatusReport::of(&store, &server.config.status_rules(), Timestamp::now());
    Ok(Json(report).into_response())
}

/// The body of `POST /api/stores`: the original dashboard's fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewStore {
    name: String,
    domain: Option<String>,
    storage: Option<String>,
    admin_email: Option<String>,
}

impl NewStore {
    /// The request's fields as the configuration's top layer (as the TUI's form); an
    /// empty field, as a web form sends it, keeps the server's value.
    fn layer(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut put = |key: &str, value: &Option<String>| {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                out.push((key.to_string(), v.clone()));
            }
        };
        put("global.domain", &self.domain);
        put("wordpress.storage", &self.storage);
        put("mysql.storage", &self.storage);
        put("wordpress.admin.email", &self.admin_email);
        out
    }
}

fn read_only() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "this server was started with --readonly: it does not create or delete stores",
    )
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

/// The body as a `NewStore`: 413 past the limit, 415 if not JSON, 400 if not one.
fn parse_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<NewStore, ApiError> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {} KB", BODY_LIMIT / 1024),
        ),
        status => ApiError::new(status, rejection.body_text()),
    })?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        });
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be JSON, sent with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(&body).map_err(|e| bad_request(format!("invalid body: {e}")))
}

/// The domain a new store gets: the one asked for if the server allows it, else the
/// first allowed (or the configured domain, the only one allowed without
/// `--allowed-domain`).
fn domain_for(
    asked: Option<&str>,
    allowed: &[String],
    configured: &str,
) -> Result<String, ApiError> {
    let configured = [configured.to_string()];
    let allowed = if allowed.is_empty() {
        &configured[..]
    } else {
        allowed
    };
    match asked.filter(|d| !d.is_empty()) {
        None => Ok(allowed[0].clone()),
        Some(domain) if allowed.iter().any(|a| a == domain) => Ok(domain.to_string()),
        Some(domain) => Err(bad_request(format!(
            "domain '{domain}' is not one this server creates stores under ({}); leave it out for {}",
            allowed.join(", "),
            allowed[0]
        ))),
    }
}

/// The connection acting for `caller`: the store's revision records them, not the
/// server's own account.
fn acting_for(conn: &Connection, caller: &Caller) -> Connection {
    let mut conn = conn.clone();
    conn.user = format!("{} (through storectl serve)", caller.name);
    conn
}

/// `POST /api/stores`: 202 with the store as it starts, checked and created as
/// `storectl create` does.
pub async fn create(
    State(server): Shared,
    Extension(caller): Extension<Caller>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mut request = parse_body(&headers, body)?;
    let domain = domain_for(
        request.domain.as_deref(),
        &server.allowed_domains,
        &server.config.global.domain,
    )?;
    request.domain = Some(domain);
    let mut sources = server.sources.clone();
    sources.form = request.layer();
    sources.form_origin = Some("the request");
    let config = config::load(&sources).map_err(|e| bad_request(e.to_string()))?;
    let name =
        StoreName::parse_for(&request.name, &config).map_err(|e| bad_request(e.to_string()))?;
    if server.readonly {
        return Err(read_only());
    }
    let layout = StoreLayout::new(&name, &config);
    tracing::info!("{caller} from {peer} creates store {name}");
    println!("storectl serve: {caller} from {peer} creates store {name}");
    let conn = acting_for(&server.conn, &caller);
    let (created, objects) = apply::create_store(&conn, &layout, &config).await?;
    tracing::info!(
        "created store {name} in namespace {} ({} objects, {} already there) for {}",
        layout.namespace,
        created.applied,
        created.already_present,
        caller.name
    );
    // Read-your-writes: answer once the watches have seen the new store, so a GET that
    // follows finds it; if they are slow, answer with the store as rendered.
    let seen = server
        .feed
        .wait_for_store(&layout.namespace, name.as_str(), SEEN_WITHIN)
        .await;
    let summary = seen.unwrap_or_else(|| {
        let store = manifests::as_observed(&layout, &objects);
        summarize(&store, &config.status_rules(), Timestamp::now())
    });
    let mut response = (StatusCode::ACCEPTED, Json(summary)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/stores/{name}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `DELETE /api/stores/NAME`: 202 once deletion is under way, as `storectl delete
/// --yes` (only storectl's own objects, or the original platform's layout).
pub async fn remove(
    State(server): Shared,
    Extension(caller): Extension<Caller>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let name =
        StoreName::parse_for(&raw, &server.config).map_err(|e| bad_request(e.to_string()))?;
    let view = server.feed.view();
    if !view.listed {
        return Err(not_listed());
    }
    let mut summary = find(&view.stores, name.as_str())?.clone();
    if server.readonly {
        return Err(read_only());
    }
    tracing::info!("{caller} from {peer} deletes store {name}");
    println!("storectl serve: {caller} from {peer} deletes store {name}");
    let layout = StoreLayout::found(&name, &summary.namespace, &server.config);
    let known = manifests::references(&layout, &server.config);
    let conn = acting_for(&server.conn, &caller);
    delete::delete(&conn, &layout, &known).await?;
    tracing::info!("deleting store {name} in namespace {}", summary.namespace);
    summary.status = Phase::Deleting;
    summary.reason = "deletion requested".to_string();
    Ok((StatusCode::ACCEPTED, Json(summary)).into_response())
}

/// Any other path.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no such endpoint: {} (GET /openapi.json lists them)",
            uri.path()
        ),
    )
}

/// Middleware: counts each request by route template and status code.
pub async fn count(
    State(metrics): State<Arc<Metrics>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let response = next.run(request).await;
    metrics.count_request(&route, response.status().as_u16());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_is_true_or_false_and_anything_else_is_refused() {
        assert!(!watch_param(None).unwrap_or(true));
        assert!(watch_param(Some("watch=true")).unwrap_or(false));
        assert!(!watch_param(Some("watch=false&x=1")).unwrap_or(true));
        assert!(!watch_param(Some("other=true")).unwrap_or(true));
        for bad in ["watch=yes", "watch=", "watch", "watch=true&watch=null"] {
            let refused = watch_param(Some(bad)).err().map(|e| e.status);
            assert_eq!(refused, Some(StatusCode::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn the_domain_is_one_the_server_allows() {
        let allowed = ["shops.example".to_string(), "b.example".to_string()];
        let pick = |asked| domain_for(asked, &allowed, "conf.example").map_err(|e| e.message);
        assert_eq!(pick(None), Ok("shops.example".to_string()));
        assert_eq!(pick(Some("")), Ok("shops.example".to_string()));
        assert_eq!(pick(Some("b.example")), Ok("b.example".to_string()));
        let refused = pick(Some("victim.example")).err().unwrap_or_default();
        assert!(refused.contains("'victim.example' is not one"), "{refused}");
        let only = |asked| domain_for(asked, &[], "conf.example").map_err(|e| e.message);
        assert_eq!(only(None), Ok("conf.example".to_string()));
        assert!(only(Some("other.example")).is_err());
    }

    #[test]
    fn empty_fields_keep_the_servers_values_and_storage_sizes_both_volumes() {
        let request = NewStore {
            name: "shop".to_string(),
            domain: Some(String::new()),
            storage: Some("5Gi".to_string()),
            admin_email: None,
        };
        assert_eq!(
            request.layer(),
            vec![
                ("wordpress.storage".to_string(), "5Gi".to_string()),
                ("mysql.storage".to_string(), "5Gi".to_string()),
            ]
        );
    }
}
