//! `Idempotency-Key` for the JSON API's POSTs, with Stripe's semantics: the first response for a
//! key, whatever its status, is stored and replayed for every retry with the same key and body;
//! the same key with a different request is a 409. Stored in the database, so every process
//! shares them.
//!
//! A key belongs to its caller. The scope is a keyed hash (`Keys::idempotency_digest`) of who is
//! asking, the method, the matched route and the key: the signed-in user (a bearer token or the
//! pages' session cookie, authenticated before anything is claimed or replayed), or, before
//! sign-in, the request body itself, since whoever repeats a credential-bearing body holds those
//! credentials. Credentials that do not authenticate skip idempotency altogether, so the handler
//! answers 401 and nothing is replayed. A response that carries a secret (`SecretJson`, or any
//! response setting a cookie) is never stored: only a digest is kept, and a retry is told to
//! start over (409 `idempotency_secret_not_replayed`). The table holds no caller, key, request
//! or secret in the clear.

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sqlx::Row;

use super::AppState;
use super::error::ApiError;
use super::pages::{SESSION_COOKIE, cookie};
use crate::identity::IdentityError;
use crate::keys::Keys;
use crate::storage::{Db, now_ms};

pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub static IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
pub const MAX_KEY_CHARS: usize = 255;
/// Stored responses larger than this are not kept (ours are small JSON); the key still blocks reuse.
const MAX_STORED_BODY_BYTES: usize = 1 << 20;

/// A JSON answer that carries a secret shown once (a session or device token, a TOTP secret,
/// recovery codes). Idempotency stores only its digest, never its body.
pub struct SecretJson<T>(pub T);

/// Marks a response whose body must never be stored; set by `SecretJson`.
#[derive(Debug, Clone, Copy)]
pub struct CarriesSecret;

impl<T: Serialize> IntoResponse for SecretJson<T> {
    fn into_response(self) -> Response {
        let mut response = axum::Json(self.0).into_response();
        response.extensions_mut().insert(CarriesSecret);
        response
    }
}

/// Routes whose body carries a card number and security code: only the vault may hold those,
/// in any form. Even a keyed digest of the body would let whoever holds the server key and the
/// table search the few million numbers that fit a known BIN and last four (and the thousand
/// security codes), so the digest covers the body with the number cut to its last four and the
/// security code left out. A retry with another card ending in the same four digits replays the
/// first answer instead of a 409; nothing about the card is kept.
const CARD_DATA_ROUTES: &[&str] = &["/v1/me/cards"];

fn without_card_data<'a>(route: &str, bytes: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
    if !CARD_DATA_ROUTES.contains(&route) {
        return bytes.into();
    }
    let Ok(serde_json::Value::Object(mut body)) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        // Not a JSON object: the handler refuses it, and nothing of it is worth keeping.
        return b"unreadable card request".as_slice().into();
    };
    body.remove("security_code");
    if let Some(serde_json::Value::String(number)) = body.get("number") {
        let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
        let last4: String = digits[digits.len().saturating_sub(4)..].iter().collect();
        body.insert("number".into(), serde_json::Value::String(last4));
    } else {
        body.remove("number");
    }
    serde_json::to_vec(&body).unwrap_or_default().into()
}

/// Who a key belongs to.
enum Caller {
    User(String),
    Anonymous,
}

pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Only the JSON API takes part: pages are forms no client retries with a key, and they show
    // secrets in HTML that must not be stored.
    if req.method() != Method::POST || !req.uri().path().starts_with("/v1/") {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(&IDEMPOTENCY_KEY) else {
        return next.run(req).await;
    };
    let key = match key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= MAX_KEY_CHARS && k.bytes().all(|b| b.is_ascii_graphic()) => k.to_owned(),
        _ => {
            return ApiError::invalid(
                "idempotency_key_invalid",
                format!("Idempotency-Key must be 1 to {MAX_KEY_CHARS} visible ASCII characters."),
            )
            .param("Idempotency-Key")
            .into_response();
        }
    };
    let caller = match caller(&state, req.headers()).await {
        Ok(Some(caller)) => caller,
        // Credentials that do not authenticate: no claim and no replay; the handler answers 401.
        Ok(None) => return next.run(req).await,
        Err(e) => return e.into_response(),
    };
    let Some(keys) = state.db.keys().cloned() else {
        tracing::error!("the database handle carries no server keys: idempotency keys cannot be scoped");
        return ApiError::internal().into_response();
    };
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, state.config.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE).into_response(),
    };
    let method = parts.method.as_str().as_bytes();
    let route = parts.extensions.get::<MatchedPath>().map_or(parts.uri.path(), MatchedPath::as_str);
    let who: &[&[u8]] = match &caller {
        Caller::User(user_id) => &[b"user", user_id.as_bytes()],
        Caller::Anonymous => &[b"anonymous", &bytes[..]],
    };
    let scope_key = keys.idempotency_digest(&[who, &[b"scope", method, route.as_bytes(), key.as_bytes()]].concat());
    let path_and_query = parts.uri.path_and_query().map_or("", |p| p.as_str());
    // Keyed too: a plain hash of a body holding a password or codes could be guessed offline.
    let material = without_card_data(route, &bytes);
    let request_hash = keys.idempotency_digest(&[b"request", method, path_and_query.as_bytes(), &material[..]]);
    let stale_ms = i64::try_from(state.config.request_timeout_secs.saturating_mul(2_000)).unwrap_or(i64::MAX);
    let claimed_at_ms = match claim(&state.db, &scope_key, &request_hash, stale_ms).await {
        Ok(Claim::Fresh(claimed_at_ms)) => claimed_at_ms,
        Ok(Claim::Replay(response)) => return response,
        Ok(Claim::Reject(e)) => return e.into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    match store(&state.db, &keys, &scope_key, claimed_at_ms, response).await {
        Ok(r) => r,
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The signed-in user, anonymous when no credentials are sent, or `None` when credentials are
/// sent but do not authenticate.
async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    let token = match (headers.get(header::AUTHORIZATION), cookie(headers, SESSION_COOKIE)) {
        (None, None) => return Ok(Some(Caller::Anonymous)),
        (Some(auth), _) => auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::to_owned),
        (None, cookie) => cookie,
    };
    let (Some(token), Some(identity)) = (token, state.identity.as_ref()) else {
        return Ok(None);
    };
    match identity.authenticate(&token).await {
        Ok(principal) => Ok(Some(Caller::User(principal.user_id))),
        Err(IdentityError::Unauthenticated) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

enum Claim {
    /// This request owns the key; the value is the claim's time, which fences the final store.
    Fresh(i64),
    Replay(Response),
    Reject(ApiError),
}

async fn claim(db: &Db, scope_key: &str, request_hash: &str, stale_ms: i64) -> Result<Claim, sqlx::Error> {
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO http_idempotency (scope_key, request_hash, state, created_at_ms) VALUES ($1, $2, 'in_progress', $3)
         ON CONFLICT (scope_key) DO NOTHING",
    )
    .bind(scope_key)
    .bind(request_hash)
    .bind(now)
    .execute(db.write_pool())
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::Fresh(now));
    }
    let row = sqlx::query("SELECT request_hash, state, status, content_type, body, created_at_ms FROM http_idempotency WHERE scope_key = $1")
        .bind(scope_key)
        .fetch_one(db.read_pool())
        .await?;
    let stored_hash: String = row.try_get("request_hash")?;
    if stored_hash != request_hash {
        return Ok(Claim::Reject(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_error",
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request. Use a new key for a new request.",
        )));
    }
    let state: String = row.try_get("state")?;
    if state == "secret" {
        return Ok(Claim::Reject(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_error",
            "idempotency_secret_not_replayed",
            "The request with this Idempotency-Key already succeeded, and its answer held a secret that is shown only once and never stored. Start over with a new Idempotency-Key.",
        )));
    }
    if state == "in_progress" {
        let created: i64 = row.try_get("created_at_ms")?;
        // A request abandoned by a crash or time-out may be taken over once it is clearly dead.
        if created < now - stale_ms {
            let taken = sqlx::query(
                "UPDATE http_idempotency SET created_at_ms = $1 WHERE scope_key = $2 AND state = 'in_progress' AND created_at_ms = $3",
            )
            .bind(now)
            .bind(scope_key)
            .bind(created)
            .execute(db.write_pool())
            .await?;
            if taken.rows_affected() == 1 {
                return Ok(Claim::Fresh(now));
            }
        }
        let mut e = ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_error",
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key is still being processed. Retry shortly.",
        );
        e.retry_after_secs = Some(1);
        return Ok(Claim::Reject(e));
    }
    let status: i64 = row.try_get("status")?;
    let content_type: String = row.try_get("content_type")?;
    let body: String = row.try_get("body")?;
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body).into_response();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    response.headers_mut().insert(IDEMPOTENT_REPLAYED.clone(), HeaderValue::from_static("true"));
    Ok(Claim::Replay(response))
}

