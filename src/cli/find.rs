//! What the user was not allowed to see, reported after what could be seen; finding a
//! store is `ops::find`.

use crate::cli::CliError;
use crate::cluster::error::ClusterError;
pub use crate::ops::find::{Found, Located, store, to_act_on};

/// After printing what could be seen: names each refused kind once on stderr and ends
/// with exit code 5, or succeeds when nothing was refused.
pub fn report_forbidden(forbidden: &[ClusterError]) -> anyhow::Result<()> {
    if forbidden.is_empty() {
        return Ok(());
    }
    for refusal in forbidden {
        eprintln!("storectl: {refusal}");
    }
    Err(CliError::Incomplete(forbidden.len()).into())
}
