//! The terminal UI's runtime: one `tokio::select!` loop over terminal events, cluster
//! changes (of one cluster or a fleet's: the rows of the stores that changed derived
//! again, as `cluster::pacing` allows), every row again as the time moves, and command
//! results. Commands from `app::update` run here as tasks; their results come back as
//! actions. The app itself never touches I/O.

mod effects;
mod logs;
mod terminal;

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use k8s_openapi::jiff::Timestamp;
use tokio::sync::mpsc;

use crate::app::{self, Action, App, Command, ConnectionState, FormDefaults, StoreRow};
use crate::cluster::connect::{self, ConnectOptions, Connection};
use crate::cluster::fleet_watch::{LiveFleet, Step};
use crate::cluster::health::Health;
use crate::cluster::pacing::Pacing;
use crate::domain::config::{Config, Sources};
use crate::ui;

/// The live models, each store's table row derived from them.
type Fleet = LiveFleet<Arc<StoreRow>>;

/// What woke the loop.
enum Woke {
    Action(Option<Action>),
    Fleet(Step),
}

/// What the runtime needs besides the connections.
pub struct Options {
    pub config: Config,
    /// The layers the configuration came from (the create form adds `--set`s to them).
    pub sources: Sources,
    pub readonly: bool,
    /// How the connection was made: switching context keeps the same kubeconfig.
    pub connect: ConnectOptions,
}

pub async fn run(conns: Vec<Connection>, options: Options) -> anyhow::Result<()> {
    let mut tui = terminal::init()?;
    let result = event_loop(&mut tui, conns, options).await;
    terminal::restore();
    result
}

async fn event_loop(
    tui: &mut ratatui::DefaultTerminal,
    conns: Vec<Connection>,
    options: Options,
) -> anyhow::Result<()> {
    let defaults = form_defaults(&options.config);
    let contexts = conns.iter().map(|c| c.endpoint.context.clone()).collect();
    let mut app = App::new(contexts, options.readonly, defaults);
    let (results_tx, mut results) = mpsc::unbounded_channel::<Action>();
    let mut effects: Vec<effects::Effects> = conns
        .iter()
        .map(|conn| start_effects(conn, &options, &results_tx))
        .collect();
    let mut fleet = LiveFleet::start(conns);
    let rules = options.config.status_rules();
    let shared = options.config.stores.shared_namespace.as_str();
    let mut keys = EventStream::new();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut pacing = Pacing::new(Instant::now());

    loop {
        resize(&mut app, tui.size()?.height);
        tui.draw(|f| ui::draw(f, &app))?;
        let woke = tokio::select! {
            event = keys.next() => Woke::Action(match event {
                Some(Ok(Event::Key(key))) => {
                    terminal::panic_if_asked(&key);
                    app::keys::action_for(&app, key)
                }
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e.into()),
                None => Some(Action::Quit),
            }),
            // A cluster's health, or its changes (or the time: every row again, for ages,
            // grace periods, deadlines) as the pacing lets them in.
            step = fleet.step(&mut pacing) => Woke::Fleet(step),
            Some(result) = results.recv() => Woke::Action(Some(result)),
            _ = sigterm.recv() => Woke::Action(Some(Action::Quit)),
        };
        let action = match woke {
            Woke::Action(action) => action,
            Woke::Fleet(Step::Health(i, health)) => {
                Some(connection(&fleet.members[i].conn.endpoint.context, &health))
            }
            Woke::Fleet(Step::Update { all }) => {
                Some(rows(&mut fleet, &rules, shared, &mut pacing, all))
            }
        };
        let Some(action) = action else { continue };
        for command in app::update(&mut app, action) {
            match command {
                Command::Quit => return Ok(()),
                Command::Resync => fleet.restart_all(),
                Command::ListContexts => {
                    let names = connect::contexts(&options.connect).map_err(|e| e.to_string());
                    let _ = results_tx.send(Action::ContextsListed(names));
                }
                Command::SwitchContext(context) => {
                    let result =
                        switch_context(&context, &options, &mut effects, &mut fleet, &results_tx)
                            .await;
                    let _ = results_tx.send(Action::ContextSwitched { context, result });
                }
                Command::Copy(text) => terminal::copy_to_clipboard(&text),
                other => route(other, &effects, &fleet),
            }
        }
        if app.quit {
            return Ok(());
        }
    }
}

/// Connects to `context`; once connected, everything of the old clusters goes (their
/// watches and tasks) for the new one's.
async fn switch_context(
    context: &str,
    options: &Options,
    effects: &mut Vec<effects::Effects>,
    fleet: &mut Fleet,
    results: &mpsc::UnboundedSender<Action>,
) -> Result<(), String> {
    let connect = ConnectOptions {
        context: Some(context.to_string()),
        ..options.connect.clone()
    };
    let new = Connection::open(&connect)
        .await
        .map_err(|e| e.to_string())?;
    route(Command::StopLogs, effects, fleet);
    *effects = vec![start_effects(&new, options, results)];
    *fleet = LiveFleet::start(vec![new]);
    Ok(())
}

/// Runs a command in the cluster it names (the first, for one that names none); logs
/// stop everywhere before a stream starts, as there is one log pane.
fn route(command: Command, effects: &[effects::Effects], fleet: &Fleet) {
    if matches!(command, Command::StopLogs | Command::StartLogs { .. }) {
        for (e, member) in effects.iter().zip(&fleet.members) {
            e.run(Command::StopLogs, &member.model);
        }
        if command == Command::StopLogs {
            return;
        }
    }
    let at = match command.context() {
        Some(context) => fleet
            .members
            .iter()
            .position(|m| m.conn.endpoint.context == context),
        None => Some(0),
    };
    match at {
        Some(i) => effects[i].run(command, &fleet.members[i].model),
        None => tracing::warn!("dropped a command for a cluster no longer shown: {command:?}"),
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

/// A cluster's watchers' health as the header shows it.
fn connection(context: &str, health: &Health) -> Action {
    let state = match health {
        Health::Connecting => ConnectionState::Connecting,
        Health::Live { .. } => ConnectionState::Live,
        Health::Reconnecting { since, why, .. } => ConnectionState::Reconnecting(format!(
            "since {} UTC: {why}",
            since.strftime("%H:%M:%S")
        )),
    };
    let hidden = health.forbidden().iter().map(|r| r.kind.clone()).collect();
    Action::Connection {
        context: context.to_string(),
        state,
        hidden,
    }
}

/// Tells the app how many rows a page has, for paging keys.
fn resize(app: &mut App, height: u16) {
    let page = ui::body_height(height);
    app.table.page = page;
    if let app::Mode::Logs(v) = &mut app.mode {
        v.page = page;
    }
}

/// Every listed cluster's stores as rows, cluster by cluster: those whose objects
/// changed derived again, or every one when `all`; what it cost told to `pacing`.
fn rows(
    fleet: &mut Fleet,
    rules: &crate::domain::status::StatusRules,
    shared_namespace: &str,
    pacing: &mut Pacing,
    all: bool,
) -> Action {
    let started = Instant::now();
    let now = Timestamp::now();
    let update = fleet.update(shared_namespace, all, |store, context| {
        Arc::new(StoreRow::of(store, context, rules, now))
    });
    let rows = fleet.values().cloned().collect();
    pacing.updated(started, Instant::now(), update.all);
    Action::Stores(rows)
}
