//! Operators' regulatory report: `GET /v1/ops/reports/regulatory?as_of=YYYY-MM-DD` (JSON) and the
//! ops console's `/ops/reports`. Analysts and admins may read it; each reading is audited.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use maud::html;
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, Json, Query};
use super::identity::{Caller, SignedIn};
use super::lang::t;
use super::openapi::{Common, FullSession, Invalid, Refused};
use super::pages::{PageResult, api_refusal, full, layout, problem_page};
use crate::i18n::yen;
use crate::identity::{AccountKind, Client, Principal};
use crate::reports::{self, RegulatoryReport, ReportError};

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/ops/reports/regulatory", get(regulatory)).route("/ops/reports", get(page))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The JST day (YYYY-MM-DD) whose end the figures are as of: 31 March and 30 September are
    /// the statutory base dates; default today.
    #[param(nullable = false, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub as_of: Option<String>,
}

/// Operators: the unused prepaid (lite) balance and the deposit it calls for, and the money held
/// for fund-transfer customers, as of the end of a JST day (audited).
#[utoipa::path(get, path = "/v1/ops/reports/regulatory", tag = "reports", security(("bearer" = [])),
    params(ReportQuery),
    responses((status = 200, description = "The report.", body = RegulatoryReport), Common, FullSession, Invalid,
        Refused))]
pub async fn regulatory(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Query(q): Query<ReportQuery>,
) -> Result<Json<RegulatoryReport>, ApiError> {
    Ok(Json(report(&state, &who, &client, q.as_of.as_deref()).await?))
}

async fn report(
    state: &AppState,
    who: &Principal,
    client: &Client,
    as_of: Option<&str>,
) -> Result<RegulatoryReport, ApiError> {
    if who.kind != AccountKind::Operator {
        let identity = state.identity.as_ref().ok_or_else(ApiError::not_found)?;
        return Err(identity.denied(who, "reports.regulatory.read", client).await.into());
    }
    let today = crate::funding::jst_day(crate::storage::now_ms());
    let report = reports::regulatory(&state.db, as_of.unwrap_or(&today)).await.map_err(|e| match e {
        ReportError::Invalid(message) => ApiError::invalid("as_of_invalid", message).param("as_of"),
        ReportError::Storage(e) => crate::identity::IdentityError::from(e).into(),
    })?;
    let mut tx = state.db.begin_write().await.map_err(crate::identity::IdentityError::from)?;
    let event = crate::audit::AuditEvent::new(&who.user_id, "reports.regulatory.read", &report.as_of)
        .request_id(client.request_id.clone())
        .details(serde_json::json!({ "ip": client.ip }));
    crate::audit::append(&state.db, &mut tx, &[event]).await.map_err(crate::identity::IdentityError::from)?;
    tx.commit().await.map_err(crate::identity::IdentityError::from)?;
    Ok(report)
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    as_of: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> PageResult {
    let who = full(&state, &headers).await?;
    if who.kind != AccountKind::Operator {
        return Err(problem_page(StatusCode::FORBIDDEN, &t("problem-operators-title"), &t("problem-operators")).into());
    }
    let as_of = q.as_of.filter(|d| !d.is_empty());
    let r = match report(&state, &who, &client, as_of.as_deref()).await {
        Ok(r) => r,
        Err(e) => return Err(api_refusal(e)),
    };
    let rows = [
        (t("reports-unused-prepaid"), yen(r.unused_prepaid_minor), "unused-prepaid"),
        (t("reports-prepaid-holders"), r.prepaid_holders.to_string(), "prepaid-holders"),
        (t("reports-deposit-required"), yen(r.deposit_required_minor), "deposit-required"),
        (t("reports-transfer-money"), yen(r.transfer_customers_money_minor), "transfer-money"),
        (t("reports-guarantee-required"), yen(r.guarantee_required_minor), "guarantee-required"),
        (t("reports-points"), yen(r.points_outstanding_minor), "points"),
    ];
    let body = html! {
        ul.links { li { a href="/ops" { (t("ops-title")) } } }
        form method="get" action="/ops/reports" {
            label for="as_of" { (t("reports-as-of")) }
            input #as_of name="as_of" type="date" value=(r.as_of);
            button #show-report type="submit" { (t("reports-show")) }
        }
        p { (t("reports-why")) }
        @if !r.base_date { p.notice { (t("reports-not-base-date")) } }
        table #regulatory-report {
            @for (label, value, id) in &rows { tr { th scope="row" { (label) } td id=(id) { (value) } } }
        }
    };
    Ok(axum::response::Html(layout(&t("reports-title"), body).into_string()).into_response())
}

use axum::response::IntoResponse;
