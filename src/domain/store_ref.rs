//! Which store a command or a mark means: its name, its namespace and the kubeconfig
//! context of its cluster (a fleet may hold the same name in several clusters) (a leaf).

/// A store named by its name, namespace and cluster; ordered by name, namespace, context.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreRef {
    pub name: String,
    pub namespace: String,
    pub context: String,
}

impl StoreRef {
    pub fn new(
        name: impl Into<String>,
        namespace: impl Into<String>,
        context: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            namespace: namespace.into(),
            context: context.into(),
        }
    }
}
