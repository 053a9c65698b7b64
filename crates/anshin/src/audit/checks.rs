//! Verifications of the chain, kept as results: a background job and operators on demand run
//! the (whole-chain) verifier, and pages show the last result instead of walking the chain on
//! every view. Also the newest-first reading of the log for operators.

use serde::Serialize;
use sqlx::Row;

use super::{AuditRecord, record_row, verify};
use crate::storage::{Db, now_ms};

/// The result of one verification.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditCheck {
    pub at_ms: i64,
    /// `system` for the background job, or the operator's user id.
    pub requested_by: String,
    pub records_checked: i64,
    pub ok: bool,
    /// What was wrong, one sentence each, naming the record.
    pub problems: Vec<String>,
}

/// Verify the whole chain now and store the result.
pub async fn check_and_record(db: &Db, requested_by: &str) -> Result<AuditCheck, sqlx::Error> {
    let report = verify(db).await?;
    let check = AuditCheck {
        at_ms: now_ms(),
        requested_by: requested_by.to_owned(),
        records_checked: report.records_checked,
        ok: report.ok(),
        problems: report.problems.iter().map(ToString::to_string).collect(),
    };
    sqlx::query(
        "INSERT INTO audit_checks (at_ms, requested_by, records_checked, ok, problems) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(check.at_ms)
    .bind(&check.requested_by)
    .bind(check.records_checked)
    .bind(i64::from(check.ok))
    .bind(serde_json::to_string(&check.problems).unwrap_or_default())
    .execute(db.write_pool())
    .await?;
    Ok(check)
}

/// The newest stored verification, if any.
pub async fn last_check(db: &Db) -> Result<Option<AuditCheck>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT at_ms, requested_by, records_checked, ok, problems FROM audit_checks ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| {
        Ok(AuditCheck {
            at_ms: r.try_get("at_ms")?,
            requested_by: r.try_get("requested_by")?,
            records_checked: r.try_get("records_checked")?,
            ok: r.try_get::<i64, _>("ok")? != 0,
            problems: serde_json::from_str(&r.try_get::<String, _>("problems")?).unwrap_or_default(),
        })
    })
    .transpose()
}

/// Records before `before_seq` (or the newest), newest first, at most `limit`.
pub async fn read_recent(db: &Db, before_seq: Option<i64>, limit: i64) -> Result<Vec<AuditRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT seq, at_ms, actor, action, target, request_id, outcome, details, prev_hash, hash
         FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
    )
    .bind(before_seq.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(db.read_pool())
    .await?;
    rows.iter().map(record_row).collect()
}
