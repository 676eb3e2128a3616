//! The endpoints of the original orchestrator's API, served from the watch-fed view:
//! health, the store list (or its events), one store, metrics and the OpenAPI document.
//! Create and delete are in `writes`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use tokio::sync::watch;

use super::caller::Caller;
use super::clusters::Clusters;
use super::error::ApiError;
use super::feed::Feed;
use super::metrics::Metrics;
use super::pages;
use super::query::{context_param, watch_param};
use super::standing::{ClusterReport, Overall, overall};
use super::streams::{Full, Streams};
use super::view::View;
use crate::domain::changes::{ChangeKind, StoreChange};
use crate::domain::config::{Config, Sources};
use crate::domain::lookup::LookupError;
use crate::domain::summary::{StatusReport, StoreSummary};

/// The OpenAPI document of every route here (schemathesis checks the server against it).
pub const OPENAPI: &str = include_str!("../../assets/openapi.json");
/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler shares.
pub struct Server {
    pub feed: Feed,
    /// The served clusters' connections: writes and reads of a store go to its own.
    pub clusters: Clusters,
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

pub(super) type Shared = State<Arc<Server>>;

#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    stores: usize,
    /// Each served cluster's state.
    clusters: Vec<ClusterReport>,
}

/// `GET /health`, for anyone: the reason is the kind of trouble only (the details, which
/// name the API server, are in the log). 200 `ok` while every cluster is live; with
/// several clusters 200 `degraded` while one at least is (`standing::overall`); 503
/// `unavailable` otherwise.
pub async fn health(State(server): Shared) -> Response {
    let view = server.feed.view();
    let (code, status, reason) = match overall(&view.clusters) {
        Overall::Ok => (StatusCode::OK, "ok", None),
        Overall::Degraded(why) => (StatusCode::OK, "degraded", Some(why)),
        Overall::Unavailable(why) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", Some(why)),
    };
    let body = HealthBody {
        status,
        reason,
        stores: view.stores.len(),
        clusters: view.clusters.iter().map(|c| c.report()).collect(),
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

pub(super) fn not_listed() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the watches have not listed every kind yet; try again in a moment",
    )
}

/// `GET /api/stores`: the list as serialized after the last change, or its events.
pub async fn list(
    State(server): Shared,
    caller: Option<Extension<Caller>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
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
        Ok(false) => match pages::request(uri.query()) {
            Ok(Some(request)) => page_response(&uri, &pages::page(&view.stores, &request)),
            Ok(None) if pages::accepts_gzip(&headers) => {
                let mut response = json_response(view.gzip());
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                response
            }
            Ok(None) => json_response(view.json()),
            Err(e) => e.into_response(),
        },
        Err(e) => e.into_response(),
    }
}

/// One page of the list, with the next page's token (`Continue`) and link (`Link`).
fn page_response(uri: &Uri, page: &pages::Page) -> Response {
    let mut response = json_response(page.json.clone());
    if let Some(token) = &page.next {
        let limit = uri
            .query()
            .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("limit=")))
            .unwrap_or_default();
        let link = format!("</api/stores?limit={limit}&continue={token}>; rel=\"next\"");
        let headers = response.headers_mut();
        if let (Ok(token), Ok(link)) = (HeaderValue::from_str(token), HeaderValue::from_str(&link))
        {
            headers.insert("continue", token);
            headers.insert(header::LINK, link);
        }
    }
    response
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
    let super::feed::Subscription { view, events } = server.feed.subscribe();
    let changes = super::feed::until_lagged(events);
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

/// The store `name` a request to one of its routes means (its `?context=`, which must be
/// a served cluster's), as the view has it.
pub(super) fn find_in<'a>(
    server: &Server,
    view: &'a View,
    name: &str,
    uri: &Uri,
) -> Result<&'a StoreSummary, ApiError> {
    let context = context_param(uri.query());
    if let Some(context) = &context {
        server.clusters.get(context)?;
    }
    super::clusters::find(&view.stores, name, context.as_deref())
}

/// One store as `storectl status NAME -o json` shows it, and what deleting it destroys in
/// the words of `storectl delete`'s confirmation (the dashboard's delete dialog says it).
#[derive(Serialize)]
struct Detail {
    #[serde(flatten)]
    report: StatusReport,
    destroys: String,
}

/// `GET /api/stores/NAME[?context=CTX]`: as `storectl status NAME -o json`, with
/// `destroys`.
pub async fn get(
    State(server): Shared,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let view = server.feed.view();
    if !view.listed {
        return Err(not_listed());
    }
    let summary = find_in(&server, &view, &name, &uri)?;
    let store = server
        .feed
        .store_objects(summary)
        .ok_or_else(|| LookupError::NotFound(name.clone()))?;
    let report = StatusReport::of(
        &store,
        &summary.context,
        &server.config.status_rules(),
        Timestamp::now(),
    );
    let destroys = crate::ops::delete::what(&store);
    Ok(Json(Detail { report, destroys }).into_response())
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
