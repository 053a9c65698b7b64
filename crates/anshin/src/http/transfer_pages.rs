//! Transfer pages in the wallet. `/wallet/send`: name a payee (e-mail or phone), see their
//! display name, then send an amount (the step-up page for `send_money` when the amount needs a
//! fresh second factor). `/wallet/transfers`: transfers sent and received, and requests for money
//! (ask for an amount; each request has a page with its link and QR code, which a payer opens,
//! checks and pays). Every change calls the same `Transfers` function as the JSON endpoints.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, Form};
use super::identity::Caller;
use super::lang::{page_locale, t, t_args};
use super::pages::{PageError, PageResult, check_csrf, full, layout, refusal_or_step_up, with_csrf};
use crate::i18n::{tokyo_date_time, yen};
use crate::identity::StepUpAction;
use crate::transfers::{
    MoneyRequest, MoneyRequestCreate, MoneyRequestView, PayeeLookup, SendRequest, Transfer, Transfers, TransfersError,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wallet/send", get(send_page).post(send))
        .route("/wallet/send/payee", post(payee))
        .route("/wallet/transfers", get(transfers_page))
        .route("/wallet/requests", post(create_request))
        .route("/wallet/requests/{id}", get(request_page))
        .route("/wallet/requests/{id}/pay", post(pay_request))
        .route("/wallet/requests/{id}/cancel", post(cancel_request))
}

fn transfers(state: &AppState) -> Result<&Transfers, PageError> {
    state.transfers.as_ref().ok_or_else(|| failed(&TransfersError::NotFound))
}

/// A refused change as a page, under the status the API answers, in the page's language; one
/// that needs a fresh second factor goes to the step-up page for `send_money`.
fn failed(e: &TransfersError) -> PageError {
    refusal_or_step_up(ApiError::from(e.clone()), StepUpAction::SendMoney)
}

pub(super) fn amount(raw: &str) -> Result<i64, PageError> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ',' | '¥' | ' ')).collect();
    digits.parse::<i64>().map_err(|_| {
        let message = "enter the amount in yen".into();
        failed(&TransfersError::Invalid { code: "amount_invalid", message, param: "amount_minor" })
    })
}

pub async fn send_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    full(&state, &headers).await?;
    let threshold = transfers(&state)?.config().step_up_above_minor;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("send-title"),
            html! {
                ul.links { li { a href="/wallet" { (t("wallet-title")) } } li { a href="/wallet/transfers" { (t("transfers-title")) } } }
                p { (t("send-why")) }
                form method="post" action="/wallet/send/payee" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="contact" { (t("send-contact")) }
                    input #contact name="contact" required maxlength="254" autocomplete="off";
                    button #find-payee type="submit" { (t("send-find")) }
                }
                p.hint { (t_args("send-step-up-hint", &[("amount", yen(threshold).into())])) " "
                    a #step-up-send_money href="/wallet/step-up?action=send_money" { (t("send-step-up-first")) } }
            },
        )
    }))
}

#[derive(Deserialize, Default)]
pub struct PayeeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    contact: String,
}

/// The payee's display name to confirm, with the amount form.
pub async fn payee(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PayeeForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let contact = form.contact.trim();
    let lookup = if contact.contains('@') {
        PayeeLookup { email: Some(contact.to_owned()), phone: None }
    } else {
        PayeeLookup { email: None, phone: Some(contact.to_owned()) }
    };
    let payee = transfers(&state)?.find_payee(&who, &lookup, &client).await.map_err(|e| failed(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("send-title"),
            html! {
                p { (t("send-confirm-payee")) }
                p #payee-name .amount { (payee.display_name) }
                form method="post" action="/wallet/send" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="payee_token" value=(payee.payee_token);
                    label for="amount_minor" { (t("send-amount")) }
                    input #amount_minor name="amount_minor" required inputmode="numeric";
                    label for="message" { (t("send-message")) }
                    input #message name="message" maxlength="40";
                    button #send type="submit" { (t("send-submit")) }
                }
                p { a href="/wallet/send" { (t("send-someone-else")) } }
            },
        )
    })
    .into_response())
}

#[derive(Deserialize, Default)]
pub struct SendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    payee_token: String,
    #[serde(default)]
    amount_minor: String,
    #[serde(default)]
    message: String,
}

pub async fn send(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<SendForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let req = SendRequest {
        payee_token: form.payee_token,
        amount_minor: amount(&form.amount_minor)?,
        message: Some(form.message),
    };
    let sent = transfers(&state)?.send(&who, &req, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to(&format!("/wallet/transfers?sent={}", sent.id)).into_response())
}

