//! The merchant's payments in the portal: the list (filters by status, store and date, older
//! pages, a CSV export), with a live panel that prepends new payments as the feed brings them
//! (`/static/merchant-feed.js`, no inline script); and one payment with its events and, for
//! owners and managers, the refund form (a fresh second factor, through the step-up page).
//! Every read and change calls the same `Payments` function as the JSON API, for the session's
//! own merchant. The confirmation code is shown large: it is what a cashier compares with the
//! customer's screen.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::portal::when;
use super::{merchants, staff};
use crate::http::AppState;
use crate::http::error::Form;
use crate::http::identity::Caller;
use crate::http::lang::{t, t_args};
use crate::http::pages::{PageError, PageResult, check_csrf, explain, layout, problem_page, with_csrf};
use crate::identity::{IdentityError, StepUpAction};
use crate::merchants::Permission;
use crate::payments::{MerchantEvent, Payment, PaymentError, PaymentFilter, Payments, RefundBy, RefundRequest};

const SCRIPT: &str = include_str!("../../../static/merchant-feed.js");
/// Payments on one page of the list.
const PAGE_ROWS: i64 = 50;
/// Every state a payment can be filtered by (waiting, canceled and voided ones too).
const STATUSES: [&str; 7] = crate::payments::store::STATUSES;

/// `GET /static/merchant-feed.js`.
pub async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], SCRIPT)
        .into_response()
}

fn payments(state: &AppState) -> Result<&Payments, PageError> {
    state.payments.as_ref().ok_or_else(|| {
        problem_page(StatusCode::NOT_FOUND, &t("problem-not-found-title"), &t("problem-not-found")).into()
    })
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    store: String,
    /// A day (YYYY-MM-DD, Japan time): payments from its start.
    #[serde(default)]
    from: String,
    /// A day (YYYY-MM-DD, Japan time): payments up to its end.
    #[serde(default)]
    to: String,
    /// The older page: payments created before this time.
    before_ms: Option<i64>,
}

/// Midnight at the start of `day` in Japan, in UTC milliseconds; None for anything else.
fn jst_day_start_ms(day: &str) -> Option<i64> {
    let date: jiff::civil::Date = day.parse().ok()?;
    let zoned =
        date.to_datetime(jiff::civil::Time::midnight()).to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)));
    Some(zoned.ok()?.timestamp().as_millisecond())
}

