//! `password_resets` (keys stored hashed) and `unlock_requests` (unlocks waiting out their
//! cooling-off period).

use sqlx::Row;

use super::{Tx, one};
use crate::storage::Db;

pub async fn insert_reset(
    tx: &mut Tx,
    id: &str,
    user_id: &str,
    token_hash: &str,
    expires_at_ms: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO password_resets (id, user_id, token_hash, expires_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(user_id)
    .bind(token_hash)
    .bind(expires_at_ms)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A live reset of an active account.
pub struct Reset {
    pub id: String,
    pub user_id: String,
    pub attempts: i64,
    pub sms_challenge_id: Option<String>,
}

/// A live reset of an active account, without counting an attempt (to send its SMS code).
pub async fn live_reset(db: &Db, token_hash: &str, now: i64, max_attempts: i64) -> Result<Option<Reset>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT r.id, r.user_id, r.attempts, r.sms_challenge_id FROM password_resets r JOIN users u ON u.id = r.user_id
         WHERE r.token_hash = $1 AND r.used_at_ms IS NULL AND r.expires_at_ms > $2 AND r.attempts < $3
           AND u.status = 'active'",
    )
    .bind(token_hash)
    .bind(now)
    .bind(max_attempts)
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| reset(&r)).transpose()
}

fn reset(r: &sqlx::any::AnyRow) -> Result<Reset, sqlx::Error> {
    Ok(Reset {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        attempts: r.try_get("attempts")?,
        sms_challenge_id: r.try_get("sms_challenge_id")?,
    })
}

/// Count one completion attempt on a live reset of an active account, atomically, before it is judged.
pub async fn count_reset_attempt(
    db: &Db,
    token_hash: &str,
    now: i64,
    max_attempts: i64,
) -> Result<Option<Reset>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE password_resets SET attempts = attempts + 1
         WHERE token_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $2 AND attempts < $3
           AND user_id IN (SELECT id FROM users WHERE status = 'active')
         RETURNING id, user_id, attempts, sms_challenge_id",
    )
    .bind(token_hash)
    .bind(now)
    .bind(max_attempts)
    .fetch_optional(db.write_pool())
    .await?;
    row.map(|r| reset(&r)).transpose()
}

pub async fn set_reset_sms(tx: &mut Tx, id: &str, sms_challenge_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE password_resets SET sms_challenge_id = $1 WHERE id = $2")
        .bind(sms_challenge_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Use a reset; false if it was used (or voided) concurrently.
pub async fn use_reset(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE password_resets SET used_at_ms = $1 WHERE id = $2 AND used_at_ms IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(one(done))
}

/// Void every outstanding reset key of a user (a lock, a new password). Returns how many.
pub async fn void_resets(tx: &mut Tx, user_id: &str, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("UPDATE password_resets SET used_at_ms = $1 WHERE user_id = $2 AND used_at_ms IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

// ---- unlocks --------------------------------------------------------------------------------

pub async fn insert_unlock(
    tx: &mut Tx,
    id: &str,
    user_id: &str,
    requested_by: &str,
    cancel_key_hash: &str,
    effective_at_ms: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO unlock_requests (id, user_id, requested_by, cancel_key_hash, effective_at_ms, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(user_id)
    .bind(requested_by)
    .bind(cancel_key_hash)
    .bind(effective_at_ms)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Cancel the pending unlock whose cancel key this is; returns its account.
pub async fn cancel_unlock_by_key(tx: &mut Tx, key_hash: &str, now: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE unlock_requests SET cancelled_at_ms = $1
         WHERE cancel_key_hash = $2 AND cancelled_at_ms IS NULL AND applied_at_ms IS NULL RETURNING user_id",
    )
    .bind(now)
    .bind(key_hash)
    .fetch_optional(&mut **tx)
    .await
}

/// Cancel every pending unlock of a user (a new lock always wins). Returns how many.
pub async fn cancel_unlocks(tx: &mut Tx, user_id: &str, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE unlock_requests SET cancelled_at_ms = $1
         WHERE user_id = $2 AND cancelled_at_ms IS NULL AND applied_at_ms IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Pending unlocks whose cooling-off is over, of one user or of all: (request id, user id).
pub async fn due_unlocks(
    db: &Db,
    user_id: Option<&str>,
    now: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, user_id FROM unlock_requests
         WHERE applied_at_ms IS NULL AND cancelled_at_ms IS NULL AND effective_at_ms <= $1 AND ($3 = '' OR user_id = $3)
         ORDER BY effective_at_ms LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .bind(user_id.unwrap_or(""))
    .fetch_all(db.read_pool())
    .await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("user_id")?))).collect()
}

/// Mark a due unlock applied; false if it was cancelled or applied concurrently.
pub async fn apply_unlock(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE unlock_requests SET applied_at_ms = $1
         WHERE id = $2 AND applied_at_ms IS NULL AND cancelled_at_ms IS NULL AND effective_at_ms <= $1",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}
