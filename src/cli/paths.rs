//! Where storectl keeps its files: the user's values file in the platform configuration
//! directory and the log file in the platform state directory.

use std::fmt::Write as _;
use std::path::PathBuf;

use directories::ProjectDirs;

#[derive(Debug, Clone)]
pub struct Paths {
    /// `values.yaml` in the configuration directory, applied after the built-in defaults.
    pub values_file: Option<PathBuf>,
    /// The log file of the terminal UI and commands.
    pub log_file: Option<PathBuf>,
}

impl Paths {
    pub fn discover() -> Self {
        let dirs = ProjectDirs::from("", "", "storectl");
        Self {
            values_file: dirs.as_ref().map(|d| d.config_dir().join("values.yaml")),
            log_file: dirs.as_ref().map(|d| {
                d.state_dir()
                    .unwrap_or_else(|| d.data_local_dir())
                    .join("storectl.log")
            }),
        }
    }

    pub fn describe(&self) -> String {
        let show = |p: &Option<PathBuf>| {
            p.as_ref().map_or_else(
                || "(no home directory)".to_string(),
                |p| p.display().to_string(),
            )
        };
        let mut out = String::new();
        let _ = writeln!(out, "config: {}", show(&self.values_file));
        let _ = writeln!(out, "log:    {}", show(&self.log_file));
        out
    }
}
