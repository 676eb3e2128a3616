//! Exit codes of the binary, one per kind of failure a script may want to tell apart
//! (documented in docs/cli.md).

use crate::domain::config::ConfigError;
use crate::domain::name::NameError;

/// Bad input: a usage error, an invalid store name, or invalid configuration.
pub const INVALID_INPUT: u8 = 2;
/// Anything else that went wrong.
pub const FAILURE: u8 = 1;

/// The exit code for an error that ended the program.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if cause.is::<NameError>() || cause.is::<ConfigError>() {
            return INVALID_INPUT;
        }
    }
    FAILURE
}
