//! A merchant's payments, for its staff (and operators).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::payments;
use crate::http::AppState;
use crate::http::error::{ApiError, Json, Query, page_limit};
use crate::http::identity::{Caller, SignedIn};
use crate::http::middleware::RequestId;
use crate::http::openapi::{Common, Declined, FullSession, IdempotencyKey, Missing, PostJson, Refused};
use crate::payments::{MAX_PAYMENT_PAGE, Payment, PaymentFilter, Refund, RefundBy, RefundRequest};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/merchants/{id}/payments", get(list))
        .route("/v1/merchants/{id}/payments/export", get(export))
        .route("/v1/merchants/{id}/payments/{payment_id}/refunds", post(refund))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PaymentsQuery {
    /// Payments created before this time (the `created_at_ms` of the last one seen).
    #[param(minimum = 1, nullable = false)]
    pub before_ms: Option<i64>,
    /// Payments created at or after this time.
    #[param(minimum = 0, nullable = false)]
    pub from_ms: Option<i64>,
    /// Only payments in this status.
    #[param(
        nullable = false,
        pattern = "^(succeeded|held|requires_confirmation|refunded|partially_refunded|canceled|voided)$"
    )]
    pub status: Option<String>,
    /// Only payments at this store.
    #[param(nullable = false, max_length = 64)]
    pub store_id: Option<String>,
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
    let limit = page_limit(q.limit, 50, MAX_PAYMENT_PAGE)?;
    let filter = filter_of(&q)?;
    Ok(Json(payments(&state)?.merchant_payments(&who, &id, &filter, limit, &client).await?))
}

fn filter_of(q: &PaymentsQuery) -> Result<PaymentFilter, ApiError> {
    if q.before_ms.is_some_and(|b| b < 1) || q.from_ms.is_some_and(|f| f < 0) {
        return Err(
            ApiError::invalid("range_invalid", "before_ms is at least 1 and from_ms at least 0").param("before_ms")
        );
    }
    let status = q.status.clone().unwrap_or_default();
    if !status.is_empty() && !crate::payments::store::STATUSES.contains(&status.as_str()) {
        return Err(ApiError::invalid("status_invalid", "no payment has that status").param("status"));
    }
    let store_id = q.store_id.clone().unwrap_or_default();
    if store_id.chars().count() > 64 {
        return Err(ApiError::invalid("store_id_invalid", "no store has that id").param("store_id"));
    }
    Ok(PaymentFilter { status, store_id, from_ms: q.from_ms.unwrap_or(0), before_ms: q.before_ms.unwrap_or(i64::MAX) })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Payments created before this time.
    #[param(minimum = 1, nullable = false)]
    pub before_ms: Option<i64>,
    /// Payments created at or after this time.
    #[param(minimum = 0, nullable = false)]
    pub from_ms: Option<i64>,
    /// Only payments in this status.
    #[param(
        nullable = false,
        pattern = "^(succeeded|held|requires_confirmation|refunded|partially_refunded|canceled|voided)$"
    )]
    pub status: Option<String>,
    /// Only payments at this store.
    #[param(nullable = false, max_length = 64)]
    pub store_id: Option<String>,
}

/// The merchant's payments as CSV (newest first, at most 10,000 rows; narrow the time range for
/// more). Cells a spreadsheet would run as formulas are written as text. The export is audited.
#[utoipa::path(get, path = "/v1/merchants/{id}/payments/export", tag = "merchants", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."), ExportQuery),
    responses((status = 200, description = "CSV with a header row.", content_type = "text/csv", body = String), Common,
        FullSession, Missing))]
pub async fn export(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let as_list = PaymentsQuery {
        before_ms: q.before_ms,
        from_ms: q.from_ms,
        status: q.status,
        store_id: q.store_id,
        limit: None,
    };
    let csv = payments(&state)?.merchant_payments_csv(&who, &id, &filter_of(&as_list)?, &client).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv))
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
