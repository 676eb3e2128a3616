//! The command line's definitions (clap): the global flags, one subcommand each, their
//! arguments (what each is as a verb: `verbs.rs`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use super::serve::ServeArgs;
use super::values;
use crate::domain::config::parse_duration;

/// `storectl --version`: the crate's version and the commit it was built from (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("STORECTL_GIT_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "storectl",
    version = VERSION,
    about = "Provision, watch and delete isolated WooCommerce stores on Kubernetes",
    long_about = "Provision, watch and delete isolated WooCommerce stores on Kubernetes.\n\n\
        Without a subcommand, on a terminal, storectl opens its terminal UI."
)]
pub struct Cli {
    #[command(flatten)]
    pub values: values::ValuesArgs,

    /// Path of the kubeconfig (default: KUBECONFIG, then ~/.kube/config).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use (default: its current context). Give it more than
    /// once to see several clusters as one fleet: the terminal UI, list (a CONTEXT
    /// column, `context` in JSON), status (the store in whichever cluster has it) and
    /// serve. Every other command acts in one cluster and refuses several.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Vec<String>,

    /// Every context of the kubeconfig, in its order, as one fleet (the terminal UI,
    /// list, status, serve), as if each were given with --context.
    #[arg(long, global = true, conflicts_with = "context")]
    pub all_contexts: bool,

    /// Print where storectl reads its configuration and writes its log, then exit.
    #[arg(long)]
    pub print_paths: bool,

    /// Remove every verb that changes something (create, delete, pause, resume, upgrade,
    /// rollback, backup, restore, clone, mail-test) from the terminal UI, `serve`'s API and the
    /// subcommands.
    #[arg(long)]
    pub readonly: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a store's objects as YAML, in apply order, without contacting a cluster.
    Render(RenderArgs),
    /// Create a store (or complete a half-made one).
    Create(StartArgs),
    /// Delete a store and everything it owns, including its data volumes.
    Delete(DeleteArgs),
    /// List stores with their status.
    List(ListArgs),
    /// Show one store's status and objects.
    Status(OneStoreArgs),
    /// Scale a store to zero, keeping every volume and secret (status Paused).
    Pause(PauseArgs),
    /// Start a paused store again.
    Resume(StartArgs),
    /// Show what `upgrade` would change in a store, field by field, drift included
    /// (exit 0: nothing; 1: something).
    Diff(OneStoreArgs),
    /// Upgrade stores from their recorded configuration plus -f/--set: canary first,
    /// then in waves; re-running the same command resumes.
    Upgrade(UpgradeArgs),
    /// Take a store back to a recorded revision (default: the one before the latest).
    Rollback(RollbackArgs),
    /// Back a store up: MySQL (--single-transaction) and wp-content, with checksums, to
    /// the backup target.
    Backup(BackupArgs),
    /// List a store's backups (also of a deleted store): id, time, size, status, where.
    Backups(OneStoreArgs),
    /// Replace a store's database and wp-content with one of its backups.
    Restore(RestoreArgs),
    /// A new store from another store's backup, its URLs rewritten to the new host.
    Clone(CloneArgs),
    /// List a store's recorded revisions: when, who, which storectl, what changed.
    History(OneStoreArgs),
    /// Send one message from a store, as it sends mail (its SMTP settings, mail.*), and
    /// print the SMTP server's answer (exit 1 when the server refused it).
    MailTest(MailTestArgs),
    /// Print the logs of a store's component.
    Logs(LogsArgs),
    /// Print the Kubernetes events of a store (Warnings first).
    Events(OneStoreArgs),
    /// Serve the REST API of the original orchestrator (/api/stores, /health), with
    /// events, metrics and an OpenAPI document, from live watches.
    Serve(ServeArgs),
    /// Print shell completions: storectl completions bash > /etc/bash_completion.d/storectl
    Completions {
        #[arg(value_enum)]
        shell: ShellArg,
    },
    /// Print the manual page (roff): storectl man > /usr/local/share/man/man1/storectl.1
    Man,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    /// The store name (lowercase letters, digits and '-', starting with a letter).
    pub name: String,
    /// Generate and print real secret values instead of placeholders.
    #[arg(long)]
    pub show_secrets: bool,
}

