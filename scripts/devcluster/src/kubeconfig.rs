//! Credentials of the local control plane: the static token file the apiserver reads and
//! the kubeconfig (one context per user) that storectl, kubectl and the tests use.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use kube::config::{KubeConfigOptions, Kubeconfig};

/// A user of the token file.
pub struct User {
    /// The kubeconfig's name for this token (its context is `devcluster-<name>`).
    pub name: &'static str,
    /// The user name the API server knows (several tokens may share one).
    pub login: &'static str,
    /// Comma-separated groups.
    pub groups: &'static str,
}

/// The users of the static token file. `admin` is in system:masters; the others start
/// with no permissions (tests bind roles to them). `twin-grouped` and `twin` are one
/// user (`twin`, same uid) with two tokens, the first also in the group `twins`.
pub const USERS: &[User] = &[
    User {
        name: "admin",
        login: "admin",
        groups: "system:masters",
    },
    User {
        name: "limited",
        login: "limited",
        groups: "",
    },
    User {
        name: "operator",
        login: "operator",
        groups: "",
    },
    User {
        name: "twin-grouped",
        login: "twin",
        groups: "twins",
    },
    User {
        name: "twin",
        login: "twin",
        groups: "",
    },
];

/// A user with its generated bearer token.
pub struct Credential {
    pub user: &'static str,
    pub token: String,
}

/// Writes `token,user,uid,"groups"` lines with fresh random tokens.
pub fn write_token_file(path: &Path, users: &[User]) -> Result<Vec<Credential>> {
    let mut text = String::new();
    let mut out = Vec::new();
    for user in users {
        let token = random_hex(24)?;
        // One uid per login: the position of its first token.
        let uid = users
            .iter()
            .position(|u| u.login == user.login)
            .unwrap_or(0)
            + 1;
        let _ = writeln!(text, "{token},{},{uid},\"{}\"", user.login, user.groups);
        out.push(Credential {
            user: user.name,
            token,
        });
    }
    write_private(path, &text)?;
    Ok(out)
}

/// A kubeconfig with one context per user; the first user's context is current.
/// `ca_file` holds the CA certificate that signed the apiserver's serving certificate.
pub fn write(path: &Path, server: &str, ca_file: &Path, creds: &[Credential]) -> Result<()> {
    let ca = ca_file.display();
    let current = creds.first().map_or("admin", |c| c.user);
    let mut y = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: devcluster-{current}\nclusters:\n- name: devcluster\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\ncontexts:\n"
    );
    for c in creds {
        let _ = write!(
            y,
            "- name: devcluster-{u}\n  context:\n    cluster: devcluster\n    user: {u}\n",
            u = c.user
        );
    }
    y.push_str("users:\n");
    for c in creds {
        let _ = write!(y, "- name: {}\n  user:\n    token: {}\n", c.user, c.token);
    }
    write_private(path, &y)
}

/// A kubeconfig for one user only (the controller manager's).
pub fn write_single(path: &Path, server: &str, ca_file: &Path, cred: &Credential) -> Result<()> {
    write(
        path,
        server,
        ca_file,
        &[Credential {
            user: cred.user,
            token: cred.token.clone(),
        }],
    )
}

/// A client for `context` (or the current context) of the kubeconfig at `path`.
pub async fn client(path: &Path, context: Option<&str>) -> Result<kube::Client> {
    let kubeconfig =
        Kubeconfig::read_from(path).with_context(|| format!("reading {}", path.display()))?;
    let options = KubeConfigOptions {
        context: context.map(str::to_string),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options).await?;
    Ok(kube::Client::try_from(config)?)
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(buf.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}
