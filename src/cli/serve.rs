//! `storectl serve`: its flags, turned into the server's options (checked before the
//! cluster is contacted) and runs it.

use std::path::PathBuf;

use clap::Args;

use super::{CliError, values};
use crate::serve::{AuthMode, Options, TlsFiles};

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
        tls: args
            .tls_cert
            .clone()
            .zip(args.tls_key.clone())
            .map(|(cert, key)| TlsFiles { cert, key }),
        cors_origins: args.cors_origins.clone(),
        readonly,
        allowed_domains: args.allowed_domains.clone(),
        max_connections: args.max_connections,
        insecure_plaintext: args.insecure_plaintext,
    };
    options.check()?;
    Ok(options)
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub values: values::ValuesArgs,
    /// Address and port to listen on (0.0.0.0:8080 for every interface).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// Accept the bearer tokens in FILE (one a line; reread when it changes).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cluster_auth", "insecure_no_auth"])]
    pub token_file: Option<PathBuf>,
    /// Let the cluster decide: tokens checked by TokenReview, each action by
    /// SubjectAccessReview on the resource stores.storectl.io.
    #[arg(long, conflicts_with = "insecure_no_auth")]
    pub cluster_auth: bool,
    /// Serve without authentication (only on a loopback address).
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Let browsers on this origin call the API (CORS), e.g. https://dashboard.example.com;
    /// repeatable; '*' for any (not with --insecure-no-auth).
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// With --cluster-auth: the audience callers' tokens must be issued for (e.g.
    /// kubectl create token SA --audience storectl).
    #[arg(long, default_value = "storectl", value_name = "AUDIENCE")]
    pub token_audience: String,
    /// A domain stores may be created under through the API (repeatable; the first is
    /// the default); without it, only the configured global.domain.
    #[arg(long = "allowed-domain", value_name = "DOMAIN")]
    pub allowed_domains: Vec<String>,
    /// Connections open at once; more are closed as soon as they are accepted.
    #[arg(long, default_value_t = 1024, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub max_connections: u32,
    /// Serve plain HTTP on a non-loopback address (bearer tokens then cross the network
    /// in clear text); without it, such an address needs --tls-cert and --tls-key.
    #[arg(long)]
    pub insecure_plaintext: bool,
}
