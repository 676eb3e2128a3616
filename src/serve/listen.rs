//! Accepting connections under limits, for hostile clients: at most `--max-connections`
//! open at once (one more is closed as soon as it is accepted, never queued), the TLS
//! handshake within 10 s and counted against the same cap, request headers within 10 s
//! and 16 KiB (hyper's timer also closes a keep-alive connection idle that long). On
//! shutdown no connection is taken any more, and those open finish their requests.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Longest a client may take to send a request's headers, or to start the next request
/// on a kept-alive connection.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The read buffer of a connection: the request line and headers must fit in it.
const MAX_BUFFER: usize = 16 * 1024;

/// Serves `app` on `tcp` (through TLS when `tls` is set) until `shutdown`, then waits for
/// the open connections to finish.
pub async fn serve(
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    max_connections: u32,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(max_connections as usize));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = tcp.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, typically: give the connections open a moment
                // to end rather than spin.
                tracing::warn!("accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::debug!("closing the connection of {peer}: {max_connections} already open");
            drop(stream);
            continue;
        };
        let task = connection(
            stream,
            peer,
            tls.clone(),
            app.clone(),
            stopping.clone(),
            permit,
        );
        tokio::spawn(task);
    }
    drop(tcp);
    let _ = stop.send(true);
    // Every permit back: every connection has ended.
    let _ = permits.acquire_many(max_connections).await;
}

/// One connection, holding its permit until it ends.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    app: Router,
    stopping: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let Some(acceptor) = tls else {
        return http(stream, peer, app, stopping).await;
    };
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => http(tls, peer, app, stopping).await,
        Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
        Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
    }
}

/// HTTP/1.1 on an established connection; the peer's address goes into each request's
/// extensions (`ConnectInfo`).
async fn http<I>(io: I, peer: SocketAddr, app: Router, mut stopping: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request.map(Body::new))
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_BUFFER)
        .keep_alive(true);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(io), service));
    tokio::select! {
        served = conn.as_mut() => {
            if let Err(e) = served {
                tracing::debug!("connection of {peer}: {e}");
            }
            return;
        }
        _ = stopping.wait_for(|s| *s) => conn.as_mut().graceful_shutdown(),
    }
    if let Err(e) = conn.await {
        tracing::debug!("connection of {peer}: {e}");
    }
}
