//! The log pane's state: a bounded buffer of lines, follow (paused while scrolled up,
//! resumed at the end), wrap, timestamps, previous container, and search.

use std::collections::VecDeque;

use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::{Action, App, Command, Mode, Motion, Severity};
use crate::domain::layout::Component;
use crate::domain::store_ref::StoreRef;

/// At most this many lines are kept; older ones are dropped.
pub const MAX_LINES: usize = 5000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// RFC 3339 timestamp the API server put in front of the line.
    pub timestamp: String,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct LogView {
    pub store: StoreRef,
    pub component: Component,
    pub lines: VecDeque<LogLine>,
    /// Lines scrolled up from the bottom; 0 means following the end.
    pub offset: usize,
    pub follow: bool,
    pub wrap: bool,
    pub timestamps: bool,
    pub previous: bool,
    pub search: Option<Input>,
    pub search_editing: bool,
    pub ended: Option<String>,
    /// Rows that fit on screen (set by the runtime).
    pub page: usize,
}

impl LogView {
    pub fn new(store: StoreRef, component: Component) -> Self {
        Self {
            store,
            component,
            lines: VecDeque::new(),
            offset: 0,
            follow: true,
            wrap: false,
            timestamps: false,
            previous: false,
            search: None,
            search_editing: false,
            ended: None,
            page: 20,
        }
    }

    fn push(&mut self, lines: Vec<LogLine>) {
        for line in lines {
            if self.lines.len() == MAX_LINES {
                self.lines.pop_front();
            }
            self.lines.push_back(line);
            if !self.follow {
                self.offset += 1;
            }
        }
        self.offset = self.offset.min(self.lines.len().saturating_sub(1));
    }

    fn scroll(&mut self, motion: Motion) {
        let max = self.lines.len().saturating_sub(1);
        let page = self.page.max(1);
        self.offset = match motion {
            Motion::Up => self.offset + 1,
            Motion::Down => self.offset.saturating_sub(1),
            Motion::PageUp => self.offset + page,
            Motion::PageDown => self.offset.saturating_sub(page),
            Motion::Top => max,
            Motion::Bottom => 0,
        }
        .min(max);
        self.follow = self.offset == 0;
    }

    /// Moves to the next line (older when `backwards`) that contains the search text.
    fn find(&mut self, backwards: bool) -> bool {
        let Some(needle) = self
            .search
            .as_ref()
            .map(|s| s.value().to_string())
            .filter(|s| !s.is_empty())
        else {
            return false;
        };
        let len = self.lines.len();
        let current = len.saturating_sub(1 + self.offset);
        let hit = |i: &usize| self.lines[*i].text.contains(&needle);
        let found = if backwards {
            (0..current).rev().find(hit)
        } else {
            (current + 1..len).find(hit)
        };
        match found {
            Some(i) => {
                self.offset = len - 1 - i;
                self.follow = self.offset == 0;
                true
            }
            None => false,
        }
    }

    fn restart(&mut self) -> Command {
        self.lines.clear();
        self.offset = 0;
        self.follow = true;
        self.ended = None;
        Command::StartLogs {
            store: self.store.clone(),
            component: self.component,
            previous: self.previous,
        }
    }
}

pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    let Mode::Logs(view) = &mut app.mode else {
        return vec![];
    };
    if view.search_editing {
        match action {
            Action::Type(key) => {
                if let Some(s) = view.search.as_mut() {
                    s.handle_event(&crossterm::event::Event::Key(key));
                }
            }
            Action::Submit => {
                view.search_editing = false;
                if !view.find(true) {
                    app.say(Severity::Info, "no match");
                }
            }
            Action::Back => {
                view.search_editing = false;
                view.search = None;
            }
            _ => {}
        }
        return vec![];
    }
    match action {
        Action::Back => {
            app.mode = Mode::Table;
            return vec![Command::StopLogs];
        }
        Action::LogLines(lines) => view.push(lines),
        Action::LogEnded(reason) => {
            view.ended = Some(reason.unwrap_or_else(|| "stream ended".to_string()))
        }
        Action::Move(m) => view.scroll(m),
        Action::LogFollow => {
            view.follow = !view.follow;
            if view.follow {
                view.offset = 0;
            }
        }
        Action::LogWrap => view.wrap = !view.wrap,
        Action::LogTimestamps => view.timestamps = !view.timestamps,
        Action::LogPrevious => {
            view.previous = !view.previous;
            return vec![view.restart()];
        }
        Action::LogComponent(c) if c != view.component => {
            view.component = c;
            view.previous = false;
            return vec![view.restart()];
        }
        Action::StartFilter => {
            view.search = Some(Input::default());
            view.search_editing = true;
        }
        Action::LogSearchNext { backwards } if !view.find(backwards) => {
            app.say(Severity::Info, "no more matches");
        }
        _ => {}
    }
    vec![]
}
