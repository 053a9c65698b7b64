//! A card network for tests and demos (`anshin sim card-network`): the EMV 3-D Secure 2
//! directory server and the issuers' access control server, plus the network's authorisation and
//! card-verification endpoints. Outcomes are chosen by the test card's last four digits
//! (clearhaus's sandbox model, PAYMENTS-DOMAIN.md §3). See docs/CARD-NETWORK.md.
//!
//! The service calls `/ds/…` and `/network/…` with a bearer key, and the simulator sends its RReq
//! back with the same key, so neither side takes a result from anyone else. The `/acs/…` pages are
//! what a cardholder's browser sees and carry no key.

mod acs;
mod book;
mod ds;
// vcard (issue 8 item 8): shops' purchases with Anshin's virtual cards, sent to Anshin as issuer.
mod merchant;

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;

use crate::sim::auth::{KeyDigest, require_key};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

pub use book::{
    Brand as TestBrand, CHALLENGE_START_WINDOW_MS, MAX_CHALLENGE_TRIES, TEST_CHALLENGE_CODE, TEST_CVC, TEST_CVC_AMEX,
    TEST_EXPIRY_YYMM, luhn_valid, test_card_number,
};

use super::error::SimError;

/// A request body is one 3DS message or a few fields.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// Requests worked on at once; more wait their turn.
const MAX_IN_FLIGHT: usize = 256;
/// Past any client's timeout (the service waits a few seconds), short enough not to hang a test.
pub const DEFAULT_DS_TIMEOUT_DELAY_MS: u64 = 10_000;
/// A decoupled authentication's cardholder approves this long after the ARes.
pub const DEFAULT_DECOUPLED_DELAY_MS: u64 = 1_000;

/// How the simulator behaves. `Debug` never shows the key.
#[derive(Clone)]
pub struct CardNetworkConfig {
    pub api_key: String,
    pub ds_timeout_delay_ms: u64,
    pub decoupled_delay_ms: u64,
    /// Where "Anshin issuer" takes authorisations (the service's base URL), if anywhere.
    pub issuer_url: Option<String>,
    /// Numbers under this BIN are Anshin's virtual cards (the service's `--virtual-card-bin`).
    pub issuer_bin: String,
}

/// The BIN the network routes to Anshin as issuer, by default.
pub const DEFAULT_ISSUER_BIN: &str = "356400";

impl CardNetworkConfig {
    pub fn new(api_key: impl Into<String>) -> CardNetworkConfig {
        CardNetworkConfig {
            api_key: api_key.into(),
            ds_timeout_delay_ms: DEFAULT_DS_TIMEOUT_DELAY_MS,
            decoupled_delay_ms: DEFAULT_DECOUPLED_DELAY_MS,
            issuer_url: None,
            issuer_bin: DEFAULT_ISSUER_BIN.into(),
        }
    }

    pub fn check(&self) -> Result<(), String> {
        let key = &self.api_key;
        if key.chars().count() < super::MIN_API_KEY_CHARS || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("the API key must be at least {} visible ASCII characters", super::MIN_API_KEY_CHARS));
        }
        if self.ds_timeout_delay_ms > super::MAX_CONFIRM_DELAY_MS
            || self.decoupled_delay_ms > super::MAX_CONFIRM_DELAY_MS
        {
            return Err(format!("delays are at most {} ms", super::MAX_CONFIRM_DELAY_MS));
        }
        if let Some(url) = &self.issuer_url {
            crate::edge::loopback_http_url(url, "issuer").map_err(|e| format!("--issuer-url: {e}"))?;
        }
        if !(6..=8).contains(&self.issuer_bin.len()) || !self.issuer_bin.bytes().all(|b| b.is_ascii_digit()) {
            return Err("the issuer BIN is 6 to 8 digits".into());
        }
        Ok(())
    }
}

impl std::fmt::Debug for CardNetworkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardNetworkConfig")
            .field("api_key", &"<redacted>")
            .field("ds_timeout_delay_ms", &self.ds_timeout_delay_ms)
            .field("decoupled_delay_ms", &self.decoupled_delay_ms)
            .field("issuer_url", &self.issuer_url)
            .field("issuer_bin", &self.issuer_bin)
            .finish()
    }
}

