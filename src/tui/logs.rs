//! The log pane's stream: a component's logs followed into the app, reconnecting (also to
//! a replacement pod) and resuming after the last line seen, so nothing is shown twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::jiff::Timestamp;
use tokio::sync::mpsc::UnboundedSender;

use crate::app::{Action, LogLine};
use crate::cluster::connect::Connection;
use crate::cluster::logs;
use crate::domain::layout::Component;

/// Streams a component's logs into the app, reconnecting (also to a replacement pod) and
/// resuming after the last line, with duplicates of the last second filtered out.
pub async fn follow_logs(
    conn: Connection,
    name: String,
    namespace: String,
    component: Component,
    previous: bool,
    tx: UnboundedSender<Action>,
) {
    let seen: Arc<Mutex<(Option<Timestamp>, HashSet<String>)>> = Arc::default();
    loop {
        let pod = match logs::newest_pod(&conn, &namespace, &name, component).await {
            Ok(Some(pod)) => pod,
            Ok(None) => {
                let _ = tx.send(Action::LogEnded(Some(format!(
                    "no {} pod yet; waiting",
                    component.as_str()
                ))));
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
            Err(e) => {
                let _ = tx.send(Action::LogEnded(Some(e.to_string())));
                return;
            }
        };
        let since = seen.lock().map(|s| s.0).unwrap_or(None);
        let options = logs::LogOptions {
            follow: !previous,
            previous,
            timestamps: true,
            tail_lines: None,
            since_time: since,
        };
        match logs::lines(&conn, &pod, component, &options).await {
            Ok(stream) => {
                let mut stream = stream.ready_chunks(256);
                while let Some(chunk) = stream.next().await {
                    let lines: Vec<LogLine> = chunk
                        .into_iter()
                        .filter_map(Result::ok)
                        .filter_map(|l| fresh(&seen, &l))
                        .collect();
                    if !lines.is_empty() && tx.send(Action::LogLines(lines)).is_err() {
                        return;
                    }
                }
                if previous {
                    let _ = tx.send(Action::LogEnded(Some(
                        "end of the previous container's log".to_string(),
                    )));
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Action::LogEnded(Some(format!("{e}; retrying"))));
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Parses `TIMESTAMP text`; returns None for a line already shown (at or before the last
/// timestamp seen, same text within that second).
fn fresh(seen: &Mutex<(Option<Timestamp>, HashSet<String>)>, raw: &str) -> Option<LogLine> {
    let (ts, text) = raw.split_once(' ').unwrap_or((raw, ""));
    let at: Option<Timestamp> = ts.parse().ok();
    let mut seen = seen.lock().ok()?;
    if let (Some(at), Some(last)) = (at, seen.0) {
        if at < last || (at == last && seen.1.contains(raw)) {
            return None;
        }
        if at > last {
            seen.1.clear();
        }
    }
    if at.is_some() {
        seen.0 = at;
        seen.1.insert(raw.to_string());
    }
    Some(LogLine {
        timestamp: ts.to_string(),
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnect_resuming_at_the_last_second_shows_no_line_twice() {
        let seen = Mutex::new((None, HashSet::new()));
        let show = |lines: &[&str]| -> Vec<String> {
            lines
                .iter()
                .filter_map(|l| fresh(&seen, l))
                .map(|l| l.text)
                .collect()
        };
        let first = [
            "2026-11-25T20:00:01Z a",
            "2026-11-25T20:00:02Z b",
            "2026-11-25T20:00:02Z c",
        ];
        assert_eq!(show(&first), ["a", "b", "c"]);
        // The server resends everything from the last second (sinceTime has 1 s precision).
        let again = [
            "2026-11-25T20:00:02Z b",
            "2026-11-25T20:00:02Z c",
            "2026-11-25T20:00:02Z d",
            "2026-11-25T20:00:03Z e",
        ];
        assert_eq!(show(&again), ["d", "e"]);
        assert!(
            fresh(&seen, "2026-11-25T20:00:01Z old").is_none(),
            "older lines are dropped"
        );
    }
}
