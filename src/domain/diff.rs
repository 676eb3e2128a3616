//! What applying a store's objects would change, as data: each object that would change
//! and its fields with both values. `cluster::diff` finds them; `storectl diff`, the
//! upgrade plan and the terminal UI's drift view show them.

use serde::Serialize;
use serde_json::Value;

/// One object that would change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectDiff {
    /// `Kind/name`.
    pub object: String,
    /// `create` (it does not exist) or `update`.
    pub change: &'static str,
    pub fields: Vec<FieldChange>,
}

/// One field: its path (`spec.template.spec.containers[0].image`) and both values
/// (null where absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub path: String,
    pub from: Value,
    pub to: Value,
}
