//! Every SQL statement over merchant events (migrations/0009): the event row and its webhook
//! deliveries, both written as `Effect`s in the payment's own ledger transaction, and the reads
//! of the live feed and the portal.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::events::{EventPayment, EventRefund, MerchantEvent};
use crate::ledger::{BatchSql, Effect, EffectValue};
use crate::storage::Db;

/// Which of a refund's two possible outcomes a statement is for: the payment fully refunded
/// after it, or not. Refunds racing in one batch are applied one after another, so only the
/// payment row as it stands inside the transaction knows which; each variant's statement
/// carries the condition and exactly one of them writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not a refund: always written.
    Any,
    FullyRefunded,
    PartlyRefunded,
}

impl Outcome {
    fn bind(self) -> i64 {
        match self {
            Outcome::Any => 2,
            Outcome::FullyRefunded => 1,
            Outcome::PartlyRefunded => 0,
        }
    }
}

/// The event row, numbered next in commit order. Must come after the effect that writes or
/// changes the payment row (it reads the row as the transaction left it); refuses the command if
/// the payment is not this merchant's, which would be a bug in the caller.
pub fn insert_event(
    event_id: &str,
    merchant_id: &str,
    payment_id: &str,
    type_if_fully_refunded: &str,
    type_otherwise: &str,
    refund: Option<&EventRefund>,
    now_ms: i64,
) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "INSERT INTO merchant_events (seq, id, merchant_id, type, payment_id, store_id, terminal_id, method,
                  amount_minor, refund_id, refund_amount_minor, confirmation_code, reference, created_at_ms)
              SELECT COALESCE((SELECT MAX(seq) FROM merchant_events), 0) + 1, $1, $2,
                  CASE WHEN p.refunded_minor = p.amount_minor THEN $3 ELSE $4 END,
                  p.id, p.store_id, p.terminal_id, p.method, p.amount_minor, $5, $6, p.confirmation_code,
                  p.reference, $7
              FROM payments p WHERE p.id = $8 AND p.merchant_id = $2",
        binds: vec![
            Text(event_id.to_owned()),
            Text(merchant_id.to_owned()),
            Text(type_if_fully_refunded.to_owned()),
            Text(type_otherwise.to_owned()),
            Text(refund.map(|r| r.id.clone()).unwrap_or_default()),
            Int(refund.map(|r| r.amount_minor).unwrap_or(0)),
            Int(now_ms),
            Text(payment_id.to_owned()),
        ],
        expect_rows: Some(1),
        refusal: "merchant_event",
        // The sequence continues from the largest before the statement, by row position.
        batch: Some(BatchSql {
            head: "INSERT INTO merchant_events (seq, id, merchant_id, type, payment_id, store_id, terminal_id, method,
                      amount_minor, refund_id, refund_amount_minor, confirmation_code, reference, created_at_ms)
                  SELECT (SELECT COALESCE(MAX(seq), 0) FROM merchant_events) + v.column1, v.column2, v.column3,
                      CASE WHEN p.refunded_minor = p.amount_minor THEN v.column4 ELSE v.column5 END,
                      p.id, p.store_id, p.terminal_id, p.method, p.amount_minor, v.column6, v.column7,
                      p.confirmation_code, p.reference, v.column8
                  FROM (VALUES ",
            row: "($0, $1, $2, $3, $4, $5, CAST($6 AS BIGINT), CAST($7 AS BIGINT), $8)",
            tail: ") AS v JOIN payments p ON p.id = v.column9 AND p.merchant_id = v.column3 ORDER BY v.column1",
        }),
    }
}

