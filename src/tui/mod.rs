//! The terminal UI's runtime: one `tokio::select!` loop over terminal events, cluster
//! changes, command results and a clock tick. Commands from `app::update` run here as
//! tasks; their results come back as actions. The app itself never touches I/O.

mod effects;
mod logs;
mod terminal;

use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use k8s_openapi::jiff::Timestamp;
use tokio::sync::mpsc;

use crate::app::{self, Action, App, Command, ConnectionState, FormDefaults, StoreRow};
use crate::cluster::connect::{self, ConnectOptions, Connection};
use crate::cluster::health::Health;
use crate::cluster::watch::{LiveModel, Scope, Started};
use crate::domain::config::{Config, Sources};
use crate::domain::summary::{object_states, summarize};
use crate::ui;

/// What the runtime needs besides the connection.
pub struct Options {
    pub config: Config,
    /// The layers the configuration came from (the create form adds `--set`s to them).
    pub sources: Sources,
    pub readonly: bool,
    /// How the connection was made: switching context keeps the same kubeconfig.
    pub connect: ConnectOptions,
}

pub async fn run(conn: Connection, options: Options) -> anyhow::Result<()> {
    let mut tui = terminal::init()?;
    let result = event_loop(&mut tui, conn, options).await;
    terminal::restore();
    result
}

async fn event_loop(
    tui: &mut ratatui::DefaultTerminal,
    mut conn: Connection,
    options: Options,
) -> anyhow::Result<()> {
    let defaults = form_defaults(&options.config);
    let mut app = App::new(conn.endpoint.context.clone(), options.readonly, defaults);
    let (results_tx, mut results) = mpsc::unbounded_channel::<Action>();
    let mut effects = start_effects(&conn, &options, &results_tx);

    let mut live = Live::start(&conn);
    let rules = options.config.status_rules();
    let shared = options.config.stores.shared_namespace.as_str();
    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;

    loop {
        resize(&mut app, tui.size()?.height);
        tui.draw(|f| ui::draw(f, &app))?;
        let action = tokio::select! {
            event = keys.next() => match event {
                Some(Ok(Event::Key(key))) => {
                    terminal::panic_if_asked(&key);
                    app::keys::action_for(&app, key)
                }
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e.into()),
                None => Some(Action::Quit),
            },
            Ok(()) = &mut live.listed, if !live.ready => {
                live.ready = true;
                Some(Action::Stores(rows(&live.model, &conn.endpoint.context, &rules, shared)))
            }
            Some(()) = live.changes.recv() => live.ready.then(|| Action::Stores(rows(&live.model, &conn.endpoint.context, &rules, shared))),
            Ok(()) = live.health.changed() => Some(connection(&live.health.borrow())),
            Some(result) = results.recv() => Some(result),
            _ = tick.tick() => live.ready.then(|| Action::Stores(rows(&live.model, &conn.endpoint.context, &rules, shared))),
            _ = sigterm.recv() => Some(Action::Quit),
        };
        let Some(action) = action else { continue };
        for command in app::update(&mut app, action) {
            match command {
                Command::Quit => return Ok(()),
                Command::Resync => live = Live::start(&conn),
                Command::ListContexts => {
                    let names = connect::contexts(&options.connect).map_err(|e| e.to_string());
                    let _ = results_tx.send(Action::ContextsListed(names));
                }
                Command::SwitchContext(context) => {
                    let connect = ConnectOptions {
                        context: Some(context.clone()),
                        ..options.connect.clone()
                    };
                    let result = match Connection::open(&connect).await {
                        Ok(new) => {
                            // Everything of the old context goes: its watches and tasks.
                            effects.run(Command::StopLogs, &live.model);
                            conn = new;
                            effects = start_effects(&conn, &options, &results_tx);
                            live = Live::start(&conn);
                            Ok(())
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = results_tx.send(Action::ContextSwitched { context, result });
                }
                Command::Copy(text) => terminal::copy_to_clipboard(&text),
                other => effects.run(other, &live.model),
            }
        }
        if app.quit {
            return Ok(());
        }
    }
}

/// The live model of the cluster in use, its signals, and whether its first lists are in.
struct Live {
    model: LiveModel,
    changes: mpsc::Receiver<()>,
    health: tokio::sync::watch::Receiver<Health>,
    listed: tokio::sync::oneshot::Receiver<()>,
    ready: bool,
}

impl Live {
    fn start(conn: &Connection) -> Self {
        let Started {
            model,
            changes,
            health,
        } = LiveModel::start(conn, &Scope::Cluster);
        let listed = listed_signal(&model);
        Self {
            model,
            changes,
            health,
            listed,
            ready: false,
        }
    }
}

/// The runtime's effects on `conn`, their results sent to `results`; asks for the
/// server's version first.
fn start_effects(
    conn: &Connection,
    options: &Options,
    results: &mpsc::UnboundedSender<Action>,
) -> effects::Effects {
    let effects = effects::Effects::new(
        conn.clone(),
        options.config.clone(),
        options.sources.clone(),
        results.clone(),
    );
    effects.fetch_server_version();
    effects
}

/// The create form's defaults, from the configuration.
fn form_defaults(config: &Config) -> FormDefaults {
    FormDefaults {
        domain: config.global.domain.clone(),
        storage: config.wordpress.storage.0.clone(),
        admin_email: config.wordpress.admin.email.clone(),
        namespace_prefix: config.stores.namespace_prefix.clone(),
    }
}

/// Resolves once every watcher of `model` has listed (the task ends with the model).
fn listed_signal(model: &LiveModel) -> tokio::sync::oneshot::Receiver<()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let listed = model.listed();
    tokio::spawn(async move {
        if listed.wait().await {
            let _ = tx.send(());
        }
    });
    rx
}

/// The watchers' health as the header shows it.
fn connection(health: &Health) -> Action {
    let state = match health {
        Health::Connecting => ConnectionState::Connecting,
        Health::Live { .. } => ConnectionState::Live,
        Health::Reconnecting { since, why, .. } => ConnectionState::Reconnecting(format!(
            "since {} UTC: {why}",
            since.strftime("%H:%M:%S")
        )),
    };
    let hidden = health.forbidden().iter().map(|r| r.kind.clone()).collect();
    Action::Connection(state, hidden)
}

/// Tells the app how many rows a page has, for paging keys.
fn resize(app: &mut App, height: u16) {
    let page = ui::body_height(height);
    app.table.page = page;
    if let app::Mode::Logs(v) = &mut app.mode {
        v.page = page;
    }
}

fn rows(
    model: &LiveModel,
    context: &str,
    rules: &crate::domain::status::StatusRules,
    shared_namespace: &str,
) -> Vec<StoreRow> {
    let now = Timestamp::now();
    model
        .inventory()
        .stores(shared_namespace)
        .iter()
        .map(|s| StoreRow {
            summary: summarize(s, context, rules, now),
            objects: object_states(s),
        })
        .collect()
}
