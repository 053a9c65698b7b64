//! Refunds, full or partial: never more than was paid in all, back to the parts the payment came
//! from (money first, then lite, then points: the reverse of spending), idempotent on the
//! caller's refund key, by an owner or manager (from the portal or the JSON API, with a step-up
//! for `refund` spent in the refund's own transaction) or by the store's POS. The customer is told.
//!
//! Concurrency: a refund is planned from the payment's refunded parts as read, and its journal
//! carries a condition (`store::record_refund`) that every part and the total stay within what
//! was paid; if other refunds used a part up first, this one is planned again.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::pos::PosCaller;
use super::store::{self, Payment, Refund, Refunded};
use super::{PaymentError, Payments};
use crate::identity::{Client, Principal, StepUpAction};
use crate::ledger::{Command, Currency, LedgerError, Origin, Posting, Request};
use crate::storage::now_ms;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// In yen; at most what the payment has left to refund.
    #[schema(minimum = 1, maximum = 1000000)]
    pub amount_minor: i64,
    /// The caller's own key for this refund: sending it again returns the same refund.
    #[schema(pattern = "^[A-Za-z0-9_-]{8,64}$")]
    pub refund_key: String,
    /// Why (kept with the refund).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reason: String,
}

/// Who asks for a refund.
pub enum RefundBy<'a> {
    Staff { who: &'a Principal, merchant_id: &'a str, client: &'a Client },
    Pos(&'a PosCaller),
}

/// Plans raced by other refunds are made again this often.
const PLAN_ATTEMPTS: usize = 5;

impl Payments {
    pub async fn refund(
        &self,
        by: RefundBy<'_>,
        payment_id: &str,
        req: &RefundRequest,
        request_id: &str,
    ) -> Result<Refund, PaymentError> {
        check(req)?;
        let (merchant_id, actor) = match &by {
            RefundBy::Staff { who, merchant_id, client } => {
                self.merchants.for_refunds(who, merchant_id, client).await?;
                // Another merchant's payment is "not found" before any step-up is asked for.
                store::by_id(&self.db, payment_id)
                    .await?
                    .filter(|p| p.merchant_id == **merchant_id)
                    .ok_or(PaymentError::NotFound)?;
                self.merchants.identity().require_grant(who, StepUpAction::Refund).await?;
                (merchant_id.to_string(), who.user_id.clone())
            }
            RefundBy::Pos(pos) => (pos.merchant.id.clone(), pos.key.id.clone()),
        };
        let ledger_key = format!("refund:{payment_id}:{}", req.refund_key);
        if let Some(done) = store::refund_by_ledger_key(&self.db, &ledger_key).await? {
            return Ok(done);
        }
        for _ in 0..PLAN_ATTEMPTS {
            let payment = store::by_id(&self.db, payment_id).await?.filter(|p| p.merchant_id == merchant_id);
            let payment = payment.ok_or(PaymentError::NotFound)?;
            if !matches!(payment.status.as_str(), "succeeded" | "partially_refunded") {
                return Err(PaymentError::Declined("not_refundable"));
            }
            if req.amount_minor > payment.amount_minor - payment.refunded_minor {
                return Err(PaymentError::Declined("refund_exceeds_payment"));
            }
            match self.try_refund(&by, &payment, req, &ledger_key, &actor, request_id).await {
                Err(PaymentError::Declined("retry")) => continue,
                other => return other,
            }
        }
        Err(PaymentError::Declined("refund_busy"))
    }

    async fn try_refund(
        &self,
        by: &RefundBy<'_>,
        payment: &Payment,
        req: &RefundRequest,
        ledger_key: &str,
        actor: &str,
        request_id: &str,
    ) -> Result<Refund, PaymentError> {
        let now = now_ms();
        let already = store::refunded_parts(&self.db, &payment.id).await?;
        let parts = plan(payment, &already, req.amount_minor);
        let accounts = self.wallets.accounts(&payment.customer_user_id).await?;
        let merchant = crate::merchants::store::merchant_by_id(&self.db, &payment.merchant_id).await?;
        let receivable = merchant.ok_or(PaymentError::NotFound)?.receivable_account_id;
        let jpy = Currency::jpy();
        let mut postings =
            vec![Posting { account_id: receivable, currency: jpy.clone(), amount_minor: -req.amount_minor }];
        for (account, amount) in [
            (&accounts.money, parts.money_minor),
            (&accounts.lite, parts.lite_minor),
            (&accounts.points, parts.points_minor),
        ] {
            if amount > 0 {
                postings.push(Posting { account_id: account.clone(), currency: jpy.clone(), amount_minor: amount });
            }
        }
        let refund = Refund {
            id: format!("re_{}", &hex::encode(Sha256::digest(ledger_key.as_bytes()))[..26]),
            payment_id: payment.id.clone(),
            amount_minor: req.amount_minor,
            points_minor: parts.points_minor,
            lite_minor: parts.lite_minor,
            money_minor: parts.money_minor,
            created_at_ms: now,
        };
        let mut effects = vec![
            store::record_refund(&payment.id, &parts, now),
            store::insert_refund(&refund, actor, &req.reason, ledger_key),
        ];
        if let RefundBy::Staff { who, .. } = by {
            effects.push(self.merchants.identity().grant_effect(who, StepUpAction::Refund));
        }
        // Merchant events hook (payments/events.rs): after `record_refund`, which it reads.
        effects.extend(
            super::events::effects(&self.db, &self.keys, payment, super::events::Change::Refunded(&refund), None)
                .await?,
        );
        let customer = crate::identity::store::users::by_id(&self.db, &payment.customer_user_id).await?;
        let notice = crate::i18n::email(
            &customer.email,
            &customer.locale,
            "refund-made",
            &[
                ("amount", crate::i18n::yen(req.amount_minor).into()),
                ("code", payment.confirmation_code.as_str().into()),
            ],
        );
        let request = Request {
            // The refund key names the command; its postings follow the plan, so a retry after the
            // payment changed is a conflict and is answered from the stored refund below.
            command: Command::Post {
                key: ledger_key.to_owned(),
                kind: "refund".into(),
                description: format!("{} {} {}", refund.id, payment.id, req.amount_minor),
                postings,
            },
            origin: Origin { actor: actor.to_owned(), request_id: request_id.to_owned() },
            notify: vec![notice],
            effects,
        };
        match self.ledger.submit(request).await {
            Ok(receipt) if !receipt.replayed => Ok(refund),
            Ok(_) | Err(LedgerError::IdempotencyConflict(_)) => {
                store::refund_by_ledger_key(&self.db, ledger_key).await?.ok_or(PaymentError::Declined("retry"))
            }
            Err(LedgerError::EffectRefused("refund_raced")) => Err(PaymentError::Declined("retry")),
            Err(LedgerError::EffectRefused("step_up_required")) => {
                Err(PaymentError::Identity(crate::identity::IdentityError::StepUpRequired))
            }
            // The receivable holds what the merchant has not been paid out: it runs short either
            // because racing refunds used this payment up, or because the money has left.
            Err(LedgerError::InsufficientFunds(_)) => {
                let now = store::by_id(&self.db, &payment.id).await?.ok_or(PaymentError::NotFound)?;
                if req.amount_minor > now.amount_minor - now.refunded_minor {
                    Err(PaymentError::Declined("refund_exceeds_payment"))
                } else {
                    Err(PaymentError::Declined("merchant_balance_insufficient"))
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Money first, then lite, then points: each part at most what it paid less what went back.
fn plan(p: &Payment, already: &Refunded, amount_minor: i64) -> Refunded {
    let money = amount_minor.min(p.money_minor - already.money_minor);
    let lite = (amount_minor - money).min(p.lite_minor - already.lite_minor);
    let points = amount_minor - money - lite;
    debug_assert!(points <= p.points_minor - already.points_minor, "checked against the payment's total");
    Refunded { points_minor: points, lite_minor: lite, money_minor: money }
}

fn check(req: &RefundRequest) -> Result<(), PaymentError> {
    let invalid = |code, param, message: &str| PaymentError::Invalid { code, message: message.into(), param };
    if !(1..=crate::risk::RiskConfig::default().per_payment_limit_minor).contains(&req.amount_minor) {
        return Err(invalid("amount_invalid", "amount_minor", "the amount is 1 to 1,000,000 yen"));
    }
    let key_ok = (8..=64).contains(&req.refund_key.len())
        && req.refund_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !key_ok {
        return Err(invalid("refund_key_invalid", "refund_key", "refund_key is 8 to 64 of [A-Za-z0-9_-]"));
    }
    if req.reason.chars().count() > 200 || req.reason.chars().any(crate::identity::types::is_hidden) {
        return Err(invalid("reason_invalid", "reason", "the reason is up to 200 visible characters"));
    }
    Ok(())
}
