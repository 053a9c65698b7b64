//! Where the merchant's money goes, for its owner: the account in use, a change waiting out its
//! delay (with the moment it applies, in Japan time, and a way to stop it), and setting a new one.

use axum::extract::State;
use axum::http::HeaderMap;
use maud::{Markup, html};
use serde::Deserialize;

use super::portal::when;
use super::{back_to_portal, merchants, refused, staff};
use crate::http::AppState;
use crate::http::error::Form;
use crate::http::identity::Caller;
use crate::http::lang::{t, t_args};
use crate::http::pages::{PageResult, check_csrf, done_page};
use crate::identity::StepUpAction;
use crate::merchants::PayoutAccount;
use crate::merchants::payout::PayoutAccountRequest;

/// Catalog ids this file builds from values (checked in `portal`'s tests).
pub(super) const DYNAMIC_IDS: &[&str] = &[
    "payout-type-ordinary",
    "payout-type-current",
    "payout-type-savings",
    "payout-name-check-exact",
    "payout-name-check-review",
    "payout-name-check-approved",
    "payout-name-check-rejected",
];

const ACCOUNT_TYPES: [&str; 3] = ["ordinary", "current", "savings"];

fn worded(prefix: &str, value: &str) -> String {
    let id = format!("{prefix}-{value}");
    if DYNAMIC_IDS.contains(&id.as_str()) { t(&id) } else { value.to_owned() }
}

/// The account as its owner recognises it: bank and branch by name, the last digits only.
fn account_facts(a: &PayoutAccount) -> Markup {
    let bank = zengin::bank(&a.bank_code).map(|b| b.name).unwrap_or_default();
    let branch = zengin::branch(&a.bank_code, &a.branch_code).map(|b| b.name).unwrap_or_default();
    let last3 = a.account_number.get(4..).unwrap_or_default();
    html! {
        dl.facts {
            dt { (t("payout-bank")) } dd { (bank) " (" (a.bank_code) ")" }
            dt { (t("payout-branch")) } dd { (branch) " (" (a.branch_code) ")" }
            dt { (t("payout-account")) } dd { (worded("payout-type", &a.account_type)) " " (t_args("payout-ending", &[("digits", last3.into())])) }
            dt { (t("payout-holder")) } dd { (a.holder_name) }
            dt { (t("payout-name-check")) } dd data-name-check=(a.name_check) { (worded("payout-name-check", &a.name_check)) }
        }
    }
}

pub(super) fn payout_section(csrf: &str, accounts: &[PayoutAccount], delay_hours: i64) -> Markup {
    let active = accounts.iter().find(|a| a.status == "active");
    let pending = accounts.iter().find(|a| a.status == "pending");
    html! {
        h2 #payout-heading { (t("payout-title")) }
        @match active {
            Some(a) => { div #payout-active { (account_facts(a)) } }
            None => { p { (t("payout-none")) } }
        }
        @if let Some(p) = pending {
            div #payout-pending .notice.info role="status" {
                p { (t_args("payout-pending", &[("time", when(p.effective_at_ms).into())])) }
                (account_facts(p))
                p { (t("payout-pending-not-you")) }
                form method="post" action="/merchant/payout-account/cancel" {
                    input type="hidden" name="csrf" value=(csrf);
                    button #cancel-payout type="submit" { (t("payout-cancel")) }
                }
            }
        }
        h3 { (t("payout-set")) }
        p { (t_args("payout-set-why", &[("hours", delay_hours.into())])) }
        form method="post" action="/merchant/payout-account" {
            input type="hidden" name="csrf" value=(csrf);
            label for="bank_code" { (t("payout-bank-code")) }
            input #bank_code name="bank_code" required inputmode="numeric" maxlength="4" autocomplete="off";
            label for="branch_code" { (t("payout-branch-code")) }
            input #branch_code name="branch_code" required inputmode="numeric" maxlength="3" autocomplete="off";
            label for="account_type" { (t("payout-account-type")) }
            select #account_type name="account_type" {
                @for k in ACCOUNT_TYPES { option value=(k) { (worded("payout-type", k)) } }
            }
            label for="account_number" { (t("payout-account-number")) }
            input #account_number name="account_number" required inputmode="numeric" maxlength="7" autocomplete="off";
            label for="holder_name" { (t("payout-holder")) }
            input #holder_name name="holder_name" required maxlength="100" autocomplete="off" aria-describedby="holder-hint";
            p #holder-hint .hint { (t("payout-holder-hint")) }
            p.hint { (t("merchant-needs-step-up")) }
            button #set-payout type="submit" { (t("payout-set")) }
        }
    }
}

#[derive(Deserialize)]
pub struct PayoutForm {
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
    #[serde(default)]
    holder_name: String,
}

pub async fn set_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PayoutForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    let req = PayoutAccountRequest {
        bank_code: form.bank_code,
        branch_code: form.branch_code,
        account_type: form.account_type,
        account_number: form.account_number,
        holder_name: form.holder_name,
    };
    let account = merchants(&state)?
        .set_payout_account(&s.who, s.merchant_id(), &req, &client)
        .await
        .map_err(|e| refused(&e, Some(StepUpAction::ChangePayoutAccount)))?;
    let message = if account.status == "pending" {
        t_args("payout-changed-later", &[("time", when(account.effective_at_ms).into())])
    } else {
        t("payout-changed-now")
    };
    Ok(done_page(&t("payout-changed-title"), &message, ("/merchant", &t("merchant-back"))))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn cancel_change(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    merchants(&state)?.cancel_payout_change(&s.who, s.merchant_id(), &client).await.map_err(|e| refused(&e, None))?;
    Ok(back_to_portal())
}
