//! Helpers every writer of the cluster layer shares: storectl's field manager, how it
//! creates an object, and the API of a namespaced object. A leaf: it imports no other
//! module of the cluster layer but the connection.

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
