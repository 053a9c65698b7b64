//! The audit chain: an append-only log of security-relevant events where each record carries the
//! SHA-256 of the one before, so that changing, removing or reordering any record is detectable.
//! Appends happen inside the caller's transaction, so an event and its audit record commit together.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;
use sqlx::{Any, Row, Transaction};

mod checks;

pub use checks::{AuditCheck, check_and_record, last_check, read_recent};

use crate::storage::{Db, bulk_sql, now_ms, row_placeholders, rows_per_chunk};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest value (in bytes) kept for any text field; details beyond it are cut, so one event cannot grow the log without bound.
const MAX_FIELD_BYTES: usize = 4_096;

/// One event to record. `details` must never hold a secret, code, password or token.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEvent {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub request_id: String,
    pub outcome: String,
    pub details: serde_json::Value,
}

impl AuditEvent {
    pub fn new(actor: impl Into<String>, action: impl Into<String>, target: impl Into<String>) -> Self {
        AuditEvent {
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            request_id: String::new(),
            outcome: "success".into(),
            details: serde_json::Value::Null,
        }
    }
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = id.into();
        self
    }
    pub fn outcome(mut self, outcome: impl Into<String>) -> Self {
        self.outcome = outcome.into();
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// A stored record, as read back for verification or display.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditRecord {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub request_id: String,
    pub outcome: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

fn clip(s: &str) -> String {
    // Control characters are escaped so a crafted value cannot forge extra lines in any text export.
    let mut out = String::with_capacity(s.len().min(MAX_FIELD_BYTES));
    for c in s.chars() {
        if out.len() >= MAX_FIELD_BYTES {
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The hash of a record: SHA-256 over the previous hash and a canonical JSON array of the fields.
pub fn record_hash(prev_hash: &str, r: &AuditRecord) -> String {
    let canonical =
        serde_json::json!([r.seq, r.at_ms, r.actor, r.action, r.target, r.request_id, r.outcome, r.details]);
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Append `events` to the chain inside `tx`. On PostgreSQL the head row is locked, which orders
/// appends from every process; callers batch events so the lock is taken once per transaction.
pub async fn append(db: &Db, tx: &mut Transaction<'static, Any>, events: &[AuditEvent]) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let head = lock_head(db, tx).await?;
    append_after(db, tx, head, events).await
}

/// `append` for a transaction that took the lock with `lock_head` and has appended nothing
/// since: the head it read then is still the head (one round trip fewer per ledger batch).
pub async fn append_after(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    head: Head,
    events: &[AuditEvent],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let Head { mut seq, hash: mut prev } = head;
    let at_ms = now_ms();
    let mut records = Vec::with_capacity(events.len());
    for e in events {
        seq += 1;
        let mut r = AuditRecord {
            seq,
            at_ms,
            actor: clip(&e.actor),
            action: clip(&e.action),
            target: clip(&e.target),
            request_id: clip(&e.request_id),
            outcome: clip(&e.outcome),
            details: clip(&e.details.to_string()),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        r.hash = record_hash(&prev, &r);
        prev = r.hash.clone();
        records.push(r);
    }
    const WIDTH: usize = 10;
    for chunk in records.chunks(rows_per_chunk(WIDTH)) {
        let sql = format!(
            "INSERT INTO audit_log (seq, at_ms, actor, action, target, request_id, outcome, details, prev_hash, hash) VALUES {}",
            row_placeholders(chunk.len(), WIDTH)
        );
        let mut q = sqlx::query(AssertSqlSafe(bulk_sql(db.backend(), sql)));
        for r in chunk {
            q = q
                .bind(r.seq)
                .bind(r.at_ms)
                .bind(&r.actor)
                .bind(&r.action)
                .bind(&r.target)
                .bind(&r.request_id)
                .bind(&r.outcome)
                .bind(&r.details)
                .bind(&r.prev_hash)
                .bind(&r.hash);
        }
        q.persistent(false).execute(&mut **tx).await?;
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Take the chain's lock at the start of a transaction that will append later. Taking it first
/// keeps the lock order the same everywhere (audit head, then rows), so writers cannot deadlock.
pub async fn lock_head(db: &Db, tx: &mut Transaction<'static, Any>) -> Result<Head, sqlx::Error> {
    let head = sqlx::query(AssertSqlSafe(format!("SELECT seq, hash FROM audit_head WHERE id = 1{}", db.for_update())))
        .fetch_one(&mut **tx)
        .await?;
    Ok(Head { seq: head.try_get("seq")?, hash: head.try_get("hash")? })
}

/// The chain's last record (sequence number and hash), as read under the lock.
#[derive(Debug, Clone)]
pub struct Head {
    seq: i64,
    hash: String,
}

/// Append one event in its own transaction, for events that move no data of their own.
pub async fn record(db: &Db, event: AuditEvent) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    append(db, &mut tx, std::slice::from_ref(&event)).await?;
    tx.commit().await
}

/// What the verifier found wrong, naming the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AuditProblem {
    /// A sequence number is missing: records were removed (or the order was rewritten).
    Missing { expected_seq: i64, found_seq: i64 },
    /// The record's stored link does not match the previous record: reordered or replaced.
    BrokenLink { seq: i64 },
    /// The record's content does not match its hash: altered.
    Altered { seq: i64 },
    /// The chain ends before (or after) the recorded head: records at the end were removed or added.
    HeadMismatch { head_seq: i64, last_seq: i64 },
}

impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditProblem::Missing { expected_seq, found_seq } => write!(
                f,
                "record {expected_seq} is missing (next record found is {found_seq}): records were removed or reordered"
            ),
            AuditProblem::BrokenLink { seq } => {
                write!(f, "record {seq} does not link to record {}: records were reordered or replaced", seq - 1)
            }
            AuditProblem::Altered { seq } => write!(f, "record {seq} was altered: its content does not match its hash"),
            AuditProblem::HeadMismatch { head_seq, last_seq } => write!(
                f,
                "the chain head says {head_seq} records but the log ends at record {last_seq}: records at the end were removed or added"
            ),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub records_checked: i64,
    pub problems: Vec<AuditProblem>,
}

impl AuditReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Records read per page while verifying: bounded memory for any chain length.
const VERIFY_PAGE: i64 = 2_000;
/// Stop listing after this many problems; one is enough to act on.
const MAX_PROBLEMS: usize = 100;

/// Walk the whole chain and report every altered, missing or reordered record. The head is read
/// first and the walk stops there, so appends made while it runs are not mistaken for tampering.
pub async fn verify(db: &Db) -> Result<AuditReport, sqlx::Error> {
    let (head_seq, head_hash) = read_head(db).await?;
    let mut expected_seq = 1i64;
    let mut prev = GENESIS_HASH.to_owned();
    let mut last_seq = 0i64;
    let mut checked = 0i64;
    let mut problems = Vec::new();
    loop {
        let page = read_range(db, last_seq, head_seq, VERIFY_PAGE).await?;
        if page.is_empty() {
            break;
        }
        for r in &page {
            checked += 1;
            if r.seq != expected_seq {
                problems.push(AuditProblem::Missing { expected_seq, found_seq: r.seq });
            }
            if r.prev_hash != prev {
                problems.push(AuditProblem::BrokenLink { seq: r.seq });
            }
            // Recompute from the stored link: an altered record fails here even if its neighbours are intact.
            if record_hash(&r.prev_hash, r) != r.hash {
                problems.push(AuditProblem::Altered { seq: r.seq });
            }
            prev = r.hash.clone();
            expected_seq = r.seq + 1;
            last_seq = r.seq;
        }
        if problems.len() >= MAX_PROBLEMS {
            problems.truncate(MAX_PROBLEMS);
            return Ok(AuditReport { records_checked: checked, problems });
        }
    }
    // Records beyond the head are legitimate only if the head has moved on since we read it.
    // Count first, then re-read the head: an append moves both at once, so any record counted
    // by a legitimate append is covered by the head read after it.
    let beyond: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE seq > $1")
        .bind(head_seq)
        .fetch_one(db.read_pool())
        .await?;
    let (head_seq_now, _) = read_head(db).await?;
    let added_behind_head = head_seq_now == head_seq && beyond > 0;
    if last_seq != head_seq || prev != head_hash || added_behind_head {
        problems.push(AuditProblem::HeadMismatch {
            head_seq,
            last_seq: last_seq + if added_behind_head { beyond } else { 0 },
        });
    }
    Ok(AuditReport { records_checked: checked, problems })
}

async fn read_head(db: &Db) -> Result<(i64, String), sqlx::Error> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(db.read_pool()).await?;
    Ok((head.try_get("seq")?, head.try_get("hash")?))
}

/// Records after `after_seq`, oldest first, at most `limit`.
pub async fn read_page(db: &Db, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>, sqlx::Error> {
    read_range(db, after_seq, i64::MAX, limit).await
}

async fn read_range(db: &Db, after_seq: i64, up_to_seq: i64, limit: i64) -> Result<Vec<AuditRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT seq, at_ms, actor, action, target, request_id, outcome, details, prev_hash, hash
         FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
    )
    .bind(after_seq)
    .bind(up_to_seq)
    .bind(limit)
    .fetch_all(db.read_pool())
    .await?;

    rows.iter().map(record_row).collect()
}

fn record_row(row: &sqlx::any::AnyRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        request_id: row.try_get("request_id")?,
        outcome: row.try_get("outcome")?,
        details: row.try_get("details")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
