//! The operations layer, one module per verb (helm's `pkg/action`): each owns its
//! preconditions (the pure rules of `domain::verb`), how it is put together from the
//! cluster layer, and the result every front end renders. The CLI, the TUI's effects and
//! the API only parse, confirm and display. Whether a verb changes anything, and so what
//! `--readonly` removes, is `domain::verb::Verb::mutates`.

pub mod backup;
pub mod clone;
pub mod create;
pub mod delete;
pub mod diff;
pub mod error;
pub mod find;
pub mod forget;
pub mod history;
pub mod mail_test;
pub mod pause;
pub mod restore;
pub mod rollback;
pub mod upgrade;
pub mod wait;

pub use error::{Error, Kind};

#[cfg(test)]
mod tests;

use crate::domain::config::Config;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;
use crate::domain::name::{NameError, StoreName};

/// The layout of a store seen on the cluster (its name checked as a store name).
pub fn layout_of(store: &StoreObjects, config: &Config) -> Result<StoreLayout, NameError> {
    let name = StoreName::parse(&store.name, "")?;
    Ok(StoreLayout::found(&name, &store.namespace_name, config))
}
