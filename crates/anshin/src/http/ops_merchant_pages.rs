//! The ops console's merchants (`/ops/merchants`): merchants by status, pending review first; a
//! form to propose one; approving or rejecting a proposal (four eyes: the service refuses the
//! proposer); suspending and reactivating; payout accounts whose holder name waits for review.
//! Every change calls the same `Merchants` function as `/v1/ops/merchants…`. Deciding is for
//! admins, so analysts are shown the lists without the buttons.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::error::Form;
use super::identity::Caller;
use super::lang::{page_locale, t, t_args};
use super::merchant_pages::{explain_merchant, fee_rate, merchants, refused_page, status_name};
use super::pages::{PageError, PageResult, check_csrf, done_page, full, layout, problem_page, with_csrf};
use crate::i18n::tokyo_date_time;
use crate::identity::{AccountKind, IdentityError, Principal};
use crate::merchants::{DEFAULT_FEE_RATE_BP, Merchant, MerchantError, MerchantStatus, NewMerchant, PayoutAccount};

/// Merchants shown per status: the newest; `/v1/ops/merchants` pages through the rest.
const LISTED_PER_STATUS: i64 = 50;

/// Pending review first: that is where an operator is needed.
const STATUSES: [MerchantStatus; 4] =
    [MerchantStatus::PendingReview, MerchantStatus::Active, MerchantStatus::Suspended, MerchantStatus::Rejected];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ops/merchants", get(list))
        .route("/ops/merchants/new", get(propose_form).post(propose))
        .route("/ops/merchants/review", post(review))
        .route("/ops/merchants/suspension", post(suspension))
        .route("/ops/merchants/payout-review", post(payout_review))
}

async fn operator(state: &AppState, headers: &HeaderMap) -> Result<Principal, PageError> {
    let who = full(state, headers).await?;
    if who.kind != AccountKind::Operator {
        return Err(problem_page(StatusCode::FORBIDDEN, &t("problem-operators-title"), &t("problem-operators")).into());
    }
    Ok(who)
}

fn failed(e: &MerchantError) -> PageError {
    refused_page(&t("problem-failed-title"), e, None)
}

pub async fn list(State(state): State<AppState>, headers: HeaderMap, Caller(client): Caller) -> PageResult {
    let who = operator(&state, &headers).await?;
    let m = merchants(&state)?;
    let mut groups = Vec::with_capacity(STATUSES.len());
    for status in STATUSES {
        groups.push((
            status,
            m.list(&who, Some(status), None, LISTED_PER_STATUS, &client).await.map_err(|e| failed(&e))?,
        ));
    }
    let reviews = m.payout_accounts_awaiting_review(&who, &client).await.map_err(|e| failed(&e))?;
    let decides = crate::merchants::is_admin(&who);
    let all: Vec<&Merchant> = groups.iter().flat_map(|(_, ms)| ms.iter()).collect();
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("ops-merchants-title"),
            html! {
                ul.links {
                    li { a #propose-link href="/ops/merchants/new" { (t("ops-merchant-propose")) } }
                    li { a href="/ops" { (t("ops-title")) } }
                }
                @if !decides { p.notice.info role="status" { (t("ops-merchants-read-only")) } }
                @for (status, ms) in &groups {
                    h2 { (status_name(*status)) " (" (ms.len()) ")" }
                    @if ms.is_empty() { p { (t("ops-merchants-none")) } }
                    ul.items id=(format!("merchants-{}", status.as_str())) {
                        @for merchant in ms { li data-merchant=(merchant.id) { (merchant_entry(csrf, merchant, decides)) } }
                    }
                    @if ms.len() as i64 == LISTED_PER_STATUS { p.hint { (t("ops-merchants-newest-only")) } }
                }
                h2 #payout-reviews-heading { (t("ops-payout-reviews")) }
                p { (t("ops-payout-reviews-why")) }
                @if reviews.is_empty() { p { (t("ops-payout-reviews-none")) } }
                ul #payout-reviews .items {
                    @for a in &reviews {
                        li data-account=(a.id) { (payout_entry(csrf, a, all.iter().find(|m| m.id == a.merchant_id).copied(), decides)) }
                    }
                }
            },
        )
    }))
}

