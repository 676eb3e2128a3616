//! A store's revisions in the cluster (see `domain::revision`): listed by label, the
//! next one created with the next number, the oldest beyond ten deleted.

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{DeleteParams, ListParams};

use super::connect::Connection;
use super::error::ClusterError;
use super::objects::create_params;
use crate::domain::config::Config;
use crate::domain::labels::REVISION_LABEL;
use crate::domain::layout::StoreLayout;
use crate::domain::revision::{self, KEEP, Revision};

/// A recorded revision and the ConfigMap it is kept in.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub revision: Revision,
    pub map: ConfigMap,
}

/// The configuration (as values YAML) of a store's latest revision, and its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestValues {
    pub revision: u32,
    pub values: String,
}

/// The store's revisions, oldest first, each with its ConfigMap.
pub async fn list(conn: &Connection, layout: &StoreLayout) -> Result<Vec<Recorded>, ClusterError> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let selector = format!("{},{REVISION_LABEL}", layout.store_selector());
    let maps = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(conn.error("listing the store's revisions"))?;
    let mut out: Vec<Recorded> = maps
        .items
        .into_iter()
        .filter_map(|map| {
            revision::from_config_map(&map, layout.name())
                .map(|revision| Recorded { revision, map })
        })
        .collect();
    out.sort_by_key(|r| r.revision.revision);
    Ok(out)
}

/// Records `config` as the store's next revision, saying what changed; keeps the last
/// ten.
pub async fn record(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    change: &str,
) -> Result<Revision, ClusterError> {
    next(conn, layout).await?.record(conn, config, change).await
}

/// The store's next revision, numbered but not yet recorded: what a revision does
/// happens before it is recorded ([`Next::record`]), so a recorded revision is a
/// finished one.
#[derive(Debug)]
pub struct Next {
    layout: StoreLayout,
    existing: Vec<Recorded>,
}

/// The store's next revision (see [`Next`]).
pub async fn next(conn: &Connection, layout: &StoreLayout) -> Result<Next, ClusterError> {
    Ok(Next {
        layout: layout.clone(),
        existing: list(conn, layout).await?,
    })
}

impl Next {
    pub fn number(&self) -> u32 {
        next_number(&self.existing)
    }

    /// Records `config` as this revision (refused by the API server if another writer
    /// took its number meanwhile); keeps the last ten.
    pub async fn record(
        self,
        conn: &Connection,
        config: &Config,
        change: &str,
    ) -> Result<Revision, ClusterError> {
        write(conn, &self.layout, config, change, &self.existing).await
    }
}

fn next_number(existing: &[Recorded]) -> u32 {
    existing.last().map_or(1, |r| r.revision.revision + 1)
}

/// Records `config` as revision 1, "created", unless the store has a revision already
/// (a half-made store that is completed keeps its own). `new_namespace`: the caller has
/// just made the store's namespace, so it holds no revision to look for.
pub async fn record_first(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    new_namespace: bool,
) -> Result<Option<Revision>, ClusterError> {
    let existing = if new_namespace {
        Vec::new()
    } else {
        list(conn, layout).await?
    };
    if !existing.is_empty() {
        return Ok(None);
    }
    write(conn, layout, config, "created", &existing)
        .await
        .map(Some)
}

async fn write(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    change: &str,
    existing: &[Recorded],
) -> Result<Revision, ClusterError> {
    let next = next_number(existing);
    let revision = Revision {
        revision: next,
        recorded: Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        user: conn.actor().await.to_string(),
        storectl: env!("CARGO_PKG_VERSION").to_string(),
        change: change.to_string(),
    };
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &layout.namespace);
    // Created, never overwritten: two writers racing for a number cannot both win.
    api.create(
        &create_params(),
        &revision::to_config_map(layout, &revision, config),
    )
    .await
    .map_err(conn.error(&format!("recording revision {next}")))?;
    let surplus = (existing.len() + 1).saturating_sub(KEEP);
    for old in existing.iter().take(surplus) {
        let name = revision::name(layout, old.revision.revision);
        api.delete(&name, &DeleteParams::default())
            .await
            .map_err(conn.error(&format!("deleting the old revision {name}")))?;
    }
    Ok(revision)
}

/// The configuration of the store's latest revision, and its number.
pub async fn latest_values(
    conn: &Connection,
    layout: &StoreLayout,
) -> Result<Option<LatestValues>, ClusterError> {
    Ok(list(conn, layout).await?.pop().map(|latest| {
        let values = latest
            .map
            .data
            .and_then(|mut d| d.remove(revision::VALUES))
            .unwrap_or_default();
        LatestValues {
            revision: latest.revision.revision,
            values,
        }
    }))
}
