//! A merchant's payments, for its staff (and operators).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::payments;
use crate::http::AppState;
use crate::http::error::{ApiError, Json, Query};
use crate::http::identity::{Caller, SignedIn};
use crate::http::middleware::RequestId;
use crate::http::openapi::{Common, Declined, FullSession, IdempotencyKey, Missing, PostJson, Refused};
use crate::payments::{MAX_PAYMENT_PAGE, Payment, Refund, RefundBy, RefundRequest};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/merchants/{id}/payments", get(list))
        .route("/v1/merchants/{id}/payments/{payment_id}/refunds", post(refund))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PaymentsQuery {
    /// Payments created before this time (the `created_at_ms` of the last one seen).
    #[param(minimum = 1, nullable = false)]
    pub before_ms: Option<i64>,
    /// 1 to 100; default 50.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
}

/// The merchant's payments, newest first. Staff see only their own merchant's.
#[utoipa::path(get, path = "/v1/merchants/{id}/payments", tag = "merchants", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."), PaymentsQuery),
    responses((status = 200, description = "Payments, newest first.", body = Vec<Payment>), Common, FullSession, Missing))]
pub async fn list(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<PaymentsQuery>,
) -> Result<Json<Vec<Payment>>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAYMENT_PAGE).contains(&limit) || q.before_ms.is_some_and(|b| b < 1) {
        return Err(
            ApiError::invalid("limit_invalid", "limit must be 1 to 100 and before_ms at least 1").param("limit")
        );
    }
    Ok(Json(payments(&state)?.merchant_payments(&who, &id, q.before_ms, limit, &client).await?))
}

/// Owners and managers, with a step-up for `refund`: refund a payment fully or in part
/// (idempotent on `refund_key`). Cashiers cannot.
#[utoipa::path(post, path = "/v1/merchants/{id}/payments/{payment_id}/refunds", tag = "merchants",
    request_body = RefundRequest, security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."),
        ("payment_id" = String, Path, description = "The payment's id."), IdempotencyKey),
    responses((status = 201, description = "The refund.", body = Refund), PostJson, FullSession, Refused, Missing,
        Declined))]
pub async fn refund(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    axum::Extension(request_id): axum::Extension<RequestId>,
    Path((id, payment_id)): Path<(String, String)>,
    Json(b): Json<RefundRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let by = RefundBy::Staff { who: &who, merchant_id: &id, client: &client };
    let refund = payments(&state)?.refund(by, &payment_id, &b, &request_id.0).await?;
    Ok((StatusCode::CREATED, Json(refund)))
}
