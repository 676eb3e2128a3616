//! The terminal UI's upgrade flow: a form for the `--set` lines and the wave size, the
//! plan the runtime worked out (confirmed with Enter), then the rollout's progress: per
//! store waiting, applying, ready or failed with its reason, and a bar for the fleet.
//! The progress lives in `App`, so leaving it (Esc) and coming back (`U`) loses nothing.

use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::{Action, App, Command, Mode, Severity};
use crate::domain::rollout::{Event, Step, StoreStep};
use crate::domain::store_ref::StoreRef;
use crate::domain::verb::Verb;

#[derive(Debug, Clone)]
pub struct UpgradeForm {
    /// Each store to upgrade.
    pub stores: Vec<StoreRef>,
    /// `key=value` pairs separated by spaces, as `--set` takes them.
    pub sets: Input,
    pub wave_size: Input,
    /// 0: the sets, 1: the wave size.
    pub focus: usize,
    pub error: Option<String>,
    pub planning: bool,
}

impl UpgradeForm {
    pub fn new(stores: Vec<StoreRef>) -> Self {
        Self {
            stores,
            sets: Input::default(),
            wave_size: Input::new("10".to_string()),
            focus: 0,
            error: None,
            planning: false,
        }
    }

    /// The typed `--set`s, each checked to be `key=value`.
    fn parsed(&self) -> Result<(Vec<String>, usize), String> {
        let sets: Vec<String> = self
            .sets
            .value()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if let Some(bad) = sets.iter().find(|s| !s.contains('=')) {
            return Err(format!("'{bad}' is not key=value"));
        }
        let wave_size = self
            .wave_size
            .value()
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| "the wave size is a number of stores, 1 or more".to_string())?;
        Ok((sets, wave_size))
    }
}

/// The plan, as the runtime described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanView {
    pub lines: Vec<String>,
    /// Every store in the plan, in its order.
    pub stores: Vec<StoreRef>,
    pub to_upgrade: usize,
    pub scroll: usize,
}

/// Wave `number` of `of` (1: the canary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaveAt {
    pub number: usize,
    pub of: usize,
}

/// A rollout's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutView {
    pub stores: Vec<StoreStep>,
    /// The wave running.
    pub wave: Option<WaveAt>,
    /// Set when the rollout has ended: its summary, or why it stopped.
    pub finished: Option<Result<String, String>>,
    pub scroll: usize,
}

impl RolloutView {
    fn new(stores: &[StoreRef]) -> Self {
        Self {
            stores: stores
                .iter()
                .map(|s| StoreStep::new(s.name.clone(), Step::Waiting))
                .collect(),
            wave: None,
            finished: None,
            scroll: 0,
        }
    }

    /// Stores at their target (or never needing it).
    pub fn done(&self) -> usize {
        self.stores.iter().filter(|s| s.step.is_done()).count()
    }

    pub fn failed(&self) -> usize {
        self.stores.iter().filter(|s| s.step.is_failure()).count()
    }

    pub fn running(&self) -> bool {
        self.finished.is_none()
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Wave { number, of, .. } => self.wave = Some(WaveAt { number, of }),
            Event::Store { name, step } => {
                if let Some(entry) = self.stores.iter_mut().find(|s| s.name == name) {
                    entry.step = step;
                }
            }
        }
    }
}

/// `u`: the form for the marked stores (or the selected one).
pub fn open(app: &mut App) -> Vec<Command> {
    if super::refused(app, Verb::Upgrade) {
        return vec![];
    }
    if app.rollout.as_ref().is_some_and(RolloutView::running) {
        app.say(
            Severity::Error,
            "a rollout is running: U shows it; start the next when it has ended",
        );
        return vec![];
    }
    let stores: Vec<StoreRef> = app
        .table
        .targets()
        .iter()
        .map(|r| r.summary.store_ref())
        .collect();
    let mut contexts: Vec<&str> = stores.iter().map(|s| s.context.as_str()).collect();
    contexts.sort_unstable();
    contexts.dedup();
    if contexts.len() > 1 {
        let message = format!(
            "the marked stores are in {} clusters ({}): a rollout runs in one; mark one cluster's stores (/ filters by context)",
            contexts.len(),
            contexts.join(", ")
        );
        app.say(Severity::Error, message);
        return vec![];
    }
    if !stores.is_empty() {
        app.mode = Mode::Upgrade(UpgradeForm::new(stores));
    }
    vec![]
}

