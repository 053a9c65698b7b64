//! Where a merchant's money goes. The bank and branch must exist (Zengin data), the holder name
//! is kept in Zengin form, and it must match the merchant's legal name on the Zengin key or an
//! operator reviews it before any payout goes there. Only the owner sets it, with a step-up for
//! `change_payout_account`; a change is announced by e-mail at once and takes effect after
//! `payout_change_delay_secs` (72 h), so an owner whose account was taken over has time to stop
//! it. The first account of a merchant applies at once: there is nothing yet to divert.

use serde::Deserialize;
use serde_json::json;

use super::model::{MerchantError, Permission, StaffRole};
use super::store::{self, Tx};
use super::store_payout::{self as payouts, NewPayoutAccount, PayoutAccount};
use super::{MAX_PAYOUT_REVIEWS_LISTED, Merchants, require_usable};
use crate::identity::{Client, Principal, StepUpAction};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutAccountRequest {
    /// Four digits (全銀協 bank code).
    #[schema(pattern = "^[0-9]{4}$")]
    pub bank_code: String,
    /// Three digits.
    #[schema(pattern = "^[0-9]{3}$")]
    pub branch_code: String,
    /// ordinary (普通), current (当座) or savings (貯蓄).
    #[schema(pattern = "^(ordinary|current|savings)$")]
    pub account_type: String,
    /// Seven digits.
    #[schema(pattern = "^[0-9]{7}$")]
    pub account_number: String,
    /// As on the bank book, in katakana (converted to the half-width Zengin form).
    #[schema(min_length = 1, max_length = 100)]
    pub holder_name: String,
}

impl Merchants {
    /// The owner sets or changes the payout account.
    pub async fn set_payout_account(
        &self,
        who: &Principal,
        merchant_id: &str,
        req: &PayoutAccountRequest,
        client: &Client,
    ) -> Result<PayoutAccount, MerchantError> {
        let (m, _) = self.authorize(who, merchant_id, Permission::ManagePayout, false, client).await?;
        require_usable(&m)?;
        let parsed = parse_request(req)?;
        let name_check =
            if zengin::names_match(&parsed.holder_name, &m.legal_name_kana).is_exact() { "exact" } else { "review" };
        self.identity.require_grant(who, StepUpAction::ChangePayoutAccount).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        payouts::apply_due(&mut tx, merchant_id, now).await?;
        let has_active = payouts::active(&mut tx, merchant_id).await?.is_some();
        let effective_at_ms = if has_active { now + self.config.payout_change_delay_secs * 1000 } else { now };
        let id = new_id("pa");
        payouts::cancel_pending(&mut tx, merchant_id).await?;
        let row = NewPayoutAccount {
            id: &id,
            merchant_id,
            bank_code: &req.bank_code,
            branch_code: &req.branch_code,
            account_type: &req.account_type,
            account_number: &req.account_number,
            holder_name: &parsed.holder_name,
            name_check,
            status: if has_active { "pending" } else { "active" },
            effective_at_ms,
            created_by: &who.user_id,
        };
        payouts::insert(&mut tx, &row, now).await?;
        self.identity.consume_grant(&mut tx, who, StepUpAction::ChangePayoutAccount, now).await?;
        self.tell_owners(&mut tx, &m, &parsed, effective_at_ms, has_active).await?;
        let details = json!({
            "merchant": merchant_id, "bank": req.bank_code, "branch": req.branch_code,
            "account_last3": &req.account_number[4..], "name_check": name_check, "effective_at_ms": effective_at_ms,
        });
        self.commit_with_audit(tx, &who.user_id, "merchants.payout_account.set", &id, client, details).await?;
        self.payout_accounts(who, merchant_id, client)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(MerchantError::NotFound)
    }

