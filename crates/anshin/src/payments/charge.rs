//! A customer-presented payment: the POS sends the customer's one-time code and the amount. The
//! code must be one of a live device, made with its secret, at most `CODE_TTL_SECS` old, with a
//! counter above any used; the decision point must allow it; then one ledger command moves the
//! money (points, then lite, then money, to the merchant's receivable) and, in the same
//! transaction, writes the payment row, moves the device's counter on (refusing a code older
//! than one used) and queues the customer's notice. The command's key is the code itself, so a
//! code pays once however many tills send it at once; the same till sending it again gets the
//! same payment back. What every payment shares (decision, split, journal) is in `sale`.

use serde::Deserialize;

use super::codes;
use super::pos::PosCaller;
use super::sale::{Payer, Sale, Submitted};
use super::store::{self, Payment};
use super::{CODE_FUTURE_SKEW_SECS, CODE_TTL_SECS, PaymentError, Payments, SPLIT_ATTEMPTS};
use crate::storage::now_ms;
use crate::wallets::{Balances, WalletAccounts};

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

/// The customer's code being paid with: its live device, its counter and the ledger key it makes.
#[derive(Clone, Copy)]
struct TheCode<'a> {
    device: &'a store::LiveDevice,
    counter: i64,
    ledger_key: &'a str,
}

/// Between `try_charge` and its caller only: the payment's transaction found the POS context
/// changed (`store::pos_still_accepting`).
const POS_CHANGED: &str = "pos_changed";

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
        let mut pos = std::borrow::Cow::Borrowed(pos);
        for attempt in 0..SPLIT_ATTEMPTS {
            // The balances read with the device plan the first attempt; a retry (they moved)
            // reads them again.
            let wallet = if attempt == 0 { device.wallet.clone() } else { None };
            let code = TheCode { device: &device, counter: claims.counter, ledger_key: &ledger_key };
            match self.try_charge(&pos, req, &code, wallet, request_id).await {
                Err(PaymentError::Declined("retry")) => continue,
                // The key, merchant, store or fee changed since the context was read (moments
                // ago, `merchants::pos_cache`): as the database has it now, once.
                Err(PaymentError::Declined(POS_CHANGED)) if matches!(pos, std::borrow::Cow::Borrowed(_)) => {
                    pos = std::borrow::Cow::Owned(self.refreshed_pos(&pos).await?);
                }
                Err(PaymentError::Declined(POS_CHANGED)) => return Err(PaymentError::NotAccepting),
                other => return other,
            }
        }
        Err(PaymentError::Declined("insufficient_funds"))
    }

    /// One attempt: decide, plan the split from the balances now, submit (`sale`), with the
    /// device's counter and the request's nonce written in the same transaction.
    async fn try_charge(
        &self,
        pos: &PosCaller,
        req: &ChargeRequest,
        code: &TheCode<'_>,
        wallet: Option<(WalletAccounts, Balances)>,
        request_id: &str,
    ) -> Result<Payment, PaymentError> {
        let TheCode { device, counter, ledger_key } = *code;
        let now = now_ms();
        let sale = Sale {
            payer: Payer {
                user_id: &device.user_id,
                email: &device.email,
                locale: &device.locale,
                money_out_blocked_until_ms: device.money_out_blocked_until_ms,
            },
            merchant: &pos.merchant,
            store: &pos.store,
            terminal_id: &req.terminal_id,
            amount_minor: req.amount_minor,
            reference: &req.reference,
            method: "customer_presented",
            pos_key_id: &pos.key.id,
            actor: &pos.key.id,
            ledger_key,
            request_id,
            effects: [
                Some(store::advance_counter(&device.id, counter)),
                pos.unspent_nonce.as_deref().map(|n| store::spend_nonce_with(&pos.key.id, n, now)),
            ]
            .into_iter()
            .flatten()
            .collect(),
            wallet,
            pos: pos.signed.then_some(pos),
        };
        match self.submit_sale(sale).await? {
            Submitted::Fresh(payment) => Ok(*payment),
            Submitted::Retry => Err(PaymentError::Declined("retry")),
            Submitted::Refused("nonce_reused") => Err(PaymentError::PosUnauthenticated("nonce_reused")),
            Submitted::Refused("pos_not_accepting") => Err(PaymentError::Declined(POS_CHANGED)),
            Submitted::Refused(_) | Submitted::AlreadyMade => self.same_sale_or_used(ledger_key, pos, req).await,
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
    check_sale(&req.currency, req.amount_minor, &req.terminal_id, &req.reference, limit_minor)?;
    if req.customer_code.is_empty() || req.customer_code.len() > MAX_CODE_CHARS {
        return Err(PaymentError::Invalid {
            code: "customer_code_invalid",
            message: "that is not a customer code".into(),
            param: "customer_code",
        });
    }
    Ok(())
}

/// What every sale a till starts must say: yen, an amount within the limit, a till, a reference.
pub(super) fn check_sale(
    currency: &str,
    amount_minor: i64,
    terminal_id: &str,
    reference: &str,
    limit_minor: i64,
) -> Result<(), PaymentError> {
    let invalid = |code, param, message: String| PaymentError::Invalid { code, message, param };
    if currency != "JPY" {
        return Err(invalid("currency_invalid", "currency", "payments are in JPY".into()));
    }
    if !(1..=limit_minor).contains(&amount_minor) {
        return Err(invalid("amount_invalid", "amount_minor", format!("the amount is 1 to {limit_minor} yen")));
    }
    let terminal_ok = (1..=64).contains(&terminal_id.len())
        && terminal_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !terminal_ok {
        return Err(invalid("terminal_id_invalid", "terminal_id", "terminal_id is 1 to 64 of [A-Za-z0-9_-]".into()));
    }
    if reference.chars().count() > 64 || reference.chars().any(crate::identity::types::is_hidden) {
        return Err(invalid("reference_invalid", "reference", "the reference is up to 64 visible characters".into()));
    }
    Ok(())
}
