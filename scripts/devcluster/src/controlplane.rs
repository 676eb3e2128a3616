//! Starts and stops a real control plane on loopback: etcd, kube-apiserver and
//! kube-controller-manager, each a child process with its log in the state folder.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

use crate::kubeconfig::{self, USERS};
use crate::ports::ClaimedPorts;
use crate::restarts::Restarts;

const CONTROLLER_MANAGER: &str = "kube-controller-manager";

/// Where `scripts/control-plane install` caches the binaries it builds: the script
/// names the folder (Kubernetes version plus a hash of its recipe), so it is asked.
pub fn default_bin_dir() -> Result<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../control-plane");
    let out = std::process::Command::new(&script)
        .arg("bin-dir")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {} bin-dir", script.display()))?;
    if !out.status.success() {
        bail!(
            "{} bin-dir failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Where the three binaries are.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub etcd: PathBuf,
    pub apiserver: PathBuf,
    pub controller_manager: PathBuf,
}

impl Binaries {
    /// Looks in `bin_dir`, then KUBEBUILDER_ASSETS (envtest's layout), then PATH.
    pub fn find(bin_dir: &Path) -> Result<Self> {
        let envtest = std::env::var_os("KUBEBUILDER_ASSETS").map(PathBuf::from);
        let find = |name: &str| -> Result<PathBuf> {
            let mut candidates: Vec<PathBuf> = Vec::new();
            if let Some(dir) = &envtest {
                candidates.push(dir.join(name));
            }
            candidates.push(bin_dir.join(name));
            if let Some(path) = std::env::var_os("PATH") {
                candidates.extend(std::env::split_paths(&path).map(|d| d.join(name)));
            }
            candidates
                .into_iter()
                .find(|p| p.is_file())
                .with_context(|| {
                    format!(
                        "{name} not found in {} (or KUBEBUILDER_ASSETS, or PATH); \
                     run `scripts/control-plane install` to build it once",
                        bin_dir.display()
                    )
                })
        };
        Ok(Self {
            etcd: find("etcd")?,
            apiserver: find("kube-apiserver")?,
            controller_manager: find("kube-controller-manager")?,
        })
    }
}

/// A running control plane. Dropping it kills the processes (`stop` does it gracefully).
pub struct ControlPlane {
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
    pub server: String,
    children: Vec<(&'static str, Child)>,
    /// How the apiserver was started, to restart it the same way.
    apiserver: (PathBuf, Vec<String>),
    /// How the controller manager was started, to start it again when it exits.
    controller_manager: (PathBuf, Vec<String>),
    manager_restarts: Restarts,
    /// etcd's and kube-apiserver's ports, kept from other devclusters while this lives.
    _ports: ClaimedPorts<3>,
}

impl ControlPlane {
    /// Starts everything with its state in `dir` (created; must not hold a running cluster).
    pub async fn start(bins: &Binaries, dir: &Path) -> Result<Self> {
        prepare_dir(dir)?;
        let ports = crate::ports::claim::<3>()?;
        let [etcd_client, etcd_peer, api_port] = ports.ports;
        let mut plane = Self {
            dir: dir.to_path_buf(),
            kubeconfig: dir.join("kubeconfig"),
            server: format!("https://127.0.0.1:{api_port}"),
            children: Vec::new(),
            apiserver: (bins.apiserver.clone(), Vec::new()),
            controller_manager: (bins.controller_manager.clone(), Vec::new()),
            manager_restarts: Restarts::default(),
            _ports: ports,
        };
        let sa_key = dir.join("service-account.key");
        run_quiet(
            Command::new("openssl")
                .args(["genrsa", "-out"])
                .arg(&sa_key)
                .arg("2048"),
        )
        .await
        .context("generating the service account key with openssl")?;
        let tokens = kubeconfig::write_token_file(&dir.join("tokens.csv"), USERS)?;

        let etcd_url = format!("http://127.0.0.1:{etcd_client}");
        let peer_url = format!("http://127.0.0.1:{etcd_peer}");
        plane.spawn(
            "etcd",
            &bins.etcd,
            &strings([
                "--name=devcluster",
                &format!("--data-dir={}", dir.join("etcd").display()),
                &format!("--listen-client-urls={etcd_url}"),
                &format!("--advertise-client-urls={etcd_url}"),
                &format!("--listen-peer-urls={peer_url}"),
                &format!("--initial-advertise-peer-urls={peer_url}"),
                &format!("--initial-cluster=devcluster={peer_url}"),
                "--log-level=warn",
            ]),
        )?;

        plane.apiserver.1 = strings([
            &format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            &format!("--secure-port={api_port}"),
            // One API server on loopback: no endpoint reconciliation of the
            // `kubernetes` Service against other servers.
            "--endpoint-reconciler-type=none",
            &format!("--cert-dir={}", dir.join("certs").display()),
            &format!("--token-auth-file={}", dir.join("tokens.csv").display()),
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc",
            &format!("--service-account-key-file={}", sa_key.display()),
            &format!("--service-account-signing-key-file={}", sa_key.display()),
            "--service-cluster-ip-range=10.96.0.0/12",
            "--allow-privileged=true",
            "--kubelet-preferred-address-types=InternalIP",
            "--profiling=false",
        ]);
        let (program, args) = plane.apiserver.clone();
        plane.spawn("kube-apiserver", &program, &args)?;

        let ca = wait_for_serving_ca(&dir.join("certs/apiserver.crt"), &mut plane).await?;
        let ca_file = dir.join("ca.crt");
        std::fs::write(&ca_file, ca)?;
        kubeconfig::write(&plane.kubeconfig, &plane.server, &ca_file, &tokens)?;
        let kcm_kubeconfig = dir.join("controller-manager.kubeconfig");
        kubeconfig::write_single(&kcm_kubeconfig, &plane.server, &ca_file, &tokens[0])?;
        plane.wait_ready().await?;

        plane.controller_manager.1 = strings([
            &format!(
                "--kubeconfig={}",
                dir.join("controller-manager.kubeconfig").display()
            ),
            "--leader-elect=false",
            "--secure-port=0",
            &format!("--service-account-private-key-file={}", sa_key.display()),
            "--use-service-account-credentials=false",
            // Room for fleets of hundreds of stores (the default is 20 requests/s).
            "--kube-api-qps=200",
            "--kube-api-burst=400",
            &format!("--controllers={}", controllers()),
            "--profiling=false",
        ]);
        plane.start_controller_manager()?;
        Ok(plane)
    }

    fn start_controller_manager(&mut self) -> Result<()> {
        let (program, args) = self.controller_manager.clone();
        self.spawn(CONTROLLER_MANAGER, &program, &args)
    }

    /// Starts `program` under `setpriv --pdeathsig KILL`, so it dies with this process
    /// even when this process is killed outright.
    fn spawn(&mut self, name: &'static str, program: &Path, args: &[String]) -> Result<()> {
        // Appended to: a process started again keeps what it said before.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{name}.log")))?;
        let mut cmd = Command::new("setpriv");
        cmd.args(["--pdeathsig", "KILL", "--"])
            .arg(program)
            .args(args);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        self.children.push((name, child));
        Ok(())
    }

    /// Fails with the tail of a child's log if it has exited (the controller manager
    /// aside: `healthy` starts it again).
    fn check_alive(&mut self) -> Result<()> {
        for (name, child) in &mut self.children {
            if *name == CONTROLLER_MANAGER {
                continue;
            }
            if let Some(status) = child.try_wait()? {
                bail!("{name} exited ({status}):\n{}", log_tail(&self.dir, name));
            }
        }
        Ok(())
    }

    /// Takes child `name` off the list if it has exited.
    fn exited(&mut self, name: &str) -> Result<bool> {
        for i in 0..self.children.len() {
            let (child_name, child) = &mut self.children[i];
            if *child_name == name && child.try_wait()?.is_some() {
                self.children.remove(i);
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn running(&self, name: &str) -> bool {
        self.children.iter().any(|(n, _)| *n == name)
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(90);
        let client = kubeconfig::client(&self.kubeconfig, None).await?;
        loop {
            self.check_alive()?;
            let probe = http::Request::get("/readyz").body(Vec::new())?;
            if client
                .request_text(probe)
                .await
                .is_ok_and(|body| body.trim() == "ok")
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "kube-apiserver did not become ready within 90 s; see {}/kube-apiserver.log",
                    self.dir.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Stops kube-apiserver and starts it again on the same port and data (what a
    /// control-plane upgrade or crash looks like to clients); returns once it is ready.
    pub async fn restart_apiserver(&mut self) -> Result<()> {
        self.stop_apiserver().await;
        let (program, args) = self.apiserver.clone();
        self.spawn("kube-apiserver", &program, &args)?;
        self.wait_ready().await?;
        // A controller manager that exited while the API server was away starts again.
        self.healthy()
    }

    /// Stops kube-apiserver (if running) and leaves it stopped: clients see a server
    /// that has gone away until `restart_apiserver`.
    pub async fn stop_apiserver(&mut self) {
        if let Some(i) = self
            .children
            .iter()
            .position(|(name, _)| *name == "kube-apiserver")
        {
            let (_, mut child) = self.children.remove(i);
            terminate(&mut child).await;
        }
    }

    /// Stops the processes (newest first, SIGTERM then SIGKILL) and removes the state
    /// folder, unless `keep` (a failed run: its logs say why).
    pub async fn stop(mut self, keep: bool) -> Result<()> {
        while let Some((_, mut child)) = self.children.pop() {
            terminate(&mut child).await;
        }
        if keep {
            return Ok(());
        }
        std::fs::remove_dir_all(&self.dir)
            .with_context(|| format!("removing {}", self.dir.display()))
    }

    /// Whether every process is still running. A controller manager that exited is
    /// started again (`restarts.rs`), once the API server is back if it is stopped.
    pub fn healthy(&mut self) -> Result<()> {
        if self.exited(CONTROLLER_MANAGER)? && !self.manager_restarts.exited(Instant::now()) {
            bail!(
                "{CONTROLLER_MANAGER} keeps exiting:\n{}",
                log_tail(&self.dir, CONTROLLER_MANAGER)
            );
        }
        // Not while the API server is stopped (`stop_apiserver` took it off the list).
        if self.running("kube-apiserver") && !self.running(CONTROLLER_MANAGER) {
            tracing::warn!("{CONTROLLER_MANAGER} exited; starting it again");
            self.start_controller_manager()?;
        }
        self.check_alive()
    }
}

/// The last lines of process `name`'s log.
fn log_tail(dir: &Path, name: &str) -> String {
    let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(15).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = child.kill().await;
}

/// Creates `dir`, clearing what a killed run left there (its processes are gone: a live
/// one would hold the lock file).
fn prepare_dir(dir: &Path) -> Result<()> {
    if dir.join("etcd").exists() || dir.join("kubeconfig").exists() {
        tracing::info!("removing stale state in {}", dir.display());
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.file_name().is_some_and(|n| n == "lock") {
                continue;
            }
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// The apiserver writes a self-signed certificate followed by its CA; the CA is returned.
async fn wait_for_serving_ca(cert: &Path, plane: &mut ControlPlane) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        plane.check_alive()?;
        let pem = std::fs::read_to_string(cert).unwrap_or_default();
        if let Some(start) = pem.rfind("-----BEGIN CERTIFICATE-----")
            && start > 0
            && pem[start..].contains("-----END CERTIFICATE-----")
        {
            return Ok(pem[start..].to_string());
        }
        if Instant::now() > deadline {
            bail!(
                "kube-apiserver wrote no serving certificate to {}",
                cert.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn strings<const N: usize>(args: [&str; N]) -> Vec<String> {
    args.iter().map(|a| (*a).to_string()).collect()
}

async fn run_quiet(cmd: &mut Command) -> Result<()> {
    let out = cmd.stdin(Stdio::null()).output().await?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// The controller manager's controllers: the defaults less the two that need a cloud or a
/// node's IPAM, or `STORECTL_DEVCLUSTER_CONTROLLERS` (scripts/bench's 10,000-store tier
/// turns off the ones that would rebuild the objects it writes itself).
fn controllers() -> String {
    std::env::var("STORECTL_DEVCLUSTER_CONTROLLERS").unwrap_or_else(|_| {
        "*,-node-ipam-controller,-persistentvolume-attach-detach-controller".to_string()
    })
}
