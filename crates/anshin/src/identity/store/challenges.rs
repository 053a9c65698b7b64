//! `login_challenges` (a password accepted, waiting for a factor; or a step-up inside a session)
//! and `otp_challenges` (one-time codes sent by SMS or e-mail, stored as keyed hashes).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Tx, one};
use crate::storage::Db;

pub struct NewChallenge<'a> {
    pub id: &'a str,
    pub purpose: &'a str,
    pub user_id: &'a str,
    /// Step-ups only: the session and action the challenge is bound to.
    pub session_id: Option<&'a str>,
    pub action: Option<&'a str>,
    pub device_id: Option<&'a str>,
    pub guard_key: &'a str,
    pub email_proof_required: bool,
    pub expires_at_ms: i64,
}

pub async fn insert(tx: &mut Tx, c: &NewChallenge<'_>, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO login_challenges (id, purpose, session_id, action, user_id, device_id, guard_key,
            email_proof_required, expires_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(c.id)
    .bind(c.purpose)
    .bind(c.session_id)
    .bind(c.action)
    .bind(c.user_id)
    .bind(c.device_id)
    .bind(c.guard_key)
    .bind(i64::from(c.email_proof_required))
    .bind(c.expires_at_ms)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Close the user's unfinished challenges of one purpose (only the newest may be answered), or of
/// every purpose when `purpose` is None (a lock, a reset, a password change).
pub async fn close_open(tx: &mut Tx, user_id: &str, purpose: Option<&str>, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE login_challenges SET completed_at_ms = $1
         WHERE user_id = $2 AND completed_at_ms IS NULL AND ($3 = '' OR purpose = $3)",
    )
    .bind(now)
    .bind(user_id)
    .bind(purpose.unwrap_or(""))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A challenge as its factor step needs it.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub id: String,
    pub purpose: String,
    pub user_id: String,
    pub session_id: Option<String>,
    pub action: Option<String>,
    pub device_id: Option<String>,
    pub guard_key: String,
    pub email_proof_required: bool,
    pub sms_challenge_id: Option<String>,
    pub email_challenge_id: Option<String>,
    /// Including the attempt being made, when counted.
    pub attempts: i64,
}

const COLUMNS: &str = "id, purpose, user_id, session_id, action, device_id, guard_key, email_proof_required,
    sms_challenge_id, email_challenge_id, attempts";

fn challenge(r: &AnyRow) -> Result<Challenge, sqlx::Error> {
    Ok(Challenge {
        id: r.try_get("id")?,
        purpose: r.try_get("purpose")?,
        user_id: r.try_get("user_id")?,
        session_id: r.try_get("session_id")?,
        action: r.try_get("action")?,
        device_id: r.try_get("device_id")?,
        guard_key: r.try_get("guard_key")?,
        email_proof_required: r.try_get::<i64, _>("email_proof_required")? != 0,
        sms_challenge_id: r.try_get("sms_challenge_id")?,
        email_challenge_id: r.try_get("email_challenge_id")?,
        attempts: r.try_get("attempts")?,
    })
}

/// Count one factor attempt on an open challenge of `purpose` and return it, in one statement:
/// the attempt is counted before it is judged, so concurrent guesses cannot share a count.
/// None when the challenge is finished, expired, of another purpose or out of attempts.
pub async fn count_attempt(
    db: &Db,
    id: &str,
    purpose: &str,
    now: i64,
    max_attempts: i64,
) -> Result<Option<Challenge>, sqlx::Error> {
    let sql = format!(
        "UPDATE login_challenges SET attempts = attempts + 1
         WHERE id = $1 AND purpose = $2 AND completed_at_ms IS NULL AND expires_at_ms > $3 AND attempts < $4
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(purpose)
        .bind(now)
        .bind(max_attempts)
        .fetch_optional(db.write_pool())
        .await?;
    row.as_ref().map(challenge).transpose()
}

/// An open challenge that still has attempts left, without counting one (to send a code or
/// passkey options for it).
pub async fn open(db: &Db, id: &str, now: i64, max_attempts: i64) -> Result<Option<Challenge>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM login_challenges
         WHERE id = $1 AND completed_at_ms IS NULL AND expires_at_ms > $2 AND attempts < $3"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(now)
        .bind(max_attempts)
        .fetch_optional(db.read_pool())
        .await?;
    row.as_ref().map(challenge).transpose()
}

