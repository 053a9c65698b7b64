//! Transfer endpoints: naming a payee, sending, the user's transfers, and requests for money.
//! Handlers only parse, call `Transfers` and map the result.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, Json};
use super::identity::{Caller, SignedIn};
use super::openapi::{Common, Conflict, Declined, FullSession, IdempotencyKey, Invalid, Missing, PostJson, Refused};
use crate::transfers::{
    MoneyRequest, MoneyRequestCreate, MoneyRequestView, Payee, PayeeLookup, SendRequest, Transfer, Transfers,
    TransfersError,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me/transfers/payees", post(find_payee))
        .route("/v1/me/transfers", get(list).post(send))
        .route("/v1/me/transfers/{id}", get(one))
        .route("/v1/me/money-requests", get(requests).post(create_request))
        .route("/v1/me/money-requests/{id}", get(read_request))
        .route("/v1/me/money-requests/{id}/pay", post(pay_request))
        .route("/v1/me/money-requests/{id}/cancel", post(cancel_request))
}

pub(super) fn transfers(state: &AppState) -> Result<&Transfers, ApiError> {
    state.transfers.as_ref().ok_or_else(ApiError::not_found)
}

/// Wallets with a verified identity: find who an e-mail address or phone number sends to. The
/// answer is their display name (family name and initials) to confirm, and a payee token to send
/// with (this payer's only, for ten minutes). Nobody, an unverified or locked wallet and your own
/// address all answer 404 `no_such_payee`; lookups are rationed per hour (402 `too_many_payee_lookups`).
#[utoipa::path(post, path = "/v1/me/transfers/payees", tag = "transfers", request_body = PayeeLookup,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 200, description = "The payee to confirm.", body = Payee), PostJson, FullSession,
        Invalid, Refused, Missing, Declined))]
pub async fn find_payee(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<PayeeLookup>,
) -> Result<Json<Payee>, ApiError> {
    Ok(Json(transfers(&state)?.find_payee(&who, &b, &client).await?))
}

/// Wallets with a verified identity: send money (from the money balance only) to the payee a
/// token names. Above the step-up threshold (50,000 JPY by default) a `send_money` grant is
/// needed and spent. Limits per transfer (by licence), per JST day and per month; the payee's
/// holding cap; never during a contact-change or password-reset cooling-off.
#[utoipa::path(post, path = "/v1/me/transfers", tag = "transfers", request_body = SendRequest,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 201, description = "The transfer, done.", body = Transfer), PostJson, FullSession,
        Invalid, Refused, Missing, Declined, Conflict))]
pub async fn send(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<SendRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(transfers(&state)?.send(&who, &b, &client).await?)))
}

/// The user's transfers, sent and received, newest first (at most 50).
#[utoipa::path(get, path = "/v1/me/transfers", tag = "transfers", security(("bearer" = [])),
    responses((status = 200, description = "The transfers.", body = Vec<Transfer>), Common, FullSession))]
pub async fn list(State(state): State<AppState>, SignedIn(who): SignedIn) -> Result<Json<Vec<Transfer>>, ApiError> {
    Ok(Json(transfers(&state)?.transfers(&who).await?))
}

/// One of the user's transfers (sent or received).
#[utoipa::path(get, path = "/v1/me/transfers/{id}", tag = "transfers", security(("bearer" = [])),
    params(("id" = String, Path, description = "The transfer's id.")),
    responses((status = 200, description = "The transfer.", body = Transfer), Common, FullSession, Missing))]
pub async fn one(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Transfer>, ApiError> {
    Ok(Json(transfers(&state)?.transfer_by_id(&who, &id).await?))
}

/// Wallets with a verified identity: ask for money. Share `pay_path` (or its QR code on the
/// wallet page); whoever opens it sees your display name and the amount, and pays it once.
#[utoipa::path(post, path = "/v1/me/money-requests", tag = "transfers", request_body = MoneyRequestCreate,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 201, description = "The request.", body = MoneyRequestView), PostJson, FullSession,
        Invalid, Refused, Declined, Conflict))]
pub async fn create_request(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<MoneyRequestCreate>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(transfers(&state)?.request_money(&who, &b, &client).await?)))
}

