//! The HTTP foundation: router, middleware stack and the server loop (plain on loopback, TLS
//! with rustls otherwise), with graceful shutdown.

mod cards;
pub mod client;
mod connections;
pub mod error;
mod funding;
mod funding_pages;
pub mod idempotency;
mod identity;
mod identity_pages;
mod identity_review_pages;
mod lang;
mod layout;
mod merchant_pages;
mod merchants;
pub mod middleware;
mod openapi;
mod ops_merchant_pages;
mod pages;
mod passkey_pages;
mod pay_pages;
mod payments;
mod reports;
mod routes;
mod settlement;
mod settlement_pages;
mod signin_pages;
mod step_up_pages;
pub mod tls;
mod transfer_pages;
mod transfers;
mod wallet_pages;
mod withdrawal_pages;
mod withdrawals;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Semaphore;

use crate::storage::Db;
use error::ApiError;

pub use connections::serve;
pub use openapi::document as openapi_document;

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Requests worked on at once before new ones are shed with 503.
    pub max_in_flight: usize,
    pub request_timeout_secs: u64,
    pub max_body_bytes: usize,
    /// Open connections at once; further connections are closed immediately.
    pub max_connections: usize,
    /// A connection with no request in flight for this long is closed: one that sends nothing,
    /// one that idles between requests, one whose headers trickle in.
    pub idle_timeout_secs: u64,
    pub shutdown_grace_secs: u64,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client; none by default,
    /// so the TCP peer is the client unless the operator says otherwise.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_in_flight: 256,
            request_timeout_secs: 10,
            max_body_bytes: 64 * 1024,
            max_connections: default_max_connections(),
            idle_timeout_secs: 15,
            shutdown_grace_secs: 20,
            trusted_proxies: Vec::new(),
        }
    }
}

/// At most 10,000 connections, and never so many that sockets use up the file descriptors the
/// database, the log and the open requests need.
fn default_max_connections() -> usize {
    const RESERVED_FDS: u64 = 256;
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(u64::MAX);
    usize::try_from(soft.saturating_sub(RESERVED_FDS).clamp(64, 10_000)).unwrap_or(10_000)
}

/// `/readyz` and `/metrics` bypass the main admission limit but have a small one of their own, so a
/// flood of probes cannot take database connections from real work.
const MAX_PROBES_IN_FLIGHT: usize = 8;

/// What every handler reads. Axum clones the state for each request and each middleware layer,
/// so the handle is one `Arc` (a single counter) rather than the services themselves, whose
/// clones touch dozens of counters and allocate (measured: about 14% of a payment's CPU).
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

#[derive(Clone)]
pub struct AppStateInner {
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
    pub merchants: Option<crate::merchants::Merchants>,
    pub payments: Option<crate::payments::Payments>,
    pub settlements: Option<crate::settlement::Settlements>,
    /// Bank links, top-ups and points; without it (or without a bank) those answer 503.
    pub funding: Option<crate::funding::Funding>,
    /// Cards and card top-ups; without it (or without a card network) those answer 503.
    pub cards: Option<crate::cards::Cards>,
    /// Transfers between wallets and requests for money.
    pub transfers: Option<crate::transfers::Transfers>,
    /// Withdrawals to same-name bank accounts; without it (or a bank) those answer 503.
    pub withdrawals: Option<crate::withdrawals::Withdrawals>,
    /// Until when (UTC ms) the last successful readiness check still counts.
    pub ready_until_ms: Arc<std::sync::atomic::AtomicI64>,
}

impl AppState {
    pub fn new(db: Db, config: HttpConfig, metrics: Option<PrometheusHandle>, dev_mailbox: bool, tls: bool) -> Self {
        AppState(Arc::new(AppStateInner {
            db,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            probes_in_flight: Arc::new(Semaphore::new(MAX_PROBES_IN_FLIGHT)),
            config: Arc::new(config),
            metrics,
            dev_mailbox,
            tls,
            ledger: None,
            identity: None,
            merchants: None,
            payments: None,
            settlements: None,
            funding: None,
            cards: None,
            transfers: None,
            withdrawals: None,
            ready_until_ms: Arc::new(std::sync::atomic::AtomicI64::new(0)),
        }))
    }

    /// The services are set while the state is built, before any request shares it.
    fn inner_mut(&mut self) -> &mut AppStateInner {
        Arc::make_mut(&mut self.0)
    }

    pub fn with_identity(mut self, identity: crate::identity::Identity) -> Self {
        self.inner_mut().identity = Some(identity);
        self
    }

    pub fn with_merchants(mut self, merchants: crate::merchants::Merchants) -> Self {
        self.inner_mut().merchants = Some(merchants);
        self
    }

    pub fn with_payments(mut self, payments: crate::payments::Payments) -> Self {
        self.inner_mut().payments = Some(payments);
        self
    }

    pub fn with_funding(mut self, funding: crate::funding::Funding) -> Self {
        self.inner_mut().funding = Some(funding);
        self
    }

    pub fn with_cards(mut self, cards: crate::cards::Cards) -> Self {
        self.inner_mut().cards = Some(cards);
        self
    }

    pub fn with_transfers(mut self, transfers: crate::transfers::Transfers) -> Self {
        self.inner_mut().transfers = Some(transfers);
        self
    }

    pub fn with_withdrawals(mut self, withdrawals: crate::withdrawals::Withdrawals) -> Self {
        self.inner_mut().withdrawals = Some(withdrawals);
        self
    }

    pub fn with_ledger(mut self, ledger: crate::ledger::Ledger) -> Self {
        self.inner_mut().ledger = Some(ledger);
        self
    }

    pub fn with_settlements(mut self, settlements: crate::settlement::Settlements) -> Self {
        self.inner_mut().settlements = Some(settlements);
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
    if state.merchants.is_some() {
        app = app.merge(merchants::routes());
    }
    if state.payments.is_some() {
        app = app.merge(payments::routes());
    }
    if state.settlements.is_some() {
        app = app.merge(settlement::routes());
    }
    if state.settlements.is_some() && state.identity.is_some() {
        app = app.merge(settlement_pages::routes());
    }
    if state.identity.is_some() && state.merchants.is_some() {
        app = app.merge(merchant_pages::routes()).merge(ops_merchant_pages::routes());
    }
    if state.identity.is_some() && state.payments.is_some() {
        app = app.merge(wallet_pages::routes()).merge(pay_pages::routes());
    }
    if state.identity.is_some() {
        app =
            app.merge(funding::routes()).merge(funding_pages::routes()).merge(cards::routes()).merge(reports::routes());
        app = app.merge(identity_review_pages::routes());
        app = app.merge(transfers::routes()).merge(withdrawals::routes());
        app = app.merge(transfer_pages::routes()).merge(withdrawal_pages::routes()).merge(identity_pages::routes());
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
        .layer(from_fn(middleware::pace_refusals))
        .layer(from_fn(middleware::refuse_nul))
        .layer(from_fn(middleware::error_envelope))
        .layer(from_fn_with_state(state.clone(), middleware::security_headers))
        .layer(from_fn(middleware::metrics))
        // Outside every layer that can answer, so pages and error envelopes all speak the caller's language.
        .layer(from_fn(lang::negotiate))
        .layer(from_fn(middleware::request_id))
        .with_state(state)
}

pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
