//! Every SQL statement of the withdrawals context.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::ledger::{Effect, EffectValue};
use crate::storage::Db;

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A withdrawal as its user (and an operator) sees it: the account number masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Withdrawal {
    pub id: String,
    pub bank_account_id: String,
    pub bank_code: String,
    pub branch_code: String,
    /// `***` and the last four digits.
    pub account_number_masked: String,
    pub holder_name: String,
    pub amount_minor: i64,
    /// `exact` (the holder is the verified name), `mismatch` or `no_kana` (an operator reviews).
    pub name_check: String,
    /// `review`, `queued`, `sent`, `paid`, `returned`, `rejected` or `expired`.
    pub status: String,
    /// The bank's result code when returned (1 no such account, 2 name differs, 3 closed, …).
    pub result_code: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A withdrawal waiting for an operator, with the names that were compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WithdrawalReview {
    #[serde(flatten)]
    pub withdrawal: Withdrawal,
    pub user_id: String,
    /// The verified legal name and its kana.
    pub verified_name: String,
    pub verified_kana: String,
}

/// Everything a file record needs, unmasked: for the payout worker only.
#[derive(Debug, Clone)]
pub struct WithdrawalRow {
    pub id: String,
    pub user_id: String,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    pub holder_name: String,
    pub amount_minor: i64,
    pub status: String,
    pub hold_id: String,
    pub file_id: String,
}

#[derive(Debug, Clone)]
pub struct NewWithdrawal<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub bank_account_id: &'a str,
    pub bank_code: &'a str,
    pub branch_code: &'a str,
    pub account_type: &'a str,
    pub account_number: &'a str,
    pub holder_name: &'a str,
    pub amount_minor: i64,
    pub verified_kana: &'a str,
    pub name_check: &'a str,
    pub status: &'a str,
    pub now_ms: i64,
}

#[derive(Debug, Clone)]
pub struct WithdrawalFile {
    pub id: String,
    pub contents_hex: String,
    pub records: i64,
    pub total_minor: i64,
    pub bank_file_id: String,
}

const COLUMNS: &str = "id, user_id, bank_account_id, bank_code, branch_code, account_type, account_number, holder_name,
    amount_minor, name_check, status, hold_id, file_id, result_code, created_at_ms, updated_at_ms";

fn withdrawal(r: &AnyRow) -> Result<Withdrawal, sqlx::Error> {
    let number: String = r.try_get("account_number")?;
    Ok(Withdrawal {
        id: r.try_get("id")?,
        bank_account_id: r.try_get("bank_account_id")?,
        bank_code: r.try_get("bank_code")?,
        branch_code: r.try_get("branch_code")?,
        account_number_masked: crate::funding::masked(&number),
        holder_name: r.try_get("holder_name")?,
        amount_minor: r.try_get("amount_minor")?,
        name_check: r.try_get("name_check")?,
        status: r.try_get("status")?,
        result_code: r.try_get("result_code")?,
        created_at_ms: r.try_get("created_at_ms")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
    })
}

fn row(r: &AnyRow) -> Result<WithdrawalRow, sqlx::Error> {
    Ok(WithdrawalRow {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        bank_code: r.try_get("bank_code")?,
        branch_code: r.try_get("branch_code")?,
        account_type: r.try_get("account_type")?,
        account_number: r.try_get("account_number")?,
        holder_name: r.try_get("holder_name")?,
        amount_minor: r.try_get("amount_minor")?,
        status: r.try_get("status")?,
        hold_id: r.try_get("hold_id")?,
        file_id: r.try_get("file_id")?,
    })
}