fn merchant_entry(csrf: &str, m: &Merchant, decides: bool) -> Markup {
    let id = &m.id;
    html! {
        strong { (m.legal_name) }
        span.meta { (m.legal_name_kana) }
        span.meta { (t_args("ops-merchant-facts", &[("number", m.number.into()), ("mcc", (&m.mcc).into()), ("rate", fee_rate(m.fee_rate_bp).into())])) }
        span.meta { (m.contact_email) " · " code { (id) } }
        span.meta { (t_args("ops-merchant-proposed-at", &[("time", tokyo_date_time(m.created_at_ms, page_locale()).into())])) }
        @if !m.status_reason.is_empty() && m.status != MerchantStatus::PendingReview {
            span.meta { (t_args("merchant-reason", &[("reason", (&m.status_reason).into())])) }
        }
        @if decides {
            @match m.status {
                MerchantStatus::PendingReview => {
                    form method="post" action="/ops/merchants/review" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="merchant_id" value=(id);
                        label for={"reason-" (id)} { (t("ops-merchant-reason")) }
                        input id={"reason-" (id)} name="reason" maxlength="500";
                        button id={"approve-" (id)} type="submit" name="decision" value="approve" { (t("ops-merchant-approve")) }
                        button.secondary id={"reject-" (id)} type="submit" name="decision" value="reject" { (t("ops-merchant-reject")) }
                    }
                }
                MerchantStatus::Active | MerchantStatus::Suspended => {
                    @let suspend = m.status == MerchantStatus::Active;
                    form method="post" action="/ops/merchants/suspension" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="merchant_id" value=(id);
                        input type="hidden" name="suspend" value=(if suspend { "true" } else { "false" });
                        label for={"reason-" (id)} { (t("ops-merchant-reason-told")) }
                        input id={"reason-" (id)} name="reason" required maxlength="500";
                        @if suspend {
                            button.secondary id={"suspend-" (id)} type="submit" { (t("ops-merchant-suspend")) }
                        } @else {
                            button id={"reactivate-" (id)} type="submit" { (t("ops-merchant-reactivate")) }
                        }
                    }
                }
                MerchantStatus::Rejected => {}
            }
        }
    }
}

/// One account to decide on, beside the legal name it should match.
fn payout_entry(csrf: &str, a: &PayoutAccount, merchant: Option<&Merchant>, decides: bool) -> Markup {
    let bank = zengin::bank(&a.bank_code).map(|b| b.name).unwrap_or_default();
    html! {
        strong { (a.holder_name) }
        @if let Some(m) = merchant {
            span.meta { (t("ops-payout-legal-name")) " " (m.legal_name) " / " (m.legal_name_kana) }
        }
        span.meta { (bank) " (" (a.bank_code) "-" (a.branch_code) ") · " code { (a.merchant_id) } }
        span.meta { (t_args("merchant-created-at", &[("time", tokyo_date_time(a.created_at_ms, page_locale()).into())])) }
        @if decides {
            form method="post" action="/ops/merchants/payout-review" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="merchant_id" value=(a.merchant_id);
                input type="hidden" name="account_id" value=(a.id);
                button id={"approve-" (a.id)} type="submit" name="decision" value="approve" { (t("ops-payout-approve")) }
                button.secondary id={"reject-" (a.id)} type="submit" name="decision" value="reject" { (t("ops-payout-reject")) }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ProposeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    legal_name: String,
    #[serde(default)]
    legal_name_kana: String,
    #[serde(default)]
    mcc: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    fee_rate_bp: String,
}

fn propose_markup(csrf: &str, form: &ProposeForm, error: Option<&str>) -> Markup {
    let fee = if form.fee_rate_bp.is_empty() { DEFAULT_FEE_RATE_BP.to_string() } else { form.fee_rate_bp.clone() };
    layout(
        &t("ops-merchant-propose"),
        html! {
            @if let Some(e) = error { p.notice.error role="alert" { (e) } }
            p { (t("ops-merchant-propose-why")) }
            form method="post" action="/ops/merchants/new" {
                input type="hidden" name="csrf" value=(csrf);
                label for="legal_name" { (t("ops-merchant-legal-name")) }
                input #legal_name name="legal_name" required maxlength="100" autocomplete="off" value=(form.legal_name);
                label for="legal_name_kana" { (t("ops-merchant-kana")) }
                input #legal_name_kana name="legal_name_kana" required maxlength="100" autocomplete="off" aria-describedby="kana-hint" value=(form.legal_name_kana);
                p #kana-hint .hint { (t("ops-merchant-kana-hint")) }
                label for="mcc" { (t("ops-merchant-mcc")) }
                input #mcc name="mcc" required inputmode="numeric" maxlength="4" aria-describedby="mcc-hint" value=(form.mcc);
                p #mcc-hint .hint { (t("ops-merchant-mcc-hint")) }
                label for="contact_email" { (t("ops-merchant-contact")) }
                input #contact_email name="contact_email" type="email" required autocomplete="off" value=(form.contact_email);
                label for="fee_rate_bp" { (t("ops-merchant-fee")) }
                input #fee_rate_bp name="fee_rate_bp" required inputmode="numeric" aria-describedby="fee-hint" value=(fee);
                p #fee-hint .hint { (t("ops-merchant-fee-hint")) }
                button #propose type="submit" { (t("ops-merchant-propose")) }
            }
        },
    )
}

pub async fn propose_form(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    operator(&state, &headers).await?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| propose_markup(csrf, &ProposeForm::default(), None)))
}

