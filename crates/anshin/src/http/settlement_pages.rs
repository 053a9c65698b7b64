//! Settlement pages: the merchant portal's settlements and payouts (`/merchant/settlements`, for
//! owners and managers) and the ops console's day (`/ops/settlements`, with a run button for
//! admins). They call the same `Settlements` functions as the JSON API.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, Form};
use super::identity::Caller;
use super::lang::t;
use super::pages::{PageError, PageResult, check_csrf, full, layout, problem_page, with_csrf};
use crate::i18n::yen;
use crate::settlement::{BusinessDay, SettlementError, SettlementReport, Settlements};
use crate::storage::now_ms;

/// Business days shown on the portal page; the JSON API pages back further.
const DAYS_SHOWN: i64 = 31;

/// Catalog ids built from values.
pub(super) const DYNAMIC_IDS: &[&str] = &[
    "settlement-status-settled",
    "settlement-status-carried_over",
    "settlement-payout-held",
    "settlement-payout-sent",
    "settlement-payout-paid",
    "settlement-payout-returned",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/merchant/settlements", get(merchant_page))
        .route("/ops/settlements", get(ops_page))
        .route("/ops/settlements/run", post(run))
}

fn settlements(state: &AppState) -> Result<&Settlements, PageError> {
    state.settlements.as_ref().ok_or_else(|| {
        problem_page(StatusCode::NOT_FOUND, &t("problem-not-found-title"), &t("problem-not-found")).into()
    })
}

fn worded(prefix: &str, value: &str) -> String {
    let id = format!("{prefix}-{value}");
    if DYNAMIC_IDS.contains(&id.as_str()) { t(&id) } else { value.to_owned() }
}

/// A refusal as a page under the status the API answers for it.
fn refused(e: SettlementError) -> PageError {
    let api = ApiError::from(e.clone());
    let message = match e {
        SettlementError::DayNotOver(_) => t("settlement-day-not-over"),
        SettlementError::Bank(_) => t("settlement-bank-unavailable"),
        SettlementError::NotFound | SettlementError::Identity(crate::identity::IdentityError::Forbidden) => {
            t("error-forbidden")
        }
        SettlementError::Invalid { .. } => t("settlement-day-invalid"),
        SettlementError::Identity(e) => super::pages::explain(&e),
    };
    problem_page(api.status, &t("problem-failed-title"), &message).into()
}

fn table(rows: &[SettlementReport], with_merchant: bool) -> Markup {
    html! {
        table #settlements {
            thead { tr {
                th { (t("settlement-day")) }
                @if with_merchant { th { (t("settlement-merchant")) } }
                th { (t("settlement-payments")) } th { (t("settlement-gross")) } th { (t("settlement-refunds")) }
                th { (t("settlement-fee")) } th { (t("settlement-tax")) } th { (t("settlement-net")) }
                th { (t("settlement-status")) } th { (t("settlement-payout")) }
            } }
            tbody {
                @for r in rows {
                    @let s = &r.settlement;
                    tr data-settlement=(s.id) {
                        td { (s.business_day) }
                        @if with_merchant { td { (s.merchant_id) } }
                        td { (s.payments_count) } td { (yen(s.gross_minor)) } td { (yen(s.refunds_minor)) }
                        td { (yen(s.fee_minor)) } td { (yen(s.fee_tax_minor)) } td { (yen(s.net_minor)) }
                        td { (worded("settlement-status", &s.status)) }
                        td data-payout=(r.payout.as_ref().map(|p| p.status.as_str()).unwrap_or("")) {
                            @match &r.payout {
                                Some(p) => { (worded("settlement-payout", &p.status)) }
                                None => { "—" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Owners and managers: the merchant's settlements, newest day first, with their payouts.
pub async fn merchant_page(State(state): State<AppState>, headers: HeaderMap, Caller(client): Caller) -> PageResult {
    let who = full(&state, &headers).await?;
    let s = settlements(&state)?;
    let rows = s.list_for(&who, &who.org_ref, None, DAYS_SHOWN, &client).await.map_err(refused)?;
    let page = layout(
        &t("settlement-title"),
        html! {
            p { (t("settlement-explained")) }
            @if rows.is_empty() { p #no-settlements { (t("settlement-none")) } } @else { (table(&rows, false)) }
            p { a href="/merchant" { (t("merchant-back")) } }
        },
    );
    Ok((StatusCode::OK, axum::response::Html(page.into_string())).into_response())
}

#[derive(Deserialize)]
pub struct DayQuery {
    day: Option<String>,
}

/// Operators: every merchant's settlement of a day (by default the last day that is over), and
/// for admins the button that runs it.
pub async fn ops_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Query(q): Query<DayQuery>,
) -> PageResult {
    let who = full(&state, &headers).await?;
    let s = settlements(&state)?;
    let config = s.config();
    let day = match q.day.as_deref() {
        Some(d) => BusinessDay::parse(d)
            .map_err(|m| refused(SettlementError::Invalid { code: "day_invalid", message: m, param: "day" }))?,
        None => BusinessDay::last_closed(now_ms(), config.cutoff, config.grace_secs),
    };
    let rows = s.day_for_ops(&who, day, &client).await.map_err(refused)?;
    let admin = crate::merchants::is_admin(&who);
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("settlement-ops-title"),
            html! {
                form method="get" action="/ops/settlements" {
                    label for="day" { (t("settlement-day")) }
                    input #day name="day" type="date" value=(day.to_string());
                    button type="submit" { (t("settlement-show")) }
                }
                @if rows.is_empty() { p #no-settlements { (t("settlement-none")) } } @else { (table(&rows, true)) }
                @if admin {
                    form method="post" action="/ops/settlements/run" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="day" value=(day.to_string());
                        button #run-settlement type="submit" { (t("settlement-run")) }
                    }
                }
            },
        )
    }))
}

#[derive(Deserialize)]
pub struct RunForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    day: String,
}

/// Admins: settle the day and run the payouts, then back to the day.
pub async fn run(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<RunForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let s = settlements(&state)?;
    let day = BusinessDay::parse(&form.day)
        .map_err(|m| refused(SettlementError::Invalid { code: "day_invalid", message: m, param: "day" }))?;
    s.require_admin(&who, &client).await.map_err(refused)?;
    s.run_day(day, &who.user_id).await.map_err(refused)?;
    Ok(Redirect::to(&format!("/ops/settlements?day={day}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Locale, has_message};

    #[test]
    fn every_settlement_and_payout_status_has_its_words() {
        for id in DYNAMIC_IDS {
            for locale in Locale::ALL {
                assert!(has_message(locale, id), "{id} missing in {locale:?}");
            }
        }
    }
}
