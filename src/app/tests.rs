//! The state machine driven by action sequences: assertions on state and on the commands
//! it asks for. No terminal, no cluster.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::domain::config::FormField;
use crate::domain::layout::Component;
use crate::domain::status::Phase;
use crate::domain::store_ref::StoreRef;
use crate::domain::summary::{ObjectState, StoreSummary};

pub fn row(name: &str, phase: Phase) -> StoreRow {
    StoreRow {
        summary: StoreSummary {
            name: name.to_string(),
            namespace: format!("store-{name}"),
            context: "devcluster-admin".to_string(),
            status: phase,
            reason: match phase {
                Phase::Ready => "all components ready".to_string(),
                Phase::Failed => "mysql container mysql: ImagePullBackOff".to_string(),
                Phase::Provisioning => "waiting for MySQL to become ready (0/1)".to_string(),
                Phase::Deleting => format!("namespace store-{name} is being deleted"),
                Phase::Paused => {
                    format!("paused; volumes and secrets kept (storectl resume {name})")
                }
            },
            url: Some(format!("http://{name}.local")),
            age_seconds: Some(42),
            // Ready stores serve with both pods; the others with one of two, so the
            // PODS column is seen with ready != total.
            pods_ready: if phase == Phase::Ready { 2 } else { 1 },
            pods_total: 2,
            created: Some("2026-11-25T20:00:00Z".to_string()),
            versions: None,
            cron: Default::default(),
        },
        objects: vec![
            ObjectState {
                kind: "Namespace",
                name: format!("store-{name}"),
                state: "Active".into(),
            },
            ObjectState {
                kind: "PersistentVolumeClaim",
                name: format!("{name}-mysql-pvc"),
                state: "Bound".into(),
            },
            ObjectState {
                kind: "PersistentVolumeClaim",
                name: format!("{name}-wordpress-pvc"),
                state: "Bound".into(),
            },
        ],
    }
}

