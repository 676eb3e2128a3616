//! storectl-devcluster: a real Kubernetes control plane on loopback (etcd, kube-apiserver,
//! kube-controller-manager) plus a node simulator, for storectl's tests and demo.
//!
//!   storectl-devcluster up --dir DIR    start; print `KUBECONFIG=...` when ready; run until
//!                                       SIGINT/SIGTERM (or stdin closes, with
//!                                       --exit-with-stdin); then stop and remove DIR
//!                                       (SIGUSR1 restarts kube-apiserver, SIGUSR2 stops it until the next SIGUSR1; for tests)
//!   storectl-devcluster simulate        only the node simulator, against any cluster

mod controlplane;
mod kubeconfig;
mod ports;
mod restarts;
mod simulator;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tokio::io::AsyncReadExt;
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::Layer as _;

use simulator::pods::Timing;

#[derive(Parser)]
#[command(
    name = "storectl-devcluster",
    about = "Local control plane + node simulator for storectl"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start etcd, kube-apiserver, kube-controller-manager and the node simulator.
    Up {
        /// Folder for state, logs and the kubeconfig; removed on exit.
        #[arg(long)]
        dir: PathBuf,
        /// Folder with kube-apiserver and kube-controller-manager, as built by
        /// `scripts/control-plane install` [default: what `scripts/control-plane bin-dir` prints]
        #[arg(long, env = "STORECTL_K8S_BIN_DIR")]
        bin_dir: Option<PathBuf>,
        /// Stop when standard input closes (so a parent that dies takes the cluster with it).
        #[arg(long)]
        exit_with_stdin: bool,
        /// Do not run the node simulator.
        #[arg(long)]
        no_simulator: bool,
        #[command(flatten)]
        timing: TimingArgs,
    },
    /// Run only the node simulator against the cluster of KUBECONFIG.
    Simulate {
        #[arg(long, env = "KUBECONFIG")]
        kubeconfig: PathBuf,
        #[command(flatten)]
        timing: TimingArgs,
    },
}

#[derive(clap::Args)]
struct TimingArgs {
    /// Milliseconds from a container's start to its readiness.
    #[arg(long, default_value_t = 1000)]
    ready_delay_ms: u64,
    /// Milliseconds a Job's container runs before it succeeds.
    #[arg(long, default_value_t = 2000)]
    job_duration_ms: u64,
}

impl TimingArgs {
    fn timing(&self) -> Timing {
        Timing {
            ready_delay: Duration::from_millis(self.ready_delay_ms),
            job_duration: Duration::from_millis(self.job_duration_ms),
            ..Timing::default()
        }
    }
}

fn main() -> std::process::ExitCode {
    tracing_subscriber_init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let result = runtime.map_err(anyhow::Error::from).and_then(|rt| {
        let result = rt.block_on(run(Cli::parse()));
        // Not waiting for blocking tasks: one may be parked reading stdin forever.
        rt.shutdown_background();
        result
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("storectl-devcluster: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Up {
            dir,
            bin_dir,
            exit_with_stdin,
            no_simulator,
            timing,
        } => {
            up(
                dir,
                bin_dir,
                exit_with_stdin,
                !no_simulator,
                timing.timing(),
            )
            .await
        }
        Command::Simulate { kubeconfig, timing } => {
            let client = kubeconfig::client(&kubeconfig, None).await?;
            let state =
                std::env::temp_dir().join(format!("storectl-simulator-{}", std::process::id()));
            simulator::run(client, timing.timing(), state).await
        }
    }
}

/// Warnings (and with DEVCLUSTER_VERBOSE, progress) go to stderr; the test harness and
/// the demo send it to a log file.
fn tracing_subscriber_init() {
    let level = if std::env::var_os("DEVCLUSTER_VERBOSE").is_some() {
        tracing::Level::INFO
    } else {
        tracing::Level::WARN
    };
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let ours = tracing_subscriber::filter::Targets::new().with_target("storectl_devcluster", level);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    tracing_subscriber::registry()
        .with(layer.with_filter(ours))
        .init();
}

async fn up(
    dir: PathBuf,
    bin_dir: Option<PathBuf>,
    exit_with_stdin: bool,
    simulate: bool,
    timing: Timing,
) -> Result<()> {
    let bins = controlplane::Binaries::find(&match bin_dir {
        Some(dir) => dir,
        None => controlplane::default_bin_dir()?,
    })?;
    let dir = std::path::absolute(&dir).context("resolving --dir")?;
    claim_dir(&dir)?;
    let mut plane = controlplane::ControlPlane::start(&bins, &dir).await?;
    let sim = if simulate {
        let client = kubeconfig::client(&plane.kubeconfig, None).await?;
        Some(tokio::spawn(simulator::run(
            client,
            timing,
            dir.join("simulator"),
        )))
    } else {
        None
    };
    // Handlers first, then the announcement: a test may signal as soon as it reads the
    // line, and SIGUSR1/SIGUSR2 left to their default action would end this process.
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut usr2 = signal(SignalKind::user_defined2())?;
    println!("KUBECONFIG={}", plane.kubeconfig.display());
    std::io::stdout().flush()?;
    let mut health = tokio::time::interval(Duration::from_secs(1));
    let stdin_closed = async {
        if !exit_with_stdin {
            return std::future::pending().await;
        }
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 64];
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::pin!(stdin_closed);
    let outcome = loop {
        tokio::select! {
            _ = term.recv() => break Ok(()),
            _ = int.recv() => break Ok(()),
            () = &mut stdin_closed => break Ok(()),
            _ = usr1.recv() => {
                tracing::info!("restarting kube-apiserver (SIGUSR1)");
                if let Err(e) = plane.restart_apiserver().await { break Err(e); }
                println!("RESTARTED");
                std::io::stdout().flush()?;
            }
            _ = usr2.recv() => {
                tracing::info!("stopping kube-apiserver until SIGUSR1 (SIGUSR2)");
                plane.stop_apiserver().await;
                println!("STOPPED");
                std::io::stdout().flush()?;
            }
            _ = health.tick() => {
                if let Err(e) = plane.healthy() { break Err(e); }
                if sim.as_ref().is_some_and(tokio::task::JoinHandle::is_finished) {
                    break Err(anyhow::anyhow!("the node simulator stopped; see the messages above"));
                }
            }
        }
    };
    if let Some(sim) = sim {
        sim.abort();
    }
    plane.stop(outcome.is_err()).await?;
    outcome
}

/// Refuses a folder in which another `up` is running; records this process otherwise.
fn claim_dir(dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let pid_file = dir.join("pid");
    if let Ok(pid) = std::fs::read_to_string(&pid_file) {
        let pid = pid.trim();
        let alive = std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|cmd| cmd.contains("storectl-devcluster"));
        if alive && pid != std::process::id().to_string() {
            anyhow::bail!(
                "a control plane is already running in {} (pid {pid}); stop it with `scripts/control-plane down {}`",
                dir.display(),
                dir.display()
            );
        }
    }
    std::fs::write(&pid_file, std::process::id().to_string())?;
    Ok(())
}
