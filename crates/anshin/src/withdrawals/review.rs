//! Operators decide withdrawals whose account holder is not exactly the verified name. The money
//! has been held since the request: approving captures the hold into payout clearing (the
//! withdrawal joins the next file); rejecting voids it (nothing left the wallet). Admins decide,
//! analysts read; every decision is audited with the ledger command that carries it.

use super::store::{self, Withdrawal, WithdrawalReview};
use super::{MAX_LISTED, Withdrawals, WithdrawalsError};
use crate::identity::{Client, Principal};
use crate::ledger::{Command, LedgerError, Origin, Request};
use crate::storage::now_ms;

/// The most characters of an operator's reason.
const MAX_NOTE_CHARS: usize = 200;

impl Withdrawals {
    pub async fn awaiting_review(
        &self,
        who: &Principal,
        client: &Client,
    ) -> Result<Vec<WithdrawalReview>, WithdrawalsError> {
        self.require_operator(who, false, "withdrawals.reviews", client).await?;
        Ok(store::awaiting_review(&self.db, MAX_LISTED).await?)
    }

    pub async fn review(
        &self,
        who: &Principal,
        id: &str,
        approve: bool,
        note: &str,
        client: &Client,
    ) -> Result<Withdrawal, WithdrawalsError> {
        self.require_operator(who, true, "withdrawals.review", client).await?;
        let note = note.trim();
        if note.chars().count() > MAX_NOTE_CHARS || note.chars().any(char::is_control) {
            let message = format!("the note is at most {MAX_NOTE_CHARS} characters on one line");
            return Err(WithdrawalsError::Invalid { code: "note_invalid", message, param: "note" });
        }
        let (row, _) = store::by_id(&self.db, id).await?.ok_or(WithdrawalsError::NotFound)?;
        if row.status != "review" {
            return Err(WithdrawalsError::Conflict("this withdrawal is not awaiting review"));
        }
        let now = now_ms();
        let (command, to, message) = if approve {
            let key = format!("withdrawal-approve:{id}");
            (Command::Capture { key, hold_id: row.hold_id.clone(), amount_minor: row.amount_minor }, "queued", None)
        } else {
            let key = format!("withdrawal-reject:{id}");
            (Command::Void { key, hold_id: row.hold_id.clone() }, "rejected", Some("withdrawal-rejected"))
        };
        let mut notify = Vec::new();
        if let (Some(message), Some((email, locale))) = (message, store::contact(&self.db, &row.user_id).await?) {
            let amount = crate::i18n::yen(row.amount_minor);
            notify.push(crate::i18n::email(&email, &locale, message, &[("amount", amount.as_str().into())]));
        }
        let request = Request {
            command,
            origin: Origin { actor: who.user_id.clone(), request_id: client.request_id.clone() },
            notify,
            effects: vec![store::advance(id, "review", to, &who.user_id, note, now)],
        };
        match self.ledger.submit(request).await {
            Ok(_) => {}
            Err(LedgerError::EffectRefused(_)) => {
                return Err(WithdrawalsError::Conflict("this withdrawal is not awaiting review"));
            }
            // The hold lapsed before the decision: the money is the user's again.
            Err(LedgerError::HoldNotPending { .. } | LedgerError::HoldExpired(_)) => {
                store::expire(&self.db, id, now).await?;
                return Err(WithdrawalsError::Conflict("this withdrawal is not awaiting review"));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(store::by_id(&self.db, id).await?.ok_or(WithdrawalsError::NotFound)?.1)
    }
}
