//! Payments that wait for someone: a challenged payment (`requires_confirmation`) waits for its
//! customer's second factor, a held one (`held`) for an analyst. Their money has left the wallet
//! and sits in Suspense; it has not reached the merchant.
//!
//! Every way out is one journal from Suspense, keyed by the payment (`pending:{id}`), whose status
//! change is a conditional effect (`held`/`requires_confirmation` → the new status): whoever comes
//! first (the customer confirming or declining, the till canceling, an analyst releasing or
//! voiding, or the expiry sweep) decides, and every later attempt finds the payment decided and
//! moves nothing. Capturing sends the money on to the merchant's receivable; every other way out
//! gives each part back to the wallet part it came from.
//!
//! A customer's confirmation is bound to its payment: the challenge is started for this payment
//! (`payment_confirmations` remembers which challenge), and the journal that captures needs that
//! very challenge completed in this session and spends the session's `confirm_payment` grant, so
//! a factor given for one payment never approves another.

use serde::{Deserialize, Serialize};

use super::pos::PosCaller;
use super::store::{self, Payment};
use super::store_pending;
use super::{PaymentError, Payments};
use crate::identity::{Client, LoginChallenge, Principal, StepUpAction};
use crate::ledger::{AccountKind, Command, Currency, LedgerError, Origin, Posting, Request};
use crate::storage::now_ms;

/// How a waiting payment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The customer gave the second factor: the merchant is paid.
    Confirmed,
    /// An analyst looked and let it through: the merchant is paid.
    Released,
    /// The customer said no, or the till gave up on it: the wallet gets it back.
    Canceled,
    /// An analyst stopped it, or nobody decided in time: the wallet gets it back.
    Voided,
}

impl Exit {
    fn status(self) -> &'static str {
        match self {
            Exit::Confirmed | Exit::Released => "succeeded",
            Exit::Canceled => "canceled",
            Exit::Voided => "voided",
        }
    }
    fn captures(self) -> bool {
        matches!(self, Exit::Confirmed | Exit::Released)
    }
}

/// An analyst's decision on a held payment.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalystDecision {
    /// `release` (pay the merchant) or `void` (give it back to the customer).
    #[schema(pattern = "^(release|void)$")]
    pub decision: String,
    /// Why, kept in the audit record.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

/// A till gives up on a waiting payment or on an open payment request: `{}`, or why (kept in the
/// audit record; not shown to the customer).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Why, up to 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reason: String,
}

/// A held or challenged payment, as the ops console lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaitingPayment {
    #[serde(flatten)]
    pub payment: Payment,
    /// When it is voided if nobody decides (UTC ms).
    pub expires_at_ms: i64,
}

impl Payments {
    /// The customer asks to confirm a challenged payment: a step-up challenge for
    /// `confirm_payment`, remembered as this payment's.
    pub async fn start_confirmation(
        &self,
        who: &Principal,
        payment_id: &str,
        client: &Client,
    ) -> Result<LoginChallenge, PaymentError> {
        let payment = self.own_waiting(who, payment_id, "requires_confirmation").await?;
        let identity = self.merchants.identity();
        let challenge = identity.start_step_up(who, StepUpAction::ConfirmPayment, client).await?;
        store_pending::bind_confirmation(&self.db, &payment.id, &challenge.challenge_id, &who.session_id, now_ms())
            .await?;
        Ok(challenge)
    }

    /// The customer confirms (after completing the challenge with `POST /v1/me/step-up/{id}`)
    /// or declines their challenged payment.
    pub async fn customer_decides(
        &self,
        who: &Principal,
        payment_id: &str,
        confirm: bool,
        request_id: &str,
    ) -> Result<Payment, PaymentError> {
        let own = store::by_id(&self.db, payment_id).await?.filter(|p| p.customer_user_id == who.user_id);
        // The same decision sent again answers the same.
        let target = if confirm { Exit::Confirmed } else { Exit::Canceled };
        if let Some(done) = own.filter(|p| p.status == target.status()) {
            return Ok(done);
        }
        let payment = self.own_waiting(who, payment_id, "requires_confirmation").await?;
        let (exit, effects) = if confirm {
            let identity = self.merchants.identity();
            let bound = store_pending::spend_confirmation(&payment.id, &who.session_id, now_ms());
            (Exit::Confirmed, vec![bound, identity.grant_effect(who, StepUpAction::ConfirmPayment)])
        } else {
            (Exit::Canceled, vec![])
        };
        self.exit(&payment, exit, &who.user_id, request_id, effects).await
    }

