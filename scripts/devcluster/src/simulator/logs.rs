//! The kubelet's log endpoint, simulated: the API server proxies `kubectl logs` and
//! `storectl logs` here (over TLS, on loopback only). Lines are generated from
//! the pod's state, each with a timestamp derived from the container's start, so a
//! reconnect with `sinceTime` resumes without duplicates.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::runtime::reflector::{ObjectRef, Store};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

type Conn = tokio_rustls::server::TlsStream<TcpStream>;

/// A running container writes one line this often.
const LINE_PERIOD_SECS: i64 = 2;

/// Starts serving HTTPS on a free loopback port with a self-signed certificate made in
/// `tls_dir` (the API server does not verify kubelet certificates unless told to), and
/// returns the port.
pub async fn serve(pods: Store<Pod>, tls_dir: &Path) -> Result<u16> {
    let acceptor = TlsAcceptor::from(Arc::new(server_config(tls_dir).await?));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let pods = pods.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(conn).await {
                    handle(tls, pods).await;
                }
            });
        }
    });
    Ok(port)
}

async fn server_config(tls_dir: &Path) -> Result<rustls::ServerConfig> {
    let (cert, key) = (tls_dir.join("kubelet.crt"), tls_dir.join("kubelet.key"));
    if !cert.exists() || !key.exists() {
        std::fs::create_dir_all(tls_dir)?;
        let out = tokio::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "365",
                "-subj",
                "/CN=sim-node-1",
            ])
            .args([
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:sim-node-1",
                "-keyout",
            ])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .context("running openssl to make the simulated kubelet's certificate")?;
        anyhow::ensure!(
            out.status.success(),
            "openssl failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let certs = CertificateDer::pem_file_iter(&cert)?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(&key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?)
}

/// The query of a `/containerLogs/{namespace}/{pod}/{container}` request.
#[derive(Debug, Default, PartialEq)]
pub struct LogRequest {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    pub tail_lines: Option<usize>,
    pub since_time: Option<Timestamp>,
}

pub fn parse_request(target: &str) -> Option<LogRequest> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut parts = path.strip_prefix("/containerLogs/")?.split('/');
    let mut req = LogRequest {
        namespace: parts.next()?.to_string(),
        pod: parts.next()?.to_string(),
        container: parts.next()?.to_string(),
        ..LogRequest::default()
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, "true"));
        match k {
            "follow" => req.follow = v == "true",
            "previous" => req.previous = v == "true",
            "timestamps" => req.timestamps = v == "true",
            "tailLines" => req.tail_lines = v.parse().ok(),
            "sinceTime" => req.since_time = v.replace("%3A", ":").parse().ok(),
            _ => {}
        }
    }
    Some(req)
}

async fn handle(mut conn: Conn, pods: Store<Pod>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let target = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_default();
    let Some(req) = parse_request(target) else {
        let _ = respond(
            &mut conn,
            "404 Not Found",
            "the storectl node simulator serves container logs only\n",
        )
        .await;
        return;
    };
    let Some(pod) = pods.get(&ObjectRef::new(&req.pod).within(&req.namespace)) else {
        let _ = respond(
            &mut conn,
            "404 Not Found",
            &format!("pod {} not found\n", req.pod),
        )
        .await;
        return;
    };
    let Some(status) = container_status(&pod, &req.container) else {
        let msg = format!(
            "container {} is not valid for pod {}\n",
            req.container, req.pod
        );
        let _ = respond(&mut conn, "400 Bad Request", &msg).await;
        return;
    };
    if req.previous && status.restart_count == 0 {
        let msg = format!(
            "previous terminated container \"{}\" in pod \"{}\" not found\n",
            req.container, req.pod
        );
        let _ = respond(&mut conn, "400 Bad Request", &msg).await;
        return;
    }
    let _ = stream_logs(conn, pods, pod, req).await;
}

async fn respond(conn: &mut Conn, status: &str, body: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body.as_bytes()).await
}

async fn stream_logs(
    mut conn: Conn,
    pods: Store<Pod>,
    pod: Arc<Pod>,
    req: LogRequest,
) -> std::io::Result<()> {
    conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
        .await?;
    let now = Timestamp::now();
    let mut lines = lines_until(&pod, &req, now);
    if let Some(n) = req.tail_lines {
        lines = lines.split_off(lines.len().saturating_sub(n));
    }
    let mut last = req.since_time;
    for (at, line) in &lines {
        conn.write_all(format_line(*at, line, req.timestamps).as_bytes())
            .await?;
        last = Some(*at);
    }
    if !req.follow || req.previous {
        return Ok(());
    }
    let key = ObjectRef::new(&req.pod).within(&req.namespace);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Some(current) = pods
            .get(&key)
            .filter(|p| p.metadata.uid == pod.metadata.uid)
        else {
            return Ok(());
        };
        let follow_req = LogRequest {
            since_time: last,
            ..clone_request(&req)
        };
        for (at, line) in lines_until(&current, &follow_req, Timestamp::now()) {
            conn.write_all(format_line(at, &line, req.timestamps).as_bytes())
                .await?;
            last = Some(at);
        }
        let running = container_status(&current, &req.container)
            .is_some_and(|s| s.state.as_ref().is_some_and(|st| st.running.is_some()));
        if !running && current.metadata.deletion_timestamp.is_some() {
            return Ok(());
        }
    }
}

