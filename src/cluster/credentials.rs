//! A store's WordPress admin password, read from its credentials Secret (shown on
//! request in the terminal UI, never logged).

use k8s_openapi::api::core::v1::Secret;
use kube::Api;

use super::connect::Connection;
use crate::domain::credentials::WORDPRESS_ADMIN_PASSWORD;

/// The admin password of store `name` in `namespace`, or why it cannot be read.
pub async fn admin_password(
    conn: &Connection,
    name: &str,
    namespace: &str,
) -> Result<String, String> {
    let api: Api<Secret> = Api::namespaced(conn.client.clone(), namespace);
    let secret_name = format!("{name}-credentials");
    let secret = api
        .get_opt(&secret_name)
        .await
        .map_err(|e| conn.error(&format!("reading secret {secret_name}"))(e).to_string())?
        .ok_or_else(|| format!("no secret {secret_name} (a store of the original platform keeps its passwords elsewhere)"))?;
    secret
        .data
        .as_ref()
        .and_then(|d| d.get(WORDPRESS_ADMIN_PASSWORD))
        .map(|b| String::from_utf8_lossy(&b.0).into_owned())
        .ok_or_else(|| format!("secret {secret_name} has no {WORDPRESS_ADMIN_PASSWORD}"))
}
