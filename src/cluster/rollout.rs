//! Upgrading many stores the way operators of fleets do it (Bitpoke's "canary, slow
//! rollout"): the first store alone, then waves of N; a wave must run the new revision
//! and be Ready before the next starts; more than K failures stop the rollout with the
//! rest untouched. Stores already at their target are skipped, so running the same
//! rollout again resumes it. Progress is followed on watches, never by polling.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::jiff::Timestamp;

use super::connect::Connection;
use super::touched::StoreKey;
use super::upgrade::{self, Applied, Prepared, UpgradeError};
use super::watch::{LiveModel, Scope, Started};
use crate::domain::config::Config;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;
use crate::domain::rollout::{Event, Step, StoreStep};
use crate::domain::status::{self, Phase, StatusRules};
use crate::domain::upgrade::{KeyChange, key_changes, waves};

/// How many stores are checked (dry-run) at once while planning.
const PLANNING_CONCURRENCY: usize = 8;

/// One store and the configuration it goes to.
#[derive(Debug, Clone)]
pub struct Target {
    pub layout: StoreLayout,
    pub store: StoreObjects,
    /// The latest revision's number (None: the store has none yet).
    pub from_revision: Option<u32>,
    /// The latest revision's configuration (for a store without one: the configuration
    /// of this run without its own layers).
    pub from: Config,
    pub to: Config,
}

impl Target {
    pub fn name(&self) -> &str {
        self.layout.name()
    }

    pub fn key_changes(&self) -> Vec<KeyChange> {
        key_changes(&self.from, &self.to)
    }
}

/// One store of a plan: checked and dry-run, or refused.
#[derive(Debug)]
pub struct Planned {
    pub target: Target,
    pub check: Result<Prepared, UpgradeError>,
}

impl Planned {
    /// Already at its target: the latest revision is the target, nothing would change,
    /// and the store is Ready (or Paused).
    pub fn done(&self, rules: &StatusRules) -> bool {
        let Ok(prepared) = &self.check else {
            return false;
        };
        let phase = status::derive(&self.target.store, rules, Timestamp::now()).phase;
        self.target.from_revision.is_some()
            && self.target.from == self.target.to
            && prepared.changes.is_empty()
            && matches!(phase, Phase::Ready | Phase::Paused)
    }
}

/// Checks and dry-runs every target, a few at a time; keeps their order.
pub async fn plan(conn: &Connection, targets: Vec<Target>) -> Vec<Planned> {
    futures::stream::iter(targets)
        .map(|target| async move {
            let check = upgrade::prepare(
                conn,
                &target.layout,
                &target.store,
                &target.from,
                &target.to,
            )
            .await;
            Planned { target, check }
        })
        .buffered(PLANNING_CONCURRENCY)
        .collect()
        .await
}

/// How a rollout goes.
#[derive(Debug, Clone)]
pub struct Options {
    pub wave_size: usize,
    pub max_failures: usize,
    /// How long each wave may take to be Ready.
    pub timeout: Duration,
    /// Wait for the last wave too (every earlier wave is always waited for).
    pub wait: bool,
    pub rules: StatusRules,
    /// What each new revision records as its change, before the key changes.
    pub change: String,
}

/// Each planned store's first step (skipped: at its target; failed: refused; else
/// waiting), in the plan's order, and the targets still to roll out.
fn first_steps(
    planned: Vec<Planned>,
    options: &Options,
    on_event: &mut impl FnMut(Event),
) -> (Vec<String>, BTreeMap<String, Step>, Vec<Target>) {
    let mut steps: BTreeMap<String, Step> = BTreeMap::new();
    let mut order = Vec::new();
    let mut todo = Vec::new();
    for p in planned {
        let name = p.target.name().to_string();
        order.push(name.clone());
        let step = if p.done(&options.rules) {
            Step::Skipped {
                revision: p.target.from_revision,
            }
        } else if let Err(e) = &p.check {
            Step::Failed {
                reason: e.to_string(),
            }
        } else {
            todo.push(p.target);
            Step::Waiting
        };
        on_event(Event::store(&name, &step));
        steps.insert(name, step);
    }
    (order, steps, todo)
}

