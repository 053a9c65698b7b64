//! The customer decides a payment the decision point challenged. Confirming needs a second factor
//! given for this very payment: the step-up page starts it through `Payments::start_confirmation`
//! (which binds the challenge to the payment), never through the generic step-up, and
//! `Payments::customer_decides` spends it with the journal that pays the merchant. Canceling needs
//! no factor: it only gives the customer's money back.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{customer, explain_payment, payments, status_name};
use crate::http::AppState;
use crate::http::error::Form;
use crate::http::lang::{gap, t};
use crate::http::middleware::RequestId;
use crate::http::pages::{PageError, PageResult, check_csrf, layout, problem_page};
use crate::i18n::yen;
use crate::identity::{IdentityError, LoginChallenge, Principal};
use crate::payments::{Payment, PaymentError};

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
}

/// Where a confirmation without a fresh factor goes: the step-up page for this payment.
fn step_up_for(payment_id: &str) -> Response {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("action", "confirm_payment")
        .append_pair("payment", payment_id)
        .finish();
    Redirect::to(&format!("/wallet/step-up?{query}")).into_response()
}

fn refused(e: PaymentError) -> PageError {
    let message = explain_payment(&e);
    let status = match e {
        // Decided already (or expired): the request conflicts with the payment's state.
        PaymentError::Declined("not_pending") => StatusCode::CONFLICT,
        other => crate::http::error::ApiError::from(other).status,
    };
    problem_page(status, &t("problem-not-changed-title"), &message).into()
}

/// The answer to a decision: what happened, the payment's confirmation number, and links on.
fn decided(p: &Payment, title: &str, message: &str) -> Response {
    let page = layout(
        title,
        html! {
            p #done .notice.success role="status" { (message) }
            p.confirmation {
                (t("wallet-confirmation-code")) (gap())
                strong #confirmation-code .confirmation-code lang="en" { (p.confirmation_code) }
            }
            dl.facts data-status=(p.status) {
                dt { (t("wallet-amount")) } dd #amount .amount { (yen(p.amount_minor)) }
                dt { (t("wallet-status")) } dd #status { (status_name(&p.status)) }
            }
            p { a href=(format!("/wallet/payments/{}", p.id)) { (t("wallet-payment-title")) } }
            p { a #back href="/wallet" { (t("wallet-back")) } }
        },
    );
    (StatusCode::OK, Html(page.into_string())).into_response()
}

/// `POST /wallet/payments/{id}/confirm`: pay with the factor given for this payment; without one,
/// to the step-up for it first.
pub async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Extension(request_id): axum::Extension<RequestId>,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = customer(&state, &headers).await?;
    match payments(&state)?.customer_decides(&who, &id, true, &request_id.0).await {
        Ok(p) => Ok(decided(&p, &t("wallet-confirmed-title"), &t("wallet-confirmed"))),
        Err(PaymentError::Identity(IdentityError::StepUpRequired)) => Ok(step_up_for(&id)),
        Err(e) => Err(refused(e)),
    }
}

/// `POST /wallet/payments/{id}/cancel`: the customer says no; the money goes back.
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Extension(request_id): axum::Extension<RequestId>,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = customer(&state, &headers).await?;
    let p = payments(&state)?.customer_decides(&who, &id, false, &request_id.0).await.map_err(refused)?;
    Ok(decided(&p, &t("wallet-canceled-title"), &t("wallet-canceled")))
}

/// What the step-up page shows before a payment is confirmed: the registered merchant and store
/// and the amount the factor will approve, and nothing for a payment that is not the customer's
/// or no longer waits.
pub async fn confirming(state: &AppState, who: &Principal, payment_id: &str) -> Result<Markup, PageError> {
    let c = payments(state)?.customer_payment(who, payment_id).await.map_err(refused)?;
    if c.payment.status != "requires_confirmation" {
        return Err(refused(PaymentError::Declined("not_pending")));
    }
    Ok(html! {
        dl #confirming .facts {
            dt { (t("wallet-merchant")) } dd #merchant-name { (c.merchant_name) }
            dt { (t("wallet-store")) } dd #store-name { (c.store_name) }
            dt { (t("wallet-amount")) } dd #amount .amount { (yen(c.payment.amount_minor)) }
        }
    })
}

/// The step-up for `confirm_payment`, started for one payment so the factor approves it alone.
pub async fn start_confirmation(
    state: &AppState,
    who: &Principal,
    payment_id: &str,
    client: &crate::identity::Client,
) -> Result<LoginChallenge, PageError> {
    payments(state)?.start_confirmation(who, payment_id, client).await.map_err(refused)
}
