//! A customer-presented payment: the POS sends the customer's one-time code and the amount. The
//! code must be one of a live device, made with its secret, at most `CODE_TTL_SECS` old, with a
//! counter above any used; the decision point must allow it; then one ledger command moves the
//! money (points, then lite, then money, to the merchant's receivable) and, in the same
//! transaction, writes the payment row, moves the device's counter on (refusing a code older
//! than one used) and queues the customer's notice. The command's key is the code itself, so a
//! code pays once however many tills send it at once; the same till sending it again gets the
//! same payment back.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::codes;
use super::fees::fee_and_tax;
use super::pos::PosCaller;
use super::store::{self, Payment};
use super::{CODE_FUTURE_SKEW_SECS, CODE_TTL_SECS, PaymentError, Payments, SPLIT_ATTEMPTS};
use crate::ledger::{AccountKind, Command, Currency, LedgerError, Origin, Posting, Request};
use crate::risk::{self, Decision, PaymentFacts};
use crate::storage::now_ms;
use crate::wallets::Split;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeRequest {
    /// The code the customer shows: the QR payload (base64) or the numeric form.
    #[schema(min_length = 1, max_length = 512)]
    pub customer_code: String,
    /// In yen.
    #[schema(minimum = 1, maximum = 1000000)]
    pub amount_minor: i64,
    /// `JPY`.
    #[schema(pattern = "^JPY$")]
    pub currency: String,
    /// Which till (letters, digits, `-` and `_`).
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub terminal_id: String,
    /// The merchant's own reference for the sale (an order number), up to 64 characters.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub reference: String,
}

/// The largest code accepted (a CPM code of ours is about 80 characters).
const MAX_CODE_CHARS: usize = 512;

impl Payments {
    pub async fn charge_customer_code(
        &self,
        pos: &PosCaller,
        req: &ChargeRequest,
        request_id: &str,
    ) -> Result<Payment, PaymentError> {
        check_request(req, self.config.risk.per_payment_limit_minor)?;
        let now = now_ms();
        let claims =
            codes::parse(&req.customer_code, now / 1000).map_err(|_| PaymentError::CodeRefused("code_invalid"))?;
        // One answer for a code that names no live device and for one that is forged: nobody
        // learns which device numbers exist.
        let device = store::live_device(&self.db, claims.device_number, now)
            .await?
            .ok_or(PaymentError::CodeRefused("code_invalid"))?;
        if !claims.matches(&self.device_secret(&device)?) {
            return Err(PaymentError::CodeRefused("code_invalid"));
        }
        let age_secs = now / 1000 - claims.time_secs;
        if age_secs > CODE_TTL_SECS {
            return Err(PaymentError::CodeRefused("code_expired"));
        }
        if age_secs < -CODE_FUTURE_SKEW_SECS {
            return Err(PaymentError::CodeRefused("code_invalid"));
        }
        let ledger_key = format!("cpm:{}:{}", device.id, claims.counter);
        if claims.counter <= device.last_counter {
            // A till's retry: answered from what is stored, and its nonce spent now, since no
            // journal will carry it.
            if let Some(nonce) = &pos.unspent_nonce
                && !store::spend_nonce(&self.db, &pos.key.id, nonce, now).await?
            {
                return Err(PaymentError::PosUnauthenticated("nonce_reused"));
            }
            return self.same_sale_or_used(&ledger_key, pos, req).await;
        }
        for _ in 0..SPLIT_ATTEMPTS {
            match self.try_charge(pos, req, &device, claims.counter, &ledger_key, request_id).await {
                Err(PaymentError::Declined("retry")) => continue,
                other => return other,
            }
        }
        Err(PaymentError::Declined("insufficient_funds"))
    }

