//! What a rollout would do, store by store and wave by wave: what `upgrade --dry-run`
//! prints, what `upgrade` asks about, and what the terminal UI shows before it starts.

use serde::Serialize;

use super::rollout::{Options, Planned};
use crate::domain::upgrade::{
    KeyChange, MOVES_CORE_TO_THE_IMAGE, moves_core_to_the_image, summary, waves,
};

/// One store's line of the plan.
#[derive(Debug, Serialize)]
pub struct PlannedStore {
    pub name: String,
    pub namespace: String,
    /// The latest revision (None: none recorded yet; one is recorded first).
    pub revision: Option<u32>,
    /// skip (at its target), upgrade, or refused.
    pub action: &'static str,
    /// Why it is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub changes: Vec<KeyChange>,
    /// `Kind/name` of each object that changes.
    pub objects: Vec<String>,
    /// What the changes mean beyond their fields (`MOVES_CORE_TO_THE_IMAGE`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<&'static str>,
}

/// What a rollout would do.
#[derive(Debug, Serialize)]
pub struct Plan {
    pub stores: Vec<PlannedStore>,
    /// The stores to upgrade, wave by wave (the first is the canary).
    pub waves: Vec<Vec<String>>,
    pub wave_size: usize,
    pub max_failures: usize,
}

impl Plan {
    pub fn of(planned: &[Planned], options: &Options) -> Self {
        let stores: Vec<PlannedStore> = planned
            .iter()
            .map(|p| {
                let mut notes = Vec::new();
                let (action, reason, objects) = match &p.check {
                    _ if p.done(&options.rules) => ("skip", None, Vec::new()),
                    Ok(prepared) => {
                        if moves_core_to_the_image(&prepared.changes) {
                            notes.push(MOVES_CORE_TO_THE_IMAGE);
                        }
                        let objects = prepared.changes.iter().map(|c| c.object.clone());
                        ("upgrade", None, objects.collect())
                    }
                    Err(e) => ("refused", Some(e.to_string()), Vec::new()),
                };
                PlannedStore {
                    name: p.target.name().to_string(),
                    namespace: p.target.layout.namespace.clone(),
                    revision: p.target.from_revision,
                    action,
                    reason,
                    changes: p.target.key_changes(),
                    objects,
                    notes,
                }
            })
            .collect();
        let upgrading: Vec<String> = stores
            .iter()
            .filter(|s| s.action == "upgrade")
            .map(|s| s.name.clone())
            .collect();
        Self {
            waves: waves(&upgrading, options.wave_size),
            wave_size: options.wave_size,
            stores,
            max_failures: options.max_failures,
        }
    }

    pub fn to_upgrade(&self) -> usize {
        self.waves.iter().map(Vec::len).sum()
    }

    pub fn refused(&self) -> usize {
        self.stores.iter().filter(|s| s.action == "refused").count()
    }

    pub fn describe(&self) -> String {
        let mut out = String::new();
        for s in &self.stores {
            let from = s.revision.map_or_else(
                || "no revision yet".to_string(),
                |r| format!("revision {r}"),
            );
            match s.action {
                "skip" => out.push_str(&format!("{}: at its target ({from}); skipped\n", s.name)),
                "refused" => out.push_str(&format!(
                    "{}: refused: {}\n",
                    s.name,
                    s.reason.as_deref().unwrap_or_default()
                )),
                _ => {
                    let changes = if s.changes.is_empty() {
                        "no configuration change".to_string()
                    } else {
                        summary(&s.changes)
                    };
                    out.push_str(&format!(
                        "{}: {from} -> next; {changes}; {} object(s) change{}{}\n",
                        s.name,
                        s.objects.len(),
                        if s.objects.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", s.objects.join(", "))
                        },
                        s.notes.iter().map(|n| format!("; {n}")).collect::<String>()
                    ));
                }
            }
        }
        let count = self.to_upgrade();
        if count == 1 {
            out.push_str("plan: 1 store\n");
        } else if count > 1 {
            out.push_str(&format!(
                "plan: {count} store(s) in {} wave(s): {} first (canary), then waves of up to {}; stop after more than {} failure(s)\n",
                self.waves.len(),
                self.waves[0][0],
                self.wave_size,
                self.max_failures
            ));
        }
        out
    }
}
