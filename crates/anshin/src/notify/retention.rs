//! Retention: delivered messages, dead ones, their attempts and the dev mailbox are deleted
//! after a configured time, so the outbox does not grow for ever nor keep what it no longer
//! needs. Each run that removes something appends one audit record with the counts and time
//! range, so the chain keeps the evidence that the messages existed.

use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use crate::audit::{self, AuditEvent};
use crate::storage::{Db, now_ms, placeholders};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionConfig {
    /// Delivered messages (and their attempts and dev-mailbox copies) are kept this long after delivery.
    pub delivered_days: i64,
    /// Dead messages are kept longer, counted from when they were queued, for an operator to look at.
    pub dead_days: i64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig { delivered_days: 30, dead_days: 90 }
    }
}

/// Rows of each kind removed by one run: a run holds the audit chain's lock, so it stays short;
/// `PurgeReport::more` tells the caller to run again.
const MAX_PURGE_ROWS: usize = 2_000;
const DAY_MS: i64 = 24 * 3_600 * 1_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub delivered: u64,
    pub dead: u64,
    pub attempts: u64,
    pub mailbox: u64,
    /// A limit was reached: more rows are due.
    pub more: bool,
}

/// The earliest and latest of `times_ms`, for the audit record's time range.
fn span(times_ms: &[i64]) -> (Option<i64>, Option<i64>) {
    (times_ms.iter().min().copied(), times_ms.iter().max().copied())
}

/// One purge run, in one transaction with its audit record.
pub async fn purge_expired(db: &Db, config: &RetentionConfig) -> Result<PurgeReport, sqlx::Error> {
    let now = now_ms();
    // At least a day: a zero or negative setting must not delete messages as they are delivered.
    let delivered_before_ms = now - config.delivered_days.max(1) * DAY_MS;
    let dead_before_ms = now - config.dead_days.max(1) * DAY_MS;
    let limit = i64::try_from(MAX_PURGE_ROWS).expect("small");
    let mut tx = db.begin_write().await?;
    // The chain's lock first, as every appender takes it; it also makes purges from several
    // processes run one at a time, so none counts rows another has already removed.
    audit::lock_head(db, &mut tx).await?;
    let due = sqlx::query(
        "SELECT id, status, created_at_ms FROM outbox
         WHERE (status = 'delivered' AND delivered_at_ms < $1) OR (status = 'dead' AND created_at_ms < $2)
         ORDER BY created_at_ms LIMIT $3",
    )
    .bind(delivered_before_ms)
    .bind(dead_before_ms)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut report = PurgeReport::default();
    let mut ids = Vec::with_capacity(due.len());
    let mut created = Vec::with_capacity(due.len());
    for row in &due {
        let status: String = row.try_get("status")?;
        match status.as_str() {
            "delivered" => report.delivered += 1,
            _ => report.dead += 1,
        }
        ids.push(row.try_get::<String, _>("id")?);
        created.push(row.try_get::<i64, _>("created_at_ms")?);
    }
    if !ids.is_empty() {
        // Attempts first: they reference their message.
        report.attempts = delete_by_ids(&mut tx, "outbox_attempts", "outbox_id", &ids).await?;
        delete_by_ids(&mut tx, "outbox", "id", &ids).await?;
    }
    let mailbox: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM dev_mailbox WHERE id IN (SELECT id FROM dev_mailbox WHERE delivered_at_ms < $1 ORDER BY id LIMIT $2)
         RETURNING delivered_at_ms",
    )
    .bind(delivered_before_ms)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    report.mailbox = mailbox.len() as u64;
    report.more = ids.len() == MAX_PURGE_ROWS || mailbox.len() == MAX_PURGE_ROWS;
    if ids.is_empty() && mailbox.is_empty() {
        tx.rollback().await?;
        return Ok(report);
    }
    let (queued_from_ms, queued_until_ms) = span(&created);
    let (copies_from_ms, copies_until_ms) = span(&mailbox);
    let event = AuditEvent::new("system", "notify.retention.purged", "outbox").details(json!({
        "delivered_removed": report.delivered,
        "dead_removed": report.dead,
        "attempts_removed": report.attempts,
        "messages_queued_from_ms": queued_from_ms,
        "messages_queued_until_ms": queued_until_ms,
        "mailbox_removed": report.mailbox,
        "mailbox_delivered_from_ms": copies_from_ms,
        "mailbox_delivered_until_ms": copies_until_ms,
        "delivered_before_ms": delivered_before_ms,
        "dead_before_ms": dead_before_ms,
    }));
    audit::append(db, &mut tx, &[event]).await?;
    tx.commit().await?;
    Ok(report)
}

async fn delete_by_ids(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    table: &'static str,
    column: &'static str,
    ids: &[String],
) -> Result<u64, sqlx::Error> {
    let sql = format!("DELETE FROM {table} WHERE {column} IN ({})", placeholders(1, ids.len()));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.persistent(false).execute(&mut **tx).await?.rows_affected())
}
