//! Accepting and serving connections: a cap on open connections, a deadline for a client that
//! opens a connection and sends nothing or idles between requests, and graceful shutdown.
//!
//! hyper's own HTTP/1 header-read timeout is not enough on its own: `auto::Builder` first reads
//! the connection preface to choose HTTP/1 or HTTP/2, with no timeout at all, so a client that
//! connects and sends nothing would hold a socket (and a connection slot) for ever. Each
//! connection therefore has a watchdog that closes it once no request has been in flight for the
//! idle timeout, whatever the protocol and whatever state the connection is in.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

use super::HttpConfig;

const MAX_STREAMS_PER_CONNECTION: u32 = 100;

/// Serve `app` on `listener` until `shutdown` resolves, then let open requests finish (up to
/// the grace period). With `tls`, every connection is TLS; handshakes run in the connection's own
/// task so a slow client cannot hold up accepting others.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    config: &HttpConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let max_connections = config.max_connections.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let connections = Arc::new(Semaphore::new(max_connections));
    let idle = Duration::from_secs(config.idle_timeout_secs.max(1));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Beyond the cap a connection is closed at once: a flood of sockets must not use up the
        // file descriptors the database and the open requests need.
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            metrics::counter!("anshin_http_connections_refused_total").increment(1);
            drop(stream);
            continue;
        };
        let connection = Connection { peer, app: app.clone(), idle, stop: stop_rx.clone(), _permit: permit };
        tokio::spawn(connection.run(stream, tls.clone()));
    }
    drop(listener);
    tracing::info!("shutting down: waiting for open requests");
    let _ = stop_tx.send(true);
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    if tokio::time::timeout(grace, connections.acquire_many(all)).await.is_err() {
        tracing::warn!("grace period over; closing remaining connections");
    }
    Ok(())
}

struct Connection {
    peer: SocketAddr,
    app: Router,
    idle: Duration,
    stop: watch::Receiver<bool>,
    /// The connection's slot under the cap, given back when the task ends.
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(self, stream: TcpStream, tls: Option<tokio_rustls::TlsAcceptor>) {
        let _ = stream.set_nodelay(true);
        match tls {
            // A client that opens a TLS connection and never finishes the handshake is as idle as
            // one that sends nothing.
            Some(acceptor) => {
                if let Ok(Ok(tls_stream)) = tokio::time::timeout(self.idle, acceptor.accept(stream)).await {
                    self.serve(TokioIo::new(tls_stream)).await;
                } // else a failed or slow handshake: nothing to serve
            }
            None => self.serve(TokioIo::new(stream)).await,
        }
    }

    async fn serve<I>(mut self, io: I)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let activity = Arc::new(Activity::new());
        let service = {
            let (app, peer, activity) = (self.app.clone(), self.peer, activity.clone());
            let stopping = Stopping(self.stop.clone());
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                req.extensions_mut().insert(stopping.clone());
                let in_flight = activity.begin();
                let response = app.clone().oneshot(req.map(axum::body::Body::new));
                async move { response.await.map(|r| held_while_streaming(r, in_flight)) }
            })
        };
        let builder = builder(self.idle);
        let conn = builder.serve_connection(io, service);
        tokio::pin!(conn);
        // Once closing, how long the connection may take to finish (None: the server's grace).
        let mut closing: Option<Option<Instant>> = None;
        let mut stopping = *self.stop.borrow();
        loop {
            if stopping && closing.is_none() {
                conn.as_mut().graceful_shutdown();
                closing = Some(None);
            }
            let wake = match closing {
                Some(Some(deadline)) => deadline,
                Some(None) => Instant::now() + Duration::from_secs(3_600),
                None => activity.idle_deadline(self.idle),
            };
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, peer = %self.peer, "connection ended with error");
                    }
                    return;
                }
                changed = self.stop.changed(), if !stopping => stopping = changed.is_err() || *self.stop.borrow(),
                _ = tokio::time::sleep_until(wake) => {
                    match closing {
                        // It was asked to close and did not (a client that will not read the last
                        // response): drop it.
                        Some(Some(_)) => return,
                        Some(None) => {}
                        None if activity.is_idle_for(self.idle) => {
                            metrics::counter!("anshin_http_idle_connections_closed_total").increment(1);
                            conn.as_mut().graceful_shutdown();
                            closing = Some(Some(Instant::now() + self.idle));
                        }
                        None => {}
                    }
                }
            }
        }
    }
}

/// A request stays in flight until its response is ready; a stream of server-sent events (the
/// live feed) until its body ends, so the idle watchdog does not close a connection that is
/// busy streaming. Such a stream ends itself when the server stops (`Stopping`).
fn held_while_streaming(response: axum::response::Response, in_flight: InFlight) -> axum::response::Response {
    use futures::StreamExt;
    let streaming = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if !streaming {
        return response; // `in_flight` is dropped here: the response is ready
    }
    response.map(|body| {
        axum::body::Body::from_stream(body.into_data_stream().map(move |chunk| {
            let _held = &in_flight;
            chunk
        }))
    })
}

/// Given to every request: resolves once the server begins to stop, so a response that could run
/// for ever (the live feed) ends and graceful shutdown is not held up until its grace runs out.
#[derive(Clone)]
pub struct Stopping(watch::Receiver<bool>);

impl Stopping {
    pub async fn wait(&mut self) {
        loop {
            if *self.0.borrow_and_update() {
                return;
            }
            if self.0.changed().await.is_err() {
                return;
            }
        }
    }
}

fn builder(idle: Duration) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Headers that trickle in (or a kept-alive connection that sends half a request) count
    // against the same deadline as a silent one.
    builder.http1().timer(TokioTimer::new()).header_read_timeout(idle);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(Duration::from_secs(10))
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION);
    builder
}

/// Requests in flight on one connection and when the last one began or ended.
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `opened`.
    last_change_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity { opened: Instant::now(), in_flight: AtomicUsize::new(0), last_change_ms: AtomicU64::new(0) }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_change_ms.store(ms, Ordering::Release);
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.touch();
        InFlight(Arc::clone(self))
    }

    fn last_change(&self) -> Instant {
        self.opened + Duration::from_millis(self.last_change_ms.load(Ordering::Acquire))
    }

    /// When the connection will have been idle for `idle`, if nothing happens meanwhile.
    fn idle_deadline(&self, idle: Duration) -> Instant {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            // Busy: the request's own time limit applies; look again later.
            return Instant::now() + idle;
        }
        self.last_change() + idle
    }

    fn is_idle_for(&self, idle: Duration) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0 && self.last_change().elapsed() >= idle
    }
}

/// Marks a request in flight; dropped when its response is ready (or the request is abandoned).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.touch();
    }
}