pub fn app_with(names: &[(&str, Phase)]) -> App {
    let defaults = FormDefaults {
        domain: "local".into(),
        storage: "10Gi".into(),
        admin_email: "admin@example.com".into(),
        namespace_prefix: "store-".into(),
    };
    let mut app = App::new(vec!["devcluster-admin".into()], false, defaults);
    update(
        &mut app,
        Action::Connection {
            context: "devcluster-admin".into(),
            state: ConnectionState::Live,
            hidden: vec![],
        },
    );
    update(
        &mut app,
        Action::Stores(names.iter().map(|(n, p)| row(n, *p).into()).collect()),
    );
    app
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Presses keys through the real key map; returns every command emitted.
pub fn press(app: &mut App, keys: &[KeyEvent]) -> Vec<Command> {
    let mut out = Vec::new();
    for k in keys {
        if let Some(action) = keys::action_for(app, *k) {
            out.extend(update(app, action));
        }
    }
    out
}

pub fn typed(text: &str) -> Vec<KeyEvent> {
    text.chars().map(|c| key(KeyCode::Char(c))).collect()
}

#[test]
fn creating_validates_as_you_type_and_submits_the_fields_as_sets() {
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    let cmds = press(&mut app, &[key(KeyCode::Char('c'))]);
    assert!(matches!(cmds.as_slice(), [Command::ValidateForm { .. }]));
    press(&mut app, &typed("Shop"));
    let Mode::Create(form) = &app.mode else {
        panic!("form not open")
    };
    assert_eq!(
        form.name_error.as_deref(),
        Some("store names are lowercase: try 'shop'")
    );
    // q is text in a form, not quit.
    assert!(
        press(&mut app, &[key(KeyCode::Enter)]).is_empty(),
        "an invalid name is not submitted"
    );
    assert!(!app.quit);
    press(&mut app, &[key(KeyCode::Backspace); 4]);
    press(&mut app, &typed("shop2"));
    press(&mut app, &[key(KeyCode::Tab)]);
    press(&mut app, &[key(KeyCode::End)]);
    press(&mut app, &typed(".example"));
    let cmds = press(&mut app, &[key(KeyCode::Enter)]);
    let Some(Command::Create { name, sets, .. }) = cmds.last() else {
        panic!("no create: {cmds:?}")
    };
    assert_eq!(name, "shop2");
    assert!(
        sets.contains(&FormField::new("global.domain", "local.example")),
        "{sets:?}"
    );
    assert!(sets.contains(&FormField::new("wordpress.storage", "10Gi")));
}

#[test]
fn a_refused_create_keeps_everything_typed() {
    let mut app = app_with(&[]);
    press(&mut app, &[key(KeyCode::Char('n'))]);
    press(&mut app, &typed("taken"));
    press(&mut app, &[key(KeyCode::Enter)]);
    update(
        &mut app,
        Action::Created {
            context: "devcluster-admin".into(),
            name: "taken".into(),
            result: Err("store 'taken' already exists".into()),
        },
    );
    let Mode::Create(form) = &app.mode else {
        panic!("the form closed")
    };
    assert_eq!(form.value(Field::Name), "taken");
    assert_eq!(form.error.as_deref(), Some("store 'taken' already exists"));
    assert!(!form.submitting);
    update(
        &mut app,
        Action::Created {
            context: "devcluster-admin".into(),
            name: "taken".into(),
            result: Ok("created".into()),
        },
    );
    assert!(matches!(app.mode, Mode::Table));
}

#[test]
fn deleting_needs_the_exact_name_typed() {
    let mut app = app_with(&[("alpha", Phase::Ready), ("beta", Phase::Ready)]);
    press(&mut app, &[key(KeyCode::Char('j'))]);
    assert!(
        press(&mut app, &[key(KeyCode::Char('d'))]).is_empty(),
        "a bare d does nothing"
    );
    assert!(matches!(app.mode, Mode::Table));
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)],
    );
    let Mode::Confirm(c) = &app.mode else {
        panic!("no confirmation")
    };
    assert_eq!(
        c.stores,
        [StoreRef::new("beta", "store-beta", "devcluster-admin")]
    );
    assert!(
        c.what.contains("beta-mysql-pvc"),
        "names the data volumes: {}",
        c.what
    );
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    let Mode::Confirm(c) = &app.mode else {
        panic!("closed early")
    };
    assert_eq!(c.hint.as_deref(), Some("type 'beta' exactly to delete it"));
    press(&mut app, &typed("bet"));
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    press(&mut app, &typed("a"));
    let cmds = press(&mut app, &[key(KeyCode::Enter)]);
    assert_eq!(
        cmds,
        vec![Command::Delete {
            store: StoreRef::new("beta", "store-beta", "devcluster-admin")
        }]
    );
    assert!(matches!(app.mode, Mode::Table));
}

#[test]
fn escape_cancels_and_never_quits() {
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    press(
        &mut app,
        &[
            KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL),
            key(KeyCode::Esc),
            key(KeyCode::Esc),
        ],
    );
    assert!(matches!(app.mode, Mode::Table));
    assert!(!app.quit);
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)],
    );
    assert!(app.quit);
}

#[test]
fn readonly_refuses_create_and_delete_with_a_message() {
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    app.readonly = true;
    press(
        &mut app,
        &[
            key(KeyCode::Char('c')),
            KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL),
        ],
    );
    assert!(matches!(app.mode, Mode::Table));
    assert!(
        app.status
            .as_ref()
            .is_some_and(|s| s.severity == Severity::Error && s.message.contains("read-only"))
    );
}

#[test]
fn a_store_deleted_elsewhere_closes_its_views() {
    let mut app = app_with(&[("alpha", Phase::Ready), ("beta", Phase::Ready)]);
    let cmds = press(&mut app, &[key(KeyCode::Char('l'))]);
    assert!(matches!(cmds.as_slice(), [Command::StartLogs { store, .. }] if store.name == "alpha"));
    let cmds = update(
        &mut app,
        Action::Stores(vec![row("beta", Phase::Ready).into()]),
    );
    assert_eq!(cmds, vec![Command::StopLogs]);
    assert!(matches!(app.mode, Mode::Table));
    assert_eq!(
        app.status.as_ref().map(|s| s.message.as_str()),
        Some("store alpha was deleted")
    );

    press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(&app.mode, Mode::Details(d) if d.store.name == "beta"));
    update(&mut app, Action::Stores(vec![]));
    assert!(matches!(app.mode, Mode::Table));
}

