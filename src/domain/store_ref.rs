//! Which store a command or a mark means: its name and its namespace (a leaf).

/// A store named by its name and namespace; ordered by name, then namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreRef {
    pub name: String,
    pub namespace: String,
}

impl StoreRef {
    pub fn new(name: impl Into<String>, namespace: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            namespace: namespace.into(),
        }
    }
}
