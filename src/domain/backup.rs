//! Backups of a store: the scripts the backup and restore Jobs run (one source,
//! `assets/backup/`, put together here and rendered into the Jobs; the tests run the same
//! text against a real MariaDB and a real S3 server), and backup ids.

/// The backup Job's script: `sh -c BACKUP_SCRIPT`.
pub const BACKUP_SCRIPT: &str = concat!(
    include_str!("../../assets/backup/common.sh"),
    "\n",
    include_str!("../../assets/backup/backup.sh")
);

/// The restore Job's script: `sh -c RESTORE_SCRIPT`.
pub const RESTORE_SCRIPT: &str = concat!(
    include_str!("../../assets/backup/common.sh"),
    "\n",
    include_str!("../../assets/backup/restore.sh")
);

/// A backup id: its UTC time to the second, `20261126-101500` (sorts by age).
pub fn new_id(now: k8s_openapi::jiff::Timestamp) -> String {
    now.strftime("%Y%m%d-%H%M%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings, failure reporting and S3 requests shared by both scripts.
    const COMMON: &str = include_str!("../../assets/backup/common.sh");

    #[test]
    fn both_scripts_start_with_the_shared_part_and_ids_sort_by_time() {
        assert!(BACKUP_SCRIPT.starts_with(COMMON));
        assert!(RESTORE_SCRIPT.starts_with(COMMON));
        assert!(BACKUP_SCRIPT.contains("--single-transaction"));
        let id = new_id(
            "2026-11-26T10:15:00Z"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(id, "20261126-101500");
    }
}
