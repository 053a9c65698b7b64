//! Asking for a withdrawal. Every check that decides whether money may leave is made here, in
//! this order, and the ones that can race run again inside the ledger's transaction: the step-up
//! grant is spent there, and the cooling-off is read there.

use serde::Deserialize;

use super::store::{self, NewWithdrawal, Withdrawal};
use super::{MAX_LISTED, Withdrawals, WithdrawalsError};
use crate::identity::{Client, IdentityError, Principal, StepUpAction};
use crate::ledger::{AccountKind, Command, Currency, LedgerError, Origin, Request};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    /// One of your linked bank accounts (`ba_…`).
    #[schema(min_length = 1, max_length = 64)]
    pub bank_account_id: String,
    /// In yen, from the money balance.
    #[schema(minimum = 100, maximum = 1000000)]
    pub amount_minor: i64,
}

impl Withdrawals {
    /// `queued` when the account's holder is the verified name exactly; `review` (the money held
    /// for an operator) otherwise.
    pub async fn request(
        &self,
        who: &Principal,
        req: &WithdrawalRequest,
        client: &Client,
    ) -> Result<Withdrawal, WithdrawalsError> {
        self.require_wallet(who, "withdrawals.request", client).await?;
        let c = &self.config;
        if !(c.min_amount_minor..=c.max_amount_minor).contains(&req.amount_minor) {
            let message = format!("a withdrawal is {} to {} yen", c.min_amount_minor, c.max_amount_minor);
            return Err(WithdrawalsError::Invalid { code: "amount_invalid", message, param: "amount_minor" });
        }
        self.bank()?;
        let verified = self.identity.require_verified(&who.user_id).await?;
        let (link, _) = crate::funding::store::link(&self.db, &req.bank_account_id)
            .await?
            .filter(|(l, _)| l.user_id == who.user_id)
            .ok_or(WithdrawalsError::NotFound)?;
        if link.status != "linked" {
            return Err(WithdrawalsError::NotLinked);
        }
        let user =
            crate::funding::store::user_facts(&self.db, &who.user_id).await?.ok_or(WithdrawalsError::NotFound)?;
        let now = now_ms();
        if user.money_out_blocked_until_ms > now {
            return Err(WithdrawalsError::Declined("money_out_cooling_off"));
        }
        // Always a fresh second factor: asked before anything is held.
        self.identity.require_grant(who, StepUpAction::Withdraw).await?;
        let accounts = self.wallets.accounts(&who.user_id).await?;
        if self.wallets.balances(&accounts).await?.money_minor < req.amount_minor {
            return Err(WithdrawalsError::Declined("insufficient_money"));
        }
        // The holder must be the verified person on the Zengin key; a kana the document did not
        // give cannot match anything, so that goes to a person too.
        let kana = verified.legal_name_kana.clone().unwrap_or_default();
        let name_check = if kana.is_empty() {
            "no_kana"
        } else if zengin::names_match(&link.holder_name, &kana).is_exact() {
            "exact"
        } else {
            "mismatch"
        };
        let status = if name_check == "exact" { "queued" } else { "review" };
        let id = new_id("wd");
        let row = NewWithdrawal {
            id: &id,
            user_id: &who.user_id,
            bank_account_id: &link.id,
            bank_code: &link.bank_code,
            branch_code: &link.branch_code,
            account_type: &link.account_type,
            account_number: &link.account_number,
            holder_name: &link.holder_name,
            amount_minor: req.amount_minor,
            verified_kana: &kana,
            name_check,
            status,
            now_ms: now,
        };
        let jpy = Currency::jpy();
        let clearing = self.ledger.system_account(AccountKind::PayoutClearing, &jpy).await?;
        let command = if status == "queued" {
            let mut command = Command::transfer(
                format!("withdrawal:{id}"),
                &accounts.money,
                &clearing,
                &jpy,
                req.amount_minor,
                "withdrawal",
            );
            if let Command::Post { description, .. } = &mut command {
                *description = id.clone();
            }
            command
        } else {
            Command::Hold {
                key: format!("withdrawal-hold:{id}"),
                debit_account_id: accounts.money.clone(),
                credit_account_id: clearing,
                currency: jpy,
                amount_minor: req.amount_minor,
                ttl_secs: self.config.review_ttl_secs,
            }
        };
        let amount = crate::i18n::yen(req.amount_minor);
        let digits = crate::funding::masked(&link.account_number);
        let message = if status == "queued" { "withdrawal-requested" } else { "withdrawal-in-review" };
        let notice = crate::i18n::email(
            &user.email,
            &user.locale,
            message,
            &[("amount", amount.as_str().into()), ("digits", digits.as_str().into())],
        );
        let request = Request {
            command,
            origin: Origin { actor: who.user_id.clone(), request_id: client.request_id.clone() },
            notify: vec![notice],
            effects: vec![
                store::insert(&row),
                store::not_cooling_off(&id, &who.user_id, now),
                self.identity.grant_effect(who, StepUpAction::Withdraw),
            ],
        };
        match self.ledger.submit(request).await {
            Ok(_) => {}
            Err(LedgerError::EffectRefused("step_up_required")) => {
                return Err(IdentityError::StepUpRequired.into());
            }
            Err(LedgerError::EffectRefused(reason)) => return Err(WithdrawalsError::Declined(reason)),
            Err(e) => return Err(e.into()),
        }
        Ok(store::by_id(&self.db, &id).await?.ok_or(WithdrawalsError::NotFound)?.1)
    }

    pub async fn withdrawals(&self, who: &Principal) -> Result<Vec<Withdrawal>, WithdrawalsError> {
        Ok(store::of_user(&self.db, &who.user_id, MAX_LISTED).await?)
    }

    pub async fn withdrawal(&self, who: &Principal, id: &str) -> Result<Withdrawal, WithdrawalsError> {
        let (row, view) = store::by_id(&self.db, id).await?.ok_or(WithdrawalsError::NotFound)?;
        if row.user_id != who.user_id {
            return Err(WithdrawalsError::NotFound);
        }
        Ok(view)
    }
}
