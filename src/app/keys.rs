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
        Mode::Create(_) | Mode::Confirm(_) | Mode::Upgrade(_) => true,
        Mode::Table => app.table.filter_editing,
        Mode::Logs(v) => v.search_editing,
        Mode::Details(_)
        | Mode::Events(_)
        | Mode::Contexts(_)
        | Mode::UpgradePlan(_)
        | Mode::Rollout
        | Mode::RestorePick(_) => false,
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
            KeyCode::Char(' ') => Some(Action::ToggleMark),
            KeyCode::Char('*') => Some(Action::MarkVisible),
            KeyCode::Char('u') => Some(Action::OpenUpgrade),
            KeyCode::Char('b') => Some(Action::BackUp),
            KeyCode::Char('U') => Some(Action::OpenRollout),
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
            KeyCode::Char('d') => Some(Action::ShowDiff),
            KeyCode::Char('b') => Some(Action::BackUp),
            KeyCode::Char('R') => Some(Action::OpenRestore),
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
            KeyCode::Char('4') => Some(Action::LogComponent(Component::Backup)),
            _ => None,
        },
        Mode::Contexts(_) | Mode::UpgradePlan(_) | Mode::RestorePick(_) => {
            (key.code == KeyCode::Enter).then_some(Action::Submit)
        }
        Mode::Create(_) | Mode::Confirm(_) | Mode::Upgrade(_) | Mode::Rollout => None,
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
                ("Space / *", "mark row / mark all shown (again: unmark)"),
                ("U", "progress of the last rollout"),
                ("x", "switch kubeconfig context"),
                ("Ctrl-R", "force resync"),
            ];
            if !app.readonly {
                b.insert(2, ("c / n", "create store"));
                b.insert(
                    3,
                    ("Ctrl-D", "delete store(s): selected or marked (confirmed)"),
                );
                b.insert(4, ("p", "pause / resume store(s) (volumes kept)"));
                b.insert(5, ("u", "upgrade store(s): --set lines, plan, rollout"));
                b.insert(6, ("b", "back up store(s)"));
            }
            b
        }
        Mode::Details(_) | Mode::Events(_) => vec![
            ("Enter", "details"),
            ("e", "events"),
            ("l", "logs"),
            ("r", "reveal / hide credentials"),
            ("c", "copy password (revealed) or URL, via OSC 52"),
            ("d", "diff: what an upgrade would change (drift)"),
            ("b", "back this store up"),
            ("R", "restore one of its backups (the name is typed)"),
            ("Esc", "back"),
        ],
        Mode::Logs(_) => vec![
            ("1 2 3 4", "wordpress, mysql, setup, backup"),
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
        Mode::Upgrade(_) => vec![
            ("key=value ...", "the --set lines, separated by spaces"),
            ("Tab", "wave size"),
            ("Enter", "show the plan"),
            ("Esc", "cancel"),
        ],
        Mode::UpgradePlan(_) => vec![
            ("j/k", "scroll"),
            ("Enter", "start the rollout"),
            ("Esc", "cancel"),
        ],
        Mode::Rollout => vec![
            ("j/k", "scroll"),
            ("Esc", "back (the rollout goes on; U returns)"),
        ],
        Mode::RestorePick(_) => vec![
            ("j/k", "choose a backup"),
            ("Enter", "restore it (the store name is typed next)"),
            ("Esc", "cancel"),
        ],
        Mode::Confirm(_) => vec![
            ("type the name (or count)", "to confirm"),
            ("Enter", "delete"),
            ("Esc", "cancel"),
        ],
    };
    out.extend([("?", "this help"), ("q / Ctrl-C", "quit")]);
    out
}
