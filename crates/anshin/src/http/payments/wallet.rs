//! The customer's side: device keys for one-time codes, balances, and their own payments.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use super::payments;
use crate::http::AppState;
use crate::http::error::{ApiError, Json};
use crate::http::idempotency::SecretJson;
use crate::http::identity::{Caller, SignedIn};
use crate::http::openapi::{Common, FullSession, IdempotencyKey, Missing, Post, Refused};
use crate::payments::{CustomerPayment, DeviceProvisioned};
use crate::wallets::Balances;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me/payment-devices", post(provision_device))
        .route("/v1/me/balances", get(balances))
        .route("/v1/me/payments/{id}", get(payment))
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
