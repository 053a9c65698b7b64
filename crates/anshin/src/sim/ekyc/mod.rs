//! An eKYC provider for tests and demos (`anshin sim ekyc`): a document (driver's licence,
//! My Number card or residence card) and a selfie go in, a decision comes out a little later.
//! The outcome is chosen by the document number's last digit (docs/EKYC-SIMULATOR.md), the way
//! the card network's is by the test card's, so every path of the service's flow can be reached
//! over real HTTP. Every request needs the bearer key; checks live in memory, bounded.

mod book;

use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::Router;

use crate::sim::auth::{KeyDigest, require_key};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

pub use book::MAX_CHECKS;
use book::{Book, NewCheck, Outcome, Status, Submitted};

use super::error::SimError;
use crate::storage::now_ms;

/// A check is a few short fields; a selfie travels as its digest, never as an image.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// Requests worked on at once; more wait their turn.
const MAX_IN_FLIGHT: usize = 256;
/// Long enough to see `pending`, short enough that a test does not wait.
pub const DEFAULT_DECISION_DELAY_MS: u64 = 200;
/// The document types a check accepts.
pub const DOCUMENT_TYPES: [&str; 3] = ["drivers_license", "my_number_card", "residence_card"];
/// Field lengths, in characters: a reference is the service's id for the attempt.
const MAX_REFERENCE_CHARS: usize = 64;
const MAX_DOCUMENT_NUMBER_CHARS: usize = 20;
const MAX_NAME_CHARS: usize = 100;
const MAX_ADDRESS_CHARS: usize = 200;

/// How the simulator behaves. `Debug` never shows the key.
#[derive(Clone)]
pub struct EkycSimConfig {
    pub api_key: String,
    pub decision_delay_ms: u64,
}

impl EkycSimConfig {
    pub fn new(api_key: impl Into<String>) -> EkycSimConfig {
        EkycSimConfig { api_key: api_key.into(), decision_delay_ms: DEFAULT_DECISION_DELAY_MS }
    }

    pub fn check(&self) -> Result<(), String> {
        let key = &self.api_key;
        if key.chars().count() < super::MIN_API_KEY_CHARS || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("the API key must be at least {} visible ASCII characters", super::MIN_API_KEY_CHARS));
        }
        if self.decision_delay_ms > super::MAX_CONFIRM_DELAY_MS {
            return Err(format!("the decision delay is at most {} ms", super::MAX_CONFIRM_DELAY_MS));
        }
        Ok(())
    }
}

impl std::fmt::Debug for EkycSimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EkycSimConfig")
            .field("api_key", &"<redacted>")
            .field("decision_delay_ms", &self.decision_delay_ms)
            .finish()
    }
}

struct Provider {
    decision_delay_ms: u64,
    book: Mutex<Book>,
}

impl Provider {
    fn book(&self) -> Result<std::sync::MutexGuard<'_, Book>, SimError> {
        self.book.lock().map_err(|_| {
            SimError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the simulator failed a check; restart it",
            )
        })
    }
}

