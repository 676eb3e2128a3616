//! The log file: tracing events at the configured level go to `storectl.log` in the
//! platform state directory, never to the terminal (it belongs to the TUI or to output).
//! The file is private to the user (0600, also when it existed with wider rights); when
//! it cannot be written, storectl says so once on stderr and runs without a log.

use std::fs::{File, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};

use super::paths::Paths;
use crate::domain::config::LogLevel;

/// Starts writing the log; keep the guard until exit so buffered lines are flushed.
pub fn init(paths: &Paths, level: LogLevel) -> Option<WorkerGuard> {
    let path = paths.log_file.as_ref()?;
    let file = match open_private(path) {
        Ok(file) => file,
        Err(e) => {
            eprintln!(
                "storectl: warning: cannot write the log file {}: {e}; going on without a log",
                path.display()
            );
            return None;
        }
    };
    // The default queue holds 128,000 lines and is allocated up front (4 MB resident);
    // a thousand lines are plenty for a terminal tool (lines beyond are dropped, not
    // waited for).
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(1000)
        .finish(file);
    let level = match level {
        LogLevel::Trace => tracing::Level::TRACE,
        LogLevel::Debug => tracing::Level::DEBUG,
        LogLevel::Info => tracing::Level::INFO,
        LogLevel::Warn => tracing::Level::WARN,
        LogLevel::Error => tracing::Level::ERROR,
    };
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_max_level(level)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some(guard)
}

/// Opens `path` for appending, created 0600 (its directory 0700), and narrows the rights
/// of a file that existed before.
fn open_private(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(0o600))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_created_private_and_an_existing_one_is_narrowed() {
        let dir = std::env::temp_dir().join(format!("storectl-log-test-{}", std::process::id()));
        let path = dir.join("state").join("storectl.log");
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert!(open_private(&path).is_ok());
        assert_eq!(mode(&path), 0o600);
        std::fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap_or_default();
        assert!(open_private(&path).is_ok());
        assert_eq!(mode(&path), 0o600);
        std::fs::remove_dir_all(&dir).unwrap_or_default();
    }
}
