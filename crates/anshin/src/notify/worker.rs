//! The delivery worker. Messages are claimed with a lease (so several processes can share the
//! outbox and a crashed worker's claims come back when the lease runs out), delivered outside
//! any transaction, and their outcome recorded. Delivery is at least once: a crash after the
//! send but before the record means one more send, never a lost message.
//!
//! The worker is the one place a queued body is opened; once the message is delivered its body
//! is replaced by the redaction marker in the same statement that records the delivery.

use sqlx::AssertSqlSafe;
use std::time::Duration;

use futures::StreamExt;
use rand::Rng;
use sqlx::Row;
use tokio::sync::watch;

use super::{Channel, OutboxMessage, REDACTED_BODY, Transport};
use crate::storage::{Backend, Db, now_ms};

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a claim lasts before another worker may take the message over.
    pub lease_secs: i64,
    pub poll_interval_ms: u64,
    /// Messages claimed per round; all of a round's deliveries start at once (`concurrency` ≥
    /// `batch`), so none waits in line while its lease runs out.
    pub batch: i64,
    pub concurrency: usize,
    /// After this many failed attempts a message is marked dead for an operator to look at.
    pub max_attempts: i64,
    pub backoff_base_ms: i64,
    pub backoff_max_ms: i64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            lease_secs: 60,
            poll_interval_ms: 250,
            batch: 16,
            concurrency: 16,
            max_attempts: 12,
            backoff_base_ms: 1_000,
            backoff_max_ms: 3_600_000,
        }
    }
}

pub struct OutboxWorker {
    db: Db,
    transport: Transport,
    config: WorkerConfig,
}

struct Claimed {
    id: String,
    attempts: i64,
    /// The lease this worker holds; the outcome is recorded only while it still holds it.
    lease_until_ms: i64,
    /// The message with its body opened, or why the sealed body could not be opened (a server
    /// key that differs from the one it was queued under): then the attempt fails loudly.
    message: Result<OutboxMessage, String>,
    channel: Channel,
}

impl OutboxWorker {
    pub fn new(db: Db, transport: Transport, config: WorkerConfig) -> Self {
        OutboxWorker { db, transport, config }
    }

    /// Run until `shutdown` turns true; finishes the round in progress first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(transport = self.transport.name(), "outbox worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let delivered = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox round failed");
                    0
                }
            };
            if delivered == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(self.config.poll_interval_ms)) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// Claim and attempt one round of due messages. Returns how many were attempted.
    pub async fn run_once(&self) -> Result<usize, sqlx::Error> {
        let claimed = self.claim().await?;
        let n = claimed.len();
        futures::stream::iter(claimed)
            .for_each_concurrent(self.config.concurrency, |c| async move {
                // A delivery may not outlive half its lease, or another worker could take the
                // message over while this one is still sending it.
                let limit =
                    Duration::from_millis(u64::try_from(self.config.lease_secs * 500).unwrap_or(1_000).max(1_000));
                let result = match &c.message {
                    Err(unopened) => Err(unopened.clone()),
                    Ok(message) => match tokio::time::timeout(limit, self.transport.deliver(&c.id, message)).await {
                        Ok(r) => r,
                        Err(_) => Err(format!("delivery took longer than {} ms", limit.as_millis())),
                    },
                };
                if let Err(e) = self.record(&c, result).await {
                    // The lease runs out and the message is tried again: at least once, never lost.
                    tracing::warn!(error = %e, outbox_id = %c.id, "could not record delivery outcome");
                }
            })
            .await;
        Ok(n)
    }

    async fn claim(&self) -> Result<Vec<Claimed>, sqlx::Error> {
        let now = now_ms();
        let skip_locked = match self.db.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET locked_until_ms = $1, attempts = attempts + 1
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at_ms <= $2 AND locked_until_ms <= $2
                          ORDER BY next_attempt_at_ms LIMIT $3{skip_locked})
             RETURNING id, channel, recipient, subject, body, attempts"
        );
        let lease_until_ms = now + self.config.lease_secs * 1000;
        let mut tx = self.db.begin_write().await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(lease_until_ms)
            .bind(now)
            .bind(self.config.batch)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let channel: String = r.try_get("channel")?;
                let channel = Channel::parse(&channel).unwrap_or(Channel::InApp);
                let sealed: String = r.try_get("body")?;
                let recipient: String = r.try_get("recipient")?;
                let subject: String = r.try_get("subject")?;
                let message = match self.db.keys() {
                    None => Err("no server key to open the message body with".to_owned()),
                    Some(keys) => keys
                        .open_message(&sealed, &id)
                        .map(|body| OutboxMessage { channel, recipient, subject, body })
                        .map_err(|e| format!("the sealed body does not open with this server's key: {e}")),
                };
                Ok(Claimed { id, attempts: r.try_get("attempts")?, lease_until_ms, message, channel })
            })
            .collect()
    }

    async fn record(&self, c: &Claimed, result: Result<String, String>) -> Result<(), sqlx::Error> {
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let (outcome, detail) = match &result {
            Ok(detail) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'delivered', delivered_at_ms = $1, locked_until_ms = 0, last_error = NULL,
                     body = $3 WHERE id = $2 AND status = 'pending'",
                )
                // A success is recorded even if the lease ran out meanwhile: it happened.
                .bind(now)
                .bind(&c.id)
                .bind(REDACTED_BODY)
                .execute(&mut *tx)
                .await?;
                metrics::counter!("anshin_outbox_delivered_total", "channel" => c.channel.as_str()).increment(1);
                ("delivered", detail.as_str())
            }
            Err(error) => {
                let dead = c.attempts >= self.config.max_attempts;
                let next = now + self.backoff_ms(c.attempts);
                sqlx::query(
                    "UPDATE outbox SET status = $1, next_attempt_at_ms = $2, locked_until_ms = 0, last_error = $3
                     WHERE id = $4 AND status = 'pending' AND locked_until_ms = $5",
                )
                // Fenced by the lease: a worker that lost its claim must not undo another's success.
                .bind(if dead { "dead" } else { "pending" })
                .bind(next)
                .bind(error)
                .bind(&c.id)
                .bind(c.lease_until_ms)
                .execute(&mut *tx)
                .await?;
                metrics::counter!("anshin_outbox_failed_attempts_total", "channel" => c.channel.as_str()).increment(1);
                tracing::warn!(outbox_id = %c.id, attempt = c.attempts, dead, error = %error, "delivery failed");
                (if dead { "dead" } else { "retry" }, error.as_str())
            }
        };
        sqlx::query(
            "INSERT INTO outbox_attempts (outbox_id, attempt, at_ms, outcome, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&c.id)
        .bind(c.attempts)
        .bind(now)
        .bind(outcome)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// Exponential backoff with ±20 % jitter, so retries from many messages do not arrive together.
    fn backoff_ms(&self, attempts: i64) -> i64 {
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let base =
            self.config.backoff_base_ms.max(0).saturating_mul(1i64 << exp).min(self.config.backoff_max_ms.max(0));
        let jitter = rand::rng().random_range(-(base / 5)..=(base / 5));
        (base + jitter).max(0)
    }
}
