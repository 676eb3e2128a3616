//! The command line: argument definitions (clap) and dispatch to the headless commands
//! or the terminal UI. Each command lives in its own module.

mod exit;
mod paths;
mod render;
mod values;

use clap::{Args, Parser, Subcommand};

pub use exit::exit_code;

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

    /// Print where storectl reads its configuration and writes its log, then exit.
    #[arg(long)]
    pub print_paths: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a store's objects as YAML, in apply order, without contacting a cluster.
    Render(RenderArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The store name (lowercase letters, digits and '-', starting with a letter).
    pub name: String,
    /// Generate and print real secret values instead of placeholders.
    #[arg(long)]
    pub show_secrets: bool,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let paths = paths::Paths::discover();
    if cli.print_paths {
        print!("{}", paths.describe());
        return Ok(());
    }
    match cli.command {
        Some(Command::Render(args)) => {
            let config = cli.values.load(&paths)?;
            render::run(&args, &config)
        }
        None => anyhow::bail!(
            "the terminal UI is not built yet; use a subcommand (see storectl --help)"
        ),
    }
}
