//! Settlement and payouts: once a business day is over (a cut-off in Japan time), each
//! merchant's payments and refunds of that day are netted, less the platform's fee and the
//! consumption tax on it, into one settlement row and one ledger journal (receivable → fee
//! income, tax payable and the merchant's payable); the net then goes out as a payout in a Zengin
//! total-transfer file to the bank, whose result file marks each payout paid or returned.
//!
//! Why these shapes (docs/SETTLEMENT.md says more):
//! - A payment or refund is taken into a settlement by the settlement's own journal transaction
//!   (`settlement_id` set by a ledger `Effect` whose row count must be what was summed), so two
//!   runs, on one server or two, settle it once, and one committed late is taken by the next day
//!   instead of being lost.
//! - The fee is fixed per payment when it is made (floor of amount × rate); the consumption tax is
//!   computed once per settlement on the sum of the fees (floor), the Japanese invoice rule of one
//!   rounding per invoice and tax rate. Refunds do not return the fee.
//! - A settlement whose net would be ≤ 0 moves nothing and carries its items to the next day.
//! - A payout is held, never sent, while the merchant is not active or has no payout account
//!   whose holder name matches its legal name (or that an admin approved).
//!
//! One file per flow: `days` (business days and the cut-off, pure), `settle` (the daily
//! settlement), `payouts` (files to the bank and their results), `views` (reports). Every SQL
//! statement is in `store`.

pub mod days;
pub(crate) mod file;
mod payouts;
mod settle;
pub mod store;
mod views;

use std::sync::Arc;

pub use days::{BusinessDay, Cutoff};
pub use payouts::{HeldPayout, PayoutRun};
pub use settle::{SettleFailure, SettleRun};
pub use store::{Payout, Settlement};
pub use views::SettlementReport;

use crate::bank::{BankClient, BankError};
use crate::identity::IdentityError;
use crate::ledger::{Ledger, LedgerError};
use crate::merchants::{MerchantError, Merchants};
use crate::storage::Db;

/// Consumption tax on the fee, in percent (standard rate; the fee is a taxable service).
pub const CONSUMPTION_TAX_PERCENT: i64 = crate::payments::fees::CONSUMPTION_TAX_PERCENT;
/// Merchants settled in one run: more wait for the next run (a run is repeated until none is left).
pub const MAX_MERCHANTS_PER_RUN: i64 = 10_000;
/// Payouts in one transfer file (Zengin allows 999,999; the simulator takes 1 MiB ≈ 8,500).
pub const MAX_PAYOUTS_PER_FILE: i64 = 5_000;
/// Settlements listed at once.
pub const MAX_SETTLEMENT_PAGE: i64 = 100;
/// A settlement journal whose condition failed because a payment committed meanwhile is planned
/// again this often.
const SETTLE_ATTEMPTS: usize = 3;

/// Who pays out: the platform's account at its bank, named in the file's header.
#[derive(Debug, Clone)]
pub struct Requester {
    /// 振込依頼人コード: ten digits the bank assigned.
    pub code: String,
    /// 振込依頼人名 in Zengin form.
    pub name: String,
    pub bank_code: String,
    pub branch_code: String,
    pub account_number: String,
}

impl Default for Requester {
    fn default() -> Self {
        Requester {
            code: "0000000001".into(),
            name: "ｱﾝｼﾝ(ｶ".into(),
            bank_code: "0009".into(),
            branch_code: "200".into(),
            account_number: "7654321".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SettlementConfig {
    /// When a business day ends, in Japan time (default 00:00: the calendar day).
    pub cutoff: Cutoff,
    /// A day is settled only this long after its cut-off, so payments whose time was stamped
    /// just before it have committed (a later one is not lost: the next day takes it).
    pub grace_secs: i64,
    pub requester: Requester,
}

impl Default for SettlementConfig {
    fn default() -> Self {
        SettlementConfig { cutoff: Cutoff::MIDNIGHT, grace_secs: 60, requester: Requester::default() }
    }
}

#[derive(Clone)]
pub struct Settlements {
    db: Db,
    ledger: Ledger,
    merchants: Merchants,
    bank: Option<BankClient>,
    config: Arc<SettlementConfig>,
}

impl Settlements {
    pub fn new(
        db: Db,
        ledger: Ledger,
        merchants: Merchants,
        bank: Option<BankClient>,
        config: SettlementConfig,
    ) -> Settlements {
        Settlements { db, ledger, merchants, bank, config: Arc::new(config) }
    }

    pub fn config(&self) -> &SettlementConfig {
        &self.config
    }

    /// Settle `day` for every merchant, then send what can be paid out and read back what the
    /// bank has decided: what `anshin settle` and the operators' run do. Without a bank the day
    /// is settled and its payouts wait for a run that has one.
    pub async fn run_day(
        &self,
        day: BusinessDay,
        actor: &str,
    ) -> Result<(SettleRun, Option<PayoutRun>), SettlementError> {
        let mut tx = self.db.begin_write().await?;
        let event = crate::audit::AuditEvent::new(actor, "settlement.run", day.to_string());
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        let settled = self.settle_day(day, actor).await?;
        let paid = if self.bank.is_some() { Some(self.run_payouts(actor).await?) } else { None };
        Ok((settled, paid))
    }
}

/// The one error type of the settlement context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String, param: &'static str },
    /// The day's cut-off (and its grace) has not passed yet.
    #[error("business day {0} is not over yet")]
    DayNotOver(String),
    #[error("not found")]
    NotFound,
    /// No bank is configured, or it refused or could not be reached; nothing was assumed.
    #[error("bank: {0}")]
    Bank(String),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<sqlx::Error> for SettlementError {
    fn from(e: sqlx::Error) -> Self {
        SettlementError::Identity(IdentityError::from(e))
    }
}

impl From<LedgerError> for SettlementError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Overloaded | LedgerError::ShuttingDown => {
                SettlementError::Identity(IdentityError::Unavailable)
            }
            other => SettlementError::Identity(IdentityError::Internal(other.to_string())),
        }
    }
}

impl From<MerchantError> for SettlementError {
    fn from(e: MerchantError) -> Self {
        match e {
            MerchantError::Identity(e) => SettlementError::Identity(e),
            MerchantError::NotFound => SettlementError::NotFound,
            other => SettlementError::Identity(IdentityError::Internal(other.to_string())),
        }
    }
}

impl From<BankError> for SettlementError {
    fn from(e: BankError) -> Self {
        SettlementError::Bank(e.to_string())
    }
}

/// The consumption tax on a settlement's fees: once on their sum, rounded down (one rounding
/// per invoice and tax rate, as the qualified-invoice rules require).
pub fn tax_on_fees(fee_minor: i64) -> i64 {
    debug_assert!(fee_minor >= 0);
    fee_minor * CONSUMPTION_TAX_PERCENT / 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tax_is_rounded_once_on_the_day_s_fees() {
        // Three ¥39 payments: fees 1 + 1 + 1. Per payment the tax would be 0 + 0 + 0; once on the
        // sum it is still 0 (¥0.3). Ten of them: ¥10 of fees, ¥1 of tax.
        assert_eq!(tax_on_fees(3), 0);
        assert_eq!(tax_on_fees(10), 1);
        assert_eq!(tax_on_fees(2_599_999), 259_999);
        assert_eq!(tax_on_fees(0), 0);
    }
}
