//! The keymap: every key binding of every view, once. Key handling, the help overlay and
//! the hint bar are all read from this table (`keys.rs`), so they cannot drift apart.
//! Rows are listed in the order help shows them; the hint bar shows the rows that have a
//! hint, in the same order.

use crossterm::event::KeyCode;

use super::{Action, Motion};
use crate::domain::layout::Component;
use crate::domain::verb::Verb;

/// What the keys act on: the screen in front, or the text field that has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Table,
    /// The table's filter while it is typed.
    Filter,
    /// Details and events of one store.
    Details,
    Logs,
    /// The log search while it is typed.
    LogSearch,
    Contexts,
    Create,
    Upgrade,
    UpgradePlan,
    Rollout,
    RestorePick,
    ConfirmDelete,
    /// Deleting several stores: their number is typed.
    ConfirmDeleteMany,
    ConfirmRestore,
    /// The help overlay.
    Help,
}

impl View {
    /// Views whose keys go into a text field: what no row binds is typed.
    pub fn is_typing(self) -> bool {
        matches!(
            self,
            Self::Filter
                | Self::LogSearch
                | Self::Create
                | Self::Upgrade
                | Self::ConfirmDelete
                | Self::ConfirmDeleteMany
                | Self::ConfirmRestore
        )
    }
}

/// One key: its code, and whether Ctrl is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

/// Where a row stands in the hint bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    None,
    /// Its keys, then what they do: `c create`.
    Shown(&'static str),
    /// Shown unless read-only (a key that only serves the keys that change something).
    ReadWrite(&'static str),
    /// Shown in read-only mode only, where the keys that change something are not.
    ReadOnly(&'static str),
}

/// One row of the keymap.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub views: &'static [View],
    /// The keys; none for a row that says what is typed into the field.
    pub keys: &'static [Key],
    /// The keys as help names them.
    pub label: &'static str,
    /// What they do, as help says it.
    pub does: &'static str,
    pub hint: Hint,
    /// The verb the key starts, if any: when it changes something (`Verb::mutates`,
    /// the one read-only rule) the row is hidden from help and hints in read-only mode,
    /// where the key is refused with a message.
    pub verb: Option<Verb>,
    /// The action of the key pressed (one of `keys`).
    pub action: fn(KeyCode) -> Action,
}

const fn row(
    views: &'static [View],
    keys: &'static [Key],
    label: &'static str,
    does: &'static str,
    action: fn(KeyCode) -> Action,
) -> Binding {
    Binding {
        views,
        keys,
        label,
        does,
        hint: Hint::None,
        verb: None,
        action,
    }
}

impl Binding {
    const fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Hint::Shown(hint);
        self
    }

    const fn hint_read_write(mut self, hint: &'static str) -> Self {
        self.hint = Hint::ReadWrite(hint);
        self
    }

    const fn hint_read_only(mut self, hint: &'static str) -> Self {
        self.hint = Hint::ReadOnly(hint);
        self
    }

    /// The key starts `verb`.
    const fn verb(mut self, verb: Verb) -> Self {
        self.verb = Some(verb);
        self
    }

    /// Whether the row is offered with `readonly` as it is: not when its verb is refused
    /// (`Verb::allowed`, the rule every front end asks).
    pub fn offered(&self, readonly: bool) -> bool {
        match self.verb {
            Some(verb) => verb.allowed(readonly).is_ok(),
            None => true,
        }
    }
}

/// A row that says what is typed into the field (it binds no key).
const fn typed(views: &'static [View], label: &'static str, does: &'static str) -> Binding {
    row(views, &[], label, does, |_| Action::Back)
}

use View::*;