    /// The payout accounts (active, pending, past), newest first; due changes are applied first.
    pub async fn payout_accounts(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<Vec<PayoutAccount>, MerchantError> {
        self.authorize(who, merchant_id, Permission::ManagePayout, true, client).await?;
        let mut tx = self.db.begin_write().await?;
        payouts::apply_due(&mut tx, merchant_id, now_ms()).await?;
        tx.commit().await?;
        Ok(payouts::list(&self.db, merchant_id).await?)
    }

    /// The owner (or an admin) cancels a change still waiting out its delay.
    pub async fn cancel_payout_change(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<(), MerchantError> {
        let (_, actor) = self.authorize(who, merchant_id, Permission::ManagePayout, true, client).await?;
        if matches!(actor, super::Actor::Operator { admin: false }) {
            return Err(self.identity.denied(who, "merchants.payout_account.cancel", client).await.into());
        }
        let mut tx = self.db.begin_write().await?;
        payouts::apply_due(&mut tx, merchant_id, now_ms()).await?;
        if payouts::cancel_pending(&mut tx, merchant_id).await? == 0 {
            return Err(MerchantError::Conflict("no payout account change is waiting"));
        }
        let details = json!({ "merchant": merchant_id });
        self.commit_with_audit(tx, &who.user_id, "merchants.payout_account.cancelled", merchant_id, client, details)
            .await
    }

    /// Admins decide on an account whose holder name did not match the legal name.
    pub async fn review_payout_account(
        &self,
        who: &Principal,
        merchant_id: &str,
        account_id: &str,
        approve: bool,
        client: &Client,
    ) -> Result<(), MerchantError> {
        self.require_operator(who, true, "merchants.payout_account.review", client).await?;
        let mut tx = self.db.begin_write().await?;
        let decision = if approve { "approved" } else { "rejected" };
        if !payouts::decide_review(&mut tx, merchant_id, account_id, decision).await? {
            return Err(MerchantError::Conflict("this payout account is not awaiting review"));
        }
        let details = json!({ "merchant": merchant_id, "decision": decision });
        self.commit_with_audit(tx, &who.user_id, "merchants.payout_account.reviewed", account_id, client, details).await
    }

    /// Operators: the accounts waiting for a decision on their holder name, oldest first.
    pub async fn payout_accounts_awaiting_review(
        &self,
        who: &Principal,
        client: &Client,
    ) -> Result<Vec<PayoutAccount>, MerchantError> {
        self.require_operator(who, false, "merchants.payout_account.reviews", client).await?;
        Ok(payouts::awaiting_review(&self.db, MAX_PAYOUT_REVIEWS_LISTED).await?)
    }

    /// The account payouts go to now, if there is one payouts may use (its name matched, or an
    /// operator approved it).
    pub async fn payout_destination(&self, merchant_id: &str) -> Result<Option<PayoutAccount>, MerchantError> {
        let mut tx = self.db.begin_write().await?;
        payouts::apply_due(&mut tx, merchant_id, now_ms()).await?;
        let active = payouts::active(&mut tx, merchant_id).await?;
        tx.commit().await?;
        Ok(active.filter(|a| matches!(a.name_check.as_str(), "exact" | "approved")))
    }

    /// Every owner and the merchant's contact address hear of a payout account change at once.
    async fn tell_owners(
        &self,
        tx: &mut Tx,
        m: &store::Merchant,
        parsed: &Parsed,
        effective_at_ms: i64,
        is_change: bool,
    ) -> Result<(), MerchantError> {
        let staff = store::staff_of(&self.db, &m.id).await?;
        let mut recipients: Vec<String> =
            staff.into_iter().filter(|s| s.role == StaffRole::Owner.as_str()).map(|s| s.email).collect();
        recipients.push(m.contact_email.clone());
        recipients.sort();
        recipients.dedup();
        let when = crate::i18n::tokyo_date_time(effective_at_ms, crate::i18n::Locale::Ja);
        let name = if is_change { "payout-account-changing" } else { "payout-account-set" };
        let args = [
            ("merchant", m.legal_name.as_str().into()),
            ("holder", parsed.holder_name.as_str().into()),
            ("last3", parsed.last3.as_str().into()),
            ("when", when.as_str().into()),
        ];
        let messages: Vec<_> = recipients.iter().map(|r| crate::i18n::email(r, "ja", name, &args)).collect();
        crate::notify::enqueue(&self.db, tx, &messages).await?;
        Ok(())
    }
}

struct Parsed {
    holder_name: String,
    last3: String,
}

fn parse_request(req: &PayoutAccountRequest) -> Result<Parsed, MerchantError> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let invalid = |code, param, message: &str| MerchantError::Invalid { code, message: message.into(), param };
    if !digits(&req.bank_code, 4) || zengin::bank(&req.bank_code).is_none() {
        return Err(invalid("bank_code_invalid", "bank_code", "no bank has this code"));
    }
    if !digits(&req.branch_code, 3) || zengin::branch(&req.bank_code, &req.branch_code).is_none() {
        return Err(invalid("branch_code_invalid", "branch_code", "this bank has no branch with this code"));
    }
    if !matches!(req.account_type.as_str(), "ordinary" | "current" | "savings") {
        return Err(invalid(
            "account_type_invalid",
            "account_type",
            "the account type is ordinary, current or savings",
        ));
    }
    if !digits(&req.account_number, 7) {
        return Err(invalid("account_number_invalid", "account_number", "the account number is seven digits"));
    }
    let holder = zengin::holder_name(&req.holder_name).map_err(|e| MerchantError::Invalid {
        code: "holder_name_invalid",
        message: format!("the holder name cannot be written as a bank account name: {e}"),
        param: "holder_name",
    })?;
    Ok(Parsed { holder_name: holder.as_str().to_owned(), last3: req.account_number[4..].to_owned() })
}
