//! storectl's container image (`scripts/image`), built and checked without a container
//! runtime: its layout unpacked by another tool (Debian's umoci, which checks every
//! blob's digest and derives the runtime configuration from the image's), its root
//! filesystem entered with `chroot` as the image's user, and a second build compared byte
//! for byte. A missing tool fails the test (CI must have it): `scripts/test` installs the
//! musl target, musl-tools and umoci.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::Permissions;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

const ENTRYPOINT: &str = "/usr/local/bin/storectl";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(command: &mut Command) -> Output {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `scripts/image --out DIR`: the folder and the digest it printed.
fn build(name: &str) -> (PathBuf, String) {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let printed = run(Command::new(repo().join("scripts/image"))
        .arg("--out")
        .arg(&out));
    let digest = String::from_utf8(printed.stdout)
        .unwrap()
        .trim()
        .to_string();
    (out, digest)
}

fn built() -> &'static (PathBuf, String) {
    static BUILT: OnceLock<(PathBuf, String)> = OnceLock::new();
    BUILT.get_or_init(|| build("image-first"))
}

fn blob(layout: &Path, digest: &str) -> Value {
    let hex = digest.strip_prefix("sha256:").unwrap();
    serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap()).unwrap()
}

fn version() -> String {
    let metadata =
        run(Command::new("cargo").args(["metadata", "--no-deps", "--format-version", "1"]));
    let metadata: Value = serde_json::from_slice(&metadata.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "storectl")
        .unwrap()["version"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The image unpacked by umoci into `bundle` (every blob's digest checked): the runtime
/// configuration it derived from the image's.
fn unpack(layout: &Path, bundle: &Path) -> Value {
    let _ = std::fs::remove_dir_all(bundle);
    let mut unpack = Command::new("umoci");
    unpack.arg("unpack");
    if rootless() {
        unpack.arg("--rootless");
    }
    run(unpack
        .arg("--image")
        .arg(format!("{}:{}", layout.display(), version()))
        .arg(bundle));
    serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap()
}

/// Where `name` is on this machine (the command below runs with the image's PATH).
fn tool(name: &str) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is missing (util-linux, coreutils)"))
}

/// The bundle's root filesystem entered by `chroot` as the runtime configuration's user,
/// with its environment alone, running the entrypoint.
fn in_rootfs(bundle: &Path, runtime: &Value) -> Command {
    let user = &runtime["process"]["user"];
    let mut command = if rootless() {
        let mut c = Command::new(tool("unshare"));
        c.args(["--user", "--map-root-user"]).arg(tool("chroot"));
        c
    } else {
        let mut c = Command::new(tool("chroot"));
        c.arg(format!("--userspec={}:{}", user["uid"], user["gid"]));
        c
    };
    let env = runtime["process"]["env"].as_array().unwrap().iter();
    command
        .arg(bundle.join("rootfs"))
        .arg(ENTRYPOINT)
        .env_clear()
        .envs(env.map(|e| e.as_str().unwrap().split_once('=').unwrap()));
    command
}

/// Every path under `dir` (relative), for looking for what must not be there.
fn walk(dir: &Path, base: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        found.push(path.strip_prefix(base).unwrap().to_path_buf());
        if path.is_dir() && !path.is_symlink() {
            walk(&path, base, found);
        }
    }
}

#[test]
fn the_image_runs_storectl_as_a_numeric_non_root_user_from_a_root_filesystem_without_a_shell() {
    let (out, digest) = built();
    let layout = out.join("storectl");
    let tag = version();
    // The layout names the digest the script printed, under the crate's version.
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let described = &index["manifests"][0];
    assert_eq!(described["digest"], digest.as_str(), "{index}");
    assert_eq!(
        described["annotations"]["org.opencontainers.image.ref.name"],
        tag.as_str()
    );
    let manifest = blob(&layout, digest);
    let config = blob(&layout, manifest["config"]["digest"].as_str().unwrap());
    let user = config["config"]["User"].as_str().unwrap();
    let (uid, gid) = user.split_once(':').unwrap();
    let (uid, gid): (u32, u32) = (uid.parse().unwrap(), gid.parse().unwrap());
    assert!(uid != 0 && gid != 0, "the image runs as {user}");
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!([ENTRYPOINT])
    );

    // Unpacked by umoci: every blob's digest checked, the runtime configuration derived.
    let bundle = out.join("bundle");
    let runtime = unpack(&layout, &bundle);
    assert_eq!(runtime["process"]["user"]["uid"], uid, "{runtime}");
    assert_eq!(runtime["process"]["args"][0], ENTRYPOINT, "{runtime}");
    let rootfs = bundle.join("rootfs");
    let mut paths = Vec::new();
    walk(&rootfs, &rootfs, &mut paths);
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            !["sh", "bash", "dash", "busybox", "apt", "dpkg"].contains(&name.as_ref()),
            "{} in the image",
            path.display()
        );
    }
    assert!(!rootfs.join("bin/sh").exists());
    let certificates =
        std::fs::read_to_string(rootfs.join("etc/ssl/certs/ca-certificates.crt")).unwrap();
    assert!(
        certificates.matches("BEGIN CERTIFICATE").count() > 100,
        "Debian's CA bundle"
    );
    if !rootless() {
        let home = std::fs::metadata(rootfs.join("home/storectl")).unwrap();
        assert_eq!((home.uid(), home.gid()), (uid, gid), "HOME is the user's");
    }

    // Run from that root filesystem alone, as the image's user with the image's
    // environment: nothing of this machine's (no libc, no loader) is reachable.
    let in_image = |args: &[&str]| {
        String::from_utf8(run(in_rootfs(&bundle, &runtime).args(args)).stdout).unwrap()
    };
    let commit = run(Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo()));
    let commit = String::from_utf8(commit.stdout).unwrap();
    assert_eq!(
        in_image(&["--version"]).trim(),
        format!("storectl {tag} (commit {})", commit.trim())
    );
    let help = in_image(&["serve", "--help"]);
    assert!(help.contains("--cluster-auth"), "{help}");
}

