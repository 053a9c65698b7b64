//! The HTTP foundation: router, middleware stack and the server loop (plain on loopback, TLS
//! with rustls otherwise), with graceful shutdown.

pub mod error;
pub mod idempotency;
mod identity;
mod lang;
mod layout;
pub mod middleware;
mod openapi;
mod pages;
mod passkey_pages;
mod routes;
mod signin_pages;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::storage::Db;
use error::ApiError;

pub use openapi::document as openapi_document;

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Requests worked on at once before new ones are shed with 503.
    pub max_in_flight: usize,
    pub request_timeout_secs: u64,
    pub max_body_bytes: usize,
    /// Open connections at once; further connections are closed immediately.
    pub max_connections: usize,
    pub shutdown_grace_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_in_flight: 256,
            request_timeout_secs: 10,
            max_body_bytes: 64 * 1024,
            max_connections: 10_000,
            shutdown_grace_secs: 20,
        }
    }
}

/// Time a client has to send a request's headers, including while a kept-alive connection idles.
const HEADER_READ_TIMEOUT_SECS: u64 = 15;
const MAX_STREAMS_PER_CONNECTION: u32 = 100;
/// `/readyz` and `/metrics` bypass the main admission limit but have a small one of their own, so a
/// flood of probes cannot take database connections from real work.
const MAX_PROBES_IN_FLIGHT: usize = 8;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<HttpConfig>,
    pub in_flight: Arc<Semaphore>,
    pub probes_in_flight: Arc<Semaphore>,
    pub metrics: Option<PrometheusHandle>,
    /// Dev-only routes (mailbox, test messages) are mounted only with the dev mailbox on loopback.
    pub dev_mailbox: bool,
    pub tls: bool,
    /// The ledger writer, when this process runs one; `/readyz` fails if it has stopped.
    pub ledger: Option<crate::ledger::Ledger>,
    /// Identity flows; their routes exist only when this is set.
    pub identity: Option<crate::identity::Identity>,
}

impl AppState {
    pub fn new(db: Db, config: HttpConfig, metrics: Option<PrometheusHandle>, dev_mailbox: bool, tls: bool) -> Self {
        AppState {
            db,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            probes_in_flight: Arc::new(Semaphore::new(MAX_PROBES_IN_FLIGHT)),
            config: Arc::new(config),
            metrics,
            dev_mailbox,
            tls,
            ledger: None,
            identity: None,
        }
    }

    pub fn with_identity(mut self, identity: crate::identity::Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    pub fn with_ledger(mut self, ledger: crate::ledger::Ledger) -> Self {
        self.ledger = Some(ledger);
        self
    }
}

pub fn router(state: AppState) -> Router {
    use axum::middleware::{from_fn, from_fn_with_state};
    let mut app = Router::new()
        .route("/", get(routes::index))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/metrics", get(routes::metrics))
        .route("/openapi.json", get(routes::openapi))
        .route("/static/anshin.css", get(layout::stylesheet))
        .route("/lang/{tag}", get(lang::switch));
    if state.identity.is_some() {
        app = app
            .merge(identity::routes())
            .merge(pages::routes())
            .merge(signin_pages::routes())
            .merge(passkey_pages::routes());
    }
    if state.dev_mailbox {
        app = app
            .route("/dev/mailbox", get(routes::mailbox_page))
            .route("/v1/dev/mailbox", get(routes::mailbox_json))
            .route("/v1/dev/messages", post(routes::send_test_message));
    }
    // Layers run outside-in from the last one added: request id first, the router last.
    app.fallback(routes::not_found)
        .layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_panic| {
            tracing::error!("handler panicked");
            ApiError::internal().into_response()
        }))
        .layer(from_fn_with_state(state.clone(), middleware::time_limit))
        .layer(from_fn_with_state(state.clone(), middleware::admission))
        .layer(from_fn(middleware::error_envelope))
        .layer(from_fn_with_state(state.clone(), middleware::security_headers))
        .layer(from_fn(middleware::metrics))
        // Outside every layer that can answer, so pages and error envelopes all speak the caller's language.
        .layer(from_fn(lang::negotiate))
        .layer(from_fn(middleware::request_id))
        .with_state(state)
}

/// Serve `app` on `listener` until `shutdown` resolves, then let open requests finish (up to
/// the grace period). With `tls`, every connection is TLS; handshakes run in their own tasks so a
/// slow client cannot hold up accepting others.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    config: &HttpConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(config.max_connections));
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
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            metrics::counter!("anshin_http_connections_refused_total").increment(1);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            // A client that opens a connection and sends nothing (or idles between requests) is
            // cut off, so idle sockets cannot hold every connection slot.
            builder.http1().timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(HEADER_READ_TIMEOUT_SECS));
            builder
                .http2()
                .timer(TokioTimer::new())
                .keep_alive_interval(Some(Duration::from_secs(20)))
                .keep_alive_timeout(Duration::from_secs(10))
                .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION);
            let result = match tls {
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => {
                            watcher
                                .watch(builder.serve_connection(TokioIo::new(tls_stream), service).into_owned())
                                .await
                        }
                        _ => return, // failed or slow handshake: nothing to serve
                    }
                }
                None => watcher.watch(builder.serve_connection(TokioIo::new(stream), service).into_owned()).await,
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "connection ended with error");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: waiting for open requests");
    if tokio::time::timeout(Duration::from_secs(config.shutdown_grace_secs), graceful.shutdown()).await.is_err() {
        tracing::warn!("grace period over; closing remaining connections");
    }
    Ok(())
}

pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
