//! The configuration flags (`-f/--values`, `--set`) and how the binary gathers every layer:
//! the user's values file, the named files, `--set`, and the environment.

use std::path::{Path, PathBuf};

use clap::Args;

use super::paths::Paths;
use crate::domain::config::{self, Config, ConfigError, EnvVars, Sources, ValuesText};

/// `-f/--values` and `--set`, accepted before the subcommand and after it.
#[derive(Debug, Clone, Args, Default)]
pub struct ValuesArgs {
    /// A values file layered over the defaults; repeat it, later files win.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Override one value, e.g. --set global.domain=shops.example.com; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// The same flags without `-f` (for `logs`, where `-f` means follow, as in kubectl).
#[derive(Debug, Args, Default)]
pub struct LongValuesArgs {
    /// A values file layered over the defaults; repeat it, later files win.
    #[arg(long = "values", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Override one value; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

impl From<&LongValuesArgs> for ValuesArgs {
    fn from(v: &LongValuesArgs) -> Self {
        Self {
            files: v.files.clone(),
            sets: v.sets.clone(),
        }
    }
}

impl ValuesArgs {
    /// Reads every layer and builds the configuration: these flags, then `more`'s.
    pub fn load(&self, more: &ValuesArgs, paths: &Paths) -> anyhow::Result<Config> {
        Ok(config::load(&self.sources(more, paths)?)?)
    }

    /// Only the layers given on this command line (`-f` files and `--set`s): what a
    /// change puts on top of a store's recorded configuration.
    pub fn command_layers(&self, more: &ValuesArgs) -> anyhow::Result<Sources> {
        let files = self
            .files
            .iter()
            .chain(&more.files)
            .map(|f| read(f))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sources {
            files,
            sets: self.sets.iter().chain(&more.sets).cloned().collect(),
            ..Sources::default()
        })
    }

    /// Every layer, read into memory.
    pub fn sources(&self, more: &ValuesArgs, paths: &Paths) -> anyhow::Result<Sources> {
        let mut files = Vec::new();
        if let Some(user_file) = paths.values_file.as_deref().filter(|p| p.is_file()) {
            files.push(read(user_file)?);
        }
        for file in self.files.iter().chain(&more.files) {
            files.push(read(file)?);
        }
        Ok(Sources {
            files,
            sets: self.sets.iter().chain(&more.sets).cloned().collect(),
            env: EnvVars::from_lookup(|name| std::env::var(name).ok()),
            form: Vec::new(),
            form_origin: None,
        })
    }
}

fn read(path: &Path) -> Result<ValuesText, ConfigError> {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(ValuesText::new(name, text)),
        Err(e) => Err(ConfigError::Unreadable {
            path: name,
            why: e.to_string(),
        }),
    }
}
