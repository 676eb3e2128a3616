//! upgrade (and the rollout shared with rollback): each store re-rendered from its latest
//! revision plus new layers, checked and dry-run into a plan, then rolled out canary
//! first and in waves; the rollout's end summed up once for every front end.

use std::time::Duration;

use super::Error;
use super::error::FailedStore;
use super::find::Located;
use crate::cluster::connect::Connection;
use crate::cluster::plan::Plan;
use crate::cluster::rollout::{self, Options, Planned, Target};
use crate::cluster::{access, revisions};
use crate::domain::config::{self, Config, ConfigError, EnvVars, Sources, ValuesText};
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;
use crate::domain::revision;
use crate::domain::rollout::{Step, StoreStep};

/// How long one wave may take in the terminal UI, which has no `--timeout`.
pub const UI_TIMEOUT: Duration = Duration::from_secs(600);

/// The plan for `stores`: each one's latest revision with `layers` on top of `base`,
/// checked and dry-run. A store made before storectl bound its namespace gets the
/// binding first, so that the upgrade runs on it: the one change even `upgrade
/// --dry-run` makes (storectl's own access), on purpose; `diff` never makes it.
pub async fn plan(
    conn: &Connection,
    stores: Vec<Located>,
    layers: &Sources,
    base: &Config,
) -> anyhow::Result<Vec<Planned>> {
    let mut targets = Vec::new();
    for Located { store, layout } in stores {
        access::bind_existing(conn, &layout, base).await?;
        targets.push(target(conn, &layout, store, layers, base).await?);
    }
    Ok(rollout::plan(conn, targets).await)
}

/// The store's configuration now (its latest revision, else `base`) and after `layers`.
/// Where storectl writes outside the store (platform, backup target) is `base`'s, the
/// operator's configuration, never the revision's; `layers` still go on top. Only reads
/// (`diff` relies on it): the verbs that change the store bind its namespace first
/// (`access::bind_existing`).
pub async fn target(
    conn: &Connection,
    layout: &StoreLayout,
    store: StoreObjects,
    layers: &Sources,
    base: &Config,
) -> anyhow::Result<Target> {
    let (number, from) = match revisions::latest_values(conn, layout).await? {
        Some(revisions::LatestValues {
            revision: n,
            values,
        }) => {
            let origin = format!("revision {n} of store {}", layout.name());
            let recorded = layered(ValuesText::new(origin, values), &Sources::default())?;
            (Some(n), revision::where_the_operator_says(recorded, base))
        }
        None => (None, base.clone()),
    };
    let to = layered(
        ValuesText::new(
            format!("the configuration of store {}", layout.name()),
            serde_yaml_ng::to_string(&from)?,
        ),
        layers,
    )?;
    Ok(Target {
        layout: layout.clone(),
        store,
        from_revision: number,
        from,
        to,
    })
}

/// `base` with the files, `--set`s and form fields of `layers` on
/// top; the environment is not read.
fn layered(base: ValuesText, layers: &Sources) -> Result<Config, ConfigError> {
    let mut files = vec![base];
    files.extend(layers.files.iter().cloned());
    config::load(&Sources {
        files,
        sets: layers.sets.clone(),
        env: EnvVars::default(),
        form: layers.form.clone(),
        form_origin: layers.form_origin,
    })
}

/// The plan of one store, or that store's refusal as the error itself (with its exit
/// code and HTTP status).
pub fn only_if_accepted(mut planned: Vec<Planned>) -> anyhow::Result<Vec<Planned>> {
    match planned.pop() {
        Some(Planned { check: Err(e), .. }) => Err(e.into()),
        Some(one) => Ok(vec![one]),
        None => Ok(planned),
    }
}

/// The rollout options of an upgrade.
pub fn options(
    wave_size: usize,
    max_failures: usize,
    timeout: Duration,
    wait: bool,
    config: &Config,
) -> Options {
    Options {
        wave_size,
        max_failures,
        timeout,
        wait,
        rules: config.status_rules(),
        change: "upgrade".to_string(),
    }
}

/// The plan in lines, with what to say when nothing would be upgraded.
pub fn plan_lines(plan: &Plan) -> Vec<String> {
    let mut lines: Vec<String> = plan.describe().lines().map(str::to_string).collect();
    lines.extend(nothing_to_upgrade(plan));
    lines
}

/// What every front end says when a plan upgrades no store (None when it upgrades
/// some): every store at its target, or some refused (the plan's lines say why).
pub fn nothing_to_upgrade(plan: &Plan) -> Option<String> {
    if plan.to_upgrade() > 0 {
        return None;
    }
    Some(match plan.refused() {
        0 => format!(
            "nothing to do: every store is at its target revision ({} store(s))",
            plan.stores.len()
        ),
        refused => format!(
            "nothing to upgrade: {refused} of {} store(s) refused, the others at their target",
            plan.stores.len()
        ),
    })
}

/// How a rollout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub stores: usize,
    pub done: usize,
    pub failed: Vec<FailedStore>,
    pub untouched: usize,
}

impl Summary {
    /// The end of a rollout from each store's last step.
    pub fn of(results: &[StoreStep]) -> Self {
        Self {
            stores: results.len(),
            done: results.iter().filter(|r| r.step.is_done()).count(),
            failed: results
                .iter()
                .filter_map(|r| match &r.step {
                    Step::Failed { reason } => Some(FailedStore {
                        name: r.name.clone(),
                        reason: reason.clone(),
                    }),
                    _ => None,
                })
                .collect(),
            untouched: results
                .iter()
                .filter(|r| matches!(r.step, Step::Untouched))
                .count(),
        }
    }

    /// The end in a line when every store reached the target, else the failure.
    pub fn result(self, max_failures: usize) -> Result<String, Error> {
        if self.failed.is_empty() {
            return Ok(format!(
                "{} of {} store(s) at the target",
                self.done, self.stores
            ));
        }
        Err(Error::RolloutFailed {
            failed: self.failed,
            done: self.done,
            untouched: self.untouched,
            max_failures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollout_with_a_failure_ends_in_the_failure_for_every_front_end() {
        let results = vec![
            StoreStep::new("a", Step::Ready { revision: 2 }),
            StoreStep::new(
                "b",
                Step::Failed {
                    reason: "boom".to_string(),
                },
            ),
            StoreStep::new("c", Step::Untouched),
        ];
        let summary = Summary::of(&results);
        assert_eq!((summary.done, summary.untouched), (1, 1));
        let e = summary.result(0).expect_err("b failed");
        assert!(e.to_string().contains("b: boom"), "{e}");
        assert_eq!(super::super::Kind::of(&e).exit_code(), 1);
        let ok = Summary::of(&results[..1]).result(0);
        assert_eq!(ok.ok().as_deref(), Some("1 of 1 store(s) at the target"));
    }
}
