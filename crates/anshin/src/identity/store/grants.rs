//! `step_up_grants`: a second factor given for one action, in one session, for a short time.

use super::{Tx, one};
use crate::storage::Db;

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut Tx,
    id: &str,
    session_id: &str,
    user_id: &str,
    action: &str,
    factor: &str,
    expires_at_ms: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO step_up_grants (id, session_id, user_id, action, factor, expires_at_ms, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(session_id)
    .bind(user_id)
    .bind(action)
    .bind(factor)
    .bind(expires_at_ms)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether the session holds an unused grant for `action` (a quick check before costly work).
pub async fn held(db: &Db, session_id: &str, action: &str, now: i64) -> Result<bool, sqlx::Error> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM step_up_grants WHERE session_id = $1 AND action = $2 AND used_at_ms IS NULL AND expires_at_ms > $3
         LIMIT 1",
    )
    .bind(session_id)
    .bind(action)
    .bind(now)
    .fetch_optional(db.read_pool())
    .await?;
    Ok(id.is_some())
}

/// Consume one grant for `action` inside the transaction of the action itself; false if none.
pub async fn consume(tx: &mut Tx, session_id: &str, action: &str, now: i64) -> Result<bool, sqlx::Error> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM step_up_grants WHERE session_id = $1 AND action = $2 AND used_at_ms IS NULL AND expires_at_ms > $3
         ORDER BY created_at_ms LIMIT 1",
    )
    .bind(session_id)
    .bind(action)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = id else { return Ok(false) };
    let done = sqlx::query("UPDATE step_up_grants SET used_at_ms = $1 WHERE id = $2 AND used_at_ms IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(one(done))
}

/// The same as `consume`, as a statement another context's ledger command carries (`Effect`), so
/// the grant is spent in the transaction of the money movement it authorises.
pub fn consume_effect(session_id: &str, action: &str, now: i64) -> crate::ledger::Effect {
    use crate::ledger::EffectValue::{Int, Text};
    crate::ledger::Effect {
        sql: "UPDATE step_up_grants SET used_at_ms = $1
              WHERE id = (SELECT id FROM step_up_grants WHERE session_id = $2 AND action = $3 AND used_at_ms IS NULL
                            AND expires_at_ms > $1 ORDER BY created_at_ms LIMIT 1)
                AND used_at_ms IS NULL",
        binds: vec![Int(now), Text(session_id.to_owned()), Text(action.to_owned())],
        expect_rows: Some(1),
        refusal: "step_up_required",
        batch: None,
    }
}

/// Void every unused grant of a user (a lock, a reset, a password change).
pub async fn void_all(tx: &mut Tx, user_id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE step_up_grants SET used_at_ms = $1 WHERE user_id = $2 AND used_at_ms IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
