//! `users`: wallet users, merchant staff and operators.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Tx, one};
use crate::storage::Db;

/// An account as the flows need it.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub kind: String,
    pub role: String,
    pub email: String,
    pub phone: String,
    pub legal_name: String,
    pub date_of_birth: String,
    pub password_hash: String,
    pub status: String,
    pub locale: String,
    pub money_out_blocked_until_ms: i64,
}

const COLUMNS: &str = "id, kind, role, email, phone, legal_name, date_of_birth, password_hash, status, locale,
    money_out_blocked_until_ms";

fn user(r: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        role: r.try_get("role")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        legal_name: r.try_get("legal_name")?,
        date_of_birth: r.try_get("date_of_birth")?,
        password_hash: r.try_get("password_hash")?,
        status: r.try_get("status")?,
        locale: r.try_get("locale")?,
        money_out_blocked_until_ms: r.try_get("money_out_blocked_until_ms")?,
    })
}

pub async fn by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(db.read_pool()).await?;
    row.as_ref().map(user).transpose()
}

pub async fn by_id(db: &Db, id: &str) -> Result<User, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    user(&sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(db.read_pool()).await?)
}

/// The account inside a transaction, locked on PostgreSQL (SQLite's write transaction already
/// excludes others), so that per-account flows of several processes take turns.
pub async fn lock(db: &Db, tx: &mut Tx, id: &str) -> Result<User, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1{}", db.for_update());
    user(&sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(&mut **tx).await?)
}

/// A new wallet user whose e-mail and phone were both just proved. False if the address got an
/// account meanwhile.
pub struct NewWallet<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub legal_name: &'a str,
    pub date_of_birth: &'a str,
    pub password_hash: &'a str,
    pub locale: &'a str,
}

pub async fn insert_wallet(tx: &mut Tx, u: &NewWallet<'_>, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO users (id, email, phone, legal_name, date_of_birth, password_hash, status, email_verified_at_ms,
            phone_verified_at_ms, created_at_ms, locale) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7, $7, $8)
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(u.id)
    .bind(u.email)
    .bind(u.phone)
    .bind(u.legal_name)
    .bind(u.date_of_birth)
    .bind(u.password_hash)
    .bind(now)
    .bind(u.locale)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}

/// Staff and operators have no phone or birth date of record. False if the address is taken.
#[allow(clippy::too_many_arguments)]
pub async fn insert_staff(
    tx: &mut Tx,
    id: &str,
    kind: &str,
    org_ref: &str,
    role: &str,
    email: &str,
    legal_name: &str,
    password_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO users (id, kind, org_ref, role, email, phone, legal_name, date_of_birth, password_hash, status,
            email_verified_at_ms, phone_verified_at_ms, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, '', $6, '', $7, 'active', $8, 0, $8) ON CONFLICT (email) DO NOTHING",
    )
    .bind(id)
    .bind(kind)
    .bind(org_ref)
    .bind(role)
    .bind(email)
    .bind(legal_name)
    .bind(password_hash)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}

pub async fn set_password_hash(tx: &mut Tx, id: &str, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Store a stronger hash of a password just proved right (parameters were raised since).
pub async fn rehash(db: &Db, id: &str, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(db.write_pool())
        .await?;
    Ok(())
}

/// Move the account from one status to another; false if it was not in `from`.
pub async fn set_status(tx: &mut Tx, id: &str, from: &str, to: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET status = $1 WHERE id = $2 AND status = $3")
        .bind(to)
        .bind(id)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    Ok(one(done))
}

/// Replace the verified e-mail or phone and start the money-out cooling-off. Fails with a unique
/// violation when the address belongs to another account.
pub async fn set_contact(
    tx: &mut Tx,
    id: &str,
    email_channel: bool,
    value: &str,
    now: i64,
    blocked_until_ms: i64,
) -> Result<(), sqlx::Error> {
    let sql = if email_channel {
        "UPDATE users SET email = $1, email_verified_at_ms = $2, money_out_blocked_until_ms = $3 WHERE id = $4"
    } else {
        "UPDATE users SET phone = $1, phone_verified_at_ms = $2, money_out_blocked_until_ms = $3 WHERE id = $4"
    };
    sqlx::query(sql).bind(value).bind(now).bind(blocked_until_ms).bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Claim the right to send a "your password is known" alert: at most one per interval, decided
/// by one conditional update so concurrent failures send one alert.
pub async fn claim_password_alert(db: &Db, id: &str, now: i64, interval_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET password_alert_at_ms = $1 WHERE id = $2 AND password_alert_at_ms <= $3")
        .bind(now)
        .bind(id)
        .bind(now - interval_ms)
        .execute(db.write_pool())
        .await?;
    Ok(one(done))
}
