//! The wallet's "pay by scanning" pages: scan a store's code (a photo, or its text), confirm the
//! **registered** merchant and store names and the amount, pay, and see the confirmation code
//! the shop's screen shows too. Each step calls the same `Payments` function as the JSON API
//! (`payments::mpm`). A refusal is a page that says what happened and what to do.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use super::AppState;
use super::error::ApiError;
use super::lang::{t, t_args};
use super::middleware::RequestId;
use super::pages::{PageError, PageResult, check_csrf, full, layout, problem_page, with_csrf};
use crate::payments::{PaymentError, Payments, ScanPayment, ScanView, poster};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wallet/scan", get(scan_page))
        .route("/wallet/scan/submit", post(scan).layer(DefaultBodyLimit::max(poster::PHOTO_BODY_BYTES)))
        .route("/wallet/scan/{id}", get(confirm_page))
        .route("/wallet/scan/{id}/pay", post(pay))
        .route("/static/scan.js", get(script))
}

const SCAN_SCRIPT: &str = include_str!("../../static/scan.js");

/// `GET /static/scan.js`: the camera reader, a file (the CSP allows no inline script).
pub async fn script() -> axum::response::Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCAN_SCRIPT,
    )
        .into_response()
}

fn payments(state: &AppState) -> Result<&Payments, PageError> {
    state.payments.as_ref().ok_or_else(|| {
        problem_page(StatusCode::NOT_FOUND, &t("problem-not-found-title"), &t("problem-not-found")).into()
    })
}

/// A refusal as a page under the status the API answers, in words a person acts on.
fn refused(e: PaymentError) -> PageError {
    let message = match &e {
        PaymentError::ScanRefused(code) => t(&crate::i18n::error_id(code)),
        PaymentError::Declined("insufficient_funds") => t("pay-declined-funds"),
        PaymentError::Declined("over_payment_limit") => t("pay-declined-limit"),
        PaymentError::Declined(_) => t("pay-declined"),
        PaymentError::Invalid { message, .. } => t_args("error-invalid", &[("detail", message.as_str().into())]),
        PaymentError::NotFound => t("error-resource-missing"),
        PaymentError::Identity(e) => super::lang::explain(e),
        _ => t("pay-refused"),
    };
    let status = ApiError::from(e).status;
    PageError::from(problem_page(status, &t("pay-refused-title"), &message))
}

pub async fn scan_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    full(&state, &headers).await?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("pay-scan-title"),
            html! {
                p { (t("pay-scan-intro")) }
                form #scan-form method="post" action="/wallet/scan/submit" enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="photo" { (t("pay-scan-photo")) }
                    input #photo type="file" name="photo" accept="image/png" capture="environment";
                    label for="payload" { (t("pay-scan-payload")) }
                    textarea #payload name="payload" rows="3" maxlength="512" autocomplete="off" {}
                    button #scan type="submit" { (t("pay-scan-submit")) }
                }
                p.meta { (t("pay-scan-safety")) }
                // Shown by the script where the browser can read QR codes from the camera.
                button #camera type="button" hidden { (t("pay-scan-camera")) }
                video #camera-view hidden playsinline muted aria-label=(t("pay-scan-camera")) {}
                script src="/static/scan.js" defer {}
            },
        )
    }))
}

/// The scan form: `csrf`, and `payload` (text) or `photo` (a PNG file).
pub async fn scan(State(state): State<AppState>, headers: HeaderMap, mut form: Multipart) -> PageResult {
    let (mut csrf, mut payload, mut photo) = (String::new(), String::new(), Vec::new());
    let unreadable = || refused(PaymentError::ScanRefused("image_unreadable"));
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(|_| unreadable())?,
            "payload" => payload = field.text().await.map_err(|_| unreadable())?,
            "photo" => {
                photo = field.bytes().await.map_err(|_| refused(PaymentError::ScanRefused("image_too_large")))?.to_vec()
            }
            _ => {}
        }
    }
    check_csrf(&headers, &csrf)?;
    let who = full(&state, &headers).await?;
    let text = if !payload.trim().is_empty() {
        payload
    } else if !photo.is_empty() {
        poster::read_photo(&photo).map_err(refused)?
    } else {
        return Err(refused(PaymentError::ScanRefused("qr_unreadable")));
    };
    let view = payments(&state)?.scan_text(&who, &text).await.map_err(refused)?;
    Ok(Redirect::to(&format!("/wallet/scan/{}", view.id)).into_response())
}

pub async fn confirm_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> PageResult {
    let who = full(&state, &headers).await?;
    let view = payments(&state)?.scan_view(&who, &id).await.map_err(refused)?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| layout(&t("pay-confirm-title"), confirm_markup(csrf, &view))))
}

fn confirm_markup(csrf: &str, view: &ScanView) -> maud::Markup {
    html! {
        p.notice.info role="status" { (t("pay-confirm-check")) }
        dl #payee {
            dt { (t("pay-confirm-merchant")) } dd #merchant-name { (view.merchant_name) }
            dt { (t("pay-confirm-store")) } dd #store-name { (view.store_name) }
            @if let Some(amount) = view.amount_minor {
                dt { (t("pay-confirm-amount")) } dd #amount { (crate::i18n::yen(amount)) }
            }
        }
        form #pay-form method="post" action=(format!("/wallet/scan/{}/pay", view.id)) {
            input type="hidden" name="csrf" value=(csrf);
            @if view.amount_minor.is_none() {
                label for="amount" { (t("pay-confirm-enter-amount")) }
                input #amount-input name="amount_minor" type="number" min="1" inputmode="numeric" required;
            }
            button #pay type="submit" { (t("pay-confirm-pay")) }
        }
        p { a href="/wallet/scan" { (t("pay-confirm-cancel")) } }
    }
}

#[derive(Deserialize)]
pub struct PayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount_minor: String,
}

pub async fn pay(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Extension(request_id): axum::Extension<RequestId>,
    Path(id): Path<String>,
    crate::http::error::Form(form): crate::http::error::Form<PayForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let amount_minor = match form.amount_minor.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| {
            refused(PaymentError::Invalid {
                code: "amount_invalid",
                message: "enter the amount in yen".into(),
                param: "amount_minor",
            })
        })?),
    };
    let payment =
        payments(&state)?.pay_scan(&who, &id, &ScanPayment { amount_minor }, &request_id.0).await.map_err(refused)?;
    // A challenged payment is not made until the customer confirms it: the payment's own page
    // asks for the second factor bound to it (and offers to cancel).
    if payment.status == "requires_confirmation" {
        return Ok(Redirect::to(&format!("/wallet/payments/{}", payment.id)).into_response());
    }
    let held = payment.status != "succeeded";
    let page = layout(
        &t(if held { "pay-held-title" } else { "pay-done-title" }),
        html! {
            p #done .notice.success role="status" {
                (t_args("pay-done-paid", &[("amount", crate::i18n::yen(payment.amount_minor).as_str().into())]))
            }
            @if held { p.notice.info { (t("pay-held")) } }
            p { (t("pay-done-code")) }
            p { strong #confirmation-code .code { (payment.confirmation_code) } }
            p.meta { (t("pay-done-show")) }
            p { a href="/wallet/scan" { (t("pay-done-again")) } }
        },
    );
    Ok((StatusCode::OK, Html(page.into_string())).into_response())
}
