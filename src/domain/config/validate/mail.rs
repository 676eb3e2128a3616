//! The `mail` keys: checked only when mail is on.

use super::{Failure, dns_subdomain, email, fail, is_label};
use crate::domain::config::model::Mail;

/// The mail settings, checked only when mail is on (`mail.smtp.host` set): a host, a
/// port, a From address, and a password Secret exactly when there is a username.
pub(super) fn check(m: &Mail) -> Result<(), Failure> {
    if !m.enabled() {
        return Ok(());
    }
    let host = &m.smtp.host;
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    let is_name = host.len() <= 253 && host.split('.').all(|l| is_label(&l.to_ascii_lowercase()));
    if !(is_ip || is_name) {
        return fail(
            "mail.smtp.host",
            format!("'{host}' is not a DNS name or an IP address, e.g. smtp.example.com"),
        );
    }
    if !(1..=65_535).contains(&m.smtp.port) {
        return fail(
            "mail.smtp.port",
            format!("{} is not a TCP port (1-65535), e.g. 587", m.smtp.port),
        );
    }
    let sender = m.sender();
    if m.from.trim().is_empty() {
        return fail(
            "mail.from",
            "mail.smtp.host is set, so say which address the stores' mail comes from, e.g. shop@example.com",
        );
    }
    if let Err(why) = email(sender.address) {
        return fail(
            "mail.from",
            format!("'{}' is not a mail address: {why}", m.from),
        );
    }
    if sender
        .name
        .chars()
        .any(|c| c.is_control() || "<>\"".contains(c))
    {
        return fail(
            "mail.from",
            format!(
                "'{}': the name before <address> has characters a From cannot have",
                m.from
            ),
        );
    }
    match (m.authenticates(), m.smtp.password_secret.is_empty()) {
        (true, true) => fail(
            "mail.smtp.passwordSecret",
            "mail.smtp.username is set, so name the Secret in platform.namespace whose key 'password' holds its password",
        ),
        (false, false) => fail(
            "mail.smtp.username",
            "mail.smtp.passwordSecret is set, so give the user name it is the password of",
        ),
        (true, false) => dns_subdomain("mail.smtp.passwordSecret", &m.smtp.password_secret),
        (false, true) => Ok(()),
    }
}