#[test]
fn logs_follow_pause_when_scrolled_up_and_stay_bounded() {
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    press(&mut app, &[key(KeyCode::Char('l'))]);
    let line = |i: usize| LogLine {
        timestamp: format!("t{i}"),
        text: format!("line {i}"),
    };
    update(&mut app, Action::LogLines((0..10).map(line).collect()));
    press(
        &mut app,
        &[key(KeyCode::Char('k')), key(KeyCode::Char('k'))],
    );
    let Mode::Logs(v) = &app.mode else { panic!() };
    assert!(!v.follow);
    assert_eq!(v.offset, 2);
    update(&mut app, Action::LogLines(vec![line(10)]));
    let Mode::Logs(v) = &app.mode else { panic!() };
    assert_eq!(v.offset, 3, "the view stays on the same lines while paused");
    press(&mut app, &[key(KeyCode::Char('G'))]);
    let Mode::Logs(v) = &app.mode else { panic!() };
    assert!(v.follow && v.offset == 0, "the end resumes follow");
    update(
        &mut app,
        Action::LogLines((0..logs::MAX_LINES + 10).map(line).collect()),
    );
    let Mode::Logs(v) = &app.mode else { panic!() };
    assert_eq!(v.lines.len(), logs::MAX_LINES);
    assert_eq!(
        v.lines.back().map(|l| l.text.clone()),
        Some(format!("line {}", logs::MAX_LINES + 9))
    );
}

#[test]
fn log_search_jumps_to_matches_and_components_restart_the_stream() {
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    press(&mut app, &[key(KeyCode::Char('l'))]);
    let lines = ["boot", "error: disk", "ok", "error: net", "ok"];
    update(
        &mut app,
        Action::LogLines(
            lines
                .iter()
                .map(|t| LogLine {
                    timestamp: String::new(),
                    text: (*t).into(),
                })
                .collect(),
        ),
    );
    press(&mut app, &[key(KeyCode::Char('/'))]);
    press(&mut app, &typed("error"));
    press(&mut app, &[key(KeyCode::Enter)]);
    let Mode::Logs(v) = &app.mode else { panic!() };
    assert_eq!(v.offset, 1, "newest match first");
    press(&mut app, &[key(KeyCode::Char('n'))]);
    let Mode::Logs(v) = &app.mode else { panic!() };
    assert_eq!(v.offset, 3, "n goes to the older match");
    let cmds = press(&mut app, &[key(KeyCode::Char('2'))]);
    assert!(matches!(
        cmds.as_slice(),
        [Command::StartLogs {
            component: Component::MySql,
            previous: false,
            ..
        }]
    ));
    let cmds = press(&mut app, &[key(KeyCode::Char('p'))]);
    assert!(matches!(
        cmds.as_slice(),
        [Command::StartLogs { previous: true, .. }]
    ));
    let cmds = press(&mut app, &[key(KeyCode::Esc)]);
    assert_eq!(cmds, vec![Command::StopLogs]);
}

#[test]
fn filter_sort_and_movement() {
    let mut app = app_with(&[
        ("shop-b", Phase::Ready),
        ("shop-a", Phase::Failed),
        ("other", Phase::Provisioning),
    ]);
    press(&mut app, &[key(KeyCode::Char('/'))]);
    press(&mut app, &typed("shop"));
    assert_eq!(app.table.visible_len(), 2);
    press(&mut app, &[key(KeyCode::Enter), key(KeyCode::Char('G'))]);
    assert_eq!(
        app.table.selected_row().map(|r| r.summary.name.as_str()),
        Some("shop-b")
    );
    press(&mut app, &[key(KeyCode::Esc)]);
    assert_eq!(app.table.visible_len(), 3, "Esc clears the filter");
    press(&mut app, &[key(KeyCode::Char('s'))]);
    let first = app
        .table
        .visible_rows()
        .next()
        .map(|r| r.summary.name.clone());
    assert_eq!(
        first.as_deref(),
        Some("shop-a"),
        "status sort puts Failed first"
    );
}

#[test]
fn help_swallows_keys_until_closed() {
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    press(
        &mut app,
        &[
            key(KeyCode::Char('?')),
            key(KeyCode::Char('c')),
            key(KeyCode::Char('q')),
        ],
    );
    assert!(!app.quit, "q closes help first");
    assert!(matches!(app.mode, Mode::Table));
    assert!(!app.help);
}

