//! The state machine over a fleet of two clusters holding stores of the same name: each
//! verb acts in the selected row's cluster, and one cluster's state is its own.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::tests::{key, press, row, typed};
use super::*;
use crate::domain::status::Phase;

/// Store `name` of the cluster `context` (namespace `store-NAME`).
fn row_in(context: &str, name: &str, phase: Phase) -> StoreRow {
    let mut r = row(name, phase);
    r.summary.context = context.to_string();
    r
}

/// The stores now: each `(context, name)` Ready.
fn ready(stores: &[(&str, &str)]) -> Action {
    Action::Stores(
        stores
            .iter()
            .map(|(context, name)| row_in(context, name, Phase::Ready).into())
            .collect(),
    )
}

fn shop(context: &str) -> StoreRef {
    StoreRef::new("shop", "store-shop", context)
}

/// East and west, both live: `shop` in each, `other` in west.
pub fn east_west() -> App {
    let mut app = App::new(
        vec!["east".into(), "west".into()],
        false,
        FormDefaults::default(),
    );
    for context in ["east", "west"] {
        update(
            &mut app,
            Action::Connection {
                context: context.into(),
                state: ConnectionState::Live,
                hidden: vec![],
            },
        );
    }
    update(
        &mut app,
        ready(&[("east", "shop"), ("west", "shop"), ("west", "other")]),
    );
    app
}

/// Selects the row of `store` (rows are sorted by name, then context).
fn select(app: &mut App, store: &StoreRef) {
    press(app, &[key(KeyCode::Char('g'))]);
    while app
        .table
        .selected_row()
        .map(|r| r.summary.store_ref())
        .as_ref()
        != Some(store)
    {
        let before = app.table.selected;
        press(app, &[key(KeyCode::Char('j'))]);
        assert_ne!(before, app.table.selected, "{store:?} is not in the table");
    }
}

#[test]
fn the_same_name_in_two_clusters_is_two_rows_and_a_delete_acts_in_the_selected_ones() {
    let mut app = east_west();
    let shown: Vec<StoreRef> = app
        .table
        .visible_rows()
        .map(|r| r.summary.store_ref())
        .collect();
    assert_eq!(
        shown,
        [
            StoreRef::new("other", "store-other", "west"),
            shop("east"),
            shop("west")
        ]
    );
    select(&mut app, &shop("west"));
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)],
    );
    let Mode::Confirm(c) = &app.mode else {
        panic!("no confirmation")
    };
    assert_eq!(c.stores, [shop("west")]);
    assert!(
        c.what.contains("context west"),
        "names the cluster: {}",
        c.what
    );
    press(&mut app, &typed("shop"));
    let commands = press(&mut app, &[key(KeyCode::Enter)]);
    assert_eq!(
        commands,
        [Command::Delete {
            store: shop("west")
        }]
    );
    assert_eq!(commands[0].context(), Some("west"));
}

#[test]
fn details_logs_and_pause_ask_the_rows_cluster() {
    let mut app = east_west();
    select(&mut app, &shop("east"));
    let opened = press(&mut app, &[key(KeyCode::Enter)]);
    assert!(!opened.is_empty());
    assert!(
        opened.iter().all(|c| c.context() == Some("east")),
        "{opened:?}"
    );
    press(&mut app, &[key(KeyCode::Esc)]);
    select(&mut app, &shop("west"));
    let paused = press(&mut app, &[key(KeyCode::Char('p'))]);
    assert_eq!(
        paused,
        [Command::SetPaused {
            store: shop("west"),
            paused: true
        }]
    );
    let logs = press(&mut app, &[key(KeyCode::Char('l'))]);
    assert!(
        matches!(logs.as_slice(), [Command::StartLogs { store, .. }] if *store == shop("west")),
        "{logs:?}"
    );
}

#[test]
fn one_cluster_reconnecting_is_that_clusters_state_only() {
    let mut app = east_west();
    update(
        &mut app,
        Action::Connection {
            context: "west".into(),
            state: ConnectionState::Reconnecting("since 10:00:00 UTC: refused".into()),
            hidden: vec![],
        },
    );
    assert!(app.clusters.stale("west"));
    assert!(!app.clusters.stale("east"));
    assert_eq!(
        app.clusters.get("east").map(|c| &c.connection),
        Some(&ConnectionState::Live)
    );
    // Its rows stay, as last seen.
    assert_eq!(app.table.all_rows().len(), 3);
}

#[test]
fn the_create_form_starts_on_the_selected_rows_cluster_and_can_choose_another() {
    let mut app = east_west();
    select(&mut app, &shop("west"));
    press(&mut app, &[key(KeyCode::Char('c'))]);
    let Mode::Create(form) = &app.mode else {
        panic!("no form")
    };
    assert!(form.asks_cluster());
    assert_eq!(form.chosen_context(), "west");
    press(&mut app, &typed("new-shop"));
    // Name, domain, volume size, admin email, then the cluster.
    press(&mut app, &[key(KeyCode::Tab); 4]);
    press(&mut app, &[key(KeyCode::Left)]);
    let commands = press(&mut app, &[key(KeyCode::Enter)]);
    let [Command::Create { context, name, .. }] = commands.as_slice() else {
        panic!("{commands:?}")
    };
    assert_eq!((context.as_str(), name.as_str()), ("east", "new-shop"));
    update(
        &mut app,
        ready(&[("east", "shop"), ("west", "new-shop"), ("east", "new-shop")]),
    );
    update(
        &mut app,
        Action::Created {
            context: "east".into(),
            name: "new-shop".into(),
            result: Ok("created".into()),
        },
    );
    assert_eq!(
        app.table.selected_row().map(|r| r.summary.store_ref()),
        Some(StoreRef::new("new-shop", "store-new-shop", "east")),
        "the created store's row in its own cluster is selected"
    );
}

#[test]
fn a_rollout_is_refused_over_stores_of_several_clusters() {
    let mut app = east_west();
    select(&mut app, &shop("east"));
    press(
        &mut app,
        &[key(KeyCode::Char(' ')), key(KeyCode::Char(' '))],
    );
    assert_eq!(app.table.marked_count(), 2);
    press(&mut app, &[key(KeyCode::Char('u'))]);
    assert!(matches!(app.mode, Mode::Table));
    let said = app.status.as_ref().map(|s| s.message.clone());
    assert!(
        said.as_deref()
            .is_some_and(|m| m.contains("2 clusters (east, west)")),
        "{said:?}"
    );
}

#[test]
fn a_store_gone_from_one_cluster_closes_its_details_not_the_others() {
    let mut app = east_west();
    select(&mut app, &shop("west"));
    press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(&app.mode, Mode::Details(d) if d.store == shop("west")));
    // East's shop stays: west's is gone.
    update(&mut app, ready(&[("east", "shop"), ("west", "other")]));
    assert!(matches!(app.mode, Mode::Table));
    let said = app.status.as_ref().map(|s| s.message.clone());
    assert_eq!(said.as_deref(), Some("store shop was deleted"));
}

#[test]
fn a_backup_of_stores_in_two_clusters_is_one_command_per_cluster() {
    let mut app = east_west();
    press(&mut app, &[key(KeyCode::Char('*'))]);
    let commands = press(&mut app, &[key(KeyCode::Char('b'))]);
    assert_eq!(
        commands,
        [
            Command::Backup {
                stores: vec![shop("east")]
            },
            Command::Backup {
                stores: vec![shop("west"), StoreRef::new("other", "store-other", "west")]
            },
        ]
    );
    assert_eq!(commands[1].context(), Some("west"));
}
