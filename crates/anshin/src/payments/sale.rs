//! The part every payment shares, whoever presented the code: ask the decision point, plan the
//! split (points, then lite, then money), and submit one ledger command that moves the money to
//! the merchant's receivable (or to suspense while held or challenged) and writes, in the same
//! transaction, the payment row, the flow's own rows (`effects`) and the customer's notice. The
//! flows (`charge` for customer-presented codes, `mpm` for merchant-presented ones) say what is
//! being paid and what else must commit with it; the rules live here once.

use sha2::{Digest, Sha256};

use super::fees::fee_and_tax;
use super::store::{self, Payment};
use super::{PaymentError, Payments};
use crate::ledger::{AccountKind, Command, Currency, Effect, LedgerError, Origin, Posting, Request};
use crate::merchants::{Merchant, Store};
use crate::risk::{self, Decision, PaymentFacts};
use crate::storage::now_ms;
use crate::wallets::{Balances, Split, WalletAccounts};

/// Who pays: the wallet's owner, with what the decision point and the notice need.
pub(super) struct Payer<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub locale: &'a str,
    pub money_out_blocked_until_ms: i64,
}

/// One sale to submit.
pub(super) struct Sale<'a> {
    pub payer: Payer<'a>,
    pub merchant: &'a Merchant,
    pub store: &'a Store,
    pub terminal_id: &'a str,
    pub amount_minor: i64,
    pub reference: &'a str,
    /// `customer_presented` or `merchant_presented`.
    pub method: &'static str,
    /// Stored with the payment: the POS key that took it (or asked for the code), if any.
    pub pos_key_id: &'a str,
    /// Who asked, for the journal's audit record.
    pub actor: &'a str,
    /// The ledger command's key: one key, one payment.
    pub ledger_key: &'a str,
    pub request_id: &'a str,
    /// The flow's own rows, written before the payment row, each able to refuse the command.
    pub effects: Vec<Effect>,
    /// The payer's accounts and balances when the flow has just read them (with the device);
    /// otherwise they are read here.
    pub wallet: Option<(WalletAccounts, Balances)>,
    /// The signed POS request that takes it, checked again in the payment's transaction (and
    /// whose read brought the merchant's webhook endpoints).
    pub pos: Option<&'a super::PosCaller>,
}

/// How one submission ended, short of an error the flow passes on as it is.
pub(super) enum Submitted {
    /// Written now, as built.
    Fresh(Box<Payment>),
    /// The ledger already had this key: the payment made with it before (or a conflicting one).
    AlreadyMade,
    /// A flow's effect refused the command (its `refusal`).
    Refused(&'static str),
    /// The balances changed under the plan: plan again.
    Retry,
}

impl Payments {
    /// Decide, split and submit `sale` once.
    pub(super) async fn submit_sale(&self, sale: Sale<'_>) -> Result<Submitted, PaymentError> {
        let now = now_ms();
        let (accounts, available) = match sale.wallet {
            Some(known) => known,
            None => {
                let accounts = self.wallets.accounts(sale.payer.user_id).await?;
                let available = self.wallets.balances(&accounts).await?;
                (accounts, available)
            }
        };
        let facts = PaymentFacts {
            amount_minor: sale.amount_minor,
            available_minor: available.total_minor,
            money_out_blocked_until_ms: sale.payer.money_out_blocked_until_ms,
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
        let split = Split::spend(sale.amount_minor, &available).ok_or(PaymentError::Declined("insufficient_funds"))?;
        let credit = match credit_kind {
            None => sale.merchant.receivable_account_id.clone(),
            Some(kind) => self.ledger.system_account(kind, &Currency::jpy()).await?,
        };
        let (fee_minor, fee_tax_minor) = fee_and_tax(sale.amount_minor, sale.merchant.fee_rate_bp);
        let payment = Payment {
            id: payment_id(sale.ledger_key),
            merchant_id: sale.merchant.id.clone(),
            store_id: sale.store.id.clone(),
            terminal_id: sale.terminal_id.to_owned(),
            customer_user_id: sale.payer.user_id.to_owned(),
            method: sale.method.into(),
            amount_minor: sale.amount_minor,
            points_minor: split.points_minor,
            lite_minor: split.lite_minor,
            money_minor: split.money_minor,
            fee_minor,
            fee_tax_minor,
            status: status.into(),
            decision: decision.name().into(),
            decision_reason: decision.reason().into(),
            confirmation_code: confirmation_code(),
            reference: sale.reference.to_owned(),
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
        postings.push(Posting { account_id: credit, currency: jpy, amount_minor: sale.amount_minor });
        let amount = crate::i18n::yen(sale.amount_minor);
        // A payment that waits is not "made": the customer is asked (or told it is checked).
        let template = match status {
            "succeeded" => "payment-made",
            "held" => "payment-held",
            _ => "payment-waiting",
        };
        let notice = crate::i18n::email(
            sale.payer.email,
            sale.payer.locale,
            template,
            &[
                ("amount", amount.as_str().into()),
                ("store", sale.store.name.as_str().into()),
                ("merchant", sale.merchant.legal_name.as_str().into()),
                ("code", payment.confirmation_code.as_str().into()),
            ],
        );
        let mut effects = sale.effects;
        effects.push(store::insert_payment(&payment, sale.pos_key_id, sale.ledger_key, now));
        if let Some(pos) = sale.pos {
            effects.push(store::pos_still_accepting(&payment.id, pos));
        }
        // Merchant events hook (payments/events.rs): the event row and its webhook deliveries
        // commit with this journal, after the payment row.
        let known_endpoints = sale.pos.and_then(|pos| pos.webhook_endpoint_ids.as_deref());
        let change = super::events::Change::Status;
        effects.extend(super::events::effects(&self.db, &self.keys, &payment, change, known_endpoints).await?);
        let request = Request {
            // The command names the sale (payment, store, amount) and not the attempt, so the
            // same sale sent again replays, and another sale under the same key conflicts.
            command: Command::Post {
                key: sale.ledger_key.to_owned(),
                kind: "payment".into(),
                description: format!("{} {} {}", payment.id, sale.store.id, sale.amount_minor),
                postings,
            },
            origin: Origin { actor: sale.actor.to_owned(), request_id: sale.request_id.to_owned() },
            notify: vec![notice],
            effects,
        };
        match self.ledger.submit(request).await {
            Ok(receipt) if !receipt.replayed => Ok(Submitted::Fresh(Box::new(payment))),
            Ok(_) | Err(LedgerError::IdempotencyConflict(_)) => Ok(Submitted::AlreadyMade),
            Err(LedgerError::InsufficientFunds(_)) => Ok(Submitted::Retry),
            Err(LedgerError::EffectRefused(r)) => Ok(Submitted::Refused(r)),
            Err(e) => Err(e.into()),
        }
    }
}

/// The payment's id follows from its ledger key, so every attempt at one sale names one payment.
pub(super) fn payment_id(ledger_key: &str) -> String {
    format!("pay_{}", &hex::encode(Sha256::digest(ledger_key.as_bytes()))[..26])
}

/// Six characters a cashier can read at a glance (no 0/O, 1/I/L).
fn confirmation_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..6).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}
