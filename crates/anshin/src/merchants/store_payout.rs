//! Every SQL statement over merchants' payout accounts.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::store::Tx;
use crate::storage::Db;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutAccount {
    /// `pa_…`
    pub id: String,
    pub merchant_id: String,
    pub bank_code: String,
    pub branch_code: String,
    /// ordinary, current or savings.
    pub account_type: String,
    pub account_number: String,
    /// In Zengin form (half-width kana), as the bank will see it.
    pub holder_name: String,
    /// `exact` (matches the legal name), `review` (an operator must look), `approved` or `rejected`.
    pub name_check: String,
    /// `active`, `pending` (waiting out its delay), `replaced` or `cancelled`.
    pub status: String,
    pub effective_at_ms: i64,
    pub created_by: String,
    pub created_at_ms: i64,
}

fn account(r: &AnyRow) -> Result<PayoutAccount, sqlx::Error> {
    Ok(PayoutAccount {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        bank_code: r.try_get("bank_code")?,
        branch_code: r.try_get("branch_code")?,
        account_type: r.try_get("account_type")?,
        account_number: r.try_get("account_number")?,
        holder_name: r.try_get("holder_name")?,
        name_check: r.try_get("name_check")?,
        status: r.try_get("status")?,
        effective_at_ms: r.try_get("effective_at_ms")?,
        created_by: r.try_get("created_by")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

const COLUMNS: &str = "SELECT id, merchant_id, bank_code, branch_code, account_type, account_number, holder_name, \
     name_check, status, effective_at_ms, created_by, created_at_ms FROM merchant_payout_accounts";

pub struct NewPayoutAccount<'a> {
    pub id: &'a str,
    pub merchant_id: &'a str,
    pub bank_code: &'a str,
    pub branch_code: &'a str,
    pub account_type: &'a str,
    pub account_number: &'a str,
    pub holder_name: &'a str,
    pub name_check: &'a str,
    pub status: &'a str,
    pub effective_at_ms: i64,
    pub created_by: &'a str,
}

pub async fn insert(tx: &mut Tx, a: &NewPayoutAccount<'_>, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_payout_accounts (id, merchant_id, bank_code, branch_code, account_type, account_number,
             holder_name, name_check, status, effective_at_ms, created_by, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(a.id)
    .bind(a.merchant_id)
    .bind(a.bank_code)
    .bind(a.branch_code)
    .bind(a.account_type)
    .bind(a.account_number)
    .bind(a.holder_name)
    .bind(a.name_check)
    .bind(a.status)
    .bind(a.effective_at_ms)
    .bind(a.created_by)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A pending change whose time has come replaces the active account (in this transaction).
pub async fn apply_due(tx: &mut Tx, merchant_id: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    let due: Option<String> = sqlx::query_scalar(
        "SELECT id FROM merchant_payout_accounts WHERE merchant_id = $1 AND status = 'pending' AND effective_at_ms <= $2",
    )
    .bind(merchant_id)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(due) = due else { return Ok(false) };
    sqlx::query("UPDATE merchant_payout_accounts SET status = 'replaced' WHERE merchant_id = $1 AND status = 'active'")
        .bind(merchant_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE merchant_payout_accounts SET status = 'active' WHERE id = $1 AND status = 'pending'")
        .bind(&due)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

pub async fn active(tx: &mut Tx, merchant_id: &str) -> Result<Option<PayoutAccount>, sqlx::Error> {
    let sql = format!("{COLUMNS} WHERE merchant_id = $1 AND status = 'active'");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(merchant_id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(account)
        .transpose()
}

pub async fn cancel_pending(tx: &mut Tx, merchant_id: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_payout_accounts SET status = 'cancelled' WHERE merchant_id = $1 AND status = 'pending'",
    )
    .bind(merchant_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// An operator's decision on an account waiting for review; false if it is not waiting.
pub async fn decide_review(tx: &mut Tx, merchant_id: &str, id: &str, decision: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_payout_accounts SET name_check = $1 WHERE id = $2 AND merchant_id = $3 AND name_check = 'review'",
    )
    .bind(decision)
    .bind(id)
    .bind(merchant_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Accounts in use or about to be whose holder name an operator must look at, oldest first.
pub async fn awaiting_review(db: &Db, limit: i64) -> Result<Vec<PayoutAccount>, sqlx::Error> {
    let sql = format!(
        "{COLUMNS} WHERE name_check = 'review' AND status IN ('active', 'pending') ORDER BY created_at_ms, id LIMIT $1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(account).collect()
}

pub async fn list(db: &Db, merchant_id: &str) -> Result<Vec<PayoutAccount>, sqlx::Error> {
    let sql = format!("{COLUMNS} WHERE merchant_id = $1 ORDER BY created_at_ms DESC, id DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant_id).fetch_all(db.read_pool()).await?;
    rows.iter().map(account).collect()
}