fn router(config: &EkycSimConfig) -> Router {
    let provider =
        Arc::new(Provider { decision_delay_ms: config.decision_delay_ms, book: Mutex::new(Book::default()) });
    Router::new()
        .route("/v1/checks", post(submit))
        .route("/v1/checks/{check_id}", get(read))
        .fallback(|| async { SimError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(from_fn_with_state(KeyDigest::of(&config.api_key), require_key))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower::limit::ConcurrencyLimitLayer::new(MAX_IN_FLIGHT))
        .with_state(provider)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    reference: String,
    document_type: String,
    document_number: String,
    full_name: String,
    #[serde(default)]
    full_name_kana: Option<String>,
    date_of_birth: String,
    address: String,
    selfie_sha256: String,
}

/// `POST /v1/checks`: 202 with the check (a new one, or the one this reference made before).
async fn submit(
    State(provider): State<Arc<Provider>>,
    body: Result<axum::Json<CheckRequest>, JsonRejection>,
) -> Result<Response, SimError> {
    let axum::Json(r) = body?;
    let outcome = validate(&r)?;
    let new = NewCheck {
        reference: &r.reference,
        document_type: &r.document_type,
        document_number: &r.document_number,
        selfie_sha256: &r.selfie_sha256,
        outcome,
        data: Submitted {
            full_name: r.full_name.clone(),
            full_name_kana: r.full_name_kana.clone(),
            date_of_birth: r.date_of_birth.clone(),
            address: r.address.clone(),
        },
    };
    let now = now_ms();
    let mut book = provider.book()?;
    let check = book.submit(new, now, provider.decision_delay_ms).map_err(|_| {
        SimError::new(
            StatusCode::CONFLICT,
            "reference_reused",
            "this reference was used for a check of other data; choose a new reference",
        )
    })?;
    Ok((StatusCode::ACCEPTED, axum::Json(json!({ "check_id": check.check_id, "status": "pending" }))).into_response())
}

/// `GET /v1/checks/{check_id}`: the check as it stands now.
async fn read(State(provider): State<Arc<Provider>>, Path(check_id): Path<String>) -> Result<Response, SimError> {
    let book = provider.book()?;
    let check = book.get(&check_id).ok_or_else(|| SimError::not_found("no_such_check", "no such check"))?;
    let body: Value = match check.status_at(now_ms()) {
        Status::Pending => json!({ "check_id": check.check_id, "status": "pending" }),
        Status::Verified(d) => json!({
            "check_id": check.check_id,
            "status": "verified",
            "verified": {
                "full_name": d.full_name,
                "full_name_kana": d.full_name_kana,
                "date_of_birth": d.date_of_birth,
                "address": d.address,
            },
        }),
        Status::Rejected(reason) => json!({ "check_id": check.check_id, "status": "rejected", "reason": reason }),
        Status::Review(reason) => json!({ "check_id": check.check_id, "status": "review", "reason": reason }),
    };
    Ok(axum::Json(body).into_response())
}

/// Each field within its bounds; the outcome the document number stands for.
fn validate(r: &CheckRequest) -> Result<Outcome, SimError> {
    let within = |s: &str, max: usize| !s.trim().is_empty() && s.chars().count() <= max;
    let ok_reference = within(&r.reference, MAX_REFERENCE_CHARS)
        && r.reference.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok_reference {
        return Err(SimError::invalid(format!("reference must be 1 to {MAX_REFERENCE_CHARS} of A-Z a-z 0-9 - _")));
    }
    if !DOCUMENT_TYPES.contains(&r.document_type.as_str()) {
        return Err(SimError::invalid("document_type must be drivers_license, my_number_card or residence_card"));
    }
    let ok_number = within(&r.document_number, MAX_DOCUMENT_NUMBER_CHARS)
        && r.document_number.bytes().all(|b| b.is_ascii_alphanumeric());
    let outcome = r.document_number.chars().last().and_then(Outcome::of_last_digit);
    let Some(outcome) = outcome.filter(|_| ok_number) else {
        return Err(SimError::invalid(format!(
            "document_number must be 1 to {MAX_DOCUMENT_NUMBER_CHARS} letters and digits, ending in a digit"
        )));
    };
    if !within(&r.full_name, MAX_NAME_CHARS) || r.full_name_kana.as_deref().is_some_and(|k| !within(k, MAX_NAME_CHARS))
    {
        return Err(SimError::invalid(format!("names are 1 to {MAX_NAME_CHARS} characters")));
    }
    if crate::identity::types::BirthDate::parse(&r.date_of_birth, crate::identity::types::today_utc()).is_err() {
        return Err(SimError::invalid("date_of_birth must be a date, YYYY-MM-DD"));
    }
    if !within(&r.address, MAX_ADDRESS_CHARS) {
        return Err(SimError::invalid(format!("address is 1 to {MAX_ADDRESS_CHARS} characters")));
    }
    if r.selfie_sha256.len() != 64 || !r.selfie_sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SimError::invalid("selfie_sha256 must be 64 hex digits"));
    }
    Ok(outcome)
}

/// Serves the provider on `listener` until `shutdown` completes.
pub async fn serve_ekyc_until(
    listener: tokio::net::TcpListener,
    config: EkycSimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    config.check().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    axum::serve(listener, router(&config)).with_graceful_shutdown(shutdown).await
}

pub(super) fn announce(local: std::net::SocketAddr, config: &EkycSimConfig) {
    println!("eKYC provider simulator listening on http://{local}");
    println!("  every request needs Authorization: Bearer <the API key>; POST /v1/checks, GET /v1/checks/{{id}}");
    println!("  decisions after {} ms, by the document number's last digit:", config.decision_delay_ms);
    println!("    0-4 verified (the data as read), 5 rejected face_mismatch, 6 rejected document_expired,");
    println!("    7 rejected document_tampered, 8 review low_image_quality, 9 never decides (stays pending)");
    println!("  at most {MAX_CHECKS} checks are kept. docs/EKYC-SIMULATOR.md. Stop with Ctrl-C.");
    tracing::info!(%local, "eKYC provider simulator listening");
}