/// `--wait [--timeout D]` of the commands that start a store.
#[derive(Debug, Args)]
pub struct UntilReady {
    /// Wait until the store is Ready (exit 0) or Failed (exit 1), printing progress.
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits, e.g. 90s, 10m.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

/// A store to start (`create`, `resume`) and whether to wait until it is Ready.
#[derive(Debug, Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    /// The store name (lowercase letters, digits and '-', starting with a letter).
    pub name: String,
    #[command(flatten)]
    pub until: UntilReady,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    pub name: String,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Wait until nothing of the store remains.
    #[arg(long)]
    pub wait: bool,
    /// Also remove the store's backups (kept by default: they outlive the store).
    #[arg(long)]
    pub delete_backups: bool,
    /// How long --wait waits.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["names", "all", "selector"])))]
pub struct UpgradeArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    /// The stores to upgrade.
    pub names: Vec<String>,
    /// Every store.
    #[arg(long, conflicts_with_all = ["names", "selector"])]
    pub all: bool,
    /// The stores whose objects match this label selector, e.g. tier=gold.
    #[arg(short = 'l', long, value_name = "SELECTOR", conflicts_with = "names")]
    pub selector: Option<String>,
    /// Stores per wave after the canary.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub wave_size: u16,
    /// Stop once more than this many stores have failed.
    #[arg(long, default_value_t = 0)]
    pub max_failures: usize,
    /// Show the plan (stores, waves, what changes) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask on a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub until: UntilReady,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    pub name: String,
    /// Wait until the backup is complete (exit 0) or failed (exit 1).
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits.
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    pub name: String,
    /// The backup's id (storectl backups NAME).
    #[arg(long = "from", value_name = "ID")]
    pub from: String,
    /// Do not ask for the store name to be typed (required without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub until: UntilReady,
}

#[derive(Debug, Args)]
pub struct CloneArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    /// The store whose backup is cloned (it may have been deleted).
    pub source: String,
    /// The new store.
    pub target: String,
    /// The backup's id (default: SOURCE's latest complete backup).
    #[arg(long = "from", value_name = "ID")]
    pub from: Option<String>,
    #[command(flatten)]
    pub until: UntilReady,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    pub name: String,
    /// The revision to go back to (see storectl history).
    #[arg(long = "to", value_name = "REVISION")]
    pub to: Option<u32>,
    #[command(flatten)]
    pub until: UntilReady,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    pub name: String,
}

/// `mail-test NAME --to ADDRESS`.
#[derive(Debug, Args)]
pub struct MailTestArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    /// The store name.
    pub name: String,
    /// Where the test message goes.
    #[arg(long, value_name = "ADDRESS")]
    pub to: String,
}

/// A store name and an output format: the commands that show one store.
#[derive(Debug, Args)]
pub struct OneStoreArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    pub name: String,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Keep running and print a line for every status change.
    #[arg(long, short = 'w')]
    pub watch: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ComponentArg {
    Wordpress,
    Mysql,
    Setup,
    Backup,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    #[command(flatten)]
    pub values: values::LongValuesArgs,
    pub name: String,
    #[arg(long, short = 'c', value_enum, default_value_t = ComponentArg::Wordpress)]
    pub component: ComponentArg,
    /// Keep streaming new lines.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// The previous (crashed) container's logs.
    #[arg(long, short = 'p')]
    pub previous: bool,
    /// Only the last N lines.
    #[arg(long)]
    pub tail: Option<i64>,
    /// Prefix each line with its timestamp.
    #[arg(long)]
    pub timestamps: bool,
}
