//! One of the customer's payments: the registered merchant and store (never what a code said),
//! amount, status, time in Japan and the confirmation number, large, for the cashier to compare
//! with the one their portal shows. A payment the decision point challenged waits for the
//! customer: Confirm goes through a step-up bound to this payment, Cancel gives the money back.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use maud::html;
use serde::Deserialize;

use super::{customer, payments, refused, status_name};
use crate::http::AppState;
use crate::http::lang::{gap, page_locale, t};
use crate::http::pages::{PageResult, layout, with_csrf};
use crate::i18n::{tokyo_date_time, yen};

#[derive(Deserialize)]
pub struct PaymentQuery {
    /// The action a step-up just confirmed (the step-up page comes back with it).
    confirmed: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PaymentQuery>,
) -> PageResult {
    let who = customer(&state, &headers).await?;
    let c = payments(&state)?.customer_payment(&who, &id).await.map_err(|e| refused(&t("problem-failed-title"), e))?;
    let p = &c.payment;
    let waiting = p.status == "requires_confirmation";
    let stepped_up = q.confirmed.as_deref() == Some("confirm_payment");
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("wallet-payment-title"),
            html! {
                @if waiting && stepped_up {
                    p #confirmed .notice.success role="status" { (t("wallet-step-up-done")) }
                }
                p.confirmation {
                    (t("wallet-confirmation-code")) (gap())
                    strong #confirmation-code .confirmation-code lang="en" { (p.confirmation_code) }
                }
                p.hint { (t("wallet-confirmation-why")) }
                dl #payment .facts data-status=(p.status) {
                    dt { (t("wallet-merchant")) } dd #merchant-name { (c.merchant_name) }
                    dt { (t("wallet-store")) } dd #store-name { (c.store_name) }
                    dt { (t("wallet-amount")) } dd #amount .amount { (yen(p.amount_minor)) }
                    @if p.refunded_minor > 0 {
                        dt { (t("wallet-refunded")) } dd #refunded { (yen(p.refunded_minor)) }
                    }
                    dt { (t("wallet-status")) } dd #status { (status_name(&p.status)) }
                    dt { (t("wallet-time")) } dd #time { (tokyo_date_time(p.created_at_ms, page_locale())) }
                }
                @if waiting {
                    p.notice.info role="status" { (t("wallet-confirm-why")) }
                    // Without a fresh factor for this payment, the answer is its step-up page.
                    form method="post" action=(format!("/wallet/payments/{}/confirm", p.id)) {
                        input type="hidden" name="csrf" value=(csrf);
                        button #confirm-payment type="submit" { (t("wallet-confirm")) }
                    }
                    form method="post" action=(format!("/wallet/payments/{}/cancel", p.id)) {
                        input type="hidden" name="csrf" value=(csrf);
                        button #cancel-payment .secondary type="submit" { (t("wallet-cancel")) }
                    }
                }
                p { a #back href="/wallet" { (t("wallet-back")) } }
            },
        )
    }))
}
