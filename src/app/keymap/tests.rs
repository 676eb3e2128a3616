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
            .flat_map(|(label, _)| keys_named(label))
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
    let help: Vec<&str> = help_of(Table, true).iter().map(|(k, _)| *k).collect();
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
