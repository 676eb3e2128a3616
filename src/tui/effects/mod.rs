//! Runs the app's commands as tasks, each through its verb in `ops`; every result comes
//! back to the event loop as an `Action`. Nothing here decides what a verb may do: the
//! refusals come from `ops`, as they do for the CLI and the API.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::app::{Action, Command, EventRow, Revealed};
use crate::cluster::connect::Connection;
use crate::cluster::rollout::{self, Planned};
use crate::cluster::touched::StoreKey;
use crate::cluster::watch::LiveModel;
use crate::cluster::{credentials, events};
use crate::domain::config::{self, Config, FormField, Sources};
use crate::domain::diff::ObjectDiff;
use crate::domain::inventory::{StoreObjects, is_store};
use crate::domain::manifests;
use crate::domain::name::StoreName;
use crate::domain::store_ref::StoreRef;
use crate::ops::find::Located;
use crate::ops::{self, layout_of};

use super::logs::follow_logs;

mod backups;
mod upgrade;

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
struct PendingRollout {
    planned: Vec<Planned>,
    options: rollout::Options,
}

/// The text of a failure, as the app shows it.
fn text(e: impl ToString) -> String {
    e.to_string()
}

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
                            context: conn.endpoint.context.clone(),
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
        let find = |store: &StoreRef| self.find(model, &store.name, &store.namespace);
        match command {
            Command::ValidateForm { sets, .. } => {
                let result = self.config_with(&sets).map(drop);
                let _ = self.results.send(Action::FormChecked(result));
            }
            Command::Create { name, sets, .. } => self.create(name, &sets),
            Command::Delete { store } => {
                let found = find(&store);
                self.delete(store.name, found);
            }
            Command::SetPaused { store, paused } => {
                let found = find(&store);
                self.set_paused(store.name, found, paused);
            }
            Command::FetchEvents { store } => {
                if let Some(found) = find(&store) {
                    self.events(store.name, found);
                }
            }
            Command::FetchCredentials { store } => self.credentials(store.name, store.namespace),
            Command::StartLogs {
                store,
                component,
                previous,
            } => {
                self.stop_logs();
                let (conn, tx) = (self.conn.clone(), self.results.clone());
                let task = tokio::spawn(follow_logs(
                    conn,
                    store.name,
                    store.namespace,
                    component,
                    previous,
                    tx,
                ));
                *self.log_task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
            }
            Command::StopLogs => self.stop_logs(),
            Command::FetchHistory { store } => {
                let found = find(&store);
                self.history(store.name, found);
            }
            Command::FetchDiff { store } => {
                let found = find(&store);
                self.diff(store.name, found);
            }
            Command::PlanUpgrade {
                stores,
                sets,
                wave_size,
            } => {
                let found = stores.iter().map(find).collect();
                self.plan_upgrade(found, sets, wave_size);
            }
            Command::Backup { stores } => {
                for store in stores {
                    let found = find(&store);
                    self.back_up(store.name, found);
                }
            }
            Command::FetchBackups { store } => self.backups(store.name, store.namespace),
            Command::Restore { store, id } => {
                let found = find(&store);
                self.restore(store.name, found, id);
            }
            Command::StartUpgrade { .. } => self.start_upgrade(),
            Command::Copy(_)
            | Command::Resync
            | Command::ListContexts
            | Command::SwitchContext(_)
            | Command::Quit => {}
        }
    }

    /// The store `name` in `namespace` as last watched.
    fn find(&self, model: &LiveModel, name: &str, namespace: &str) -> Option<StoreObjects> {
        model
            .store_objects(&StoreKey::new(name, namespace))
            .filter(|s| is_store(s, &self.config.stores.shared_namespace))
    }

    /// The store found and its layout, or why not (`gone`: how its absence is said).
    fn located(&self, store: Option<StoreObjects>, gone: &str) -> Result<Located, String> {
        let store = store.ok_or_else(|| gone.to_string())?;
        let layout = layout_of(&store, &self.config).map_err(text)?;
        Ok(Located { store, layout })
    }

    fn create(&self, name: String, sets: &[FormField]) {
        let context = self.conn.endpoint.context.clone();
        tracing::info!("create store {name} in context {context} requested");
        let config = self.config_with(sets);
        let (conn, tx) = (self.conn.clone(), self.results.clone());
        tokio::spawn(async move {
            let result = match config {
                Ok(config) => match StoreName::parse_for(&name, &config) {
                    Ok(store) => ops::create::run(&conn, &store, &config)
                        .await
                        .map(|created| created.summary())
                        .map_err(text),
                    Err(e) => Err(text(e)),
                },
                Err(e) => Err(e),
            };
            match &result {
                Ok(m) => tracing::info!("{m}"),
                Err(e) => tracing::warn!("create {name}: {e}"),
            }
            let _ = tx.send(Action::Created {
                context,
                name,
                result,
            });
        });
    }

    fn delete(&self, name: String, store: Option<StoreObjects>) {
        tracing::info!("delete store {name} confirmed");
        let located = self.located(store, "it is already gone");
        let (conn, tx, config) = (self.conn.clone(), self.results.clone(), self.config.clone());
        tokio::spawn(async move {
            let result = match located {
                Ok(Located { layout, .. }) => ops::delete::run(&conn, &layout, &config)
                    .await
                    .map(drop)
                    .map_err(text),
                Err(e) => Err(e),
            };
            let _ = tx.send(Action::Deleted { name, result });
        });
    }

    fn set_paused(&self, name: String, store: Option<StoreObjects>, paused: bool) {
        let located = self.located(store, "it is gone");
        let (conn, tx, config) = (self.conn.clone(), self.results.clone(), self.config.clone());
        tokio::spawn(async move {
            let result = match located {
                Ok(Located { store, layout }) if paused => {
                    ops::pause::pause(&conn, &store, &layout, &config).await
                }
                Ok(Located { store, layout }) => {
                    ops::pause::resume(&conn, &store, &layout, &config).await
                }
                Err(e) => Err(anyhow::anyhow!(e)),
            };
            let result = result.map(drop).map_err(text);
            let _ = tx.send(Action::PausedSet {
                name,
                paused,
                result,
            });
        });
    }

    fn events(&self, name: String, store: StoreObjects) {
        let own = layout_of(&store, &self.config)
            .map(|layout| manifests::names(&layout, &self.config))
            .unwrap_or_default();
        let (conn, tx) = (self.conn.clone(), self.results.clone());
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
                .map_err(text);
            let _ = tx.send(Action::Events { name, result });
        });
    }

    fn credentials(&self, name: String, namespace: String) {
        let user = self.config.wordpress.admin.user.clone();
        let (conn, tx) = (self.conn.clone(), self.results.clone());
        tokio::spawn(async move {
            let result = credentials::admin_password(&conn, &name, &namespace)
                .await
                .map(|password| Revealed { user, password });
            let _ = tx.send(Action::Credentials { name, result });
        });
    }

    fn history(&self, name: String, store: Option<StoreObjects>) {
        let located = self.located(store, "the store is gone");
        let (conn, tx) = (self.conn.clone(), self.results.clone());
        tokio::spawn(async move {
            let result = match located {
                Ok(Located { layout, .. }) => ops::history::run(&conn, &layout).await.map_err(text),
                Err(e) => Err(e),
            };
            let _ = tx.send(Action::History { name, result });
        });
    }

    /// What an upgrade of the store to its latest revision would change: its drift.
    fn diff(&self, name: String, store: Option<StoreObjects>) {
        let located = self.located(store, "the store is gone");
        let (conn, tx, config) = (self.conn.clone(), self.results.clone(), self.config.clone());
        tokio::spawn(async move {
            let result: Result<Vec<ObjectDiff>, String> = match located {
                Ok(Located { store, layout }) => {
                    ops::diff::run(&conn, store, &layout, &Sources::default(), &config)
                        .await
                        .map_err(text)
                }
                Err(e) => Err(e),
            };
            let _ = tx.send(Action::Diff { name, result });
        });
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
    fn config_with(&self, sets: &[FormField]) -> Result<Config, String> {
        let mut sources = self.sources.clone();
        sources.form.extend(sets.iter().cloned());
        config::load(&sources).map_err(text)
    }
}