/// One webhook delivery into the outbox (`channel = 'webhook'`, the endpoint as recipient, the
/// event type as subject, the body sealed for `message_id`), if the payment stands as `outcome` says.
pub fn insert_delivery(
    message_id: &str,
    endpoint_id: &str,
    event_type: &str,
    sealed_body: &str,
    payment_id: &str,
    outcome: Outcome,
    now_ms: i64,
) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "INSERT INTO outbox (id, channel, recipient, subject, body, status, next_attempt_at_ms, created_at_ms)
              SELECT $1, 'webhook', $2, $3, $4, 'pending', $5, $5 FROM payments
              WHERE id = $6 AND ($7 = 2 OR (CASE WHEN refunded_minor = amount_minor THEN 1 ELSE 0 END) = $7)",
        binds: vec![
            Text(message_id.to_owned()),
            Text(endpoint_id.to_owned()),
            Text(event_type.to_owned()),
            Text(sealed_body.to_owned()),
            Int(now_ms),
            Text(payment_id.to_owned()),
            Int(outcome.bind()),
        ],
        expect_rows: None,
        refusal: "",
        batch: Some(BatchSql {
            head:
                "INSERT INTO outbox (id, channel, recipient, subject, body, status, next_attempt_at_ms, created_at_ms)
                  SELECT v.column1, 'webhook', v.column2, v.column3, v.column4, 'pending', v.column5, v.column5
                  FROM (VALUES ",
            row: "($1, $2, $3, $4, CAST($5 AS BIGINT), $6, CAST($7 AS BIGINT))",
            tail: ") AS v JOIN payments p ON p.id = v.column6
                  WHERE v.column7 = 2 OR (CASE WHEN p.refunded_minor = p.amount_minor THEN 1 ELSE 0 END) = v.column7",
        }),
    }
}

/// The merchant's enabled webhook endpoints (at most `MAX_WEBHOOK_ENDPOINTS`).
pub async fn enabled_endpoint_ids(db: &Db, merchant_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM webhook_endpoints WHERE merchant_id = $1 AND status = 'enabled' ORDER BY id")
        .bind(merchant_id)
        .fetch_all(db.read_pool())
        .await
}

const SELECT: &str = "SELECT e.seq, e.id, e.merchant_id, e.type, e.payment_id, e.store_id, e.terminal_id, e.method,
        e.amount_minor, e.refund_id, e.refund_amount_minor, e.confirmation_code, e.reference, e.created_at_ms
     FROM merchant_events e";

fn event(r: &AnyRow) -> Result<MerchantEvent, sqlx::Error> {
    let kind: String = r.try_get("type")?;
    let refund_id: String = r.try_get("refund_id")?;
    let refund = (!refund_id.is_empty())
        .then(|| Ok::<_, sqlx::Error>(EventRefund { id: refund_id, amount_minor: r.try_get("refund_amount_minor")? }))
        .transpose()?;
    Ok(MerchantEvent {
        seq: Some(r.try_get("seq")?),
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        created_at_ms: r.try_get("created_at_ms")?,
        payment: EventPayment {
            id: r.try_get("payment_id")?,
            store_id: r.try_get("store_id")?,
            terminal_id: r.try_get("terminal_id")?,
            method: r.try_get("method")?,
            amount_minor: r.try_get("amount_minor")?,
            status: kind.strip_prefix("payment.").unwrap_or(&kind).to_owned(),
            confirmation_code: r.try_get("confirmation_code")?,
            reference: r.try_get("reference")?,
        },
        refund,
        kind,
    })
}

/// A merchant's events after `after_seq`, oldest first.
pub async fn after(db: &Db, merchant_id: &str, after_seq: i64, limit: i64) -> Result<Vec<MerchantEvent>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE e.merchant_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(merchant_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(db.read_pool())
        .await?;
    rows.iter().map(event).collect()
}

/// The `skip`-th newest of a merchant's events after `after_seq`, if there are that many: where
/// a replay bounded to `skip` events starts.
pub async fn replay_start(db: &Db, merchant_id: &str, after_seq: i64, skip: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT seq FROM merchant_events WHERE merchant_id = $1 AND seq > $2 ORDER BY seq DESC LIMIT 1 OFFSET $3",
    )
    .bind(merchant_id)
    .bind(after_seq)
    .bind(skip)
    .fetch_optional(db.read_pool())
    .await
}

/// The newest event's number, of every merchant (0 when there is none).
pub async fn newest_seq(db: &Db) -> Result<i64, sqlx::Error> {
    let n: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM merchant_events").fetch_one(db.read_pool()).await?;
    Ok(n.unwrap_or(0))
}

/// A payment's events, oldest first (its page in the portal).
pub async fn of_payment(db: &Db, merchant_id: &str, payment_id: &str) -> Result<Vec<MerchantEvent>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE e.merchant_id = $1 AND e.payment_id = $2 ORDER BY e.seq LIMIT 100");
    let rows =
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(payment_id).fetch_all(db.read_pool()).await?;
    rows.iter().map(event).collect()
}