struct Network {
    config: CardNetworkConfig,
    /// Where browsers reach this simulator (the ARes's `acsURL`).
    public_url: String,
    book: Mutex<book::Book>,
    http: reqwest::Client,
}

impl Network {
    fn book(&self) -> Result<MutexGuard<'_, book::Book>, SimError> {
        self.book.lock().map_err(|_| {
            SimError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the simulator failed a check; restart it",
            )
        })
    }
}

fn router(config: &CardNetworkConfig, public_url: String) -> Router {
    let network = Arc::new(Network {
        config: config.clone(),
        public_url,
        book: Mutex::new(book::Book::default()),
        http: reqwest::Client::new(),
    });
    let keyed = Router::new()
        .route("/ds/areq", post(ds::areq))
        .route("/network/verify", post(ds::verify))
        .route("/network/authorize", post(ds::authorize))
        .route("/test/authentications/{ds_trans_id}", get(ds::authentication))
        .route("/sim/merchant/purchase", post(merchant::purchase))
        .route("/sim/merchant/clearing", post(merchant::clearing))
        .route("/sim/merchant/reversal", post(merchant::reversal))
        .layer(from_fn_with_state(KeyDigest::of(&config.api_key), require_key));
    Router::new()
        .merge(keyed)
        .route("/acs/challenge", post(acs::challenge))
        .route("/acs/challenge/{acs_trans_id}/answer", post(acs::answer))
        .fallback(|| async { SimError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower::limit::ConcurrencyLimitLayer::new(MAX_IN_FLIGHT))
        .with_state(network)
}

/// Serves the card network on `listener` until `shutdown` completes.
pub async fn serve_card_network_until(
    listener: tokio::net::TcpListener,
    config: CardNetworkConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    config.check().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let public_url = format!("http://{}", listener.local_addr()?);
    axum::serve(listener, router(&config, public_url)).with_graceful_shutdown(shutdown).await
}

pub(super) fn announce(local: std::net::SocketAddr, config: &CardNetworkConfig) {
    println!("Card network simulator (3-D Secure 2 DS and ACS, authorisations) listening on http://{local}");
    println!("  /ds and /network need Authorization: Bearer <the API key>; /acs pages are for browsers");
    println!(
        "  every test card expires 12/30 ({TEST_EXPIRY_YYMM}), security code {TEST_CVC} ({TEST_CVC_AMEX} on American Express)"
    );
    println!("  a test card is BIN then zeros then four digits `a s c k`: s picks a payment's ARes:");
    println!("  0 Y, 1 N, 2 U, 3 A, 4 C (challenge), 5 D, 6 R, 7 I, 8 DS timeout, 9 error; a picks a card");
    println!("  registration's ARes by the same table, except a=9: Y, and every authorisation declines;");
    println!("  c the challenge: 0 asks for code {TEST_CHALLENGE_CODE}, 1 passes, 2 fails; k is the Luhn digit.");
    for brand in [TestBrand::Visa, TestBrand::Mastercard, TestBrand::Jcb, TestBrand::Amex] {
        println!(
            "    {brand:?}: {} (Y), {} (C, code), {} (N)",
            test_card_number(brand, 0, 0, 0),
            test_card_number(brand, 0, 4, 0),
            test_card_number(brand, 0, 1, 0)
        );
    }
    match &config.issuer_url {
        Some(url) => println!(
            "  POST /sim/merchant/purchase sends numbers under {} to Anshin as issuer at {url}",
            config.issuer_bin
        ),
        None => println!("  no --issuer-url: shops' purchases with Anshin's virtual cards are not routed"),
    }
    println!(
        "  the DS stalls {} ms on timeout cards; decoupled approvals follow after {} ms. docs/CARD-NETWORK.md. Stop with Ctrl-C.",
        config.ds_timeout_delay_ms, config.decoupled_delay_ms
    );
    tracing::info!(%local, "card network simulator listening");
}