fn clone_request(r: &LogRequest) -> LogRequest {
    LogRequest {
        namespace: r.namespace.clone(),
        pod: r.pod.clone(),
        container: r.container.clone(),
        follow: r.follow,
        previous: r.previous,
        timestamps: r.timestamps,
        tail_lines: None,
        since_time: r.since_time,
    }
}

fn format_line(at: Timestamp, line: &str, timestamps: bool) -> String {
    if timestamps {
        format!("{} {line}\n", at.strftime("%Y-%m-%dT%H:%M:%S%.9fZ"))
    } else {
        format!("{line}\n")
    }
}

fn container_status(pod: &Pod, name: &str) -> Option<ContainerStatus> {
    let status = pod.status.as_ref()?;
    status
        .container_statuses
        .iter()
        .chain(status.init_container_statuses.iter())
        .flatten()
        .find(|c| c.name == name)
        .cloned()
}

/// Every line the container has written up to `now` (after `since_time`, if set).
pub fn lines_until(pod: &Pod, req: &LogRequest, now: Timestamp) -> Vec<(Timestamp, String)> {
    let Some(status) = container_status(pod, &req.container) else {
        return Vec::new();
    };
    let Some(start) = pod
        .status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .map(|t| t.0)
    else {
        return Vec::new();
    };
    let image = status.image.clone();
    let crashed = status
        .last_state
        .as_ref()
        .is_some_and(|s| s.terminated.is_some());
    let mut out: Vec<(Timestamp, String)> = Vec::new();
    let mut push = |offset_ms: i64, line: String| {
        out.push((start + SignedDuration::from_millis(offset_ms), line));
    };
    if req.previous || (crashed && status.state.as_ref().is_some_and(|s| s.waiting.is_some())) {
        push(
            0,
            format!("[simulated] {} starting ({image})", req.container),
        );
        push(
            5,
            format!(
                "[simulated] {}: fatal error, exiting with status 1",
                req.container
            ),
        );
    } else {
        for (i, line) in startup_lines(&req.container, &image)
            .into_iter()
            .enumerate()
        {
            push(i64::try_from(i).unwrap_or(0) * 10, line);
        }
        let running = status.state.as_ref().is_some_and(|s| s.running.is_some());
        if running && !req.container.starts_with("wait") && req.container != "setup" {
            let elapsed = now.duration_since(start).as_secs();
            for k in 1..=elapsed / LINE_PERIOD_SECS {
                let line = match req.container.as_str() {
                    "wordpress" => format!(
                        "127.0.0.1 - - \"GET /wp-login.php HTTP/1.1\" 200 4321 \"-\" \"kube-probe/1.20\" [simulated request {k}]"
                    ),
                    other => format!("[simulated] {other} heartbeat {k}"),
                };
                push(k * LINE_PERIOD_SECS * 1000, line);
            }
        }
    }
    out.retain(|(at, _)| *at <= now && req.since_time.is_none_or(|since| *at > since));
    out
}

fn startup_lines(container: &str, image: &str) -> Vec<String> {
    let lines: &[&str] = match container {
        "mysql" => &[
            "[Entrypoint] Entrypoint script for MySQL Server started.",
            "[Entrypoint] Initializing database files",
            "[Server] /usr/sbin/mysqld: ready for connections. port: 3306",
        ],
        "wordpress" => &[
            "WordPress not found in /var/www/html - copying now...",
            "Complete! WordPress has been successfully copied to /var/www/html",
            "Apache/2.4 (Debian) PHP/8.3 configured -- resuming normal operations",
        ],
        "setup" => &[
            "Success: WordPress installed successfully.",
            "Installing WooCommerce...",
            "Plugin 'woocommerce' activated.",
            "Success: Rewrite structure set.",
            "store setup complete",
        ],
        "wait-for-mysql" => &["MySQL is ready"],
        _ => &["started"],
    };
    let mut out = vec![format!(
        "[storectl node simulator] container {container} ({image}); no real process runs"
    )];
    out.extend(lines.iter().map(|l| (*l).to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kubelet_log_query() {
        let r = parse_request(
            "/containerLogs/ns/p/c?follow=true&tailLines=5&timestamps=true&sinceTime=2026-01-01T00%3A00%3A00Z",
        );
        let r = r.unwrap_or_default();
        assert_eq!(
            (r.namespace.as_str(), r.pod.as_str(), r.container.as_str()),
            ("ns", "p", "c")
        );
        assert!(r.follow && r.timestamps && !r.previous);
        assert_eq!(r.tail_lines, Some(5));
        assert!(r.since_time.is_some());
        assert_eq!(parse_request("/exec/ns/p/c"), None);
    }
}
