//! The command line: argument definitions (clap) and dispatch to the headless commands
//! or the terminal UI. Each command lives in its own module.

mod backup;
mod create;
mod delete;
mod diff;
mod exit;
mod find;
mod history;
mod inspect;
mod list;
mod logging;
mod output;
mod paths;
mod pause;
mod render;
mod serve;
mod shell;
mod upgrade;
mod values;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cluster::connect::{ConnectOptions, Connection};
use crate::domain::config::parse_duration;
use crate::domain::name::StoreName;
pub use exit::{CliError, exit_code, speaks_for_itself};

#[derive(Debug, Parser)]
#[command(
    name = "storectl",
    version,
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

    /// The kubeconfig context to use (default: its current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Print where storectl reads its configuration and writes its log, then exit.
    #[arg(long)]
    pub print_paths: bool,

    /// Terminal UI (and `serve`'s API) without create and delete.
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

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    /// Address and port to listen on (0.0.0.0:8080 for every interface).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// Accept the bearer tokens in FILE (one a line; reread when it changes).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cluster_auth", "insecure_no_auth"])]
    pub token_file: Option<PathBuf>,
    /// Let the cluster decide: tokens checked by TokenReview, each action by
    /// SubjectAccessReview on the resource stores.storectl.io.
    #[arg(long, conflicts_with = "insecure_no_auth")]
    pub cluster_auth: bool,
    /// Serve without authentication (only on a loopback address).
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Let browsers on this origin call the API (CORS), e.g. https://dashboard.example.com;
    /// repeatable; '*' for any (not with --insecure-no-auth).
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// With --cluster-auth: the audience callers' tokens must be issued for (e.g.
    /// kubectl create token SA --audience storectl).
    #[arg(long, default_value = "storectl", value_name = "AUDIENCE")]
    pub token_audience: String,
    /// A domain stores may be created under through the API (repeatable; the first is
    /// the default); without it, only the configured global.domain.
    #[arg(long = "allowed-domain", value_name = "DOMAIN")]
    pub allowed_domains: Vec<String>,
    /// Connections open at once; more are closed as soon as they are accepted.
    #[arg(long, default_value_t = 1024, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub max_connections: u32,
    /// Serve plain HTTP on a non-loopback address (bearer tokens then cross the network
    /// in clear text); without it, such an address needs --tls-cert and --tls-key.
    #[arg(long)]
    pub insecure_plaintext: bool,
}

impl Cli {
    fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            no_watch_list: std::env::var_os("STORECTL_NO_WATCH_LIST").is_some_and(|v| v == "1"),
        }
    }
}

/// No subcommand: the terminal UI, on a terminal only.
async fn terminal_ui(cli: &Cli, paths: &paths::Paths) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::NoTerminalUi.into());
    }
    let sources = cli.values.sources(&values::ValuesArgs::default(), paths)?;
    let config = crate::domain::config::load(&sources)?;
    let _log = logging::init(paths, config.log_level);
    let conn = Connection::open(&cli.connect_options()).await?;
    crate::tui::run(
        conn,
        crate::tui::Options {
            config,
            sources,
            readonly: cli.readonly,
            connect: cli.connect_options(),
        },
    )
    .await
}

