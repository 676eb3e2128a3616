//! Who made a request, as authentication established it: put in the request's extensions
//! by the auth middleware, read by the handlers to log every change with its author and
//! source address, to record the author in the store's revision, and to count each
//! caller's event streams.

use std::fmt;

use k8s_openapi::api::authentication::v1::UserInfo;

use super::auth::cache::key_of;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user name (cluster auth), `token:<digest prefix>` (token file) or
    /// `anonymous` (no auth).
    pub name: String,
    pub uid: Option<String>,
    pub groups: Vec<String>,
}

impl Caller {
    /// A caller the cluster vouched for.
    pub fn from_user(user: &UserInfo) -> Self {
        Self {
            name: user.username.clone().unwrap_or_default(),
            uid: user.uid.clone().filter(|u| !u.is_empty()),
            groups: user.groups.clone().unwrap_or_default(),
        }
    }

    /// A caller of the token file: named by a short digest of the token, which tells
    /// tokens apart in the log without revealing them.
    pub fn from_token(token: &str) -> Self {
        let digest: String = key_of(token.as_bytes())[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            name: format!("token:{digest}"),
            uid: None,
            groups: Vec::new(),
        }
    }

    /// Whoever calls a server started with `--insecure-no-auth`.
    pub fn anonymous() -> Self {
        Self {
            name: "anonymous".to_string(),
            uid: None,
            groups: Vec::new(),
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(uid) = &self.uid {
            write!(f, " (uid {uid})")?;
        }
        if !self.groups.is_empty() {
            write!(f, " [groups {}]", self.groups.join(","))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_caller_is_named_without_the_token() {
        let caller = Caller::from_token("a-secret-token-of-the-dashboard");
        assert!(caller.name.starts_with("token:"), "{caller}");
        assert_eq!(caller.name.len(), "token:".len() + 8);
        assert!(!caller.name.contains("secret"));
        assert_ne!(caller, Caller::from_token("another-secret-token-here"));
    }
}
