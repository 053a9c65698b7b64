//! Proof that the books are sound: every entry balances, every balance is the sum of its
//! postings, reservations match open holds, and no protected account is overdrawn.

use serde::Serialize;
use sqlx::Row;

use crate::storage::Db;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LedgerReport {
    pub accounts: i64,
    pub entries: i64,
    pub postings: i64,
    pub problems: Vec<String>,
}

impl LedgerReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Each check lists at most this many offenders; one is enough to stop and investigate.
const MAX_PER_CHECK: i64 = 20;

struct Check {
    sql: &'static str,
    describe: fn(&sqlx::any::AnyRow) -> Result<String, sqlx::Error>,
}

const CHECKS: &[Check] = &[
    Check {
        sql: "SELECT entry_id, currency, CAST(SUM(amount_minor) AS BIGINT) AS total FROM ledger_postings
              GROUP BY entry_id, currency HAVING SUM(amount_minor) <> 0 LIMIT $1",
        describe: |r| {
            Ok(format!(
                "entry {} does not balance in {}: postings sum to {}",
                r.try_get::<String, _>("entry_id")?,
                r.try_get::<String, _>("currency")?,
                r.try_get::<i64, _>("total")?
            ))
        },
    },
    Check {
        sql: "SELECT e.id, COUNT(p.id) AS n FROM ledger_entries e LEFT JOIN ledger_postings p ON p.entry_id = e.id
              GROUP BY e.id HAVING COUNT(p.id) < 2 LIMIT $1",
        describe: |r| {
            Ok(format!(
                "entry {} has {} postings; at least 2 are required",
                r.try_get::<String, _>("id")?,
                r.try_get::<i64, _>("n")?
            ))
        },
    },
    Check {
        sql: "SELECT a.id, a.balance_minor, CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) AS total
              FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id
              GROUP BY a.id, a.balance_minor HAVING a.balance_minor <> COALESCE(SUM(p.amount_minor), 0) LIMIT $1",
        describe: |r| {
            Ok(format!(
                "account {} has balance {} but its postings sum to {}",
                r.try_get::<String, _>("id")?,
                r.try_get::<i64, _>("balance_minor")?,
                r.try_get::<i64, _>("total")?
            ))
        },
    },
    Check {
        sql: "SELECT p.id, p.account_id FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
              WHERE p.currency <> a.currency LIMIT $1",
        describe: |r| {
            Ok(format!(
                "posting {} is in a different currency from account {}",
                r.try_get::<i64, _>("id")?,
                r.try_get::<String, _>("account_id")?
            ))
        },
    },
    Check {
        sql: "SELECT a.id, a.pending_debit_minor,
                CAST((SELECT COALESCE(SUM(h.amount_minor), 0) FROM ledger_holds h WHERE h.status = 'pending' AND h.debit_account_id = a.id) AS BIGINT) AS held
              FROM ledger_accounts a
              WHERE a.pending_debit_minor <> (SELECT COALESCE(SUM(h.amount_minor), 0) FROM ledger_holds h WHERE h.status = 'pending' AND h.debit_account_id = a.id)
              LIMIT $1",
        describe: |r| {
            Ok(format!(
                "account {} reserves {} but its pending holds total {}",
                r.try_get::<String, _>("id")?,
                r.try_get::<i64, _>("pending_debit_minor")?,
                r.try_get::<i64, _>("held")?
            ))
        },
    },
    Check {
        sql: "SELECT a.id, a.pending_credit_minor,
                CAST((SELECT COALESCE(SUM(h.amount_minor), 0) FROM ledger_holds h WHERE h.status = 'pending' AND h.credit_account_id = a.id) AS BIGINT) AS held
              FROM ledger_accounts a
              WHERE a.pending_credit_minor <> (SELECT COALESCE(SUM(h.amount_minor), 0) FROM ledger_holds h WHERE h.status = 'pending' AND h.credit_account_id = a.id)
              LIMIT $1",
        describe: |r| {
            Ok(format!(
                "account {} expects {} but its incoming pending holds total {}",
                r.try_get::<String, _>("id")?,
                r.try_get::<i64, _>("pending_credit_minor")?,
                r.try_get::<i64, _>("held")?
            ))
        },
    },
    Check {
        sql: "SELECT id, kind, balance_minor, pending_debit_minor FROM ledger_accounts
              WHERE (flags & 1) = 1 AND balance_minor - pending_debit_minor < 0 LIMIT $1",
        describe: |r| {
            Ok(format!(
                "{} account {} is overdrawn: balance {} with {} reserved",
                r.try_get::<String, _>("kind")?,
                r.try_get::<String, _>("id")?,
                r.try_get::<i64, _>("balance_minor")?,
                r.try_get::<i64, _>("pending_debit_minor")?
            ))
        },
    },
    Check {
        sql: "SELECT a.id, a.balance_minor, p.balance_after_minor FROM ledger_accounts a
              JOIN ledger_postings p ON p.id = (SELECT MAX(p2.id) FROM ledger_postings p2 WHERE p2.account_id = a.id)
              WHERE p.balance_after_minor <> a.balance_minor LIMIT $1",
        describe: |r| {
            Ok(format!(
                "account {} has balance {} but its last statement line says {}",
                r.try_get::<String, _>("id")?,
                r.try_get::<i64, _>("balance_minor")?,
                r.try_get::<i64, _>("balance_after_minor")?
            ))
        },
    },
];

pub async fn verify(db: &Db) -> Result<LedgerReport, sqlx::Error> {
    let pool = db.read_pool();
    let count = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await };
    let mut report = LedgerReport {
        accounts: count("SELECT COUNT(*) FROM ledger_accounts").await?,
        entries: count("SELECT COUNT(*) FROM ledger_entries").await?,
        postings: count("SELECT COUNT(*) FROM ledger_postings").await?,
        problems: Vec::new(),
    };
    for check in CHECKS {
        let rows = sqlx::query(check.sql).bind(MAX_PER_CHECK).fetch_all(pool).await?;
        for row in &rows {
            report.problems.push((check.describe)(row)?);
        }
    }
    Ok(report)
}
