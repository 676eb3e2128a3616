//! Render snapshots of every screen at 80x24 and at a large size (TestBackend + insta).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::tests::app_with;
use crate::app::{self, Action, App, EventRow, LogLine, keys};
use crate::domain::status::Phase;
use crate::domain::store_ref::StoreRef;

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("{e}"));
    terminal
        .draw(|f| super::draw(f, app))
        .unwrap_or_else(|e| panic!("{e}"));
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn press(app: &mut App, codes: &[KeyEvent]) {
    for k in codes {
        if let Some(a) = keys::action_for(app, *k) {
            app::update(app, a);
        }
    }
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn fleet() -> App {
    app_with(&[
        ("alpha", Phase::Ready),
        ("bravo", Phase::Provisioning),
        ("charlie", Phase::Failed),
        ("delta", Phase::Deleting),
    ])
}

fn both_sizes(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_160x48"), render(app, 160, 48));
}

#[test]
fn table() {
    let mut app = fleet();
    app::update(
        &mut app,
        Action::ServerVersion {
            context: "devcluster-admin".into(),
            version: "v1.20.2".into(),
            warning: None,
        },
    );
    both_sizes("table", &app);
}

#[test]
fn table_stale_while_reconnecting() {
    let mut app = fleet();
    app::update(
        &mut app,
        Action::Connection {
            context: "devcluster-admin".into(),
            state: app::ConnectionState::Reconnecting(
                "since 10:42:07 UTC: API server: Connection refused (os error 111)".into(),
            ),
            hidden: vec![],
        },
    );
    both_sizes("table_stale", &app);
}

#[test]
fn table_when_some_kinds_may_not_be_listed() {
    let mut app = fleet();
    app::update(
        &mut app,
        Action::Connection {
            context: "devcluster-admin".into(),
            state: app::ConnectionState::Live,
            hidden: vec!["ingresses".into()],
        },
    );
    let screen = render(&app, 160, 48);
    assert!(screen.contains("no access to ingresses"), "{screen}");
    both_sizes("table_hidden_kinds", &app);
}

#[test]
fn create_form_with_a_name_error() {
    let mut app = fleet();
    press(
        &mut app,
        &[key('c'), key('S'), key('h'), key('o'), key('p')],
    );
    both_sizes("create_form", &app);
}

#[test]
fn delete_confirmation() {
    let mut app = fleet();
    press(
        &mut app,
        &[
            KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL),
            key('a'),
            key('l'),
        ],
    );
    both_sizes("delete_confirm", &app);
}

#[test]
fn details_with_events() {
    let mut app = fleet();
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)],
    );
    app::update(
        &mut app,
        Action::Events {
            name: "alpha".into(),
            result: Ok(vec![
                EventRow {
                    last_seen: "2026-11-25T20:00:05Z".into(),
                    warning: true,
                    reason: "BackOff".into(),
                    object: "pod/alpha-mysql-1".into(),
                    message: "Back-off pulling image".into(),
                },
                EventRow {
                    last_seen: "2026-11-25T20:00:01Z".into(),
                    warning: false,
                    reason: "Scheduled".into(),
                    object: "pod/alpha-mysql-1".into(),
                    message: "Successfully assigned".into(),
                },
            ]),
        },
    );
    both_sizes("details", &app);
}

#[test]
fn logs_pane() {
    let mut app = fleet();
    press(&mut app, &[key('l')]);
    let lines = (1..=40)
        .map(|i| LogLine {
            timestamp: format!("2026-11-25T20:00:{i:02}Z"),
            text: format!("GET /wp-login.php 200 request {i}"),
        })
        .collect();
    app::update(&mut app, Action::LogLines(lines));
    press(&mut app, &[key('k'), key('k'), key('t')]);
    both_sizes("logs", &app);
}

#[test]
fn help_overlay() {
    let mut app = fleet();
    press(&mut app, &[key('?')]);
    both_sizes("help", &app);
}

#[test]
fn context_picker() {
    let mut app = fleet();
    let names = [
        "devcluster-admin",
        "devcluster-limited",
        "production-eu-west",
    ];
    app::update(
        &mut app,
        Action::ContextsListed(Ok(names.map(String::from).into())),
    );
    press(&mut app, &[key('j')]);
    both_sizes("contexts", &app);
}

