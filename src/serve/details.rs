//! What the dashboard shows of one store beyond its status, read as the CLI reads it:
//! its Kubernetes events (`storectl events`), its revisions (`storectl history`) and its
//! backups (`storectl backups`); and `GET /api/info`, what the page needs to know of the
//! server (read-only or not, the clusters it serves). The store is found in the server's
//! view first (in the cluster of `?context=`, or the only one that has it), so an unknown
//! name is 404 without an API call, and it is read from its own cluster.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;
use super::error::bad_request;
use super::routes::{Server, Shared, find_in, not_listed};
use super::standing::ClusterReport;
use crate::cluster::connect::Connection;
use crate::cluster::{backups, events};
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;
use crate::domain::lookup::LookupError;
use crate::domain::manifests;
use crate::domain::name::StoreName;
use crate::ops;

/// `GET /api/info`: what a client of this server needs to know before it offers anything.
#[derive(Serialize)]
struct Info {
    /// `--readonly`: creating and deleting answer 403, so offer neither.
    readonly: bool,
    /// storectl's version.
    version: &'static str,
    /// The clusters served, in the order given, with their state (more than one: the
    /// stores' `context` tells them apart, and a create must name one).
    clusters: Vec<ClusterReport>,
}

pub async fn info(State(server): Shared) -> Response {
    Json(Info {
        readonly: server.readonly,
        version: env!("CARGO_PKG_VERSION"),
        clusters: server
            .feed
            .view()
            .clusters
            .iter()
            .map(|c| c.report())
            .collect(),
    })
    .into_response()
}

/// The store `raw` as the view has it, where its objects are, and its cluster.
fn located<'a>(
    server: &'a Server,
    raw: &str,
    uri: &Uri,
) -> Result<(StoreObjects, StoreLayout, &'a Connection), ApiError> {
    let view = server.feed.view();
    if !view.listed {
        return Err(not_listed());
    }
    let summary = find_in(server, &view, raw, uri)?;
    let store = server
        .feed
        .store_objects(summary)
        .ok_or_else(|| LookupError::NotFound(raw.to_string()))?;
    let name = StoreName::parse_for(raw, &server.config).map_err(|e| bad_request(e.to_string()))?;
    let layout = StoreLayout::found(&name, &summary.namespace, &server.config);
    let conn = server.clusters.get(&summary.context)?;
    Ok((store, layout, conn))
}

/// `GET /api/stores/NAME/events`: as `storectl events NAME -o json` (Warnings first,
/// then newest first).
pub async fn store_events(
    State(server): Shared,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (store, layout, conn) = located(&server, &name, &uri)?;
    let own = manifests::names(&layout, &server.config);
    let list = events::for_store(conn, &store, &own).await?;
    Ok(Json(list).into_response())
}

/// `GET /api/stores/NAME/revisions`: as `storectl history NAME -o json` (oldest first).
pub async fn revisions(
    State(server): Shared,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (_, layout, conn) = located(&server, &name, &uri)?;
    let list = ops::history::run(conn, &layout)
        .await
        .map_err(|e| ApiError::of(e.as_ref()))?;
    Ok(Json(list).into_response())
}

/// `GET /api/stores/NAME/backups`: as `storectl backups NAME -o json` (oldest first).
pub async fn store_backups(
    State(server): Shared,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (_, layout, conn) = located(&server, &name, &uri)?;
    let list = backups::records(conn, &server.config, &name, Some(layout.namespace.as_str()))
        .await
        .map_err(|e| ApiError::of(&e))?;
    Ok(Json(list).into_response())
}