/// The user's own requests for money, newest first.
#[utoipa::path(get, path = "/v1/me/money-requests", tag = "transfers", security(("bearer" = [])),
    responses((status = 200, description = "The requests.", body = Vec<MoneyRequest>), Common, FullSession))]
pub async fn requests(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<MoneyRequest>>, ApiError> {
    Ok(Json(transfers(&state)?.money_requests(&who).await?))
}

/// A request for money as its payer sees it: who asks (display name), how much, and its status.
#[utoipa::path(get, path = "/v1/me/money-requests/{id}", tag = "transfers", security(("bearer" = [])),
    params(("id" = String, Path, description = "The request's id.")),
    responses((status = 200, description = "The request.", body = MoneyRequestView), Common, FullSession, Missing))]
pub async fn read_request(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<MoneyRequestView>, ApiError> {
    Ok(Json(transfers(&state)?.money_request(&who, &id).await?))
}

/// Paying a request: optionally the amount the payer was shown, so a client never pays a
/// request other than the one on its screen.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequestBody {
    /// When given, the request must be for exactly this many yen (409 otherwise).
    #[schema(minimum = 1)]
    pub expected_amount_minor: Option<i64>,
}

/// Canceling a request: optionally why (kept in the audit record).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequestBody {
    #[schema(max_length = 40)]
    pub reason: Option<String>,
}

/// Wallets with a verified identity: pay a request for money (the same rules as sending).
#[utoipa::path(post, path = "/v1/me/money-requests/{id}/pay", tag = "transfers", request_body = PayRequestBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "The request's id."), IdempotencyKey),
    responses((status = 201, description = "The transfer that paid it.", body = Transfer), PostJson, FullSession,
        Refused, Missing, Declined, Conflict))]
pub async fn pay_request(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<PayRequestBody>,
) -> Result<impl IntoResponse, ApiError> {
    let paid = transfers(&state)?.pay_request(&who, &id, b.expected_amount_minor, &client).await?;
    Ok((StatusCode::CREATED, Json(paid)))
}

/// The requester cancels an open request for money.
#[utoipa::path(post, path = "/v1/me/money-requests/{id}/cancel", tag = "transfers", request_body = CancelRequestBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "The request's id."), IdempotencyKey),
    responses((status = 204, description = "Canceled."), PostJson, FullSession, Missing, Conflict))]
pub async fn cancel_request(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<CancelRequestBody>,
) -> Result<StatusCode, ApiError> {
    transfers(&state)?.cancel_request(&who, &id, b.reason.as_deref().unwrap_or_default(), &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

impl From<TransfersError> for ApiError {
    fn from(e: TransfersError) -> Self {
        match e {
            TransfersError::Invalid { code, message, param } => ApiError::invalid(code, message).param(param),
            TransfersError::Declined(reason) => ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment_error",
                reason,
                match reason {
                    "insufficient_money" => {
                        "Declined: the money balance is not enough (lite and points cannot be sent)."
                    }
                    "over_transfer_limit" => "Declined: the amount is over the limit for one transfer.",
                    "over_daily_transfer_limit" => "Declined: that is over today's transfer limit.",
                    "over_monthly_transfer_limit" => "Declined: that is over this month's transfer limit.",
                    "payee_over_holding_cap" => "Declined: the payee's wallet would hold more than its cap.",
                    "money_out_cooling_off" => {
                        "Declined: a contact change or password reset is cooling off; send money once it has ended."
                    }
                    "own_wallet" => "Declined: that is your own wallet.",
                    "account_not_active" => "Declined: this account cannot send money now.",
                    "too_many_payee_lookups" => "Too many payee lookups this hour; try again later.",
                    _ => "Declined.",
                },
            ),
            TransfersError::NoSuchPayee => ApiError::new(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "no_such_payee",
                "No wallet that can receive money has that address, or the confirmation has expired: look the payee up again.",
            ),
            TransfersError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "invalid_request_error", "conflict", message)
            }
            TransfersError::NotFound => ApiError::not_found(),
            TransfersError::Identity(e) => e.into(),
        }
    }
}
