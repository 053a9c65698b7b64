//! The wallet's virtual card (JSON): issue, show (never the number), reveal the number after a
//! step-up, freeze, replace, limits, and its authorisations.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::cards;
use crate::cards::virtual_card::{FreezeRequest, RevealedCard, VirtualCardLimits};
use crate::cards::{VirtualCard, VirtualCardAuthorization};
use crate::http::AppState;
use crate::http::error::{ApiError, Json};
use crate::http::idempotency::SecretJson;
use crate::http::identity::{Caller, SignedIn};
use crate::http::openapi::{Common, Conflict, FullSession, IdempotencyKey, Invalid, Missing, Post, PostJson, Refused};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me/virtual-card", get(show).post(issue))
        .route("/v1/me/virtual-card/reveal", post(reveal))
        .route("/v1/me/virtual-card/freeze", post(freeze))
        .route("/v1/me/virtual-card/replace", post(replace))
        .route("/v1/me/virtual-card/limits", post(limits))
        .route("/v1/me/virtual-card/authorizations", get(authorizations))
}

/// The wallet's virtual card: brand, last four, expiry, status and limits. Never the number.
#[utoipa::path(get, path = "/v1/me/virtual-card", tag = "cards", security(("bearer" = [])),
    responses((status = 200, description = "The card.", body = VirtualCard), Common, FullSession, Missing))]
pub async fn show(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<Json<VirtualCard>, ApiError> {
    Ok(Json(cards(&state)?.virtual_card(&who, &client).await?.ok_or_else(ApiError::not_found)?))
}

/// Issue the wallet's virtual prepaid card for online shops; one live card per wallet. It spends
/// the lite balance, or the money balance when lite does not cover a purchase.
#[utoipa::path(post, path = "/v1/me/virtual-card", tag = "cards", security(("bearer" = [])),
    params(IdempotencyKey),
    responses((status = 201, description = "The new card (no number).", body = VirtualCard), Post, FullSession,
        Conflict))]
pub async fn issue(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(cards(&state)?.issue_virtual_card(&who, &client).await?)))
}

/// The card's number, once, after a fresh second factor (a step-up grant for `reveal_card`,
/// spent here). Not cached, not replayed for a repeated `Idempotency-Key`; hide it again after
/// `shown_for_secs`.
#[utoipa::path(post, path = "/v1/me/virtual-card/reveal", tag = "cards", security(("bearer" = [])),
    params(IdempotencyKey),
    responses((status = 200, description = "The number.", body = RevealedCard), Post, FullSession, Refused,
        Missing))]
pub async fn reveal(State(state): State<AppState>, Caller(client): Caller, SignedIn(who): SignedIn) -> Response {
    let c = match cards(&state) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    match c.reveal_virtual_card(&who, &client).await {
        Ok((card, number)) => {
            let shown = RevealedCard {
                number: number.expose_digits_for_display(),
                exp_month: card.exp_month,
                exp_year: card.exp_year,
                shown_for_secs: c.config().virtual_cards.reveal_shown_secs,
            };
            let mut response = SecretJson(shown).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Freeze the card (every authorisation declined) or use it again.
#[utoipa::path(post, path = "/v1/me/virtual-card/freeze", tag = "cards", request_body = FreezeRequest,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 200, description = "The card.", body = VirtualCard), PostJson, FullSession, Missing))]
pub async fn freeze(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<FreezeRequest>,
) -> Result<Json<VirtualCard>, ApiError> {
    Ok(Json(cards(&state)?.freeze_virtual_card(&who, b.frozen, &client).await?))
}

/// A new number for the card, with the same limits; the old number is declined from now on.
#[utoipa::path(post, path = "/v1/me/virtual-card/replace", tag = "cards", security(("bearer" = [])),
    params(IdempotencyKey),
    responses((status = 201, description = "The new card (no number).", body = VirtualCard), Post, FullSession,
        Conflict, Missing))]
pub async fn replace(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(cards(&state)?.replace_virtual_card(&who, &client).await?)))
}

/// The card's limit per purchase and the merchant categories it declines.
#[utoipa::path(post, path = "/v1/me/virtual-card/limits", tag = "cards", request_body = VirtualCardLimits,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 200, description = "The card.", body = VirtualCard), PostJson, FullSession, Invalid,
        Missing))]
pub async fn limits(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<VirtualCardLimits>,
) -> Result<Json<VirtualCard>, ApiError> {
    Ok(Json(cards(&state)?.set_virtual_card_limits(&who, &b, &client).await?))
}

/// The card's authorisations (approved, declined, settled, reversed, expired), newest first.
#[utoipa::path(get, path = "/v1/me/virtual-card/authorizations", tag = "cards", security(("bearer" = [])),
    responses((status = 200, description = "The authorisations.", body = Vec<VirtualCardAuthorization>), Common,
        FullSession))]
pub async fn authorizations(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<VirtualCardAuthorization>>, ApiError> {
    Ok(Json(cards(&state)?.virtual_card_authorizations(&who, &client).await?))
}
