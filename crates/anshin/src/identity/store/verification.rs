//! `identity_verifications` (attempts at the eKYC provider and their decisions) and
//! `identity_verified` (the verified identity). An empty string stores "not known": missing data
//! stays missing, and the model turns it into `None`.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Tx, one};
use crate::storage::Db;

/// A person's identity data: as typed, as the provider read it, or as verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonData {
    pub full_name: String,
    /// '' when not known.
    pub full_name_kana: String,
    pub date_of_birth: String,
    pub address: String,
}

impl PersonData {
    /// True when nothing is known (the provider has read nothing yet).
    pub fn is_empty(&self) -> bool {
        self.full_name.is_empty()
            && self.full_name_kana.is_empty()
            && self.date_of_birth.is_empty()
            && self.address.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub id: String,
    pub user_id: String,
    pub status: String,
    pub reason: String,
    pub document_type: String,
    pub document_last4: String,
    pub submitted: PersonData,
    pub provider_check_id: String,
    pub read: PersonData,
    pub decided_by: String,
    pub decision_note: String,
    pub created_at_ms: i64,
    pub decided_at_ms: i64,
    pub deadline_at_ms: i64,
}

const ATTEMPT_COLUMNS: &str = "id, user_id, status, reason, document_type, document_last4, submitted_full_name,
    submitted_full_name_kana, submitted_date_of_birth, submitted_address, provider_check_id, read_full_name,
    read_full_name_kana, read_date_of_birth, read_address, decided_by, decision_note, created_at_ms, decided_at_ms,
    deadline_at_ms";

fn attempt(r: &AnyRow) -> Result<AttemptRow, sqlx::Error> {
    Ok(AttemptRow {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        document_type: r.try_get("document_type")?,
        document_last4: r.try_get("document_last4")?,
        submitted: person(r, "submitted")?,
        provider_check_id: r.try_get("provider_check_id")?,
        read: person(r, "read")?,
        decided_by: r.try_get("decided_by")?,
        decision_note: r.try_get("decision_note")?,
        created_at_ms: r.try_get("created_at_ms")?,
        decided_at_ms: r.try_get("decided_at_ms")?,
        deadline_at_ms: r.try_get("deadline_at_ms")?,
    })
}

/// The four columns of a person's data that share `prefix` (`submitted`, `read`).
fn person(r: &AnyRow, prefix: &str) -> Result<PersonData, sqlx::Error> {
    let column = |name: &str| format!("{prefix}_{name}");
    Ok(PersonData {
        full_name: r.try_get(column("full_name").as_str())?,
        full_name_kana: r.try_get(column("full_name_kana").as_str())?,
        date_of_birth: r.try_get(column("date_of_birth").as_str())?,
        address: r.try_get(column("address").as_str())?,
    })
}

pub struct NewAttempt<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub document_type: &'a str,
    pub document_last4: &'a str,
    pub submitted: &'a PersonData,
    pub provider_check_id: &'a str,
    pub deadline_at_ms: i64,
}

/// Attempts the user made since `since_ms` (the per-day limit) and in all (the lifetime cap).
pub async fn attempts_since<'e, E>(executor: E, user_id: &str, since_ms: i64) -> Result<(i64, i64), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN created_at_ms >= $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS recent,
                COUNT(*) AS total
         FROM identity_verifications WHERE user_id = $1",
    )
    .bind(user_id)
    .bind(since_ms)
    .fetch_one(executor)
    .await?;
    Ok((row.try_get("recent")?, row.try_get("total")?))
}

/// False when the user already has an open (pending or review) attempt: the partial unique
/// index decides, atomically, however many submissions race.
pub async fn insert_attempt(tx: &mut Tx, a: &NewAttempt<'_>, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO identity_verifications (id, user_id, status, document_type, document_last4, submitted_full_name,
             submitted_full_name_kana, submitted_date_of_birth, submitted_address, provider_check_id, created_at_ms,
             deadline_at_ms, next_poll_at_ms)
         VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11, $10) ON CONFLICT DO NOTHING",
    )
    .bind(a.id)
    .bind(a.user_id)
    .bind(a.document_type)
    .bind(a.document_last4)
    .bind(&a.submitted.full_name)
    .bind(&a.submitted.full_name_kana)
    .bind(&a.submitted.date_of_birth)
    .bind(&a.submitted.address)
    .bind(a.provider_check_id)
    .bind(now)
    .bind(a.deadline_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}

/// Read from the writer's pool: a decision just made by another task must be seen at once.
pub async fn attempt_by_id(db: &Db, id: &str) -> Result<Option<AttemptRow>, sqlx::Error> {
    let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM identity_verifications WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.write_pool()).await?;
    row.as_ref().map(attempt).transpose()
}

pub async fn latest_of(db: &Db, user_id: &str) -> Result<Option<AttemptRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {ATTEMPT_COLUMNS} FROM identity_verifications WHERE user_id = $1
         ORDER BY created_at_ms DESC, id DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_optional(db.write_pool()).await?;
    row.as_ref().map(attempt).transpose()
}