pub async fn transfers_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = full(&state, &headers).await?;
    let tr = transfers(&state)?;
    let list = tr.transfers(&who).await.map_err(|e| failed(&e))?;
    let requests = tr.money_requests(&who).await.map_err(|e| failed(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("transfers-title"),
            html! {
                ul.links { li { a href="/wallet" { (t("wallet-title")) } } li { a #send-link href="/wallet/send" { (t("send-title")) } } }
                h2 { (t("transfers-list")) }
                @if list.is_empty() { p { (t("transfers-none")) } }
                ul #transfers .items { @for tr in &list { li data-transfer=(tr.id) data-direction=(tr.direction) { (transfer_entry(tr)) } } }
                h2 { (t("requests-new")) }
                p { (t("requests-why")) }
                form method="post" action="/wallet/requests" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="request_amount" { (t("send-amount")) }
                    input #request_amount name="amount_minor" required inputmode="numeric";
                    label for="request_message" { (t("send-message")) }
                    input #request_message name="message" maxlength="40";
                    button #create-request type="submit" { (t("requests-create")) }
                }
                h2 { (t("requests-list")) }
                @if requests.is_empty() { p { (t("requests-none")) } }
                ul #requests .items { @for r in &requests { li data-request=(r.id) data-status=(r.status) { (request_entry(r)) } } }
            },
        )
    }))
}

fn transfer_entry(tr: &Transfer) -> Markup {
    html! {
        strong { @if tr.direction == "sent" { "−" } @else { "+" } (yen(tr.amount_minor)) }
        span.meta { (t(&format!("transfers-{}", tr.direction))) " " (tr.counterparty) }
        @if !tr.message.is_empty() { span.meta { (tr.message) } }
        span.meta { (tokyo_date_time(tr.created_at_ms, page_locale())) }
    }
}

fn request_entry(r: &MoneyRequest) -> Markup {
    html! {
        a href={"/wallet/requests/" (r.id)} { strong { (yen(r.amount_minor)) } }
        span.meta.status { (t(&format!("requests-status-{}", r.status))) }
        @if !r.message.is_empty() { span.meta { (r.message) } }
    }
}

#[derive(Deserialize, Default)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount_minor: String,
    #[serde(default)]
    message: String,
}

pub async fn create_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<RequestForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let req = MoneyRequestCreate { amount_minor: amount(&form.amount_minor)?, message: Some(form.message) };
    let created = transfers(&state)?.request_money(&who, &req, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to(&created.pay_path).into_response())
}

/// A request's page: its requester sees the link and QR code to share (and may cancel); anyone
/// else sees who asks and how much, and pays.
pub async fn request_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> PageResult {
    let who = full(&state, &headers).await?;
    let view = transfers(&state)?.money_request(&who, &id).await.map_err(|e| failed(&e))?;
    let mine = view.request.requester_user_id == who.user_id;
    let base =
        state.identity.as_ref().map(|i| i.config().public_url.trim_end_matches('/').to_owned()).unwrap_or_default();
    let link = format!("{base}{}", view.pay_path);
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| layout(&t("requests-title"), request_body(csrf, &view, mine, &link))))
}

fn request_body(csrf: &str, view: &MoneyRequestView, mine: bool, link: &str) -> Markup {
    let r = &view.request;
    let qr = qrcode::QrCode::new(link.as_bytes())
        .map(|c| c.render::<qrcode::render::svg::Color>().min_dimensions(220, 220).build())
        .unwrap_or_default();
    html! {
        ul.links { li { a href="/wallet/transfers" { (t("transfers-title")) } } }
        dl.facts {
            dt { (t("requests-from")) } dd #requester { (view.requester) }
            dt { (t("send-amount")) } dd #request-amount .amount { (yen(r.amount_minor)) }
            @if !r.message.is_empty() { dt { (t("send-message")) } dd { (r.message) } }
            dt { (t("requests-status")) } dd #request-status data-status=(r.status) { (t(&format!("requests-status-{}", r.status))) }
        }
        @if mine {
            @if r.status == "open" {
                p { (t("requests-share")) }
                p { code #request-link { (link) } }
                div.qr role="img" aria-label=(t("requests-qr-label")) { (PreEscaped(qr)) }
                form method="post" action={"/wallet/requests/" (r.id) "/cancel"} {
                    input type="hidden" name="csrf" value=(csrf);
                    button.secondary #cancel-request type="submit" { (t("requests-cancel")) }
                }
            }
        } @else if r.status == "open" {
            p { (t("requests-check")) }
            form method="post" action={"/wallet/requests/" (r.id) "/pay"} {
                input type="hidden" name="csrf" value=(csrf);
                button #pay-request type="submit" { (t_args("requests-pay", &[("amount", yen(r.amount_minor).into())])) }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn pay_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let paid = transfers(&state)?.pay_request(&who, &id, None, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to(&format!("/wallet/transfers?sent={}", paid.id)).into_response())
}

pub async fn cancel_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    transfers(&state)?.cancel_request(&who, &id, "", &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to(&format!("/wallet/requests/{id}")).into_response())
}