#[test]
fn copy_after_reveal_puts_the_password_on_the_clipboard_not_the_user() {
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    press(&mut app, &[key(KeyCode::Enter)]);
    let cmds = press(&mut app, &[key(KeyCode::Char('r'))]);
    assert!(
        matches!(cmds.as_slice(), [Command::FetchCredentials { store, .. }] if store.name == "alpha")
    );
    update(
        &mut app,
        Action::Credentials {
            name: "alpha".into(),
            result: Ok(Revealed {
                user: "admin".into(),
                password: "s3cret-Pw".into(),
            }),
        },
    );
    let cmds = press(&mut app, &[key(KeyCode::Char('c'))]);
    assert_eq!(cmds, vec![Command::Copy("s3cret-Pw".into())]);
    assert_eq!(
        app.status.as_ref().map(|s| s.message.as_str()),
        Some("copied the admin password to the clipboard (OSC 52)")
    );
    // Masked again: copy falls back to the URL.
    press(&mut app, &[key(KeyCode::Char('r'))]);
    let cmds = press(&mut app, &[key(KeyCode::Char('c'))]);
    assert_eq!(cmds, vec![Command::Copy("http://alpha.local".into())]);
}

#[test]
fn p_pauses_a_ready_store_resumes_a_paused_one_and_refuses_the_others() {
    let key = |c: char| KeyEvent::from(KeyCode::Char(c));
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    let action = keys::action_for(&app, key('p'));
    assert_eq!(action, Some(Action::TogglePause));
    let cmds = update(&mut app, Action::TogglePause);
    assert_eq!(
        cmds,
        vec![Command::SetPaused {
            store: StoreRef::new("alpha", "store-alpha", "devcluster-admin"),
            paused: true
        }]
    );
    let mut app = app_with(&[("alpha", Phase::Paused)]);
    let cmds = update(&mut app, Action::TogglePause);
    assert!(
        matches!(&cmds[..], [Command::SetPaused { paused: false, .. }]),
        "{cmds:?}"
    );
    let mut app = app_with(&[("alpha", Phase::Provisioning)]);
    assert!(update(&mut app, Action::TogglePause).is_empty());
    let said = app
        .status
        .as_ref()
        .map(|s| s.message.clone())
        .unwrap_or_default();
    assert!(
        said.contains("only a Ready or Failed store can be paused"),
        "{said}"
    );
}

#[test]
fn x_lists_the_contexts_and_enter_switches_to_the_chosen_one() {
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    assert_eq!(
        keys::action_for(&app, key(KeyCode::Char('x'))),
        Some(Action::OpenContexts)
    );
    assert_eq!(
        update(&mut app, Action::OpenContexts),
        vec![Command::ListContexts]
    );
    let names: Vec<String> = ["kind-a", "devcluster-admin", "prod"]
        .map(String::from)
        .into();
    update(&mut app, Action::ContextsListed(Ok(names)));
    let Mode::Contexts(picker) = &app.mode else {
        panic!("no picker")
    };
    assert_eq!(picker.selected, 1, "the current context is preselected");
    // Enter on the current context changes nothing.
    let enter = keys::action_for(&app, key(KeyCode::Enter));
    assert_eq!(enter, Some(Action::Submit));
    update(
        &mut app,
        Action::ContextsListed(Ok(vec!["devcluster-admin".into()])),
    );
    assert!(update(&mut app, Action::Submit).is_empty());
    update(
        &mut app,
        Action::ContextsListed(Ok(["kind-a", "devcluster-admin", "prod"]
            .map(String::from)
            .into())),
    );
    update(&mut app, Action::Move(Motion::Down));
    assert_eq!(
        update(&mut app, Action::Submit),
        vec![Command::SwitchContext("prod".into())]
    );
    assert!(matches!(app.mode, Mode::Table));
    update(
        &mut app,
        Action::ContextSwitched {
            context: "prod".into(),
            result: Ok(()),
        },
    );
    assert_eq!(app.clusters.contexts(), ["prod"]);
    assert_eq!(app.clusters.first().connection, ConnectionState::Connecting);
    assert!(
        app.table.all_rows().is_empty(),
        "the old context's stores are gone"
    );
    update(
        &mut app,
        Action::ContextSwitched {
            context: "gone".into(),
            result: Err("no context named gone".into()),
        },
    );
    assert_eq!(
        app.clusters.contexts(),
        ["prod"],
        "a failed switch keeps the current context"
    );
}

