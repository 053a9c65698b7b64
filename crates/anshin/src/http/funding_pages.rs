//! Funding pages. The wallet's `/wallet/funding`: linked bank accounts (link one, with the step-up
//! page for `link_bank_account` when the session has no fresh grant; unlink), a top-up form and
//! the latest top-ups (a pending one moves on when the page is loaded again). The ops console's
//! `/ops/funding`: links whose holder name waits for review (approve or reject), and campaign
//! points. Every change calls the same `Funding` function as the JSON endpoints.

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
use super::lang::{page_locale, t, t_args};
use super::pages::{PageError, PageResult, check_csrf, full, layout, problem_page, refusal_or_step_up, with_csrf};
use crate::funding::{BankAccount, Funding, FundingError, LinkRequest, PointGrantRequest, TopUp, TopUpRequest};
use crate::i18n::{tokyo_date_time, yen};
use crate::identity::{AccountKind, StepUpAction};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wallet/funding", get(wallet_page))
        .route("/wallet/bank-accounts", get(|| async { Redirect::to("/wallet/funding") }).post(link))
        .route("/wallet/bank-accounts/unlink", post(unlink))
        .route("/wallet/top-ups", post(top_up))
        .route("/ops/funding", get(ops_page))
        .route("/ops/funding/review", post(review))
        .route("/ops/funding/points", post(grant_points))
}

fn funding(state: &AppState) -> Result<&Funding, PageError> {
    state.funding.as_ref().ok_or_else(|| failed(&FundingError::BankUnavailable))
}

/// A refused change as a page, under the status the API answers, in the page's language. One
/// that needs a fresh second factor goes to the step-up page, which comes back here.
fn failed(e: &FundingError) -> PageError {
    refusal_or_step_up(ApiError::from(e.clone()), StepUpAction::LinkBankAccount)
}

fn status_name(status: &str) -> String {
    t(&format!("funding-status-{}", status.replace('_', "-")))
}

pub async fn wallet_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = full(&state, &headers).await?;
    let f = funding(&state)?;
    let accounts = f.bank_accounts(&who).await.map_err(|e| failed(&e))?;
    let mut top_ups = f.top_ups(&who).await.map_err(|e| failed(&e))?;
    for t in top_ups.iter_mut().filter(|t| t.status == "pending") {
        if let Ok(fresh) = f.top_up(&who, &t.id).await {
            *t = fresh;
        }
    }
    let linked: Vec<&BankAccount> = accounts.iter().filter(|a| a.status == "linked").collect();
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("funding-title"),
            html! {
                @if !f.has_bank() { p.notice.error role="alert" { (t("funding-no-bank")) } }
                h2 { (t("funding-accounts")) }
                @if accounts.is_empty() { p { (t("funding-accounts-none")) } }
                ul #bank-accounts .items { @for a in &accounts { li data-account=(a.id) { (account_entry(csrf, a)) } } }
                h2 { (t("funding-link")) }
                p { (t("funding-link-why")) }
                p { a #step-up-link_bank_account href="/wallet/step-up?action=link_bank_account" { (t("funding-link-step-up")) } }
                form method="post" action="/wallet/bank-accounts" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="bank_code" { (t("funding-bank-code")) }
                    input #bank_code name="bank_code" required inputmode="numeric" maxlength="4";
                    label for="branch_code" { (t("funding-branch-code")) }
                    input #branch_code name="branch_code" required inputmode="numeric" maxlength="3";
                    label for="account_type" { (t("funding-account-type")) }
                    select #account_type name="account_type" {
                        @for kind in ["ordinary", "current", "savings"] { option value=(kind) { (t(&format!("funding-type-{kind}"))) } }
                    }
                    label for="account_number" { (t("funding-account-number")) }
                    input #account_number name="account_number" required inputmode="numeric" maxlength="7";
                    button #link-account type="submit" { (t("funding-link-submit")) }
                }
                h2 { (t("funding-top-up")) }
                @if linked.is_empty() { p { (t("funding-top-up-needs-account")) } } @else {
                    form method="post" action="/wallet/top-ups" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="bank_account_id" { (t("funding-top-up-from")) }
                        select #bank_account_id name="bank_account_id" {
                            @for a in &linked { option value=(a.id) { (a.holder_name) " " (a.account_number_masked) } }
                        }
                        label for="amount_minor" { (t("funding-top-up-amount")) }
                        input #amount_minor name="amount_minor" required inputmode="numeric";
                        p.hint { (t_args("funding-top-up-limits", &[("amount", yen(f.config().per_top_up_limit_minor).into())])) }
                        button #top-up type="submit" { (t("funding-top-up-submit")) }
                    }
                }
                h2 { (t("funding-top-ups")) }
                @if top_ups.is_empty() { p { (t("funding-top-ups-none")) } }
                ul #top-ups .items { @for tu in &top_ups { li data-top-up=(tu.id) data-status=(tu.status) { (top_up_entry(tu)) } } }
            },
        )
    }))
}

fn account_entry(csrf: &str, a: &BankAccount) -> Markup {
    let bank = zengin::bank(&a.bank_code).map(|b| b.name).unwrap_or_default();
    html! {
        strong { (a.holder_name) }
        span.meta { (bank) " (" (a.bank_code) "-" (a.branch_code) ") " (a.account_number_masked) }
        span.meta.status { (status_name(&a.status)) }
        @if a.status != "rejected" {
            form method="post" action="/wallet/bank-accounts/unlink" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="id" value=(a.id);
                button.secondary id={"unlink-" (a.id)} type="submit" { (t("funding-unlink")) }
            }
        }
    }
}

