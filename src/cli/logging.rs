//! The log file: tracing events at the configured level go to `storectl.log` in the
//! platform state directory, never to the terminal (it belongs to the TUI or to output).

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};

use super::paths::Paths;
use crate::domain::config::LogLevel;

/// Starts writing the log; keep the guard until exit so buffered lines are flushed.
/// Without a writable state directory storectl runs without a log.
pub fn init(paths: &Paths, level: LogLevel) -> Option<WorkerGuard> {
    let file = paths.log_file.as_ref()?;
    let dir = file.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let appender = tracing_appender::rolling::never(dir, file.file_name()?);
    // The default queue holds 128,000 lines and is allocated up front (4 MB resident);
    // a thousand lines are plenty for a terminal tool (lines beyond are dropped, not
    // waited for).
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(1000)
        .finish(appender);
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