#[test]
fn marked_stores_are_deleted_together_once_their_number_is_typed() {
    let mut app = app_with(&[
        ("alpha", Phase::Ready),
        ("beta", Phase::Failed),
        ("gamma", Phase::Ready),
    ]);
    // Space marks and moves down: alpha and beta marked, gamma selected.
    press(
        &mut app,
        &[key(KeyCode::Char(' ')), key(KeyCode::Char(' '))],
    );
    assert_eq!(app.table.marked_count(), 2);
    assert_eq!(
        app.table.selected_row().map(|r| r.summary.name.as_str()),
        Some("gamma")
    );
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)],
    );
    let Mode::Confirm(c) = &app.mode else {
        panic!("no confirmation")
    };
    assert_eq!(c.expected, "2");
    assert!(c.what.starts_with("2 stores (alpha, beta)"), "{}", c.what);
    press(&mut app, &typed("gamma"));
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    let Mode::Confirm(c) = &app.mode else {
        panic!("closed early")
    };
    assert_eq!(
        c.hint.as_deref(),
        Some("type the number of stores, 2, to delete them")
    );
    press(&mut app, &[key(KeyCode::Esc)]);
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)],
    );
    press(&mut app, &typed("2"));
    let cmds = press(&mut app, &[key(KeyCode::Enter)]);
    assert_eq!(
        cmds,
        vec![
            Command::Delete {
                store: StoreRef::new("alpha", "store-alpha", "devcluster-admin")
            },
            Command::Delete {
                store: StoreRef::new("beta", "store-beta", "devcluster-admin")
            },
        ]
    );
    assert_eq!(
        app.table.marked_count(),
        0,
        "marks go with the deleted stores"
    );
}

#[test]
fn star_marks_what_the_filter_shows_and_pause_acts_on_the_marked() {
    let mut app = app_with(&[
        ("shop-a", Phase::Ready),
        ("shop-b", Phase::Provisioning),
        ("other", Phase::Ready),
    ]);
    press(&mut app, &[key(KeyCode::Char('/'))]);
    press(&mut app, &typed("shop"));
    press(&mut app, &[key(KeyCode::Enter), key(KeyCode::Char('*'))]);
    assert_eq!(app.table.marked_count(), 2);
    let cmds = press(&mut app, &[key(KeyCode::Char('p'))]);
    assert_eq!(
        cmds,
        vec![Command::SetPaused {
            store: StoreRef::new("shop-a", "store-shop-a", "devcluster-admin"),
            paused: true
        }],
        "a provisioning store is left as it is"
    );
    assert!(
        app.status
            .as_ref()
            .is_some_and(|s| s.message.contains("shop-b is Provisioning")),
        "{:?}",
        app.status
    );
    press(&mut app, &[key(KeyCode::Char('*'))]);
    assert_eq!(app.table.marked_count(), 0, "a second * unmarks them");
}

