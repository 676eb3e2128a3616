//! The upgrade from the terminal UI: the plan worked out (`ops::upgrade`) and shown, then
//! run on `StartUpgrade`, its end summed up as for the CLI.

use super::{Effects, text};
use crate::app::{Action, PlanView};
use crate::cluster::plan::Plan;
use crate::cluster::rollout::{self, Planned};
use crate::domain::config::Sources;
use crate::domain::inventory::StoreObjects;
use crate::domain::store_ref::StoreRef;
use crate::ops;

impl Effects {
    /// Works out the upgrade of the stores found with `sets` on top of each one's latest
    /// revision: the plan is shown, and kept for `StartUpgrade`.
    pub(super) fn plan_upgrade(
        &self,
        found: Vec<Option<StoreObjects>>,
        sets: Vec<String>,
        wave_size: usize,
    ) {
        let located: Result<Vec<_>, String> = found
            .into_iter()
            .map(|s| self.located(s, "a marked store is gone; mark again"))
            .collect();
        let (conn, tx, config) = (self.conn.clone(), self.results.clone(), self.config.clone());
        let pending = self.plan.clone();
        tokio::spawn(async move {
            let layers = Sources {
                sets,
                ..Sources::default()
            };
            let planned = match located {
                Ok(stores) => ops::upgrade::plan(&conn, stores, &layers, &config)
                    .await
                    .map_err(text),
                Err(e) => Err(e),
            };
            let view = planned.map(|planned| {
                let options =
                    ops::upgrade::options(wave_size, 0, ops::upgrade::UI_TIMEOUT, true, &config);
                let view = plan_view(&planned, &options, &conn.endpoint.context);
                *pending.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(super::PendingRollout { planned, options });
                view
            });
            let _ = tx.send(Action::UpgradePlanned(view));
        });
    }

    pub(super) fn start_upgrade(&self) {
        let Some(super::PendingRollout { planned, options }) =
            self.plan.lock().unwrap_or_else(|e| e.into_inner()).take()
        else {
            return;
        };
        let (conn, tx) = (self.conn.clone(), self.results.clone());
        tokio::spawn(async move {
            let events = tx.clone();
            let results = rollout::run(&conn, planned, &options, |event| {
                let _ = events.send(Action::Rollout(event));
            })
            .await;
            let ended = ops::upgrade::Summary::of(&results)
                .result(options.max_failures)
                .map_err(text);
            let _ = tx.send(Action::RolloutEnded(ended));
        });
    }
}

/// The plan as the upgrade pane shows it.
fn plan_view(planned: &[Planned], options: &rollout::Options, context: &str) -> PlanView {
    let plan = Plan::of(planned, options);
    PlanView {
        lines: ops::upgrade::plan_lines(&plan),
        stores: planned
            .iter()
            .map(|p| StoreRef::new(p.target.name(), p.target.layout.namespace.clone(), context))
            .collect(),
        to_upgrade: plan.to_upgrade(),
        scroll: 0,
    }
}
