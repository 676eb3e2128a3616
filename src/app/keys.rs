//! Keys to actions, the help overlay's lines and the hint bar, all read from the one
//! keymap (`keymap.rs`): a pure function of the key, the view in front and read-only
//! mode. A key that means nothing in a view maps to nothing; in a text field it is typed.

use crossterm::event::{KeyEvent, KeyEventKind, KeyModifiers};

use super::keymap::{Binding, Hint, KEYMAP, View};
use super::{Action, App, Confirming, Mode};

/// The view whose keys apply now: the help overlay, while it is open, or the screen.
pub fn view_of(app: &App) -> View {
    if app.help { View::Help } else { screen(app) }
}

/// The view of the screen in front (under the help overlay, if open).
fn screen(app: &App) -> View {
    match &app.mode {
        Mode::Table if app.table.filter_editing => View::Filter,
        Mode::Table => View::Table,
        Mode::Details(_) | Mode::Events(_) => View::Details,
        Mode::Logs(v) if v.search_editing => View::LogSearch,
        Mode::Logs(_) => View::Logs,
        Mode::Create(_) => View::Create,
        Mode::Confirm(c) if matches!(c.confirming, Confirming::Restore { .. }) => {
            View::ConfirmRestore
        }
        Mode::Confirm(c) if c.stores.len() > 1 => View::ConfirmDeleteMany,
        Mode::Confirm(_) => View::ConfirmDelete,
        Mode::Contexts(_) => View::Contexts,
        Mode::Upgrade(_) => View::Upgrade,
        Mode::UpgradePlan(_) => View::UpgradePlan,
        Mode::Rollout => View::Rollout,
        Mode::RestorePick(_) => View::RestorePick,
    }
}

/// The rows of `view`, in the keymap's order.
pub fn rows(view: View) -> impl Iterator<Item = &'static Binding> {
    KEYMAP.iter().filter(move |b| b.views.contains(&view))
}

pub fn action_for(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let view = view_of(app);
    let bound = rows(view).find(|b| b.keys.iter().any(|k| k.code == key.code && k.ctrl == ctrl));
    match bound {
        Some(binding) => Some((binding.action)(key.code)),
        None if view.is_typing() => Some(Action::Type(key)),
        None => None,
    }
}

/// The rows the help overlay lists (each its `label` and what it `does`): the keys of
/// the screen under it.
pub fn help(app: &App) -> Vec<&'static Binding> {
    help_of(screen(app), app.readonly)
}

pub fn help_of(view: View, readonly: bool) -> Vec<&'static Binding> {
    rows(view).filter(|b| b.offered(readonly)).collect()
}

/// The hint bar of the screen in front.
pub fn hints(app: &App) -> String {
    hints_of(screen(app), app.readonly).join("  ")
}

/// Each hint of `view`'s bar, in order.
pub fn hints_of(view: View, readonly: bool) -> Vec<&'static str> {
    rows(view)
        .filter(|b| b.offered(readonly))
        .filter_map(|b| match b.hint {
            Hint::Shown(text) => Some(text),
            Hint::ReadWrite(text) if !readonly => Some(text),
            Hint::ReadOnly(text) if readonly => Some(text),
            Hint::None | Hint::ReadWrite(_) | Hint::ReadOnly(_) => None,
        })
        .collect()
}
