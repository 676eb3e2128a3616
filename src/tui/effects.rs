//! Runs the app's commands as tasks against the cluster; every result comes back to the
//! event loop as an `Action`. Log streams reconnect by themselves, resuming after the
//! last line seen so nothing is shown twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::app::{Action, Command, EventRow, LogLine, PlanView, Revealed};
use crate::cluster::connect::Connection;
use crate::cluster::pause::set_paused;
use crate::cluster::plan::Plan;
use crate::cluster::rollout::{self, Planned};
use crate::cluster::watch::LiveModel;
use crate::cluster::{apply, backups, delete, events, logs, revisions, upgrade};
use crate::domain::config::{self, Config, Sources};
use crate::domain::credentials::WORDPRESS_ADMIN_PASSWORD;
use crate::domain::diff::ObjectDiff;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::{Component, StoreLayout};
use crate::domain::manifests;
use crate::domain::name::StoreName;
use crate::domain::rollout::Step;

pub struct Effects {
    conn: Connection,
    config: Config,
    sources: Sources,
    results: UnboundedSender<Action>,
    log_task: Mutex<Option<JoinHandle<()>>>,
    /// The upgrade plan last shown, until the user starts it.
    plan: Arc<Mutex<Option<PendingRollout>>>,
}

/// A plan shown to the user and how it would run.
type PendingRollout = (Vec<Planned>, rollout::Options);

impl Effects {
    pub fn new(
        conn: Connection,
        config: Config,
        sources: Sources,
        results: UnboundedSender<Action>,
    ) -> Self {
        Self {
            conn,
            config,
            sources,
            results,
            log_task: Mutex::new(None),
            plan: Arc::default(),
        }
    }

