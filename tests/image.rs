//! storectl's container image (`scripts/image`), built and checked without a container
//! runtime: its layout unpacked by another tool (Debian's umoci, which checks every
//! blob's digest and derives the runtime configuration from the image's), its root
//! filesystem entered with `chroot` as the image's user, and a second build compared byte
//! for byte. A missing tool fails the test (CI must have it): `scripts/test` installs the
//! musl target, musl-tools and umoci.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

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
    let _ = std::fs::remove_dir_all(&bundle);
    let mut unpack = Command::new("umoci");
    unpack.arg("unpack");
    if rootless() {
        unpack.arg("--rootless");
    }
    run(unpack
        .arg("--image")
        .arg(format!("{}:{tag}", layout.display()))
        .arg(&bundle));
    let runtime: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    assert_eq!(runtime["process"]["user"]["uid"], uid, "{runtime}");
    assert_eq!(runtime["process"]["args"][0], ENTRYPOINT, "{runtime}");
    let env: Vec<String> = runtime["process"]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();

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
        let mut command = if rootless() {
            let mut c = Command::new("unshare");
            c.args(["--user", "--map-root-user", "chroot"]);
            c
        } else {
            let mut c = Command::new("chroot");
            c.arg(format!("--userspec={uid}:{gid}"));
            c
        };
        command
            .arg(&rootfs)
            .arg(ENTRYPOINT)
            .args(args)
            .env_clear()
            .envs(env.iter().map(|e| e.split_once('=').unwrap()));
        String::from_utf8(run(&mut command).stdout).unwrap()
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
