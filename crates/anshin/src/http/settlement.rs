//! Settlement endpoints: a merchant's settlements for its owners and managers (and operators),
//! and the operators' view and run of a business day. Handlers only parse, call `Settlements` and
//! map the result.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, Json, Query};
use super::identity::{Caller, SignedIn};
use super::openapi::{Common, Conflict, FullSession, IdempotencyKey, Invalid, Missing, Post, Refused};
use crate::settlement::{
    BusinessDay, MAX_SETTLEMENT_PAGE, PayoutRun, SettleRun, SettlementError, SettlementReport, Settlements,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/merchants/{id}/settlements", get(list))
        .route("/v1/merchants/{id}/settlements/{settlement_id}", get(one))
        .route("/v1/ops/settlements/{day}", get(day))
        .route("/v1/ops/settlements/{day}/run", post(run))
}

fn settlements(state: &AppState) -> Result<&Settlements, ApiError> {
    state.settlements.as_ref().ok_or_else(ApiError::not_found)
}

impl From<SettlementError> for ApiError {
    fn from(e: SettlementError) -> Self {
        match e {
            SettlementError::Invalid { code, message, param } => ApiError::invalid(code, message).param(param),
            SettlementError::DayNotOver(day) => ApiError::new(
                StatusCode::CONFLICT,
                "invalid_request_error",
                "day_not_over",
                format!("Business day {day} is not over yet: it can be settled once its cut-off has passed."),
            ),
            SettlementError::NotFound => ApiError::not_found(),
            SettlementError::Bank(detail) => {
                tracing::warn!(%detail, "settlement: the bank");
                let mut e = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "api_error",
                    "bank_unavailable",
                    "The bank could not be reached or refused the file; the settlement is kept, run it again later.",
                );
                e.retry_after_secs = Some(60);
                e
            }
            SettlementError::Identity(e) => e.into(),
        }
    }
}

fn parse_day(day: &str) -> Result<BusinessDay, ApiError> {
    BusinessDay::parse(day).map_err(|m| ApiError::invalid("day_invalid", m).param("day"))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SettlementsQuery {
    /// Settlements of business days before this one (`YYYY-MM-DD`, the last one seen).
    #[param(nullable = false, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub before: Option<String>,
    /// 1 to 100; default 31.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
}

/// Owners and managers: the merchant's settlements, newest business day first, each with its
/// payout.
#[utoipa::path(get, path = "/v1/merchants/{id}/settlements", tag = "settlement", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."), SettlementsQuery),
    responses((status = 200, description = "Settlements, newest day first.", body = Vec<SettlementReport>), Common,
        FullSession, Invalid, Refused, Missing))]
pub async fn list(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<SettlementsQuery>,
) -> Result<Json<Vec<SettlementReport>>, ApiError> {
    let limit = crate::http::error::page_limit(q.limit, 31, MAX_SETTLEMENT_PAGE)?;
    Ok(Json(settlements(&state)?.list_for(&who, &id, q.before.as_deref(), limit, &client).await?))
}

/// Owners and managers: one settlement with its payout.
#[utoipa::path(get, path = "/v1/merchants/{id}/settlements/{settlement_id}", tag = "settlement",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."),
        ("settlement_id" = String, Path, description = "The settlement's id (`stl_…`).")),
    responses((status = 200, description = "The settlement.", body = SettlementReport), Common, FullSession, Refused,
        Missing))]
pub async fn one(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path((id, settlement_id)): Path<(String, String)>,
) -> Result<Json<SettlementReport>, ApiError> {
    Ok(Json(settlements(&state)?.one_for(&who, &id, &settlement_id, &client).await?))
}

/// Operators: every merchant's settlement of a business day.
#[utoipa::path(get, path = "/v1/ops/settlements/{day}", tag = "settlement", security(("bearer" = [])),
    params(("day" = String, Path, description = "The business day, `YYYY-MM-DD` (Japan time).")),
    responses((status = 200, description = "The day's settlements, by merchant.", body = Vec<SettlementReport>),
        Common, FullSession, Invalid, Refused))]
pub async fn day(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(day): Path<String>,
) -> Result<Json<Vec<SettlementReport>>, ApiError> {
    let day = parse_day(&day)?;
    Ok(Json(settlements(&state)?.day_for_ops(&who, day, &client).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RunReport {
    pub settle: SettleRun,
    /// None when the server has no bank configured: the payouts wait.
    pub payouts: Option<PayoutRun>,
}

/// Admins: settle a business day that is over (every merchant), then send the payouts that may
/// go and read back the bank's results. Running it again settles nothing twice.
#[utoipa::path(post, path = "/v1/ops/settlements/{day}/run", tag = "settlement", security(("bearer" = [])),
    params(("day" = String, Path, description = "The business day, `YYYY-MM-DD` (Japan time)."), IdempotencyKey),
    responses((status = 200, description = "What the run did.", body = RunReport), Post, FullSession, Invalid,
        Refused, Conflict))]
pub async fn run(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(day): Path<String>,
) -> Result<Json<RunReport>, ApiError> {
    let day = parse_day(&day)?;
    let s = settlements(&state)?;
    s.require_admin(&who, &client).await?;
    let (settle, payouts) = s.run_day(day, &who.user_id).await?;
    Ok(Json(RunReport { settle, payouts }))
}
