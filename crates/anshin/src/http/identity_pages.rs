//! The wallet's `/wallet/identity`: the user's verification level (what was verified, or the
//! latest attempt and why it stopped), and the form that sends an identity document and a selfie
//! for eKYC after the step-up page for `verify_identity`. The selfie photo is read here only to
//! take its SHA-256, which is what the provider is told; the photo itself is not kept. Calls the
//! same `Identity` functions as the JSON endpoints.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use maud::html;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use super::identity::Caller;
use super::lang::{page_locale, t};
use super::pages::{PageError, PageResult, check_csrf, full, layout, refusal_or_step_up, with_csrf};
use crate::i18n::tokyo_date_time;
use crate::identity::kyc::VerificationRequest;
use crate::identity::{Identity, IdentityError, StepUpAction};

/// A selfie photo is at most this large.
const SELFIE_BYTES: usize = 4 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wallet/identity", get(page).post(submit).layer(DefaultBodyLimit::max(SELFIE_BYTES + 64 * 1024)))
}

fn identity(state: &AppState) -> Result<&Identity, PageError> {
    state.identity.as_ref().ok_or_else(|| failed(IdentityError::NotFound))
}

fn failed(e: IdentityError) -> PageError {
    refusal_or_step_up(ApiError::from(e), StepUpAction::VerifyIdentity)
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = full(&state, &headers).await?;
    let mine = identity(&state)?.my_verification(&who).await.map_err(failed)?;
    let verified = mine.verified.clone();
    let attempt = mine.latest_attempt.clone();
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("kyc-page-title"),
            html! {
                ul.links { li { a href="/wallet" { (t("wallet-title")) } } }
                @if let Some(v) = &verified {
                    p #kyc-level data-level="verified" { (t("kyc-page-verified")) }
                    dl.facts {
                        dt { (t("kyc-page-name")) } dd #verified-name { (v.legal_name) }
                        @if let Some(kana) = &v.legal_name_kana { dt { (t("kyc-page-kana")) } dd { (kana) } }
                        dt { (t("kyc-page-birth")) } dd { (v.date_of_birth) }
                    }
                } @else {
                    p #kyc-level data-level="unverified" { (t("kyc-page-unverified")) }
                    @if let Some(a) = &attempt {
                        p #kyc-attempt data-status=(a.status) {
                            (t(&format!("kyc-page-attempt-{}", a.status))) " "
                            @if let Some(reason) = &a.reason { "(" (reason) ") " }
                            (tokyo_date_time(a.created_at_ms, page_locale()))
                        }
                    }
                    p { a #step-up-verify_identity href="/wallet/step-up?action=verify_identity" { (t("kyc-page-step-up")) } }
                    form method="post" action="/wallet/identity" enctype="multipart/form-data" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="document_type" { (t("kyc-page-document")) }
                        select #document_type name="document_type" {
                            @for kind in ["drivers_license", "my_number_card", "residence_card"] {
                                option value=(kind) { (t(&format!("kyc-page-doc-{}", kind.replace('_', "-")))) }
                            }
                        }
                        label for="document_number" { (t("kyc-page-number")) }
                        input #document_number name="document_number" required maxlength="20" autocomplete="off";
                        label for="full_name" { (t("kyc-page-name")) }
                        input #full_name name="full_name" required maxlength="100";
                        label for="full_name_kana" { (t("kyc-page-kana")) }
                        input #full_name_kana name="full_name_kana" maxlength="100";
                        label for="date_of_birth" { (t("kyc-page-birth")) }
                        input #date_of_birth name="date_of_birth" type="date" required;
                        label for="address" { (t("kyc-page-address")) }
                        input #address name="address" required maxlength="200";
                        label for="selfie" { (t("kyc-page-selfie")) }
                        input #selfie type="file" name="selfie" accept="image/*" capture="user" required;
                        button #submit-identity type="submit" { (t("kyc-page-submit")) }
                    }
                }
            },
        )
    }))
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    mut form: Multipart,
) -> PageResult {
    let unreadable = || {
        let message = "the form could not be read".into();
        failed(IdentityError::Invalid { code: "form_invalid", message, param: "selfie" })
    };
    let mut csrf = String::new();
    let mut req = VerificationRequest {
        document_type: String::new(),
        document_number: String::new(),
        full_name: String::new(),
        full_name_kana: None,
        date_of_birth: String::new(),
        address: String::new(),
        selfie_sha256: String::new(),
    };
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "selfie" {
            let bytes = field.bytes().await.map_err(|_| unreadable())?;
            if !bytes.is_empty() {
                req.selfie_sha256 = hex::encode(Sha256::digest(&bytes));
            }
            continue;
        }
        let text = field.text().await.map_err(|_| unreadable())?.trim().to_owned();
        match name.as_str() {
            "csrf" => csrf = text,
            "document_type" => req.document_type = text,
            "document_number" => req.document_number = text,
            "full_name" => req.full_name = text,
            "full_name_kana" => req.full_name_kana = Some(text).filter(|k| !k.is_empty()),
            "date_of_birth" => req.date_of_birth = text,
            "address" => req.address = text,
            _ => {}
        }
    }
    check_csrf(&headers, &csrf)?;
    let who = full(&state, &headers).await?;
    identity(&state)?.submit_verification(&who, &req, &client).await.map_err(failed)?;
    Ok(Redirect::to("/wallet/identity").into_response())
}
