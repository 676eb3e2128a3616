//! The part of an object one field manager owns, read from the object's `managedFields`
//! (the API server's `FieldsV1` sets): what `diff` compares, so that fields another
//! writer keeps (a runner renewing its Lease, a controller's annotations) never show as
//! a change of storectl's, however they move between two reads.

use serde_json::{Map, Value};

/// The fields `manager` owns in `object` (every operation of that manager, joined), as
/// one `FieldsV1` tree; empty when it owns nothing.
pub fn owned_by(object: &Value, manager: &str) -> Value {
    let entries = object["metadata"]["managedFields"].as_array();
    entries
        .into_iter()
        .flatten()
        .filter(|entry| entry["manager"] == manager)
        .filter_map(|entry| entry.get("fieldsV1"))
        .fold(Value::Object(Map::new()), |all, fields| join(&all, fields))
}

/// Every field either tree names.
pub fn join(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut out = x.clone();
            for (key, theirs) in y {
                let joined = match out.get(key) {
                    Some(ours) => join(ours, theirs),
                    None => theirs.clone(),
                };
                out.insert(key.clone(), joined);
            }
            Value::Object(out)
        }
        (_, b) => b.clone(),
    }
}

/// `value` cut down to the fields of `fields` (a `FieldsV1` tree): `f:KEY` for a map's
/// key, `k:{...}` for the list element with those key fields, `v:VALUE` for an element of
/// a set, `i:N` for a position; a field whose tree is empty is owned whole. `None` when
/// nothing of `value` is owned.
pub fn project(value: &Value, fields: &Value) -> Option<Value> {
    let children = fields.as_object()?;
    let owned_children = children.keys().any(|k| k != ".");
    if !owned_children {
        // Owned whole (a leaf, an atomic list or map), or only the element itself (".").
        return children.is_empty().then(|| value.clone());
    }
    match value {
        Value::Object(map) => {
            let kept: Map<String, Value> = map
                .iter()
                .filter_map(|(key, child)| {
                    let owned = children.get(&format!("f:{key}"))?;
                    Some((key.clone(), project(child, owned)?))
                })
                .collect();
            Some(Value::Object(kept))
        }
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| project(item, element_fields(children, i, item)?))
                .collect(),
        )),
        _ => None,
    }
}

/// The tree of list element `item` (at `index`) among a list's `children`, if owned.
fn element_fields<'a>(
    children: &'a Map<String, Value>,
    index: usize,
    item: &Value,
) -> Option<&'a Value> {
    children.iter().find_map(|(key, fields)| {
        let matches = if let Some(keys) = key.strip_prefix("k:") {
            serde_json::from_str::<Map<String, Value>>(keys)
                .is_ok_and(|keys| keys.iter().all(|(k, v)| item.get(k) == Some(v)))
        } else if let Some(set_value) = key.strip_prefix("v:") {
            serde_json::from_str::<Value>(set_value).is_ok_and(|v| &v == item)
        } else if let Some(position) = key.strip_prefix("i:") {
            position.parse() == Ok(index)
        } else {
            false
        };
        matches.then_some(fields)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lease(renew: &str, report: &str) -> Value {
        json!({
            "metadata": {
                "name": "shop-report",
                "labels": {"app.kubernetes.io/managed-by": "storectl", "app": "shop"},
                "annotations": {"storectl.io/report": report},
                "managedFields": [
                    {"manager": "storectl", "operation": "Apply", "fieldsV1": {"f:metadata": {
                        "f:labels": {"f:app.kubernetes.io/managed-by": {}, "f:app": {}}}}},
                    {"manager": "storectl-runner", "operation": "Update", "fieldsV1": {
                        "f:metadata": {"f:annotations": {".": {}, "f:storectl.io/report": {}}},
                        "f:spec": {"f:renewTime": {}}}}
                ]
            },
            "spec": {"renewTime": renew}
        })
    }

    #[test]
    fn what_another_manager_keeps_is_left_out_whatever_it_holds() {
        let before = lease("2026-12-01T10:00:00Z", "{\"wordpress\":\"6.8\"}");
        let after = lease("2026-12-01T10:01:00Z", "{\"wordpress\":\"6.9\"}");
        let owned = join(
            &owned_by(&before, "storectl"),
            &owned_by(&after, "storectl"),
        );
        let mine = project(&before, &owned).unwrap();
        assert_eq!(mine, project(&after, &owned).unwrap());
        assert_eq!(
            mine,
            json!({"metadata": {"labels": {
                "app.kubernetes.io/managed-by": "storectl", "app": "shop"}}})
        );
        // The runner's own view is its fields alone, dotted keys and all.
        let runner = project(&after, &owned_by(&after, "storectl-runner")).unwrap();
        assert_eq!(runner["spec"]["renewTime"], "2026-12-01T10:01:00Z");
        assert!(runner["metadata"].get("labels").is_none());
    }

    #[test]
    fn list_elements_are_found_by_their_keys_a_set_value_or_position() {
        let pod = json!({
            "containers": [
                {"name": "wordpress", "image": "wordpress:6.9", "stdin": false},
                {"name": "sidecar", "image": "someone-elses"}
            ],
            "finalizers": ["storectl.io/a", "other.io/b"],
            "args": ["-v", "2"],
            "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}]
        });
        let fields = json!({
            "f:containers": {"k:{\"name\":\"wordpress\"}": {".": {}, "f:name": {}, "f:image": {}}},
            "f:finalizers": {"v:\"storectl.io/a\"": {}},
            "f:args": {},
            "f:ports": {"i:0": {"f:name": {}}}
        });
        assert_eq!(
            project(&pod, &fields).unwrap(),
            json!({
                "containers": [{"name": "wordpress", "image": "wordpress:6.9"}],
                "finalizers": ["storectl.io/a"],
                "args": ["-v", "2"],
                "ports": [{"name": "http"}]
            })
        );
    }

    #[test]
    fn a_field_owned_before_and_gone_after_still_counts() {
        let mut before = lease("t", "r");
        before["metadata"]["managedFields"][0]["fieldsV1"]["f:metadata"]["f:labels"]["f:old"] =
            json!({});
        before["metadata"]["labels"]["old"] = json!("x");
        let after = lease("t", "r");
        let owned = join(
            &owned_by(&before, "storectl"),
            &owned_by(&after, "storectl"),
        );
        assert_eq!(
            project(&before, &owned).unwrap()["metadata"]["labels"]["old"],
            "x"
        );
        assert!(
            project(&after, &owned).unwrap()["metadata"]["labels"]
                .get("old")
                .is_none()
        );
        assert_eq!(owned_by(&json!({"metadata": {}}), "storectl"), json!({}));
    }
}