/// The withdrawal row, written with its journal entry or hold; `entry_id` or `hold_id` is what
/// the command made.
pub fn insert(w: &NewWithdrawal<'_>) -> Effect {
    use EffectValue::{Int, OutcomeId, Text};
    let held = w.status == "review";
    Effect {
        sql: if held {
            "INSERT INTO withdrawals (id, user_id, bank_account_id, bank_code, branch_code, account_type, account_number,
                 holder_name, amount_minor, verified_kana, name_check, status, hold_id, created_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)"
        } else {
            "INSERT INTO withdrawals (id, user_id, bank_account_id, bank_code, branch_code, account_type, account_number,
                 holder_name, amount_minor, verified_kana, name_check, status, entry_id, created_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)"
        },
        binds: vec![
            Text(w.id.to_owned()),
            Text(w.user_id.to_owned()),
            Text(w.bank_account_id.to_owned()),
            Text(w.bank_code.to_owned()),
            Text(w.branch_code.to_owned()),
            Text(w.account_type.to_owned()),
            Text(w.account_number.to_owned()),
            Text(w.holder_name.to_owned()),
            Int(w.amount_minor),
            Text(w.verified_kana.to_owned()),
            Text(w.name_check.to_owned()),
            Text(w.status.to_owned()),
            OutcomeId,
            Int(w.now_ms),
        ],
        expect_rows: None,
        refusal: "",
        batch: None,
    }
}

/// Money leaves only if no contact change or password reset is cooling off, read in the
/// ledger's transaction (a reset committed a moment earlier stops it).
pub fn not_cooling_off(withdrawal_id: &str, user_id: &str, now_ms: i64) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "UPDATE withdrawals SET updated_at_ms = updated_at_ms
              WHERE id = $1 AND EXISTS (SELECT 1 FROM users WHERE id = $2 AND status = 'active'
                                          AND money_out_blocked_until_ms <= $3)",
        binds: vec![Text(withdrawal_id.to_owned()), Text(user_id.to_owned()), Int(now_ms)],
        expect_rows: Some(1),
        refusal: "money_out_cooling_off",
        batch: None,
    }
}

/// Moves a withdrawal on from `from` only, recording what the command made and who decided.
pub fn advance(id: &str, from: &str, to: &str, decided_by: &str, note: &str, now_ms: i64) -> Effect {
    use EffectValue::{Int, OutcomeId, Text};
    Effect {
        sql: "UPDATE withdrawals SET status = $1, entry_id = $2, reviewed_by = $3, review_note = $4, updated_at_ms = $5
              WHERE id = $6 AND status = $7",
        binds: vec![
            Text(to.to_owned()),
            OutcomeId,
            Text(decided_by.to_owned()),
            Text(note.to_owned()),
            Int(now_ms),
            Text(id.to_owned()),
            Text(from.to_owned()),
        ],
        expect_rows: Some(1),
        refusal: "withdrawal_decided",
        batch: None,
    }
}

/// The bank's verdict on a sent withdrawal: paid, or returned with its code.
pub fn settle(id: &str, to: &str, result_code: i64, now_ms: i64) -> Effect {
    use EffectValue::{Int, OutcomeId, Text};
    Effect {
        sql: "UPDATE withdrawals SET status = $1, result_code = $2, entry_id = $3, updated_at_ms = $4
              WHERE id = $5 AND status = 'sent'",
        binds: vec![Text(to.to_owned()), Int(result_code), OutcomeId, Int(now_ms), Text(id.to_owned())],
        expect_rows: Some(1),
        refusal: "withdrawal_decided",
        batch: None,
    }
}

/// A review whose hold lapsed before anyone decided: nothing left the wallet.
pub async fn expire(db: &Db, id: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE withdrawals SET status = 'expired', updated_at_ms = $1 WHERE id = $2 AND status = 'review'",
    )
    .bind(now_ms)
    .bind(id)
    .execute(db.write_pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<(WithdrawalRow, Withdrawal)>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM withdrawals WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.read_pool()).await?;
    r.map(|r| Ok::<_, sqlx::Error>((row(&r)?, withdrawal(&r)?))).transpose()
}

pub async fn of_user(db: &Db, user_id: &str, limit: i64) -> Result<Vec<Withdrawal>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM withdrawals WHERE user_id = $1 ORDER BY created_at_ms DESC, id LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(withdrawal).collect()
}

