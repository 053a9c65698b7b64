//! Withdrawal endpoints: the wallet user's withdrawals, and operators' name-match reviews.
//! Handlers only parse, call `Withdrawals` and map the result.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, Json};
use super::identity::{Caller, SignedIn};
use super::openapi::{
    BankRefused, Common, Conflict, Declined, FullSession, IdempotencyKey, Invalid, Missing, PostJson, Refused,
};
use crate::withdrawals::{Withdrawal, WithdrawalRequest, WithdrawalReview, Withdrawals, WithdrawalsError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me/withdrawals", get(list).post(request))
        .route("/v1/me/withdrawals/{id}", get(one))
        .route("/v1/ops/withdrawals/reviews", get(reviews))
        .route("/v1/ops/withdrawals/{id}/review", post(review))
}

pub(super) fn withdrawals(state: &AppState) -> Result<&Withdrawals, ApiError> {
    state.withdrawals.as_ref().ok_or_else(|| WithdrawalsError::BankUnavailable.into())
}

/// Wallets with a verified identity, always with a `withdraw` step-up: withdraw money to one of
/// your linked bank accounts. Paid when the account's holder is your verified name exactly (on
/// the Zengin key: `status: queued`, then `sent`, `paid`, or `returned` and credited back);
/// anything else holds the money for an operator's review (`status: review`). Never during a
/// contact-change or password-reset cooling-off.
#[utoipa::path(post, path = "/v1/me/withdrawals", tag = "withdrawals", request_body = WithdrawalRequest,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 201, description = "The withdrawal, queued or in review.", body = Withdrawal), PostJson,
        FullSession, Invalid, Refused, Missing, Declined, BankRefused))]
pub async fn request(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<WithdrawalRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(withdrawals(&state)?.request(&who, &b, &client).await?)))
}

/// The user's withdrawals, newest first.
#[utoipa::path(get, path = "/v1/me/withdrawals", tag = "withdrawals", security(("bearer" = [])),
    responses((status = 200, description = "The withdrawals.", body = Vec<Withdrawal>), Common, FullSession))]
pub async fn list(State(state): State<AppState>, SignedIn(who): SignedIn) -> Result<Json<Vec<Withdrawal>>, ApiError> {
    Ok(Json(withdrawals(&state)?.withdrawals(&who).await?))
}

#[utoipa::path(get, path = "/v1/me/withdrawals/{id}", tag = "withdrawals", security(("bearer" = [])),
    params(("id" = String, Path, description = "The withdrawal's id.")),
    responses((status = 200, description = "The withdrawal.", body = Withdrawal), Common, FullSession, Missing))]
pub async fn one(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Withdrawal>, ApiError> {
    Ok(Json(withdrawals(&state)?.withdrawal(&who, &id).await?))
}

/// Operators: withdrawals whose account holder is not exactly the verified name, oldest first,
/// with both names.
#[utoipa::path(get, path = "/v1/ops/withdrawals/reviews", tag = "withdrawals", security(("bearer" = [])),
    responses((status = 200, description = "Withdrawals in review.", body = Vec<WithdrawalReview>), Common,
        FullSession, Refused))]
pub async fn reviews(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<WithdrawalReview>>, ApiError> {
    Ok(Json(withdrawals(&state)?.awaiting_review(&who, &client).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalReviewBody {
    /// True pays it (the held money goes out in the next file); false releases the money.
    pub approve: bool,
    /// Why (kept in the record; at most 200 characters).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub note: String,
}

/// Admins: approve or reject a withdrawal in review (audited).
#[utoipa::path(post, path = "/v1/ops/withdrawals/{id}/review", tag = "withdrawals",
    request_body = WithdrawalReviewBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "The withdrawal's id."), IdempotencyKey),
    responses((status = 200, description = "The withdrawal after the decision.", body = Withdrawal), PostJson,
        FullSession, Invalid, Refused, Missing, Conflict))]
pub async fn review(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<WithdrawalReviewBody>,
) -> Result<Json<Withdrawal>, ApiError> {
    Ok(Json(withdrawals(&state)?.review(&who, &id, b.approve, &b.note, &client).await?))
}

impl From<WithdrawalsError> for ApiError {
    fn from(e: WithdrawalsError) -> Self {
        match e {
            WithdrawalsError::Invalid { code, message, param } => ApiError::invalid(code, message).param(param),
            WithdrawalsError::BankUnavailable => {
                let mut e = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "api_error",
                    "bank_unavailable",
                    "The bank cannot be reached now (or this server has no bank configured); try again later.",
                );
                e.retry_after_secs = Some(30);
                e
            }
            WithdrawalsError::NotLinked => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request_error",
                "bank_account_not_linked",
                "This bank account cannot be used yet: it is waiting for review, or was rejected or unlinked.",
            ),
            WithdrawalsError::Declined(reason) => ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment_error",
                reason,
                match reason {
                    "insufficient_money" => {
                        "Declined: the money balance is not enough (lite and points cannot be withdrawn)."
                    }
                    "money_out_cooling_off" => {
                        "Declined: a contact change or password reset is cooling off; withdraw once it has ended."
                    }
                    _ => "Declined.",
                },
            ),
            WithdrawalsError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "invalid_request_error", "conflict", message)
            }
            WithdrawalsError::NotFound => ApiError::not_found(),
            WithdrawalsError::Identity(e) => e.into(),
        }
    }
}
