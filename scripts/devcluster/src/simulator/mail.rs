//! What `storectl mail-test`'s script (`storectl-mail-test.php`) would write as its
//! termination message, written by the simulator in its place: the SMTP server's answer.
//! A mail test container is recognised by `STORECTL_MAIL_TO`; a server whose host ends
//! in `.invalid` (RFC 2606) cannot be reached, as on a real cluster, and one whose host
//! starts with `refuses.` answers 535 to the login: the refusals tests ask for through
//! `mail.smtp.host`.

use k8s_openapi::api::core::v1::Container;
use serde_json::json;

/// The script's one-line result for a mail test container, if `c` is one.
pub fn mail_test_result(c: &Container) -> Option<String> {
    let var = |name: &str| {
        c.env
            .iter()
            .flatten()
            .find(|e| e.name == name)
            .and_then(|e| e.value.clone())
    };
    let to = var("STORECTL_MAIL_TO")?;
    let host = var("STORECTL_SMTP_HOST").unwrap_or_default();
    let from = var("STORECTL_MAIL_FROM").unwrap_or_default();
    let result = if host.is_empty() {
        json!({"ok": false, "answer": "", "to": to, "from": from,
               "error": "mail is not configured for this store (mail.smtp.host is empty)"})
    } else if host.ends_with(".invalid") {
        json!({"ok": false, "to": to, "from": from,
               "answer": format!("no answer: could not connect to {host} (simulated)"),
               "error": "SMTP Error: Could not connect to SMTP host."})
    } else if host.starts_with("refuses.") {
        json!({"ok": false, "to": to, "from": from,
               "answer": "535 5.7.8 Authentication credentials invalid (simulated)",
               "error": "SMTP Error: Could not authenticate."})
    } else {
        json!({"ok": true, "to": to, "from": from,
               "answer": format!("250 2.0.0 Ok: queued at {host} (simulated)")})
    };
    Some(result.to_string())
}
