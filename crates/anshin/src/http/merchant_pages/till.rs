//! The till page (`/merchant/till`): a cashier enters an amount and either shows a code for the
//! customer to scan (a dynamic merchant-presented code) or takes the customer's code (typed, or
//! read by a barcode scanner that types it). The outcome comes from the server, never from the
//! customer's phone: the page shows the payment's status and its confirmation number, and while
//! a payment or a code waits it reloads itself every two seconds (a `<meta>` refresh: no script).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;

use super::staff;
use crate::http::AppState;
use crate::http::error::Form;
use crate::http::identity::Caller;
use crate::http::lang::{t, t_args};
use crate::http::pages::{PageError, PageResult, check_csrf, layout, problem_page, with_csrf};
use crate::payments::{ChargeRequest, NewPaymentRequest, Payment, PaymentError, Payments, poster};

/// How often a waiting till page reloads itself, in seconds.
const REFRESH_SECS: u32 = 2;
/// The terminal id the page's payments and codes carry.
const TERMINAL: &str = "web-till";

fn payments(state: &AppState) -> Result<&Payments, PageError> {
    state.payments.as_ref().ok_or_else(|| {
        problem_page(StatusCode::NOT_FOUND, &t("problem-not-found-title"), &t("problem-not-found")).into()
    })
}

fn refused(e: &PaymentError) -> PageError {
    let api = crate::http::error::ApiError::from(e.clone());
    let message = match e {
        PaymentError::CodeRefused("code_expired") => t("till-code-expired"),
        PaymentError::CodeRefused("code_used") => t("till-code-used"),
        PaymentError::CodeRefused(_) => t("till-code-invalid"),
        PaymentError::Declined(_) => t("till-declined"),
        PaymentError::NotAccepting => t("error-merchant-not-active"),
        PaymentError::Invalid { .. } => t("till-invalid"),
        PaymentError::NotFound => t("error-resource-missing"),
        PaymentError::Identity(inner) => crate::http::pages::explain(inner),
        _ => t("till-failed"),
    };
    let mut page = problem_page(api.status, &t("till-refused-title"), &message);
    page.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    page.into()
}

pub(super) async fn page(State(state): State<AppState>, headers: HeaderMap, Caller(client): Caller) -> PageResult {
    let s = staff(&state, &headers).await?;
    let stores = payments(&state)?.till_stores(&s.who, s.merchant_id(), &client).await.map_err(|e| refused(&e))?;
    // Each form has its own store and amount fields (ids `{form}_store`, `{form}_amount`).
    let store_select = |form: &str| {
        let (store, amount) = (format!("{form}_store"), format!("{form}_amount"));
        html! {
            label for=(store) { (t("till-store")) }
            select id=(store) name="store_id" required {
                @for st in &stores { option value=(st.id) { (st.name) } }
            }
            label for=(amount) { (t("till-amount")) }
            input id=(amount) name="amount_minor" type="number" min="1" max="1000000" required inputmode="numeric";
        }
    };
    let body = |csrf: &str| -> Markup {
        html! {
            p { a #back-to-portal href="/merchant" { (t("merchant-back")) } }
            @if stores.is_empty() { p.notice.info { (t("till-no-store")) } }
            h2 { (t("till-take-code")) }
            form #take-code method="post" action="/merchant/till/charge" {
                input type="hidden" name="csrf" value=(csrf);
                (store_select("take"))
                label for="customer_code" { (t("till-customer-code")) }
                input #customer_code name="customer_code" required maxlength="512" autocomplete="off";
                button #charge type="submit" { (t("till-charge")) }
            }
            h2 { (t("till-show-code")) }
            form #show-code method="post" action="/merchant/till/requests" {
                input type="hidden" name="csrf" value=(csrf);
                (store_select("show"))
                button #show type="submit" { (t("till-show")) }
            }
        }
    };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| layout(&t("till-title"), body(csrf))))
}

#[derive(Deserialize)]
pub(super) struct ChargeForm {
    csrf: String,
    store_id: String,
    amount_minor: String,
    customer_code: String,
}

pub(super) async fn charge(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ChargeForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    let req = ChargeRequest {
        customer_code: form.customer_code.trim().to_owned(),
        amount_minor: form.amount_minor.trim().parse().unwrap_or(0),
        currency: "JPY".into(),
        terminal_id: TERMINAL.into(),
        reference: String::new(),
    };
    let paid = payments(&state)?
        .charge_as_staff(&s.who, s.merchant_id(), &form.store_id, &req, &client)
        .await
        .map_err(|e| refused(&e))?;
    Ok(Redirect::to(&format!("/merchant/till/payments/{}", paid.id)).into_response())
}

