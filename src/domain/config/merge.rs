//! Helm-style deep merge of YAML values, remembering which layer set each key.
//!
//! The rule (the same as Helm's values files): maps merge key by key, lists and scalars
//! replace what was there, and `null` removes the key.

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value};

/// Which layer (file name, `--set`, environment variable) last set each dotted key path.
#[derive(Debug, Default, Clone)]
pub struct Provenance(BTreeMap<String, String>);

impl Provenance {
    /// The layer that set `path` or its nearest ancestor.
    pub fn source_of(&self, path: &str) -> Option<&str> {
        let mut candidate = path;
        loop {
            if let Some(source) = self.0.get(candidate) {
                return Some(source);
            }
            candidate = candidate.rsplit_once('.')?.0;
        }
    }

    fn set(&mut self, path: &str, source: &str) {
        self.remove_below(path);
        self.0.insert(path.to_string(), source.to_string());
    }

    fn remove_below(&mut self, path: &str) {
        let nested = format!("{path}.");
        self.0.retain(|k, _| k != path && !k.starts_with(&nested));
    }
}

/// Merges `overlay` into `base`, recording `source` for every key the overlay sets.
pub fn deep_merge(base: &mut Value, overlay: Value, source: &str, provenance: &mut Provenance) {
    merge_at(base, overlay, "", source, provenance);
}

fn merge_at(base: &mut Value, overlay: Value, path: &str, source: &str, prov: &mut Provenance) {
    match (base, overlay) {
        (Value::Mapping(base_map), Value::Mapping(overlay_map)) => {
            for (key, value) in overlay_map {
                let child = join(path, &key_text(&key));
                if value.is_null() {
                    base_map.remove(&key);
                    prov.remove_below(&child);
                    prov.0.insert(child, source.to_string());
                    continue;
                }
                match base_map.get_mut(&key) {
                    Some(existing) => merge_at(existing, value, &child, source, prov),
                    None => {
                        record_leaves(&value, &child, source, prov);
                        base_map.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => {
            record_leaves(&overlay, path, source, prov);
            *base = overlay;
        }
    }
}

fn record_leaves(value: &Value, path: &str, source: &str, prov: &mut Provenance) {
    prov.set(path, source);
    if let Value::Mapping(map) = value {
        for (k, v) in map {
            record_leaves(v, &join(path, &key_text(k)), source, prov);
        }
    }
}

/// A mapping key as text (YAML keys may be numbers or booleans).
pub fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default(),
    }
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// An empty mapping, the starting point of a merge.
pub fn empty() -> Value {
    Value::Mapping(Mapping::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml_ng::from_str(s).unwrap_or_else(|e| panic!("bad test yaml {s:?}: {e}"))
    }

    fn merged(base: &str, overlay: &str) -> (Value, Provenance) {
        let mut v = yaml(base);
        let mut p = Provenance::default();
        record_leaves(&v.clone(), "", "base", &mut p);
        deep_merge(&mut v, yaml(overlay), "over", &mut p);
        (v, p)
    }

    #[test]
    fn maps_merge_key_by_key() {
        let (v, _) = merged("a: {x: 1, y: 2}\nb: 3", "a: {y: 20, z: 30}");
        assert_eq!(v, yaml("a: {x: 1, y: 20, z: 30}\nb: 3"));
    }

    #[test]
    fn lists_replace_rather_than_append() {
        let (v, _) = merged("plugins: [a, b]", "plugins: [c]");
        assert_eq!(v, yaml("plugins: [c]"));
    }

    #[test]
    fn scalars_override_and_may_change_type() {
        let (v, _) = merged("size: 10Gi\nn: 1", "size: 20Gi\nn: two");
        assert_eq!(v, yaml("size: 20Gi\nn: two"));
    }

    #[test]
    fn null_removes_the_key() {
        let (v, _) = merged("annotations: {a: '1', b: '2'}", "annotations: {a: null}");
        assert_eq!(v, yaml("annotations: {b: '2'}"));
    }

    #[test]
    fn a_scalar_over_a_map_replaces_it() {
        let (v, _) = merged("a: {x: 1}", "a: 5");
        assert_eq!(v, yaml("a: 5"));
    }

    #[test]
    fn provenance_names_the_last_layer_per_key() {
        let (_, p) = merged("a: {x: 1, y: 2}\nb: 3", "a: {y: 20, z: {deep: 1}}");
        assert_eq!(p.source_of("a.x"), Some("base"));
        assert_eq!(p.source_of("a.y"), Some("over"));
        assert_eq!(p.source_of("a.z.deep"), Some("over"));
        assert_eq!(p.source_of("b"), Some("base"));
        assert_eq!(
            p.source_of("a.z.deep.below"),
            Some("over"),
            "falls back to the ancestor"
        );
    }
}