    pub fn fetch_server_version(&self) {
        let (conn, tx) = (self.conn.clone(), self.results.clone());
        tokio::spawn(async move {
            for attempt in 1..=5 {
                match conn.server_version().await {
                    Ok(v) => {
                        let _ = tx.send(Action::ServerVersion {
                            version: v.git.clone(),
                            warning: v.warning(),
                        });
                        return;
                    }
                    Err(e) => tracing::warn!("asking the server version (attempt {attempt}): {e}"),
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
    }

    pub fn run(&self, command: Command, model: &LiveModel) {
        let (conn, tx) = (self.conn.clone(), self.results.clone());
        let find = |name: &str, namespace: &str| -> Option<StoreObjects> {
            model
                .inventory_in(namespace)
                .stores(&self.config.stores.shared_namespace)
                .into_iter()
                .find(|s| s.name == name && s.namespace_name == namespace)
        };
        match command {
            Command::ValidateForm { sets, .. } => {
                let result = self.config_with(&sets).map(drop);
                let _ = tx.send(Action::FormChecked(result));
            }
            Command::Create { name, sets } => {
                tracing::info!("create store {name} requested");
                let config = self.config_with(&sets);
                tokio::spawn(async move {
                    let result = match config {
                        Ok(config) => create(&conn, &name, &config).await,
                        Err(e) => Err(e),
                    };
                    match &result {
                        Ok(m) => tracing::info!("{m}"),
                        Err(e) => tracing::warn!("create {name}: {e}"),
                    }
                    let _ = tx.send(Action::Created { name, result });
                });
            }
            Command::Delete { name, namespace } => {
                tracing::info!("delete store {name} in {namespace} confirmed");
                let store = find(&name, &namespace);
                let config = self.config.clone();
                tokio::spawn(async move {
                    let result = match store {
                        Some(store) => delete_store(&conn, &store, &config).await,
                        None => Err("it is already gone".to_string()),
                    };
                    let _ = tx.send(Action::Deleted { name, result });
                });
            }
            Command::SetPaused {
                name,
                namespace,
                paused,
            } => {
                let store = find(&name, &namespace);
                let config = self.config.clone();
                tokio::spawn(async move {
                    let result = match store.map(|s| layout_of(&s, &config)) {
                        Some(Ok(layout)) => set_paused(&conn, &layout, paused)
                            .await
                            .map_err(|e| e.to_string()),
                        Some(Err(e)) => Err(e),
                        None => Err("it is gone".to_string()),
                    };
                    let _ = tx.send(Action::PausedSet {
                        name,
                        paused,
                        result,
                    });
                });
            }
            Command::FetchEvents { name, namespace } => {
                let Some(store) = find(&name, &namespace) else {
                    return;
                };
                let own = layout_of(&store, &self.config)
                    .map(|layout| manifests::names(&layout, &self.config))
                    .unwrap_or_default();
                tokio::spawn(async move {
                    let result = events::for_store(&conn, &store, &own)
                        .await
                        .map(|list| {
                            list.into_iter()
                                .map(|e| EventRow {
                                    last_seen: e.last_seen.unwrap_or_default(),
                                    warning: e.type_ == "Warning",
                                    reason: e.reason,
                                    object: e.object,
                                    message: e.message,
                                })
                                .collect()
                        })
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Action::Events { name, result });
                });
            }
            Command::FetchCredentials { name, namespace } => {
                let user = self.config.wordpress.admin.user.clone();
                tokio::spawn(async move {
                    let result = credentials(&conn, &name, &namespace, user).await;
                    let _ = tx.send(Action::Credentials { name, result });
                });
            }
            Command::StartLogs {
                name,
                namespace,
                component,
                previous,
            } => {
                self.stop_logs();
                let task =
                    tokio::spawn(follow_logs(conn, name, namespace, component, previous, tx));
                *self.log_task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
            }
            Command::StopLogs => self.stop_logs(),
            Command::FetchHistory { name, namespace } => {
                let layout = find(&name, &namespace).map(|s| layout_of(&s, &self.config));
                tokio::spawn(async move {
                    let result = match layout {
                        Some(Ok(layout)) => revisions::list(&conn, &layout)
                            .await
                            .map(|list| list.into_iter().map(|(r, _)| r).collect())
                            .map_err(|e| e.to_string()),
                        Some(Err(e)) => Err(e),
                        None => Err("the store is gone".to_string()),
                    };
                    let _ = tx.send(Action::History { name, result });
                });
            }
            Command::FetchDiff { name, namespace } => {
                let store = find(&name, &namespace);
                let config = self.config.clone();
                tokio::spawn(async move {
                    let result = match store {
                        Some(store) => drift(&conn, store, &config).await,
                        None => Err("the store is gone".to_string()),
                    };
                    let _ = tx.send(Action::Diff { name, result });
                });
            }
            Command::PlanUpgrade {
                stores,
                sets,
                wave_size,
            } => {
                let found: Vec<Option<StoreObjects>> =
                    stores.iter().map(|(n, ns)| find(n, ns)).collect();
                let config = self.config.clone();
                let pending = self.plan.clone();
                tokio::spawn(async move {
                    let result = plan_upgrade(&conn, found, sets, wave_size, &config).await;
                    let view = result.map(|(view, planned, options)| {
                        *pending.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some((planned, options));
                        view
                    });
                    let _ = tx.send(Action::UpgradePlanned(view));
                });
            }
            Command::Backup { stores } => {
                for (name, namespace) in stores {
                    let store = find(&name, &namespace);
                    let config = self.config.clone();
                    let (conn, tx) = (conn.clone(), tx.clone());
                    tokio::spawn(async move {
                        let result = match store {
                            Some(store) => back_up(&conn, store, &config).await,
                            None => Err("the store is gone".to_string()),
                        };
                        let _ = tx.send(Action::BackupStarted { name, result });
                    });
                }
            }
            Command::FetchBackups { name, namespace } => {
                let config = self.config.clone();
                tokio::spawn(async move {
                    let result = backups::records(&conn, &config, &name, Some(&namespace))
                        .await
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Action::BackupList { name, result });
                });
            }
            Command::Restore {
                name,
                namespace,
                id,
            } => {
                let store = find(&name, &namespace);
                let config = self.config.clone();
                tokio::spawn(async move {
                    let result = match store {
                        Some(store) => restore(&conn, store, &id, &config).await,
                        None => Err("the store is gone".to_string()),
                    };
                    let _ = tx.send(Action::Restored { name, result });
                });
            }
            Command::StartUpgrade => {
                let Some((planned, options)) =
                    self.plan.lock().unwrap_or_else(|e| e.into_inner()).take()
                else {
                    return;
                };
                tokio::spawn(async move {
                    let events = tx.clone();
                    let results = rollout::run(&conn, planned, &options, |event| {
                        let _ = events.send(Action::Rollout(event));
                    })
                    .await;
                    let _ = tx.send(Action::RolloutEnded(outcome(&results)));
                });
            }
            Command::Copy(_)
            | Command::Resync
            | Command::ListContexts
            | Command::SwitchContext(_)
            | Command::Quit => {}
        }
    }

    fn stop_logs(&self) {
        if let Some(task) = self
            .log_task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            task.abort();
        }
    }

    /// The startup configuration with the form's `--set`s on top.
    fn config_with(&self, sets: &[(String, String)]) -> Result<Config, String> {
        let mut sources = self.sources.clone();
        sources.form.extend(sets.iter().cloned());
        config::load(&sources).map_err(|e| e.to_string())
    }
}

/// Starts a backup of `store`; its id.
async fn back_up(
    conn: &Connection,
    store: StoreObjects,
    config: &Config,
) -> Result<String, String> {
    let layout = layout_of(&store, config)?;
    let settings = backups::settings_for(conn, &layout, store, config)
        .await
        .map_err(|e| e.to_string())?;
    let id = crate::domain::backup::new_id(Timestamp::now());
    backups::start(conn, &layout, &settings, &id)
        .await
        .map(|record| record.id)
        .map_err(|e| e.to_string())
}

/// Restores backup `id` into `store` (WordPress stopped, the Job run, WordPress started).
async fn restore(
    conn: &Connection,
    store: StoreObjects,
    id: &str,
    config: &Config,
) -> Result<String, String> {
    let layout = layout_of(&store, config)?;
    let namespace = layout.namespace.clone();
    let settings = backups::settings_for(conn, &layout, store, config)
        .await
        .map_err(|e| e.to_string())?;
    let list = backups::records(conn, config, layout.name(), Some(&namespace))
        .await
        .map_err(|e| e.to_string())?;
    let record = backups::usable(&list, layout.name(), id).map_err(|e| e.to_string())?;
    backups::restore(conn, &layout, &settings, record, None, RESTORE_TIMEOUT)
        .await
        .map(|_| id.to_string())
        .map_err(|e| e.to_string())
}

/// How long a restore from the terminal UI may take.
const RESTORE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What an upgrade of `store` to its latest revision would change: its drift.
async fn drift(
    conn: &Connection,
    store: StoreObjects,
    config: &Config,
) -> Result<Vec<ObjectDiff>, String> {
    let layout = layout_of(&store, config)?;
    let target = rollout::target(conn, &layout, store, &Sources::default(), config)
        .await
        .map_err(|e| e.to_string())?;
    upgrade::prepare(conn, &layout, &target.store, &target.from.1, &target.to)
        .await
        .map(|p| p.changes)
        .map_err(|e| e.to_string())
}

/// Works out the upgrade of the stores found with `sets` on top of each one's latest
/// revision: the plan as text, and what `StartUpgrade` runs.
async fn plan_upgrade(
    conn: &Connection,
    stores: Vec<Option<StoreObjects>>,
    sets: Vec<String>,
    wave_size: usize,
    config: &Config,
) -> Result<(PlanView, Vec<Planned>, rollout::Options), String> {
    let layers = Sources {
        sets,
        ..Sources::default()
    };
    let mut targets = Vec::new();
    for store in stores {
        let store = store.ok_or("a marked store is gone; mark again")?;
        let layout = layout_of(&store, config)?;
        let target = rollout::target(conn, &layout, store, &layers, config)
            .await
            .map_err(|e| e.to_string())?;
        targets.push(target);
    }
    let planned = rollout::plan(conn, targets).await;
    let options = rollout::Options {
        wave_size,
        max_failures: 0,
        timeout: Duration::from_secs(600),
        wait: true,
        rules: config.status_rules(),
        change: "upgrade".to_string(),
    };
    let plan = Plan::of(&planned, &options);
    let mut lines: Vec<String> = plan.describe().lines().map(str::to_string).collect();
    if plan.to_upgrade() == 0 {
        lines.push("nothing to upgrade: every store is at its target or refused".to_string());
    }
    let view = PlanView {
        lines,
        stores: planned
            .iter()
            .map(|p| {
                (
                    p.target.name().to_string(),
                    p.target.layout.namespace.clone(),
                )
            })
            .collect(),
        to_upgrade: plan.to_upgrade(),
        scroll: 0,
    };
    Ok((view, planned, options))
}

/// The rollout's end in a line: how many reached the target, or which failed and why.
fn outcome(results: &[(String, Step)]) -> Result<String, String> {
    let done = results.iter().filter(|(_, s)| s.is_done()).count();
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(name, step)| match step {
            Step::Failed { reason } => Some(format!("{name}: {reason}")),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        Ok(format!(
            "{done} of {} store(s) at the target",
            results.len()
        ))
    } else {
        Err(format!(
            "{} failed ({}); {done} at the target",
            failed.len(),
            failed.join("; ")
        ))
    }
}

async fn create(conn: &Connection, name: &str, config: &Config) -> Result<String, String> {
    let store = StoreName::parse_for(name, config).map_err(|e| e.to_string())?;
    let layout = StoreLayout::new(&store, config);
    let (created, _) = apply::create_store(conn, &layout, config)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "created store {name} in namespace {} ({} objects)",
        layout.namespace, created.applied
    ))
}

