//! Funding: money coming into wallets. A wallet user links a bank account (a fresh second factor;
//! the bank's holder name must match the user's legal name on the Zengin key, anything else waits
//! for an operator), tops up from it (a debit at the bank; the wallet's money is credited only
//! once the bank confirms), and operators grant campaign points.
//!
//! The bank is a remote API (`crate::bank::BankClient`, `anshin sim bank` in development). When
//! the service runs without one, every flow that needs it answers `BankUnavailable` rather than
//! pretending. One file per flow: `links` (bank accounts), `topups` (debits and their credit),
//! `points` (campaign grants); every SQL statement is in `store`.

mod links;
mod points;
pub mod store;
mod topups;

use std::sync::Arc;

pub use links::LinkRequest;
pub use points::PointGrantRequest;
pub use store::{BankAccount, PointGrant, TopUp};
pub use topups::TopUpRequest;

use crate::bank::BankClient;
use crate::identity::{Client, Identity, IdentityError};
use crate::ledger::{Ledger, LedgerError};
use crate::storage::Db;
use crate::wallets::Wallets;

/// Bank accounts one user may have linked or waiting for review at once.
pub const MAX_LINKED_ACCOUNTS: i64 = 5;
/// Link reviews an operator page lists at once (oldest first).
pub const MAX_REVIEWS_LISTED: i64 = 100;
/// Top-ups (and point grants) a user's list shows at once, newest first.
pub const MAX_LISTED: i64 = 50;
/// Pending top-ups the worker asks the bank about in one round; the rest wait for the next.
pub const POLL_BATCH: i64 = 100;
/// A pending top-up is asked about again after this long, growing with each poll up to the max,
/// so a slow bank is not hammered.
pub const POLL_BACKOFF_MS: i64 = 500;
pub const POLL_BACKOFF_MAX_MS: i64 = 60_000;

/// Limits on funding, from PAYMENTS-DOMAIN.md where it names one.
#[derive(Debug, Clone)]
pub struct FundingConfig {
    /// The most a wallet's money balance may hold (PayPayマネー's 100万円; PAYMENTS-DOMAIN §10).
    pub holding_cap_minor: i64,
    /// The most one top-up may be.
    pub per_top_up_limit_minor: i64,
    /// The most one user may top up per JST calendar day (refused debits do not count).
    pub daily_top_up_limit_minor: i64,
    /// The most points one operator grant may give.
    pub max_points_per_grant_minor: i64,
    /// How often the worker looks for pending top-ups.
    pub poll_interval_ms: u64,
}

impl Default for FundingConfig {
    fn default() -> Self {
        FundingConfig {
            holding_cap_minor: 1_000_000,
            per_top_up_limit_minor: 500_000,
            daily_top_up_limit_minor: 1_000_000,
            max_points_per_grant_minor: 10_000,
            poll_interval_ms: 500,
        }
    }
}

#[derive(Clone)]
pub struct Funding {
    db: Db,
    identity: Identity,
    ledger: Ledger,
    wallets: Wallets,
    bank: Option<BankClient>,
    config: Arc<FundingConfig>,
}

impl Funding {
    pub fn new(db: Db, identity: Identity, ledger: Ledger, bank: Option<BankClient>, config: FundingConfig) -> Funding {
        let wallets = Wallets::new(db.clone(), ledger.clone());
        Funding { db, identity, ledger, wallets, bank, config: Arc::new(config) }
    }

    pub fn config(&self) -> &FundingConfig {
        &self.config
    }

    pub fn has_bank(&self) -> bool {
        self.bank.is_some()
    }

    fn bank(&self) -> Result<&BankClient, FundingError> {
        self.bank.as_ref().ok_or(FundingError::BankUnavailable)
    }

    /// Write one audit record of a funding event and commit the transaction it belongs to.
    async fn commit_with_audit(
        &self,
        mut tx: store::Tx,
        actor: &str,
        action: &str,
        target: &str,
        client: &Client,
        mut details: serde_json::Value,
    ) -> Result<(), FundingError> {
        details["ip"] = serde_json::json!(client.ip);
        let event =
            crate::audit::AuditEvent::new(actor, action, target).request_id(client.request_id.clone()).details(details);
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The one error type of the funding context; the HTTP layer maps each variant to a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FundingError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String, param: &'static str },
    /// No bank is configured, or it cannot be reached now.
    #[error("the bank cannot be reached")]
    BankUnavailable,
    /// The bank knows no such account.
    #[error("the bank knows no such account")]
    NoSuchAccount,
    /// The bank says the account is closed.
    #[error("the bank account is closed")]
    AccountClosed,
    /// The linked account cannot be used (waiting for review, rejected or unlinked).
    #[error("this bank account is not linked")]
    NotLinked,
    /// The decision point said no.
    #[error("the top-up was declined ({0})")]
    Declined(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<sqlx::Error> for FundingError {
    fn from(e: sqlx::Error) -> Self {
        FundingError::Identity(IdentityError::from(e))
    }
}

impl From<LedgerError> for FundingError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Overloaded | LedgerError::ShuttingDown => FundingError::Identity(IdentityError::Unavailable),
            other => FundingError::Identity(IdentityError::Internal(other.to_string())),
        }
    }
}

/// The last four digits, which is all a list shows of an account number.
pub fn masked(account_number: &str) -> String {
    let tail = account_number.len().saturating_sub(4);
    format!("***{}", &account_number[tail..])
}

/// The JST calendar day of `at_ms` (YYYY-MM-DD), which the daily top-up limit counts by.
pub fn jst_day(at_ms: i64) -> String {
    crate::settlement::BusinessDay::containing(at_ms, crate::settlement::Cutoff::MIDNIGHT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_shows_only_its_last_four_digits() {
        assert_eq!(masked("1234567"), "***4567");
    }

    #[test]
    fn the_daily_limit_counts_by_the_japanese_day() {
        // 2026-01-01 14:59:59 UTC is 23:59:59 JST; a second later it is the 2nd in Japan.
        assert_eq!(jst_day(1_767_279_599_000), "2026-01-01");
        assert_eq!(jst_day(1_767_279_600_000), "2026-01-02");
    }
}
