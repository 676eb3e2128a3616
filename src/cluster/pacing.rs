//! When what derives from the live models (`per_store.rs`) is brought up to date, in the
//! TUI, `list --watch` and `serve` alike:
//! - after a change, at once, unless the last update after changes ended less than twice
//!   its own cost ago; then once that much has passed, for every change meanwhile. Such
//!   an update derives only the touched stores, so it is at once but where a list
//!   replaced a kind (every store again);
//! - for the time alone (ages, grace periods, provisioning deadlines, a cron past due),
//!   every store again each second, or, where that costs more than 20 ms (10,000 stores:
//!   ~100 ms), every 50 times its cost: a fiftieth of a core, and ages and deadlines a
//!   few seconds late at most.

use std::time::{Duration, Instant};

/// Least time between two updates of every store for the time alone.
const TIME_STEP: Duration = Duration::from_secs(1);
/// An update of every store for the time costs at most this share of a core.
const TIME_SHARE: u32 = 50;

/// The last updates' ends and costs, and whether a change waits for the next.
#[derive(Debug)]
pub struct Pacing {
    last_end: Instant,
    last_cost: Duration,
    waiting: bool,
    all_start: Instant,
    all_cost: Duration,
}

impl Pacing {
    pub fn new(now: Instant) -> Self {
        Self {
            last_end: now,
            last_cost: Duration::ZERO,
            waiting: false,
            all_start: now,
            all_cost: Duration::ZERO,
        }
    }

    /// A change came at `now`: whether to update now; if not, one is due at `due()`.
    pub fn changed(&mut self, now: Instant) -> bool {
        if now >= self.next_allowed() {
            return true;
        }
        self.waiting = true;
        false
    }

    /// When the next update is due if no change comes first, and whether it is one of
    /// every store (for the time) rather than for the changes held back.
    pub fn next_due(&self) -> (Instant, bool) {
        let all = self.all_start + TIME_STEP.max(TIME_SHARE * self.all_cost);
        match self.waiting.then(|| self.next_allowed()) {
            Some(held) if held < all => (held, false),
            _ => (all, true),
        }
    }

    /// An update ran from `started` to `ended`, and took in every change until `started`;
    /// `all`: it derived every store.
    pub fn updated(&mut self, started: Instant, ended: Instant, all: bool) {
        let cost = ended.saturating_duration_since(started);
        if all {
            self.all_start = started;
            self.all_cost = cost;
        }
        self.last_cost = cost;
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
    fn a_change_after_a_cheap_update_is_taken_at_once() {
        let t0 = Instant::now();
        let mut p = Pacing::new(t0);
        assert!(p.changed(t0));
        p.updated(t0, t0 + MS, false);
        assert!(p.changed(t0 + 3 * MS));
        assert_eq!(p.next_due(), (t0 + 1000 * MS, true), "only the time's");
    }

    #[test]
    fn changes_soon_after_a_costly_update_wait_for_one_update_together() {
        let t0 = Instant::now();
        let mut p = Pacing::new(t0);
        p.updated(t0, t0 + 85 * MS, true);
        assert!(!p.changed(t0 + 90 * MS));
        assert!(!p.changed(t0 + 200 * MS));
        // Due twice the cost after the end: 85 + 170 ms.
        assert_eq!(p.next_due(), (t0 + 255 * MS, false));
        p.updated(t0 + 255 * MS, t0 + 256 * MS, false);
        assert!(p.next_due().1, "the update took in what waited");
        assert!(p.changed(t0 + 258 * MS));
    }

    #[test]
    fn every_store_again_each_second_or_at_a_fiftieth_of_a_core() {
        let t0 = Instant::now();
        let mut p = Pacing::new(t0);
        assert_eq!(p.next_due(), (t0 + 1000 * MS, true));
        p.updated(t0 + 1000 * MS, t0 + 1004 * MS, true);
        assert_eq!(p.next_due(), (t0 + 2000 * MS, true), "4 ms: each second");
        // Updates of a few stores do not move it.
        p.updated(t0 + 1500 * MS, t0 + 1501 * MS, false);
        assert_eq!(p.next_due(), (t0 + 2000 * MS, true));
        p.updated(t0 + 2000 * MS, t0 + 2100 * MS, true);
        assert_eq!(p.next_due(), (t0 + 7000 * MS, true), "100 ms: every 5 s");
        // Changes held back past it wait for it, which takes them in.
        assert!(!p.changed(t0 + 2150 * MS));
        assert_eq!(p.next_due(), (t0 + 2300 * MS, false));
    }
}