#[test]
fn too_small() {
    insta::assert_snapshot!("too_small", render(&fleet(), 50, 10));
}

#[test]
fn marked_rows_and_the_bulk_delete_confirmation() {
    let mut app = fleet();
    press(&mut app, &[key(' '), key(' ')]);
    both_sizes("table_marked", &app);
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)],
    );
    both_sizes("delete_confirm_marked", &app);
}

#[test]
fn upgrade_form_and_rollout_progress() {
    use crate::domain::rollout::{Event, Step};
    let mut app = fleet();
    press(&mut app, &[key(' '), key(' '), key('u')]);
    for c in "wordpress.image=wordpress:6.9-apache".chars() {
        press(&mut app, &[key(c)]);
    }
    both_sizes("upgrade_form", &app);
    let stores = vec![
        StoreRef::new("alpha", "store-alpha", "devcluster-admin"),
        StoreRef::new("bravo", "store-bravo", "devcluster-admin"),
    ];
    app::update(
        &mut app,
        Action::UpgradePlanned(Ok(app::PlanView {
            lines: vec![
                "alpha: revision 1 -> next; wordpress.image: wordpress:6.8-apache -> wordpress:6.9-apache; 1 object(s) change (Deployment/alpha-wordpress)".into(),
                "bravo: refused: store 'bravo' is being deleted; nothing was changed".into(),
                "plan: 1 store".into(),
            ],
            stores,
            to_upgrade: 1,
            scroll: 0,
        })),
    );
    both_sizes("upgrade_plan", &app);
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)],
    );
    for event in [
        Event::Wave {
            number: 1,
            of: 1,
            stores: vec!["alpha".into()],
        },
        Event::Store {
            name: "alpha".into(),
            step: Step::RollingOut {
                revision: 2,
                reason: "waiting for WordPress to become ready (0/1)".into(),
            },
        },
        Event::Store {
            name: "bravo".into(),
            step: Step::Failed {
                reason: "store 'bravo' is being deleted; nothing was changed".into(),
            },
        },
    ] {
        app::update(&mut app, Action::Rollout(event));
    }
    both_sizes("rollout_progress", &app);
}

#[test]
fn restore_picker_and_confirmations_with_backups() {
    use crate::app::tests::record;
    use crate::domain::backup::{BackupStatus, Record};
    let mut app = fleet();
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)],
    );
    app::update(
        &mut app,
        Action::BackupList {
            name: "alpha".into(),
            result: Ok(vec![
                record("20261126-090000", BackupStatus::Complete),
                Record {
                    reason: "BackoffLimitExceeded".into(),
                    ..record("20261126-100000", BackupStatus::Failed)
                },
            ]),
        },
    );
    both_sizes("details_with_backups", &app);
    press(&mut app, &[key('R')]);
    both_sizes("restore_picker", &app);
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)],
    );
    both_sizes("restore_confirm", &app);
}

#[test]
fn a_fleets_table_names_each_rows_cluster_and_one_cluster_down_dims_its_rows_only() {
    let mut app = crate::app::fleet_tests::east_west();
    for (context, version) in [("east", "v1.37.2"), ("west", "v1.36.1")] {
        app::update(
            &mut app,
            Action::ServerVersion {
                context: context.into(),
                version: version.into(),
                warning: None,
            },
        );
    }
    app::update(
        &mut app,
        Action::Connection {
            context: "west".into(),
            state: app::ConnectionState::Reconnecting(
                "since 10:42:07 UTC: API server: Connection refused (os error 111)".into(),
            ),
            hidden: vec![],
        },
    );
    let screen = render(&app, 160, 48);
    assert!(screen.contains("CONTEXT"), "{screen}");
    assert!(screen.contains("east v1.37.2 live"), "{screen}");
    assert!(screen.contains("west v1.36.1 reconnecting"), "{screen}");
    assert!(screen.contains("STALE: west"), "{screen}");
    both_sizes("fleet_table_one_cluster_down", &app);
}

#[test]
fn a_fleets_create_form_shows_the_cluster_it_creates_in() {
    let mut app = crate::app::fleet_tests::east_west();
    press(&mut app, &[key('c')]);
    let screen = render(&app, 80, 24);
    // The selected row (the first, "other") is in west.
    assert!(screen.contains("Context: ‹ west ›"), "{screen}");
    both_sizes("fleet_create_form", &app);
}
