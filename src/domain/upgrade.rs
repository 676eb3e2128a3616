//! The pure parts of an upgrade: which configuration keys a change touches (what a
//! revision records as its change, what a plan shows), whether it needs a database
//! upgrade, and how a fleet is cut into waves (one canary, then waves of N).

use serde::Serialize;
use serde_json::Value;

use super::config::Config;
use super::diff::ObjectDiff;
use super::leaves::{self, Arrays};
use super::manifests::{
    CORE_ON_THE_VOLUME, HEALTH_FILE, HEALTH_MOUNT, WP_CONTENT, WP_CONTENT_FOLDER,
};

/// What the plan says of a store whose WordPress volume was mounted whole (core on it)
/// and now mounts only its wp-content folder: no file is copied or moved.
pub const MOVES_CORE_TO_THE_IMAGE: &str =
    "moves to the core-from-image layout (only wp-content on the volume)";

/// Whether applying `changes` mounts the WordPress volume's wp-content folder
/// (`subPath`) where it was not before: a store from before core came from the image.
pub fn moves_core_to_the_image(changes: &[ObjectDiff]) -> bool {
    changes
        .iter()
        .flat_map(|c| &c.fields)
        .any(|f| mounts_content(&f.path, &f.to) && !mounts_content(&f.path, &f.from))
}

/// Where the WordPress Deployment `wordpress` (`Kind/name`) mounted a volume before
/// `changes`, when that is neither layout storectl's stores have had (the whole volume
/// at /var/www/html, or its wp-content folder at /var/www/html/wp-content): e.g. a claim
/// whose root is wp-content, as another tool may have mounted it. Applying would show
/// WordPress other files as wp-content, so an upgrade is refused.
pub fn unknown_wordpress_mount(changes: &[ObjectDiff], wordpress: &str) -> Option<String> {
    let fields: Vec<_> = changes
        .iter()
        .filter(|c| c.object == wordpress)
        .flat_map(|c| &c.fields)
        .collect();
    let moved = |prefix: &str| {
        fields
            .iter()
            .any(|f| f.path == format!("{prefix}.mountPath"))
    };
    fields.iter().find_map(|f| {
        if let Some(prefix) = f.path.strip_suffix(".subPath") {
            // A folder now where the mount path stays ours: the volume's root was there.
            (f.from.is_null() && !moved(prefix)).then(|| WP_CONTENT.to_string())
        } else if f.path.ends_with(".mountPath") {
            f.from
                .as_str()
                .filter(|from| *from != CORE_ON_THE_VOLUME)
                .map(str::to_string)
        } else {
            unknown_in(&f.from)
        }
    })
}

/// A mount in `value` (an object with a `mountPath`) of neither layout.
fn unknown_in(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => match map.get("mountPath").and_then(Value::as_str) {
            Some(path) => {
                let sub = map.get("subPath").and_then(Value::as_str);
                let known = (path == CORE_ON_THE_VOLUME && sub.is_none())
                    || (path == WP_CONTENT && sub == Some(WP_CONTENT_FOLDER))
                    || (path == HEALTH_MOUNT && sub == Some(HEALTH_FILE));
                (!known).then(|| path.to_string())
            }
            None => map.values().find_map(unknown_in),
        },
        Value::Array(items) => items.iter().find_map(unknown_in),
        _ => None,
    }
}

/// A `subPath: wp-content` at `path` or anywhere in `value`.
fn mounts_content(path: &str, value: &Value) -> bool {
    match value {
        Value::String(s) => path.ends_with(".subPath") && s == WP_CONTENT_FOLDER,
        Value::Object(map) => map
            .iter()
            .any(|(key, v)| mounts_content(&format!("{path}.{key}"), v)),
        Value::Array(items) => items.iter().any(|v| mounts_content(path, v)),
        _ => false,
    }
}

/// One configuration key a change touches, with both values (None where unset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyChange {
    /// Dotted path, as `--set` takes it: `wordpress.image`.
    pub key: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Every key whose value differs between `from` and `to`, in key order.
pub fn key_changes(from: &Config, to: &Config) -> Vec<KeyChange> {
    let (a, b) = (
        serde_json::to_value(from).unwrap_or(Value::Null),
        serde_json::to_value(to).unwrap_or(Value::Null),
    );
    leaves::changed(&a, &b, Arrays::Whole)
        .into_iter()
        .map(|c| KeyChange {
            from: scalar(&c.from),
            to: scalar(&c.to),
            key: c.path,
        })
        .collect()
}

