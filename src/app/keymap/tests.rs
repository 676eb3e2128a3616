//! The keymap against itself: help names every key bound, every hint names a key of its
//! row, no key means two things in one view, and read-only mode hides what it refuses.

use crossterm::event::KeyCode;

use super::*;
use crate::app::keys::{help_of, hints_of, rows};

const VIEWS: [View; 15] = [
    Table,
    Filter,
    Details,
    Logs,
    LogSearch,
    Contexts,
    Create,
    Upgrade,
    UpgradePlan,
    Rollout,
    RestorePick,
    ConfirmDelete,
    ConfirmDeleteMany,
    ConfirmRestore,
    Help,
];

/// The key a name in help or a hint stands for: `c`, `Ctrl-D` or `^D`, `Space`, `PgUp`.
fn key_named(name: &str) -> Option<Key> {
    if let Some(c) = name
        .strip_prefix("Ctrl-")
        .or_else(|| name.strip_prefix('^'))
    {
        let mut chars = c.chars();
        return match (chars.next(), chars.next()) {
            (Some(c), None) => Some(ctrl(c.to_ascii_lowercase())),
            _ => None,
        };
    }
    let special = match name {
        "Space" => ch(' '),
        "Enter" => code(KeyCode::Enter),
        "Esc" => code(KeyCode::Esc),
        "Tab" => code(KeyCode::Tab),
        "Shift-Tab" => code(KeyCode::BackTab),
        "PgUp" => code(KeyCode::PageUp),
        "PgDn" => code(KeyCode::PageDown),
        "Home" => code(KeyCode::Home),
        "End" => code(KeyCode::End),
        "↑" => code(KeyCode::Up),
        "↓" => code(KeyCode::Down),
        _ => {
            let mut chars = name.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) => Some(ch(c)),
                _ => None,
            };
        }
    };
    Some(special)
}

/// The keys a label names: `j/k ↑/↓`, `c / n`, `Esc / ? / q`.
fn keys_named(label: &str) -> Vec<Key> {
    label
        .split_whitespace()
        .flat_map(|word| {
            if word == "/" {
                vec![word]
            } else {
                word.split('/').filter(|w| !w.is_empty()).collect()
            }
        })
        .filter_map(key_named)
        .collect()
}

#[test]
fn every_bound_key_appears_in_help() {
    for view in VIEWS {
        let named: Vec<Key> = help_of(view, false)
            .iter()
            .flat_map(|b| keys_named(b.label))
            .collect();
        for binding in rows(view) {
            for key in binding.keys {
                assert!(
                    named.contains(key),
                    "{view:?}: {key:?} ({}) is bound but help does not name it",
                    binding.does
                );
            }
        }
    }
}

#[test]
fn every_hint_names_a_bound_key() {
    for view in VIEWS {
        for readonly in [false, true] {
            let shown = hints_of(view, readonly);
            for binding in rows(view) {
                let text = match binding.hint {
                    Hint::Shown(t) | Hint::ReadWrite(t) | Hint::ReadOnly(t) => t,
                    Hint::None => continue,
                };
                if !shown.contains(&text) {
                    continue;
                }
                if binding.keys.is_empty() {
                    assert!(
                        view.is_typing(),
                        "{view:?}: '{text}' says what is typed, in a view that types nothing"
                    );
                    continue;
                }
                let first = text.split_whitespace().next().unwrap_or_default();
                let named = keys_named(first);
                assert!(!named.is_empty(), "{view:?}: hint '{text}' names no key");
                for key in named {
                    assert!(
                        binding.keys.contains(&key),
                        "{view:?}: hint '{text}' names {key:?}, which its row does not bind"
                    );
                }
            }
        }
    }
}

#[test]
fn no_key_means_two_things_in_one_view() {
    for view in VIEWS {
        let keys: Vec<&Key> = rows(view).flat_map(|b| b.keys).collect();
        for (i, key) in keys.iter().enumerate() {
            assert!(!keys[..i].contains(key), "{view:?}: {key:?} is bound twice");
        }
    }
}

#[test]
fn read_only_hides_the_keys_that_change_something() {
    let help: Vec<&str> = help_of(Table, true).iter().map(|b| b.label).collect();
    for label in ["c / n", "Ctrl-D", "p", "u", "b"] {
        assert!(!help.contains(&label), "read-only help lists {label}");
    }
    assert_eq!(
        hints_of(Table, true).join("  "),
        "Enter details  l logs  e events  / filter  s sort  ? help  q quit"
    );
    assert_eq!(
        hints_of(Table, false).join("  "),
        "c create  ^D delete  Space mark  u upgrade  b backup  p pause  / filter  ? help"
    );
    let details: Vec<&str> = hints_of(Details, true);
    assert!(
        !details
            .iter()
            .any(|h| h.starts_with("b ") || h.starts_with("R "))
    );
}

