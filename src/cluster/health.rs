//! The health of the live model: what each watcher (and a probe of the API server)
//! last reported, summed up as Live, Reconnecting (with why) or Forbidden kinds. The
//! probe notices within seconds when the API server stops answering, which a hung
//! server's open watch streams never say.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use tokio::sync::watch;

use super::connect::Connection;
use super::error::root_cause;

/// How often the API server is asked whether it answers, and how long it may take.
const PROBE_EVERY: Duration = Duration::from_secs(2);
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What the watchers report besides object changes, summed over every watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Not every watcher has listed yet.
    Connecting,
    /// Every watcher is streaming, except those of the kinds the user may not list.
    Live { forbidden: Vec<Refused> },
    /// The API server does not answer, or a watcher lost its stream, since `since`; the
    /// model may be stale.
    Reconnecting {
        since: Timestamp,
        why: String,
        forbidden: Vec<Refused>,
    },
}

/// A kind the user may not list, and the refusal in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub kind: String,
    pub message: String,
}

impl Health {
    /// The refused kinds, whatever the connection state.
    pub fn forbidden(&self) -> &[Refused] {
        match self {
            Self::Connecting => &[],
            Self::Live { forbidden } | Self::Reconnecting { forbidden, .. } => forbidden,
        }
    }
}

/// One source of health: a watcher (by kind) or the server probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum State {
    Listing,
    Live,
    Failing { since: Timestamp, why: String },
    Forbidden(String),
}

/// Every source's state; each change recomputes and publishes `Health`.
pub(super) struct HealthBoard {
    states: Mutex<BTreeMap<String, State>>,
    out: watch::Sender<Health>,
}

impl HealthBoard {
    /// A board that publishes the sum of its reports on `out`.
    pub(super) fn new(out: watch::Sender<Health>) -> Self {
        Self {
            states: Mutex::new(BTreeMap::new()),
            out,
        }
    }

    pub(super) fn set(&self, source: &str, state: State) {
        let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        // Every event of a live watcher says "live" again: nothing to recompute.
        if state == State::Live && states.get(source) == Some(&State::Live) {
            return;
        }
        let entry = states.entry(source.to_string()).or_insert(State::Listing);
        *entry = match (&*entry, state) {
            // A failure that goes on keeps the time it began.
            (State::Failing { since, .. }, State::Failing { why, .. }) => {
                State::Failing { since: *since, why }
            }
            (_, state) => state,
        };
        let health = summarize(&states);
        self.out.send_if_modified(|h| {
            let changed = *h != health;
            *h = health;
            changed
        });
    }
}

fn summarize(states: &BTreeMap<String, State>) -> Health {
    let forbidden: Vec<Refused> = states
        .iter()
        .filter_map(|(source, s)| match s {
            State::Forbidden(message) => Some(Refused {
                kind: source.clone(),
                message: message.clone(),
            }),
            _ => None,
        })
        .collect();
    let failing = states
        .iter()
        .filter_map(|(source, s)| match s {
            State::Failing { since, why } => Some((*since, format!("{source}: {why}"))),
            _ => None,
        })
        .min();
    if let Some((since, why)) = failing {
        return Health::Reconnecting {
            since,
            why,
            forbidden,
        };
    }
    if states.values().any(|s| *s == State::Listing) {
        Health::Connecting
    } else {
        Health::Live { forbidden }
    }
}

/// Asks the API server for its version every few seconds; no answer in time is a
/// failure of the source "API server".
pub(super) async fn probe(conn: Connection, board: Arc<HealthBoard>) {
    const SOURCE: &str = "API server";
    let mut tick = tokio::time::interval(PROBE_EVERY);
    loop {
        tick.tick().await;
        let state = match tokio::time::timeout(PROBE_TIMEOUT, conn.client.apiserver_version()).await
        {
            Ok(Ok(_)) => State::Live,
            Ok(Err(e)) => failing(root_cause(&e)),
            Err(_) => failing(format!("no answer within {}s", PROBE_TIMEOUT.as_secs())),
        };
        board.set(SOURCE, state);
    }
}

pub(super) fn failing(why: String) -> State {
    State::Failing {
        since: Timestamp::now(),
        why,
    }
}
