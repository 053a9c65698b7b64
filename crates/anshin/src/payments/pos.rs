//! Signed POS requests. A POS signs each request with its key's secret: HMAC-SHA-256 over
//! `METHOD\nPATH\nTIMESTAMP\nNONCE\nhex(SHA-256(body))` (`merchants::credentials::pos_signature`,
//! described for integrators in docs/POS-API.md), sent as `Anshin-Key`, `Anshin-Timestamp`,
//! `Anshin-Nonce` and `Anshin-Signature`. A timestamp more than `POS_CLOCK_SKEW_SECS` away, a
//! nonce this key has used, a wrong signature, or a revoked key is refused; so is a request for
//! a merchant that is not active or a store that is closed.

use super::store;
use super::{POS_CLOCK_SKEW_SECS, PaymentError, Payments};
use crate::merchants::credentials::PosContext;
use crate::merchants::{Merchant, MerchantStatus, PosKey, Store, verify_pos_signature};
use crate::storage::now_ms;

/// The four signature headers of a POS request, as received.
#[derive(Debug, Clone)]
pub struct PosSignature {
    pub key_id: String,
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
}

/// An authenticated POS: its key, merchant and store.
#[derive(Debug, Clone)]
pub struct PosCaller {
    pub key: PosKey,
    pub merchant: Merchant,
    pub store: Store,
    /// A nonce still to be spent: a payment spends it in its own transaction (group-committed
    /// with the journal instead of a durable write of its own).
    pub unspent_nonce: Option<String>,
    /// The merchant's enabled webhook endpoints, read with the key (`None`: not read yet).
    pub webhook_endpoint_ids: Option<Vec<String>>,
    /// A signed request under a POS key (not the till page): its payment's transaction checks
    /// that the key, merchant and store still take payments.
    pub signed: bool,
}

/// When a request's nonce is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceSpending {
    /// Now, in a write of its own (reads, and anything without a journal).
    Now,
    /// With the payment the request makes (`store::spend_nonce_with`); refused now if already seen.
    WithThePayment,
}

/// Longest nonce accepted (and shortest: a nonce must be unguessable enough not to collide).
const NONCE_CHARS: std::ops::RangeInclusive<usize> = 16..=64;

impl Payments {
    pub async fn authenticate_pos(
        &self,
        sig: &PosSignature,
        method: &str,
        path: &str,
        body: &[u8],
        spending: NonceSpending,
    ) -> Result<PosCaller, PaymentError> {
        let nonce_ok = NONCE_CHARS.contains(&sig.nonce.len())
            && sig.nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !nonce_ok {
            return Err(PaymentError::PosUnauthenticated("nonce_invalid"));
        }
        let now = now_ms();
        let ts_secs: i64 = sig.timestamp.parse().map_err(|_| PaymentError::PosUnauthenticated("timestamp_invalid"))?;
        if (now / 1000 - ts_secs).abs() > POS_CLOCK_SKEW_SECS {
            return Err(PaymentError::PosUnauthenticated("timestamp_stale"));
        }
        // A payment may use the context read moments ago: its transaction checks again
        // (`store::pos_still_accepting`). Everything else reads it now.
        let recent_ok = spending == NonceSpending::WithThePayment;
        let context = self
            .merchants
            .pos_context(&sig.key_id, recent_ok)
            .await?
            .ok_or(PaymentError::PosUnauthenticated("signature_invalid"))?;
        if !verify_pos_signature(&context.secret, method, path, &sig.timestamp, &sig.nonce, body, &sig.signature) {
            return Err(PaymentError::PosUnauthenticated("signature_invalid"));
        }
        // Only a correctly signed request spends a nonce, so nobody else can burn a POS's nonces.
        // A payment's nonce is not looked up here: the payment's transaction spends it and is
        // refused if it was spent before (`spend_nonce_with`), and a till's retry of a payment
        // made spends it at once (`charge`), so a reused nonce never pays. One read fewer per sale.
        let fresh = match spending {
            NonceSpending::Now => store::spend_nonce(&self.db, &context.key.id, &sig.nonce, now).await?,
            NonceSpending::WithThePayment => true,
        };
        if !fresh {
            return Err(PaymentError::PosUnauthenticated("nonce_reused"));
        }
        let unspent_nonce = (spending == NonceSpending::WithThePayment).then(|| sig.nonce.clone());
        self.pos_caller(&context, unspent_nonce)
    }

    /// The caller a live POS context makes, if its merchant takes payments at its store.
    fn pos_caller(&self, context: &PosContext, unspent_nonce: Option<String>) -> Result<PosCaller, PaymentError> {
        if context.merchant.status != MerchantStatus::Active || context.store.status != "open" {
            return Err(PaymentError::NotAccepting);
        }
        Ok(PosCaller {
            key: context.key.clone(),
            merchant: context.merchant.clone(),
            store: context.store.clone(),
            unspent_nonce,
            webhook_endpoint_ids: Some(context.webhook_endpoint_ids.clone()),
            signed: true,
        })
    }

    /// After a payment's transaction found the POS context changed (`pos_not_accepting`): the
    /// caller as the database has it now, or why it may not take the payment.
    pub(super) async fn refreshed_pos(&self, pos: &PosCaller) -> Result<PosCaller, PaymentError> {
        let context = self
            .merchants
            .pos_context(&pos.key.id, false)
            .await?
            .ok_or(PaymentError::PosUnauthenticated("signature_invalid"))?;
        self.pos_caller(&context, pos.unspent_nonce.clone())
    }

    /// Forget nonces whose timestamps could no longer be accepted.
    pub async fn purge_nonces(&self) -> Result<u64, PaymentError> {
        Ok(store::purge_nonces(&self.db, now_ms() - 2 * POS_CLOCK_SKEW_SECS * 1000).await?)
    }
}
