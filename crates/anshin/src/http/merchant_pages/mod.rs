//! The merchant portal (`/merchant`): a merchant's staff see their merchant, its stores, staff,
//! POS keys, webhooks and payout account, and change what their role allows. Every change calls
//! the same `Merchants` function as the JSON API, for the merchant the session belongs to (never
//! one named by the form). What a role may not do is not offered; a forged form still gets the
//! service's refusal, as a page under the status the API would answer.
//!
//! One file per part: `portal` (the page), `stores` (stores and staff), `credentials` (POS keys
//! and webhooks), `payout`. A secret (an initial password, a POS key's or webhook's secret) is
//! shown once, on the answer to the form that made it (`shown_once`), never on a page that can
//! be fetched again.

mod credentials;
mod payments;
mod payout;
mod portal;
mod posters;
mod stores;
mod till;

pub(super) use portal::{fee_rate, status_name};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;

use super::AppState;
use super::error::{ApiError, Paced};
use super::lang::t;
use super::pages::{PageError, explain, full, layout, problem_page};
use crate::identity::{AccountKind, IdentityError, Principal, StepUpAction};
use crate::merchants::{MerchantError, Merchants, StaffRole};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/merchant", get(portal::page))
        .route("/merchant/stores", post(stores::add_store))
        .route("/merchant/stores/status", post(stores::store_status))
        .route("/merchant/staff", post(stores::add_staff))
        .route("/merchant/pos-keys", post(credentials::create_pos_key))
        .route("/merchant/pos-keys/revoke", post(credentials::revoke_pos_key))
        .route("/merchant/webhooks", post(credentials::add_webhook))
        .route("/merchant/webhooks/rotate", post(credentials::rotate_webhook))
        .route("/merchant/webhooks/disable", post(credentials::disable_webhook))
        .route("/merchant/payout-account", post(payout::set_account))
        .route("/merchant/payout-account/cancel", post(payout::cancel_change))
        .route("/merchant/payments", get(payments::list))
        .route("/merchant/payments/export", get(payments::export))
        .route("/merchant/payments/{id}", get(payments::detail))
        .route("/merchant/payments/{id}/refund", post(payments::refund))
        .route("/static/merchant-feed.js", get(payments::script))
        .route("/merchant/stores/{store_id}/poster.png", get(posters::png))
        .route("/merchant/stores/{store_id}/poster.svg", get(posters::svg))
        .route("/merchant/till", get(till::page))
        .route("/merchant/till/charge", post(till::charge))
        .route("/merchant/till/requests", post(till::request))
        .route("/merchant/till/requests/{id}", get(till::shown_code))
        .route("/merchant/till/requests/{id}/qr.svg", get(till::shown_code_svg))
        .route("/merchant/till/payments/{id}", get(till::payment))
}

pub(super) fn merchants(state: &AppState) -> Result<&Merchants, PageError> {
    state.merchants.as_ref().ok_or_else(|| {
        problem_page(StatusCode::NOT_FOUND, &t("problem-not-found-title"), &t("problem-not-found")).into()
    })
}

/// A member of a merchant's staff with a full session. `merchant_id` is the session's own
/// merchant: the only one a page ever acts on.
struct Staff {
    who: Principal,
    role: StaffRole,
}

impl Staff {
    fn merchant_id(&self) -> &str {
        &self.who.org_ref
    }
}

async fn staff(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Staff, PageError> {
    let who = full(state, headers).await?;
    let role = Some(&who).filter(|w| w.kind == AccountKind::MerchantStaff).and_then(|w| StaffRole::parse(&w.role));
    match role {
        Some(role) => Ok(Staff { who, role }),
        None => Err(problem_page(StatusCode::FORBIDDEN, &t("problem-merchants-title"), &t("problem-merchants")).into()),
    }
}

/// What a person reads for a merchant error, in the page's language.
pub(super) fn explain_merchant(e: &MerchantError) -> String {
    match e {
        MerchantError::Invalid { code, message, param } => {
            explain(&IdentityError::Invalid { code, message: message.clone(), param })
        }
        MerchantError::NotFound => t("error-resource-missing"),
        MerchantError::Forbidden => t("error-forbidden"),
        MerchantError::Conflict(sentence) => explain(&IdentityError::Conflict(sentence)),
        MerchantError::NotActive(_) => t("error-merchant-not-active"),
        MerchantError::Identity(e) => explain(e),
    }
}

/// A refused change, as a page under the status the API answers for the same error (a full
/// hashing line paced like the API's answer). `hint` adds what the person can do about it.
pub(super) fn refused_page(title: &str, e: &MerchantError, hint: Option<&str>) -> PageError {
    let api = ApiError::from(e.clone());
    let mut message = explain_merchant(e);
    if let Some(hint) = hint {
        message = super::lang::sentences(&message, hint);
    }
    let mut response = problem_page(api.status, title, &message);
    if api.paced {
        response.extensions_mut().insert(Paced);
    }
    response.into()
}

/// A refused change in the portal. One that needs a fresh second factor goes to the step-up page
/// for `step_up`, which comes back to the portal once it is confirmed.
fn refused(e: &MerchantError, step_up: Option<StepUpAction>) -> PageError {
    if let (MerchantError::Identity(IdentityError::StepUpRequired), Some(action)) = (e, step_up) {
        return PageError::from(Redirect::to(&format!("/wallet/step-up?action={}", action.as_str())).into_response());
    }
    refused_page(&t("problem-not-changed-title"), e, None)
}

/// After a change that shows nothing new: back to the portal, where the change is visible.
fn back_to_portal() -> Response {
    Redirect::to("/merchant").into_response()
}

/// The answer to a form that made a secret: the secret this once, what to do with it, and that
/// it will not be shown again. Never stored, never on a page that can be fetched again
/// (`Cache-Control: no-store` is the default for every answer).
fn shown_once(title: &str, done: &str, secret_id: &str, secret: &str, what_now: &str) -> Response {
    let page = layout(
        title,
        html! {
            p #done .notice.success role="status" { (done) }
            p { code id=(secret_id) { (secret) } }
            p.notice.info role="status" { (what_now) (super::lang::gap()) strong { (t("merchant-shown-once")) } }
            p { a #back-to-portal href="/merchant" { (t("merchant-back")) } }
        },
    );
    (StatusCode::OK, Html(page.into_string())).into_response()
}
