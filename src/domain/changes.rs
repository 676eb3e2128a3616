//! What happened to the stores between two looks: each store that appeared, changed
//! status or reason, or went. `list --watch` prints these as lines, the API sends them
//! as events.

use std::cmp::Ordering;
use std::sync::Arc;

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
    pub store: Arc<StoreSummary>,
    /// Its status at the previous look (`Modified` only).
    pub was: Option<Phase>,
}

/// Each store as at the last look, in `StoreSummary::list_order`: the summaries are
/// shared with whoever derived them, so a look that finds a store's summary unchanged
/// (the same one) compares nothing else.
#[derive(Debug, Default)]
pub struct StatusChanges {
    seen: Vec<Arc<StoreSummary>>,
}

impl StatusChanges {
    /// The changes since the last look (in list order), and `current` (any order)
    /// remembered for the next.
    pub fn update(&mut self, current: &[Arc<StoreSummary>]) -> Vec<StoreChange> {
        let mut now = current.to_vec();
        now.sort_by(|a, b| a.list_order(b));
        let mut out = Vec::new();
        let (mut old, mut new) = (self.seen.iter().peekable(), now.iter().peekable());
        loop {
            let step = match (old.peek(), new.peek()) {
                (None, None) => break,
                (Some(o), Some(n)) => o.list_order(n),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
            };
            let change = match step {
                Ordering::Less => old.next().map(|o| (ChangeKind::Deleted, o, None)),
                Ordering::Greater => new.next().map(|n| (ChangeKind::Added, n, None)),
                Ordering::Equal => match (old.next(), new.next()) {
                    (Some(o), Some(n)) if !Arc::ptr_eq(o, n) && changed(o, n) => {
                        Some((ChangeKind::Modified, n, Some(o.status)))
                    }
                    _ => None,
                },
            };
            if let Some((kind, store, was)) = change {
                out.push(StoreChange {
                    kind,
                    store: Arc::clone(store),
                    was,
                });
            }
        }
        self.seen = now;
        out
    }
}

/// A change of status or reason (the age alone is none).
fn changed(old: &StoreSummary, new: &StoreSummary) -> bool {
    (old.status, &old.reason) != (new.status, &new.reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(name: &str, status: Phase, reason: &str) -> Arc<StoreSummary> {
        Arc::new(StoreSummary {
            age_seconds: Some(1),
            ..StoreSummary::example(name, status, reason)
        })
    }

    #[test]
    fn added_modified_on_status_or_reason_and_deleted() {
        let mut changes = StatusChanges::default();
        let first = changes.update(&[store("a", Phase::Provisioning, "waiting")]);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].kind, ChangeKind::Added);
        // Age alone is no change.
        let older = Arc::new(StoreSummary {
            age_seconds: Some(9),
            ..StoreSummary::example("a", Phase::Provisioning, "waiting")
        });
        assert!(changes.update(&[older]).is_empty());
        let ready = changes.update(&[store("a", Phase::Ready, "all components ready")]);
        assert_eq!(ready[0].kind, ChangeKind::Modified);
        assert_eq!(ready[0].was, Some(Phase::Provisioning));
        let gone = changes.update(&[]);
        assert_eq!(gone[0].kind, ChangeKind::Deleted);
        assert_eq!(gone[0].store.status, Phase::Ready);
        assert!(changes.update(&[]).is_empty());
    }

    #[test]
    fn a_fleet_in_any_order_gives_each_change_once_in_list_order() {
        let mut changes = StatusChanges::default();
        let (a, c) = (
            store("a", Phase::Ready, "ok"),
            store("c", Phase::Ready, "ok"),
        );
        // Store a's name in another cluster: a store of its own.
        let a_elsewhere = Arc::new(StoreSummary {
            context: "other".to_string(),
            ..(*a).clone()
        });
        let first = changes.update(&[c, a, a_elsewhere.clone()]);
        assert!(first.iter().all(|c| c.kind == ChangeKind::Added));
        assert_eq!(first.len(), 3);
        let b = store("b", Phase::Provisioning, "waiting");
        let a_failed = store("a", Phase::Failed, "crash");
        let next = changes.update(&[b, a_elsewhere, a_failed]);
        let seen: Vec<_> = next
            .iter()
            .map(|c| (c.kind, c.store.name.as_str(), c.was))
            .collect();
        assert_eq!(
            seen,
            [
                (ChangeKind::Modified, "a", Some(Phase::Ready)),
                (ChangeKind::Added, "b", None),
                (ChangeKind::Deleted, "c", None),
            ]
        );
        assert_eq!(next[0].store.context, "test");
    }
}