    /// One attempt: decide, plan the split from the balances now, submit.
    async fn try_charge(
        &self,
        pos: &PosCaller,
        req: &ChargeRequest,
        device: &store::LiveDevice,
        counter: i64,
        ledger_key: &str,
        request_id: &str,
    ) -> Result<Payment, PaymentError> {
        let now = now_ms();
        let accounts = self.wallets.accounts(&device.user_id).await?;
        let available = self.wallets.balances(&accounts).await?;
        let facts = PaymentFacts {
            amount_minor: req.amount_minor,
            available_minor: available.total_minor,
            money_out_blocked_until_ms: device.money_out_blocked_until_ms,
            now_ms: now,
        };
        let decision = risk::decide_payment(&self.config.risk, &facts);
        let (status, credit_kind) = match decision {
            Decision::Deny(reason) => return Err(PaymentError::Declined(reason)),
            Decision::Allow => ("succeeded", None),
            // Held and challenged payments wait in suspense until an analyst or the customer
            // decides: the money has left the wallet but has not reached the merchant.
            Decision::Hold(_) => ("held", Some(AccountKind::Suspense)),
            Decision::Challenge(_) => ("requires_confirmation", Some(AccountKind::Suspense)),
        };
        let split = Split::spend(req.amount_minor, &available).ok_or(PaymentError::Declined("insufficient_funds"))?;
        let credit = match credit_kind {
            None => pos.merchant.receivable_account_id.clone(),
            Some(kind) => self.ledger.system_account(kind, &Currency::jpy()).await?,
        };
        let (fee_minor, fee_tax_minor) = fee_and_tax(req.amount_minor, pos.merchant.fee_rate_bp);
        let payment = Payment {
            id: payment_id(ledger_key),
            merchant_id: pos.merchant.id.clone(),
            store_id: pos.store.id.clone(),
            terminal_id: req.terminal_id.clone(),
            customer_user_id: device.user_id.clone(),
            method: "customer_presented".into(),
            amount_minor: req.amount_minor,
            points_minor: split.points_minor,
            lite_minor: split.lite_minor,
            money_minor: split.money_minor,
            fee_minor,
            fee_tax_minor,
            status: status.into(),
            decision: decision.name().into(),
            decision_reason: decision.reason().into(),
            confirmation_code: confirmation_code(),
            reference: req.reference.clone(),
            refunded_minor: 0,
            created_at_ms: now,
        };
        let jpy = Currency::jpy();
        let mut postings: Vec<Posting> = [
            (&accounts.points, split.points_minor),
            (&accounts.lite, split.lite_minor),
            (&accounts.money, split.money_minor),
        ]
        .into_iter()
        .filter(|(_, amount)| *amount > 0)
        .map(|(account, amount)| Posting { account_id: account.clone(), currency: jpy.clone(), amount_minor: -amount })
        .collect();
        postings.push(Posting { account_id: credit, currency: jpy, amount_minor: req.amount_minor });
        let amount = crate::i18n::yen(req.amount_minor);
        // A payment that waits is not "made": the customer is asked (or told it waits).
        let template = match status {
            "succeeded" => "payment-made",
            "held" => "payment-held",
            _ => "payment-waiting",
        };
        let notice = crate::i18n::email(
            &device.email,
            &device.locale,
            template,
            &[
                ("amount", amount.as_str().into()),
                ("store", pos.store.name.as_str().into()),
                ("merchant", pos.merchant.legal_name.as_str().into()),
                ("code", payment.confirmation_code.as_str().into()),
            ],
        );
        // Merchant events hook (payments/events.rs): the event row and its webhook deliveries
        // commit with this journal, after the payment row.
        let events = super::events::effects(&self.db, &self.keys, &payment, super::events::Change::Status).await?;
        let request = Request {
            // The command names the sale (merchant, store, amount) and not the attempt, so the
            // same code sent again for the same sale replays, and for another sale conflicts.
            command: Command::Post {
                key: ledger_key.to_owned(),
                kind: "payment".into(),
                description: format!("{} {} {}", payment.id, pos.store.id, req.amount_minor),
                postings,
            },
            origin: Origin { actor: pos.key.id.clone(), request_id: request_id.to_owned() },
            notify: vec![notice],
            effects: [
                Some(store::advance_counter(&device.id, counter)),
                pos.unspent_nonce.as_deref().map(|n| store::spend_nonce_with(&pos.key.id, n, now)),
                Some(store::insert_payment(&payment, &pos.key.id, ledger_key, now)),
            ]
            .into_iter()
            .flatten()
            .chain(events)
            .collect(),
        };
        match self.ledger.submit(request).await {
            // Just written as built here: no need to read it back.
            Ok(receipt) if !receipt.replayed => Ok(payment),
            Ok(_) => self.same_sale_or_used(ledger_key, pos, req).await,
            Err(LedgerError::InsufficientFunds(_)) => Err(PaymentError::Declined("retry")),
            Err(LedgerError::EffectRefused(r)) if r == "nonce_reused" => {
                Err(PaymentError::PosUnauthenticated("nonce_reused"))
            }
            Err(LedgerError::EffectRefused(_) | LedgerError::IdempotencyConflict(_)) => {
                self.same_sale_or_used(ledger_key, pos, req).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The payment this code made, if it is this sale (the same merchant, store and amount): a
    /// till's retry gets the same answer. Anything else means the code was used.
    async fn same_sale_or_used(
        &self,
        ledger_key: &str,
        pos: &PosCaller,
        req: &ChargeRequest,
    ) -> Result<Payment, PaymentError> {
        match store::by_ledger_key(&self.db, ledger_key).await? {
            Some(p) if p.store_id == pos.store.id && p.amount_minor == req.amount_minor => Ok(p),
            _ => Err(PaymentError::CodeRefused("code_used")),
        }
    }

    /// A POS reads a payment of its own merchant (anything else is "not found").
    pub async fn payment_for_pos(&self, pos: &PosCaller, id: &str) -> Result<Payment, PaymentError> {
        match store::by_id(&self.db, id).await? {
            Some(p) if p.merchant_id == pos.merchant.id => Ok(p),
            _ => Err(PaymentError::NotFound),
        }
    }
}

fn check_request(req: &ChargeRequest, limit_minor: i64) -> Result<(), PaymentError> {
    let invalid = |code, param, message: String| PaymentError::Invalid { code, message, param };
    if req.currency != "JPY" {
        return Err(invalid("currency_invalid", "currency", "payments are in JPY".into()));
    }
    if !(1..=limit_minor).contains(&req.amount_minor) {
        return Err(invalid("amount_invalid", "amount_minor", format!("the amount is 1 to {limit_minor} yen")));
    }
    let terminal_ok = (1..=64).contains(&req.terminal_id.len())
        && req.terminal_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !terminal_ok {
        return Err(invalid("terminal_id_invalid", "terminal_id", "terminal_id is 1 to 64 of [A-Za-z0-9_-]".into()));
    }
    if req.reference.chars().count() > 64 || req.reference.chars().any(crate::identity::types::is_hidden) {
        return Err(invalid("reference_invalid", "reference", "the reference is up to 64 visible characters".into()));
    }
    if req.customer_code.is_empty() || req.customer_code.len() > MAX_CODE_CHARS {
        return Err(invalid("customer_code_invalid", "customer_code", "that is not a customer code".into()));
    }
    Ok(())
}

/// The payment's id follows from its code, so every attempt with one code names one payment.
fn payment_id(ledger_key: &str) -> String {
    format!("pay_{}", &hex::encode(Sha256::digest(ledger_key.as_bytes()))[..26])
}

/// Six characters a cashier can read at a glance (no 0/O, 1/I/L).
fn confirmation_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..6).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}