#[test]
fn an_upgrade_goes_form_plan_progress_and_the_progress_survives_leaving_it() {
    use crate::domain::rollout::{Event, Step};
    let mut app = app_with(&[("alpha", Phase::Ready), ("beta", Phase::Ready)]);
    press(
        &mut app,
        &[key(KeyCode::Char('*')), key(KeyCode::Char('u'))],
    );
    let Mode::Upgrade(form) = &app.mode else {
        panic!("no upgrade form")
    };
    assert_eq!(form.stores.len(), 2);
    press(&mut app, &typed("wordpress.image"));
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    let Mode::Upgrade(form) = &app.mode else {
        panic!("closed")
    };
    assert_eq!(
        form.error.as_deref(),
        Some("'wordpress.image' is not key=value")
    );
    press(&mut app, &typed("=wordpress:6.9-apache"));
    press(
        &mut app,
        &[
            key(KeyCode::Tab),
            key(KeyCode::Backspace),
            key(KeyCode::Backspace),
        ],
    );
    press(&mut app, &typed("1"));
    let cmds = press(&mut app, &[key(KeyCode::Enter)]);
    let stores = vec![
        StoreRef::new("alpha", "store-alpha", "devcluster-admin"),
        StoreRef::new("beta", "store-beta", "devcluster-admin"),
    ];
    assert_eq!(
        cmds,
        vec![Command::PlanUpgrade {
            stores: stores.clone(),
            sets: vec!["wordpress.image=wordpress:6.9-apache".into()],
            wave_size: 1
        }]
    );
    update(
        &mut app,
        Action::UpgradePlanned(Ok(PlanView {
            lines: vec!["plan: 2 store(s) in 2 wave(s)".into()],
            stores,
            to_upgrade: 2,
            scroll: 0,
        })),
    );
    assert!(matches!(app.mode, Mode::UpgradePlan(_)));
    assert_eq!(
        press(&mut app, &[key(KeyCode::Enter)]),
        vec![Command::StartUpgrade {
            context: "devcluster-admin".into()
        }]
    );
    assert!(matches!(app.mode, Mode::Rollout));
    update(
        &mut app,
        Action::Rollout(Event::Store {
            name: "alpha".into(),
            step: Step::Ready { revision: 2 },
        }),
    );
    press(&mut app, &[key(KeyCode::Esc)]);
    assert!(matches!(app.mode, Mode::Table));
    update(
        &mut app,
        Action::Rollout(Event::Store {
            name: "beta".into(),
            step: Step::Failed {
                reason: "ImagePullBackOff".into(),
            },
        }),
    );
    assert!(
        press(&mut app, &[key(KeyCode::Char('u'))]).is_empty() && matches!(app.mode, Mode::Table),
        "no second rollout while one runs"
    );
    press(&mut app, &[key(KeyCode::Char('U'))]);
    assert!(matches!(app.mode, Mode::Rollout));
    let view = app.rollout.as_ref().unwrap();
    assert_eq!((view.done(), view.failed()), (1, 1));
}

/// A backup record of store alpha, 1.5 MB.
pub fn record(
    id: &str,
    status: crate::domain::backup::BackupStatus,
) -> crate::domain::backup::Record {
    crate::domain::backup::Record {
        store: "alpha".into(),
        id: id.into(),
        created: "2026-11-26T10:00:00Z".into(),
        status,
        reason: String::new(),
        size: Some(1_500_000),
        sha256: String::new(),
        location: format!(
            "http://storectl-backups.ecommerce-platform.svc:7070/backups/stores/alpha/{id}/"
        ),
        namespace: "store-alpha".into(),
        job: format!("alpha-backup-{id}"),
    }
}

#[test]
fn b_backs_up_the_marked_stores_and_details_restore_a_complete_backup_after_typing_the_name() {
    use crate::domain::backup::BackupStatus;
    let mut app = app_with(&[("alpha", Phase::Ready), ("beta", Phase::Ready)]);
    let cmds = press(
        &mut app,
        &[key(KeyCode::Char('*')), key(KeyCode::Char('b'))],
    );
    assert_eq!(
        cmds,
        vec![Command::Backup {
            stores: vec![
                StoreRef::new("alpha", "store-alpha", "devcluster-admin"),
                StoreRef::new("beta", "store-beta", "devcluster-admin")
            ]
        }]
    );
    press(&mut app, &[key(KeyCode::Char('*'))]);
    let cmds = press(&mut app, &[key(KeyCode::Enter)]);
    assert!(cmds.contains(&Command::FetchBackups {
        store: StoreRef::new("alpha", "store-alpha", "devcluster-admin")
    }));
    update(
        &mut app,
        Action::BackupList {
            name: "alpha".into(),
            result: Ok(vec![
                record("20261126-090000", BackupStatus::Complete),
                record("20261126-100000", BackupStatus::Failed),
            ]),
        },
    );
    press(&mut app, &[key(KeyCode::Char('R'))]);
    let Mode::RestorePick(picker) = &app.mode else {
        panic!("no picker: {:?}", app.status)
    };
    assert_eq!(picker.backups.len(), 1, "only complete backups are offered");
    press(&mut app, &[key(KeyCode::Enter)]);
    let Mode::Confirm(c) = &app.mode else {
        panic!("no confirmation")
    };
    assert_eq!(
        c.confirming,
        Confirming::Restore {
            id: "20261126-090000".into()
        }
    );
    press(&mut app, &typed("alph"));
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    press(&mut app, &typed("a"));
    assert_eq!(
        press(&mut app, &[key(KeyCode::Enter)]),
        vec![Command::Restore {
            store: StoreRef::new("alpha", "store-alpha", "devcluster-admin"),
            id: "20261126-090000".into()
        }]
    );
}

