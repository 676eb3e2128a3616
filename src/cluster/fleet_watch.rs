//! The live models of a fleet, one per cluster, their signals merged into one channel:
//! a change, a health report or "every watcher has listed", each tagged with its
//! cluster and with the start it belongs to, so what an old model says after a resync
//! is told apart and dropped. One cluster failing leaves the others' models as they are.
//! Each cluster keeps what is derived from its stores (`per_store.rs`); its followers
//! (the TUI, `list --watch`, `serve`) take one step at a time: a cluster's health, or an
//! update as `pacing.rs` lets changes and the time in.

use std::time::Instant;

use tokio::sync::mpsc;

use super::connect::Connection;
use super::health::Health;
use super::pacing::Pacing;
use super::per_store::{PerStore, Update};
use super::watch::{LiveModel, Scope, Started};
use crate::domain::inventory::StoreObjects;

/// Signals queued from every cluster before the reader catches up (changes are
/// coalesced per cluster before this, so it rarely fills).
const SIGNAL_QUEUE: usize = 64;

/// What a cluster's model said.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Signal {
    /// Every watcher has listed once: its stores can be shown.
    Listed,
    /// Objects changed.
    Changed,
    Health(Health),
}

/// A signal and where it came from.
#[derive(Debug)]
struct Tagged {
    member: usize,
    start: u64,
    signal: Signal,
}

/// What a follower of the fleet does next (`LiveFleet::step`).
#[derive(Debug)]
pub enum Step {
    /// A cluster's health changed: its index, its health now.
    Health(usize, Health),
    /// Bring the derived values up to date (`LiveFleet::update`); `all`: every store.
    Update { all: bool },
}

/// One cluster of the fleet, its live model and what is derived from its stores.
pub struct Member<T> {
    pub conn: Connection,
    pub model: LiveModel,
    /// Whether its watchers have listed since its last start.
    pub listed: bool,
    start: u64,
    derived: PerStore<T>,
}

impl<T> Member<T> {
    /// Its stores' values, by store name then namespace (none before it has listed).
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.listed
            .then(|| self.derived.values())
            .into_iter()
            .flatten()
    }
}

/// The fleet's models, their merged signals and a `T` derived from each store.
pub struct LiveFleet<T> {
    pub members: Vec<Member<T>>,
    signals: mpsc::Receiver<Tagged>,
    sender: mpsc::Sender<Tagged>,
    starts: u64,
}

impl<T> LiveFleet<T> {
    /// Starts a live model for each connection.
    pub fn start(conns: Vec<Connection>) -> Self {
        let (sender, signals) = mpsc::channel(SIGNAL_QUEUE);
        let mut fleet = Self {
            members: Vec::with_capacity(conns.len()),
            signals,
            sender,
            starts: 0,
        };
        for conn in conns {
            let member = fleet.start_member(fleet.members.len(), conn);
            fleet.members.push(member);
        }
        fleet
    }

    /// Replaces cluster `member`'s model with a new one (a resync, a switch); what the old
    /// one still says is dropped.
    pub fn restart(&mut self, member: usize, conn: Connection) {
        self.members[member] = self.start_member(member, conn);
    }

    /// Every cluster's model replaced, on the same connections.
    pub fn restart_all(&mut self) {
        for i in 0..self.members.len() {
            let conn = self.members[i].conn.clone();
            self.restart(i, conn);
        }
    }

    /// Brings each listed cluster's derived values up to date (`PerStore::update`): every
    /// store when `all`, else those whose objects changed. `derive` gets a store and its
    /// cluster's context. Every store was derived when all of them were.
    pub fn update(
        &mut self,
        shared_namespace: &str,
        all: bool,
        mut derive: impl FnMut(&StoreObjects, &str) -> T,
    ) -> Update {
        let started = Instant::now();
        let mut done = Update {
            derived: 0,
            all: true,
        };
        for m in self.members.iter_mut().filter(|m| m.listed) {
            let context = m.conn.endpoint.context.as_str();
            let update = m
                .derived
                .update(m.model.objects(), shared_namespace, all, |s| {
                    derive(s, context)
                });
            done.derived += update.derived;
            done.all &= update.all;
        }
        // At debug level: what each update costs, to tell a fleet's busy moments apart.
        tracing::debug!(
            derived = done.derived,
            all = done.all,
            micros = started.elapsed().as_micros() as u64,
            "fleet update"
        );
        done
    }

    /// Every listed cluster's values, cluster by cluster (`Member::values`).
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.members.iter().flat_map(Member::values)
    }

    /// Waits for what to do next: a cluster's health to show, or an update due after a
    /// listed cluster's change (at once, or when `pacing` lets it), for a cluster that
    /// has just listed, or for the time. With no cluster listed there is nothing to
    /// update. Cancel-safe: a step not taken is waited for again.
    pub async fn step(&mut self, pacing: &mut Pacing) -> Step {
        loop {
            let (due, all_due) = pacing.next_due();
            tokio::select! {
                signal = self.next() => match signal {
                    Some((i, Signal::Health(now))) => return Step::Health(i, now),
                    Some((_, Signal::Listed)) => return Step::Update { all: false },
                    Some((i, Signal::Changed)) => {
                        if self.members[i].listed && pacing.changed(Instant::now()) {
                            return Step::Update { all: false };
                        }
                    }
                    // The fleet keeps a sender: its signals never end.
                    None => std::future::pending::<()>().await,
                },
                // Changes held back by the pacing, or the time.
                () = tokio::time::sleep_until(due.into()) => {
                    if self.members.iter().any(|m| m.listed) {
                        return Step::Update { all: all_due };
                    }
                    let now = Instant::now();
                    pacing.updated(now, now, all_due);
                }
            }
        }
    }

    /// The next signal of a current model (stale ones skipped); `Listed` also marks the
    /// member listed.
    async fn next(&mut self) -> Option<(usize, Signal)> {
        loop {
            let tagged = self.signals.recv().await?;
            let Some(member) = self.members.get_mut(tagged.member) else {
                continue;
            };
            if member.start != tagged.start {
                continue;
            }
            if tagged.signal == Signal::Listed {
                member.listed = true;
            }
            return Some((tagged.member, tagged.signal));
        }
    }

    fn start_member(&mut self, index: usize, conn: Connection) -> Member<T> {
        self.starts += 1;
        let start = self.starts;
        let Started {
            model,
            mut changes,
            mut health,
        } = LiveModel::start(&conn, &Scope::Cluster);
        let tag = move |signal| Tagged {
            member: index,
            start,
            signal,
        };
        // Each forwarder ends when the model's tasks do (its channel closes).
        let tx = self.sender.clone();
        tokio::spawn(async move {
            while changes.recv().await.is_some() {
                if tx.send(tag(Signal::Changed)).await.is_err() {
                    return;
                }
            }
        });
        let tx = self.sender.clone();
        tokio::spawn(async move {
            while health.changed().await.is_ok() {
                let now = health.borrow_and_update().clone();
                if tx.send(tag(Signal::Health(now))).await.is_err() {
                    return;
                }
            }
        });
        let (tx, listed) = (self.sender.clone(), model.listed());
        tokio::spawn(async move {
            if listed.wait().await {
                let _ = tx.send(tag(Signal::Listed)).await;
            }
        });
        Member {
            conn,
            model,
            listed: false,
            start,
            derived: PerStore::default(),
        }
    }
}
