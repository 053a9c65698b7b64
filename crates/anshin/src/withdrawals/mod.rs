//! Withdrawals: money out of a wallet's money balance to one of its user's linked bank accounts,
//! paid by Zengin total-transfer file through the bank (THREATS M6: money leaves only to the
//! owner).
//!
//! A withdrawal needs a verified identity, a fresh second factor (a `withdraw` grant, spent with
//! it), no contact-change or password-reset cooling-off, and an account whose holder name is the
//! verified legal name's kana on the Zengin key (`zengin::names_match`, `Exact` only). Anything
//! short of an exact match is never paid automatically: the money is held and an operator
//! decides (`review.rs`). One file per flow: `request` (asking), `review` (operators),
//! `payout` (files, the bank's results, returns); every SQL statement is in `store`.
//!
//! ```text
//! exact match:    wallet money −amount → payout clearing +amount        (status queued)
//! otherwise:      hold wallet money → payout clearing                   (status review)
//!   approved:     capture the hold                                      (status queued)
//!   rejected:     void the hold                                         (status rejected)
//! paid:           payout clearing −amount → bank clearing +amount       (status paid)
//! returned:       payout clearing −amount → wallet money +amount        (status returned, user told)
//! ```

mod payout;
mod request;
mod review;
pub mod store;

use std::sync::Arc;

pub use payout::WithdrawalRun;
pub use request::WithdrawalRequest;
pub use store::{Withdrawal, WithdrawalReview};

use crate::bank::BankClient;
use crate::identity::{AccountKind, Client, Identity, IdentityError, Principal};
use crate::ledger::{Ledger, LedgerError};
use crate::settlement::Requester;
use crate::storage::Db;
use crate::wallets::Wallets;

/// Withdrawals one list shows at once, newest first; reviews an operator page lists at once.
pub const MAX_LISTED: i64 = 50;
/// Withdrawals in one transfer file.
pub const MAX_PER_FILE: i64 = 1_000;

#[derive(Debug, Clone)]
pub struct WithdrawalsConfig {
    /// The least one withdrawal may be (a bank transfer for a few yen costs more than it moves).
    pub min_amount_minor: i64,
    /// The most one withdrawal may be.
    pub max_amount_minor: i64,
    /// How long money waits, held, for an operator's review before the hold lapses.
    pub review_ttl_secs: i64,
    /// How often the worker sends queued withdrawals and reads the bank's results.
    pub run_interval_ms: u64,
    /// The platform's account named in each file's header.
    pub requester: Requester,
}

impl Default for WithdrawalsConfig {
    fn default() -> Self {
        WithdrawalsConfig {
            min_amount_minor: 100,
            max_amount_minor: 1_000_000,
            review_ttl_secs: 14 * 86_400,
            run_interval_ms: 1_000,
            requester: Requester::default(),
        }
    }
}

#[derive(Clone)]
pub struct Withdrawals {
    db: Db,
    identity: Identity,
    ledger: Ledger,
    wallets: Wallets,
    bank: Option<BankClient>,
    config: Arc<WithdrawalsConfig>,
}

impl Withdrawals {
    pub fn new(
        db: Db,
        identity: Identity,
        ledger: Ledger,
        bank: Option<BankClient>,
        config: WithdrawalsConfig,
    ) -> Withdrawals {
        let wallets = Wallets::new(db.clone(), ledger.clone());
        Withdrawals { db, identity, ledger, wallets, bank, config: Arc::new(config) }
    }

    pub fn has_bank(&self) -> bool {
        self.bank.is_some()
    }

    fn bank(&self) -> Result<&BankClient, WithdrawalsError> {
        self.bank.as_ref().ok_or(WithdrawalsError::BankUnavailable)
    }

    async fn require_wallet(&self, who: &Principal, what: &str, client: &Client) -> Result<(), WithdrawalsError> {
        if who.kind == AccountKind::Wallet && who.is_full() {
            Ok(())
        } else {
            Err(self.identity.denied(who, what, client).await.into())
        }
    }

    /// Reviews are an operator's: admins decide, analysts may read.
    async fn require_operator(
        &self,
        who: &Principal,
        decide: bool,
        what: &str,
        client: &Client,
    ) -> Result<(), WithdrawalsError> {
        let operator = who.kind == AccountKind::Operator && who.is_full();
        let allowed = if decide { crate::merchants::is_admin(who) } else { operator };
        if allowed { Ok(()) } else { Err(self.identity.denied(who, what, client).await.into()) }
    }
}

/// The one error type of the withdrawals context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WithdrawalsError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String, param: &'static str },
    /// No bank is configured, or it cannot be reached now.
    #[error("the bank cannot be reached")]
    BankUnavailable,
    /// The account is not one of the user's linked accounts that may be used.
    #[error("this bank account is not linked")]
    NotLinked,
    #[error("the withdrawal was declined ({0})")]
    Declined(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<sqlx::Error> for WithdrawalsError {
    fn from(e: sqlx::Error) -> Self {
        WithdrawalsError::Identity(IdentityError::from(e))
    }
}

impl From<LedgerError> for WithdrawalsError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Overloaded | LedgerError::ShuttingDown => {
                WithdrawalsError::Identity(IdentityError::Unavailable)
            }
            LedgerError::InsufficientFunds(_) => WithdrawalsError::Declined("insufficient_money"),
            other => WithdrawalsError::Identity(IdentityError::Internal(other.to_string())),
        }
    }
}
