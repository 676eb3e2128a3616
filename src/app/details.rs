//! The details view of one store (and its events view): what it has fetched, and the
//! keys that fetch more, reveal, copy, diff, back up or restore.

use super::{Action, App, Command, EventRow, LogView, Mode, Revealed, Severity, backups};
use crate::domain::backup::Record;
use crate::domain::diff::ObjectDiff;
use crate::domain::layout::Component;
use crate::domain::revision::Revision;
use crate::domain::store_ref::StoreRef;

#[derive(Debug, Clone)]
pub struct Details {
    pub store: StoreRef,
    pub events: Option<Result<Vec<EventRow>, String>>,
    /// Revealed credentials; masked until the user asks.
    pub credentials: Option<Result<Revealed, String>>,
    pub history: Option<Result<Vec<Revision>, String>>,
    pub backups: Option<Result<Vec<Record>, String>>,
    /// Shown once asked for (`d`).
    pub diff: Option<Result<Vec<ObjectDiff>, String>>,
}

impl Details {
    pub(super) fn new(store: StoreRef) -> Self {
        Self {
            store,
            events: None,
            credentials: None,
            history: None,
            backups: None,
            diff: None,
        }
    }
}

pub(super) fn update(app: &mut App, action: Action) -> Vec<Command> {
    let (Mode::Details(d) | Mode::Events(d)) = &mut app.mode else {
        return vec![];
    };
    match action {
        Action::Back => app.mode = Mode::Table,
        Action::Events { name, result } if name == d.store.name => d.events = Some(result),
        Action::Credentials { name, result } if name == d.store.name => {
            d.credentials = Some(result)
        }
        Action::History { name, result } if name == d.store.name => d.history = Some(result),
        Action::Diff { name, result } if name == d.store.name => d.diff = Some(result),
        Action::BackUp => {
            let stores = vec![d.store.clone()];
            return backups::start(app, stores);
        }
        Action::OpenRestore => return backups::open_restore(app),
        Action::ShowDiff => {
            d.diff = None;
            return vec![Command::FetchDiff {
                store: d.store.clone(),
            }];
        }
        Action::Reveal if d.credentials.is_some() => d.credentials = None,
        Action::Reveal => {
            return vec![Command::FetchCredentials {
                store: d.store.clone(),
            }];
        }
        Action::Copy => {
            let password = d
                .credentials
                .as_ref()
                .and_then(|c| c.as_ref().ok())
                .map(|c| c.password.clone());
            let url = app.table.find(&d.store).and_then(|r| r.summary.url.clone());
            let (what, text) = match (password, url) {
                (Some(p), _) => ("the admin password", p),
                (None, Some(u)) => ("the URL", u),
                (None, None) => return vec![],
            };
            app.say(
                Severity::Info,
                format!("copied {what} to the clipboard (OSC 52)"),
            );
            return vec![Command::Copy(text)];
        }
        Action::OpenLogs => {
            let store = d.store.clone();
            app.mode = Mode::Logs(LogView::new(store.clone(), Component::WordPress));
            return vec![Command::StartLogs {
                store,
                component: Component::WordPress,
                previous: false,
            }];
        }
        Action::OpenEvents => {
            let d = d.clone();
            app.mode = Mode::Events(d);
        }
        Action::OpenDetails => {
            let d = d.clone();
            app.mode = Mode::Details(d);
        }
        _ => {}
    }
    vec![]
}