/// Every view that is not typed into.
const BROWSING: &[View] = &[
    Table,
    Details,
    Logs,
    Contexts,
    UpgradePlan,
    Rollout,
    RestorePick,
];
/// The browsing views whose hint bar has no room for `?`.
const QUIET: &[View] = &[Details, Contexts, UpgradePlan, Rollout, RestorePick];
/// The browsing views but the table.
const NOT_TABLE: &[View] = &[Details, Logs, Contexts, UpgradePlan, Rollout, RestorePick];
const TYPING: &[View] = &[
    Filter,
    LogSearch,
    Create,
    Upgrade,
    ConfirmDelete,
    ConfirmDeleteMany,
    ConfirmRestore,
];
const CONFIRM: &[View] = &[ConfirmDelete, ConfirmDeleteMany, ConfirmRestore];
const ARROWS: &[Key] = &[ch('j'), ch('k'), code(KeyCode::Down), code(KeyCode::Up)];
const PAGES: &[Key] = &[
    code(KeyCode::PageUp),
    code(KeyCode::PageDown),
    ch('g'),
    ch('G'),
    code(KeyCode::Home),
    code(KeyCode::End),
];
const ENTER: &[Key] = &[code(KeyCode::Enter)];
const TABS: &[Key] = &[code(KeyCode::Tab), code(KeyCode::BackTab)];
const ESC: &[Key] = &[code(KeyCode::Esc)];

fn up_or_down(code: KeyCode) -> Action {
    Action::Move(match code {
        KeyCode::Char('k') | KeyCode::Up => Motion::Up,
        _ => Motion::Down,
    })
}

fn page(code: KeyCode) -> Action {
    Action::Move(match code {
        KeyCode::PageUp => Motion::PageUp,
        KeyCode::PageDown => Motion::PageDown,
        KeyCode::Char('g') | KeyCode::Home => Motion::Top,
        _ => Motion::Bottom,
    })
}

fn component(code: KeyCode) -> Action {
    Action::LogComponent(match code {
        KeyCode::Char('2') => Component::MySql,
        KeyCode::Char('3') => Component::Setup,
        KeyCode::Char('4') => Component::Backup,
        _ => Component::WordPress,
    })
}

fn mark(code: KeyCode) -> Action {
    if code == KeyCode::Char('*') {
        Action::MarkVisible
    } else {
        Action::ToggleMark
    }
}

fn filter(code: KeyCode) -> Action {
    if code == KeyCode::Esc {
        Action::Back
    } else {
        Action::StartFilter
    }
}

fn next_field(code: KeyCode) -> Action {
    if code == KeyCode::BackTab {
        Action::PrevField
    } else {
        Action::NextField
    }
}

fn search(code: KeyCode) -> Action {
    match code {
        KeyCode::Char('n') => Action::LogSearchNext { backwards: true },
        KeyCode::Char('N') => Action::LogSearchNext { backwards: false },
        _ => Action::StartFilter,
    }
}