pub async fn propose(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ProposeForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = operator(&state, &headers).await?;
    let again = |status, message: &str| with_csrf(&headers, status, |csrf| propose_markup(csrf, &form, Some(message)));
    let fee_rate_bp = match form.fee_rate_bp.trim() {
        "" => None,
        n => match n.parse::<i64>() {
            Ok(bp) => Some(bp),
            Err(_) => return Ok(again(StatusCode::BAD_REQUEST, &t("error-fee-rate-invalid"))),
        },
    };
    let new = NewMerchant {
        legal_name: form.legal_name.clone(),
        legal_name_kana: form.legal_name_kana.clone(),
        mcc: form.mcc.clone(),
        contact_email: form.contact_email.clone(),
        fee_rate_bp,
    };
    let m = match merchants(&state)?.propose(&who, &new, &client).await {
        Ok(m) => m,
        Err(e @ MerchantError::Invalid { .. }) => return Ok(again(StatusCode::BAD_REQUEST, &explain_merchant(&e))),
        Err(e) => return Err(refused_page(&t("problem-not-changed-title"), &e, None)),
    };
    Ok(proposed_page(&m))
}

fn proposed_page(m: &Merchant) -> Response {
    let page = layout(
        &t("ops-merchant-proposed-title"),
        html! {
            p #done .notice.success role="status" { (t_args("ops-merchant-proposed", &[("name", (&m.legal_name).into()), ("number", m.number.into())])) }
            p { (t("ops-merchant-id")) " " code #merchant-id { (m.id) } }
            p { a href="/ops/merchants" { (t("ops-merchants-back")) } }
        },
    );
    (StatusCode::OK, Html(page.into_string())).into_response()
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    merchant_id: String,
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    suspend: String,
}

/// `approve` or `reject`, nothing else: a garbled form must not reject a merchant for good.
fn approve(decision: &str) -> Result<bool, PageError> {
    match decision {
        "approve" => Ok(true),
        "reject" => Ok(false),
        _ => {
            Err(problem_page(StatusCode::BAD_REQUEST, &t("problem-not-changed-title"), &t("ops-decision-invalid"))
                .into())
        }
    }
}

fn back_to_list() -> (&'static str, String) {
    ("/ops/merchants", t("ops-merchants-back"))
}

pub async fn review(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = operator(&state, &headers).await?;
    let approved = approve(&form.decision)?;
    let m = merchants(&state)?.review(&who, &form.merchant_id, approved, &form.reason, &client).await.map_err(|e| {
        // The four-eyes refusal reads like any other; say who may review instead.
        let forbidden = matches!(e, MerchantError::Identity(IdentityError::Forbidden));
        refused_page(&t("problem-not-changed-title"), &e, forbidden.then(|| t("ops-merchant-review-who")).as_deref())
    })?;
    let id = if approved { "ops-merchant-approved" } else { "ops-merchant-rejected" };
    let (href, label) = back_to_list();
    Ok(done_page(&t("ops-merchant-reviewed-title"), &t_args(id, &[("name", (&m.legal_name).into())]), (href, &label)))
}

pub async fn suspension(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = operator(&state, &headers).await?;
    let suspend = form.suspend == "true";
    let m = merchants(&state)?
        .set_suspended(&who, &form.merchant_id, suspend, &form.reason, &client)
        .await
        .map_err(|e| refused_page(&t("problem-not-changed-title"), &e, None))?;
    let id = if suspend { "ops-merchant-suspended" } else { "ops-merchant-reactivated" };
    let (href, label) = back_to_list();
    Ok(done_page(
        &t("ops-merchant-status-changed-title"),
        &t_args(id, &[("name", (&m.legal_name).into())]),
        (href, &label),
    ))
}

pub async fn payout_review(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = operator(&state, &headers).await?;
    let approved = approve(&form.decision)?;
    merchants(&state)?
        .review_payout_account(&who, &form.merchant_id, &form.account_id, approved, &client)
        .await
        .map_err(|e| refused_page(&t("problem-not-changed-title"), &e, None))?;
    let message = if approved { t("ops-payout-approved") } else { t("ops-payout-rejected") };
    let (href, label) = back_to_list();
    Ok(done_page(&t("ops-payout-reviewed-title"), &message, (href, &label)))
}
