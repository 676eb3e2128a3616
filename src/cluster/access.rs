//! storectl's way into a store's namespace: the RoleBinding `storectl-store-writer`
//! (domain/manifests/access.rs). It is created right after the namespace, before anything
//! else there, and the API server's authorizer is asked until it grants writes (its RBAC
//! cache follows new bindings within moments). A store made before storectl bound its
//! namespaces gets the binding at its next upgrade (`bind_existing`).

use std::time::{Duration, Instant};

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};

use super::connect::Connection;
use super::error::ClusterError;
use super::objects::{FIELD_MANAGER, create_params, namespaced};
use crate::domain::config::{Config, Isolation};
use crate::domain::layout::StoreLayout;
use crate::domain::manifests::{STORE_WRITER, writer_binding};
use crate::domain::ownership::{Owner, owner};

/// How long the authorizer may take to see a new binding.
const GRANT_WAIT: Duration = Duration::from_secs(10);

/// Creates the binding (or applies it over the one there), then waits until writes in
/// its namespace are allowed. Whether they are already (rights beyond the binding) is
/// asked meanwhile: then there is nothing to wait for.
pub async fn apply_binding(conn: &Connection, binding: &RoleBinding) -> Result<(), ClusterError> {
    let namespace = binding.metadata.namespace.as_deref().unwrap_or_default();
    let (written, allowed) =
        futures::join!(write_binding(conn, binding), writable(conn, namespace));
    written?;
    if allowed? {
        return Ok(());
    }
    wait_writable(conn, namespace).await
}

async fn write_binding(conn: &Connection, binding: &RoleBinding) -> Result<(), ClusterError> {
    let api: Api<RoleBinding> = namespaced(conn, binding);
    match api.create(&create_params(), binding).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            api.patch(
                STORE_WRITER,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(binding),
            )
            .await
            .map_err(conn.error(&format!("applying RoleBinding {STORE_WRITER}")))?;
            Ok(())
        }
        Err(e) => Err(conn.error(&format!("creating RoleBinding {STORE_WRITER}"))(
            e,
        )),
    }
}

/// Before an upgrade looks inside an existing store (its revisions, a dry run): the
/// binding as `config` renders it, if the store's own namespace (storectl's mark) has
/// none yet. Nothing in the shared namespace or elsewhere, nothing when it exists.
pub async fn bind_existing(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
) -> Result<(), ClusterError> {
    if !layout.owns_namespace || config.stores.isolation != Isolation::Namespace {
        return Ok(());
    }
    let binding = &writer_binding(layout, config);
    let namespaces: Api<Namespace> = Api::all(conn.client.clone());
    let Some(ns) = namespaces
        .get_metadata_opt(&layout.namespace)
        .await
        .map_err(conn.error("reading the store's namespace"))?
    else {
        return Ok(());
    };
    if owner(&ns.metadata, layout, true) != Owner::Storectl
        || ns.metadata.deletion_timestamp.is_some()
    {
        return Ok(());
    }
    let api: Api<RoleBinding> = namespaced(conn, binding);
    match api.create(&create_params(), binding).await {
        Ok(_) => wait_writable(conn, &layout.namespace).await,
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(e) => Err(conn.error(&format!("creating RoleBinding {STORE_WRITER}"))(
            e,
        )),
    }
}

/// Asks (SelfSubjectAccessReview) whether this user may create Secrets in `namespace`
/// until the answer is yes; no after `GRANT_WAIT` is an error that says what is missing.
async fn wait_writable(conn: &Connection, namespace: &str) -> Result<(), ClusterError> {
    let deadline = Instant::now() + GRANT_WAIT;
    while !writable(conn, namespace).await? {
        if Instant::now() >= deadline {
            return Err(ClusterError::Other {
                action: format!("writing in namespace {namespace}"),
                detail: format!(
                    "RoleBinding {STORE_WRITER} there does not let you create secrets after {} s: it binds the groups and ServiceAccounts of platform.writers, so add one of your groups there (docs/security.md)",
                    GRANT_WAIT.as_secs()
                ),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Whether the API server lets this user create Secrets in `namespace` now.
async fn writable(conn: &Connection, namespace: &str) -> Result<bool, ClusterError> {
    let api: Api<SelfSubjectAccessReview> = Api::all(conn.client.clone());
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(namespace.to_string()),
                verb: Some("create".to_string()),
                resource: Some("secrets".to_string()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let answer = api
        .create(&PostParams::default(), &review)
        .await
        .map_err(conn.error(&format!(
            "asking whether you may write in namespace {namespace}"
        )))?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}
