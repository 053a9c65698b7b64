//! Payments: a customer's wallet pays a merchant's store. A payment is an object with a state,
//! written with its ledger journal, audit record and messages in one transaction (the ledger's
//! `Effect`s), after the decision point (`crate::risk`) has allowed it.
//!
//! One file per flow: `devices` (the device keys that make customer codes), `codes` (the codes
//! themselves, pure), `pos` (signed POS requests), `charge` (a customer-presented payment),
//! `fees` (the merchant fee and its tax), `views` (reading payments), `sale` (what every payment
//! shares: decision, split, journal), and for merchant-presented codes `mpm` (the flow),
//! `mpm_code` (the payload, pure), `qr_keys` (the platform's signing keys) and `poster` (images).
//! Every SQL statement is in `store` (and `store_mpm` for merchant-presented codes).

pub mod charge;
pub mod codes;
mod devices;
pub mod events;
pub mod feed;
pub mod fees;
pub mod mpm;
pub mod mpm_code;
pub mod pending;
pub mod pos;
pub mod poster;
pub mod qr_keys;
pub mod refunds;
mod sale;
pub mod store;
pub mod store_events;
pub mod store_mpm;
mod store_pending;
mod till;
mod views;

use std::sync::Arc;

pub use charge::ChargeRequest;
pub use devices::DeviceProvisioned;
pub use events::MerchantEvent;
pub use mpm::{NewPaymentRequest, ScanPayment, ScanRequest, ScanView};
pub use pending::{AnalystDecision, CancelRequest, WaitingPayment};
pub use pos::{PosCaller, PosSignature};
pub use refunds::{RefundBy, RefundRequest};
pub use store::{Payment, PaymentFilter, Refund};
pub use store_mpm::{PaymentRequest, QrKeyInfo};
pub use views::CustomerPayment;
pub use views::MAX_EXPORT_ROWS;

use crate::identity::IdentityError;
use crate::keys::Keys;
use crate::ledger::{Ledger, LedgerError};
use crate::merchants::Merchants;
use crate::risk::RiskConfig;
use crate::storage::Db;
use crate::wallets::Wallets;

/// The longest a customer code lives (a stolen screenshot is worthless after this).
pub const CODE_TTL_SECS: i64 = 60;
/// A code stamped this far in the future is refused (a device clock slightly ahead is not).
pub const CODE_FUTURE_SKEW_SECS: i64 = 5;
/// How far a POS request's timestamp may be from the server's clock; its nonce is remembered
/// at least this long, so a replay is refused either way.
pub const POS_CLOCK_SKEW_SECS: i64 = 300;
/// A payment that fails because a concurrent one changed the balances is planned again this often.
const SPLIT_ATTEMPTS: usize = 3;
/// Merchants' payments listed at once.
pub const MAX_PAYMENT_PAGE: i64 = 100;

#[derive(Debug, Clone, Default)]
pub struct PaymentsConfig {
    pub risk: RiskConfig,
}

#[derive(Clone)]
pub struct Payments {
    db: Db,
    keys: Keys,
    ledger: Ledger,
    wallets: Wallets,
    merchants: Merchants,
    config: Arc<PaymentsConfig>,
    /// The merchants' live feed (`events`, `feed`).
    feed: feed::Feed,
}

impl Payments {
    pub fn new(db: Db, keys: Keys, ledger: Ledger, merchants: Merchants, config: PaymentsConfig) -> Payments {
        let wallets = Wallets::new(db.clone(), ledger.clone());
        let feed = feed::Feed::new(db.clone(), ledger.commits());
        Payments { db, keys, ledger, wallets, merchants, config: Arc::new(config), feed }
    }

    pub fn wallets(&self) -> &Wallets {
        &self.wallets
    }
}

/// The one error type of the payments context; the HTTP layer maps each variant to a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String, param: &'static str },
    /// The POS request is not signed right, stale, replayed, or its key is unknown or revoked.
    #[error("the POS request is not authenticated ({0})")]
    PosUnauthenticated(&'static str),
    /// The customer's code cannot pay: unreadable, invalid, expired or already used.
    #[error("the customer code cannot be used ({0})")]
    CodeRefused(&'static str),
    /// The decision point or the wallet said no.
    #[error("the payment was declined ({0})")]
    Declined(&'static str),
    /// A scanned merchant-presented code cannot pay (the code names why: forged, foreign,
    /// unsigned, expired, used, suspended merchant, closed store…).
    #[error("the scanned code cannot be used ({0})")]
    ScanRefused(&'static str),
    /// The merchant is not active or the store is closed.
    #[error("this merchant or store cannot take payments now")]
    NotAccepting,
    #[error("not found")]
    NotFound,
    /// This session has as many live feeds open as it may (`feed::MAX_STREAMS_PER_SESSION`).
    #[error("too many live feeds are open")]
    TooManyStreams,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<sqlx::Error> for PaymentError {
    fn from(e: sqlx::Error) -> Self {
        PaymentError::Identity(IdentityError::from(e))
    }
}

impl From<LedgerError> for PaymentError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Overloaded | LedgerError::ShuttingDown => PaymentError::Identity(IdentityError::Unavailable),
            other => PaymentError::Identity(IdentityError::Internal(other.to_string())),
        }
    }
}

impl From<crate::merchants::MerchantError> for PaymentError {
    fn from(e: crate::merchants::MerchantError) -> Self {
        match e {
            crate::merchants::MerchantError::Identity(e) => PaymentError::Identity(e),
            crate::merchants::MerchantError::NotFound => PaymentError::NotFound,
            other => PaymentError::Identity(IdentityError::Internal(other.to_string())),
        }
    }
}
