//! What applying a store's objects would change, object by object and field by field,
//! as `kubectl diff` finds it: each object is applied as a server-side dry run and the
//! answer compared with the object as it is, so hand edits to the fields storectl sets
//! (drift) show too. Only the fields storectl's field manager owns, before or after, are
//! compared: what other writers keep (the runner's report on its Lease) is theirs,
//! however it moves between the read and the dry run. The Secret (never replaced) and
//! the setup Job (run once; its template is immutable) are not compared.

use kube::api::{Patch, PatchParams};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::connect::Connection;
use super::error::ClusterError;
use super::objects::{FIELD_MANAGER, namespaced};
use crate::domain::diff::{FieldChange, ObjectDiff};
use crate::domain::leaves::{self, Arrays};
use crate::domain::managed_fields;
use crate::domain::manifests::Manifest;

/// The differences between the cluster and `manifests`, in apply order.
pub async fn diff(
    conn: &Connection,
    manifests: &[Manifest],
) -> Result<Vec<ObjectDiff>, ClusterError> {
    let checks = manifests.iter().map(|m| async move {
        match m {
            Manifest::Namespace(o) => one(conn, Api::all(conn.client.clone()), o).await,
            Manifest::RoleBinding(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::Role(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::Lease(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::ResourceQuota(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::LimitRange(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::NetworkPolicy(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::PersistentVolumeClaim(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::Service(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::ConfigMap(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::Deployment(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::Ingress(o) => one(conn, namespaced(conn, o), o).await,
            Manifest::CronJob(o) => one(conn, namespaced(conn, &**o), &**o).await,
            Manifest::Secret(_) | Manifest::Job(_) => Ok(None),
        }
    });
    Ok(futures::future::try_join_all(checks)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

async fn one<K>(
    conn: &Connection,
    api: Api<K>,
    object: &K,
) -> Result<Option<ObjectDiff>, ClusterError>
where
    K: Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
{
    let name = object.meta().name.clone().unwrap_or_default();
    let reference = format!("{}/{name}", K::kind(&()));
    let live = api
        .get_opt(&name)
        .await
        .map_err(conn.error(&format!("reading {reference}")))?;
    let Some(live) = live else {
        return Ok(Some(ObjectDiff {
            object: reference,
            change: "create",
            fields: Vec::new(),
        }));
    };
    let desired = serde_json::to_value(object).unwrap_or(Value::Null);
    let live = serde_json::to_value(&live).unwrap_or(Value::Null);
    let recreate = switches_to_recreate(&live, &desired);
    let after = if recreate {
        // Server-side apply cannot drop the server's default rollingUpdate (the
        // original platform's Deployments have it): a merge patch with it null does.
        let mut body = desired;
        body["spec"]["strategy"]["rollingUpdate"] = Value::Null;
        let params = PatchParams {
            dry_run: true,
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        };
        api.patch(&name, &params, &Patch::Merge(&body)).await
    } else {
        let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
        api.patch(&name, &params, &Patch::Apply(object)).await
    }
    .map_err(conn.error(&format!("dry-run applying {reference}")))?;
    let after = serde_json::to_value(&after).unwrap_or(Value::Null);
    let mut owned = managed_fields::join(
        &managed_fields::owned_by(&live, FIELD_MANAGER),
        &managed_fields::owned_by(&after, FIELD_MANAGER),
    );
    if recreate {
        // That removal is storectl's too, though no manager owned the default it drops
        // (the upgrade reads it from the diff: `cluster::upgrade`).
        let rolling_update = serde_json::json!({"f:spec": {"f:strategy": {"f:rollingUpdate": {}}}});
        owned = managed_fields::join(&owned, &rolling_update);
    }
    let mine = |object: &Value| {
        managed_fields::project(object, &owned).unwrap_or(Value::Object(Default::default()))
    };
    let fields = compare(&comparable(&mine(&live)), &comparable(&mine(&after)));
    Ok((!fields.is_empty()).then_some(ObjectDiff {
        object: reference,
        change: "update",
        fields,
    }))
}

/// Whether `desired` makes a Deployment `Recreate` whose live strategy still carries
/// `rollingUpdate` (which then has to be removed first).
fn switches_to_recreate(live: &Value, desired: &Value) -> bool {
    desired["spec"]["strategy"]["type"] == "Recreate"
        && !live["spec"]["strategy"]["rollingUpdate"].is_null()
}

/// The object without what only the server writes: status, and bookkeeping metadata.
fn comparable<K: Serialize>(object: &K) -> Value {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for key in [
                "managedFields",
                "resourceVersion",
                "generation",
                "uid",
                "creationTimestamp",
            ] {
                meta.remove(key);
            }
        }
    }
    value
}

/// Every leaf where `before` and `after` differ, with its path.
fn compare(before: &Value, after: &Value) -> Vec<FieldChange> {
    leaves::changed(before, after, Arrays::ByIndex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_leaves_are_named_by_path_and_bookkeeping_is_ignored() {
        let before = json!({
            "metadata": {"name": "shop", "resourceVersion": "1", "labels": {"a": "1"}},
            "spec": {"replicas": 1, "containers": [{"image": "wordpress:6.8"}, {"image": "x"}]},
            "status": {"ready": 1}
        });
        let after = json!({
            "metadata": {"name": "shop", "resourceVersion": "2", "labels": {"a": "1", "b": "2"}},
            "spec": {"replicas": 1, "containers": [{"image": "wordpress:6.9"}, {"image": "x"}]},
            "status": {"ready": 0}
        });
        assert_eq!(
            compare(&comparable(&before), &comparable(&after)),
            vec![
                FieldChange {
                    path: "metadata.labels.b".to_string(),
                    from: Value::Null,
                    to: json!("2")
                },
                FieldChange {
                    path: "spec.containers[0].image".to_string(),
                    from: json!("wordpress:6.8"),
                    to: json!("wordpress:6.9")
                },
            ]
        );
    }
}
