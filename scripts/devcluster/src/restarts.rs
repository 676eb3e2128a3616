//! When a control plane process that exited is started again, as a node's kubelet does for
//! a static pod: kube-controller-manager exits when the API server goes away while it
//! starts (its discovery fails), which a test that stops the API server soon after `up`
//! can cause; one that keeps exiting is a crash loop, reported instead of restarted.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Exits within this window count towards a crash loop.
const WINDOW: Duration = Duration::from_secs(60);
/// More exits than this within the window is a crash loop.
const MOST_EXITS: usize = 5;

/// A process's recent exits.
#[derive(Debug, Default)]
pub struct Restarts {
    exits: VecDeque<Instant>,
}

impl Restarts {
    /// The process exited at `now`: whether it may be started again (false: a crash loop).
    pub fn exited(&mut self, now: Instant) -> bool {
        while self
            .exits
            .front()
            .is_some_and(|&at| now.duration_since(at) > WINDOW)
        {
            self.exits.pop_front();
        }
        self.exits.push_back(now);
        self.exits.len() <= MOST_EXITS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_exits_restart_and_a_burst_is_a_crash_loop_until_the_window_moves_on() {
        let start = Instant::now();
        let mut restarts = Restarts::default();
        let at = |s: u64| start + Duration::from_secs(s);
        for s in 0..MOST_EXITS as u64 {
            assert!(restarts.exited(at(s)), "exit {s} restarts");
        }
        assert!(!restarts.exited(at(10)), "one more within the window");
        // A minute later the early exits no longer count.
        assert!(restarts.exited(at(10 + WINDOW.as_secs())));
    }
}