/// The keymap, in help's order. One row a line, so it reads as the table it is.
#[rustfmt::skip]
pub const KEYMAP: &[Binding] = &[
    // The table.
    row(&[Table], ARROWS, "j/k ↑/↓", "move", up_or_down),
    row(&[Table], PAGES, "PgUp/PgDn g/G Home/End", "page, top, bottom", page),
    row(&[Table], &[ch('c'), ch('n')], "c / n", "create store", |_| Action::OpenCreate).hint("c create").verb(Verb::Create),
    row(&[Table], &[ctrl('d')], "Ctrl-D", "delete store(s): selected or marked (confirmed)", |_| Action::OpenDelete).hint("^D delete").verb(Verb::Delete),
    row(&[Table], &[ch(' '), ch('*')], "Space / *", "mark row / mark all shown (again: unmark)", mark).hint_read_write("Space mark"),
    row(&[Table], &[ch('u')], "u", "upgrade store(s): --set lines, plan, rollout", |_| Action::OpenUpgrade).hint("u upgrade").verb(Verb::Upgrade),
    row(&[Table], &[ch('b')], "b", "back up store(s)", |_| Action::BackUp).hint("b backup").verb(Verb::Backup),
    row(&[Table], &[ch('p')], "p", "pause / resume store(s) (volumes kept)", |_| Action::TogglePause).hint("p pause").verb(Verb::Pause),
    row(&[Table], ENTER, "Enter", "details", |_| Action::OpenDetails).hint_read_only("Enter details"),
    row(&[Table], &[ch('l')], "l", "logs", |_| Action::OpenLogs).hint_read_only("l logs"),
    row(&[Table], &[ch('e')], "e", "events", |_| Action::OpenEvents).hint_read_only("e events"),
    row(&[Table], &[ch('/'), code(KeyCode::Esc)], "/ Esc", "filter (Esc clears)", filter).hint("/ filter"),
    row(&[Table], &[ch('s')], "s", "sort: name, status, age", |_| Action::Sort).hint_read_only("s sort"),
    row(&[Table], &[ch('U')], "U", "progress of the last rollout", |_| Action::OpenRollout),
    row(&[Table], &[ch('x')], "x", "switch kubeconfig context", |_| Action::OpenContexts),
    // The filter, while typed.
    typed(&[Filter], "type", "to filter").hint("type to filter"),
    row(&[Filter], ENTER, "Enter", "keep the filter", |_| Action::Submit).hint("Enter keep"),
    row(&[Filter], ESC, "Esc", "clear the filter", |_| Action::Back).hint("Esc clear"),
    // Details and events.
    row(&[Details], ENTER, "Enter", "details", |_| Action::OpenDetails),
    row(&[Details], &[ch('e')], "e", "events", |_| Action::OpenEvents).hint("e events"),
    row(&[Details], &[ch('l')], "l", "logs", |_| Action::OpenLogs).hint("l logs"),
    row(&[Details], &[ch('d')], "d", "diff: what an upgrade would change (drift)", |_| Action::ShowDiff).hint("d diff").verb(Verb::Diff),
    row(&[Details], &[ch('b')], "b", "back this store up", |_| Action::BackUp).hint("b backup").verb(Verb::Backup),
    row(&[Details], &[ch('R')], "R", "restore one of its backups (the name is typed)", |_| Action::OpenRestore).hint("R restore").verb(Verb::Restore),
    row(&[Details], &[ch('r')], "r", "reveal / hide credentials", |_| Action::Reveal).hint("r reveal"),
    row(&[Details], &[ch('c')], "c", "copy password (revealed) or URL, via OSC 52", |_| Action::Copy).hint("c copy"),
    row(&[Details], ESC, "Esc", "back", |_| Action::Back).hint("Esc back"),
    // Logs.
    row(&[Logs], &[ch('1'), ch('2'), ch('3'), ch('4')], "1 2 3 4", "wordpress, mysql, setup, backup", component).hint("1/2/3/4 component"),
    row(&[Logs], ARROWS, "j/k ↑/↓", "scroll (pauses follow)", up_or_down),
    row(&[Logs], PAGES, "PgUp/PgDn g/G Home/End", "page, oldest, end (resumes follow)", page),
    row(&[Logs], &[ch('s')], "s", "toggle follow", |_| Action::LogFollow).hint("s follow"),
    row(&[Logs], &[ch('w')], "w", "wrap", |_| Action::LogWrap).hint("w wrap"),
    row(&[Logs], &[ch('t')], "t", "timestamps", |_| Action::LogTimestamps).hint("t time"),
    row(&[Logs], &[ch('p')], "p", "previous container", |_| Action::LogPrevious).hint("p prev"),
    row(&[Logs], &[ch('/'), ch('n'), ch('N')], "/ n N", "search, older match, newer match", search).hint("/ search"),
    row(&[Logs], ESC, "Esc", "back", |_| Action::Back).hint("Esc back"),
    // The log search, while typed.
    typed(&[LogSearch], "type", "to search").hint("type to search"),
    row(&[LogSearch], ENTER, "Enter", "find", |_| Action::Submit).hint("Enter find"),
    row(&[LogSearch], ESC, "Esc", "cancel", |_| Action::Back).hint("Esc cancel"),
    // The context picker.
    row(&[Contexts], ARROWS, "j/k ↑/↓", "choose", up_or_down).hint("j/k choose"),
    row(&[Contexts], PAGES, "PgUp/PgDn g/G Home/End", "first, last", page),
    row(&[Contexts], ENTER, "Enter", "switch to it", |_| Action::Submit).hint("Enter switch"),
    row(&[Contexts], ESC, "Esc", "cancel", |_| Action::Back).hint("Esc cancel"),
    // The create form.
    row(&[Create], TABS, "Tab / Shift-Tab", "next / previous field", next_field).hint("Tab next field"),
    row(&[Create], ENTER, "Enter", "create", |_| Action::Submit).hint("Enter create"),
    row(&[Create], ESC, "Esc", "cancel", |_| Action::Back).hint("Esc cancel"),
    // The upgrade form, its plan, the rollout's progress.
    typed(&[Upgrade], "key=value ...", "the --set lines, separated by spaces").hint("key=value ..."),
    row(&[Upgrade], TABS, "Tab / Shift-Tab", "wave size / --set lines", next_field).hint("Tab wave size"),
    row(&[Upgrade], ENTER, "Enter", "show the plan", |_| Action::Submit).hint("Enter plan"),
    row(&[Upgrade], ESC, "Esc", "cancel", |_| Action::Back).hint("Esc cancel"),
    row(&[UpgradePlan], ARROWS, "j/k ↑/↓", "scroll", up_or_down).hint("j/k scroll"),
    row(&[UpgradePlan], PAGES, "PgUp/PgDn g/G Home/End", "page, top, bottom", page),
    row(&[UpgradePlan], ENTER, "Enter", "start the rollout", |_| Action::Submit).hint("Enter start the rollout"),
    row(&[UpgradePlan], ESC, "Esc", "cancel", |_| Action::Back).hint("Esc cancel"),
    row(&[Rollout], ARROWS, "j/k ↑/↓", "scroll", up_or_down).hint("j/k scroll"),
    row(&[Rollout], PAGES, "PgUp/PgDn g/G Home/End", "page, top, bottom", page),
    row(&[Rollout], ESC, "Esc", "back (the rollout goes on; U returns)", |_| Action::Back).hint("Esc back (the rollout goes on; U returns)"),
    // Restoring: the backup, then the typed confirmation.
    row(&[RestorePick], ARROWS, "j/k ↑/↓", "choose a backup", up_or_down).hint("j/k choose"),
    row(&[RestorePick], PAGES, "PgUp/PgDn g/G Home/End", "first, last", page),
    row(&[RestorePick], ENTER, "Enter", "restore it (the store name is typed next)", |_| Action::Submit).hint("Enter restore (then type the name)"),
    row(&[RestorePick], ESC, "Esc", "cancel", |_| Action::Back).hint("Esc cancel"),
    // The typed confirmations.
    typed(&[ConfirmDelete, ConfirmRestore], "type the store name", "to confirm").hint("type the store name"),
    typed(&[ConfirmDeleteMany], "type the number of stores", "to confirm").hint("type the number of stores"),
    row(&[ConfirmDelete, ConfirmDeleteMany], ENTER, "Enter", "delete", |_| Action::Submit).hint("Enter delete"),
    row(&[ConfirmRestore], ENTER, "Enter", "restore", |_| Action::Submit).hint("Enter restore"),
    row(CONFIRM, ESC, "Esc", "cancel", |_| Action::Back).hint("Esc cancel"),
    // The help overlay.
    row(&[Help], &[code(KeyCode::Esc), ch('?'), ch('q')], "Esc / ? / q", "close this help", |_| Action::Back),
    // Everywhere.
    row(BROWSING, &[ctrl('r')], "Ctrl-R", "force resync", |_| Action::Resync),
    row(&[Table, Logs], &[ch('?')], "?", "this help", |_| Action::Help).hint("? help"),
    row(QUIET, &[ch('?')], "?", "this help", |_| Action::Help),
    row(&[Table], &[ch('q'), ctrl('c')], "q / Ctrl-C", "quit", |_| Action::Quit).hint_read_only("q quit"),
    row(NOT_TABLE, &[ch('q'), ctrl('c')], "q / Ctrl-C", "quit", |_| Action::Quit),
    row(TYPING, &[ctrl('c')], "Ctrl-C", "quit", |_| Action::Quit),
    row(&[Help], &[ctrl('c')], "Ctrl-C", "quit", |_| Action::Quit),
];

#[cfg(test)]
mod tests;
