//! Linking a bank account. The user gives a fresh second factor (a step-up grant for
//! `link_bank_account`, spent in the same transaction as the link); the bank is asked whose
//! account it is; the holder's name must match the user's verified legal name's kana (or, before
//! identity verification, the registered legal name) on the Zengin
//! key (`zengin::names_match`, only `Exact`) or the link waits for an operator, who approves or
//! rejects it. It is never linked automatically on anything but an exact match, because a
//! wallet pulling money from someone else's account is the fraud this check exists for.

use serde::Deserialize;
use serde_json::json;

use super::store::{self, BankAccount, LinkReview, NewLink};
use super::{Funding, FundingError, MAX_LINKED_ACCOUNTS, MAX_REVIEWS_LISTED};
use crate::bank::{AccountRef, AccountStatus, AccountType, BankError};
use crate::identity::{AccountKind, Client, Principal, StepUpAction};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
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
}

impl Funding {
    /// A wallet user links an account: `linked` on an exact name match, `review` otherwise.
    pub async fn link_bank_account(
        &self,
        who: &Principal,
        req: &LinkRequest,
        client: &Client,
    ) -> Result<BankAccount, FundingError> {
        self.require_wallet(who, "funding.bank_account.link", client).await?;
        let account = parse_account(req)?;
        let bank = self.bank()?;
        // Refused early, before the bank is asked: no inquiry without a fresh second factor.
        self.identity.require_grant(who, StepUpAction::LinkBankAccount).await?;
        let inquiry = bank.inquire(&account).await.map_err(from_bank)?;
        if inquiry.status == AccountStatus::Closed {
            return Err(FundingError::AccountClosed);
        }
        let user = store::user_facts(&self.db, &who.user_id).await?.ok_or(FundingError::NotFound)?;
        // A verified identity's kana is the name of record; before verification, the name the
        // user registered (usually kana in a wallet's sign-up) is all there is.
        let verified_kana = match self.identity.verification(&who.user_id).await?.identity {
            Some(v) => Some(v.legal_name_kana.unwrap_or_default()),
            None => None,
        };
        let name_of_record = verified_kana.as_deref().unwrap_or(&user.legal_name);
        let exact = !name_of_record.is_empty() && zengin::names_match(&inquiry.holder_name, name_of_record).is_exact();
        let (name_check, status) = if exact { ("exact", "linked") } else { ("review", "review") };
        let id = new_id("ba");
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        store::lock_user(&self.db, &mut tx, &who.user_id).await?;
        if store::live_links(&mut tx, &who.user_id).await? >= MAX_LINKED_ACCOUNTS {
            return Err(FundingError::Conflict("too many bank accounts are linked; unlink one first"));
        }
        let mut row = NewLink {
            id: &id,
            user_id: &who.user_id,
            bank_code: account.bank_code(),
            branch_code: account.branch_code(),
            account_type: account.account_type().as_str(),
            account_number: account.account_number(),
            holder_name: &inquiry.holder_name,
            name_check,
            status,
        };
        let mut inserted = store::insert_link(&mut tx, &row, now).await?;
        if !inserted && exact {
            // Either this wallet has it already, or another wallet linked it automatically: a
            // second wallet with the holder's name is not the holder (M6), so an operator decides.
            // The unique indexes decide which, atomically, however many link it at once.
            (row.name_check, row.status) = ("shared", "review");
            inserted = store::insert_link(&mut tx, &row, now).await?;
        }
        if !inserted {
            return Err(FundingError::Conflict("this bank account is already linked"));
        }
        self.identity.consume_grant(&mut tx, who, StepUpAction::LinkBankAccount, now).await?;
        if row.status == "linked" {
            let last4 = super::masked(account.account_number());
            let notice = crate::i18n::email(
                &user.email,
                &user.locale,
                "bank-account-linked",
                &[("holder", inquiry.holder_name.as_str().into()), ("digits", last4.as_str().into())],
            );
            crate::notify::enqueue(&self.db, &mut tx, std::slice::from_ref(&notice)).await?;
        }
        let details = json!({
            "bank": req.bank_code, "branch": req.branch_code, "account_last4": super::masked(&req.account_number),
            "name_check": row.name_check, "status": row.status,
        });
        self.commit_with_audit(tx, &who.user_id, "funding.bank_account.linked", &id, client, details).await?;
        Ok(store::link(&self.db, &id).await?.ok_or(FundingError::NotFound)?.1)
    }

