//! `--set key.path=value` arguments, parsed the way Helm parses them: several pairs may be
//! joined by commas, `\.` and `\,` escape a dot in a key or a comma, `{a,b}` is a list, and
//! `true`/`false`/`null`/integers are typed; everything else is a string.

use serde_yaml_ng::{Mapping, Value};

/// Turns one `--set` argument into a values overlay.
pub fn parse_set(arg: &str) -> Result<Value, String> {
    let mut root = Value::Mapping(Mapping::new());
    for pair in split_unescaped(arg, ',', true) {
        let Some((key, raw)) = split_once_unescaped(&pair, '=') else {
            return Err(format!(
                "expected key.path=value, e.g. --set global.domain=example.com (got '{pair}')"
            ));
        };
        let path: Vec<String> = split_unescaped(&key, '.', false)
            .into_iter()
            .map(|k| unescape(&k))
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(format!("'{key}' has an empty key segment"));
        }
        insert(&mut root, &path, typed(&unescape(&raw)));
    }
    Ok(root)
}

/// A values overlay that sets the dotted `path` (no escapes) to `value`.
pub fn nested(path: &str, value: Value) -> Value {
    let mut root = Value::Mapping(Mapping::new());
    let keys: Vec<String> = path.split('.').map(str::to_string).collect();
    insert(&mut root, &keys, value);
    root
}

fn insert(node: &mut Value, path: &[String], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if !node.is_mapping() {
        *node = Value::Mapping(Mapping::new());
    }
    if let Value::Mapping(map) = node {
        let key = Value::String(first.clone());
        if rest.is_empty() {
            map.insert(key, value);
        } else {
            let child = map
                .entry(key)
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            insert(child, rest, value);
        }
    }
}

fn typed(raw: &str) -> Value {
    if let Some(items) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        let list = split_unescaped(items, ',', false)
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(|s| typed(&unescape(&s)))
            .collect();
        return Value::Sequence(list);
    }
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => match raw.parse::<i64>() {
            Ok(n) if !raw.starts_with('0') || raw == "0" => Value::Number(n.into()),
            _ => Value::String(raw.to_string()),
        },
    }
}

/// Splits on `sep` not preceded by a backslash (escapes are kept for a later `unescape`).
/// With `respect_braces`, separators inside `{...}` do not split.
fn split_unescaped(s: &str, sep: char, respect_braces: bool) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        let current = parts.last_mut();
        let Some(current) = current else { break };
        match c {
            '\\' => {
                current.push('\\');
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '{' if respect_braces => {
                depth += 1;
                current.push(c);
            }
            '}' if respect_braces => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            c if c == sep && depth == 0 => parts.push(String::new()),
            c => current.push(c),
        }
    }
    parts
}

fn split_once_unescaped(s: &str, sep: char) -> Option<(String, String)> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == sep && !escaped => return Some((s[..i].to_string(), s[i + 1..].to_string())),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml_ng::from_str(s).unwrap_or_else(|e| panic!("bad test yaml {s:?}: {e}"))
    }

    #[test]
    fn nested_paths_and_types() {
        assert_eq!(
            parse_set("wordpress.storage=20Gi").ok(),
            Some(yaml("wordpress: {storage: 20Gi}"))
        );
        assert_eq!(
            parse_set("tls.enabled=true,setup.backoffLimit=2").ok(),
            Some(yaml("tls: {enabled: true}\nsetup: {backoffLimit: 2}"))
        );
        assert_eq!(parse_set("a=null").ok(), Some(yaml("a: null")));
        assert_eq!(
            parse_set("a=007").ok(),
            Some(yaml("a: '007'")),
            "leading zeros stay text"
        );
    }

    #[test]
    fn lists_and_escapes() {
        assert_eq!(
            parse_set("setup.plugins={woocommerce,storefront}").ok(),
            Some(yaml("setup: {plugins: [woocommerce, storefront]}"))
        );
        assert_eq!(
            parse_set(r"ingress.annotations.nginx\.ingress\.kubernetes\.io/proxy-body-size=64m")
                .ok(),
            Some(yaml(
                "ingress: {annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 64m}}"
            ))
        );
        assert_eq!(parse_set(r"a=x\,y").ok(), Some(yaml("a: 'x,y'")));
        assert_eq!(parse_set("a=b=c").ok(), Some(yaml("a: b=c")));
    }

    #[test]
    fn malformed_arguments_say_what_is_expected() {
        let e = parse_set("global.domain").err().unwrap_or_default();
        assert!(e.contains("expected key.path=value"), "{e}");
        let e = parse_set("a..b=1").err().unwrap_or_default();
        assert!(e.contains("empty key segment"), "{e}");
    }
}
