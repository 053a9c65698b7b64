//! The wallet's step-up pages: a second factor for one named change (`/wallet/step-up?action=…`),
//! by app, SMS, passkey or recovery code; on success the session's reissued token is set and the
//! browser goes back to the page the change is made on.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use super::AppState;
use super::error::Form;
use super::identity::Caller;
use super::lang::{gap, t};
use super::pages::*;
use crate::identity::{Factor, IdentityError, StepUpAction};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wallet/step-up", get(step_up_form).post(step_up_start))
        .route("/wallet/step-up/sms", post(step_up_sms))
        .route("/wallet/step-up/verify", post(step_up_verify))
}

/// Where a completed step-up goes: back to the page the confirmed change is made on.
fn step_up_return(action: StepUpAction) -> &'static str {
    match action {
        StepUpAction::AddStaff
        | StepUpAction::CreatePosKey
        | StepUpAction::ManageWebhooks
        | StepUpAction::ChangePayoutAccount
        | StepUpAction::Refund => "/merchant",
        StepUpAction::ChangePassword
        | StepUpAction::ChangeContact
        | StepUpAction::AddFactor
        | StepUpAction::RemoveFactor
        | StepUpAction::RevokeDevice
        | StepUpAction::UnlockUser => "/wallet/security",
        StepUpAction::ConfirmPayment => "/wallet/payments",
        StepUpAction::LinkBankAccount => "/wallet/bank-accounts",
        StepUpAction::VerifyIdentity => "/wallet/identity",
        StepUpAction::SendMoney => "/wallet/send",
        StepUpAction::Withdraw => "/wallet/withdraw",
        StepUpAction::RevealCard => "/wallet/virtual-card",
    }
}

#[derive(Deserialize)]
pub struct StepUpQuery {
    #[serde(default)]
    action: String,
    /// `confirm_payment` only: the payment the factor is for.
    #[serde(default)]
    payment: String,
}

fn step_up_action(s: &str) -> Result<StepUpAction, PageError> {
    StepUpAction::parse(s).ok_or_else(|| {
        problem_page(StatusCode::BAD_REQUEST, &t("problem-step-up-action-title"), &t("problem-step-up-action")).into()
    })
}

/// The step-up page only explains and offers a button: a `GET` never creates a challenge.
pub async fn step_up_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<StepUpQuery>,
) -> PageResult {
    let who = full(&state, &headers).await?;
    let action = step_up_action(&q.action)?;
    // A payment's confirmation shows what the factor will approve: its payee and amount.
    let payment = match action {
        StepUpAction::ConfirmPayment => Some(super::wallet_pages::confirming(&state, &who, &q.payment).await?),
        _ => None,
    };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("factor-title"),
            html! {
                p { (t(&format!("step-up-for-{}", action.as_str().replace('_', "-")))) (gap()) (t("step-up-once")) }
                @if let Some(summary) = &payment { (summary) }
                form method="post" action="/wallet/step-up" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="action" value=(action.as_str());
                    @if payment.is_some() { input type="hidden" name="payment" value=(q.payment); }
                    button #start-step-up type="submit" { (t("step-up-continue")) }
                }
            },
        )
    }))
}

#[derive(Deserialize)]
pub struct StepUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    challenge_id: String,
    #[serde(default)]
    factor: String,
    #[serde(default)]
    code: String,
    /// `confirm_payment` only: the payment the factor is for.
    #[serde(default)]
    payment: String,
}

/// Start the step-up for one action and show the factor form.
pub async fn step_up_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<StepUpForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let action = step_up_action(&form.action)?;
    let challenge = match action {
        // Bound to the payment, so the factor approves that payment alone.
        StepUpAction::ConfirmPayment => {
            super::wallet_pages::start_confirmation(&state, &who, &form.payment, &client).await?
        }
        _ => identity(&state)?.start_step_up(&who, action, &client).await.map_err(|e| refused(&e))?,
    };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        factor_markup(csrf, "/wallet/step-up/verify", "/wallet/step-up/sms", &challenge, None)
    }))
}

/// Send the step-up's SMS code, then the same factor form again.
pub async fn step_up_sms(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<StepUpForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    full(&state, &headers).await?;
    let identity = identity(&state)?;
    let sms = crate::notify::Channel::Sms;
    identity.send_challenge_code(&form.challenge_id, sms, &client).await.map_err(|e| refused(&e))?;
    let challenge = identity.challenge_info(&form.challenge_id).await.map_err(|e| refused(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        factor_markup(csrf, "/wallet/step-up/verify", "/wallet/step-up/sms", &challenge, Some(&t("common-sms-sent")))
    }))
}

pub async fn step_up_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<StepUpForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let identity = identity(&state)?;
    let factor = Factor::parse(&form.factor).ok_or_else(|| refused(&IdentityError::CodeDead))?;
    let stepped = identity
        .complete_step_up(&who, &form.challenge_id, factor, &form.code, &client)
        .await
        .map_err(|e| refused(&e))?;
    // The token is reissued at step-up: the cookie follows.
    let location = format!("{}?confirmed={}", step_up_return(stepped.action), stepped.action.as_str());
    let mut response = Redirect::to(&location).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &stepped.token, identity.config().session_absolute_secs),
    );
    Ok(response)
}