/// Not root: umoci unpacks rootless and the test enters the root filesystem in a user
/// namespace of its own (as root there, since only one id can be mapped).
fn rootless() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    uid != "0"
}

#[test]
fn two_builds_of_the_image_have_the_same_digest_and_the_same_bytes() {
    let (first, digest) = built();
    let (second, again) = build("image-second");
    assert_eq!(&again, digest);
    let tar = format!("storectl-{}.oci.tar", version());
    assert!(
        std::fs::read(first.join(&tar)).unwrap() == std::fs::read(second.join(&tar)).unwrap(),
        "{tar} differs between two builds"
    );
}

/// The image does the server's job as the chart's Deployment runs it: the container's
/// arguments read from `assets/serve.yaml` (the chart's rendering; only the port changed),
/// run from the unpacked root filesystem alone as 65532 with the image's environment, the
/// ServiceAccount's token, CA and namespace at the kubelet's paths inside it and
/// `KUBERNETES_SERVICE_HOST/PORT` set: live over HTTPS (its watches listed through the API
/// server with rustls), and a caller bound to the shipped `storectl-api-viewer` listed.
const CALLER: &str = "
apiVersion: v1
kind: ServiceAccount
metadata: {name: image-test-viewer, namespace: ecommerce-platform}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: image-test-viewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: storectl-api-viewer}
subjects: [{kind: ServiceAccount, name: image-test-viewer, namespace: ecommerce-platform}]
";

