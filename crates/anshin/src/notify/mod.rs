//! The transactional outbox: messages (e-mail, SMS, webhook, in-app) are written in the same
//! transaction as the event that causes them, then delivered by a background worker, at least
//! once, with retries and backoff; every attempt is recorded. With no SMTP server configured,
//! messages land in a local dev mailbox that the CLI and a page can read.
//!
//! Bodies carry codes and reset keys, so they are never readable in the database: sealed with
//! the server's key (bound to the message id) when queued, opened only by the worker to deliver
//! and by the dev mailbox to show, and replaced by `REDACTED_BODY` once delivered. Delivered and
//! dead rows, their attempts and the dev mailbox are purged after a retention period
//! (`retention`), leaving an audit record that they existed.

mod retention;
mod transport;
pub mod webhook;
mod worker;

use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use sqlx::{Any, Row, Transaction};

use crate::storage::{Db, bulk_sql, ids::new_id, now_ms, row_placeholders, rows_per_chunk};

pub use retention::{PurgeReport, RetentionConfig, purge_expired};
pub use transport::{SmsConfig, SmtpConfig, Transport};
pub use worker::{OutboxWorker, WorkerConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Webhook,
    InApp,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Webhook => "webhook",
            Channel::InApp => "in_app",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Email, Channel::Sms, Channel::Webhook, Channel::InApp].into_iter().find(|c| c.as_str() == s)
    }
}

/// Limits that keep one message from growing the outbox without bound.
pub const MAX_RECIPIENT_CHARS: usize = 320;
pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

impl OutboxMessage {
    pub fn email(recipient: impl Into<String>, subject: impl Into<String>, body: impl Into<String>) -> Self {
        OutboxMessage {
            channel: Channel::Email,
            recipient: recipient.into(),
            subject: subject.into(),
            body: body.into(),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.recipient.trim().is_empty() || self.recipient.chars().count() > MAX_RECIPIENT_CHARS {
            return Err(format!("recipient must be 1 to {MAX_RECIPIENT_CHARS} characters"));
        }
        if self.recipient.chars().any(char::is_control) || self.subject.chars().any(char::is_control) {
            return Err("recipient and subject may not contain control characters".into());
        }
        // PostgreSQL cannot store NUL in text, and no message needs one.
        if self.body.contains('\0') {
            return Err("body may not contain NUL characters".into());
        }
        if self.subject.chars().count() > MAX_SUBJECT_CHARS {
            return Err(format!("subject must be at most {MAX_SUBJECT_CHARS} characters"));
        }
        if self.body.chars().count() > MAX_BODY_CHARS {
            return Err(format!("body must be at most {MAX_BODY_CHARS} characters"));
        }
        Ok(())
    }
}

/// What a delivered message's body becomes: the text is gone, the row stays as evidence.
pub const REDACTED_BODY: &str = "[redacted after delivery]";

/// Write messages inside the caller's transaction; they are delivered only if it commits.
/// Bodies are sealed with `db.keys()`. Returns the new message ids.
pub async fn enqueue(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    messages: &[OutboxMessage],
) -> Result<Vec<String>, sqlx::Error> {
    const WIDTH: usize = 8;
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let keys = server_keys(db)?;
    let now = now_ms();
    let ids: Vec<String> = messages.iter().map(|_| new_id("msg")).collect();
    let sealed: Vec<String> = ids.iter().zip(messages).map(|(id, m)| keys.seal_message(&m.body, id)).collect();
    let rows: Vec<(&String, &OutboxMessage, &String)> =
        ids.iter().zip(messages).zip(&sealed).map(|((id, m), body)| (id, m, body)).collect();
    for chunk in rows.chunks(rows_per_chunk(WIDTH)) {
        let sql = format!(
            "INSERT INTO outbox (id, channel, recipient, subject, body, status, next_attempt_at_ms, created_at_ms) VALUES {}",
            row_placeholders(chunk.len(), WIDTH)
        );
        let mut q = sqlx::query(AssertSqlSafe(bulk_sql(db.backend(), sql)));
        for (id, m, body) in chunk {
            q = q
                .bind(*id)
                .bind(m.channel.as_str())
                .bind(&m.recipient)
                .bind(&m.subject)
                .bind(*body)
                .bind("pending")
                .bind(now)
                .bind(now);
        }
        q.persistent(false).execute(&mut **tx).await?;
    }
    Ok(ids)
}

/// The keys that seal and open bodies. Only tools that never touch messages open the database
/// without them, so their absence here is a wiring mistake, reported rather than written around.
fn server_keys(db: &Db) -> Result<&crate::keys::Keys, sqlx::Error> {
    db.keys().ok_or_else(|| {
        sqlx::Error::Configuration("the database handle carries no server keys: message bodies cannot be sealed".into())
    })
}

/// One message as the dev mailbox shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MailboxMessage {
    pub id: i64,
    pub outbox_id: String,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub delivered_at_ms: i64,
}

pub const MAX_MAILBOX_PAGE: i64 = 200;

/// Newest dev-mailbox messages, optionally only those to `recipient`.
pub async fn mailbox(db: &Db, recipient: Option<&str>, limit: i64) -> Result<Vec<MailboxMessage>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, outbox_id, channel, recipient, subject, body, delivered_at_ms FROM dev_mailbox
         WHERE ($1 = '' OR recipient = $1) ORDER BY id DESC LIMIT $2",
    )
    .bind(recipient.unwrap_or(""))
    .bind(limit.clamp(1, MAX_MAILBOX_PAGE))
    .fetch_all(db.read_pool())
    .await?;
    let keys = server_keys(db)?;
    rows.iter()
        .map(|r| {
            let outbox_id: String = r.try_get("outbox_id")?;
            let sealed: String = r.try_get("body")?;
            let body = keys.open_message(&sealed, &outbox_id).unwrap_or_else(|e| {
                tracing::warn!(%outbox_id, error = %e, "a dev mailbox message does not open with this server's key");
                UNOPENED_BODY.to_owned()
            });
            Ok(MailboxMessage {
                id: r.try_get("id")?,
                outbox_id,
                channel: r.try_get("channel")?,
                recipient: r.try_get("recipient")?,
                subject: r.try_get("subject")?,
                body,
                delivered_at_ms: r.try_get("delivered_at_ms")?,
            })
        })
        .collect()
}

/// Shown for a dev-mailbox message sealed under another server key (another data directory).
pub const UNOPENED_BODY: &str = "[sealed with another server key: cannot be shown]";

/// Status of one outbox message, for tests and operators.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxStatus {
    pub id: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

pub async fn status(db: &Db, id: &str) -> Result<Option<OutboxStatus>, sqlx::Error> {
    let row = sqlx::query("SELECT id, status, attempts, last_error FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(db.read_pool())
        .await?;
    row.map(|r| {
        Ok(OutboxStatus {
            id: r.try_get("id")?,
            status: r.try_get("status")?,
            attempts: r.try_get("attempts")?,
            last_error: r.try_get("last_error")?,
        })
    })
    .transpose()
}