fn filter_of(q: &ListQuery) -> PaymentFilter {
    const DAY_MS: i64 = 86_400_000;
    let end = jst_day_start_ms(&q.to).map(|ms| ms + DAY_MS).unwrap_or(i64::MAX);
    PaymentFilter {
        status: if STATUSES.contains(&q.status.as_str()) { q.status.clone() } else { String::new() },
        store_id: q.store.chars().take(64).collect(),
        from_ms: jst_day_start_ms(&q.from).unwrap_or(0),
        before_ms: q.before_ms.filter(|b| *b > 0).unwrap_or(i64::MAX).min(end),
    }
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let s = staff(&state, &headers).await?;
    let id = s.merchant_id().to_owned();
    let filter = filter_of(&q);
    let rows =
        payments(&state)?.merchant_payments(&s.who, &id, &filter, PAGE_ROWS, &client).await.map_err(|e| refused(&e))?;
    let stores = merchants(&state)?.stores(&s.who, &id, &client).await.unwrap_or_default();
    let store_name =
        |sid: &str| stores.iter().find(|st| st.id == sid).map_or_else(|| sid.to_owned(), |st| st.name.clone());
    let query = |before: Option<i64>| {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("status", &filter.status).append_pair("store", &filter.store_id);
        out.append_pair("from", &q.from).append_pair("to", &q.to);
        if let Some(b) = before {
            out.append_pair("before_ms", &b.to_string());
        }
        out.finish()
    };
    let older = (rows.len() as i64 == PAGE_ROWS).then(|| rows.last().map(|p| p.created_at_ms)).flatten();
    // The live panel only makes sense on the first, unfiltered page: the newest payments.
    let live = q.before_ms.is_none() && filter.status.is_empty() && filter.store_id.is_empty() && q.to.is_empty();
    let body = html! {
        p { a #back-to-portal href="/merchant" { (t("merchant-back")) } }
        form #payment-filters method="get" action="/merchant/payments" {
            label for="f_status" { (t("merchant-payments-status")) }
            select #f_status name="status" {
                option value="" { (t("merchant-payments-any")) }
                @for st in STATUSES { option value=(st) selected[filter.status == st] { (status_name(st)) } }
            }
            label for="f_store" { (t("merchant-payments-store")) }
            select #f_store name="store" {
                option value="" { (t("merchant-payments-any")) }
                @for st in &stores { option value=(st.id) selected[filter.store_id == st.id] { (st.name) } }
            }
            label for="f_from" { (t("merchant-payments-from")) }
            input #f_from type="date" name="from" value=(q.from);
            label for="f_to" { (t("merchant-payments-to")) }
            input #f_to type="date" name="to" value=(q.to);
            button type="submit" { (t("merchant-payments-filter")) }
        }
        p { a #export-csv href=(format!("/merchant/payments/export?{}", query(None))) download { (t("merchant-payments-export")) } }
        @if live {
            p #live-feed .notice.info role="status" aria-live="polite" data-merchant=(id)
                data-label-new=(t("merchant-payments-live-new")) { (t("merchant-payments-live")) }
        }
        table #payments {
            thead { tr {
                th { (t("merchant-payments-code")) } th { (t("merchant-payments-amount")) }
                th { (t("merchant-payments-status")) } th { (t("merchant-payments-store")) }
                th { (t("merchant-payments-when")) }
            } }
            tbody {
                @for p in &rows {
                    tr data-payment=(p.id) {
                        td { a.confirmation href=(format!("/merchant/payments/{}", p.id)) { strong { (p.confirmation_code) } } }
                        td { (crate::i18n::yen(p.amount_minor)) }
                        td data-status=(p.status) { (status_name(&p.status)) }
                        td { (store_name(&p.store_id)) }
                        td { (when(p.created_at_ms)) }
                    }
                }
            }
        }
        @if rows.is_empty() { p #no-payments { (t("merchant-payments-none")) } }
        @if let Some(before) = older {
            p { a #older href=(format!("/merchant/payments?{}", query(Some(before)))) { (t("merchant-payments-older")) } }
        }
        @if live { script src="/static/merchant-feed.js" defer {} }
    };
    Ok(with_csrf(&headers, StatusCode::OK, |_| layout(&t("merchant-payments-title"), body)))
}

pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let s = staff(&state, &headers).await?;
    let id = s.merchant_id().to_owned();
    let csv =
        payments(&state)?.merchant_payments_csv(&s.who, &id, &filter_of(&q), &client).await.map_err(|e| refused(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"payments.csv\""),
        ],
        csv,
    )
        .into_response())
}

pub async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Path(payment_id): Path<String>,
) -> PageResult {
    let s = staff(&state, &headers).await?;
    let id = s.merchant_id().to_owned();
    let pay = payments(&state)?;
    let p = pay.merchant_payment(&s.who, &id, &payment_id, &client).await.map_err(|e| refused(&e))?;
    let events = pay.payment_events(&id, &p.id).await.map_err(|e| refused(&e))?;
    let may_refund = s.role.may(Permission::Refund) && matches!(p.status.as_str(), "succeeded" | "partially_refunded");
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(&t("merchant-payment-title"), payment_page(csrf, &p, &events, may_refund))
    }))
}