/// An app showing `view` (one Ready store, `alpha`), read-only or not.
fn app_in(view: View, readonly: bool) -> crate::app::App {
    use crate::app::tests::app_with;
    use crate::app::{Confirm, Confirming, ContextPicker, CreateForm, Mode, PlanView};
    use crate::app::{RestorePicker, RolloutView, UpgradeForm, update};
    use crate::domain::status::Phase;
    use crate::domain::store_ref::StoreRef;

    let mut app = app_with(&[("alpha", Phase::Ready)]);
    app.readonly = readonly;
    let alpha = || StoreRef::new("alpha", "store-alpha", "devcluster-admin");
    let press = |app: &mut crate::app::App, c: char| {
        let k = crossterm::event::KeyEvent::from(KeyCode::Char(c));
        if let Some(action) = crate::app::keys::action_for(app, k) {
            update(app, action);
        }
    };
    let confirm = |confirming, stores: Vec<StoreRef>| {
        Mode::Confirm(Confirm {
            confirming,
            stores,
            expected: "alpha".into(),
            what: "everything".into(),
            typed: tui_input::Input::default(),
            hint: None,
            backups: None,
        })
    };
    match view {
        Table => {}
        Filter => press(&mut app, '/'),
        Details => {
            update(&mut app, crate::app::Action::OpenDetails);
        }
        Logs => press(&mut app, 'l'),
        LogSearch => {
            press(&mut app, 'l');
            press(&mut app, '/');
        }
        Help => press(&mut app, '?'),
        Contexts => {
            app.mode = Mode::Contexts(ContextPicker {
                names: vec!["one".into()],
                selected: 0,
            });
        }
        Create => {
            app.mode = Mode::Create(CreateForm::new(
                &app.form_defaults,
                vec!["devcluster-admin".into()],
                0,
            ))
        }
        Upgrade => app.mode = Mode::Upgrade(UpgradeForm::new(vec![alpha()])),
        UpgradePlan => {
            app.mode = Mode::UpgradePlan(PlanView {
                lines: vec!["plan: 1 store".into()],
                stores: vec![alpha()],
                to_upgrade: 1,
                scroll: 0,
            });
        }
        Rollout => {
            app.rollout = Some(RolloutView {
                stores: vec![],
                wave: None,
                finished: None,
                scroll: 0,
            });
            app.mode = Mode::Rollout;
        }
        RestorePick => {
            app.mode = Mode::RestorePick(RestorePicker {
                store: StoreRef::new("alpha", "store-alpha", "devcluster-admin"),
                backups: vec![crate::app::tests::record(
                    "b1",
                    crate::domain::backup::BackupStatus::Complete,
                )],
                selected: 0,
            });
        }
        ConfirmDelete => app.mode = confirm(Confirming::Delete, vec![alpha()]),
        ConfirmDeleteMany => {
            app.mode = confirm(
                Confirming::Delete,
                vec![
                    alpha(),
                    StoreRef::new("beta", "store-beta", "devcluster-admin"),
                ],
            );
        }
        ConfirmRestore => {
            app.mode = confirm(Confirming::Restore { id: "b1".into() }, vec![alpha()]);
        }
    }
    assert_eq!(
        crate::app::keys::view_of(&app),
        view,
        "the app shows {view:?}"
    );
    app
}

/// Presses `key` in `view`; whether the app refused it as read-only.
fn refused_as_read_only(view: View, readonly: bool, key: Key) -> bool {
    let mut app = app_in(view, readonly);
    app.status = None;
    let modifiers = if key.ctrl {
        crossterm::event::KeyModifiers::CONTROL
    } else {
        crossterm::event::KeyModifiers::NONE
    };
    let event = crossterm::event::KeyEvent::new(key.code, modifiers);
    if let Some(action) = crate::app::keys::action_for(&app, event) {
        crate::app::update(&mut app, action);
    }
    app.status
        .is_some_and(|s| s.message.starts_with("read-only mode"))
}

#[test]
fn read_only_hides_exactly_the_keys_it_refuses() {
    for view in VIEWS {
        for binding in rows(view) {
            for key in binding.keys {
                let refused = refused_as_read_only(view, true, *key);
                assert_eq!(
                    refused,
                    !binding.offered(true),
                    "{view:?} {key:?} ({}): refused read-only: {refused}, hidden: {}",
                    binding.does,
                    !binding.offered(true)
                );
                assert!(
                    !refused_as_read_only(view, false, *key),
                    "{view:?} {key:?} ({}) is refused without --readonly",
                    binding.does
                );
                let hidden_from_help = !help_of(view, true)
                    .iter()
                    .any(|b| std::ptr::eq(*b, binding));
                assert_eq!(hidden_from_help, refused, "{view:?} {key:?}: help");
            }
        }
    }
}
