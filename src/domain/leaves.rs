//! Where two JSON values differ, leaf by leaf, each named by its path
//! (`spec.template.spec.containers[0].image`): what `diff` shows of an object and what a
//! revision records of a configuration change.

use serde_json::Value;

use super::diff::FieldChange;

/// How arrays are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrays {
    /// Element by element when both have the same length (`path[i]`), else whole.
    ByIndex,
    /// Whole, as one value (a list of plugins is one setting).
    Whole,
}

/// Every leaf where `before` and `after` differ: its path and both values, nulls where
/// absent, in key order.
pub fn changed(before: &Value, after: &Value, arrays: Arrays) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk(before, after, "", arrays, &mut out);
    out
}

fn walk(a: &Value, b: &Value, path: &str, arrays: Arrays, out: &mut Vec<FieldChange>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                    &child,
                    arrays,
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if arrays == Arrays::ByIndex && x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                walk(p, q, &format!("{path}[{i}]"), arrays, out);
            }
        }
        (a, b) if a != b => out.push(FieldChange {
            path: path.to_string(),
            from: a.clone(),
            to: b.clone(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(path: &str, from: Value, to: Value) -> FieldChange {
        FieldChange {
            path: path.to_string(),
            from,
            to,
        }
    }

    #[test]
    fn arrays_are_compared_by_index_or_whole() {
        let a = json!({"list": [1, 2], "same": {"x": 1}, "gone": true});
        let b = json!({"list": [1, 3], "same": {"x": 1}, "new": "y"});
        assert_eq!(
            changed(&a, &b, Arrays::ByIndex),
            vec![
                change("gone", json!(true), Value::Null),
                change("list[1]", json!(2), json!(3)),
                change("new", Value::Null, json!("y")),
            ]
        );
        assert_eq!(
            changed(&a, &b, Arrays::Whole)[1],
            change("list", json!([1, 2]), json!([1, 3]))
        );
    }
}
