//! Sending money: one ledger command moves the amount from the payer's money account to the
//! payee's, and its effects, all in the ledger's transaction, write the transfer row and refuse
//! the whole command when a limit, the payee's holding cap, a cooling-off or a missing step-up
//! grant says no. Both parties are told by e-mail, through the outbox, in the same transaction.
//!
//! ```text
//! payer money −amount → payee money +amount      (kind `transfer`)
//! ```

use serde::Deserialize;

use super::store::{self, NewTransfer, ReceivingWallet, Transfer};
use super::{MAX_LISTED, MAX_MESSAGE_CHARS, Transfers, TransfersError, display_name, periods};
use crate::identity::{Client, IdentityError, Principal, StepUpAction};
use crate::ledger::{Command, Currency, LedgerError, Origin, Request};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// From `POST /v1/transfers/payees`: the payee you confirmed.
    #[schema(min_length = 1, max_length = 512)]
    pub payee_token: String,
    /// In yen, from the money balance; at most the per-transfer limit (by the licence held:
    /// 1,000,000 by default), refused with 402 `over_transfer_limit` above it.
    #[schema(minimum = 1)]
    pub amount_minor: i64,
    /// Shown to the payee (at most 40 characters).
    #[schema(max_length = 40)]
    pub message: Option<String>,
}

/// Transfers within this fraction under the per-transfer cap are flagged (`near_cap`).
const NEAR_CAP_PERCENT: i64 = 90;

impl Transfers {
    pub async fn send(&self, who: &Principal, req: &SendRequest, client: &Client) -> Result<Transfer, TransfersError> {
        self.require_wallet(who, "transfers.send", client).await?;
        let message = checked_message(req.message.as_deref())?;
        checked_amount(req.amount_minor)?;
        let payee_id = self.open_payee_token(who, &req.payee_token)?;
        self.transfer(who, &payee_id, req.amount_minor, &message, None, client).await
    }

    pub async fn transfers(&self, who: &Principal) -> Result<Vec<Transfer>, TransfersError> {
        Ok(store::transfers_of(&self.db, &who.user_id, MAX_LISTED).await?)
    }

    pub async fn transfer_by_id(&self, who: &Principal, id: &str) -> Result<Transfer, TransfersError> {
        store::transfer(&self.db, id, &who.user_id).await?.ok_or(TransfersError::NotFound)
    }

