//! The small JSON endpoints behind the pages' passkey buttons (`/static/passkeys.js`): the same
//! cookie session and CSRF token as the forms, the token carried in `X-CSRF-Token`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, Json};
use super::identity::Caller;
use super::pages::{SESSION_COOKIE, cookie, csrf_ok};
use crate::identity::IdentityError;
use crate::identity::Principal;
use crate::identity::passkeys::PasskeyOptions;

const SCRIPT: &str = include_str!("../../static/passkeys.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/passkeys.js", get(script))
        .route("/wallet/security/passkeys/options", post(registration_options))
        .route("/wallet/security/passkeys/finish", post(finish_registration))
        .route("/login/passkey/options", post(login_options))
}

pub async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], SCRIPT)
        .into_response()
}

fn check_csrf(headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if csrf_ok(headers, token) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            "csrf_failed",
            "Reload the page and try again.",
        ))
    }
}

async fn session(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let identity = state.identity.as_ref().ok_or_else(ApiError::not_found)?;
    let token = cookie(headers, SESSION_COOKIE).ok_or(IdentityError::Unauthenticated)?;
    Ok(identity.authenticate(&token).await?)
}

pub async fn registration_options(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<PasskeyOptions>, ApiError> {
    check_csrf(&headers)?;
    let who = session(&state, &headers).await?;
    let identity = state.identity.as_ref().ok_or_else(ApiError::not_found)?;
    Ok(Json(identity.start_passkey_registration(&who).await?))
}

#[derive(Deserialize)]
pub struct FinishBody {
    challenge_id: String,
    credential: serde_json::Value,
}

pub async fn finish_registration(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Json(b): Json<FinishBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    check_csrf(&headers)?;
    let who = session(&state, &headers).await?;
    let identity = state.identity.as_ref().ok_or_else(ApiError::not_found)?;
    let id = identity.finish_passkey_registration(&who, &b.challenge_id, &b.credential, &client).await?;
    Ok(Json(serde_json::json!({ "credential_id": id })))
}

#[derive(Deserialize)]
pub struct LoginOptionsBody {
    challenge_id: String,
}

pub async fn login_options(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(b): Json<LoginOptionsBody>,
) -> Result<Json<PasskeyOptions>, ApiError> {
    check_csrf(&headers)?;
    let identity = state.identity.as_ref().ok_or_else(ApiError::not_found)?;
    Ok(Json(identity.passkey_options(&b.challenge_id).await?))
}