/// Finish a challenge; false if it was finished concurrently.
pub async fn complete(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE login_challenges SET completed_at_ms = $1 WHERE id = $2 AND completed_at_ms IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    Ok(one(done))
}

/// Bind a freshly sent SMS or e-mail code to the challenge (replacing an earlier one).
pub async fn set_code(tx: &mut Tx, id: &str, email_channel: bool, code_challenge_id: &str) -> Result<(), sqlx::Error> {
    let sql = if email_channel {
        "UPDATE login_challenges SET email_challenge_id = $1 WHERE id = $2"
    } else {
        "UPDATE login_challenges SET sms_challenge_id = $1 WHERE id = $2"
    };
    sqlx::query(sql).bind(code_challenge_id).bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Sign-in challenges from unknown devices that expired unanswered or ran out of attempts and
/// whose owner has not been told yet: someone had the password but not the factor.
pub async fn unanswered_sign_ins(
    db: &Db,
    now: i64,
    max_attempts: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, user_id FROM login_challenges
         WHERE alerted = 0 AND purpose = 'login' AND device_id IS NULL AND completed_at_ms IS NULL
           AND (expires_at_ms <= $1 OR attempts >= $2)
         ORDER BY expires_at_ms LIMIT $3",
    )
    .bind(now)
    .bind(max_attempts)
    .bind(limit)
    .fetch_all(db.read_pool())
    .await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("user_id")?))).collect()
}

/// Mark a challenge as reported to its owner; false if another process already did.
pub async fn mark_alerted(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE login_challenges SET alerted = 1 WHERE id = $1 AND alerted = 0")
        .bind(id)
        .execute(db.write_pool())
        .await?;
    Ok(one(done))
}

// ---- one-time codes -------------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
pub async fn insert_code(
    tx: &mut Tx,
    id: &str,
    purpose: &str,
    subject: &str,
    channel: &str,
    code_hash: &str,
    expires_at_ms: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO otp_challenges (id, purpose, subject, channel, code_hash, expires_at_ms, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(purpose)
    .bind(subject)
    .bind(channel)
    .bind(code_hash)
    .bind(expires_at_ms)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A code's stored state after counting one more guess (None: used, expired or out of guesses).
pub struct CountedCode {
    pub code_hash: String,
    pub attempts: i64,
    pub expires_at_ms: i64,
}

/// Count one guess at a code, atomically, before it is judged.
pub async fn count_code_attempt(
    db: &Db,
    id: &str,
    now: i64,
    max_attempts: i64,
) -> Result<Option<CountedCode>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE otp_challenges SET attempts = attempts + 1
         WHERE id = $1 AND used_at_ms IS NULL AND expires_at_ms > $2 AND attempts < $3
         RETURNING code_hash, attempts, expires_at_ms",
    )
    .bind(id)
    .bind(now)
    .bind(max_attempts)
    .fetch_optional(db.write_pool())
    .await?;
    row.map(|r| {
        Ok(CountedCode {
            code_hash: r.try_get("code_hash")?,
            attempts: r.try_get("attempts")?,
            expires_at_ms: r.try_get("expires_at_ms")?,
        })
    })
    .transpose()
}

/// Spend a code inside the transaction of the effect it authorises; false if already spent.
pub async fn spend_code(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE otp_challenges SET used_at_ms = $1 WHERE id = $2 AND used_at_ms IS NULL AND expires_at_ms > $1",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}
