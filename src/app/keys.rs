//! Keys to actions: a pure function of the key and the mode. Keys that mean nothing in a
//! mode map to nothing. Also the bindings the help overlay lists, per mode.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{Action, App, Mode, Motion};
use crate::domain::layout::Component;

pub fn action_for(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if app.help {
        return matches!(key.code, KeyCode::Esc | KeyCode::Char('?' | 'q')).then_some(Action::Back);
    }
    let typing = match &app.mode {
        Mode::Create(_) | Mode::ConfirmDelete(_) => true,
        Mode::Table => app.table.filter_editing,
        Mode::Logs(v) => v.search_editing,
        Mode::Details(_) | Mode::Events(_) | Mode::Contexts(_) => false,
    };
    if typing {
        return Some(match key.code {
            KeyCode::Esc => Action::Back,
            KeyCode::Enter => Action::Submit,
            KeyCode::Tab => Action::NextField,
            KeyCode::BackTab => Action::PrevField,
            _ => Action::Type(key),
        });
    }
    if let Some(m) = motion(key) {
        return Some(Action::Move(m));
    }
    let common = match key.code {
        KeyCode::Char('q') => Some(Action::Quit),
        KeyCode::Char('?') => Some(Action::Help),
        KeyCode::Esc => Some(Action::Back),
        KeyCode::Char('r') if ctrl => Some(Action::Resync),
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    match &app.mode {
        Mode::Table => match key.code {
            KeyCode::Enter => Some(Action::OpenDetails),
            KeyCode::Char('c' | 'n') if !ctrl => Some(Action::OpenCreate),
            KeyCode::Char('d') if ctrl => Some(Action::OpenDelete),
            KeyCode::Char('p') => Some(Action::TogglePause),
            KeyCode::Char('x') => Some(Action::OpenContexts),
            KeyCode::Char('l') => Some(Action::OpenLogs),
            KeyCode::Char('e') => Some(Action::OpenEvents),
            KeyCode::Char('/') => Some(Action::StartFilter),
            KeyCode::Char('s') => Some(Action::Sort),
            _ => None,
        },
        Mode::Details(_) | Mode::Events(_) => match key.code {
            KeyCode::Char('r') => Some(Action::Reveal),
            KeyCode::Char('c') => Some(Action::Copy),
            KeyCode::Char('l') => Some(Action::OpenLogs),
            KeyCode::Char('e') => Some(Action::OpenEvents),
            KeyCode::Enter => Some(Action::OpenDetails),
            _ => None,
        },
        Mode::Logs(_) => match key.code {
            KeyCode::Char('w') => Some(Action::LogWrap),
            KeyCode::Char('t') => Some(Action::LogTimestamps),
            KeyCode::Char('p') => Some(Action::LogPrevious),
            KeyCode::Char('s') => Some(Action::LogFollow),
            KeyCode::Char('/') => Some(Action::StartFilter),
            KeyCode::Char('n') => Some(Action::LogSearchNext { backwards: true }),
            KeyCode::Char('N') => Some(Action::LogSearchNext { backwards: false }),
            KeyCode::Char('1') => Some(Action::LogComponent(Component::WordPress)),
            KeyCode::Char('2') => Some(Action::LogComponent(Component::MySql)),
            KeyCode::Char('3') => Some(Action::LogComponent(Component::Setup)),
            _ => None,
        },
        Mode::Contexts(_) => (key.code == KeyCode::Enter).then_some(Action::Submit),
        Mode::Create(_) | Mode::ConfirmDelete(_) => None,
    }
}

fn motion(key: KeyEvent) -> Option<Motion> {
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => Motion::Up,
        KeyCode::Down | KeyCode::Char('j') => Motion::Down,
        KeyCode::PageUp => Motion::PageUp,
        KeyCode::PageDown => Motion::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Motion::Top,
        KeyCode::End | KeyCode::Char('G') => Motion::Bottom,
        _ => return None,
    })
}

/// (keys, what they do) for the help overlay of the current mode.
pub fn bindings(app: &App) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = match &app.mode {
        Mode::Table => {
            let mut b = vec![
                ("j/k ↑/↓", "move"),
                ("PgUp/PgDn g/G", "page, top, bottom"),
                ("Enter", "details"),
                ("l", "logs"),
                ("e", "events"),
                ("/", "filter (Esc clears)"),
                ("s", "sort: name, status, age"),
                ("x", "switch kubeconfig context"),
                ("Ctrl-R", "force resync"),
            ];
            if !app.readonly {
                b.insert(2, ("c / n", "create store"));
                b.insert(3, ("Ctrl-D", "delete store (confirmed)"));
                b.insert(4, ("p", "pause / resume store (volumes kept)"));
            }
            b
        }
        Mode::Details(_) | Mode::Events(_) => vec![
            ("Enter", "details"),
            ("e", "events"),
            ("l", "logs"),
            ("r", "reveal / hide credentials"),
            ("c", "copy password (revealed) or URL, via OSC 52"),
            ("Esc", "back"),
        ],
        Mode::Logs(_) => vec![
            ("1 2 3", "wordpress, mysql, setup"),
            ("j/k PgUp/PgDn", "scroll (pauses follow)"),
            ("G / End", "end (resumes follow)"),
            ("s", "toggle follow"),
            ("w", "wrap"),
            ("t", "timestamps"),
            ("p", "previous container"),
            ("/ n N", "search, older match, newer match"),
            ("Esc", "back"),
        ],
        Mode::Contexts(_) => vec![
            ("j/k ↑/↓", "choose"),
            ("Enter", "switch to it"),
            ("Esc", "cancel"),
        ],
        Mode::Create(_) => vec![
            ("Tab / Shift-Tab", "next / previous field"),
            ("Enter", "create"),
            ("Esc", "cancel"),
        ],
        Mode::ConfirmDelete(_) => vec![
            ("type the name", "to confirm"),
            ("Enter", "delete"),
            ("Esc", "cancel"),
        ],
    };
    out.extend([("?", "this help"), ("q / Ctrl-C", "quit")]);
    out
}