/// The layout of a store seen on the cluster (its name checked as a store name).
fn layout_of(store: &StoreObjects, config: &Config) -> Result<StoreLayout, String> {
    let name = StoreName::parse(&store.name, "").map_err(|e| e.to_string())?;
    Ok(StoreLayout::found(&name, &store.namespace_name, config))
}

async fn delete_store(
    conn: &Connection,
    store: &StoreObjects,
    config: &Config,
) -> Result<(), String> {
    let layout = layout_of(store, config)?;
    let known = manifests::references(&layout, config);
    delete::delete(conn, &layout, &known, &config.platform.namespace)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

async fn credentials(
    conn: &Connection,
    name: &str,
    namespace: &str,
    user: String,
) -> Result<Revealed, String> {
    let api: Api<Secret> = Api::namespaced(conn.client.clone(), namespace);
    let secret_name = format!("{name}-credentials");
    let secret = api
        .get_opt(&secret_name)
        .await
        .map_err(|e| conn.error(&format!("reading secret {secret_name}"))(e).to_string())?
        .ok_or_else(|| format!("no secret {secret_name} (a store of the original platform keeps its passwords elsewhere)"))?;
    let password = secret
        .data
        .as_ref()
        .and_then(|d| d.get(WORDPRESS_ADMIN_PASSWORD))
        .map(|b| String::from_utf8_lossy(&b.0).into_owned())
        .ok_or_else(|| format!("secret {secret_name} has no {WORDPRESS_ADMIN_PASSWORD}"))?;
    Ok(Revealed { user, password })
}

/// Streams a component's logs into the app, reconnecting (also to a replacement pod) and
/// resuming after the last line, with duplicates of the last second filtered out.
async fn follow_logs(
    conn: Connection,
    name: String,
    namespace: String,
    component: Component,
    previous: bool,
    tx: UnboundedSender<Action>,
) {
    let seen: Arc<Mutex<(Option<Timestamp>, HashSet<String>)>> = Arc::default();
    loop {
        let pod = match logs::newest_pod(&conn, &namespace, &name, component).await {
            Ok(Some(pod)) => pod,
            Ok(None) => {
                let _ = tx.send(Action::LogEnded(Some(format!(
                    "no {} pod yet; waiting",
                    component.as_str()
                ))));
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
            Err(e) => {
                let _ = tx.send(Action::LogEnded(Some(e.to_string())));
                return;
            }
        };
        let since = seen.lock().map(|s| s.0).unwrap_or(None);
        let options = logs::LogOptions {
            follow: !previous,
            previous,
            timestamps: true,
            tail_lines: None,
            since_time: since,
        };
        match logs::lines(&conn, &pod, component, &options).await {
            Ok(stream) => {
                let mut stream = stream.ready_chunks(256);
                while let Some(chunk) = stream.next().await {
                    let lines: Vec<LogLine> = chunk
                        .into_iter()
                        .filter_map(Result::ok)
                        .filter_map(|l| fresh(&seen, &l))
                        .collect();
                    if !lines.is_empty() && tx.send(Action::LogLines(lines)).is_err() {
                        return;
                    }
                }
                if previous {
                    let _ = tx.send(Action::LogEnded(Some(
                        "end of the previous container's log".to_string(),
                    )));
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Action::LogEnded(Some(format!("{e}; retrying"))));
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Parses `TIMESTAMP text`; returns None for a line already shown (at or before the last
/// timestamp seen, same text within that second).
fn fresh(seen: &Mutex<(Option<Timestamp>, HashSet<String>)>, raw: &str) -> Option<LogLine> {
    let (ts, text) = raw.split_once(' ').unwrap_or((raw, ""));
    let at: Option<Timestamp> = ts.parse().ok();
    let mut seen = seen.lock().ok()?;
    if let (Some(at), Some(last)) = (at, seen.0) {
        if at < last || (at == last && seen.1.contains(raw)) {
            return None;
        }
        if at > last {
            seen.1.clear();
        }
    }
    if at.is_some() {
        seen.0 = at;
        seen.1.insert(raw.to_string());
    }
    Some(LogLine {
        timestamp: ts.to_string(),
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnect_resuming_at_the_last_second_shows_no_line_twice() {
        let seen = Mutex::new((None, HashSet::new()));
        let show = |lines: &[&str]| -> Vec<String> {
            lines
                .iter()
                .filter_map(|l| fresh(&seen, l))
                .map(|l| l.text)
                .collect()
        };
        let first = [
            "2026-11-25T20:00:01Z a",
            "2026-11-25T20:00:02Z b",
            "2026-11-25T20:00:02Z c",
        ];
        assert_eq!(show(&first), ["a", "b", "c"]);
        // The server resends everything from the last second (sinceTime has 1 s precision).
        let again = [
            "2026-11-25T20:00:02Z b",
            "2026-11-25T20:00:02Z c",
            "2026-11-25T20:00:02Z d",
            "2026-11-25T20:00:03Z e",
        ];
        assert_eq!(show(&again), ["d", "e"]);
        assert!(
            fresh(&seen, "2026-11-25T20:00:01Z old").is_none(),
            "older lines are dropped"
        );
    }
}