/// Runs the rollout over `planned` (in its order), calling `on_event` as each wave starts
/// and whenever a store's step changes. Returns every store's last step.
pub async fn run(
    conn: &Connection,
    planned: Vec<Planned>,
    options: &Options,
    mut on_event: impl FnMut(Event),
) -> Vec<StoreStep> {
    let (order, mut steps, todo) = first_steps(planned, options, &mut on_event);
    let mut failures = steps.values().filter(|s| s.is_failure()).count();
    let waves = waves(&todo, options.wave_size);
    let wait_last = options.wait || todo.len() > 1;
    let mut model =
        (wait_last && !todo.is_empty()).then(|| LiveModel::start(conn, &Scope::Cluster));
    if let Some(Started { model, .. }) = &model {
        // Best effort: without a listed model each store is judged on later events.
        let _ = tokio::time::timeout(options.timeout, model.ready()).await;
    }
    let wave_count = waves.len();
    for (i, wave) in waves.into_iter().enumerate() {
        if failures > options.max_failures {
            for target in wave {
                let name = target.name().to_string();
                on_event(Event::store(&name, &Step::Untouched));
                steps.insert(name, Step::Untouched);
            }
            continue;
        }
        on_event(Event::Wave {
            number: i + 1,
            of: wave_count,
            stores: wave.iter().map(|t| t.name().to_string()).collect(),
        });
        for target in &wave {
            on_event(Event::store(target.name(), &Step::Applying));
        }
        let applied = futures::future::join_all(
            wave.iter()
                .map(|t| apply_one(conn, t, model.as_ref().map(|m| &m.model), options)),
        )
        .await;
        let mut rolling = Vec::new();
        for (target, result) in wave.into_iter().zip(applied) {
            let name = target.name().to_string();
            let step = match result {
                Err(e) => Step::Failed {
                    reason: e.to_string(),
                },
                Ok(applied) if model.is_none() => Step::Applied {
                    revision: applied.revision.revision,
                    note: "applied; not waited for".to_string(),
                },
                Ok(applied) => {
                    let step = Step::RollingOut {
                        revision: applied.revision.revision,
                        reason: "applied".to_string(),
                    };
                    rolling.push(Rolling {
                        name: name.clone(),
                        namespace: target.layout.namespace.clone(),
                        applied,
                    });
                    step
                }
            };
            on_event(Event::store(&name, &step));
            steps.insert(name, step);
        }
        if let Some(Started { model, changes, .. }) = model.as_mut() {
            for settled in settle(model, changes, rolling, options, &mut on_event).await {
                steps.insert(settled.name, settled.step);
            }
        }
        failures = steps.values().filter(|s| s.is_failure()).count();
    }
    order
        .into_iter()
        .map(|name| {
            let step = steps.remove(&name).unwrap_or(Step::Untouched);
            StoreStep { name, step }
        })
        .collect()
}

/// Re-checks one store just before applying (the plan may be minutes old) and applies.
async fn apply_one(
    conn: &Connection,
    target: &Target,
    model: Option<&LiveModel>,
    options: &Options,
) -> Result<Applied, UpgradeError> {
    let store = model
        .and_then(|m| m.store_objects(&StoreKey::new(target.name(), &target.layout.namespace)))
        .unwrap_or_else(|| target.store.clone());
    let prepared = upgrade::prepare(conn, &target.layout, &store, &target.from, &target.to).await?;
    let changes = crate::domain::upgrade::summary(&target.key_changes());
    let change = match (options.change.as_str(), changes.is_empty()) {
        (what, true) => format!("{what}: no configuration change (objects re-applied)"),
        (what, false) => format!("{what}: {changes}"),
    };
    upgrade::apply(
        conn,
        &prepared,
        target.from_revision,
        &target.from,
        &target.to,
        &change,
    )
    .await
}

/// A store applied and not yet settled.
struct Rolling {
    name: String,
    namespace: String,
    applied: Applied,
}

/// Follows the applied stores until each runs its revision and is Ready (or Paused),
/// fails, or the wave's time is up.
async fn settle(
    model: &LiveModel,
    changes: &mut tokio::sync::mpsc::Receiver<()>,
    mut rolling: Vec<Rolling>,
    options: &Options,
    on_event: &mut impl FnMut(Event),
) -> Vec<StoreStep> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + options.timeout;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut reasons: BTreeMap<String, String> = BTreeMap::new();
    while !rolling.is_empty() {
        let timed_out = tokio::select! {
            _ = changes.recv() => false,
            _ = tick.tick() => false,
            () = tokio::time::sleep_until(deadline) => true,
        };
        let now = Timestamp::now();
        let mut still = Vec::new();
        for Rolling {
            name,
            namespace,
            applied,
        } in rolling
        {
            // Only the store's objects are read: a change is cheap at any fleet size.
            let store = model.store_objects(&StoreKey::new(&*name, &*namespace));
            let revision = applied.revision.revision;
            let verdict = store.as_ref().map(|store| {
                let status = status::derive(store, &options.rules, now);
                (upgrade::runs(store, &applied), status)
            });
            let step = match verdict {
                Some((true, s)) if s.phase == Phase::Ready => Some(Step::Ready { revision }),
                Some((true, s)) if s.phase == Phase::Paused => Some(Step::Applied {
                    revision,
                    note: "paused: it starts on this revision when resumed".to_string(),
                }),
                Some((true, s)) if matches!(s.phase, Phase::Failed | Phase::Deleting) => {
                    Some(Step::Failed { reason: s.reason })
                }
                None => Some(Step::Failed {
                    reason: "the store disappeared during its upgrade".to_string(),
                }),
                Some((_, s)) if timed_out => Some(Step::Failed {
                    reason: format!(
                        "not Ready {}s after its upgrade: {}",
                        options.timeout.as_secs(),
                        s.reason
                    ),
                }),
                Some((runs, s)) => {
                    let reason = if runs {
                        s.reason
                    } else {
                        "waiting for the Deployments to take the new revision".to_string()
                    };
                    if reasons.get(&name) != Some(&reason) {
                        on_event(Event::store(
                            &name,
                            &Step::RollingOut {
                                revision,
                                reason: reason.clone(),
                            },
                        ));
                        reasons.insert(name.clone(), reason);
                    }
                    None
                }
            };
            match step {
                Some(step) => {
                    on_event(Event::store(&name, &step));
                    out.push(StoreStep { name, step });
                }
                None => still.push(Rolling {
                    name,
                    namespace,
                    applied,
                }),
            }
        }
        rolling = still;
    }
    out
}
