//! The verbs behave the same from every front end: the TUI's model, the CLI and the API
//! refuse and allow through the same rules, and one error gives one exit code and one
//! HTTP status. These tests drive the front ends' adapters (the app's `update`, the
//! CLI's parser and exit code) against the rules of `domain::verb` and `ops`.

use std::sync::Arc;

use clap::Parser;
use k8s_openapi::jiff::Timestamp;

use super::Kind;
use crate::app::{self, Action, App, Command, ConnectionState, FormDefaults, Mode, StoreRow};
use crate::cli::{self, Cli};
use crate::cluster::apply::CreateError;
use crate::cluster::error::ClusterError;
use crate::domain::backup::database_running;
use crate::domain::inventory::StoreObjects;
use crate::domain::lookup::LookupError;
use crate::domain::name::StoreName;
use crate::domain::status::{Phase, StatusRules};
use crate::domain::summary::{StoreSummary, object_states, summarize};
use crate::domain::verb::{PAUSE_RULE, PauseCheck, ReadOnly, Verb, pause_check};

fn app(rows: Vec<StoreRow>, readonly: bool) -> App {
    let defaults = FormDefaults {
        domain: "local".into(),
        storage: "10Gi".into(),
        admin_email: "admin@example.com".into(),
        namespace_prefix: "store-".into(),
    };
    let mut app = App::new(vec!["devcluster-admin".into()], readonly, defaults);
    app::update(
        &mut app,
        Action::Connection {
            context: "devcluster-admin".into(),
            state: ConnectionState::Live,
            hidden: vec![],
        },
    );
    app::update(
        &mut app,
        Action::Stores(rows.into_iter().map(Into::into).collect()),
    );
    app
}

fn row(phase: Phase) -> StoreRow {
    StoreRow {
        summary: StoreSummary::example("shop", phase, ""),
        objects: vec![],
    }
}

fn yaml<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_yaml_ng::from_str(text).expect("an object")
}

fn said(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.message.clone())
        .unwrap_or_default()
}

/// The error of one failure as the CLI ends with it, and the API's status for it.
fn both(e: impl std::error::Error + Send + Sync + 'static) -> (u8, u16) {
    let api = Kind::of(&e).http_status();
    (cli::exit_code(&anyhow::Error::from(e)), api)
}

#[test]
fn one_error_gives_the_clis_exit_code_and_the_apis_status() {
    let exists = CreateError::AlreadyExists {
        name: "shop".into(),
        namespace: "store-shop".into(),
        how: String::new(),
    };
    assert_eq!(both(exists), (3, 409));
    assert_eq!(both(LookupError::NotFound("shop".into())), (4, 404));
    let unmarked = LookupError::Unmarked {
        name: "shop".into(),
        namespace: "default".into(),
    };
    assert_eq!(both(unmarked), (3, 404));
    assert_eq!(both(ReadOnly(Verb::Create)), (2, 403));
    let cannot = super::Error::CannotPause {
        name: "shop".into(),
        status: Phase::Provisioning,
        reason: "starting".into(),
    };
    assert_eq!(both(cannot), (3, 409));
    let forbidden = ClusterError::Forbidden {
        user: "alice".into(),
        verb: "create".into(),
        resource: "namespaces".into(),
        scope: "cluster-wide".into(),
        hint: "",
    };
    assert_eq!(both(forbidden), (5, 403));
    let bad = StoreName::parse("Bad!", "").expect_err("not a store name");
    assert_eq!(both(bad), (2, 400));
    let paused = crate::cluster::backups::BackupError::from(
        database_running("shop", Phase::Paused).expect_err("paused"),
    );
    assert_eq!(both(paused), (3, 409));
}

#[test]
fn tui_and_cli_pause_exactly_the_statuses_the_rule_accepts() {
    for phase in Phase::ALL {
        let mut ui = app(vec![row(phase)], false);
        let commands = app::update(&mut ui, Action::TogglePause);
        match pause_check(phase) {
            PauseCheck::Pause => assert!(
                matches!(&commands[..], [Command::SetPaused { paused: true, .. }]),
                "{phase}: {commands:?}"
            ),
            // Every store shown paused: `p` resumes, as `storectl resume` does.
            PauseCheck::AlreadyPaused => assert!(
                matches!(&commands[..], [Command::SetPaused { paused: false, .. }]),
                "{phase}: {commands:?}"
            ),
            PauseCheck::Refused => {
                assert!(commands.is_empty(), "{phase}: {commands:?}");
                assert!(said(&ui).contains(PAUSE_RULE), "{}", said(&ui));
                // The CLI's refusal (ops::pause) names the same rule.
                let cli = super::Error::CannotPause {
                    name: "shop".into(),
                    status: phase,
                    reason: String::new(),
                };
                assert!(cli.to_string().contains(PAUSE_RULE), "{cli}");
            }
        }
    }
}

#[test]
fn tui_and_cli_back_up_exactly_the_stores_whose_database_runs() {
    for phase in Phase::ALL {
        let mut ui = app(vec![row(phase)], false);
        let commands = app::update(&mut ui, Action::BackUp);
        // ops::backup::running_store, which the CLI and the TUI's effects run, applies
        // `database_running`; the app refuses the same statuses up front.
        match database_running("shop", phase) {
            Ok(()) => assert!(
                matches!(&commands[..], [Command::Backup { .. }]),
                "{phase}: {commands:?}"
            ),
            Err(e) => {
                assert!(commands.is_empty(), "{phase}: {commands:?}");
                assert!(said(&ui).contains(&e.to_string()), "{}", said(&ui));
            }
        }
    }
}

