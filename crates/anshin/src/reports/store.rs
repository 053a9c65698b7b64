//! The reports' SQL: sums of postings up to an instant, by kind of account.

use sqlx::Row;

use crate::ledger::AccountKind;
use crate::storage::Db;

/// What accounts of `kind` held before `cutoff_ms` in all, and how many held a non-zero amount.
pub async fn held_as_of(db: &Db, kind: AccountKind, cutoff_ms: i64) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(held), 0) AS BIGINT) AS total, COUNT(*) AS holders FROM (
             SELECT p.account_id, SUM(p.amount_minor) AS held
             FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
             WHERE a.kind = $1 AND p.created_at_ms < $2
             GROUP BY p.account_id
             HAVING SUM(p.amount_minor) <> 0
         ) per_account",
    )
    .bind(kind.as_str())
    .bind(cutoff_ms)
    .fetch_one(db.read_pool())
    .await?;
    Ok((row.try_get("total")?, row.try_get("holders")?))
}
