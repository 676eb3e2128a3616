//! Where a store's mail goes (the `mail` keys): an SMTP server every store's WordPress
//! sends through, and the address its messages come from. Off while `mail.smtp.host`
//! is empty (the default).

use serde::{Deserialize, Serialize};

/// The key of the platform Secret (`mail.smtp.passwordSecret`) that holds the SMTP
/// password; the store's own copy keeps it under the same key.
pub const MAIL_PASSWORD_KEY: &str = "password";

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mail {
    pub smtp: Smtp,
    /// `shop@example.com` or `Shop <shop@example.com>`: the From of every message.
    pub from: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Smtp {
    /// A DNS name or an IP address; empty: mail off.
    pub host: String,
    /// 587 (submission, STARTTLS when offered), 465 (implicit TLS), 25, ...
    pub port: u32,
    /// Empty: no authentication.
    pub username: String,
    /// A Secret in `platform.namespace` whose key [`MAIL_PASSWORD_KEY`] holds the
    /// password; copied into each store's namespace.
    pub password_secret: String,
}

/// The sender `mail.from` names: an address and an optional display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender<'a> {
    pub name: &'a str,
    pub address: &'a str,
}

impl Mail {
    /// Whether stores send mail at all (`mail.smtp.host` set).
    pub fn enabled(&self) -> bool {
        !self.smtp.host.is_empty()
    }

    /// Whether the server wants a login (`mail.smtp.username` set).
    pub fn authenticates(&self) -> bool {
        !self.smtp.username.is_empty()
    }

    /// `mail.from` as display name and address (`Shop <shop@example.com>`, or the bare
    /// address with an empty name).
    pub fn sender(&self) -> Sender<'_> {
        let from = self.from.trim();
        match from.strip_suffix('>').and_then(|f| f.rsplit_once('<')) {
            Some((name, address)) => Sender {
                name: name.trim().trim_matches('"').trim(),
                address: address.trim(),
            },
            None => Sender {
                name: "",
                address: from,
            },
        }
    }
}