    /// The till that took a payment gives up on it while it waits (the customer walked away).
    pub async fn pos_cancel(
        &self,
        pos: &PosCaller,
        payment_id: &str,
        req: &CancelRequest,
        request_id: &str,
    ) -> Result<Payment, PaymentError> {
        if req.reason.chars().count() > 200 || req.reason.chars().any(crate::identity::types::is_hidden) {
            return Err(invalid("reason_invalid", "reason", "the reason is up to 200 visible characters"));
        }
        let payment = self.payment_for_pos(pos, payment_id).await?;
        if payment.status == Exit::Canceled.status() {
            return Ok(payment);
        }
        if !is_waiting(&payment.status) {
            return Err(PaymentError::Declined("not_pending"));
        }
        self.exit(&payment, Exit::Canceled, &pos.key.id, request_id, vec![]).await
    }

    /// Held and challenged payments, oldest first, for the analysts' queue.
    pub async fn waiting_payments(&self, who: &Principal, limit: i64) -> Result<Vec<WaitingPayment>, PaymentError> {
        require_analyst(who)?;
        let rows = store_pending::waiting(&self.db, limit.clamp(1, super::MAX_PAYMENT_PAGE)).await?;
        Ok(rows.into_iter().map(|p| WaitingPayment { expires_at_ms: self.expires_at_ms(&p), payment: p }).collect())
    }

    /// An analyst (an operator with the `analyst` or `admin` role) releases or voids a held
    /// payment; the reason goes into the audit record with the journal.
    pub async fn analyst_decides(
        &self,
        who: &Principal,
        payment_id: &str,
        decision: &AnalystDecision,
        request_id: &str,
    ) -> Result<Payment, PaymentError> {
        require_analyst(who)?;
        let exit = match decision.decision.as_str() {
            "release" => Exit::Released,
            "void" => Exit::Voided,
            _ => return Err(invalid("decision_invalid", "decision", "the decision is release or void")),
        };
        let reason = decision.reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(crate::identity::types::is_hidden) {
            return Err(invalid("reason_invalid", "reason", "say why, in up to 200 visible characters"));
        }
        let payment = store::by_id(&self.db, payment_id).await?.ok_or(PaymentError::NotFound)?;
        if payment.status != "held" {
            return Err(PaymentError::Declined("not_pending"));
        }
        let actor = format!("{} ({reason})", who.user_id);
        self.exit(&payment, exit, &actor, request_id, vec![]).await
    }

