//! The result a finished backup script writes as its container's termination message,
//! written by the simulator in its place (it runs no script), so the control plane
//! carries what a real backup reports: its id (made from the start time when the Job
//! names none, as a scheduled run's is), a size and a SHA-256, and the backups its
//! retention removed. The simulated target is the succeeded backup pods themselves:
//! each added its id and removed the ids it pruned.
//!
//! A backup container is recognised by the variables storectl's backup Job sets:
//! `STORE`, `BACKUP_ID` (empty for a scheduled run), `KEEP` and `S3_BUCKET`. Size and
//! checksum are derived from the pod's namespace and name (the same on every
//! recomputation, so nothing is written twice); the database schema versions, which the
//! script reads from the database, are reported empty.

use std::collections::{BTreeSet, HashMap};

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::jiff::Timestamp;

/// The complete backups on the simulated target, per `namespace/store`.
pub type Backups = HashMap<String, BTreeSet<String>>;

/// What a backup container was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRun {
    store: String,
    id: String,
    keep: usize,
    bucket: String,
    prefix: String,
}

/// The backup the container runs, if it is one of storectl's backup scripts.
pub fn backup_run(c: &Container) -> Option<BackupRun> {
    let var = |name: &str| {
        c.env
            .iter()
            .flatten()
            .find(|e| e.name == name)
            .map(|e| e.value.clone().unwrap_or_default())
    };
    Some(BackupRun {
        store: var("STORE").filter(|s| !s.is_empty())?,
        id: var("BACKUP_ID")?,
        keep: var("KEEP")?.parse().ok()?,
        bucket: var("S3_BUCKET").filter(|b| !b.is_empty())?,
        prefix: var("S3_PREFIX").unwrap_or_default(),
    })
}

impl BackupRun {
    /// The script's result line for the container of pod `namespace/pod` started at
    /// `start`, with the target holding `held` for the store.
    pub fn result(
        &self,
        namespace: &str,
        pod: &str,
        start: Timestamp,
        held: Option<&BTreeSet<String>>,
    ) -> String {
        let id = if self.id.is_empty() {
            start.strftime("%Y%m%d-%H%M%S").to_string()
        } else {
            self.id.clone()
        };
        let mut ids: BTreeSet<String> = held.cloned().unwrap_or_default();
        ids.insert(id.clone());
        let over = if self.keep == 0 {
            0
        } else {
            ids.len().saturating_sub(self.keep)
        };
        let pruned: Vec<String> = ids.iter().take(over).map(|i| format!("\"{i}\"")).collect();
        let seed = format!("{namespace}/{pod}");
        let size = 100_000 + fnv(&seed, 0) % 9_900_000;
        let sha256: String = (1..=4).map(|i| format!("{:016x}", fnv(&seed, i))).collect();
        format!(
            "{{\"id\":\"{id}\",\"size\":{size},\"sha256\":\"{sha256}\",\"wordpress_db_version\":\"\",\"location\":\"{}/{}{}/{id}/\",\"pruned\":[{}]}}\n",
            self.bucket,
            self.prefix,
            self.store,
            pruned.join(",")
        )
    }

    /// The key of the store's backups in [`Backups`].
    pub fn key(&self, namespace: &str) -> String {
        format!("{namespace}/{}", self.store)
    }
}

/// FNV-1a of `text` seeded with `round`.
fn fnv(text: &str, round: u64) -> u64 {
    text.bytes()
        .chain(round.to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// The complete backups the succeeded backup pods left on the simulated target: in the
/// order of their ids, each adds its own and removes those it pruned.
pub fn on_target<'a>(pods: impl Iterator<Item = &'a Pod>) -> Backups {
    let mut results: Vec<(String, String, Vec<String>)> = Vec::new();
    for pod in pods {
        let status = pod.status.as_ref();
        if status.and_then(|s| s.phase.as_deref()) != Some("Succeeded") {
            continue;
        }
        let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
        let Some(spec) = pod.spec.as_ref() else {
            continue;
        };
        for (c, s) in spec.containers.iter().zip(
            status
                .and_then(|s| s.container_statuses.as_ref())
                .into_iter()
                .flatten(),
        ) {
            let Some(run) = backup_run(c) else {
                continue;
            };
            let message = s
                .state
                .as_ref()
                .and_then(|st| st.terminated.as_ref())
                .and_then(|t| t.message.as_deref());
            let Some(parsed) =
                message.and_then(|m| serde_json::from_str::<serde_json::Value>(m.trim()).ok())
            else {
                continue;
            };
            let id = parsed["id"].as_str().unwrap_or_default().to_string();
            let pruned = parsed["pruned"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect();
            results.push((run.key(namespace), id, pruned));
        }
    }
    results.sort_by(|a, b| a.1.cmp(&b.1));
    let mut backups = Backups::new();
    for (key, id, pruned) in results {
        let held = backups.entry(key).or_default();
        held.insert(id);
        for p in pruned {
            held.remove(&p);
        }
    }
    backups
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::EnvVar;

    use super::*;

    fn backup(id: &str, keep: &str) -> Container {
        let env = [
            ("STORE", "shop"),
            ("BACKUP_ID", id),
            ("KEEP", keep),
            ("S3_BUCKET", "backups-shop"),
            ("S3_PREFIX", "stores/"),
        ]
        .into_iter()
        .map(|(name, value)| EnvVar {
            name: name.into(),
            value: Some(value.into()),
            ..EnvVar::default()
        })
        .collect();
        Container {
            name: "backup".into(),
            env: Some(env),
            ..Container::default()
        }
    }

    fn parsed(line: &str) -> serde_json::Value {
        serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    #[test]
    fn a_backup_reports_its_id_size_checksum_and_what_its_retention_removed() {
        let start = Timestamp::from_second(1_800_000_000).unwrap_or_else(|e| panic!("{e}"));
        let run = backup_run(&backup("20261126-101500", "2")).unwrap_or_else(|| panic!("a backup"));
        let held: BTreeSet<String> = ["20261126-081500", "20261126-091500"]
            .into_iter()
            .map(String::from)
            .collect();
        let line = run.result("store-shop", "shop-backup-1-abcde", start, Some(&held));
        let result = parsed(&line);
        assert_eq!(result["id"], "20261126-101500");
        assert_eq!(
            result["location"],
            "backups-shop/stores/shop/20261126-101500/"
        );
        assert_eq!(result["pruned"], serde_json::json!(["20261126-081500"]));
        let size = result["size"].as_u64().unwrap_or_default();
        assert!((100_000..10_000_000).contains(&size), "{line}");
        let sha = result["sha256"].as_str().unwrap_or_default();
        assert!(
            sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()),
            "{line}"
        );
        // The same pod gives the same line; another pod another checksum.
        assert_eq!(
            run.result("store-shop", "shop-backup-1-abcde", start, Some(&held)),
            line
        );
        let other = parsed(&run.result("store-shop", "shop-backup-2-fghij", start, Some(&held)));
        assert_ne!(other["sha256"], result["sha256"]);
        // KEEP=0 keeps all; a scheduled run (no id) is named by its start, as the script does.
        let all = backup_run(&backup("", "0")).unwrap_or_else(|| panic!("a backup"));
        let result = parsed(&all.result("ns", "p", start, Some(&held)));
        assert_eq!(result["id"], "20270115-080000");
        assert_eq!(result["pruned"], serde_json::json!([]));
        // Not a backup: the restore and setup containers.
        let mut restore = backup("20261126-101500", "2");
        if let Some(env) = restore.env.as_mut() {
            env.retain(|v| v.name != "KEEP");
        }
        assert_eq!(backup_run(&restore), None);
    }
}
