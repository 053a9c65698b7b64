//! SQL of waiting payments: which challenge confirms which payment, leaving the waiting states,
//! and the lists the analysts and the expiry sweep read.

use super::store::{Payment, SELECT, payment};
use crate::ledger::{Effect, EffectValue};
use crate::storage::Db;

/// Remember `challenge_id` as the one that confirms `payment_id` (a newer one replaces it).
pub async fn bind_confirmation(
    db: &Db,
    payment_id: &str,
    challenge_id: &str,
    session_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payment_confirmations (payment_id, challenge_id, session_id, created_at_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT (payment_id) DO UPDATE SET challenge_id = $2, session_id = $3, created_at_ms = $4
         WHERE payment_confirmations.used_at_ms IS NULL",
    )
    .bind(payment_id)
    .bind(challenge_id)
    .bind(session_id)
    .bind(now_ms)
    .execute(db.write_pool())
    .await?;
    Ok(())
}

/// Written with the capture: the challenge bound to this payment was completed, in this session,
/// and is used now (once). Without it the capture is refused.
pub fn spend_confirmation(payment_id: &str, session_id: &str, now_ms: i64) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "UPDATE payment_confirmations SET used_at_ms = $1
              WHERE payment_id = $2 AND session_id = $3 AND used_at_ms IS NULL
                AND EXISTS (SELECT 1 FROM login_challenges c
                            WHERE c.id = payment_confirmations.challenge_id AND c.completed_at_ms IS NOT NULL)",
        binds: vec![Int(now_ms), Text(payment_id.to_owned()), Text(session_id.to_owned())],
        expect_rows: Some(1),
        refusal: "confirmation_required",
        batch: None,
    }
}

/// Written with the journal that ends the wait: only a payment still waiting moves, so one exit
/// wins and the rest are refused.
pub fn leave_waiting(payment_id: &str, status: &str, now_ms: i64) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "UPDATE payments SET status = $1, updated_at_ms = $2
              WHERE id = $3 AND status IN ('held', 'requires_confirmation')",
        binds: vec![Text(status.to_owned()), Int(now_ms), Text(payment_id.to_owned())],
        expect_rows: Some(1),
        refusal: "not_pending",
        batch: None,
    }
}

/// Held and challenged payments, oldest first.
pub async fn waiting(db: &Db, limit: i64) -> Result<Vec<Payment>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE status IN ('held', 'requires_confirmation') ORDER BY created_at_ms, id LIMIT $1");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(payment).collect()
}

/// Waiting payments whose time is up: challenged ones made before `confirm_before_ms`, held ones
/// before `hold_before_ms`.
pub async fn due(
    db: &Db,
    confirm_before_ms: i64,
    hold_before_ms: i64,
    limit: i64,
) -> Result<Vec<Payment>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE (status = 'requires_confirmation' AND created_at_ms < $1)
                     OR (status = 'held' AND created_at_ms < $2)
         ORDER BY created_at_ms LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(confirm_before_ms)
        .bind(hold_before_ms)
        .bind(limit)
        .fetch_all(db.read_pool())
        .await?;
    rows.iter().map(payment).collect()
}
