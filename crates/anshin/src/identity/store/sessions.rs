//! `sessions` (only token hashes are stored) and `devices` (a device is known once it has
//! completed a second factor on the account; its token hash identifies it at later sign-ins).

use sqlx::Row;

use super::{Tx, one};
use crate::storage::Db;

pub struct NewSession<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub scope: &'a str,
    pub user_id: &'a str,
    pub device_id: &'a str,
    pub expires_at_ms: i64,
    pub idle_timeout_ms: i64,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn insert(tx: &mut Tx, s: &NewSession<'_>, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, scope, user_id, device_id, created_at_ms, last_seen_at_ms, expires_at_ms,
            idle_timeout_ms, authenticated_at_ms, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $6, $9, $10)",
    )
    .bind(s.id)
    .bind(s.token_hash)
    .bind(s.scope)
    .bind(s.user_id)
    .bind(s.device_id)
    .bind(now)
    .bind(s.expires_at_ms)
    .bind(s.idle_timeout_ms)
    .bind(s.ip)
    .bind(s.user_agent)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A live-looking session row with its account (the caller checks the time limits).
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub device_id: String,
    pub last_seen_at_ms: i64,
    pub expires_at_ms: i64,
    pub idle_timeout_ms: i64,
    pub authenticated_at_ms: i64,
    pub scope: String,
    pub kind: String,
    pub role: String,
    pub org_ref: String,
}

/// The unrevoked session with this token hash, if its account is active (a locked account's
/// sessions stop working even before they are revoked).
pub async fn by_token_hash(db: &Db, token_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT s.id, s.user_id, s.device_id, s.last_seen_at_ms, s.expires_at_ms, s.idle_timeout_ms,
                s.authenticated_at_ms, s.scope, u.kind, u.role, u.org_ref
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.revoked_at_ms IS NULL AND u.status = 'active'",
    )
    .bind(token_hash)
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| {
        Ok(SessionRow {
            id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            device_id: r.try_get("device_id")?,
            last_seen_at_ms: r.try_get("last_seen_at_ms")?,
            expires_at_ms: r.try_get("expires_at_ms")?,
            idle_timeout_ms: r.try_get("idle_timeout_ms")?,
            authenticated_at_ms: r.try_get("authenticated_at_ms")?,
            scope: r.try_get("scope")?,
            kind: r.try_get("kind")?,
            role: r.try_get("role")?,
            org_ref: r.try_get("org_ref")?,
        })
    })
    .transpose()
}

pub async fn touch(db: &Db, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at_ms = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(db.write_pool())
        .await?;
    Ok(())
}

pub struct ListedSession {
    pub id: String,
    pub device_id: String,
    pub created_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub ip: String,
    pub user_agent: String,
}

pub async fn list(db: &Db, user_id: &str, now: i64) -> Result<Vec<ListedSession>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, device_id, created_at_ms, last_seen_at_ms, ip, user_agent FROM sessions
         WHERE user_id = $1 AND revoked_at_ms IS NULL AND expires_at_ms > $2 ORDER BY created_at_ms DESC LIMIT 100",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(db.read_pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ListedSession {
                id: r.try_get("id")?,
                device_id: r.try_get("device_id")?,
                created_at_ms: r.try_get("created_at_ms")?,
                last_seen_at_ms: r.try_get("last_seen_at_ms")?,
                ip: r.try_get("ip")?,
                user_agent: r.try_get("user_agent")?,
            })
        })
        .collect()
}

/// End one of a user's sessions; false if there was no such live session.
pub async fn revoke(tx: &mut Tx, id: &str, user_id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE sessions SET revoked_at_ms = $1 WHERE id = $2 AND user_id = $3 AND revoked_at_ms IS NULL")
            .bind(now)
            .bind(id)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    Ok(one(done))
}

/// End every session of a user. Returns how many ended.
pub async fn revoke_all(tx: &mut Tx, user_id: &str, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("UPDATE sessions SET revoked_at_ms = $1 WHERE user_id = $2 AND revoked_at_ms IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// A new bearer token for a session (step-up): the old token stops working.
pub async fn reissue_token(tx: &mut Tx, id: &str, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET token_hash = $1, last_seen_at_ms = $2 WHERE id = $3 AND revoked_at_ms IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}

/// An enrolment-only session that has just set up its first factor becomes a full one.
pub async fn promote_enrolment(tx: &mut Tx, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET scope = 'full', authenticated_at_ms = $1 WHERE id = $2 AND scope = 'enrol'")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---- devices --------------------------------------------------------------------------------

/// The id of the user's unrevoked device with this token hash.
pub async fn known_device(db: &Db, user_id: &str, token_hash: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM devices WHERE token_hash = $1 AND user_id = $2 AND revoked_at_ms IS NULL")
        .bind(token_hash)
        .bind(user_id)
        .fetch_optional(db.read_pool())
        .await
}

pub async fn insert_device(
    tx: &mut Tx,
    id: &str,
    user_id: &str,
    token_hash: &str,
    name: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO devices (id, user_id, token_hash, name, first_seen_at_ms, last_seen_at_ms) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id)
    .bind(user_id)
    .bind(token_hash)
    .bind(name)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn touch_device(tx: &mut Tx, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE devices SET last_seen_at_ms = $1 WHERE id = $2").bind(now).bind(id).execute(&mut **tx).await?;
    Ok(())
}

pub struct ListedDevice {
    pub id: String,
    pub name: String,
    pub first_seen_at_ms: i64,
    pub last_seen_at_ms: i64,
}

pub async fn list_devices(db: &Db, user_id: &str) -> Result<Vec<ListedDevice>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, first_seen_at_ms, last_seen_at_ms FROM devices
         WHERE user_id = $1 AND revoked_at_ms IS NULL ORDER BY last_seen_at_ms DESC LIMIT 100",
    )
    .bind(user_id)
    .fetch_all(db.read_pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ListedDevice {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                first_seen_at_ms: r.try_get("first_seen_at_ms")?,
                last_seen_at_ms: r.try_get("last_seen_at_ms")?,
            })
        })
        .collect()
}

/// Forget a device (it is unknown at its next sign-in) and end its sessions. Returns the number
/// of sessions ended, or None if the user has no such device.
pub async fn revoke_device(tx: &mut Tx, user_id: &str, device_id: &str, now: i64) -> Result<Option<u64>, sqlx::Error> {
    let done =
        sqlx::query("UPDATE devices SET revoked_at_ms = $1 WHERE id = $2 AND user_id = $3 AND revoked_at_ms IS NULL")
            .bind(now)
            .bind(device_id)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    if !one(done) {
        return Ok(None);
    }
    let ended = sqlx::query("UPDATE sessions SET revoked_at_ms = $1 WHERE device_id = $2 AND revoked_at_ms IS NULL")
        .bind(now)
        .bind(device_id)
        .execute(&mut **tx)
        .await?;
    Ok(Some(ended.rows_affected()))
}
