//! The metadata kept of a watched object: name, namespace, the labels and annotations
//! storectl reads (keys from `labels.rs`, held as those constants), generation and the
//! two times. Everything else (uid, owners, finalizers, managed fields, other labels and
//! annotations) is skipped by the parser.

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::Timestamp;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::text::Sym;
use crate::domain::labels::{
    APPLIED_ANNOTATION, BACKUP_OF_LABEL, EXTRA_PLUGINS_ANNOTATION, LABEL_APP, LABEL_COMPONENT,
    LABEL_MANAGED_BY, MAIL_ANNOTATION, MAIL_TEST_OF_LABEL, MARK_LABEL, PAUSED_LABEL,
    REPORT_ANNOTATION, RESTORING_LABEL, STORE_ANNOTATION, WOOCOMMERCE_ANNOTATION,
};

/// The labels anything reads off a watched object; the others are not kept.
pub const KEPT_LABELS: &[&str] = &[
    LABEL_APP,
    LABEL_COMPONENT,
    LABEL_MANAGED_BY,
    MARK_LABEL,
    PAUSED_LABEL,
    RESTORING_LABEL,
    BACKUP_OF_LABEL,
    MAIL_TEST_OF_LABEL,
];

/// The annotations anything reads off a watched object; the others are not kept.
pub const KEPT_ANNOTATIONS: &[&str] = &[
    STORE_ANNOTATION,
    APPLIED_ANNOTATION,
    MAIL_ANNOTATION,
    WOOCOMMERCE_ANNOTATION,
    EXTRA_PLUGINS_ANNOTATION,
    REPORT_ANNOTATION,
];

/// A watched object's metadata (see the module comment).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Meta {
    pub name: Box<str>,
    pub namespace: Option<Sym>,
    pub labels: Labels,
    pub annotations: Annotations,
    pub generation: Option<i64>,
    #[serde(rename = "creationTimestamp", deserialize_with = "time")]
    pub created: Option<Timestamp>,
    #[serde(rename = "deletionTimestamp", deserialize_with = "time")]
    pub deleted: Option<Timestamp>,
    /// As the object arrived; a watcher takes it (it resumes from the last one seen), so
    /// the objects kept hold none.
    pub resource_version: Option<Box<str>>,
}

/// The kept labels, each value held once per process (a store's name, `storectl`).
#[derive(Debug, Clone, Default)]
pub struct Labels(Box<[(&'static str, Sym)]>);

/// The kept annotations (a store's report, its mail settings, its pins).
#[derive(Debug, Clone, Default)]
pub struct Annotations(Box<[(&'static str, Box<str>)]>);

impl Labels {
    /// The value of label `key`, one of [`KEPT_LABELS`].
    pub fn get(&self, key: &str) -> Option<&str> {
        debug_assert!(KEPT_LABELS.contains(&key), "label {key} is not kept");
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| &**v)
    }

    /// Whether the object has label `key`, one of [`KEPT_LABELS`].
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

impl Annotations {
    /// The value of annotation `key`, one of [`KEPT_ANNOTATIONS`].
    pub fn get(&self, key: &str) -> Option<&str> {
        debug_assert!(
            KEPT_ANNOTATIONS.contains(&key),
            "annotation {key} is not kept"
        );
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| &**v)
    }
}

impl Labels {
    /// From entries read elsewhere (the protobuf reader), each key one of [`KEPT_LABELS`].
    pub(super) fn from_kept(found: Vec<(&'static str, Sym)>) -> Self {
        Self(found.into_boxed_slice())
    }
}

impl Annotations {
    /// From entries read elsewhere (the protobuf reader), each key one of
    /// [`KEPT_ANNOTATIONS`].
    pub(super) fn from_kept(found: Vec<(&'static str, Box<str>)>) -> Self {
        Self(found.into_boxed_slice())
    }
}

/// The constant of `kept` that `key` equals, if any.
pub(super) fn kept(kept: &'static [&'static str], key: &str) -> Option<&'static str> {
    kept.iter().copied().find(|k| *k == key)
}

impl Meta {
    /// Whether the object is being deleted.
    pub fn deleting(&self) -> bool {
        self.deleted.is_some()
    }
}

fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    Ok(Option::<Time>::deserialize(d)?.map(|t| t.0))
}

/// A `MicroTime` field (a Lease's renew time) as a timestamp.
pub(super) fn micro_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    Ok(Option::<MicroTime>::deserialize(d)?.map(|t| t.0))
}

/// Reads a map keeping the entries whose key is in `kept`, as that constant.
struct Kept<V> {
    kept: &'static [&'static str],
    value: fn(&str) -> V,
}

impl<'de, V> Visitor<'de> for Kept<V> {
    type Value = Box<[(&'static str, V)]>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of strings")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Box::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = Vec::new();
        while let Some(key) = map.next_key_seed(KeyIn(self.kept))? {
            match key {
                Some(key) => {
                    let value = map.next_value::<Text>()?;
                    found.push((key, (self.value)(&value.0)));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found.into_boxed_slice())
    }
}

/// A map key: the constant of `kept` it equals, if any (read without a copy).
struct KeyIn(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyIn {
    type Value = Option<&'static str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyIn {
    type Value = Option<&'static str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(kept(self.0, key))
    }
}

/// A string value, borrowed from the input where it can be.
struct Text<'a>(std::borrow::Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(text.into()))
            }
            fn visit_str<E>(self, text: &str) -> Result<Text<'de>, E> {
                Ok(Text(text.to_string().into()))
            }
        }
        d.deserialize_str(Visit)
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let kept = Kept {
            kept: KEPT_LABELS,
            value: |text: &str| Sym::new(text),
        };
        d.deserialize_any(kept).map(Self)
    }
}

impl<'de> Deserialize<'de> for Annotations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let kept = Kept {
            kept: KEPT_ANNOTATIONS,
            value: |text: &str| Box::from(text),
        };
        d.deserialize_any(kept).map(Self)
    }
}

/// For tests that change one label or annotation of a fixture: sets `key` (one kept),
/// or removes it with `None`.
#[cfg(test)]
fn set<V>(entries: &mut Box<[(&'static str, V)]>, key: &'static str, value: Option<V>) {
    let mut kept: Vec<_> = std::mem::take(entries)
        .into_vec()
        .into_iter()
        .filter(|(k, _)| *k != key)
        .collect();
    kept.extend(value.map(|v| (key, v)));
    *entries = kept.into_boxed_slice();
}

#[cfg(test)]
impl Labels {
    pub fn set(&mut self, key: &'static str, value: Option<&str>) {
        assert!(KEPT_LABELS.contains(&key), "label {key} is not kept");
        set(&mut self.0, key, value.map(Sym::new));
    }
}

#[cfg(test)]
impl Annotations {
    pub fn set(&mut self, key: &'static str, value: Option<&str>) {
        assert!(
            KEPT_ANNOTATIONS.contains(&key),
            "annotation {key} is not kept"
        );
        set(&mut self.0, key, value.map(Box::from));
    }
}