#[tokio::test(flavor = "multi_thread")]
async fn the_images_server_runs_in_cluster_with_the_deployments_arguments() {
    use k8s_openapi::api::core::v1::ServiceAccount;
    let cluster = common::cluster();
    let client = cluster.admin().await;
    common::apply_file(&client, &repo().join("assets/rbac.yaml")).await;
    common::apply_file(&client, &repo().join("assets/serve.yaml")).await;
    let manifest = std::fs::read_to_string(repo().join("assets/serve.yaml")).unwrap();
    let container = serde_yaml_ng::Deserializer::from_str(&manifest)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
        .find(|d| d["kind"] == "Deployment")
        .map(|d| d["spec"]["template"]["spec"]["containers"][0].clone())
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let args: Vec<String> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().replace(":8443", &format!(":{port}")))
        .collect();

    // A root filesystem of this test's own, with the pod's files in it.
    let (out, _) = built();
    let bundle = common::fresh_home(cluster).join("bundle");
    let runtime = unpack(&out.join("storectl"), &bundle);
    let rootfs = bundle.join("rootfs");
    let account = rootfs.join("var/run/secrets/kubernetes.io/serviceaccount");
    std::fs::create_dir_all(&account).unwrap();
    let accounts: kube::Api<ServiceAccount> =
        kube::Api::namespaced(client.clone(), "ecommerce-platform");
    let token = |audiences: Value| -> k8s_openapi::api::authentication::v1::TokenRequest {
        serde_json::from_value(
            serde_json::json!({"spec": {"audiences": audiences, "expirationSeconds": 3600}}),
        )
        .unwrap()
    };
    let issued = accounts
        .create_token_request("storectl", &Default::default(), &token(Value::Null))
        .await
        .unwrap();
    std::fs::write(account.join("token"), issued.status.unwrap().token).unwrap();
    std::fs::write(account.join("namespace"), "ecommerce-platform").unwrap();
    let kubeconfig: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&cluster.kubeconfig).unwrap()).unwrap();
    let server = kubeconfig["clusters"][0]["cluster"]["server"]
        .as_str()
        .unwrap();
    let ca = kubeconfig["clusters"][0]["cluster"]["certificate-authority"]
        .as_str()
        .unwrap();
    std::fs::copy(ca, account.join("ca.crt")).unwrap();
    let (host, api_port) = server
        .trim_start_matches("https://")
        .rsplit_once(':')
        .unwrap();
    let tls = rootfs.join("etc/storectl/tls");
    std::fs::create_dir_all(&tls).unwrap();
    run(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(tls.join("tls.key"))
        .arg("-out")
        .arg(tls.join("tls.crt")));
    // Readable by the image's user (the kubelet's files are); HOME writable (the chart's
    // emptyDir).
    let mode = |path: PathBuf, mode| std::fs::set_permissions(path, Permissions::from_mode(mode));
    mode(tls.join("tls.key"), 0o644).unwrap();
    mode(rootfs.join("home/storectl"), 0o777).unwrap();

    let stderr = bundle.join("serve.stderr");
    let mut child = in_rootfs(&bundle, &runtime)
        .args(&args)
        .env("KUBERNETES_SERVICE_HOST", host)
        .env("KUBERNETES_SERVICE_PORT", api_port)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();

    // The caller: a ServiceAccount bound to the shipped storectl-api-viewer, its token for
    // the audience `storectl`.
    let caller_objects = bundle.with_file_name("caller.yaml");
    std::fs::write(&caller_objects, CALLER).unwrap();
    common::apply_file(&client, &caller_objects).await;
    let caller = accounts
        .create_token_request(
            "image-test-viewer",
            &Default::default(),
            &token(serde_json::json!(["storectl"])),
        )
        .await
        .unwrap()
        .status
        .unwrap()
        .token;
    let curl = |path: &str| -> (u16, String) {
        let out = Command::new("curl")
            .args(["-sS", "--cacert"])
            .arg(tls.join("tls.crt"))
            .args(["-H", &format!("Authorization: Bearer {caller}")])
            .args(["-w", "\n%{http_code}"])
            .arg(format!("https://127.0.0.1:{port}{path}"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_string())
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, body) = curl("/health");
        if code == 200 {
            break;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "never live over HTTPS ({code} {body}): {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let (code, body) = curl("/api/stores");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, 200, "{body}");
    assert!(
        serde_json::from_str::<Value>(&body).unwrap().is_array(),
        "{body}"
    );
}