/// A value as `--set` would write it; None for null.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The changes in one line, as a revision records them: `wordpress.image: a -> b; ...`.
pub fn summary(changes: &[KeyChange]) -> String {
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".to_string());
    changes
        .iter()
        .map(|c| format!("{}: {} -> {}", c.key, shown(&c.from), shown(&c.to)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether going from `from` to `to` changes what WordPress runs (an image, the pinned
/// WooCommerce or extra plugins), so the database upgrade Job runs (WordPress's database
/// upgrade, the plugins at their pins, WooCommerce's database update). Where the plugins
/// come from (`woocommerce.source`) alone is not such a change.
pub fn needs_database_upgrade(from: &Config, to: &Config) -> bool {
    from.wordpress.image != to.wordpress.image
        || from.setup.image != to.setup.image
        || from.woocommerce.version != to.woocommerce.version
        || from.woocommerce.extra_plugins != to.woocommerce.extra_plugins
}

/// The waves of a rollout over `stores` (in order): the first store alone (the canary),
/// then waves of `size` (at least one).
pub fn waves<T: Clone>(stores: &[T], size: usize) -> Vec<Vec<T>> {
    let Some((canary, rest)) = stores.split_first() else {
        return Vec::new();
    };
    let mut out = vec![vec![canary.clone()]];
    out.extend(rest.chunks(size.max(1)).map(<[T]>::to_vec));
    out
}

#[cfg(test)]
mod tests {
    use super::super::diff::FieldChange;

    fn wordpress(fields: Vec<FieldChange>) -> Vec<ObjectDiff> {
        vec![ObjectDiff {
            object: "Deployment/shop-wordpress".to_string(),
            change: "changed",
            fields,
        }]
    }

    fn field(path: &str, from: Value, to: Value) -> FieldChange {
        FieldChange {
            path: path.to_string(),
            from,
            to,
        }
    }

    #[test]
    fn a_plan_names_the_move_to_core_from_the_image_and_nothing_else() {
        let mounts = "spec.template.spec.containers[0].volumeMounts";
        let moved = wordpress(vec![
            field(
                &format!("{mounts}[0].mountPath"),
                Value::from("/var/www/html"),
                Value::from("/var/www/html/wp-content"),
            ),
            field(
                &format!("{mounts}[0].subPath"),
                Value::Null,
                Value::from("wp-content"),
            ),
        ]);
        assert!(moves_core_to_the_image(&moved));
        let whole = wordpress(vec![field(
            mounts,
            serde_json::json!([{"name": "data", "mountPath": "/var/www/html"}]),
            serde_json::json!([{"name": "data", "mountPath": "/var/www/html/wp-content", "subPath": "wp-content"}, {"name": "x", "mountPath": "/x"}]),
        )]);
        assert!(moves_core_to_the_image(&whole));
        let image = wordpress(vec![field(
            "spec.template.spec.containers[0].image",
            Value::from("wordpress:6.8-apache"),
            Value::from("wordpress:6.9-apache"),
        )]);
        assert!(!moves_core_to_the_image(&image));
        let already = wordpress(vec![field(
            mounts,
            serde_json::json!([{"name": "data", "mountPath": "/var/www/html/wp-content", "subPath": "wp-content"}]),
            serde_json::json!([{"name": "data", "mountPath": "/var/www/html/wp-content", "subPath": "wp-content"}, {"name": "x", "mountPath": "/x"}]),
        )]);
        assert!(!moves_core_to_the_image(&already));
    }

    #[test]
    fn only_a_volume_mounted_elsewhere_than_either_layout_is_unknown() {
        let w = "Deployment/shop-wordpress";
        let mounts = "spec.template.spec.containers[0].volumeMounts";
        let old = wordpress(vec![
            field(
                &format!("{mounts}[0].mountPath"),
                Value::from("/var/www/html"),
                Value::from("/var/www/html/wp-content"),
            ),
            field(
                &format!("{mounts}[0].subPath"),
                Value::Null,
                Value::from("wp-content"),
            ),
        ]);
        assert_eq!(unknown_wordpress_mount(&old, w), None);
        assert_eq!(unknown_wordpress_mount(&old, "Deployment/other"), None);
        let root_is_content = wordpress(vec![field(
            &format!("{mounts}[0].subPath"),
            Value::Null,
            Value::from("wp-content"),
        )]);
        assert_eq!(
            unknown_wordpress_mount(&root_is_content, w).as_deref(),
            Some("/var/www/html/wp-content")
        );
        let uploads = wordpress(vec![field(
            &format!("{mounts}[0].mountPath"),
            Value::from("/var/www/html/wp-content/uploads"),
            Value::from("/var/www/html/wp-content"),
        )]);
        assert_eq!(
            unknown_wordpress_mount(&uploads, w).as_deref(),
            Some("/var/www/html/wp-content/uploads")
        );
        let whole = |from: Value| {
            wordpress(vec![field(
                mounts,
                from,
                serde_json::json!([{"name": "data", "mountPath": "/var/www/html/wp-content", "subPath": "wp-content"}]),
            )])
        };
        // The original platform's stores as the tests make them: no mount at all.
        assert_eq!(unknown_wordpress_mount(&whole(Value::Null), w), None);
        let two = serde_json::json!([
            {"name": "data", "mountPath": "/var/www/html"},
            {"name": "extra", "mountPath": "/etc/extra"}
        ]);
        assert_eq!(
            unknown_wordpress_mount(&whole(two), w).as_deref(),
            Some("/etc/extra")
        );
        // Storectl's own health endpoint beside wp-content is a known mount.
        let with_health = serde_json::json!([
            {"name": "data", "mountPath": "/var/www/html/wp-content", "subPath": "wp-content"},
            {"name": "storectl-health", "mountPath": "/var/www/html/storectl-health.php",
             "subPath": "storectl-health.php", "readOnly": true}
        ]);
        assert_eq!(unknown_wordpress_mount(&whole(with_health), w), None);
        let other_file = serde_json::json!([
            {"name": "x", "mountPath": "/var/www/html/storectl-health.php"}
        ]);
        assert_eq!(
            unknown_wordpress_mount(&whole(other_file), w).as_deref(),
            Some("/var/www/html/storectl-health.php")
        );
    }

    use super::*;
    use crate::domain::config::{self, tests::sources_with};

    fn config(sets: &[&str]) -> Config {
        config::load(&sources_with(sets)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn changed_keys_are_named_as_set_takes_them() {
        let from = config(&[]);
        let to = config(&["wordpress.image=wordpress:6.9-apache", "quota.hard.pods=12"]);
        let changes = key_changes(&from, &to);
        assert_eq!(
            changes.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
            ["quota.hard.pods", "wordpress.image"]
        );
        let image = &changes[1];
        assert_eq!(image.to.as_deref(), Some("wordpress:6.9-apache"));
        assert!(summary(&changes).contains("wordpress.image: "));
        assert!(needs_database_upgrade(&from, &to));
        assert!(!needs_database_upgrade(
            &from,
            &config(&["quota.hard.pods=12"])
        ));
        assert!(key_changes(&from, &from).is_empty());
    }

    #[test]
    fn a_new_woocommerce_version_is_a_named_change_that_upgrades_the_database() {
        let from = config(&["woocommerce.version=9.8.5"]);
        let to = config(&["woocommerce.version=10.1.2"]);
        assert!(needs_database_upgrade(&from, &to));
        assert_eq!(
            summary(&key_changes(&from, &to)),
            "woocommerce.version: 9.8.5 -> 10.1.2"
        );
        // A new mirror is a named change, but installs nothing: no database upgrade.
        let mirror = config(&[
            "woocommerce.version=9.8.5",
            "woocommerce.source=https://mirror.example.com/plugin",
        ]);
        assert!(!needs_database_upgrade(&from, &mirror));
        assert_eq!(
            summary(&key_changes(&from, &mirror)),
            "woocommerce.source: https://downloads.wordpress.org/plugin -> https://mirror.example.com/plugin"
        );
    }

    #[test]
    fn a_fleet_goes_canary_first_then_in_waves() {
        let stores: Vec<u32> = (1..=8).collect();
        assert_eq!(
            waves(&stores, 3),
            vec![vec![1], vec![2, 3, 4], vec![5, 6, 7], vec![8]]
        );
        assert_eq!(waves(&stores[..1], 3), vec![vec![1]]);
        assert_eq!(waves::<u32>(&[], 3), Vec::<Vec<u32>>::new());
        assert_eq!(waves(&stores[..3], 0), vec![vec![1], vec![2], vec![3]]);
    }
}
