//! The server's version, asked beside a command's first requests rather than before
//! them (one round trip less for every command): a server outside the range storectl
//! supports is named once on stderr, as soon as its answer is in.

use std::sync::Mutex;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::cluster::connect::Connection;

/// How long a finished command still waits for the version's answer, so that its
/// warning is not lost (it is normally in long before).
const GRACE: Duration = Duration::from_secs(1);

/// The version check of a command's connection (the first connection only).
#[derive(Default)]
pub(super) struct VersionCheck(Mutex<Option<JoinHandle<()>>>);

impl VersionCheck {
    /// Asks `conn`'s server for its version meanwhile; only the first call asks.
    pub(super) fn start(&self, conn: &Connection) {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_some() {
            return;
        }
        let conn = conn.clone();
        *slot = Some(tokio::spawn(async move {
            if let Ok(version) = conn.server_version().await
                && let Some(warning) = version.warning()
            {
                eprintln!("storectl: warning: {warning}");
            }
        }));
    }

    /// Waits briefly for the answer, when the command is done before it.
    pub(super) async fn finish(&self) {
        let check = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(check) = check
            && tokio::time::timeout(GRACE, check).await.is_err()
        {
            tracing::debug!("the server's version did not come within {GRACE:?}");
        }
    }
}
