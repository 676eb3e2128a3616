//! Several control planes at once, as one kubeconfig: each cluster's contexts renamed
//! after it (`east`, `east-limited`, …), so one storectl run can name them all.

use std::path::PathBuf;

use kube::config::Kubeconfig;

use super::TestCluster;

/// Control planes of their own (stopped when dropped) and the kubeconfig naming them.
pub struct Fleet {
    /// Every cluster's contexts: `NAME` (admin), `NAME-limited`, `NAME-operator`.
    pub kubeconfig: PathBuf,
    pub clusters: Vec<(String, TestCluster)>,
}

impl Fleet {
    /// Starts one dedicated control plane per name, at the same time.
    pub fn start(names: &[&str]) -> Self {
        let starting: Vec<_> = names
            .iter()
            .map(|name| {
                let name = name.to_string();
                std::thread::spawn(move || (name, super::dedicated_cluster()))
            })
            .collect();
        let clusters: Vec<(String, TestCluster)> = starting
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| panic!("a control plane did not start"))
            })
            .collect();
        let mut merged = Kubeconfig::default();
        for (name, cluster) in &clusters {
            let one = Kubeconfig::read_from(&cluster.kubeconfig).unwrap_or_else(|e| panic!("{e}"));
            merged = merged
                .merge(renamed(one, name))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        merged.current_context = clusters.first().map(|(name, _)| name.clone());
        let dir = clusters[0]
            .1
            .kubeconfig
            .parent()
            .unwrap_or_else(|| std::path::Path::new("/tmp"))
            .to_path_buf();
        let kubeconfig = dir.join(super::unique("fleet-kubeconfig"));
        let text = serde_json::to_string(&merged).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&kubeconfig, text).unwrap_or_else(|e| panic!("{e}"));
        Self {
            kubeconfig,
            clusters,
        }
    }

    /// The cluster named `name`.
    pub fn cluster(&self, name: &str) -> &TestCluster {
        self.clusters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
            .unwrap_or_else(|| panic!("no cluster {name} in the fleet"))
    }
}

/// `one` with every context, cluster and user renamed after `name`: `devcluster-admin`
/// becomes `name`, `devcluster-X` becomes `name-X`.
fn renamed(mut one: Kubeconfig, name: &str) -> Kubeconfig {
    let rename = |old: &str| match old.strip_prefix("devcluster-") {
        Some("admin") => name.to_string(),
        Some(rest) => format!("{name}-{rest}"),
        None => format!("{name}-{old}"),
    };
    for c in &mut one.clusters {
        c.name = rename(&c.name);
    }
    for a in &mut one.auth_infos {
        a.name = rename(&a.name);
    }
    for c in &mut one.contexts {
        c.name = rename(&c.name);
        if let Some(context) = c.context.as_mut() {
            context.cluster = rename(&context.cluster);
            if let Some(user) = context.user.as_mut() {
                *user = rename(user);
            }
        }
    }
    one.current_context = None;
    one
}

impl Fleet {
    /// A kubeconfig with only `contexts` of the fleet's (their clusters and users too),
    /// the first current: what `--all-contexts` then means.
    pub fn kubeconfig_of(&self, contexts: &[&str]) -> PathBuf {
        let mut all = Kubeconfig::read_from(&self.kubeconfig).unwrap_or_else(|e| panic!("{e}"));
        all.contexts.retain(|c| contexts.contains(&c.name.as_str()));
        let kept = |name: &str| {
            all.contexts
                .iter()
                .filter_map(|c| c.context.as_ref())
                .any(|c| c.cluster == name || c.user.as_deref() == Some(name))
        };
        let clusters = all
            .clusters
            .iter()
            .filter(|c| kept(&c.name))
            .cloned()
            .collect();
        let users = all
            .auth_infos
            .iter()
            .filter(|a| kept(&a.name))
            .cloned()
            .collect();
        all.clusters = clusters;
        all.auth_infos = users;
        all.current_context = contexts.first().map(|c| c.to_string());
        let path = self.kubeconfig.with_file_name(super::unique("fleet-part"));
        let text = serde_json::to_string(&all).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    /// `storectl` with `--context` once for each of `contexts` (none: the kubeconfig's
    /// current context), then `args`, with `KUBECONFIG` the fleet's.
    pub fn storectl(&self, contexts: &[&str], args: &[&str]) -> super::Run {
        let mut all: Vec<&str> = Vec::new();
        for context in contexts {
            all.extend(["--context", context]);
        }
        all.extend(args);
        self.storectl_with(&self.kubeconfig, &all)
    }

    /// `storectl ARGS` as they are (e.g. `--all-contexts list`) with `KUBECONFIG` at
    /// `kubeconfig`, a fresh home and a clean environment.
    pub fn storectl_with(&self, kubeconfig: &std::path::Path, args: &[&str]) -> super::Run {
        let out = self
            .command(kubeconfig, args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("cannot run storectl: {e}"));
        super::Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The storectl command of `storectl_with`, not started (for `list --watch`).
    pub fn command(&self, kubeconfig: &std::path::Path, args: &[&str]) -> std::process::Command {
        let home = super::fresh_home(&self.clusters[0].1);
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_storectl"));
        command
            .args(args)
            .env_clear()
            .env("HOME", home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("KUBECONFIG", kubeconfig)
            .stdin(std::process::Stdio::null());
        command
    }
}
