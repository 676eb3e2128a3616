//! Which stores' objects a live model's watchers changed since its reader last looked:
//! each applied or deleted object names its store (its `app` label and namespace, as
//! `domain::inventory` groups them), and a complete (re-)list or a refused kind counts
//! as every store. What derives from the model then recomputes only those stores.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crate::domain::labels::LABEL_APP;
use crate::domain::watched::Meta;

/// A store as objects name it: its name (the `app` label) and the namespace its objects
/// are in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoreKey {
    pub name: String,
    pub namespace: String,
}

impl StoreKey {
    pub fn new(name: impl Into<String>, namespace: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            namespace: namespace.into(),
        }
    }

    /// The store `meta`'s object counts in, if it has a store label (a namespace counts
    /// in the store it is named for by its own name).
    pub fn of(meta: &Meta) -> Option<Self> {
        let name = meta.labels.get(LABEL_APP)?;
        let namespace = meta.namespace.as_deref().unwrap_or(&meta.name);
        Some(Self::new(name, namespace))
    }
}

/// What changed since the last look.
#[derive(Debug, Default, PartialEq, Eq)]
pub enum Touched {
    /// Nothing.
    #[default]
    Nothing,
    /// The objects of these stores.
    Stores(BTreeSet<StoreKey>),
    /// Possibly any store (a list replaced a kind's objects whole).
    All,
}

/// The log a model's watchers write and its one reader takes; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct TouchLog(Arc<Mutex<Touched>>);

impl TouchLog {
    /// An object of the store `meta` names changed (after the change is visible).
    pub fn object(&self, meta: &Meta) {
        let Some(key) = StoreKey::of(meta) else {
            return;
        };
        let mut touched = self.lock();
        match &mut *touched {
            Touched::All => {}
            Touched::Stores(keys) => {
                keys.insert(key);
            }
            Touched::Nothing => *touched = Touched::Stores(BTreeSet::from([key])),
        }
    }

    /// Any store may have changed.
    pub fn all(&self) {
        *self.lock() = Touched::All;
    }

    /// What changed since the last call, and a fresh start.
    pub fn take(&self) -> Touched {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Touched> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, namespace: Option<&str>, app: Option<&str>) -> Meta {
        let mut json = serde_json::json!({"name": name, "namespace": namespace});
        if let Some(app) = app {
            json["labels"] = serde_json::json!({ LABEL_APP: app });
        }
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn objects_name_their_store_once_each_until_taken() {
        let log = TouchLog::default();
        assert_eq!(log.take(), Touched::Nothing);
        log.object(&meta("a-mysql", Some("store-a"), Some("a")));
        log.object(&meta("a-mysql-0", Some("store-a"), Some("a")));
        log.object(&meta("store-b", None, Some("b")));
        log.object(&meta("unlabelled", Some("store-a"), None));
        assert_eq!(
            log.take(),
            Touched::Stores(BTreeSet::from([
                StoreKey::new("a", "store-a"),
                StoreKey::new("b", "store-b")
            ]))
        );
        assert_eq!(log.take(), Touched::Nothing, "taken means seen");
    }

    #[test]
    fn a_list_counts_as_every_store_until_taken() {
        let log = TouchLog::default();
        log.object(&meta("a-mysql", Some("store-a"), Some("a")));
        log.all();
        log.object(&meta("b-mysql", Some("store-b"), Some("b")));
        assert_eq!(log.take(), Touched::All);
        assert_eq!(log.take(), Touched::Nothing);
    }
}