#[test]
fn the_delete_confirmation_says_which_backups_stay() {
    use crate::domain::backup::BackupStatus;
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    let cmds = press(
        &mut app,
        &[KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)],
    );
    assert_eq!(
        cmds,
        vec![Command::FetchBackups {
            store: StoreRef::new("alpha", "store-alpha", "devcluster-admin")
        }]
    );
    update(
        &mut app,
        Action::BackupList {
            name: "alpha".into(),
            result: Ok(vec![record("20261126-090000", BackupStatus::Complete)]),
        },
    );
    let Mode::Confirm(c) = &app.mode else {
        panic!("no confirmation")
    };
    assert_eq!(
        c.backups.as_deref(),
        Some(
            "alpha: 1 backup(s) kept at http://storectl-backups.ecommerce-platform.svc:7070/backups/stores/alpha/ (newest 20261126-090000)"
        )
    );
}

#[test]
fn a_paused_store_is_refused_backup_and_restore_as_the_cli_refuses_it() {
    use crate::domain::backup::BackupStatus;
    let paused =
        "store 'alpha' is paused: its database is stopped; resume it first (storectl resume alpha)";
    let said = |app: &App| {
        app.status
            .clone()
            .map(|s| (s.severity == Severity::Error, s.message))
    };
    let mut app = app_with(&[("alpha", Phase::Paused), ("beta", Phase::Ready)]);
    assert_eq!(
        app.table.selected_row().map(|r| r.summary.name.as_str()),
        Some("alpha")
    );
    // The paused store alone: nothing started, the CLI's message.
    assert!(press(&mut app, &[key(KeyCode::Char('b'))]).is_empty());
    assert_eq!(said(&app), Some((true, paused.to_string())));
    // Marked with a running one: that one starts, the paused one is said.
    let cmds = press(
        &mut app,
        &[key(KeyCode::Char('*')), key(KeyCode::Char('b'))],
    );
    assert_eq!(
        cmds,
        vec![Command::Backup {
            stores: vec![StoreRef::new("beta", "store-beta", "devcluster-admin")]
        }]
    );
    assert_eq!(
        said(&app),
        Some((true, format!("{paused}; starting a backup of beta...")))
    );
    press(&mut app, &[key(KeyCode::Char('*'))]);

    // In details: b and R refused alike, nothing started, no picker.
    press(&mut app, &[key(KeyCode::Enter)]);
    update(
        &mut app,
        Action::BackupList {
            name: "alpha".into(),
            result: Ok(vec![record("20261126-090000", BackupStatus::Complete)]),
        },
    );
    app.status = None;
    assert!(press(&mut app, &[key(KeyCode::Char('b'))]).is_empty());
    assert_eq!(said(&app), Some((true, paused.to_string())));
    app.status = None;
    assert!(press(&mut app, &[key(KeyCode::Char('R'))]).is_empty());
    assert!(matches!(app.mode, Mode::Details(_)), "{:?}", app.mode);
    assert_eq!(said(&app), Some((true, paused.to_string())));

    // Paused while its restore was being confirmed: refused at the confirmation.
    let mut app = app_with(&[("alpha", Phase::Ready)]);
    press(&mut app, &[key(KeyCode::Enter)]);
    update(
        &mut app,
        Action::BackupList {
            name: "alpha".into(),
            result: Ok(vec![record("20261126-090000", BackupStatus::Complete)]),
        },
    );
    press(&mut app, &[key(KeyCode::Char('R')), key(KeyCode::Enter)]);
    press(&mut app, &typed("alpha"));
    assert!(matches!(app.mode, Mode::Confirm(_)), "{:?}", app.mode);
    update(
        &mut app,
        Action::Stores(vec![row("alpha", Phase::Paused).into()]),
    );
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    assert!(matches!(app.mode, Mode::Table), "{:?}", app.mode);
    assert_eq!(said(&app), Some((true, paused.to_string())));
}