/// Opens the connection and says once, on stderr, when the server's version is outside
/// what storectl supports (a server that does not answer is left to the command).
async fn connect(
    options: &ConnectOptions,
) -> Result<Connection, crate::cluster::error::ClusterError> {
    let conn = Connection::open(options).await?;
    if let Ok(version) = conn.server_version().await
        && let Some(warning) = version.warning()
    {
        eprintln!("storectl: warning: {warning}");
    }
    Ok(conn)
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let paths = paths::Paths::discover();
    if cli.print_paths {
        print!("{}", paths.describe());
        return Ok(());
    }
    let Some(command) = &cli.command else {
        return terminal_ui(&cli, &paths).await;
    };
    // Generated from the definitions alone: no configuration, no log, no cluster.
    match command {
        Command::Completions { shell } => return shell::completions(*shell),
        Command::Man => return shell::man(),
        _ => {}
    }
    let more = match command {
        Command::Render(a) => &a.values,
        Command::Create(a) => &a.values,
        Command::Delete(a) => &a.values,
        Command::Pause(a) => &a.values,
        Command::History(a) => &a.values,
        Command::Diff(a) => &a.values,
        Command::Upgrade(a) => &a.values,
        Command::Rollback(a) => &a.values,
        Command::Backup(a) => &a.values,
        Command::Backups(a) => &a.values,
        Command::Restore(a) => &a.values,
        Command::Clone(a) => &a.values,
        Command::Resume(a) => &a.values,
        Command::List(a) => &a.values,
        Command::Status(a) => &a.values,
        Command::Events(a) => &a.values,
        Command::Logs(a) => &values::ValuesArgs::from(&a.values),
        Command::Serve(a) => &a.values,
        Command::Completions { .. } | Command::Man => &values::ValuesArgs::default(),
    };
    let config = cli.values.load(more, &paths)?;
    let _log = logging::init(&paths, config.log_level);
    // Names and configuration are checked before any API call.
    let name = |raw: &str| StoreName::parse_for(raw, &config);
    let options = cli.connect_options();
    let connect = || connect(&options);
    // This run's configuration without the command's own -f/--set: what a store without
    // a recorded revision is taken to have.
    let base = || values::ValuesArgs::default().load(&values::ValuesArgs::default(), &paths);
    match command {
        Command::Render(args) => render::run(args, &config),
        Command::List(args) => list::run(&connect().await?, args, &config).await,
        Command::Create(args) => {
            let store = name(&args.name)?;
            create::run(&connect().await?, args, &config, &store).await
        }
        Command::Delete(args) => {
            let store = name(&args.name)?;
            delete::run(&connect().await?, args, &config, &store).await
        }
        Command::Diff(args) => {
            let store = name(&args.name)?;
            let layers = cli.values.command_layers(&args.values)?;
            diff::run(&connect().await?, args, &layers, &base()?, &store).await
        }
        Command::Upgrade(args) => {
            let layers = cli.values.command_layers(&args.values)?;
            upgrade::upgrade(&connect().await?, args, &layers, &base()?, &config).await
        }
        Command::Rollback(args) => {
            let store = name(&args.name)?;
            upgrade::rollback(&connect().await?, args, &config, &store).await
        }
        Command::Backup(args) => {
            let store = name(&args.name)?;
            backup::backup(&connect().await?, args, &config, &store).await
        }
        Command::Backups(args) => {
            let store = name(&args.name)?;
            backup::list(&connect().await?, args, &config, &store).await
        }
        Command::Restore(args) => {
            let store = name(&args.name)?;
            backup::restore(&connect().await?, args, &config, &store).await
        }
        Command::Clone(args) => {
            let (source, target) = (name(&args.source)?, name(&args.target)?);
            backup::clone(&connect().await?, args, &config, &source, &target).await
        }
        Command::History(args) => {
            let store = name(&args.name)?;
            history::run(&connect().await?, args, &config, &store).await
        }
        Command::Pause(args) => {
            let store = name(&args.name)?;
            pause::pause(&connect().await?, &config, &store).await
        }
        Command::Resume(args) => {
            let store = name(&args.name)?;
            pause::resume(&connect().await?, args, &config, &store).await
        }
        Command::Status(args) => {
            let store = name(&args.name)?;
            list::status(&connect().await?, args, &config, &store).await
        }
        Command::Logs(args) => {
            let store = name(&args.name)?;
            inspect::logs(&connect().await?, args, &store).await
        }
        Command::Events(args) => {
            let store = name(&args.name)?;
            inspect::events(&connect().await?, args, &config, &store).await
        }
        Command::Serve(args) => {
            let options = serve::options(args, cli.readonly)?;
            let sources = cli.values.sources(&args.values, &paths)?;
            crate::serve::run(connect().await?, config, sources, options).await
        }
        Command::Completions { .. } | Command::Man => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
