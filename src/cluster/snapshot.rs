//! One consistent look at every store: a LIST of each store kind, selected by the
//! platform's `managed-by` label, run concurrently, asked as protobuf (`protobuf.rs`) and
//! read into what storectl keeps.
//! A kind the user may not list is left out and named, so the rest still shows.

use std::sync::Arc;

use k8s_openapi::NamespaceResourceScope;
use kube::Resource;

use super::connect::Connection;
use super::error::ClusterError;
use super::protobuf;
use super::slim::SlimKind;
use crate::domain::inventory::Inventory;
use crate::domain::watched::{
    WatchedDeployment, WatchedIngress, WatchedJob, WatchedLease, WatchedNamespace, WatchedPod,
    WatchedPvc,
};

/// What the user could see, and the refusals for each kind they could not.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub inventory: Inventory,
    /// One RBAC refusal per kind left out, in a fixed kind order.
    pub forbidden: Vec<ClusterError>,
}

impl Snapshot {
    /// The inventory, or the first refusal when any kind is missing: for actions that
    /// must see all of a store (create, delete).
    pub fn complete(self) -> Result<Inventory, ClusterError> {
        match self.forbidden.into_iter().next() {
            Some(refusal) => Err(refusal),
            None => Ok(self.inventory),
        }
    }
}

/// Lists the store objects matching `selector` (`STORE_SELECTOR` for every store).
pub async fn inventory(conn: &Connection, selector: &str) -> Result<Snapshot, ClusterError> {
    // All at once; refusals are reported in this fixed order.
    let (namespaces, deployments, jobs, claims, pods, ingresses, reports) = futures::join!(
        list::<WatchedNamespace>(conn, selector),
        list::<WatchedDeployment>(conn, selector),
        list::<WatchedJob>(conn, selector),
        list::<WatchedPvc>(conn, selector),
        list::<WatchedPod>(conn, selector),
        list::<WatchedIngress>(conn, selector),
        list::<WatchedLease>(conn, selector),
    );
    let mut forbidden = Vec::new();
    let f = &mut forbidden;
    let inventory = Inventory {
        namespaces: visible(namespaces, f)?,
        deployments: visible(deployments, f)?,
        jobs: visible(jobs, f)?,
        claims: visible(claims, f)?,
        pods: visible(pods, f)?,
        ingresses: visible(ingresses, f)?,
        reports: visible(reports, f)?,
    };
    Ok(Snapshot {
        inventory,
        forbidden,
    })
}

/// What can make a store of `selector` (`Inventory::stores`): every namespace, and the
/// other kinds in the shared namespace only. Elsewhere only a namespace carrying the
/// store's labels and storectl's mark makes one, and pods and reports make none, so
/// this answers which stores there are with five small LISTs instead of seven big ones.
pub async fn store_makers(
    conn: &Connection,
    selector: &str,
    shared_namespace: &str,
) -> Result<Snapshot, ClusterError> {
    let (namespaces, deployments, jobs, claims, ingresses) = futures::join!(
        list::<WatchedNamespace>(conn, selector),
        list_in::<WatchedDeployment>(conn, selector, shared_namespace),
        list_in::<WatchedJob>(conn, selector, shared_namespace),
        list_in::<WatchedPvc>(conn, selector, shared_namespace),
        list_in::<WatchedIngress>(conn, selector, shared_namespace),
    );
    let mut forbidden = Vec::new();
    let f = &mut forbidden;
    let inventory = Inventory {
        namespaces: visible(namespaces, f)?,
        deployments: visible(deployments, f)?,
        jobs: visible(jobs, f)?,
        claims: visible(claims, f)?,
        ingresses: visible(ingresses, f)?,
        ..Inventory::default()
    };
    Ok(Snapshot {
        inventory,
        forbidden,
    })
}

/// The listed items; a refusal is set aside in `forbidden` and counts as nothing seen.
fn visible<T>(
    result: Result<Vec<T>, ClusterError>,
    forbidden: &mut Vec<ClusterError>,
) -> Result<Vec<T>, ClusterError> {
    match result {
        Err(e) if e.code() == Some(403) => {
            forbidden.push(e);
            Ok(Vec::new())
        }
        other => other,
    }
}

/// The objects of kind `K` matching `selector`, in every namespace.
async fn list<K: SlimKind>(conn: &Connection, selector: &str) -> Result<Vec<Arc<K>>, ClusterError> {
    listed::<K>(conn, None, selector).await
}

/// The objects of kind `K` matching `selector` in `namespace`.
async fn list_in<K>(
    conn: &Connection,
    selector: &str,
    namespace: &str,
) -> Result<Vec<Arc<K>>, ClusterError>
where
    K: SlimKind,
    K::Api: Resource<Scope = NamespaceResourceScope>,
{
    listed::<K>(conn, Some(namespace), selector).await
}

/// One list, read in a task of its own: decoding a kind's list is CPU work (hundreds of
/// MB of protobuf at 10,000 stores), and the seven lists of a snapshot then share every
/// worker of the runtime instead of the one that polls `join!`.
async fn listed<K: SlimKind>(
    conn: &Connection,
    namespace: Option<&str>,
    selector: &str,
) -> Result<Vec<Arc<K>>, ClusterError> {
    let conn = conn.clone();
    let url = K::Api::url_path(&(), namespace);
    let selector = selector.to_string();
    let read = tokio::spawn(async move {
        let mut items = Vec::new();
        protobuf::list_all::<K>(
            &conn,
            &url,
            &selector,
            protobuf::Reading::Latest,
            |object| items.push(Arc::new(object)),
        )
        .await?;
        Ok(items)
    });
    match read.await {
        Ok(listed) => listed,
        Err(stopped) if stopped.is_panic() => std::panic::resume_unwind(stopped.into_panic()),
        Err(stopped) => Err(ClusterError::Other {
            action: format!("listing {}", K::Api::plural(&())),
            detail: stopped.to_string(),
        }),
    }
}
