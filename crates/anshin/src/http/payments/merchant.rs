//! A merchant's payments, for its staff (and operators).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde::Deserialize;

use super::payments;
use crate::http::AppState;
use crate::http::error::{ApiError, Json, Query};
use crate::http::identity::{Caller, SignedIn};
use crate::http::openapi::{Common, FullSession, Missing};
use crate::payments::{MAX_PAYMENT_PAGE, Payment};

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/merchants/{id}/payments", get(list))
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
