//! Texts that repeat across watched objects (a store's name in every label, namespaces,
//! condition types and reasons, container names, phases) held once per process: a
//! [`Sym`] is a shared pointer into one table. Entries nobody holds any more are swept
//! when the table has doubled since the last sweep, so it never outgrows what is kept.

use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, LazyLock, Mutex};

use serde::de::{Deserialize, Deserializer, Error, Visitor};

/// A text held once per process (see the module comment).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(Arc<str>);

struct Table {
    texts: HashSet<Arc<str>>,
    /// Sweep once the table holds this many.
    sweep_at: usize,
}

const FIRST_SWEEP: usize = 1024;

static TABLE: LazyLock<Mutex<Table>> = LazyLock::new(|| {
    Mutex::new(Table {
        texts: HashSet::new(),
        sweep_at: FIRST_SWEEP,
    })
});

impl Sym {
    /// The one copy of `text`.
    pub fn new(text: &str) -> Self {
        let mut table = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = table.texts.get(text) {
            return Self(found.clone());
        }
        if table.texts.len() >= table.sweep_at {
            table.texts.retain(|t| Arc::strong_count(t) > 1);
            table.sweep_at = (table.texts.len() * 2).max(FIRST_SWEEP);
        }
        let held: Arc<str> = Arc::from(text);
        table.texts.insert(held.clone());
        Self(held)
    }
}

impl Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Sym {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl Visitor<'_> for Visit {
            type Value = Sym;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: Error>(self, text: &str) -> Result<Sym, E> {
                Ok(Sym::new(text))
            }
        }
        d.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_are_held_once_and_texts_nobody_holds_are_swept() {
        let a = Sym::new("held-once-test");
        let b = Sym::new("held-once-test");
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "held-once-test");
        drop((a, b));
        // Enough texts nobody holds to force sweeps; the table stays bounded.
        for i in 0..10 * FIRST_SWEEP {
            Sym::new(&format!("swept-{i}"));
        }
        let table = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        assert!(
            table.texts.len() <= 2 * FIRST_SWEEP,
            "{}",
            table.texts.len()
        );
    }
}