pub async fn awaiting_review(db: &Db, limit: i64) -> Result<Vec<WithdrawalReview>, sqlx::Error> {
    let sql = "SELECT w.id, w.user_id, w.bank_account_id, w.bank_code, w.branch_code, w.account_type,
                   w.account_number, w.holder_name, w.amount_minor, w.name_check, w.status, w.hold_id, w.file_id,
                   w.result_code, w.created_at_ms, w.updated_at_ms, w.verified_kana,
                   COALESCE(v.legal_name, '') AS verified_name
               FROM withdrawals w LEFT JOIN identity_verified v ON v.user_id = w.user_id
               WHERE w.status = 'review' ORDER BY w.created_at_ms, w.id LIMIT $1";
    let rows = sqlx::query(sql).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(WithdrawalReview {
                withdrawal: withdrawal(r)?,
                user_id: r.try_get("user_id")?,
                verified_name: r.try_get("verified_name")?,
                verified_kana: r.try_get("verified_kana")?,
            })
        })
        .collect()
}

/// Claims up to `limit` queued withdrawals no file holds yet into `file_id`, in one statement
/// (two workers never put one withdrawal in two files).
pub async fn claim_queued(db: &Db, file_id: &str, limit: i64, now_ms: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE withdrawals SET file_id = $1, updated_at_ms = $2
         WHERE id IN (SELECT id FROM withdrawals WHERE status = 'queued' AND file_id = ''
                      ORDER BY created_at_ms, id LIMIT $3)
           AND status = 'queued' AND file_id = ''",
    )
    .bind(file_id)
    .bind(now_ms)
    .bind(limit)
    .execute(db.write_pool())
    .await?;
    Ok(done.rows_affected())
}

/// Files with withdrawals the bank has not decided yet (queued or sent), oldest first.
pub async fn open_file_ids(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT file_id FROM withdrawals WHERE file_id <> '' AND status IN ('queued', 'sent')
         GROUP BY file_id ORDER BY MIN(created_at_ms) LIMIT 100",
    )
    .fetch_all(db.read_pool())
    .await
}

pub async fn in_file(db: &Db, file_id: &str) -> Result<Vec<WithdrawalRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM withdrawals WHERE file_id = $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(file_id).fetch_all(db.read_pool()).await?;
    rows.iter().map(row).collect()
}

pub async fn file(db: &Db, id: &str) -> Result<Option<WithdrawalFile>, sqlx::Error> {
    let r =
        sqlx::query("SELECT id, contents_hex, records, total_minor, bank_file_id FROM withdrawal_files WHERE id = $1")
            .bind(id)
            .fetch_optional(db.read_pool())
            .await?;
    r.map(|r| {
        Ok(WithdrawalFile {
            id: r.try_get("id")?,
            contents_hex: r.try_get("contents_hex")?,
            records: r.try_get("records")?,
            total_minor: r.try_get("total_minor")?,
            bank_file_id: r.try_get("bank_file_id")?,
        })
    })
    .transpose()
}

/// A racing builder's row (the same bytes) is the one kept.
pub async fn insert_file(tx: &mut Tx, f: &WithdrawalFile, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO withdrawal_files (id, contents_hex, records, total_minor, status, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, 'built', $5, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&f.id)
    .bind(&f.contents_hex)
    .bind(f.records)
    .bind(f.total_minor)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The bank took the file: it and its withdrawals read `sent`.
pub async fn mark_sent(tx: &mut Tx, file_id: &str, bank_file_id: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE withdrawal_files SET status = 'sent', bank_file_id = $1, updated_at_ms = $2 WHERE id = $3")
        .bind(bank_file_id)
        .bind(now_ms)
        .bind(file_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE withdrawals SET status = 'sent', updated_at_ms = $1 WHERE file_id = $2 AND status = 'queued'")
        .bind(now_ms)
        .bind(file_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn mark_decided(db: &Db, file_id: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE withdrawal_files SET status = 'decided', updated_at_ms = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(file_id)
        .execute(db.write_pool())
        .await?;
    Ok(())
}

/// Who to tell about a withdrawal.
pub async fn contact(db: &Db, user_id: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    let r = sqlx::query("SELECT email, locale FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.read_pool())
        .await?;
    r.map(|r| Ok((r.try_get("email")?, r.try_get("locale")?))).transpose()
}

/// Reviews whose hold has lapsed, for the worker to mark expired.
pub async fn lapsed_reviews(db: &Db, before_ms: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM withdrawals WHERE status = 'review' AND created_at_ms < $1 ORDER BY id LIMIT 100",
    )
    .bind(before_ms)
    .fetch_all(db.read_pool())
    .await
}
