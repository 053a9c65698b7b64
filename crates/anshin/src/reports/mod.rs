//! Regulatory reports under the Payment Services Act (PAYMENTS-DOMAIN.md §5), read from the
//! ledger's postings as of the end of a Japan-time day:
//!
//! - the unused balance of prepaid payment instruments (the wallets' lite balances, 前払式支払手段)
//!   on the base dates 31 March and 30 September, and the deposit it calls for: at least half of
//!   it once it exceeds 10,000,000 JPY (発行保証金);
//! - the money held for fund-transfer customers (the wallets' money balances, 資金移動業), which a
//!   guarantee deposit must cover in full (履行保証金);
//! - campaign points, for information: they are not a prepaid instrument the customer paid for.
//!
//! Figures come from postings, not from the accounts' running balances, so a report for a past
//! date is what the books said at that moment, whatever happened since.

mod store;

use serde::Serialize;

use crate::ledger::AccountKind;
use crate::settlement::{BusinessDay, Cutoff};
use crate::storage::{Db, now_ms};

/// Past this unused prepaid balance on a base date the issuer must deposit (前払式支払手段).
pub const DEPOSIT_THRESHOLD_MINOR: i64 = 10_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RegulatoryReport {
    /// The JST day the figures are as of (its end).
    pub as_of: String,
    /// Whether `as_of` is a statutory base date (31 March or 30 September).
    pub base_date: bool,
    /// The instant (UTC ms) the figures are as of: postings before it count.
    pub cutoff_ms: i64,
    /// The unused prepaid (lite) balance across all wallets.
    pub unused_prepaid_minor: i64,
    /// Wallets holding some of it.
    pub prepaid_holders: i64,
    /// The issuance security deposit owed: at least half of the unused balance once it exceeds
    /// `DEPOSIT_THRESHOLD_MINOR`, else zero.
    pub deposit_required_minor: i64,
    /// The money held for fund-transfer customers (all wallets' money balances).
    pub transfer_customers_money_minor: i64,
    /// Wallets holding some of it.
    pub money_holders: i64,
    /// The guarantee deposit that must cover it: all of it.
    pub guarantee_required_minor: i64,
    /// Campaign points outstanding, for information.
    pub points_outstanding_minor: i64,
    pub generated_at_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

/// The report as of the end of the JST day `as_of` (`YYYY-MM-DD`), which may not be in the future.
pub async fn regulatory(db: &Db, as_of: &str) -> Result<RegulatoryReport, ReportError> {
    let day = BusinessDay::parse(as_of).map_err(ReportError::Invalid)?;
    let cutoff_ms = day.end_ms(Cutoff::MIDNIGHT);
    let now = now_ms();
    if cutoff_ms > now + 24 * 3_600_000 {
        return Err(ReportError::Invalid("as_of may not be a day that has not begun".into()));
    }
    let (unused_prepaid_minor, prepaid_holders) = store::held_as_of(db, AccountKind::UserLite, cutoff_ms).await?;
    let (money, money_holders) = store::held_as_of(db, AccountKind::UserWallet, cutoff_ms).await?;
    let (points, _) = store::held_as_of(db, AccountKind::UserPoints, cutoff_ms).await?;
    Ok(RegulatoryReport {
        as_of: day.to_string(),
        base_date: (day.month(), day.day()) == (3, 31) || (day.month(), day.day()) == (9, 30),
        cutoff_ms,
        unused_prepaid_minor,
        prepaid_holders,
        deposit_required_minor: deposit_required(unused_prepaid_minor),
        transfer_customers_money_minor: money,
        money_holders,
        guarantee_required_minor: money.max(0),
        points_outstanding_minor: points,
        generated_at_ms: now,
    })
}

/// Half of the unused balance, rounded up, once it exceeds the threshold.
pub fn deposit_required(unused_minor: i64) -> i64 {
    if unused_minor > DEPOSIT_THRESHOLD_MINOR { unused_minor - unused_minor / 2 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deposit_is_half_the_unused_balance_past_ten_million_yen() {
        assert_eq!(deposit_required(0), 0);
        assert_eq!(deposit_required(10_000_000), 0, "at the threshold nothing is owed");
        assert_eq!(deposit_required(10_000_001), 5_000_001, "half, rounded up");
        assert_eq!(deposit_required(30_000_000), 15_000_000);
    }
}
