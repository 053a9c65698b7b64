//! Fixed-window counters in the database, so every process shares them: failed logins per
//! address, sign-ups per address and phone, codes sent per account.

use crate::storage::{Db, now_ms};

/// Count one event under `key` and return the count in the current window.
pub async fn hit(db: &Db, key: &str, window_secs: i64) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    let window_start_cutoff = now - window_secs * 1000;
    sqlx::query_scalar(
        "INSERT INTO throttles (key, count, window_start_ms) VALUES ($1, 1, $2)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN throttles.window_start_ms <= $3 THEN 1 ELSE throttles.count + 1 END,
           window_start_ms = CASE WHEN throttles.window_start_ms <= $3 THEN $2 ELSE throttles.window_start_ms END
         RETURNING count",
    )
    .bind(key)
    .bind(now)
    .bind(window_start_cutoff)
    .fetch_one(db.write_pool())
    .await
}

/// The count in the current window without adding to it.
pub async fn peek(db: &Db, key: &str, window_secs: i64) -> Result<i64, sqlx::Error> {
    let cutoff = now_ms() - window_secs * 1000;
    let count: Option<i64> = sqlx::query_scalar("SELECT count FROM throttles WHERE key = $1 AND window_start_ms > $2")
        .bind(key)
        .bind(cutoff)
        .fetch_optional(db.read_pool())
        .await?;
    Ok(count.unwrap_or(0))
}
