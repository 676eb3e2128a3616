//! Helpers every writer of the cluster layer shares: storectl's field manager, how it
//! creates an object, the API of a namespaced object, and writes tried again when a
//! ResourceQuota's usage changed under them. A leaf: it imports no other module of the
//! cluster layer but the connection.

use std::future::Future;
use std::time::Duration;

use kube::api::PostParams;
use kube::{Api, Resource};

use super::connect::Connection;

/// The field manager of storectl's own writes (server-side apply and create).
pub const FIELD_MANAGER: &str = "storectl";

/// How storectl creates an object (as the `storectl` field manager).
pub fn create_params() -> PostParams {
    PostParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PostParams::default()
    }
}

/// The API of `object`'s kind in its namespace.
pub fn namespaced<K>(conn: &Connection, object: &K) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    Api::namespaced(
        conn.client.clone(),
        object.meta().namespace.as_deref().unwrap_or_default(),
    )
}

/// A write refused only because a ResourceQuota of its namespace changed while the API
/// server charged it (many objects of one namespace written at once, the quota
/// admission's own retries used up): worth trying again. Any other 409 (a field
/// manager's conflict, an object that already exists) is not.
pub fn quota_conflict(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => {
            status.code == 409
                && status.reason == "Conflict"
                && status
                    .details
                    .as_ref()
                    .is_some_and(|d| d.kind == "resourcequotas")
        }
        _ => false,
    }
}

/// Runs `write` again while it fails with a [`quota_conflict`]: five tries at most, 200 ms,
/// 400 ms, 800 ms and 1.6 s apart (client-go's `RetryOnConflict`, for the quota alone).
pub async fn retrying_quota_conflicts<T, F, Fut>(mut write: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut wait = Duration::from_millis(200);
    for _ in 1..5 {
        match write().await {
            Err(e) if quota_conflict(&e) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            done => return done,
        }
    }
    write().await
}

#[cfg(test)]
mod tests {
    use super::quota_conflict;

    fn api_error(value: serde_json::Value) -> kube::Error {
        kube::Error::Api(Box::new(
            serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}")),
        ))
    }

    #[test]
    fn only_a_resourcequota_conflict_is_tried_again() {
        let quota = api_error(serde_json::json!({
            "code": 409, "reason": "Conflict",
            "message": "Operation cannot be fulfilled on resourcequotas \"shop-quota\": the object has been modified; please apply your changes to the latest version and try again",
            "details": {"name": "shop-quota", "kind": "resourcequotas"}
        }));
        assert!(quota_conflict(&quota));
        let exists = api_error(serde_json::json!({
            "code": 409, "reason": "AlreadyExists",
            "message": "secrets \"shop-credentials\" already exists",
            "details": {"name": "shop-credentials", "kind": "secrets"}
        }));
        assert!(!quota_conflict(&exists));
        let fields = api_error(serde_json::json!({
            "code": 409, "reason": "Conflict",
            "message": "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas",
            "details": {"name": "shop-wordpress", "kind": "deployments", "group": "apps"}
        }));
        assert!(!quota_conflict(&fields));
        let forbidden = api_error(serde_json::json!({
            "code": 403, "reason": "Forbidden", "message": "exceeded quota: shop-quota",
            "details": {"kind": "resourcequotas"}
        }));
        assert!(!quota_conflict(&forbidden));
    }
}
