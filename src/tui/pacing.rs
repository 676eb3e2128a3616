//! When the table is rebuilt from the watched objects after a change: at once, unless the
//! last rebuild ended less than twice its own cost ago; then once that much has passed,
//! for every change meanwhile together. A rebuild (group, summarize, sort every store)
//! costs ~4 ms at 1,000 stores, so nothing waits; at 10,000 it costs ~85 ms, and runners
//! reporting 33 times a second would otherwise keep a core rebuilding back to back.

use std::time::{Duration, Instant};

/// The last rebuild's end and cost, and whether a change waits for the next.
#[derive(Debug)]
pub struct Pacing {
    last_end: Instant,
    last_cost: Duration,
    waiting: bool,
}

impl Pacing {
    pub fn new(now: Instant) -> Self {
        Self {
            last_end: now,
            last_cost: Duration::ZERO,
            waiting: false,
        }
    }

    /// A change came at `now`: whether to rebuild now; if not, one is due at `due()`.
    pub fn changed(&mut self, now: Instant) -> bool {
        if now >= self.next_allowed() {
            return true;
        }
        self.waiting = true;
        false
    }

    /// When the rebuild of the changes held back is due, if any are.
    pub fn due(&self) -> Option<Instant> {
        self.waiting.then(|| self.next_allowed())
    }

    /// A rebuild ran from `started` to `ended`: it includes every change until `started`.
    pub fn rebuilt(&mut self, started: Instant, ended: Instant) {
        self.last_cost = ended.saturating_duration_since(started);
        self.last_end = ended;
        self.waiting = false;
    }

    fn next_allowed(&self) -> Instant {
        self.last_end + 2 * self.last_cost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_change_after_a_cheap_rebuild_is_rebuilt_at_once() {
        let t0 = Instant::now();
        let mut p = Pacing::new(t0);
        assert!(p.changed(t0));
        p.rebuilt(t0, t0 + 4 * MS);
        assert!(p.changed(t0 + 12 * MS));
        assert_eq!(p.due(), None);
    }

    #[test]
    fn changes_soon_after_a_costly_rebuild_wait_for_one_rebuild_together() {
        let t0 = Instant::now();
        let mut p = Pacing::new(t0);
        p.rebuilt(t0, t0 + 85 * MS);
        assert!(!p.changed(t0 + 90 * MS));
        assert!(!p.changed(t0 + 200 * MS));
        // Due twice the cost after the end: 85 + 170 ms.
        assert_eq!(p.due(), Some(t0 + 255 * MS));
        p.rebuilt(t0 + 255 * MS, t0 + 340 * MS);
        assert_eq!(p.due(), None, "the rebuild took in what waited");
        assert!(p.changed(t0 + 510 * MS));
    }
}
