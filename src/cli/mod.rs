//! The command line: argument definitions (clap) and dispatch to the headless commands
//! or the terminal UI. Each command lives in its own module.

mod args;
mod backup;
mod create;
mod delete;
mod diff;
mod exit;
mod find;
mod fleet;
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
mod verbs;
mod version_check;
mod watch;

use crate::cluster::connect::{ConnectOptions, Connection};
use crate::domain::name::StoreName;
pub use args::*;
pub use exit::{CliError, exit_code, speaks_for_itself};
use version_check::VersionCheck;

/// No subcommand: the terminal UI, on a terminal only.
async fn terminal_ui(cli: &Cli, paths: &paths::Paths) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::NoTerminalUi.into());
    }
    let sources = cli.values.sources(&values::ValuesArgs::default(), paths)?;
    let config = crate::domain::config::load(&sources)?;
    let _log = logging::init(paths, config.log_level);
    let conns = crate::cluster::fleet::open(&cli.connect_options(), &cli.clusters()).await?;
    crate::tui::run(
        conns,
        crate::tui::Options {
            config,
            sources,
            readonly: cli.readonly,
            connect: cli.connect_options(),
        },
    )
    .await
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
    command
        .verb()
        .map_or(Ok(()), |verb| verb.allowed(cli.readonly))?;
    if cli.clusters().several() && !command.spans_clusters() {
        return Err(CliError::OneCluster.into());
    }
    let config = cli.values.load(&command.values(), &paths)?;
    let _log = logging::init(&paths, config.log_level);
    let context = Context {
        cli: &cli,
        paths: &paths,
        options: cli.connect_options(),
        version_check: VersionCheck::default(),
    };
    let done = if command.verb().is_some_and(|verb| verb.mutates()) {
        change(&context, command, config).await
    } else {
        read(&context, command, config).await
    };
    context.version_check.finish().await;
    done
}

/// What every command's run shares.
struct Context<'a> {
    cli: &'a Cli,
    paths: &'a paths::Paths,
    options: ConnectOptions,
    version_check: VersionCheck,
}

impl Context<'_> {
    /// Opens the connection; whether the server's version is one storectl supports is
    /// asked meanwhile (a server that does not answer is left to the command).
    async fn connect(&self) -> Result<Connection, crate::cluster::error::ClusterError> {
        let conn = Connection::open(&self.options).await?;
        self.version_check.start(&conn);
        Ok(conn)
    }

    /// A connection to each cluster asked for, when several are (`--context` more than
    /// once, or `--all-contexts`); None for one cluster.
    async fn clusters(
        &self,
    ) -> Result<Option<Vec<Connection>>, crate::cluster::error::ClusterError> {
        let clusters = self.cli.clusters();
        if !clusters.several() {
            return Ok(None);
        }
        crate::cluster::fleet::open(&self.options, &clusters)
            .await
            .map(Some)
    }

    /// This run's configuration without the command's own -f/--set: what a store without
    /// a recorded revision is taken to have.
    fn base(&self) -> anyhow::Result<crate::domain::config::Config> {
        values::ValuesArgs::default().load(&values::ValuesArgs::default(), self.paths)
    }
}

/// The commands that change something (their names and configuration checked before
/// any API call).
async fn change(
    context: &Context<'_>,
    command: &Command,
    config: crate::domain::config::Config,
) -> anyhow::Result<()> {
    let name = |raw: &str| StoreName::parse_for(raw, &config);
    match command {
        Command::Create(args) => {
            let store = name(&args.name)?;
            create::run(&context.connect().await?, args, &config, &store).await
        }
        Command::Delete(args) => {
            let store = name(&args.name)?;
            delete::run(&context.connect().await?, args, &config, &store).await
        }
        Command::Upgrade(args) => {
            let layers = context.cli.values.command_layers(&args.values)?;
            let (conn, base) = (context.connect().await?, context.base()?);
            upgrade::upgrade(&conn, args, &layers, &base, &config).await
        }
        Command::Rollback(args) => {
            let store = name(&args.name)?;
            upgrade::rollback(&context.connect().await?, args, &config, &store).await
        }
        Command::Backup(args) => {
            let store = name(&args.name)?;
            backup::backup(&context.connect().await?, args, &config, &store).await
        }
        Command::Restore(args) => {
            let store = name(&args.name)?;
            backup::restore(&context.connect().await?, args, &config, &store).await
        }
        Command::Clone(args) => {
            let (source, target) = (name(&args.source)?, name(&args.target)?);
            backup::clone(&context.connect().await?, args, &config, &source, &target).await
        }
        Command::MailTest(args) => {
            let store = name(&args.name)?;
            let conn = context.connect().await?;
            let test = crate::ops::mail_test::run(&conn, &store, &config, &args.to).await?;
            println!("{}", test.clone().accepted()?.summary());
            Ok(())
        }
        Command::Pause(args) => {
            let store = name(&args.name)?;
            pause::pause(&context.connect().await?, &config, &store).await
        }
        Command::Resume(args) => {
            let store = name(&args.name)?;
            pause::resume(&context.connect().await?, args, &config, &store).await
        }
        _ => read(context, command, config).await,
    }
}

/// The commands that change nothing.
async fn read(
    context: &Context<'_>,
    command: &Command,
    config: crate::domain::config::Config,
) -> anyhow::Result<()> {
    let name = |raw: &str| StoreName::parse_for(raw, &config);
    match command {
        Command::Render(args) => render::run(args, &config),
        Command::List(args) => match context.clusters().await? {
            Some(conns) => fleet::list(&conns, args, &config).await,
            None => list::run(&context.connect().await?, args, &config).await,
        },
        Command::Diff(args) => {
            let store = name(&args.name)?;
            let layers = context.cli.values.command_layers(&args.values)?;
            let (conn, base) = (context.connect().await?, context.base()?);
            diff::run(&conn, args, &layers, &base, &store).await
        }
        Command::Backups(args) => {
            let store = name(&args.name)?;
            backup::list(&context.connect().await?, args, &config, &store).await
        }
        Command::History(args) => {
            let store = name(&args.name)?;
            history::run(&context.connect().await?, args, &config, &store).await
        }
        Command::Status(args) => {
            let store = name(&args.name)?;
            match context.clusters().await? {
                Some(conns) => fleet::status(&conns, args, &config, &store).await,
                None => list::status(&context.connect().await?, args, &config, &store).await,
            }
        }
        Command::Logs(args) => {
            let store = name(&args.name)?;
            inspect::logs(&context.connect().await?, args, &config, &store).await
        }
        Command::Events(args) => {
            let store = name(&args.name)?;
            inspect::events(&context.connect().await?, args, &config, &store).await
        }
        Command::Serve(args) => {
            let options = serve::options(args, context.cli.readonly)?;
            let sources = context.cli.values.sources(&args.values, context.paths)?;
            let conns = if context.cli.clusters().several() {
                crate::cluster::fleet::open(&context.options, &context.cli.clusters()).await?
            } else {
                vec![context.connect().await?]
            };
            crate::serve::run(conns, config, sources, options).await
        }
        _ => Ok(()),
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