fn top_up_entry(tu: &TopUp) -> Markup {
    html! {
        strong { (yen(tu.amount_minor)) }
        span.meta.status { (status_name(&tu.status)) }
        span.meta { (tokyo_date_time(tu.created_at_ms, page_locale())) }
    }
}

#[derive(Deserialize, Default)]
pub struct LinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bank_code: String,
    #[serde(default)]
    branch_code: String,
    #[serde(default)]
    account_type: String,
    #[serde(default)]
    account_number: String,
}

pub async fn link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<LinkForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let req = LinkRequest {
        bank_code: form.bank_code.trim().to_owned(),
        branch_code: form.branch_code.trim().to_owned(),
        account_type: form.account_type,
        account_number: form.account_number.trim().to_owned(),
    };
    funding(&state)?.link_bank_account(&who, &req, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to("/wallet/funding").into_response())
}

#[derive(Deserialize, Default)]
pub struct IdForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
}

pub async fn unlink(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<IdForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    funding(&state)?.unlink_bank_account(&who, &form.id, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to("/wallet/funding").into_response())
}

#[derive(Deserialize, Default)]
pub struct TopUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bank_account_id: String,
    #[serde(default)]
    amount_minor: String,
}

fn amount(raw: &str, param: &'static str) -> Result<i64, PageError> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ',' | '¥' | ' ')).collect();
    digits.parse::<i64>().map_err(|_| {
        failed(&FundingError::Invalid { code: "amount_invalid", message: "enter the amount in yen".into(), param })
    })
}

pub async fn top_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<TopUpForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let req = TopUpRequest {
        bank_account_id: form.bank_account_id,
        amount_minor: amount(&form.amount_minor, "amount_minor")?,
    };
    funding(&state)?.request_top_up(&who, &req, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to("/wallet/funding").into_response())
}

async fn operator(state: &AppState, headers: &HeaderMap) -> Result<crate::identity::Principal, PageError> {
    let who = full(state, headers).await?;
    if who.kind != AccountKind::Operator {
        return Err(problem_page(StatusCode::FORBIDDEN, &t("problem-operators-title"), &t("problem-operators")).into());
    }
    Ok(who)
}

pub async fn ops_page(State(state): State<AppState>, headers: HeaderMap, Caller(client): Caller) -> PageResult {
    let who = operator(&state, &headers).await?;
    let decides = crate::merchants::is_admin(&who);
    if !decides {
        return Err(
            problem_page(StatusCode::FORBIDDEN, &t("problem-not-changed-title"), &t("funding-ops-admins")).into()
        );
    }
    let f = funding(&state)?;
    let reviews = f.links_awaiting_review(&who, &client).await.map_err(|e| failed(&e))?;
    let grants = f.recent_point_grants(&who, &client).await.map_err(|e| failed(&e))?;
    let max = f.config().max_points_per_grant_minor;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("funding-ops-title"),
            html! {
                ul.links { li { a href="/ops" { (t("ops-title")) } } }
                h2 { (t("funding-ops-reviews")) }
                p { (t("funding-ops-reviews-why")) }
                @if reviews.is_empty() { p { (t("funding-ops-reviews-none")) } }
                ul #link-reviews .items {
                    @for r in &reviews {
                        li data-account=(r.account.id) {
                            strong { (r.account.holder_name) }
                            span.meta { (t("funding-ops-legal-name")) " " (r.legal_name) " · " code { (r.user_id) } }
                            span.meta { (r.account.bank_code) "-" (r.account.branch_code) " " (r.account.account_number_masked) }
                            form method="post" action="/ops/funding/review" {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="id" value=(r.account.id);
                                button id={"approve-" (r.account.id)} type="submit" name="decision" value="approve" { (t("funding-ops-approve")) }
                                button.secondary id={"reject-" (r.account.id)} type="submit" name="decision" value="reject" { (t("funding-ops-reject")) }
                            }
                        }
                    }
                }
                h2 { (t("funding-ops-points")) }
                p { (t_args("funding-ops-points-why", &[("amount", yen(max).into())])) }
                form method="post" action="/ops/funding/points" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="user_id" { (t("funding-ops-user")) }
                    input #user_id name="user_id" required maxlength="64";
                    label for="points" { (t("funding-ops-points-amount")) }
                    input #points name="amount_minor" required inputmode="numeric";
                    label for="campaign" { (t("funding-ops-campaign")) }
                    input #campaign name="campaign" required maxlength="100";
                    label for="reference" { (t("funding-ops-reference")) }
                    input #reference name="reference" required maxlength="64" pattern="[A-Za-z0-9_-]{1,64}";
                    button #grant-points type="submit" { (t("funding-ops-grant")) }
                }
                h2 { (t("funding-ops-grants")) }
                ul #point-grants .items {
                    @for g in &grants {
                        li { strong { (yen(g.amount_minor)) } span.meta { (g.campaign) " · " code { (g.user_id) } " · " (g.reference) } }
                    }
                }
            },
        )
    }))
}

#[derive(Deserialize, Default)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    decision: String,
}

pub async fn review(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ReviewForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = operator(&state, &headers).await?;
    let approve = form.decision == "approve";
    funding(&state)?.review_link(&who, &form.id, approve, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to("/ops/funding").into_response())
}

#[derive(Deserialize, Default)]
pub struct PointsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    amount_minor: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    reference: String,
}

pub async fn grant_points(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PointsForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = operator(&state, &headers).await?;
    let req = PointGrantRequest {
        user_id: form.user_id.trim().to_owned(),
        amount_minor: amount(&form.amount_minor, "amount_minor")?,
        campaign: form.campaign.trim().to_owned(),
        reference: form.reference.trim().to_owned(),
    };
    funding(&state)?.grant_points(&who, &req, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to("/ops/funding").into_response())
}
