//! `--tls-cert` / `--tls-key`: the server's TLS configuration (TLS 1.2 and 1.3, the ring
//! provider, HTTP/1.1 by ALPN). Handshakes run in each connection's own task, under the
//! connection cap and a deadline (`listen`). The pair is read again when either file
//! changes (cert-manager or the kubelet renewing the Secret), looked at on each
//! handshake; a new pair that cannot be read or does not fit together is not taken: the
//! last good one is served until the files change again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

use super::file_stamp::{Stamp, stamp};

/// Reads the certificate chain and key (PEM) into an acceptor of TLS connections, which
/// follows later changes of the files.
pub fn acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let resolver = Reloading::open(cert, key, provider.clone())?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The pair served, and the stamps of the files it was read from.
#[derive(Debug)]
struct Served {
    stamps: (Option<Stamp>, Option<Stamp>),
    pair: Arc<CertifiedKey>,
}

/// The certificate of `--tls-cert` and `--tls-key` as they are now.
#[derive(Debug)]
struct Reloading {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    served: RwLock<Served>,
}

impl Reloading {
    /// Reads the pair; one that cannot be read or does not fit together is an error.
    fn open(cert: &Path, key: &Path, provider: Arc<CryptoProvider>) -> anyhow::Result<Self> {
        let stamps = (stamp(cert).ok(), stamp(key).ok());
        let pair = Arc::new(read_pair(cert, key, &provider)?);
        Ok(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            provider,
            served: RwLock::new(Served { stamps, pair }),
        })
    }

    /// The pair to serve: read again first if either file changed.
    fn current(&self) -> Arc<CertifiedKey> {
        let stamps = (stamp(&self.cert).ok(), stamp(&self.key).ok());
        let served = self.served.read().unwrap_or_else(|e| e.into_inner());
        if served.stamps == stamps {
            return served.pair.clone();
        }
        let old = served.pair.clone();
        drop(served);
        match read_pair(&self.cert, &self.key, &self.provider) {
            Ok(pair) => {
                tracing::info!("TLS certificate {} read again", self.cert.display());
                let pair = Arc::new(pair);
                *self.served.write().unwrap_or_else(|e| e.into_inner()) = Served {
                    stamps,
                    pair: pair.clone(),
                };
                pair
            }
            Err(e) => {
                // Said once per change of the files, not at every handshake.
                tracing::warn!("{e}; serving the certificate read before");
                *self.served.write().unwrap_or_else(|e| e.into_inner()) = Served {
                    stamps,
                    pair: old.clone(),
                };
                old
            }
        }
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// The certificate chain and key (PEM), checked to fit together.
fn read_pair(cert: &Path, key: &Path, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("cannot read certificates from {}: {e}", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("{} holds no certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("cannot read a private key from {}: {e}", key.display()))?;
    CertifiedKey::from_der(chain, key, provider)
        .map_err(|e| anyhow::anyhow!("the certificate and key do not fit together: {e}"))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::process::Command;

    use rustls_pki_types::ServerName;
    use tokio_rustls::TlsConnector;
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};

    use super::*;

    /// A self-signed certificate for `localhost` whose subject is `name`, and its key,
    /// made by openssl in `dir`: (certificate, key) PEM files.
    fn pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let config = dir.join(format!("{name}.cnf"));
        let text = format!(
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = {name}\n[leaf]\nsubjectAltName = DNS:localhost\nbasicConstraints = critical,CA:FALSE\n"
        );
        std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
        let (cert, key) = (
            dir.join(format!("{name}.crt")),
            dir.join(format!("{name}.key")),
        );
        let made = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-extensions",
                "leaf",
                "-nodes",
                "-days",
                "1",
            ])
            .args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
            .arg("-config")
            .arg(&config)
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap_or_else(|e| panic!("openssl (package openssl): {e}"));
        assert!(made.status.success(), "{made:?}");
        (cert, key)
    }

    /// Replaces `to` by a copy of `from` in one rename, as a Secret volume changes.
    fn swap(from: &Path, to: &Path) {
        let next = to.with_extension("next");
        std::fs::copy(from, &next).unwrap_or_else(|e| panic!("{e}"));
        std::fs::rename(&next, to).unwrap_or_else(|e| panic!("{e}"));
    }

    /// The certificate a client is served in a handshake, as DER.
    async fn served(acceptor: &TlsAcceptor, trusted: &[&Path]) -> Vec<u8> {
        let mut roots = RootCertStore::empty();
        for cert in trusted {
            let der = CertificateDer::from_pem_file(cert).unwrap_or_else(|e| panic!("{e}"));
            roots.add(der).unwrap_or_else(|e| panic!("{e}"));
        }
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|e| panic!("{e}"))
            .with_root_certificates(roots)
            .with_no_client_auth();
        let (near, far) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn({
            let acceptor = acceptor.clone();
            async move { acceptor.accept(far).await.map(|_| ()) }
        });
        let name = ServerName::try_from("localhost").unwrap_or_else(|e| panic!("{e}"));
        let tls = TlsConnector::from(Arc::new(client))
            .connect(name, near)
            .await
            .unwrap_or_else(|e| panic!("handshake: {e}"));
        let certs = tls.get_ref().1.peer_certificates().unwrap_or_default();
        let first = certs.first().map(|c| c.to_vec()).unwrap_or_default();
        server
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("server side: {e}"));
        first
    }

    fn der(cert: &Path) -> Vec<u8> {
        CertificateDer::from_pem_file(cert)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_vec()
    }

    #[tokio::test]
    async fn a_renewed_certificate_is_served_without_a_restart_and_a_broken_one_never() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (a_cert, a_key) = pair(dir.path(), "a");
        let (b_cert, b_key) = pair(dir.path(), "b");
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        swap(&a_cert, &cert);
        swap(&a_key, &key);
        let acceptor = acceptor(&cert, &key).unwrap_or_else(|e| panic!("{e}"));
        let trusted = [a_cert.as_path(), b_cert.as_path()];
        let (a, b) = (der(&a_cert), der(&b_cert));
        let name = |served: Vec<u8>| match served {
            s if s == a => "a",
            s if s == b => "b",
            _ => "another",
        };
        assert_eq!(name(served(&acceptor, &trusted).await), "a");

        // Renewed: the next handshake gets the new certificate.
        swap(&b_cert, &cert);
        swap(&b_key, &key);
        assert_eq!(
            name(served(&acceptor, &trusted).await),
            "b",
            "after renewal"
        );

        // Half written, then a certificate without its key: the last good pair stays.
        std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nMII").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(name(served(&acceptor, &trusted).await), "b", "half written");
        swap(&a_cert, &cert);
        assert_eq!(name(served(&acceptor, &trusted).await), "b", "key missing");
        swap(&a_key, &key);
        assert_eq!(
            name(served(&acceptor, &trusted).await),
            "a",
            "renewed again"
        );
    }

    #[test]
    fn a_pair_that_does_not_fit_together_is_refused_at_start() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (a_cert, _) = pair(dir.path(), "a");
        let (_, b_key) = pair(dir.path(), "b");
        let error = acceptor(&a_cert, &b_key).err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .unwrap_or_default()
                .contains("do not fit together"),
            "{error:?}"
        );
    }
}
