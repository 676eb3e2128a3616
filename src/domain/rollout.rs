//! A fleet rollout's progress as data: where each store is (`Step`) and what a rollout
//! reports as it goes (`Event`). `cluster::rollout` produces them; the CLI, the terminal
//! UI and the API show them.

use serde::Serialize;

/// Where a store is in the rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// In a later wave.
    Waiting,
    Applying,
    /// Applied; waiting for it to run the revision and be Ready.
    RollingOut {
        revision: u32,
        reason: String,
    },
    Ready {
        revision: u32,
    },
    /// Applied, not waited for (a single store without --wait), or paused (it starts on
    /// the new revision when resumed).
    Applied {
        revision: u32,
        note: String,
    },
    /// Was at its target already.
    Skipped {
        revision: Option<u32>,
    },
    Failed {
        reason: String,
    },
    /// Left as it was: the rollout stopped before its wave.
    Untouched,
}

impl Step {
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed { .. })
    }

    /// Whether the store has reached the target (or never needed to).
    pub fn is_done(&self) -> bool {
        matches!(
            self,
            Self::Ready { .. } | Self::Applied { .. } | Self::Skipped { .. }
        )
    }
}

/// Where one store is (or ended) in a rollout; `-o json|yaml` prints it flat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreStep {
    pub name: String,
    #[serde(flatten)]
    pub step: Step,
}

impl StoreStep {
    pub fn new(name: impl Into<String>, step: Step) -> Self {
        Self {
            name: name.into(),
            step,
        }
    }
}

/// What a rollout reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Wave `number` (1: the canary) of `of` starts with these stores.
    Wave {
        number: usize,
        of: usize,
        stores: Vec<String>,
    },
    Store {
        name: String,
        step: Step,
    },
}

impl Event {
    /// A store reached `step`.
    pub fn store(name: &str, step: &Step) -> Self {
        Self::Store {
            name: name.to_string(),
            step: step.clone(),
        }
    }
}
