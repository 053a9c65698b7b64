//! The analysts' side: payments the decision point held, and releasing or voiding them.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::Deserialize;

use super::payments;
use crate::http::AppState;
use crate::http::error::{ApiError, Json, Query, page_limit};
use crate::http::identity::SignedIn;
use crate::http::middleware::RequestId;
use crate::http::openapi::{Common, Declined, FullSession, IdempotencyKey, Invalid, Missing, PostJson};
use crate::payments::{AnalystDecision, Payment, WaitingPayment};

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/ops/payments/waiting", get(waiting)).route("/v1/ops/payments/{id}/decision", post(decide))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WaitingQuery {
    /// At most this many (1 to 100).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// Analysts: held and challenged payments, oldest first, with when each is voided if nobody
/// decides. Anyone else gets 404.
#[utoipa::path(get, path = "/v1/ops/payments/waiting", tag = "ops", security(("bearer" = [])),
    params(WaitingQuery),
    responses((status = 200, description = "Waiting payments.", body = [WaitingPayment]), Common, Invalid, FullSession,
        Missing))]
pub async fn waiting(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Query(q): Query<WaitingQuery>,
) -> Result<Json<Vec<WaitingPayment>>, ApiError> {
    let limit = page_limit(q.limit, 50, crate::payments::MAX_PAYMENT_PAGE)?;
    Ok(Json(payments(&state)?.waiting_payments(&who, limit).await?))
}

/// Analysts: release a held payment to the merchant, or void it back to the customer, saying why.
#[utoipa::path(post, path = "/v1/ops/payments/{id}/decision", tag = "ops", request_body = AnalystDecision,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The payment's id."), IdempotencyKey),
    responses((status = 200, description = "The payment, now `succeeded` or `voided`.", body = Payment), PostJson,
        FullSession, Declined, Missing))]
pub async fn decide(
    State(state): State<AppState>,
    axum::Extension(request_id): axum::Extension<RequestId>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(body): Json<AnalystDecision>,
) -> Result<Json<Payment>, ApiError> {
    Ok(Json(payments(&state)?.analyst_decides(&who, &id, &body, &request_id.0).await?))
}
