//! The wallet user's side: linked bank accounts and top-ups from them.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get};

use super::funding;
use crate::funding::{BankAccount, LinkRequest, TopUp, TopUpRequest};
use crate::http::AppState;
use crate::http::error::{ApiError, Json};
use crate::http::identity::{Caller, SignedIn};
use crate::http::openapi::{
    BankRefused, Common, Conflict, Declined, FullSession, IdempotencyKey, Invalid, Missing, PostJson, Refused,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me/bank-accounts", get(bank_accounts).post(link_bank_account))
        .route("/v1/me/bank-accounts/{id}", delete(unlink_bank_account))
        .route("/v1/me/top-ups", get(top_ups).post(top_up))
        .route("/v1/me/top-ups/{id}", get(top_up_status))
}

/// Wallets, with a step-up for `link_bank_account`: link a bank account. The bank is asked whose
/// account it is; an exact match with the registered legal name (Zengin key) links it at once,
/// anything else waits for an operator's review (`status: review`) and cannot be used until then.
#[utoipa::path(post, path = "/v1/me/bank-accounts", tag = "funding", request_body = LinkRequest,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 201, description = "The account, linked or in review.", body = BankAccount), PostJson,
        FullSession, Invalid, Refused, Conflict, BankRefused))]
pub async fn link_bank_account(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<LinkRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(funding(&state)?.link_bank_account(&who, &b, &client).await?)))
}

/// The user's bank accounts (numbers masked to the last four digits), newest first.
#[utoipa::path(get, path = "/v1/me/bank-accounts", tag = "funding", security(("bearer" = [])),
    responses((status = 200, description = "The accounts.", body = Vec<BankAccount>), Common, FullSession))]
pub async fn bank_accounts(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<BankAccount>>, ApiError> {
    Ok(Json(funding(&state)?.bank_accounts(&who).await?))
}

/// Unlink a bank account: no new top-ups from it (those already asked of the bank finish).
#[utoipa::path(delete, path = "/v1/me/bank-accounts/{id}", tag = "funding", security(("bearer" = [])),
    params(("id" = String, Path, description = "The account's id.")),
    responses((status = 204, description = "Unlinked."), Common, FullSession, Missing))]
pub async fn unlink_bank_account(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    funding(&state)?.unlink_bank_account(&who, &id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Top up the wallet's money from a linked account. The bank is asked for a debit; the money is
/// credited only once the bank confirms (usually `pending` here: poll `GET /v1/me/top-ups/{id}`).
#[utoipa::path(post, path = "/v1/me/top-ups", tag = "funding", request_body = TopUpRequest,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 201, description = "The top-up.", body = TopUp), PostJson, FullSession, Invalid, Missing,
        Declined, BankRefused))]
pub async fn top_up(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<TopUpRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(funding(&state)?.request_top_up(&who, &b, &client).await?)))
}

/// The user's top-ups, newest first.
#[utoipa::path(get, path = "/v1/me/top-ups", tag = "funding", security(("bearer" = [])),
    responses((status = 200, description = "The top-ups.", body = Vec<TopUp>), Common, FullSession))]
pub async fn top_ups(State(state): State<AppState>, SignedIn(who): SignedIn) -> Result<Json<Vec<TopUp>>, ApiError> {
    Ok(Json(funding(&state)?.top_ups(&who).await?))
}

/// One top-up; while it is pending the bank is asked first, so this also moves it on.
#[utoipa::path(get, path = "/v1/me/top-ups/{id}", tag = "funding", security(("bearer" = [])),
    params(("id" = String, Path, description = "The top-up's id.")),
    responses((status = 200, description = "The top-up.", body = TopUp), Common, FullSession, Missing))]
pub async fn top_up_status(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<TopUp>, ApiError> {
    Ok(Json(funding(&state)?.top_up(&who, &id).await?))
}
