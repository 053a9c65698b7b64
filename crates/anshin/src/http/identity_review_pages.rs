//! The ops console's `/ops/identity-verifications`: identity checks waiting for a person (a name
//! or birth date that differs from the registration, a document the provider could not read, a
//! provider that never answered), each beside what the user registered, typed and the provider
//! read; admins approve or reject with a reason. Calls the same `Identity` functions as the JSON
//! endpoints, so the same rules hold: analysts read, admins decide, never their own.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, Form};
use super::identity::Caller;
use super::lang::t;
use super::pages::{PageError, PageResult, api_refusal, check_csrf, full, layout, with_csrf};
use crate::identity::kyc::{DecisionRequest, PersonView, ReviewDecision, VerificationReview};
use crate::identity::{Identity, IdentityError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ops/identity-verifications", get(queue))
        .route("/ops/identity-verifications/decide", post(decide))
}

fn identity(state: &AppState) -> Result<&Identity, PageError> {
    state.identity.as_ref().ok_or_else(|| failed(&IdentityError::NotFound))
}

fn failed(e: &IdentityError) -> PageError {
    api_refusal(ApiError::from(e.clone()))
}

fn person(label: &str, p: &PersonView) -> Markup {
    html! {
        div.person {
            strong { (label) }
            span.meta { (p.full_name) @if let Some(kana) = &p.full_name_kana { " (" (kana) ")" } }
            span.meta { (p.date_of_birth) " · " (p.address) }
        }
    }
}

pub async fn queue(State(state): State<AppState>, headers: HeaderMap, Caller(client): Caller) -> PageResult {
    let who = full(&state, &headers).await?;
    let list = identity(&state)?.verifications_in(&who, Some("review"), &client).await.map_err(|e| failed(&e))?;
    let decides = crate::merchants::is_admin(&who);
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("kyc-review-title"),
            html! {
                ul.links { li { a href="/ops" { (t("ops-title")) } } }
                p { (t("kyc-review-why")) }
                @if !decides { p.notice { (t("kyc-review-admins")) } }
                @if list.is_empty() { p #kyc-review-none { (t("kyc-review-none")) } }
                ul #kyc-reviews .items { @for r in &list { li data-attempt=(r.attempt.id) { (entry(csrf, r, decides)) } } }
            },
        )
    }))
}

fn entry(csrf: &str, r: &VerificationReview, decides: bool) -> Markup {
    html! {
        strong { (t("kyc-review-registered")) " " (r.registered_legal_name) }
        span.meta { code { (r.user_id) } " · " (r.attempt.reason.as_deref().unwrap_or("")) " · ••••" (r.attempt.document_number_last4) }
        (person(&t("kyc-review-submitted"), &r.submitted))
        @if let Some(read) = &r.read { (person(&t("kyc-review-read"), read)) }
        @if decides {
            form method="post" action="/ops/identity-verifications/decide" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="id" value=(r.attempt.id);
                label for={"reason-" (r.attempt.id)} { (t("kyc-review-reason")) }
                input id={"reason-" (r.attempt.id)} name="reason" required maxlength="500";
                label for={"kana-" (r.attempt.id)} { (t("kyc-review-kana")) }
                input id={"kana-" (r.attempt.id)} name="kana" maxlength="100";
                button id={"approve-" (r.attempt.id)} type="submit" name="decision" value="approve" { (t("kyc-review-approve")) }
                button.secondary id={"reject-" (r.attempt.id)} type="submit" name="decision" value="reject" { (t("kyc-review-reject")) }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    kana: String,
}

pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<DecideForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let decision = match form.decision.as_str() {
        "approve" => ReviewDecision::Approve,
        "reject" => ReviewDecision::Reject,
        _ => {
            let message = "decision must be approve or reject".to_owned();
            return Err(failed(&IdentityError::Invalid { code: "decision_invalid", message, param: "decision" }));
        }
    };
    let kana = form.kana.trim();
    let req = DecisionRequest {
        decision,
        reason: form.reason,
        verified_legal_name_kana: (!kana.is_empty() && decision == ReviewDecision::Approve).then(|| kana.to_owned()),
    };
    identity(&state)?.decide_verification(&who, &form.id, &req, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to("/ops/identity-verifications").into_response())
}
