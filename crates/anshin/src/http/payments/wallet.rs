//! The customer's side: device keys for one-time codes, balances, and their own payments.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::payments;
use crate::http::AppState;
use crate::http::error::{ApiError, Json, Query, page_limit};
use crate::http::idempotency::SecretJson;
use crate::http::identity::{Caller, SignedIn};
use crate::http::middleware::RequestId;
use crate::http::openapi::{Common, Declined, FullSession, IdempotencyKey, Missing, Post, Refused};
use crate::identity::LoginChallenge;
use crate::payments::{CustomerPayment, DeviceProvisioned, MAX_PAYMENT_PAGE, Payment};
use crate::wallets::Balances;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me/payment-devices", post(provision_device))
        .route("/v1/me/balances", get(balances))
        .route("/v1/me/payments/{id}", get(payment))
        .route("/v1/me/payments/{id}/confirmation-challenge", post(start_confirmation))
        .route("/v1/me/payments/{id}/confirmation", post(confirm))
        .route("/v1/me/payments/{id}/cancel", post(cancel))
        .route("/v1/me/payments", get(payments_list))
}

/// Wallets: a device key for one-time payment codes, bound to this session (an earlier key of
/// the session stops). The secret is in this answer only.
#[utoipa::path(post, path = "/v1/me/payment-devices", tag = "payments", security(("bearer" = [])),
    params(IdempotencyKey),
    responses((status = 201, description = "The device key, shown once.", body = DeviceProvisioned), Post, FullSession,
        Refused))]
pub async fn provision_device(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, SecretJson(payments(&state)?.provision_device(&who, &client).await?)))
}

/// What the wallet can spend now: money, lite and points.
#[utoipa::path(get, path = "/v1/me/balances", tag = "payments", security(("bearer" = [])),
    responses((status = 200, description = "Balances in yen.", body = Balances), Common, FullSession))]
pub async fn balances(State(state): State<AppState>, SignedIn(who): SignedIn) -> Result<Json<Balances>, ApiError> {
    Ok(Json(payments(&state)?.balances_of(&who).await?))
}

/// One of the customer's own payments, with the registered merchant and store names and the
/// confirmation number the merchant's portal shows too.
#[utoipa::path(get, path = "/v1/me/payments/{id}", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The payment's id.")),
    responses((status = 200, description = "The payment.", body = CustomerPayment), Common, FullSession, Missing))]
pub async fn payment(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<CustomerPayment>, ApiError> {
    Ok(Json(payments(&state)?.customer_payment(&who, &id).await?))
}

/// A payment the decision point challenged (`requires_confirmation`): ask for a second factor
/// bound to this payment. Complete it with `POST /v1/me/step-up/{challenge_id}`, then confirm
/// with `POST /v1/me/payments/{id}/confirmation` using the session's new token.
#[utoipa::path(post, path = "/v1/me/payments/{id}/confirmation-challenge", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The payment's id."), IdempotencyKey),
    responses((status = 200, description = "A challenge for this payment only.", body = LoginChallenge), Post, FullSession,
        Declined, Missing))]
pub async fn start_confirmation(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<LoginChallenge>, ApiError> {
    Ok(Json(payments(&state)?.start_confirmation(&who, &id, &client).await?))
}

/// Confirm a challenged payment after its challenge: the merchant is paid. Without the factor
/// given for this very payment it is refused `step_up_required`.
#[utoipa::path(post, path = "/v1/me/payments/{id}/confirmation", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The payment's id."), IdempotencyKey),
    responses((status = 200, description = "The payment, now `succeeded`.", body = Payment), Post, FullSession, Declined,
        Missing))]
pub async fn confirm(
    State(state): State<AppState>,
    axum::Extension(request_id): axum::Extension<RequestId>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Payment>, ApiError> {
    Ok(Json(payments(&state)?.customer_decides(&who, &id, true, &request_id.0).await?))
}

/// Refuse a challenged payment (it was not you, or you changed your mind): the money comes back.
#[utoipa::path(post, path = "/v1/me/payments/{id}/cancel", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The payment's id."), IdempotencyKey),
    responses((status = 200, description = "The payment, now `canceled`.", body = Payment), Post, FullSession, Declined,
        Missing))]
pub async fn cancel(
    State(state): State<AppState>,
    axum::Extension(request_id): axum::Extension<RequestId>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Payment>, ApiError> {
    Ok(Json(payments(&state)?.customer_decides(&who, &id, false, &request_id.0).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MyPaymentsQuery {
    /// Payments created before this time: the `created_at_ms` of the last one seen (with
    /// `before_id`, so payments of the same millisecond are neither skipped nor repeated).
    #[param(minimum = 1, nullable = false)]
    pub before_ms: Option<i64>,
    /// The `id` of the last one seen; only with `before_ms`.
    #[param(nullable = false, max_length = 64)]
    pub before_id: Option<String>,
    /// 1 to 100; default 20.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
}

/// The customer's own payments, newest first, each with the registered merchant and store names.
/// For the next page, pass the last one's `created_at_ms` and `id` as `before_ms` and `before_id`.
#[utoipa::path(get, path = "/v1/me/payments", tag = "payments", security(("bearer" = [])),
    params(MyPaymentsQuery),
    responses((status = 200, description = "Payments, newest first.", body = Vec<CustomerPayment>), Common,
        FullSession))]
pub async fn payments_list(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Query(q): Query<MyPaymentsQuery>,
) -> Result<Json<Vec<CustomerPayment>>, ApiError> {
    let limit = page_limit(q.limit, 20, MAX_PAYMENT_PAGE)?;
    if q.before_ms.is_some_and(|b| b < 1) {
        return Err(ApiError::invalid("range_invalid", "before_ms is at least 1").param("before_ms"));
    }
    let before_id = q.before_id.unwrap_or_default();
    if before_id.chars().count() > 64 {
        return Err(ApiError::invalid("before_id_invalid", "no payment has that id").param("before_id"));
    }
    // Without `before_id`, strictly before `before_ms` (no id sorts below the empty one).
    let before = q.before_ms.map(|ms| (ms, before_id.as_str()));
    Ok(Json(payments(&state)?.customer_payments(&who, before, limit).await?))
}
