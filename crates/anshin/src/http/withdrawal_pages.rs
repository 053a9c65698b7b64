//! Withdrawal pages. The wallet's `/wallet/withdraw`: the money balance, a form to withdraw to a
//! linked account (always after the step-up page for `withdraw`), and the latest withdrawals. The
//! ops console's `/ops/withdrawals`: withdrawals whose account holder is not exactly the verified
//! name, both names side by side; admins approve or reject with a note, analysts read. Every
//! change calls the same `Withdrawals` function as the JSON endpoints.

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
use super::lang::{page_locale, t};
use super::pages::{PageError, PageResult, check_csrf, full, layout, refusal_or_step_up, with_csrf};
use super::transfer_pages::amount;
use crate::i18n::{tokyo_date_time, yen};
use crate::identity::StepUpAction;
use crate::withdrawals::{Withdrawal, WithdrawalRequest, WithdrawalReview, Withdrawals, WithdrawalsError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wallet/withdraw", get(wallet_page).post(withdraw))
        .route("/ops/withdrawals", get(ops_page))
        .route("/ops/withdrawals/review", post(review))
}

fn withdrawals(state: &AppState) -> Result<&Withdrawals, PageError> {
    state.withdrawals.as_ref().ok_or_else(|| failed(&WithdrawalsError::BankUnavailable))
}

fn failed(e: &WithdrawalsError) -> PageError {
    refusal_or_step_up(ApiError::from(e.clone()), StepUpAction::Withdraw)
}

fn status_name(status: &str) -> String {
    t(&format!("withdraw-status-{status}"))
}

pub async fn wallet_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = full(&state, &headers).await?;
    let w = withdrawals(&state)?;
    let list = w.withdrawals(&who).await.map_err(|e| failed(&e))?;
    let accounts = match state.funding.as_ref() {
        Some(f) => f.bank_accounts(&who).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let linked: Vec<_> = accounts.into_iter().filter(|a| a.status == "linked").collect();
    let money_minor = match (state.ledger.as_ref(), state.withdrawals.as_ref()) {
        (Some(ledger), Some(_)) => {
            let wallets = crate::wallets::Wallets::new(state.db.clone(), ledger.clone());
            match wallets.accounts(&who.user_id).await {
                Ok(accounts) => wallets.balances(&accounts).await.map(|b| b.money_minor).unwrap_or(0),
                Err(_) => 0,
            }
        }
        _ => 0,
    };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("withdraw-title"),
            html! {
                ul.links { li { a href="/wallet" { (t("wallet-title")) } } li { a href="/wallet/funding" { (t("funding-title")) } } }
                @if !w.has_bank() { p.notice.error role="alert" { (t("funding-no-bank")) } }
                dl.facts { dt { (t("wallet-balance-money")) } dd #withdrawable .amount { (yen(money_minor)) } }
                p { (t("withdraw-why")) }
                @if linked.is_empty() { p { (t("withdraw-needs-account")) } } @else {
                    p { a #step-up-withdraw href="/wallet/step-up?action=withdraw" { (t("withdraw-step-up")) } }
                    form method="post" action="/wallet/withdraw" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="bank_account_id" { (t("withdraw-to")) }
                        select #bank_account_id name="bank_account_id" {
                            @for a in &linked { option value=(a.id) { (a.holder_name) " " (a.account_number_masked) } }
                        }
                        label for="amount_minor" { (t("send-amount")) }
                        input #amount_minor name="amount_minor" required inputmode="numeric";
                        button #withdraw type="submit" { (t("withdraw-submit")) }
                    }
                }
                h2 { (t("withdraw-list")) }
                @if list.is_empty() { p { (t("withdraw-none")) } }
                ul #withdrawals .items { @for w in &list { li data-withdrawal=(w.id) data-status=(w.status) { (entry(w)) } } }
            },
        )
    }))
}

fn entry(w: &Withdrawal) -> Markup {
    html! {
        strong { (yen(w.amount_minor)) }
        span.meta.status { (status_name(&w.status)) }
        span.meta { (w.holder_name) " " (w.account_number_masked) }
        span.meta { (tokyo_date_time(w.created_at_ms, page_locale())) }
    }
}

#[derive(Deserialize, Default)]
pub struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bank_account_id: String,
    #[serde(default)]
    amount_minor: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<WithdrawForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let req = WithdrawalRequest { bank_account_id: form.bank_account_id, amount_minor: amount(&form.amount_minor)? };
    withdrawals(&state)?.request(&who, &req, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to("/wallet/withdraw").into_response())
}

pub async fn ops_page(State(state): State<AppState>, headers: HeaderMap, Caller(client): Caller) -> PageResult {
    let who = full(&state, &headers).await?;
    let list = withdrawals(&state)?.awaiting_review(&who, &client).await.map_err(|e| failed(&e))?;
    let decides = crate::merchants::is_admin(&who);
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("withdraw-review-title"),
            html! {
                ul.links { li { a href="/ops" { (t("ops-title")) } } }
                p { (t("withdraw-review-why")) }
                @if !decides { p.notice { (t("kyc-review-admins")) } }
                @if list.is_empty() { p #withdraw-reviews-none { (t("withdraw-review-none")) } }
                ul #withdraw-reviews .items { @for r in &list { li data-withdrawal=(r.withdrawal.id) { (review_entry(csrf, r, decides)) } } }
            },
        )
    }))
}

fn review_entry(csrf: &str, r: &WithdrawalReview, decides: bool) -> Markup {
    let w = &r.withdrawal;
    html! {
        strong { (yen(w.amount_minor)) }
        span.meta { (t("withdraw-review-holder")) " " (w.holder_name) " · " (w.bank_code) "-" (w.branch_code) " " (w.account_number_masked) }
        span.meta { (t("withdraw-review-verified")) " " (r.verified_name) " (" (r.verified_kana) ") · " code { (r.user_id) } }
        span.meta { (t(&format!("withdraw-check-{}", w.name_check.replace('_', "-")))) }
        @if decides {
            form method="post" action="/ops/withdrawals/review" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="id" value=(w.id);
                label for={"note-" (w.id)} { (t("withdraw-review-note")) }
                input id={"note-" (w.id)} name="note" maxlength="200";
                button id={"approve-" (w.id)} type="submit" name="decision" value="approve" { (t("kyc-review-approve")) }
                button.secondary id={"reject-" (w.id)} type="submit" name="decision" value="reject" { (t("kyc-review-reject")) }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn review(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ReviewForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let approve = form.decision == "approve";
    withdrawals(&state)?.review(&who, &form.id, approve, &form.note, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to("/ops/withdrawals").into_response())
}
