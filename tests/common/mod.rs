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
    /// Kept so its stdin pipe stays open for as long as the test process lives.
    _process: Child,
}

static CLUSTER: OnceLock<TestCluster> = OnceLock::new();

/// The control plane of this test binary, started on first use.
pub fn cluster() -> &'static TestCluster {
    CLUSTER.get_or_init(start)
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
    let dir = std::env::temp_dir().join(format!("storectl-test-{}", std::process::id()));
    let log = dir.with_extension("log");
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
            if let Some(path) = line.strip_prefix("KUBECONFIG=") {
                let _ = tx.send(PathBuf::from(path));
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(180)) {
        Ok(kubeconfig) => TestCluster {
            kubeconfig,
            _process: process,
        },
        Err(_) => {
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