    pub async fn bank_accounts(&self, who: &Principal) -> Result<Vec<BankAccount>, FundingError> {
        Ok(store::links_of(&self.db, &who.user_id).await?)
    }

    /// Unlinking stops new top-ups from the account; those already asked of the bank finish.
    pub async fn unlink_bank_account(&self, who: &Principal, id: &str, client: &Client) -> Result<(), FundingError> {
        let mut tx = self.db.begin_write().await?;
        if store::unlink(&mut tx, id, &who.user_id, now_ms()).await? == 0 {
            return Err(FundingError::NotFound);
        }
        self.commit_with_audit(tx, &who.user_id, "funding.bank_account.unlinked", id, client, json!({})).await
    }

    /// Admins: the links whose holder name did not match, oldest first.
    pub async fn links_awaiting_review(
        &self,
        who: &Principal,
        client: &Client,
    ) -> Result<Vec<LinkReview>, FundingError> {
        self.require_admin(who, "funding.bank_account.reviews", client).await?;
        Ok(store::awaiting_review(&self.db, MAX_REVIEWS_LISTED).await?)
    }

    /// Admins approve (the account becomes usable, and its owner is told) or reject a link in
    /// review. Audited; one operator decides (four eyes are not required for this).
    pub async fn review_link(
        &self,
        who: &Principal,
        id: &str,
        approve: bool,
        client: &Client,
    ) -> Result<BankAccount, FundingError> {
        self.require_admin(who, "funding.bank_account.review", client).await?;
        let (row, _) = store::link(&self.db, id).await?.ok_or(FundingError::NotFound)?;
        let decision = if approve { "linked" } else { "rejected" };
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if !store::decide_review(&mut tx, id, decision, &who.user_id, now).await? {
            return Err(FundingError::Conflict("this bank account is not awaiting review"));
        }
        if approve && let Some(user) = store::user_facts(&self.db, &row.user_id).await? {
            let last4 = super::masked(&row.account_number);
            let notice = crate::i18n::email(
                &user.email,
                &user.locale,
                "bank-account-linked",
                &[("holder", row.holder_name.as_str().into()), ("digits", last4.as_str().into())],
            );
            crate::notify::enqueue(&self.db, &mut tx, std::slice::from_ref(&notice)).await?;
        }
        let details = json!({ "user": row.user_id, "decision": decision });
        self.commit_with_audit(tx, &who.user_id, "funding.bank_account.reviewed", id, client, details).await?;
        Ok(store::link(&self.db, id).await?.ok_or(FundingError::NotFound)?.1)
    }

    /// Wallet users only: staff and operators hold no wallet to fund.
    pub(super) async fn require_wallet(
        &self,
        who: &Principal,
        what: &str,
        client: &Client,
    ) -> Result<(), FundingError> {
        if who.kind == AccountKind::Wallet && who.is_full() {
            Ok(())
        } else {
            Err(self.identity.denied(who, what, client).await.into())
        }
    }

    /// Operators who decide (link reviews, point grants): admins, never analysts.
    pub(super) async fn require_admin(&self, who: &Principal, what: &str, client: &Client) -> Result<(), FundingError> {
        if crate::merchants::is_admin(who) { Ok(()) } else { Err(self.identity.denied(who, what, client).await.into()) }
    }
}

fn parse_account(req: &LinkRequest) -> Result<AccountRef, FundingError> {
    let invalid =
        |message: String| FundingError::Invalid { code: "bank_account_invalid", message, param: "account_number" };
    let kind: AccountType = req.account_type.parse().map_err(|_| FundingError::Invalid {
        code: "account_type_invalid",
        message: "account_type must be ordinary, current or savings".into(),
        param: "account_type",
    })?;
    AccountRef::parse(&req.bank_code, &req.branch_code, kind, &req.account_number).map_err(|e| match e {
        BankError::Invalid(m) => invalid(m),
        other => invalid(other.to_string()),
    })
}

/// What the bank's answer to an inquiry means for the user.
pub(super) fn from_bank(e: BankError) -> FundingError {
    match e {
        BankError::NotFound => FundingError::NoSuchAccount,
        BankError::Closed => FundingError::AccountClosed,
        BankError::Invalid(m) => {
            FundingError::Invalid { code: "bank_account_invalid", message: m, param: "account_number" }
        }
        other => {
            tracing::warn!(error = %other, "the bank could not answer");
            FundingError::BankUnavailable
        }
    }
}
