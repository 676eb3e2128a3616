//! `storectl serve`: turns the flags into the server's options (checked before the
//! cluster is contacted) and runs it.

use super::{CliError, ServeArgs};
use crate::serve::{AuthMode, Options};

pub fn options(args: &ServeArgs, readonly: bool) -> anyhow::Result<Options> {
    let auth = match (&args.token_file, args.cluster_auth, args.insecure_no_auth) {
        (Some(path), _, _) => AuthMode::TokenFile(path.clone()),
        (None, true, _) => AuthMode::Cluster {
            audience: args.token_audience.clone(),
        },
        (None, false, true) => AuthMode::None,
        (None, false, false) => return Err(CliError::NoAuthMode.into()),
    };
    let options = Options {
        listen: args.listen,
        auth,
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        cors_origins: args.cors_origins.clone(),
        readonly,
        allowed_domains: args.allowed_domains.clone(),
        max_connections: args.max_connections,
        insecure_plaintext: args.insecure_plaintext,
    };
    options.check()?;
    Ok(options)
}
