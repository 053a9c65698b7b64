//! Operators' merchant endpoints: propose, review (another operator), list, suspend, reactivate.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::merchants;
use crate::http::AppState;
use crate::http::error::{ApiError, Json, Query};
use crate::http::identity::{Caller, SignedIn};
use crate::http::openapi::{Common, Conflict, FullSession, IdempotencyKey, Invalid, Missing, PostJson};
use crate::merchants::{MAX_MERCHANT_PAGE, Merchant, MerchantStatus, NewMerchant};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/ops/merchants", get(list).post(propose))
        .route("/v1/ops/merchants/{id}/review", post(review))
        .route("/v1/ops/merchants/{id}/suspension", post(suspend))
        .route("/v1/ops/merchants/{id}/reactivation", post(reactivate))
        .route("/v1/ops/merchants/{id}/payout-accounts/{account_id}/review", post(review_payout_account))
}

/// Operators: propose a merchant. It stays `pending_review` until another operator (an admin)
/// approves it.
#[utoipa::path(post, path = "/v1/ops/merchants", tag = "merchants", request_body = NewMerchant,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 201, description = "The merchant, awaiting review.", body = Merchant), PostJson, FullSession,
        Invalid))]
pub async fn propose(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<NewMerchant>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(merchants(&state)?.propose(&who, &b, &client).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// True to approve (the merchant becomes `active`), false to reject.
    pub approve: bool,
    /// Why (kept in the audit log).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: String,
}

/// Admins: approve or reject a proposed merchant. The operator who proposed it cannot.
#[utoipa::path(post, path = "/v1/ops/merchants/{id}/review", tag = "merchants", request_body = ReviewBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "The merchant's id."), IdempotencyKey),
    responses((status = 200, description = "The merchant after the decision.", body = Merchant), PostJson, FullSession,
        Invalid, Missing, Conflict))]
pub async fn review(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<ReviewBody>,
) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants(&state)?.review(&who, &id, b.approve, &b.reason, &client).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why (kept in the audit log, and told to the merchant).
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Admins: suspend an active merchant; it takes no payments until reactivated. Its contact is told.
#[utoipa::path(post, path = "/v1/ops/merchants/{id}/suspension", tag = "merchants", request_body = ReasonBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "The merchant's id."), IdempotencyKey),
    responses((status = 200, description = "The suspended merchant.", body = Merchant), PostJson, FullSession, Invalid,
        Missing, Conflict))]
pub async fn suspend(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<ReasonBody>,
) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants(&state)?.set_suspended(&who, &id, true, &b.reason, &client).await?))
}

/// Admins: reactivate a suspended merchant. Its contact is told.
#[utoipa::path(post, path = "/v1/ops/merchants/{id}/reactivation", tag = "merchants", request_body = ReasonBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "The merchant's id."), IdempotencyKey),
    responses((status = 200, description = "The active merchant.", body = Merchant), PostJson, FullSession, Invalid,
        Missing, Conflict))]
pub async fn reactivate(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<ReasonBody>,
) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants(&state)?.set_suspended(&who, &id, false, &b.reason, &client).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only merchants in this status.
    #[param(inline, nullable = false)]
    pub status: Option<MerchantStatus>,
    /// Merchants created before this time (the `created_at_ms` of the last one seen).
    #[param(minimum = 1, nullable = false)]
    pub before_ms: Option<i64>,
    /// 1 to 100; default 50.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
}

/// Operators: merchants, newest first.
#[utoipa::path(get, path = "/v1/ops/merchants", tag = "merchants", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, description = "Merchants, newest first.", body = Vec<Merchant>), Common, FullSession))]
pub async fn list(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Merchant>>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_MERCHANT_PAGE).contains(&limit) || q.before_ms.is_some_and(|b| b < 1) {
        return Err(
            ApiError::invalid("limit_invalid", "limit must be 1 to 100 and before_ms at least 1").param("limit")
        );
    }
    Ok(Json(merchants(&state)?.list(&who, q.status, q.before_ms, limit, &client).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutReviewBody {
    /// True: payouts may go to this account although its holder name differs from the legal name.
    pub approve: bool,
}

/// Admins: decide on a payout account whose holder name did not match the merchant's legal name.
#[utoipa::path(post, path = "/v1/ops/merchants/{id}/payout-accounts/{account_id}/review", tag = "merchants",
    request_body = PayoutReviewBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."),
        ("account_id" = String, Path, description = "The payout account's id."), IdempotencyKey),
    responses((status = 204, description = "Decided."), PostJson, FullSession, Conflict))]
pub async fn review_payout_account(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path((id, account_id)): Path<(String, String)>,
    Json(b): Json<PayoutReviewBody>,
) -> Result<StatusCode, ApiError> {
    merchants(&state)?.review_payout_account(&who, &id, &account_id, b.approve, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
