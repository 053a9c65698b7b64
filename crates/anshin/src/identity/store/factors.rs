//! Second factors: `totp_factors` (secrets sealed), `recovery_codes` (hashed), `passkeys` and
//! `webauthn_states` (the state between a WebAuthn challenge and its answer).

use sqlx::Row;

use super::{Tx, one};
use crate::storage::Db;

/// What an account has, in one round trip: passkeys, an active app, a phone, unused recovery codes.
pub struct FactorSummary {
    pub passkeys: i64,
    pub totp: bool,
    pub phone: bool,
    pub recovery_codes: i64,
}

pub async fn summary(db: &Db, user_id: &str) -> Result<FactorSummary, sqlx::Error> {
    let r = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM passkeys WHERE user_id = $1) AS passkeys,
                (SELECT COUNT(*) FROM totp_factors WHERE user_id = $1 AND status = 'active') AS totp,
                (SELECT COUNT(*) FROM users WHERE id = $1 AND phone <> '') AS phone,
                (SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at_ms IS NULL) AS recovery",
    )
    .bind(user_id)
    .fetch_one(db.read_pool())
    .await?;
    Ok(FactorSummary {
        passkeys: r.try_get("passkeys")?,
        totp: r.try_get::<i64, _>("totp")? > 0,
        phone: r.try_get::<i64, _>("phone")? > 0,
        recovery_codes: r.try_get("recovery")?,
    })
}

// ---- TOTP -----------------------------------------------------------------------------------

/// The sealed secret and last used step of the active (or, with `pending`, the pending) app.
pub async fn totp(db: &Db, user_id: &str, pending: bool) -> Result<Option<(String, Option<i64>)>, sqlx::Error> {
    let row = sqlx::query("SELECT secret_enc, last_used_step FROM totp_factors WHERE user_id = $1 AND status = $2")
        .bind(user_id)
        .bind(if pending { "pending" } else { "active" })
        .fetch_optional(db.read_pool())
        .await?;
    row.map(|r| Ok((r.try_get("secret_enc")?, r.try_get("last_used_step")?))).transpose()
}

pub async fn put_pending_totp(db: &Db, user_id: &str, sealed: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO totp_factors (user_id, secret_enc, status, created_at_ms) VALUES ($1, $2, 'pending', $3)
         ON CONFLICT (user_id) DO UPDATE SET secret_enc = $2, status = 'pending', last_used_step = NULL, created_at_ms = $3",
    )
    .bind(user_id)
    .bind(sealed)
    .bind(now)
    .execute(db.write_pool())
    .await?;
    Ok(())
}

/// Make the pending app active, having seen `step`; false if it is no longer pending.
pub async fn activate_totp(tx: &mut Tx, user_id: &str, step: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE totp_factors SET status = 'active', last_used_step = $1 WHERE user_id = $2 AND status = 'pending'",
    )
    .bind(step)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}

pub async fn delete_totp(tx: &mut Tx, user_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1 AND status = 'active'")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(one(done))
}

/// Spend a TOTP step: conditional on it being newer than the last one used, so one code never
/// works twice, even for two concurrent requests.
pub async fn spend_totp_step(tx: &mut Tx, user_id: &str, step: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE totp_factors SET last_used_step = $1
         WHERE user_id = $2 AND status = 'active' AND (last_used_step IS NULL OR last_used_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}

// ---- recovery codes -------------------------------------------------------------------------

/// Replace every recovery code of a user with new ones (given as hashes).
pub async fn replace_recovery_codes(
    tx: &mut Tx,
    user_id: &str,
    hashes: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (code_hash, user_id, created_at_ms) VALUES ($1, $2, $3)")
            .bind(hash)
            .bind(user_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn recovery_code_unused(db: &Db, user_id: &str, hash: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT code_hash FROM recovery_codes WHERE code_hash = $1 AND user_id = $2 AND used_at_ms IS NULL",
    )
    .bind(hash)
    .bind(user_id)
    .fetch_optional(db.read_pool())
    .await?;
    Ok(found.is_some())
}

pub async fn spend_recovery_code(tx: &mut Tx, user_id: &str, hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE recovery_codes SET used_at_ms = $1 WHERE code_hash = $2 AND user_id = $3 AND used_at_ms IS NULL",
    )
    .bind(now)
    .bind(hash)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}

// ---- passkeys -------------------------------------------------------------------------------

/// The user's passkeys as webauthn-rs serialises them (at most 20), with their credential ids.
pub async fn passkeys(db: &Db, user_id: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT credential_id, passkey_json FROM passkeys WHERE user_id = $1 ORDER BY created_at_ms LIMIT 20",
    )
    .bind(user_id)
    .fetch_all(db.read_pool())
    .await?;
    rows.iter().map(|r| Ok((r.try_get("credential_id")?, r.try_get("passkey_json")?))).collect()
}

pub async fn insert_passkey(
    tx: &mut Tx,
    credential_id: &str,
    user_id: &str,
    json: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO passkeys (credential_id, user_id, passkey_json, created_at_ms) VALUES ($1, $2, $3, $4)")
        .bind(credential_id)
        .bind(user_id)
        .bind(json)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Keep a passkey's signature counter current, so a cloned authenticator shows up.
pub async fn update_passkey(tx: &mut Tx, credential_id: &str, json: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE passkeys SET passkey_json = $1, last_used_at_ms = $2 WHERE credential_id = $3")
        .bind(json)
        .bind(now)
        .bind(credential_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn save_webauthn_state(
    db: &Db,
    id: &str,
    user_id: &str,
    purpose: &str,
    json: &str,
    expires_at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webauthn_states (id, user_id, purpose, state_json, expires_at_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(user_id)
    .bind(purpose)
    .bind(json)
    .bind(expires_at_ms)
    .execute(db.write_pool())
    .await?;
    Ok(())
}

/// A usable state, read without spending it (it is spent with the effect it authorises).
pub async fn webauthn_state(
    db: &Db,
    id: &str,
    user_id: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT state_json FROM webauthn_states
         WHERE id = $1 AND user_id = $2 AND purpose = $3 AND used_at_ms IS NULL AND expires_at_ms > $4",
    )
    .bind(id)
    .bind(user_id)
    .bind(purpose)
    .bind(now)
    .fetch_optional(db.read_pool())
    .await
}

pub async fn spend_webauthn_state(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE webauthn_states SET used_at_ms = $1 WHERE id = $2 AND used_at_ms IS NULL AND expires_at_ms > $1",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}