    /// Voids what waited too long: challenged payments after `confirmation_ttl_secs`, held ones
    /// after `hold_ttl_secs`. Returns how many it voided.
    pub async fn expire_waiting(&self) -> Result<u64, PaymentError> {
        let now = now_ms();
        let risk = &self.config.risk;
        let due = store_pending::due(
            &self.db,
            now - risk.confirmation_ttl_secs * 1000,
            now - risk.hold_ttl_secs * 1000,
            super::MAX_PAYMENT_PAGE,
        )
        .await?;
        let mut voided = 0;
        for payment in due {
            match self.exit(&payment, Exit::Voided, "system:expiry", "sweep", vec![]).await {
                Ok(_) => voided += 1,
                // Someone decided it a moment ago.
                Err(PaymentError::Declined("not_pending")) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(voided)
    }

    fn expires_at_ms(&self, p: &Payment) -> i64 {
        let ttl_secs =
            if p.status == "held" { self.config.risk.hold_ttl_secs } else { self.config.risk.confirmation_ttl_secs };
        p.created_at_ms + ttl_secs * 1000
    }

    async fn own_waiting(&self, who: &Principal, payment_id: &str, status: &str) -> Result<Payment, PaymentError> {
        let payment = store::by_id(&self.db, payment_id).await?.filter(|p| p.customer_user_id == who.user_id);
        let payment = payment.ok_or(PaymentError::NotFound)?;
        if payment.status != status || self.expires_at_ms(&payment) <= now_ms() {
            return Err(PaymentError::Declined("not_pending"));
        }
        Ok(payment)
    }

    /// The one way out: a journal from Suspense with the status change as its condition.
    async fn exit(
        &self,
        payment: &Payment,
        exit: Exit,
        actor: &str,
        request_id: &str,
        mut effects: Vec<crate::ledger::Effect>,
    ) -> Result<Payment, PaymentError> {
        let now = now_ms();
        let jpy = Currency::jpy();
        let suspense = self.ledger.system_account(AccountKind::Suspense, &jpy).await?;
        let mut postings =
            vec![Posting { account_id: suspense, currency: jpy.clone(), amount_minor: -payment.amount_minor }];
        if exit.captures() {
            let merchant = crate::merchants::store::merchant_by_id(&self.db, &payment.merchant_id).await?;
            let receivable = merchant.ok_or(PaymentError::NotFound)?.receivable_account_id;
            postings.push(Posting { account_id: receivable, currency: jpy, amount_minor: payment.amount_minor });
        } else {
            let accounts = self.wallets.accounts(&payment.customer_user_id).await?;
            for (account, amount) in [
                (&accounts.points, payment.points_minor),
                (&accounts.lite, payment.lite_minor),
                (&accounts.money, payment.money_minor),
            ] {
                if amount > 0 {
                    postings.push(Posting { account_id: account.clone(), currency: jpy.clone(), amount_minor: amount });
                }
            }
        }
        effects.insert(0, store_pending::leave_waiting(&payment.id, exit.status(), now));
        // Merchant events hook (payments/events.rs): the new status, after the change it reads.
        let after = Payment { status: exit.status().into(), ..payment.clone() };
        effects
            .extend(super::events::effects(&self.db, &self.keys, &after, super::events::Change::Status, None).await?);
        let customer = crate::identity::store::users::by_id(&self.db, &payment.customer_user_id).await?;
        let notice = crate::i18n::email(
            &customer.email,
            &customer.locale,
            if exit.captures() { "payment-completed" } else { "payment-returned" },
            &[
                ("amount", crate::i18n::yen(payment.amount_minor).into()),
                ("code", payment.confirmation_code.as_str().into()),
            ],
        );
        let request = Request {
            command: Command::Post {
                key: format!("pending:{}", payment.id),
                kind: if exit.captures() { "payment_capture".into() } else { "payment_return".into() },
                description: format!("{} {} {}", payment.id, exit.status(), payment.amount_minor),
                postings,
            },
            origin: Origin { actor: actor.to_owned(), request_id: request_id.to_owned() },
            notify: vec![notice],
            effects,
        };
        match self.ledger.submit(request).await {
            Ok(_) => {}
            Err(LedgerError::EffectRefused("step_up_required" | "confirmation_required")) => {
                return Err(PaymentError::Identity(crate::identity::IdentityError::StepUpRequired));
            }
            // Decided a moment ago, by someone else or by this same exit sent twice.
            Err(LedgerError::EffectRefused(_) | LedgerError::IdempotencyConflict(_)) => {
                let now = store::by_id(&self.db, &payment.id).await?.ok_or(PaymentError::NotFound)?;
                if now.status == exit.status() {
                    return Ok(now);
                }
                return Err(PaymentError::Declined("not_pending"));
            }
            Err(e) => return Err(e.into()),
        }
        store::by_id(&self.db, &payment.id).await?.ok_or(PaymentError::NotFound)
    }
}

fn is_waiting(status: &str) -> bool {
    matches!(status, "held" | "requires_confirmation")
}

fn require_analyst(who: &Principal) -> Result<(), PaymentError> {
    let analyst = who.kind == crate::identity::AccountKind::Operator
        && who.is_full()
        && matches!(who.role.as_str(), "analyst" | "admin");
    if analyst { Ok(()) } else { Err(PaymentError::NotFound) }
}

fn invalid(code: &'static str, param: &'static str, message: &str) -> PaymentError {
    PaymentError::Invalid { code, message: message.into(), param }
}