/// `U`: the progress of the last rollout.
pub fn show_progress(app: &mut App) {
    match &app.rollout {
        Some(_) => app.mode = Mode::Rollout,
        None => app.say(Severity::Info, "no rollout yet: mark stores, then u"),
    }
}

/// Results of the runtime, whatever screen is in front.
pub fn on_result(app: &mut App, action: Action) {
    match action {
        Action::UpgradePlanned(result) => {
            let Mode::Upgrade(form) = &mut app.mode else {
                return;
            };
            form.planning = false;
            match result {
                Ok(plan) if plan.to_upgrade == 0 => {
                    form.error = Some(
                        plan.lines
                            .last()
                            .cloned()
                            .unwrap_or_else(|| "nothing to upgrade".to_string()),
                    );
                }
                Ok(plan) => app.mode = Mode::UpgradePlan(plan),
                Err(e) => form.error = Some(e),
            }
        }
        Action::Rollout(event) => {
            if let Some(view) = &mut app.rollout {
                view.on_event(event);
            }
        }
        Action::RolloutEnded(result) => {
            match &result {
                Ok(summary) => app.say(Severity::Info, format!("rollout done: {summary}")),
                Err(why) => app.say(Severity::Error, format!("rollout stopped: {why}")),
            }
            if let Some(view) = &mut app.rollout {
                view.finished = Some(result);
            }
        }
        _ => {}
    }
}

pub fn form_action(app: &mut App, action: Action) -> Vec<Command> {
    let Mode::Upgrade(form) = &mut app.mode else {
        return vec![];
    };
    match action {
        Action::Back => app.mode = Mode::Table,
        Action::NextField | Action::PrevField => form.focus = 1 - form.focus,
        Action::Type(key) => {
            let input = if form.focus == 0 {
                &mut form.sets
            } else {
                &mut form.wave_size
            };
            input.handle_event(&crossterm::event::Event::Key(key));
            form.error = None;
        }
        Action::Submit if form.planning => {}
        Action::Submit => match form.parsed() {
            Ok((sets, wave_size)) => {
                form.planning = true;
                return vec![Command::PlanUpgrade {
                    stores: form.stores.clone(),
                    sets,
                    wave_size,
                }];
            }
            Err(e) => form.error = Some(e),
        },
        _ => {}
    }
    vec![]
}

pub fn plan_action(app: &mut App, action: Action) -> Vec<Command> {
    let Mode::UpgradePlan(plan) = &mut app.mode else {
        return vec![];
    };
    match action {
        Action::Back => app.mode = Mode::Table,
        Action::Move(m) => plan.scroll = super::scrolled(plan.scroll, m, plan.lines.len()),
        Action::Submit => {
            app.rollout = Some(RolloutView::new(&plan.stores));
            let context = plan.stores.first().map(|s| s.context.clone());
            app.mode = Mode::Rollout;
            app.table.clear_marks();
            return context
                .map(|context| Command::StartUpgrade { context })
                .into_iter()
                .collect();
        }
        _ => {}
    }
    vec![]
}

pub fn progress_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Back => app.mode = Mode::Table,
        Action::Move(m) => {
            if let Some(view) = &mut app.rollout {
                view.scroll = super::scrolled(view.scroll, m, view.stores.len());
            }
        }
        _ => {}
    }
    vec![]
}
