//! The store table's state: rows, filter, sort order, selection and marks (k9s's Space:
//! the marked stores are what bulk actions act on).

use std::collections::BTreeSet;
use std::sync::Arc;

use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::{Action, Command, Motion, StoreRow};
use crate::domain::store_ref::StoreRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Status,
    Age,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Status => "status",
            Self::Age => "age",
        }
    }
}

/// Rows shown in the table. `visible` indexes `rows` after filter and sort.
#[derive(Debug, Default)]
pub struct StoreTable {
    rows: Vec<Arc<StoreRow>>,
    visible: Vec<usize>,
    pub selected: usize,
    pub filter: Input,
    pub filter_editing: bool,
    pub sort: SortKey,
    /// Rows that fit on screen (set by the runtime on resize; paging uses it).
    pub page: usize,
    /// Marked stores; a store that goes loses its mark.
    marked: BTreeSet<StoreRef>,
}

impl StoreTable {
    pub fn set_rows(&mut self, rows: Vec<Arc<StoreRow>>) {
        let keep = self.selected_row().map(key);
        self.rows = rows;
        if !self.marked.is_empty() {
            let present: BTreeSet<StoreRef> = self.rows.iter().map(|r| key(r)).collect();
            self.marked.retain(|m| present.contains(m));
        }
        self.refresh();
        if let Some(kept) = keep
            && let Some(i) = self
                .visible
                .iter()
                .position(|&i| key(&self.rows[i]) == kept)
        {
            self.selected = i;
        }
        self.clamp();
    }

    pub fn visible_rows(&self) -> impl ExactSizeIterator<Item = &StoreRow> {
        self.visible.iter().map(|&i| &*self.rows[i])
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    pub fn all_rows(&self) -> &[Arc<StoreRow>] {
        &self.rows
    }

    pub fn selected_row(&self) -> Option<&StoreRow> {
        self.visible.get(self.selected).map(|&i| &*self.rows[i])
    }

    pub fn find(&self, store: &StoreRef) -> Option<&StoreRow> {
        self.rows
            .iter()
            .find(|r| {
                let s = &r.summary;
                s.name == store.name && s.namespace == store.namespace && s.context == store.context
            })
            .map(|r| &**r)
    }

    pub fn contains(&self, store: &StoreRef) -> bool {
        self.find(store).is_some()
    }

    /// Selects the row of store `name` in the cluster of `context`, if shown.
    pub fn select_name(&mut self, name: &str, context: &str) {
        if let Some(i) = self.visible.iter().position(|&i| {
            let s = &self.rows[i].summary;
            s.name == name && s.context == context
        }) {
            self.selected = i;
        }
    }

    pub fn is_marked(&self, row: &StoreRow) -> bool {
        self.marked.contains(&key(row))
    }

    pub fn marked_count(&self) -> usize {
        self.marked.len()
    }

    /// Marks the selected row, or unmarks it, and moves down (as k9s does).
    pub fn toggle_mark(&mut self) {
        if let Some(row) = self.selected_row() {
            let k = key(row);
            if !self.marked.remove(&k) {
                self.marked.insert(k);
            }
            self.move_by(Motion::Down);
        }
    }

    /// Marks every row the filter shows; if all are marked already, unmarks them.
    pub fn toggle_mark_visible(&mut self) {
        let shown: Vec<StoreRef> = self.visible_rows().map(key).collect();
        if shown.iter().all(|k| self.marked.contains(k)) {
            for k in &shown {
                self.marked.remove(k);
            }
        } else {
            self.marked.extend(shown);
        }
    }

    pub fn clear_marks(&mut self) {
        self.marked.clear();
    }

    /// What a bulk action acts on: the marked rows, or else the selected one.
    pub fn targets(&self) -> Vec<&StoreRow> {
        if self.marked.is_empty() {
            self.selected_row().into_iter().collect()
        } else {
            self.rows
                .iter()
                .filter(|r| self.is_marked(r))
                .map(|r| &**r)
                .collect()
        }
    }

    pub fn move_by(&mut self, motion: Motion) {
        let last = self.visible.len().saturating_sub(1);
        let page = self.page.max(1);
        self.selected = match motion {
            Motion::Up => self.selected.saturating_sub(1),
            Motion::Down => (self.selected + 1).min(last),
            Motion::PageUp => self.selected.saturating_sub(page),
            Motion::PageDown => (self.selected + page).min(last),
            Motion::Top => 0,
            Motion::Bottom => last,
        };
    }

    pub fn next_sort(&mut self) {
        self.sort = match self.sort {
            SortKey::Name => SortKey::Status,
            SortKey::Status => SortKey::Age,
            SortKey::Age => SortKey::Name,
        };
        self.refresh();
    }

    pub fn start_filter(&mut self) {
        self.filter_editing = true;
    }

    pub fn clear_filter(&mut self) {
        self.filter = Input::default();
        self.filter_editing = false;
        self.refresh();
    }

    fn refresh(&mut self) {
        let needle = self.filter.value().to_lowercase();
        let mut visible: Vec<usize> = (0..self.rows.len())
            .filter(|&i| {
                let s = &self.rows[i].summary;
                needle.is_empty()
                    || s.name.contains(&needle)
                    || s.namespace.contains(&needle)
                    || s.context.to_lowercase().contains(&needle)
                    || s.status.as_str().to_lowercase().contains(&needle)
            })
            .collect();
        let rows = &self.rows;
        match self.sort {
            SortKey::Name => visible.sort_by(|&a, &b| {
                let (x, y) = (&rows[a].summary, &rows[b].summary);
                x.name.cmp(&y.name).then_with(|| x.context.cmp(&y.context))
            }),
            SortKey::Status => visible.sort_by(|&a, &b| {
                let (x, y) = (&rows[a].summary, &rows[b].summary);
                y.status
                    .cmp(&x.status)
                    .then_with(|| x.name.cmp(&y.name))
                    .then_with(|| x.context.cmp(&y.context))
            }),
            SortKey::Age => visible.sort_by(|&a, &b| {
                rows[a]
                    .summary
                    .age_seconds
                    .cmp(&rows[b].summary.age_seconds)
            }),
        }
        self.visible = visible;
        self.clamp();
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }
}

fn key(row: &StoreRow) -> StoreRef {
    row.summary.store_ref()
}

/// Keys while the filter line has focus: typing filters live, Enter keeps it, Esc clears.
pub fn filter_action(table: &mut StoreTable, action: Action) -> Vec<Command> {
    match action {
        Action::Type(key) => {
            table
                .filter
                .handle_event(&crossterm::event::Event::Key(key));
            table.selected = 0;
            table.refresh();
        }
        Action::Submit => table.filter_editing = false,
        Action::Back => table.clear_filter(),
        _ => {}
    }
    vec![]
}