async fn store(
    db: &Db,
    keys: &Keys,
    scope_key: &str,
    claimed_at_ms: i64,
    response: Response,
) -> Result<Response, sqlx::Error> {
    let (parts, body) = response.into_parts();
    let (parts, bytes) = match to_bytes(body, MAX_STORED_BODY_BYTES).await {
        Ok(bytes) => (parts, bytes),
        Err(_) => {
            // Too large to keep: settle the key with an error, so it is not left in progress.
            tracing::error!("response too large to store for idempotent replay");
            let (parts, body) = ApiError::internal().into_response().into_parts();
            (parts, to_bytes(body, MAX_STORED_BODY_BYTES).await.unwrap_or_default())
        }
    };
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    // A cookie here would be a session: treat it like a marked secret, never stored.
    let secret = parts.extensions.get::<CarriesSecret>().is_some() || parts.headers.contains_key(header::SET_COOKIE);
    let (state, body) = if secret {
        ("secret", format!("digest:{}", keys.idempotency_digest(&[b"response", &bytes[..]])))
    } else {
        ("done", String::from_utf8_lossy(&bytes).into_owned())
    };
    // Fenced by the claim: if this request was presumed dead and taken over, the newer owner's
    // response is the one that counts.
    let stored = sqlx::query(
        "UPDATE http_idempotency SET state = $6, status = $1, content_type = $2, body = $3
         WHERE scope_key = $4 AND state = 'in_progress' AND created_at_ms = $5",
    )
    .bind(i64::from(parts.status.as_u16()))
    .bind(content_type)
    .bind(body)
    .bind(scope_key)
    .bind(claimed_at_ms)
    .bind(state)
    .execute(db.write_pool())
    .await?;
    if stored.rows_affected() == 0 {
        tracing::warn!("idempotency key was taken over before this response was stored");
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// Forget keys older than `retention_secs` (at least 24 h, as clients are promised).
pub async fn purge_expired(db: &Db, retention_secs: i64) -> Result<u64, sqlx::Error> {
    let cutoff = now_ms() - retention_secs.max(24 * 3600) * 1000;
    let done = sqlx::query("DELETE FROM http_idempotency WHERE created_at_ms < $1")
        .bind(cutoff)
        .execute(db.write_pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod card_data_tests {
    use super::*;

    #[test]
    fn the_digest_of_a_card_request_covers_no_card_number_or_security_code() {
        let body = br#"{"number":"4000 0000 1234 5678","exp_month":12,"exp_year":2030,"security_code":"987"}"#;
        let material = without_card_data("/v1/me/cards", body);
        let text = String::from_utf8(material.to_vec()).unwrap();
        assert!(!text.contains("1234") && !text.contains("4000") && !text.contains("987"), "{text}");
        assert!(text.contains(r#""number":"5678""#), "{text}");
        assert_eq!(without_card_data("/v1/me/cards", b"4000000012345678").as_ref(), b"unreadable card request");
        assert_eq!(without_card_data("/v1/me/top-ups", body).as_ref(), body.as_slice(), "other routes: the whole body");
    }
}
