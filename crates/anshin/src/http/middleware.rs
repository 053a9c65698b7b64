//! Cross-cutting request handling: request ids, admission control, time limits, security
//! headers, metrics and the guarantee that every error leaves as the JSON envelope.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, nul_refused};
use crate::storage::ids::random_hex_128;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id, available to handlers as an extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Accept a caller's id if it is short and plain (so it is safe in logs); otherwise make one.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("req_{}", random_hex_128()));
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut response = tracing::Instrument::instrument(next.run(req), span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    response
}

/// Count and time each request by route template (never by raw path, which would let a
/// client grow the metric set without bound).
pub async fn metrics(req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let elapsed = started.elapsed().as_secs_f64();
    metrics::counter!("anshin_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.clone()).increment(1);
    metrics::histogram!("anshin_http_request_duration_seconds", "method" => method, "route" => route).record(elapsed);
    tracing::info!(status = %status, elapsed_ms = elapsed * 1000.0, "request finished");
    response
}

/// Admission control: at most `max_in_flight` requests are worked on at once; the next one gets
/// 503 with Retry-After at once rather than a place in a queue that grows until the server falls
/// over. Probes have their own small limit so they stay reachable under load.
pub async fn admission(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let semaphore = match req.uri().path() {
        // Liveness touches nothing shared: always answered, so operators can see the process lives.
        "/healthz" => return next.run(req).await,
        "/readyz" | "/metrics" => &state.probes_in_flight,
        _ => &state.in_flight,
    };
    match Arc::clone(semaphore).try_acquire_owned() {
        Ok(_permit) => next.run(req).await,
        Err(_) => {
            metrics::counter!("anshin_http_shed_total").increment(1);
            ApiError::overloaded().into_response()
        }
    }
}

/// How long a paced refusal is held back: as long as the Retry-After it carries.
const REFUSAL_PACE: Duration = Duration::from_secs(1);

/// Refusals marked `Paced` (the hashing line is full) are sent after a pause. A crowd retrying
/// at once otherwise turns every shed sign-up into the next one, thousands a second, and the
/// cores go to refusing them instead of to everybody else. Outside admission control, so a
/// waiting refusal holds no place among the requests being worked on, only its connection
/// (bounded by the connection cap).
pub async fn pace_refusals(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if response.extensions().get::<super::error::Paced>().is_some() {
        metrics::counter!("anshin_http_paced_refusals_total").increment(1);
        tokio::time::sleep(REFUSAL_PACE).await;
    }
    response
}

/// A request that takes longer than the limit is abandoned with 503 (and the client may retry
/// with the same Idempotency-Key).
pub async fn time_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = Duration::from_secs(state.config.request_timeout_secs);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            ApiError::overloaded().into_response()
        }
    }
}

/// A NUL character in the path or query (`%00`; a raw NUL cannot get past the HTTP parser) is
/// refused for every route, known or not, before anything parses it: PostgreSQL cannot store NUL
/// in text (SQLite can), so without this the same request was a 400 on one engine and a 500 on
/// the other.
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let has_nul = |s: &str| s.contains("%00") || s.contains('\0');
    if has_nul(req.uri().path()) || req.uri().query().is_some_and(has_nul) {
        return nul_refused("the path or query string (%00)").into_response();
    }
    next.run(req).await
}

/// Any 4xx/5xx that is not already JSON or a page of ours (axum's own 404/405/413, a panic)
/// leaves as the envelope.
pub async fn error_envelope(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // Our JSON errors and our HTML error pages already say what happened.
    let already_explained = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if already_explained {
        return response;
    }
    let mut replaced = ApiError::for_status(status).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = response.headers().get(&name) {
            replaced.headers_mut().insert(name, v.clone());
        }
    }
    replaced
}

/// Headers that make browsers strict with our pages and responses.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    // A page may set a stricter or one-off policy of its own (the 3-D Secure challenge page lets
    // its one form go to the issuer's ACS); every other response gets this one.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(
            h,
            header::CONTENT_SECURITY_POLICY,
            // No 'unsafe-inline' anywhere: pages carry no <style>, style attribute or inline script;
            // their one stylesheet and one script are files of ours.
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        );
    }
    set(h, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(h, HeaderName::from_static("permissions-policy"), "camera=(self), geolocation=(), microphone=()");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    if state.tls {
        set(h, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    response
}