#[derive(Deserialize)]
pub(super) struct RequestForm {
    csrf: String,
    store_id: String,
    amount_minor: String,
}

pub(super) async fn request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<RequestForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    let req = NewPaymentRequest {
        amount_minor: form.amount_minor.trim().parse().unwrap_or(0),
        currency: "JPY".into(),
        terminal_id: TERMINAL.into(),
        reference: String::new(),
    };
    let made = payments(&state)?
        .create_payment_request_as_staff(&s.who, s.merchant_id(), &form.store_id, &req, &client)
        .await
        .map_err(|e| refused(&e))?;
    Ok(Redirect::to(&format!("/merchant/till/requests/{}", made.id)).into_response())
}

/// A payment request of the signed-in member of staff's merchant.
async fn request_of(
    state: &AppState,
    headers: &HeaderMap,
    client: &crate::identity::Client,
    id: &str,
) -> Result<crate::payments::store_mpm::PaymentRequest, PageError> {
    let s = staff(state, headers).await?;
    payments(state)?.payment_request_as_staff(&s.who, s.merchant_id(), id, client).await.map_err(|e| refused(&e))
}

/// A dynamic code on the screen until it is paid (then the payment), expires or is canceled.
pub(super) async fn shown_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Path(id): Path<String>,
) -> PageResult {
    let request = request_of(&state, &headers, &client, &id).await?;
    if request.status == "paid" {
        return Ok(Redirect::to(&format!("/merchant/till/payments/{}", request.payment_id)).into_response());
    }
    let open = request.status == "open";
    let body = html! {
        p #till-amount .amount { (crate::i18n::yen(request.amount_minor)) }
        @if open {
            p.notice.info role="status" { (t("till-scan-this")) }
            img #till-qr src=(format!("/merchant/till/requests/{id}/qr.svg")) alt=(t("till-qr-alt")) width="320" height="320";
        } @else {
            p #till-request-status .notice.error role="status" data-status=(request.status) { (t("till-request-over")) }
        }
        p { a #till-again href="/merchant/till" { (t("till-again")) } }
    };
    let mut page = with_csrf(&headers, StatusCode::OK, |_| layout(&t("till-title"), body));
    if open {
        refresh(&mut page);
    }
    Ok(page)
}

pub(super) async fn shown_code_svg(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Path(id): Path<String>,
) -> PageResult {
    let request = request_of(&state, &headers, &client, &id).await?;
    let svg = poster::svg(&request.payload).map_err(|e| refused(&e))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-store")], svg).into_response())
}

/// A payment the till took, as the server has it: the status and the confirmation number the
/// customer's screen must show too.
pub(super) async fn payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Path(id): Path<String>,
) -> PageResult {
    let s = staff(&state, &headers).await?;
    let p = payments(&state)?.payment_as_staff(&s.who, s.merchant_id(), &id, &client).await.map_err(|e| refused(&e))?;
    let waiting = matches!(p.status.as_str(), "requires_confirmation" | "held");
    let body = outcome(&p);
    let mut page = with_csrf(&headers, StatusCode::OK, |_| layout(&t("till-title"), body));
    if waiting {
        refresh(&mut page);
    }
    Ok(page)
}

fn outcome(p: &Payment) -> Markup {
    let (class, words) = match p.status.as_str() {
        "succeeded" | "partially_refunded" | "refunded" => ("success", t("till-paid")),
        "requires_confirmation" => ("info", t("till-waiting-customer")),
        "held" => ("info", t("till-waiting-review")),
        _ => ("error", t("till-not-paid")),
    };
    html! {
        p #till-outcome .notice.(class) role="status" data-status=(p.status) { (words) }
        p #till-amount .amount { (crate::i18n::yen(p.amount_minor)) }
        p { (t("till-confirmation")) " " strong #till-confirmation .confirmation { (p.confirmation_code) } }
        p.hint { (t_args("till-compare", &[("code", p.confirmation_code.as_str().into())])) }
        p { a #till-again href="/merchant/till" { (t("till-again")) } }
    }
}

/// Reload the page while it waits (a header the browser honours like `<meta http-equiv>`).
fn refresh(page: &mut axum::response::Response) {
    page.headers_mut().insert("refresh", header::HeaderValue::from(REFRESH_SECS));
}
