//! Test harness: one real control plane (etcd, kube-apiserver, kube-controller-manager)
//! with the node simulator per test binary, started on first use by running
//! `storectl-devcluster up --exit-with-stdin`. The cluster stops and its folder is removed
//! when the test process exits, however it exits, because its standard input closes.
//! Tests isolate themselves with their own namespaces and store names.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

pub struct TestCluster {
    pub kubeconfig: PathBuf,
    /// Kept so its stdin pipe stays open for as long as the cluster is needed.
    process: Child,
    /// Lines the control plane prints after `KUBECONFIG=` (e.g. `RESTARTED`).
    lines: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
}

static CLUSTER: OnceLock<TestCluster> = OnceLock::new();

/// The control plane of this test binary, started on first use.
pub fn cluster() -> &'static TestCluster {
    CLUSTER.get_or_init(start)
}

/// A control plane of its own, for a test that disturbs it (stopped when dropped).
pub fn dedicated_cluster() -> TestCluster {
    start()
}

fn start() -> TestCluster {
    let storectl = PathBuf::from(env!("CARGO_BIN_EXE_storectl"));
    let devcluster = storectl.with_file_name("storectl-devcluster");
    assert!(
        devcluster.is_file(),
        "{} is missing: the integration tests need the local control plane. \
         Run `scripts/test` (it installs and builds everything), or \
         `scripts/control-plane install && cargo build -p storectl-devcluster`.",
        devcluster.display()
    );
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("storectl-test-{}-{n}", std::process::id()));
    // The log lives in the cluster's folder: removed with it on a clean stop, kept (with
    // the rest of the folder) when the control plane fails to start.
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let log = dir.join("devcluster.log");
    let mut process = Command::new(&devcluster)
        .args(["up", "--exit-with-stdin", "--dir"])
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(
            std::fs::File::create(&log)
                .unwrap_or_else(|e| panic!("creating {}: {e}", log.display())),
        )
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", devcluster.display()));
    let stdout = process.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(180)).ok();
    match ready.as_deref().and_then(|l| l.strip_prefix("KUBECONFIG=")) {
        Some(kubeconfig) => TestCluster {
            kubeconfig: PathBuf::from(kubeconfig),
            process,
            lines: std::sync::Mutex::new(rx),
        },
        None => {
            let _ = process.kill();
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "the local control plane did not start (log: {}):\n{output}\n\
                 If binaries are missing, run `scripts/control-plane install` (or `scripts/test`).",
                log.display()
            );
        }
    }
}

impl TestCluster {
    /// A client for a context of the kubeconfig: `devcluster-admin` (system:masters),
    /// `devcluster-limited` or `devcluster-operator` (no permissions unless a test grants them).
    pub async fn client_as(&self, context: &str) -> kube::Client {
        let kubeconfig = Kubeconfig::read_from(&self.kubeconfig).unwrap_or_else(|e| panic!("{e}"));
        let options = KubeConfigOptions {
            context: Some(context.to_string()),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        kube::Client::try_from(config).unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn admin(&self) -> kube::Client {
        self.client_as("devcluster-admin").await
    }

    /// Stops kube-apiserver and starts it again (same port, same data); returns when ready.
    pub fn restart_apiserver(&self) {
        let status = Command::new("kill")
            .arg("-USR1")
            .arg(self.process.id().to_string())
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "could not signal the control plane"
        );
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let line = lines.recv_timeout(Duration::from_secs(120));
        assert_eq!(
            line.as_deref(),
            Ok("RESTARTED"),
            "kube-apiserver did not come back"
        );
    }
}

/// A name no other test in this run uses: `prefix` + a random suffix.
pub fn unique(prefix: &str) -> String {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("{e}"));
    format!(
        "{prefix}-{}",
        bytes
            .iter()
            .map(|b| format!("{:02x}", b))
            .collect::<String>()
    )
}

/// Waits (on a real watch) until `condition` holds for the object, or panics after `secs`.
pub async fn wait_for<K>(
    api: &kube::Api<K>,
    name: &str,
    secs: u64,
    what: &str,
    condition: impl Fn(&K) -> bool,
) where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
{
    let cond = move |o: Option<&K>| o.is_some_and(&condition);
    let waited = tokio::time::timeout(
        Duration::from_secs(secs),
        kube::runtime::wait::await_condition(api.clone(), name, cond),
    )
    .await;
    match waited {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!("watching {name} for '{what}': {e}"),
        Err(_) => {
            let now = api.get_opt(name).await.ok().flatten();
            panic!("{name} did not reach '{what}' within {secs}s; it is now:\n{now:#?}")
        }
    }
}

/// Runs the real storectl binary against `cluster` as `context`, with a clean environment
/// (no user values file, none of the original platform's variables).
pub fn storectl(cluster: &TestCluster, context: &str, args: &[&str]) -> Run {
    let home = std::env::temp_dir().join("storectl-cli-test-home");
    let out = Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(["--context", context])
        .args(args)
        .env_clear()
        .env("HOME", &home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("KUBECONFIG", &cluster.kubeconfig)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run storectl: {e}"));
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The outcome of one storectl run.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with the whole output unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code; output:\n{self:#?}"
        );
        self
    }
}
