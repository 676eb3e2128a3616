//! What happened to the stores between two looks: each store that appeared, changed
//! status or reason, or went. `list --watch` prints these as lines, the API sends them
//! as events.

use std::collections::BTreeMap;

use super::status::Phase;
use super::summary::StoreSummary;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

impl ChangeKind {
    /// As Kubernetes watch events name them.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreChange {
    pub kind: ChangeKind,
    /// The store now (for `Deleted`: as it was last seen).
    pub store: StoreSummary,
    /// Its status at the previous look (`Modified` only).
    pub was: Option<Phase>,
}

/// Each store's status and reason at the last look, keyed by (context, namespace, name).
#[derive(Debug, Default)]
pub struct StatusChanges {
    seen: BTreeMap<(String, String, String), StoreSummary>,
}

impl StatusChanges {
    /// The changes since the last look, and `current` remembered for the next.
    pub fn update(&mut self, current: &[StoreSummary]) -> Vec<StoreChange> {
        let mut out = Vec::new();
        let mut now = BTreeMap::new();
        for store in current {
            let key = (
                store.context.clone(),
                store.namespace.clone(),
                store.name.clone(),
            );
            let kind = match self.seen.get(&key) {
                None => Some((ChangeKind::Added, None)),
                Some(old) if (old.status, &old.reason) != (store.status, &store.reason) => {
                    Some((ChangeKind::Modified, Some(old.status)))
                }
                Some(_) => None,
            };
            if let Some((kind, was)) = kind {
                out.push(StoreChange {
                    kind,
                    store: store.clone(),
                    was,
                });
            }
            now.insert(key, store.clone());
        }
        for (key, store) in std::mem::replace(&mut self.seen, now) {
            if !self.seen.contains_key(&key) {
                out.push(StoreChange {
                    kind: ChangeKind::Deleted,
                    store,
                    was: None,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(name: &str, status: Phase, reason: &str) -> StoreSummary {
        StoreSummary {
            age_seconds: Some(1),
            ..StoreSummary::example(name, status, reason)
        }
    }

    #[test]
    fn added_modified_on_status_or_reason_and_deleted() {
        let mut changes = StatusChanges::default();
        let first = changes.update(&[store("a", Phase::Provisioning, "waiting")]);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].kind, ChangeKind::Added);
        // Age alone is no change.
        let mut older = store("a", Phase::Provisioning, "waiting");
        older.age_seconds = Some(9);
        assert!(changes.update(&[older]).is_empty());
        let ready = changes.update(&[store("a", Phase::Ready, "all components ready")]);
        assert_eq!(ready[0].kind, ChangeKind::Modified);
        assert_eq!(ready[0].was, Some(Phase::Provisioning));
        let gone = changes.update(&[]);
        assert_eq!(gone[0].kind, ChangeKind::Deleted);
        assert_eq!(gone[0].store.status, Phase::Ready);
        assert!(changes.update(&[]).is_empty());
    }
}
