//! diff: what an upgrade of the store would change, object by object and field by field,
//! drift included. The new configuration is the store's latest revision with the given
//! layers on top (for a store without one, the configuration of this run). diff writes
//! nothing, so `--readonly` allows it: it reads, and dry-runs (`dryRun=All`); unlike
//! `upgrade --dry-run` it never binds a store's namespace (`access::bind_existing`).

use crate::cluster::connect::Connection;
use crate::cluster::upgrade;
use crate::domain::config::{Config, Sources};
use crate::domain::diff::ObjectDiff;
use crate::domain::inventory::StoreObjects;
use crate::domain::layout::StoreLayout;

/// The changes an upgrade of `store` with `layers` would make.
pub async fn run(
    conn: &Connection,
    store: StoreObjects,
    layout: &StoreLayout,
    layers: &Sources,
    base: &Config,
) -> anyhow::Result<Vec<ObjectDiff>> {
    let target = super::upgrade::target(conn, layout, store, layers, base).await?;
    let prepared = upgrade::prepare(conn, layout, &target.store, &target.from, &target.to).await?;
    Ok(prepared.changes)
}

#[cfg(test)]
mod tests {
    //! diff against a stand-in API server that records every request: it reads, and
    //! its only other requests are dry runs.

    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use crate::cluster::connect::{ConnectOptions, Connection};
    use crate::domain::config::{self, Sources};
    use crate::domain::inventory::StoreObjects;
    use crate::domain::labels::{LABEL_APP, MARK_LABEL, MARK_VALUE, STORE_ANNOTATION};
    use crate::domain::layout::StoreLayout;
    use crate::domain::name::StoreName;

    type Seen = Arc<Mutex<Vec<String>>>;

    /// storectl's object `name` of store alpha, as JSON (a namespace without `namespace`).
    fn marked(kind: &str, name: &str, namespace: Option<&str>) -> String {
        let namespace = namespace.map_or(String::new(), |n| format!(r#""namespace":"{n}","#));
        format!(
            r#"{{"apiVersion":"v1","kind":"{kind}","metadata":{{"name":"{name}",{namespace}"labels":{{"{LABEL_APP}":"alpha","{MARK_LABEL}":"{MARK_VALUE}"}},"annotations":{{"{STORE_ANNOTATION}":"alpha"}}}}}}"#
        )
    }

    /// The answer to one request: the store's namespace and secret exist and are
    /// storectl's, lists are empty, anything else is not found.
    fn answer(method: &str, path: &str) -> (u16, String) {
        let segments: Vec<&str> = path
            .split('?')
            .next()
            .unwrap_or_default()
            .split('/')
            .skip(1)
            .collect();
        let list = match segments.first() {
            Some(&"api") => {
                segments.len() == 3 || (segments.len() == 5 && segments[2] == "namespaces")
            }
            Some(&"apis") => {
                segments.len() == 4 || (segments.len() == 6 && segments[3] == "namespaces")
            }
            _ => false,
        };
        match (method, segments.as_slice()) {
            ("GET", ["api", "v1", "namespaces", "store-alpha"]) => {
                (200, marked("Namespace", "store-alpha", None))
            }
            ("GET", ["api", "v1", "namespaces", "store-alpha", "secrets", name]) => {
                (200, marked("Secret", name, Some("store-alpha")))
            }
            ("GET", _) if list => (
                200,
                r#"{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":"1"},"items":[]}"#
                    .to_string(),
            ),
            _ => (
                404,
                r#"{"apiVersion":"v1","kind":"Status","status":"Failure","reason":"NotFound","code":404,"message":"not found"}"#
                    .to_string(),
            ),
        }
    }

    /// Serves one connection: HTTP/1.1 requests, each recorded as `METHOD path?query`.
    async fn serve(mut stream: TcpStream, seen: Seen) {
        let mut buf = Vec::new();
        loop {
            let end = loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                let mut chunk = [0u8; 4096];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + length {
                let mut chunk = [0u8; 4096];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            buf.drain(..end + length);
            let mut words = head.split_whitespace();
            let (method, path) = (
                words.next().unwrap_or_default(),
                words.next().unwrap_or_default(),
            );
            seen.lock().unwrap().push(format!("{method} {path}"));
            let (code, body) = answer(method, path);
            let reply = format!(
                "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            if stream.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    }

    #[tokio::test]
    async fn diff_reads_and_dry_runs_only_and_never_binds_the_namespace() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Seen = Arc::default();
        let recorded = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, recorded.clone()));
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("config");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters: [{{name: fake, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\nusers: [{{name: fake, user: {{}}}}]\ncontexts: [{{name: fake, context: {{cluster: fake, user: fake}}}}]\ncurrent-context: fake\n"
            ),
        )
        .unwrap();
        let conn = Connection::open(&ConnectOptions {
            kubeconfig: Some(kubeconfig),
            context: None,
            watch_list: false,
        })
        .await
        .unwrap();
        let config = config::defaults().unwrap();
        let name = StoreName::parse_for("alpha", &config).unwrap();
        let layout = StoreLayout::new(&name, &config);
        assert_eq!(layout.namespace, "store-alpha");
        let store = StoreObjects {
            name: "alpha".into(),
            namespace: None,
            namespace_name: layout.namespace.clone(),
            deployments: vec![],
            jobs: vec![],
            claims: vec![],
            pods: vec![],
            ingresses: vec![],
            reports: vec![],
        };
        // The answer does not matter here (the stand-in knows little), what was asked does.
        let _ = super::run(&conn, store, &layout, &Sources::default(), &config).await;
        let seen = seen.lock().unwrap().clone();
        assert!(
            seen.iter().any(|r| r.starts_with("PATCH ")),
            "diff got as far as its dry run: {seen:#?}"
        );
        let writes: Vec<&String> = seen
            .iter()
            .filter(|r| {
                !(r.starts_with("GET ") || (r.starts_with("PATCH ") && r.contains("dryRun=All")))
            })
            .collect();
        assert!(writes.is_empty(), "diff wrote: {writes:#?}\nof {seen:#?}");
    }
}