    /// Move `amount_minor` of money from `who` to `payee_id`; `request` when it pays a request.
    pub(super) async fn transfer(
        &self,
        who: &Principal,
        payee_id: &str,
        amount_minor: i64,
        message: &str,
        request: Option<&str>,
        client: &Client,
    ) -> Result<Transfer, TransfersError> {
        // One read for both parties; the balance is the ledger's to check (it refuses an
        // overdraft as `InsufficientFunds`, atomically with the posting).
        let parties = store::parties(&self.db, &who.user_id, payee_id).await?;
        let payer = parties.payer.ok_or(TransfersError::NotFound)?;
        let payer_legal_name = payer.legal_name.clone().ok_or(IdentityError::NotVerified)?;
        if payee_id == who.user_id {
            return Err(TransfersError::Declined("own_wallet"));
        }
        let payee = parties.payee.ok_or(TransfersError::NoSuchPayee)?;
        let now = now_ms();
        let limit_minor = self.config.per_transfer_minor();
        if amount_minor > limit_minor {
            return Err(TransfersError::Declined("over_transfer_limit"));
        }
        if payer.status != "active" {
            return Err(TransfersError::Declined("account_not_active"));
        }
        if payer.money_out_blocked_until_ms > now {
            return Err(TransfersError::Declined("money_out_cooling_off"));
        }
        let stepped_up = amount_minor > self.config.step_up_above_minor;
        if stepped_up {
            self.identity.require_grant(who, StepUpAction::SendMoney).await?;
        }
        let payer_accounts = self.wallets.accounts(&who.user_id).await?;
        let payee_accounts = self.wallets.accounts(&payee.user_id).await?;
        let id = new_id("tr");
        let row_request = request.unwrap_or_default().to_owned();
        let (day, month) = periods(now);
        let row = NewTransfer {
            id: &id,
            payer_user_id: &who.user_id,
            payee_user_id: &payee.user_id,
            amount_minor,
            message,
            money_request_id: request.unwrap_or_default(),
            near_cap: amount_minor * 100 >= limit_minor.saturating_mul(NEAR_CAP_PERCENT)
                && limit_minor < crate::ledger::MAX_AMOUNT_MINOR,
            stepped_up,
            now_ms: now,
        };
        let mut effects = vec![
            store::insert_transfer(&row),
            store::raise_total(
                &who.user_id,
                &day,
                amount_minor,
                self.config.daily_limit_minor,
                "over_daily_transfer_limit",
            ),
            store::raise_total(
                &who.user_id,
                &month,
                amount_minor,
                self.config.monthly_limit_minor,
                "over_monthly_transfer_limit",
            ),
            store::payee_cap(&id, &payee_accounts.money, self.config.holding_cap_minor),
            store::not_cooling_off(&id, &who.user_id, now),
        ];
        if stepped_up {
            effects.push(self.identity.grant_effect(who, StepUpAction::SendMoney));
        }
        if let Some(request_id) = request {
            effects.push(store::pay_request(request_id, &id, &who.user_id, now));
        }
        let jpy = Currency::jpy();
        let mut command = Command::transfer(
            format!("transfer:{id}"),
            &payer_accounts.money,
            &payee_accounts.money,
            &jpy,
            amount_minor,
            "transfer",
        );
        if let Command::Post { description, .. } = &mut command {
            *description = id.clone();
        }
        let request = Request {
            command,
            origin: Origin { actor: who.user_id.clone(), request_id: client.request_id.clone() },
            notify: self.notices(&payer_legal_name, &payer, &payee, amount_minor, message),
            effects,
        };
        match self.ledger.submit(request).await {
            Ok(_) => {}
            Err(LedgerError::EffectRefused(reason)) => return Err(refused(reason)),
            Err(e) => return Err(e.into()),
        }
        // As `GET /v1/me/transfers/{id}` will read it back, without reading it back.
        Ok(Transfer {
            id,
            direction: "sent".into(),
            counterparty: display_name(&payee.legal_name),
            amount_minor,
            message: message.to_owned(),
            money_request_id: row_request,
            stepped_up,
            created_at_ms: now,
        })
    }

    /// Both parties hear of it: the payer that it left, the payee that it arrived (with the
    /// payer's display name, never their full legal name).
    fn notices(
        &self,
        payer_legal_name: &str,
        payer: &store::PayerFacts,
        payee: &ReceivingWallet,
        amount_minor: i64,
        message: &str,
    ) -> Vec<crate::notify::OutboxMessage> {
        let amount = crate::i18n::yen(amount_minor);
        let sent = crate::i18n::email(
            &payer.email,
            &payer.locale,
            "transfer-sent",
            &[("amount", amount.as_str().into()), ("payee", display_name(&payee.legal_name).as_str().into())],
        );
        let received = crate::i18n::email(
            &payee.email,
            &payee.locale,
            "transfer-received",
            &[
                ("amount", amount.as_str().into()),
                ("payer", display_name(payer_legal_name).as_str().into()),
                ("note", message.into()),
            ],
        );
        vec![sent, received]
    }
}

/// What each refusing effect means for the payer.
fn refused(reason: &'static str) -> TransfersError {
    match reason {
        "step_up_required" => TransfersError::Identity(IdentityError::StepUpRequired),
        "money_request_closed" => TransfersError::Conflict("this request for money is no longer open"),
        other => TransfersError::Declined(other),
    }
}

pub(super) fn checked_amount(amount_minor: i64) -> Result<(), TransfersError> {
    if (1..=crate::ledger::MAX_AMOUNT_MINOR).contains(&amount_minor) {
        Ok(())
    } else {
        let message = "the amount is a positive number of yen".into();
        Err(TransfersError::Invalid { code: "amount_invalid", message, param: "amount_minor" })
    }
}

/// A message is short, one line, and free of control characters (it goes into e-mails).
pub(super) fn checked_message(message: Option<&str>) -> Result<String, TransfersError> {
    let message = message.unwrap_or_default().trim();
    if message.chars().count() > MAX_MESSAGE_CHARS || message.chars().any(char::is_control) {
        let message = format!("the message is at most {MAX_MESSAGE_CHARS} characters on one line");
        return Err(TransfersError::Invalid { code: "message_invalid", message, param: "message" });
    }
    Ok(message.to_owned())
}
