//! The storectl binary: parse the command line, run, and turn errors into a message on
//! stderr and an exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc hands memory back to the system soon after it is freed: the first LIST of a
/// large fleet parses tens of megabytes of JSON that glibc's allocator would otherwise
/// keep resident for the whole session.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = storectl::cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let result = match runtime {
        Ok(rt) => rt.block_on(storectl::cli::run(cli)),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(storectl::cli::exit_code(&error))
        }
    }
}
