//! Test harness: one real control plane (etcd, kube-apiserver, kube-controller-manager)
//! with the node simulator per test binary, started on first use by running
//! `storectl-devcluster up --exit-with-stdin`. The cluster stops and its folder is removed
//! when the test process exits, however it exits, because its standard input closes.
//! Tests isolate themselves with their own namespaces and store names.
#![allow(dead_code)]

pub mod browser;
pub mod fleet;
pub mod rbac;
pub mod served;
pub mod tmux;
pub mod wordpress;

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

/// Whether the API server says `pod` is Ready, and it is not being deleted.
pub fn pod_ready(pod: &k8s_openapi::api::core::v1::Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The components (label `component`) with a Ready pod among `pods`, sorted.
pub async fn ready_components(pods: &kube::Api<k8s_openapi::api::core::v1::Pod>) -> Vec<String> {
    let mut ready: Vec<String> = pods
        .list(&kube::api::ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(pod_ready)
        .filter_map(|p| p.metadata.labels.and_then(|l| l.get("component").cloned()))
        .collect();
    ready.sort();
    ready
}

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

    /// storectl's own connection as the admin, for tests that call the library.
    pub async fn admin_connection(&self) -> storectl::cluster::connect::Connection {
        storectl::cluster::connect::Connection::open(&storectl::cluster::connect::ConnectOptions {
            kubeconfig: Some(self.kubeconfig.clone()),
            context: Some("devcluster-admin".to_string()),
            watch_list: false,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn admin(&self) -> kube::Client {
        self.client_as("devcluster-admin").await
    }

    /// Stops kube-apiserver and leaves it stopped until `restart_apiserver`.
    pub fn stop_apiserver(&self) {
        self.signal_and_expect("-USR2", "STOPPED");
    }

    /// Stops kube-apiserver and starts it again (same port, same data); returns when ready.
    pub fn restart_apiserver(&self) {
        self.signal_and_expect("-USR1", "RESTARTED");
    }

    fn signal_and_expect(&self, signal: &str, reply: &str) {
        let status = Command::new("kill")
            .arg(signal)
            .arg(self.process.id().to_string())
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "could not signal the control plane"
        );
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let line = lines.recv_timeout(Duration::from_secs(120));
        // A control plane that failed keeps its folder, with its log and its processes'.
        let log = self.kubeconfig.with_file_name("devcluster.log");
        assert_eq!(
            line.as_deref(),
            Ok(reply),
            "the control plane did not answer {signal} with {reply}; its log ({}):\n{}",
            log.display(),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
}

/// A kubeconfig of one context `context` at `server`, signed in with `token` (TLS not
/// verified): for servers that are not the test cluster (unreachable, or stand-ins).
pub fn token_kubeconfig(server: &str, context: &str, token: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {context}\nclusters:\n- name: x\n  cluster:\n    server: {server}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: {context}\n  context: {{cluster: x, user: x}}\nusers:\n- name: x\n  user: {{token: {token}}}\n"
    )
}

/// A new namespace of its own for a test, named `prefix` + a random suffix.
pub async fn scratch_namespace(client: &kube::Client, prefix: &str) -> String {
    let name = unique(prefix);
    let ns: k8s_openapi::api::core::v1::Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": name}}))
            .unwrap_or_else(|e| panic!("{e}"));
    kube::Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone())
        .create(&kube::api::PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("creating namespace {name}: {e}"));
    name
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

/// Waits (on a real watch) until the object is gone, or panics after `secs`.
pub async fn wait_gone<K>(api: &kube::Api<K>, name: &str, secs: u64)
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
{
    let waited = tokio::time::timeout(
        Duration::from_secs(secs),
        kube::runtime::wait::await_condition(api.clone(), name, |o: Option<&K>| o.is_none()),
    )
    .await;
    if !matches!(waited, Ok(Ok(_))) {
        let now = api.get_opt(name).await.ok().flatten();
        panic!("{name} is still there after {secs}s: {now:#?}");
    }
}

/// Runs the real storectl binary against `cluster` as `context`, with a clean environment
/// (a fresh empty home: no user values file, none of the original platform's variables).
pub fn storectl(cluster: &TestCluster, context: &str, args: &[&str]) -> Run {
    storectl_in(&fresh_home(cluster), cluster, context, args, &[])
}

/// A new empty folder to serve as a run's HOME, inside the cluster's folder (removed
/// with it).
pub fn fresh_home(cluster: &TestCluster) -> PathBuf {
    let dir = cluster
        .kubeconfig
        .parent()
        .unwrap_or_else(|| std::path::Path::new("/tmp"));
    let home = dir.join(unique("home"));
    std::fs::create_dir_all(&home).unwrap_or_else(|e| panic!("creating {}: {e}", home.display()));
    home
}

/// `storectl` with HOME at `home` and extra environment variables.
pub fn storectl_in(
    home: &std::path::Path,
    cluster: &TestCluster,
    context: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_storectl"))
        .args(["--context", context])
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("KUBECONFIG", &cluster.kubeconfig)
        .envs(env.iter().copied())
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

/// Creates a store the way the original Node.js orchestrator did: shared namespace,
/// original names and labels (Deployments, claims, Services, Ingress), applied by another
/// field manager, no setup Job or Secret.
pub async fn original_platform_store(cluster: &TestCluster, name: &str) {
    let client = cluster.admin().await;
    let labels = |component: &str| serde_json::json!({"app": name, "component": component, "managed-by": "ecommerce-platform"});
    let ns = "ecommerce-stores";
    let pp = kube::api::PatchParams::apply("ecommerce-orchestrator");
    let apply = |api_version: &str, kind: &str, obj: serde_json::Value| {
        let mut o = obj;
        o["apiVersion"] = api_version.into();
        o["kind"] = kind.into();
        o
    };
    let nss: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client.clone());
    nss.patch(
        ns,
        &pp,
        &kube::api::Patch::Apply(apply(
            "v1",
            "Namespace",
            serde_json::json!({"metadata": {"name": ns}}),
        )),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    for component in ["mysql", "wordpress"] {
        let deployment = apply(
            "apps/v1",
            "Deployment",
            serde_json::json!({
                "metadata": {"name": format!("{name}-{component}"), "labels": labels(component)},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name, "component": component}},
                    "template": {"metadata": {"labels": labels(component)},
                        "spec": {"containers": [{"name": component, "image": if component == "mysql" {"mysql:8.0"} else {"wordpress:6.4-apache"}}]}}}
            }),
        );
        let api: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
            kube::Api::namespaced(client.clone(), ns);
        api.patch(
            &format!("{name}-{component}"),
            &pp,
            &kube::api::Patch::Apply(deployment),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let claim = apply(
            "v1",
            "PersistentVolumeClaim",
            serde_json::json!({
                "metadata": {"name": format!("{name}-{component}-pvc"), "labels": labels(component)},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
            }),
        );
        let api: kube::Api<k8s_openapi::api::core::v1::PersistentVolumeClaim> =
            kube::Api::namespaced(client.clone(), ns);
        api.patch(
            &format!("{name}-{component}-pvc"),
            &pp,
            &kube::api::Patch::Apply(claim),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        // Its design's Services: `{store}-{component}`, ClusterIP, 80 and 3306.
        let port = if component == "mysql" { 3306 } else { 80 };
        let service = apply(
            "v1",
            "Service",
            serde_json::json!({
                "metadata": {"name": format!("{name}-{component}"), "labels": labels(component)},
                "spec": {"selector": {"app": name, "component": component},
                    "ports": [{"name": component, "port": port, "targetPort": port}]}
            }),
        );
        let api: kube::Api<k8s_openapi::api::core::v1::Service> =
            kube::Api::namespaced(client.clone(), ns);
        api.patch(
            &format!("{name}-{component}"),
            &pp,
            &kube::api::Patch::Apply(service),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let ingress = apply(
        "networking.k8s.io/v1",
        "Ingress",
        serde_json::json!({
            "metadata": {"name": format!("{name}-ingress"), "labels": labels("wordpress")},
            "spec": {"rules": [{"host": format!("{name}.local"), "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": format!("{name}-wordpress"), "port": {"number": 80}}}}]}}]}
        }),
    );
    let api: kube::Api<k8s_openapi::api::networking::v1::Ingress> =
        kube::Api::namespaced(client, ns);
    api.patch(
        &format!("{name}-ingress"),
        &pp,
        &kube::api::Patch::Apply(ingress),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Lets the user `limited` read every kind storectl lists, except ingresses (a partly
/// permitted operator).
pub async fn grant_all_but_ingresses(cluster: &TestCluster) {
    use kube::api::{Patch, PatchParams};
    let client = cluster.admin().await;
    let role: k8s_openapi::api::rbac::v1::ClusterRole = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "no-ingresses"},
        "rules": [
            {"apiGroups": [""], "resources": ["namespaces", "pods", "persistentvolumeclaims", "events"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "list", "watch"]}
        ]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let binding: k8s_openapi::api::rbac::v1::ClusterRoleBinding =
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "no-ingresses-limited"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "no-ingresses"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "limited"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
    let pp = PatchParams::apply("storectl-test").force();
    kube::Api::<k8s_openapi::api::rbac::v1::ClusterRole>::all(client.clone())
        .patch("no-ingresses", &pp, &Patch::Apply(role))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    kube::Api::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>::all(client)
        .patch("no-ingresses-limited", &pp, &Patch::Apply(binding))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Server-side applies every document of a YAML file as the test's field manager; returns
/// `Kind/name` of each, in order.
pub async fn apply_file(client: &kube::Client, file: &std::path::Path) -> Vec<String> {
    use kube::api::{DynamicObject, Patch, PatchParams};
    use kube::discovery::{Scope, pinned_kind};
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"));
    let mut applied = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let object: DynamicObject =
            serde::Deserialize::deserialize(document).unwrap_or_else(|e| panic!("{e}"));
        let types = object.types.clone().unwrap_or_else(|| panic!("no kind"));
        let gvk = kube::api::GroupVersionKind::try_from(&types).unwrap_or_else(|e| panic!("{e}"));
        let (resource, capabilities) = pinned_kind(client, &gvk)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let name = object.metadata.name.clone().unwrap_or_default();
        let api: kube::Api<DynamicObject> = match (capabilities.scope, &object.metadata.namespace) {
            (Scope::Namespaced, Some(ns)) => {
                kube::Api::namespaced_with(client.clone(), ns, &resource)
            }
            _ => kube::Api::all_with(client.clone(), &resource),
        };
        api.patch(
            &name,
            &PatchParams::apply("storectl-test").force(),
            &Patch::Apply(&object),
        )
        .await
        .unwrap_or_else(|e| panic!("{}/{name}: {e}", types.kind));
        applied.push(format!("{}/{name}", types.kind));
    }
    applied
}

/// Every object labelled `app=NAME` in the shared namespace, of each kind a shared store
/// has: `Kind/name` and whether it is being deleted.
pub async fn labelled_in_shared(client: &kube::Client, name: &str) -> Vec<(String, bool)> {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::batch::v1::Job;
    use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Secret, Service};
    use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
    use kube::Api;
    use kube::api::ListParams;
    async fn of<K>(client: &kube::Client, name: &str) -> Vec<(String, bool)>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + std::fmt::Debug
            + serde::de::DeserializeOwned,
        K::DynamicType: Default,
    {
        let api: Api<K> = Api::namespaced(client.clone(), "ecommerce-stores");
        api.list_metadata(&ListParams::default().labels(&format!("app={name}")))
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|m| {
                (
                    format!(
                        "{}/{}",
                        K::kind(&Default::default()),
                        m.metadata.name.unwrap()
                    ),
                    m.metadata.deletion_timestamp.is_some(),
                )
            })
            .collect()
    }
    let mut all = Vec::new();
    all.extend(of::<Deployment>(client, name).await);
    all.extend(of::<Service>(client, name).await);
    all.extend(of::<PersistentVolumeClaim>(client, name).await);
    all.extend(of::<Secret>(client, name).await);
    all.extend(of::<ConfigMap>(client, name).await);
    all.extend(of::<Job>(client, name).await);
    all.extend(of::<Ingress>(client, name).await);
    all.extend(of::<NetworkPolicy>(client, name).await);
    all.sort();
    all
}