fn payment_page(csrf: &str, p: &Payment, events: &[MerchantEvent], may_refund: bool) -> Markup {
    let left = p.amount_minor - p.refunded_minor;
    html! {
        p { a #back-to-payments href="/merchant/payments" { (t("merchant-payments-title")) } }
        p.confirmation-code { (t("merchant-payments-code")) " " strong #confirmation-code { (p.confirmation_code) } }
        dl.facts {
            dt { (t("merchant-payments-amount")) } dd #amount { (crate::i18n::yen(p.amount_minor)) }
            dt { (t("merchant-payments-status")) } dd #status data-status=(p.status) { (status_name(&p.status)) }
            dt { (t("merchant-payments-refunded")) } dd #refunded { (crate::i18n::yen(p.refunded_minor)) }
            dt { (t("merchant-payments-when")) } dd { (when(p.created_at_ms)) }
            dt { (t("merchant-payments-id")) } dd { code { (p.id) } }
            dt { (t("merchant-payments-terminal")) } dd { (p.terminal_id) }
            @if !p.reference.is_empty() { dt { (t("merchant-payments-reference")) } dd { (p.reference) } }
        }
        h2 { (t("merchant-payments-events")) }
        ul #payment-events .items {
            @for e in events { li data-type=(e.kind) { (status_name(&e.payment.status)) " · " (when(e.created_at_ms))
                @if let Some(r) = &e.refund { " · " (crate::i18n::yen(r.amount_minor)) } } }
        }
        @if may_refund {
            h2 { (t("merchant-payments-refund")) }
            form #refund-form method="post" action=(format!("/merchant/payments/{}/refund", p.id)) {
                input type="hidden" name="csrf" value=(csrf);
                // One key per form shown: sending it twice refunds once.
                input type="hidden" name="refund_key" value=(format!("portal-{}", &crate::storage::ids::random_hex_128()[..24]));
                label for="refund_amount" { (t("merchant-payments-refund-amount")) }
                input #refund_amount name="amount_minor" type="number" min="1" max=(left) value=(left) required;
                label for="refund_reason" { (t("merchant-payments-refund-reason")) }
                input #refund_reason name="reason" maxlength="200";
                p.hint { (t("merchant-needs-step-up")) }
                button #refund type="submit" { (t("merchant-payments-refund")) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount_minor: String,
    #[serde(default)]
    refund_key: String,
    #[serde(default)]
    reason: String,
}

pub async fn refund(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Path(payment_id): Path<String>,
    axum::Extension(request_id): axum::Extension<crate::http::middleware::RequestId>,
    Form(form): Form<RefundForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    let id = s.merchant_id().to_owned();
    let req = RefundRequest {
        amount_minor: form.amount_minor.trim().parse().unwrap_or(0),
        refund_key: form.refund_key,
        reason: form.reason,
    };
    let by = RefundBy::Staff { who: &s.who, merchant_id: &id, client: &client };
    match payments(&state)?.refund(by, &payment_id, &req, &request_id.0).await {
        Ok(_) => Ok(Redirect::to(&format!("/merchant/payments/{payment_id}")).into_response()),
        Err(PaymentError::Identity(IdentityError::StepUpRequired)) => {
            Ok(Redirect::to(&format!("/wallet/step-up?action={}", StepUpAction::Refund.as_str())).into_response())
        }
        Err(e) => Err(refused(&e)),
    }
}

/// A refused read or refund, as a page under the status the API answers.
fn refused(e: &PaymentError) -> PageError {
    let api = crate::http::error::ApiError::from(e.clone());
    let message = match e {
        PaymentError::Identity(inner) => explain(inner),
        PaymentError::NotFound => t("error-resource-missing"),
        PaymentError::Invalid { .. } => t("merchant-payments-refund-invalid"),
        PaymentError::Declined("refund_exceeds_payment") => t("merchant-payments-refund-too-much"),
        PaymentError::Declined("not_refundable") => t("merchant-payments-not-refundable"),
        _ => t("merchant-payments-refund-failed"),
    };
    problem_page(api.status, &t("problem-not-changed-title"), &message).into()
}

/// A payment status in the page's language.
pub(super) fn status_name(status: &str) -> String {
    t_args("merchant-payments-status-name", &[("status", status.into())])
}
