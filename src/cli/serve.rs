//! `storectl serve`: turns the flags into the server's options and runs it.

use super::ServeArgs;
use crate::cluster::connect::Connection;
use crate::domain::config::{Config, Sources};
use crate::serve::{self, AuthMode, Options};

pub async fn run(
    conn: Connection,
    args: &ServeArgs,
    config: Config,
    sources: Sources,
    readonly: bool,
) -> anyhow::Result<()> {
    let auth = match (&args.token_file, args.cluster_auth, args.insecure_no_auth) {
        (Some(path), _, _) => AuthMode::TokenFile(path.clone()),
        (None, true, _) => AuthMode::Cluster,
        (None, false, true) => AuthMode::None,
        (None, false, false) => return Err(super::CliError::NoAuthMode.into()),
    };
    let options = Options {
        listen: args.listen,
        auth,
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        cors_origins: args.cors_origins.clone(),
        readonly,
    };
    serve::run(conn, config, sources, options).await
}
