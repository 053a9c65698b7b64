//! Contacts waiting to be proved: `registrations` (a new account's e-mail and phone) and
//! `contact_changes` (a new e-mail or phone for an existing account).

use sqlx::Row;

use super::{Tx, one};
use crate::storage::Db;

pub struct NewRegistration<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub legal_name: &'a str,
    pub date_of_birth: &'a str,
    pub password_hash: &'a str,
    pub email_challenge_id: &'a str,
    pub sms_challenge_id: &'a str,
    /// The address already has an account: answered like any other, it can never complete.
    pub decoy: bool,
    pub expires_at_ms: i64,
}

pub async fn insert_registration(tx: &mut Tx, r: &NewRegistration<'_>, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO registrations (id, email, phone, legal_name, date_of_birth, password_hash, email_challenge_id,
            sms_challenge_id, decoy, expires_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(r.id)
    .bind(r.email)
    .bind(r.phone)
    .bind(r.legal_name)
    .bind(r.date_of_birth)
    .bind(r.password_hash)
    .bind(r.email_challenge_id)
    .bind(r.sms_challenge_id)
    .bind(i64::from(r.decoy))
    .bind(r.expires_at_ms)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub struct PendingRegistration {
    pub id: String,
    pub email: String,
    pub phone: String,
    pub legal_name: String,
    pub date_of_birth: String,
    pub password_hash: String,
    pub email_challenge_id: String,
    pub sms_challenge_id: String,
}

pub async fn pending_registration(db: &Db, id: &str, now: i64) -> Result<Option<PendingRegistration>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, email, phone, legal_name, date_of_birth, password_hash, email_challenge_id, sms_challenge_id
         FROM registrations WHERE id = $1 AND completed_at_ms IS NULL AND expires_at_ms > $2",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| {
        Ok(PendingRegistration {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            phone: r.try_get("phone")?,
            legal_name: r.try_get("legal_name")?,
            date_of_birth: r.try_get("date_of_birth")?,
            password_hash: r.try_get("password_hash")?,
            email_challenge_id: r.try_get("email_challenge_id")?,
            sms_challenge_id: r.try_get("sms_challenge_id")?,
        })
    })
    .transpose()
}

/// Complete a registration that is not a decoy; false if it was completed concurrently.
pub async fn complete_registration(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE registrations SET completed_at_ms = $1 WHERE id = $2 AND completed_at_ms IS NULL AND decoy = 0",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}

// ---- contact changes ------------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
pub async fn insert_change(
    tx: &mut Tx,
    id: &str,
    user_id: &str,
    channel: &str,
    new_value: &str,
    challenge_id: &str,
    expires_at_ms: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO contact_changes (id, user_id, channel, new_value, challenge_id, expires_at_ms, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(user_id)
    .bind(channel)
    .bind(new_value)
    .bind(challenge_id)
    .bind(expires_at_ms)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub struct PendingChange {
    pub id: String,
    pub new_value: String,
    pub challenge_id: String,
}

/// The newest live change of `channel` for a user.
pub async fn pending_change(
    db: &Db,
    user_id: &str,
    channel: &str,
    now: i64,
) -> Result<Option<PendingChange>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, new_value, challenge_id FROM contact_changes
         WHERE user_id = $1 AND channel = $2 AND completed_at_ms IS NULL AND voided_at_ms IS NULL AND expires_at_ms > $3
         ORDER BY created_at_ms DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(channel)
    .bind(now)
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| {
        Ok(PendingChange {
            id: r.try_get("id")?,
            new_value: r.try_get("new_value")?,
            challenge_id: r.try_get("challenge_id")?,
        })
    })
    .transpose()
}

/// Complete a change; false if it was completed or voided concurrently.
pub async fn complete_change(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE contact_changes SET completed_at_ms = $1 WHERE id = $2 AND completed_at_ms IS NULL AND voided_at_ms IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}

/// Void every pending change of a user (a lock). Returns how many.
pub async fn void_changes(tx: &mut Tx, user_id: &str, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE contact_changes SET voided_at_ms = $1 WHERE user_id = $2 AND completed_at_ms IS NULL AND voided_at_ms IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
