//! The endpoints that change stores: `POST /api/stores` and `DELETE /api/stores/NAME`,
//! each through its verb in `ops` (create, delete) as the CLI runs it; `--readonly`
//! removes them (`Verb::allowed`). Each runs on the store's own cluster: the body's
//! `context` for a create, the store's (`?context=`) for a delete.
//! `POST /api/stores?dryRun=true` makes every check
//! `storectl create` makes before its first API call and stops there: the dashboard
//! shows its answer beside the name as it is typed.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use k8s_openapi::jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::caller::Caller;
use super::clusters::location;
use super::error::ApiError;
use super::error::bad_request;
use super::query::flag_param;
use super::routes::{BODY_LIMIT, Shared, find_in, not_listed};
use crate::cluster::connect::Connection;
use crate::domain::config;
use crate::domain::layout::StoreLayout;
use crate::domain::manifests;
use crate::domain::name::StoreName;
use crate::domain::status::Phase;
use crate::domain::summary::summarize;
use crate::domain::verb::Verb;
use crate::ops;

/// How long `POST` waits for the watches to show the store it created.
const SEEN_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// The body of `POST /api/stores`: the original dashboard's fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewStore {
    name: String,
    domain: Option<String>,
    storage: Option<String>,
    admin_email: Option<String>,
    /// The cluster to create it in (one of the served contexts; required when several).
    context: Option<String>,
}

impl NewStore {
    /// The request's fields as the configuration's top layer (as the TUI's form); an
    /// empty field, as a web form sends it, keeps the server's value.
    fn layer(&self) -> Vec<config::FormField> {
        let mut out = Vec::new();
        let mut put = |key: &str, value: &Option<String>| {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                out.push(config::FormField::new(key, v.clone()));
            }
        };
        put("global.domain", &self.domain);
        put("wordpress.storage", &self.storage);
        put("mysql.storage", &self.storage);
        put("wordpress.admin.email", &self.admin_email);
        out
    }
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
    conn.acting_as(format!("{} (through storectl serve)", caller.name))
}

/// What a dry run would create.
#[derive(Serialize)]
struct WouldCreate {
    name: String,
    namespace: String,
    /// The cluster it would be created in.
    context: String,
}

/// `POST /api/stores`: 202 with the store as it starts, checked and created as
/// `storectl create` does; with `?dryRun=true`, 200 once the checks made before any API
/// call pass (the name's rules, the request's values, `--readonly`), creating nothing.
pub async fn create(
    State(server): Shared,
    Extension(caller): Extension<Caller>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let dry_run = flag_param(uri.query(), "dryRun")?;
    let mut request = parse_body(&headers, body)?;
    let cluster = server.clusters.for_create(request.context.as_deref())?;
    let context = cluster.endpoint.context.clone();
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
    Verb::Create.allowed(server.readonly)?;
    if dry_run {
        let layout = StoreLayout::new(&name, &config);
        let would = WouldCreate {
            name: name.to_string(),
            namespace: layout.namespace,
            context,
        };
        return Ok(Json(would).into_response());
    }
    let in_cluster = if server.clusters.several() {
        format!(" in cluster {context}")
    } else {
        String::new()
    };
    tracing::info!("{caller} from {peer} creates store {name}{in_cluster}");
    println!("storectl serve: {caller} from {peer} creates store {name}{in_cluster}");
    let conn = acting_for(cluster, &caller);
    let created = ops::create::run(&conn, &name, &config).await?;
    let layout = &created.layout;
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
        .wait_for_store(&context, &layout.namespace, name.as_str(), SEEN_WITHIN)
        .await;
    let summary = seen.unwrap_or_else(|| {
        let store = manifests::as_observed(layout, &created.objects);
        summarize(&store, &context, &config.status_rules(), Timestamp::now())
    });
    let mut response = (StatusCode::ACCEPTED, Json(summary)).into_response();
    let location = location(name.as_str(), &context, server.clusters.several());
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `DELETE /api/stores/NAME[?context=CTX]`: 202 once deletion is under way, as
/// `storectl delete --yes` (only storectl's own objects, or the original platform's
/// layout), in the store's cluster.
pub async fn remove(
    State(server): Shared,
    Extension(caller): Extension<Caller>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let name =
        StoreName::parse_for(&raw, &server.config).map_err(|e| bad_request(e.to_string()))?;
    let view = server.feed.view();
    if !view.listed {
        return Err(not_listed());
    }
    let mut summary = find_in(&server, &view, name.as_str(), &uri)?.clone();
    Verb::Delete.allowed(server.readonly)?;
    let cluster = server.clusters.get(&summary.context)?;
    let in_cluster = if server.clusters.several() {
        format!(" in cluster {}", summary.context)
    } else {
        String::new()
    };
    tracing::info!("{caller} from {peer} deletes store {name}{in_cluster}");
    println!("storectl serve: {caller} from {peer} deletes store {name}{in_cluster}");
    let layout = StoreLayout::found(&name, &summary.namespace, &server.config);
    let conn = acting_for(cluster, &caller);
    ops::delete::run(&conn, &layout, &server.config).await?;
    tracing::info!("deleting store {name} in namespace {}", summary.namespace);
    summary.status = Phase::Deleting;
    summary.reason = "deletion requested".to_string();
    Ok((StatusCode::ACCEPTED, Json(summary)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            context: None,
        };
        assert_eq!(
            request.layer(),
            vec![
                config::FormField::new("wordpress.storage", "5Gi"),
                config::FormField::new("mysql.storage", "5Gi"),
            ]
        );
    }
}
