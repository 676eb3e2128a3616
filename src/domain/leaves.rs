//! Where two JSON values differ, leaf by leaf, each named by its path
//! (`spec.template.spec.containers[0].image`): what `diff` shows of an object and what a
//! revision records of a configuration change.

use serde_json::Value;

use super::diff::FieldChange;

/// How arrays are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrays {
    /// Element by element when both have the same length (`path[i]`), or when every
    /// element has a name of its own (`path[name]` for one added or removed), else whole.
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
        (Value::Array(x), Value::Array(y))
            if arrays == Arrays::ByIndex && names(x).is_some() && names(y).is_some() =>
        {
            by_name(x, y, path, out);
        }
        (a, b) if a != b => out.push(FieldChange {
            path: path.to_string(),
            from: a.clone(),
            to: b.clone(),
        }),
        _ => {}
    }
}

/// Each element's `name`, when every element is an object with a name of its own (the
/// containers, volumes, mounts and variables of a pod): lists Kubernetes merges by name.
fn names(list: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = list
        .iter()
        .map(|v| v.get("name").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let unique: std::collections::BTreeSet<&&str> = names.iter().collect();
    (unique.len() == names.len()).then_some(names)
}

/// Named lists of different lengths, element by element: one that is in both by its
/// index (`path[i]`, where it did not move) or name (`path[name]`), one added or removed
/// by its name.
fn by_name(x: &[Value], y: &[Value], path: &str, out: &mut Vec<FieldChange>) {
    let (before, after) = (names(x).unwrap_or_default(), names(y).unwrap_or_default());
    for (i, (name, q)) in after.iter().zip(y).enumerate() {
        match before.iter().position(|n| n == name) {
            Some(j) => {
                let at = if i == j {
                    i.to_string()
                } else {
                    (*name).to_string()
                };
                walk(&x[j], q, &format!("{path}[{at}]"), Arrays::ByIndex, out);
            }
            None => out.push(FieldChange {
                path: format!("{path}[{name}]"),
                from: Value::Null,
                to: q.clone(),
            }),
        }
    }
    for (name, p) in before.iter().zip(x) {
        if !after.contains(name) {
            out.push(FieldChange {
                path: format!("{path}[{name}]"),
                from: p.clone(),
                to: Value::Null,
            });
        }
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

    #[test]
    fn named_lists_of_other_lengths_are_compared_by_name() {
        let a = json!({"c": [{"name": "wp", "image": "6.8"}, {"name": "old", "x": 1}]});
        let b = json!({"c": [{"name": "wp", "image": "6.9"}, {"name": "runner"}, {"name": "new"}]});
        assert_eq!(
            changed(&a, &b, Arrays::ByIndex),
            vec![
                change("c[0].image", json!("6.8"), json!("6.9")),
                change("c[runner]", Value::Null, json!({"name": "runner"})),
                change("c[new]", Value::Null, json!({"name": "new"})),
                change("c[old]", json!({"name": "old", "x": 1}), Value::Null),
            ]
        );
        // Without names (or with one twice), whole.
        let twice = json!({"c": [{"name": "a"}, {"name": "a"}, {"name": "b"}]});
        assert_eq!(changed(&a, &twice, Arrays::ByIndex)[0].path, "c");
    }
}
