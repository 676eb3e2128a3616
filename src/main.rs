//! The storectl binary: parse the command line, run, and turn errors into a message on
//! stderr and an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = storectl::cli::Cli::parse();
    match storectl::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(storectl::cli::exit_code(&error))
        }
    }
}