#[test]
fn readonly_removes_the_same_verbs_from_the_tui_and_the_cli() {
    let tui = [
        (Action::OpenCreate, Verb::Create),
        (Action::OpenDelete, Verb::Delete),
        (Action::TogglePause, Verb::Pause),
        (Action::BackUp, Verb::Backup),
        (Action::OpenUpgrade, Verb::Upgrade),
    ];
    for (action, verb) in tui {
        let mut ui = app(vec![row(Phase::Ready)], true);
        assert!(app::update(&mut ui, action).is_empty(), "{verb:?}");
        assert_eq!(said(&ui), ReadOnly(verb).to_string());
        assert!(matches!(ui.mode, Mode::Table), "{verb:?}");
    }
    let cli = |args: &[&str]| {
        let cli = Cli::try_parse_from(args).expect("parses");
        let verb = cli.command.as_ref().and_then(cli::Command::verb);
        verb.map_or(Ok(()), |v| v.allowed(cli.readonly))
    };
    for command in [
        &["storectl", "--readonly", "create", "shop"][..],
        &["storectl", "--readonly", "delete", "shop", "--yes"],
        &["storectl", "--readonly", "pause", "shop"],
        &["storectl", "--readonly", "resume", "shop"],
        &["storectl", "--readonly", "backup", "shop"],
        &["storectl", "--readonly", "restore", "shop", "--from", "x"],
        &["storectl", "--readonly", "clone", "shop", "copy"],
        &["storectl", "--readonly", "upgrade", "shop"],
        &["storectl", "--readonly", "rollback", "shop"],
    ] {
        let refused = cli(command).expect_err("changes something");
        assert!(refused.0.mutates(), "{command:?}");
    }
    for command in [
        &["storectl", "--readonly", "list"][..],
        &["storectl", "--readonly", "diff", "shop"],
        &["storectl", "--readonly", "history", "shop"],
        &["storectl", "--readonly", "backups", "shop"],
        &["storectl", "--readonly", "status", "shop"],
        &["storectl", "create", "shop"],
    ] {
        assert_eq!(cli(command), Ok(()), "{command:?}");
    }
}

#[test]
fn the_tui_and_the_cli_say_the_same_about_what_a_delete_destroys() {
    let store = StoreObjects {
        name: "shop".into(),
        namespace: Some(Arc::new(yaml("metadata: {name: store-shop}"))),
        namespace_name: "store-shop".into(),
        claims: vec![
            Arc::new(yaml(
                "metadata: {name: shop-mysql-pvc, namespace: store-shop}",
            )),
            Arc::new(yaml(
                "metadata: {name: shop-wordpress-pvc, namespace: store-shop}",
            )),
        ],
        ..StoreObjects::default()
    };
    let rules = StatusRules {
        provisioning_deadline: std::time::Duration::from_secs(600),
        failure_grace: std::time::Duration::from_secs(60),
    };
    let row = StoreRow {
        summary: summarize(&store, "test", &rules, Timestamp::now()),
        objects: object_states(&store),
    };
    let mut ui = app(vec![row], false);
    app::update(&mut ui, Action::OpenDelete);
    let Mode::Confirm(confirm) = &ui.mode else {
        panic!("no confirmation: {}", said(&ui))
    };
    assert_eq!(confirm.what, super::delete::what(&store));
    assert!(confirm.what.contains("shop-mysql-pvc"), "{}", confirm.what);
}

#[test]
fn the_tui_and_the_cli_say_the_same_when_nothing_is_to_upgrade() {
    use crate::app::{PlanView, UpgradeForm};
    use crate::cluster::plan::{Plan, PlannedStore};
    use crate::domain::store_ref::StoreRef;

    let store = |name: &str, action: &'static str, reason: Option<&str>| PlannedStore {
        name: name.into(),
        namespace: format!("store-{name}"),
        revision: Some(2),
        action,
        reason: reason.map(str::to_string),
        changes: vec![],
        objects: vec![],
        notes: vec![],
    };
    let at_target = Plan {
        stores: vec![store("a", "skip", None), store("b", "skip", None)],
        waves: vec![],
        wave_size: 10,
        max_failures: 0,
    };
    let some_refused = Plan {
        stores: vec![store("a", "skip", None), store("b", "refused", Some("no"))],
        waves: vec![],
        wave_size: 10,
        max_failures: 0,
    };
    for (plan, words) in [
        (
            &at_target,
            "nothing to do: every store is at its target revision (2 store(s))",
        ),
        (
            &some_refused,
            "nothing to upgrade: 1 of 2 store(s) refused, the others at their target",
        ),
    ] {
        // The CLI prints this line (`cli::upgrade`)...
        let cli = super::upgrade::nothing_to_upgrade(plan);
        assert_eq!(cli.as_deref(), Some(words));
        // ...and the TUI's form shows the plan's last line, from the same function.
        let mut app = app(vec![row(Phase::Ready)], false);
        app.mode = Mode::Upgrade(UpgradeForm::new(vec![StoreRef::new(
            "a",
            "store-a",
            "devcluster-admin",
        )]));
        let view = PlanView {
            lines: super::upgrade::plan_lines(plan),
            stores: vec![],
            to_upgrade: plan.to_upgrade(),
            scroll: 0,
        };
        app::update(&mut app, Action::UpgradePlanned(Ok(view)));
        let Mode::Upgrade(form) = &app.mode else {
            panic!("the form stays open when nothing is to upgrade");
        };
        assert_eq!(form.error.as_deref(), Some(words));
    }
}
