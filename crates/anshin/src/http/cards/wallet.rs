//! The wallet user's side: registered cards and top-ups charged to them.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get};

use super::cards;
use crate::cards::{AddCardRequest, Card, CardAdded, CardTopUp, CardTopUpRequest, CardTopUpStarted};
use crate::http::AppState;
use crate::http::error::{ApiError, Json};
use crate::http::identity::{Caller, SignedIn};
use crate::http::openapi::{
    Common, Conflict, Declined, FullSession, IdempotencyKey, Invalid, Missing, PostJson, Refused,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me/cards", get(list_cards).post(add_card))
        .route("/v1/me/cards/{id}", delete(remove_card))
        .route("/v1/me/card-top-ups", get(card_top_ups).post(card_top_up))
        .route("/v1/me/card-top-ups/{id}", get(card_top_up_status))
}

/// Add a card. The card network checks number, expiry and security code together (the code is
/// sent once and never stored), then 3-D Secure authenticates the holder: `active` at once, or
/// `authenticating` with a `challenge_url` to open in the browser. Any card that does not check out
/// is `402 card_declined`, whichever field was wrong; repeated failures are refused the same way.
#[utoipa::path(post, path = "/v1/me/cards", tag = "cards", request_body = AddCardRequest,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 201, description = "The card (brand, BIN, last four and expiry only).", body = CardAdded),
        PostJson, FullSession, Invalid, Refused, Conflict, Declined))]
pub async fn add_card(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<AddCardRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(cards(&state)?.add_card(&who, &b, &client).await?)))
}

/// The user's cards, newest first (removed ones left out).
#[utoipa::path(get, path = "/v1/me/cards", tag = "cards", security(("bearer" = [])),
    responses((status = 200, description = "The cards.", body = Vec<Card>), Common, FullSession))]
pub async fn list_cards(State(state): State<AppState>, SignedIn(who): SignedIn) -> Result<Json<Vec<Card>>, ApiError> {
    Ok(Json(cards(&state)?.cards(&who).await?))
}

/// Remove a card: no new top-ups from it.
#[utoipa::path(delete, path = "/v1/me/cards/{id}", tag = "cards", security(("bearer" = [])),
    params(("id" = String, Path, description = "The card's id.")),
    responses((status = 204, description = "Removed."), Common, FullSession, Refused, Missing))]
pub async fn remove_card(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    cards(&state)?.remove_card(&who, &id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Top up the wallet's lite balance from a card. 3-D Secure runs first (a `challenge_url` when the
/// issuer wants one); the lite balance is credited only after an approved authorisation.
#[utoipa::path(post, path = "/v1/me/card-top-ups", tag = "cards", request_body = CardTopUpRequest,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 201, description = "The top-up.", body = CardTopUpStarted), PostJson, FullSession,
        Invalid, Refused, Conflict, Missing, Declined))]
pub async fn card_top_up(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<CardTopUpRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(cards(&state)?.request_top_up(&who, &b, &client).await?)))
}

/// The user's card top-ups, newest first.
#[utoipa::path(get, path = "/v1/me/card-top-ups", tag = "cards", security(("bearer" = [])),
    responses((status = 200, description = "The top-ups.", body = Vec<CardTopUp>), Common, FullSession))]
pub async fn card_top_ups(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<CardTopUp>>, ApiError> {
    Ok(Json(cards(&state)?.top_ups(&who).await?))
}

/// One card top-up.
#[utoipa::path(get, path = "/v1/me/card-top-ups/{id}", tag = "cards", security(("bearer" = [])),
    params(("id" = String, Path, description = "The top-up's id.")),
    responses((status = 200, description = "The top-up.", body = CardTopUp), Common, FullSession, Missing))]
pub async fn card_top_up_status(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<CardTopUp>, ApiError> {
    Ok(Json(cards(&state)?.top_up(&who, &id).await?))
}
