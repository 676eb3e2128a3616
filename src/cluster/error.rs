//! Errors of talking to a cluster, each phrased as one line that names the cause and
//! what to do: unreachable, rejected credentials, missing context, RBAC refusals.

/// A cluster problem a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config")]
    NoKubeconfig,
    #[error("cannot read the kubeconfig: {0}")]
    BadKubeconfig(String),
    #[error("context '{context}' is not in the kubeconfig (available: {available})")]
    NoContext { context: String, available: String },
    #[error(
        "cannot reach the cluster at {server}: {detail}; check the context (--context) and the network"
    )]
    Unreachable { server: String, detail: String },
    #[error(
        "the cluster at {server} rejected the credentials of context '{context}' (401 Unauthorized): they may have expired; log in again or pick another context"
    )]
    Unauthorized { server: String, context: String },
    #[error(
        "cannot get credentials for context '{context}': {detail}; log in again or pick another context"
    )]
    Credentials { context: String, detail: String },
    #[error("forbidden: {user} may not {verb} {resource}{scope}; {hint}")]
    Forbidden {
        user: String,
        verb: String,
        resource: String,
        scope: String,
        hint: &'static str,
    },
    #[error("{action}: {message}")]
    Api {
        action: String,
        code: u16,
        reason: String,
        message: String,
    },
    #[error("{action}: {detail}")]
    Other { action: String, detail: String },
}

/// The server a request went to, and the kubeconfig context that named it: what a
/// failure's message names.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub server: String,
    pub context: String,
}

impl ClusterError {
    /// Classifies a failed request; `action` says what was being done ("listing stores").
    pub fn from_kube(error: kube::Error, action: &str, endpoint: &Endpoint) -> Self {
        match error {
            kube::Error::Api(status) if status.code == 401 => Self::Unauthorized {
                server: endpoint.server.clone(),
                context: endpoint.context.clone(),
            },
            kube::Error::Api(status) if status.code == 403 => forbidden(&status.message)
                .unwrap_or_else(|| Self::Api {
                    action: action.to_string(),
                    code: 403,
                    reason: status.reason.clone(),
                    message: status.message.clone(),
                }),
            kube::Error::Api(status) => Self::Api {
                action: action.to_string(),
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
            },
            kube::Error::Auth(e) => Self::Credentials {
                context: endpoint.context.clone(),
                detail: credentials_failure(&e),
            },
            e @ (kube::Error::HyperError(_)
            | kube::Error::Service(_)
            | kube::Error::RustlsTls(_)) => Self::Unreachable {
                server: endpoint.server.clone(),
                detail: root_cause(&e),
            },
            other => Self::Other {
                action: action.to_string(),
                detail: chain(&other),
            },
        }
    }

    /// The HTTP status of an API refusal, if this is one.
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Api { code, .. } => Some(*code),
            Self::Forbidden { .. } => Some(403),
            Self::Unauthorized { .. } => Some(401),
            _ => None,
        }
    }
}

/// What grants a refused cluster-wide request.
const CLUSTER_HINT: &str = "ask for the storectl-operator role (assets/rbac.yaml)";
/// What grants a refused request in a namespace: storectl's per-store RoleBinding.
const NAMESPACE_HINT: &str = "storectl writes in a store's namespace through its RoleBinding storectl-store-writer, which must name one of your groups (platform.writers; `storectl upgrade` adds it to an older store; docs/security.md)";

/// Parses the API server's RBAC message, e.g. `namespaces is forbidden: User "bob"
/// cannot list resource "namespaces" in API group "" at the cluster scope`.
pub fn forbidden(message: &str) -> Option<ClusterError> {
    let rest = message.split_once("forbidden: ")?.1;
    let (user, rest) = rest.split_once(" cannot ")?;
    let (verb, rest) = rest.split_once(" resource \"")?;
    let (resource, rest) = rest.split_once('"')?;
    let group = rest
        .split_once("in API group \"")
        .and_then(|(_, g)| g.split_once('"'))
        .map(|(g, _)| g);
    let resource = match group {
        Some(g) if !g.is_empty() => format!("{resource}.{g}"),
        _ => resource.to_string(),
    };
    let (scope, hint) = match rest
        .split_once("in the namespace \"")
        .and_then(|(_, ns)| ns.split_once('"'))
    {
        Some((ns, _)) => (format!(" in namespace {ns}"), NAMESPACE_HINT),
        None => (" cluster-wide".to_string(), CLUSTER_HINT),
    };
    Some(ClusterError::Forbidden {
        user: user.replace("User ", "user "),
        verb: verb.to_string(),
        resource,
        scope,
        hint,
    })
}

/// Why the kubeconfig's credentials could not be had: an exec plugin that failed speaks
/// for itself (its last line on stderr, made printable), anything else as kube says.
fn credentials_failure(e: &kube::client::AuthError) -> String {
    match e {
        kube::client::AuthError::AuthExecRun { cmd, out } => {
            let program = cmd
                .split_whitespace()
                .find(|w| !w.contains('='))
                .unwrap_or(cmd);
            let said = String::from_utf8_lossy(&out.stderr);
            let last = said
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            format!(
                "its credential plugin {program} failed ({}): {}",
                out.status,
                crate::domain::text::printable(last.trim().as_bytes())
            )
        }
        other => chain(other),
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The innermost cause of an error chain ("Connection refused").
pub fn root_cause(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rbac_messages_become_verb_resource_and_scope() {
        let e = forbidden(
            r#"namespaces is forbidden: User "limited" cannot list resource "namespaces" in API group "" at the cluster scope"#,
        );
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some(
                "forbidden: user \"limited\" may not list namespaces cluster-wide; ask for the storectl-operator role (assets/rbac.yaml)"
            )
        );
        let e = forbidden(
            r#"deployments.apps "x" is forbidden: User "bob" cannot patch resource "deployments" in API group "apps" in the namespace "store-a""#,
        );
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some(
                "forbidden: user \"bob\" may not patch deployments.apps in namespace store-a; storectl writes in a store's namespace through its RoleBinding storectl-store-writer, which must name one of your groups (platform.writers; `storectl upgrade` adds it to an older store; docs/security.md)"
            )
        );
        assert!(forbidden("something else").is_none());
    }
}
