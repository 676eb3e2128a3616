//! mail-test: one message sent from a store, as the store sends mail (a Job with its
//! WordPress image, environment and storectl's PHP files: `manifests::mail`), and the
//! SMTP server's answer. Refused for a store whose configuration has no mail.

use crate::cluster::connect::Connection;
use crate::cluster::mail;
use crate::domain::config::Config;
use crate::domain::manifests::mail::MailTestResult;
use crate::domain::name::StoreName;
use crate::ops::Error;

/// What the test did: where it sent, and what the server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTest {
    pub store: String,
    pub to: String,
    pub result: MailTestResult,
}

impl MailTest {
    /// The line every front end prints: the server's answer (or why there was none).
    pub fn summary(&self) -> String {
        let answer = if self.result.answer.is_empty() {
            self.result.error.as_str()
        } else {
            self.result.answer.as_str()
        };
        if self.result.ok {
            format!("{}: sent to {}: {answer}", self.store, self.to)
        } else {
            format!("{}: not sent to {}: {answer}", self.store, self.to)
        }
    }

    /// Ok when the server accepted the message; the refusal as the error otherwise.
    pub fn accepted(self) -> Result<Self, Error> {
        if self.result.ok {
            Ok(self)
        } else {
            Err(Error::MailRefused {
                summary: self.summary(),
            })
        }
    }
}

/// Sends one message from store `name` to `to` and reads the server's answer.
pub async fn run(
    conn: &Connection,
    name: &StoreName,
    config: &Config,
    to: &str,
) -> anyhow::Result<MailTest> {
    if to.is_empty() || to.chars().any(char::is_whitespace) || !to.contains('@') {
        return Err(Error::BadRecipient { to: to.to_string() }.into());
    }
    let located = super::find::to_act_on(conn, name, config).await?;
    let layout = located.layout;
    let own = super::backup::settings_for(conn, &layout, located.store, config).await?;
    if !own.mail.enabled() {
        return Err(Error::MailNotConfigured {
            name: name.to_string(),
        }
        .into());
    }
    let end = mail::run_mail_test(conn, &layout, &own, to).await?;
    let result = MailTestResult::parse(&end.result).ok_or_else(|| mail::MailError::NoResult {
        job: end.job.clone(),
        why: format!("its result is not the mail test's: {}", end.result.trim()),
    })?;
    Ok(MailTest {
        store: name.to_string(),
        to: to.to_string(),
        result,
    })
}
