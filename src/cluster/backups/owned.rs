//! Writes to the platform namespace that are owner-checked: an object counts as
//! storectl's only with its mark, and one that exists already is left as it is.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::BackupError;
use crate::cluster::connect::Connection;
use crate::cluster::objects::create_params;
use crate::domain::labels::{MARK_LABEL, MARK_VALUE};

/// A platform object of that name must carry storectl's mark.
pub(super) fn platform_owned(meta: &ObjectMeta, kind: &str) -> Result<(), BackupError> {
    let mark = meta.labels.as_ref().and_then(|l| l.get(MARK_LABEL));
    if mark.map(String::as_str) == Some(MARK_VALUE) {
        return Ok(());
    }
    Err(BackupError::NotOurs {
        object: format!(
            "{kind}/{} in namespace {}",
            meta.name.as_deref().unwrap_or_default(),
            meta.namespace.as_deref().unwrap_or_default()
        ),
        manager: mark.cloned().unwrap_or_else(|| "another tool".to_string()),
    })
}

/// Creates `object`; one that appeared meanwhile is kept as it is.
pub(super) async fn create_if_absent<K>(
    conn: &Connection,
    api: &Api<K>,
    object: &K,
) -> Result<(), BackupError>
where
    K: Resource + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
{
    match api.create(&create_params(), object).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(e) => Err(conn.error(&format!(
            "creating {}",
            object.meta().name.as_deref().unwrap_or_default()
        ))(e)
        .into()),
    }
}