/// Attempts in `status`, oldest first, with the user's registered legal name beside each.
pub async fn in_status(db: &Db, status: &str, limit: i64) -> Result<Vec<(AttemptRow, String)>, sqlx::Error> {
    // Qualified: `users` has columns of the same names (id, status, created_at_ms).
    let columns: Vec<String> = ATTEMPT_COLUMNS.split(',').map(|c| format!("v.{}", c.trim())).collect();
    let columns = columns.join(", ");
    let sql = format!(
        "SELECT {columns}, u.legal_name AS registered_legal_name
         FROM identity_verifications v JOIN users u ON u.id = v.user_id
         WHERE v.status = $1 ORDER BY v.created_at_ms, v.id LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(status).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(|r| Ok((attempt(r)?, r.try_get("registered_legal_name")?))).collect()
}

/// Pending attempts the worker should ask the provider about now.
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id FROM identity_verifications WHERE status = 'pending' AND next_poll_at_ms <= $1
         ORDER BY next_poll_at_ms LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.read_pool())
    .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

/// Ask again later, a little later each time up to `max_ms`.
pub async fn postpone(db: &Db, id: &str, now: i64, step_ms: i64, max_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE identity_verifications SET polls = polls + 1,
             next_poll_at_ms = $1 + CASE WHEN $3 * (polls + 1) >= $2 THEN $2 ELSE $3 * (polls + 1) END
         WHERE id = $4 AND status = 'pending'",
    )
    .bind(now)
    .bind(max_ms)
    .bind(step_ms)
    .bind(id)
    .execute(db.write_pool())
    .await?;
    Ok(())
}

/// A decision about an attempt, taken only from the state it was made for.
pub struct Decision<'a> {
    pub id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub reason: &'a str,
    pub decided_by: &'a str,
    pub note: &'a str,
    /// What the provider read, kept for the operator (None keeps what is stored).
    pub read: Option<&'a PersonData>,
}

/// False when the attempt was no longer in `from` (another poller or operator decided first).
pub async fn decide(tx: &mut Tx, d: &Decision<'_>, now: i64) -> Result<bool, sqlx::Error> {
    const SET: &str = "status = $1, reason = $2, decided_by = $3, decision_note = $4, decided_at_ms = $5";
    let done = match d.read {
        None => {
            let sql = format!("UPDATE identity_verifications SET {SET} WHERE id = $6 AND status = $7");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(d.to)
                .bind(d.reason)
                .bind(d.decided_by)
                .bind(d.note)
                .bind(now)
                .bind(d.id)
                .bind(d.from)
                .execute(&mut **tx)
                .await?
        }
        Some(read) => {
            let sql = format!(
                "UPDATE identity_verifications SET {SET}, read_full_name = $6, read_full_name_kana = $7,
                     read_date_of_birth = $8, read_address = $9
                 WHERE id = $10 AND status = $11"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(d.to)
                .bind(d.reason)
                .bind(d.decided_by)
                .bind(d.note)
                .bind(now)
                .bind(&read.full_name)
                .bind(&read.full_name_kana)
                .bind(&read.date_of_birth)
                .bind(&read.address)
                .bind(d.id)
                .bind(d.from)
                .execute(&mut **tx)
                .await?
        }
    };
    Ok(one(done))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRow {
    pub user_id: String,
    pub data: PersonData,
    pub method: String,
    pub verification_id: String,
    pub provider_check_id: String,
    pub decided_by: String,
    pub verified_at_ms: i64,
}

/// False when the user is verified already (one verified identity per user).
pub async fn insert_verified(tx: &mut Tx, v: &VerifiedRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO identity_verified (user_id, legal_name, legal_name_kana, date_of_birth, address, method,
             verification_id, provider_check_id, decided_by, verified_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(&v.user_id)
    .bind(&v.data.full_name)
    .bind(&v.data.full_name_kana)
    .bind(&v.data.date_of_birth)
    .bind(&v.data.address)
    .bind(&v.method)
    .bind(&v.verification_id)
    .bind(&v.provider_check_id)
    .bind(&v.decided_by)
    .bind(v.verified_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(one(done))
}

/// Read from the writer's pool: a flow that needs a verified user must see a verification the
/// moment it commits.
pub async fn verified(db: &Db, user_id: &str) -> Result<Option<VerifiedRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT user_id, legal_name, legal_name_kana, date_of_birth, address, method, verification_id,
                provider_check_id, decided_by, verified_at_ms
         FROM identity_verified WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(db.write_pool())
    .await?;
    row.map(|r| {
        Ok(VerifiedRow {
            user_id: r.try_get("user_id")?,
            data: PersonData {
                full_name: r.try_get("legal_name")?,
                full_name_kana: r.try_get("legal_name_kana")?,
                date_of_birth: r.try_get("date_of_birth")?,
                address: r.try_get("address")?,
            },
            method: r.try_get("method")?,
            verification_id: r.try_get("verification_id")?,
            provider_check_id: r.try_get("provider_check_id")?,
            decided_by: r.try_get("decided_by")?,
            verified_at_ms: r.try_get("verified_at_ms")?,
        })
    })
    .transpose()
}
