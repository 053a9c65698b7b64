//! The wallet's home: what the wallet holds and the customer's payments, newest first, a page at
//! a time. `GET`s: they read and change nothing.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;

use super::{customer, payments, refused, status_name};
use crate::http::AppState;
use crate::http::lang::{page_locale, t};
use crate::http::pages::{PageResult, layout};
use crate::i18n::{tokyo_date_time, yen};
use crate::payments::CustomerPayment;

/// Payments on one page of the history.
const HISTORY_PAGE: i64 = 20;

#[derive(Deserialize)]
pub struct HistoryQuery {
    /// The cursor: the `created_at_ms` and id of the last payment of the previous page.
    before_ms: Option<i64>,
    #[serde(default)]
    before_id: String,
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<HistoryQuery>) -> PageResult {
    let who = customer(&state, &headers).await?;
    let p = payments(&state)?;
    let failed = |e| refused(&t("problem-failed-title"), e);
    let balances = p.balances_of(&who).await.map_err(failed)?;
    let before = q.before_ms.filter(|ms| *ms > 0).map(|ms| (ms, q.before_id.as_str()));
    let list = p.customer_payments(&who, before, HISTORY_PAGE).await.map_err(failed)?;
    let older = (list.len() as i64 == HISTORY_PAGE).then(|| list.last()).flatten().map(|last| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("before_ms", &last.payment.created_at_ms.to_string())
            .append_pair("before_id", &last.payment.id)
            .finish();
        format!("/wallet?{query}")
    });
    let page = layout(
        &t("wallet-title"),
        html! {
            h2 { (t("wallet-balances")) }
            dl #balances .facts {
                dt { (t("wallet-balance-total")) } dd #balance-total .amount { (yen(balances.total_minor)) }
                dt { (t("wallet-balance-money")) } dd #balance-money { (yen(balances.money_minor)) }
                dt { (t("wallet-balance-lite")) } dd #balance-lite { (yen(balances.lite_minor)) }
                dt { (t("wallet-balance-points")) } dd #balance-points { (yen(balances.points_minor)) }
            }
            p.hint { (t("wallet-balances-order")) }
            ul.links {
                li { a #pay-link href="/wallet/pay" { (t("wallet-pay-link")) } }
                li { a #scan-link href="/wallet/scan" { (t("wallet-scan-link")) } }
                li { a href="/wallet/funding" { (t("wallet-funding-link")) } }
                li { a href="/wallet/cards" { (t("wallet-cards-link")) } }
                li { a #send-money-link href="/wallet/send" { (t("wallet-send-link")) } }
                li { a #transfers-link href="/wallet/transfers" { (t("wallet-transfers-link")) } }
                li { a #withdraw-link href="/wallet/withdraw" { (t("wallet-withdraw-link")) } }
                li { a #identity-link href="/wallet/identity" { (t("kyc-page-title")) } }
                li { a #virtual-card-link href="/wallet/virtual-card" { (t("wallet-virtual-card-link")) } }
                li { a href="/wallet/security" { (t("merchant-security")) } }
            }
            h2 { (t("wallet-history")) }
            (history(&list))
            @if let Some(href) = older { p { a #older href=(href) { (t("wallet-history-older")) } } }
        },
    );
    Ok((StatusCode::OK, Html(page.into_string())).into_response())
}

/// The payments as a list of links to each one's page.
fn history(list: &[CustomerPayment]) -> Markup {
    let locale = page_locale();
    html! {
        @if list.is_empty() {
            p #no-payments .notice.info { (t("wallet-history-empty")) }
        } @else {
            ul #payments .payments {
                @for c in list {
                    li data-payment=(c.payment.id) data-status=(c.payment.status) {
                        a href=(format!("/wallet/payments/{}", c.payment.id)) {
                            strong { (c.merchant_name) } " " (c.store_name)
                        }
                        " · " span.amount { (yen(c.payment.amount_minor)) }
                        " · " (status_name(&c.payment.status))
                        " · " time { (tokyo_date_time(c.payment.created_at_ms, locale)) }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct AwaitingQuery {
    /// The action a step-up just confirmed (the step-up page comes back with it).
    confirmed: Option<String>,
}

/// Where a confirmed step-up for a payment comes back to: the payments that wait for the
/// customer's decision. One alone opens at once; the decision itself is a form on its page.
pub async fn awaiting(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<AwaitingQuery>) -> PageResult {
    let who = customer(&state, &headers).await?;
    let list = payments(&state)?
        .customer_payments(&who, None, HISTORY_PAGE)
        .await
        .map_err(|e| refused(&t("problem-failed-title"), e))?;
    let waiting: Vec<CustomerPayment> =
        list.into_iter().filter(|c| c.payment.status == "requires_confirmation").collect();
    let confirmed = q.confirmed.as_deref() == Some("confirm_payment");
    if let [only] = waiting.as_slice() {
        let suffix = if confirmed { "?confirmed=confirm_payment" } else { "" };
        return Ok(Redirect::to(&format!("/wallet/payments/{}{suffix}", only.payment.id)).into_response());
    }
    let page = layout(
        &t("wallet-awaiting-title"),
        html! {
            @if confirmed { p #confirmed .notice.success role="status" { (t("wallet-step-up-done")) } }
            (history(&waiting))
            p { a href="/wallet" { (t("wallet-back")) } }
        },
    );
    Ok((StatusCode::OK, Html(page.into_string())).into_response())
}
