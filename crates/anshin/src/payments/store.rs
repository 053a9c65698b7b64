//! Every SQL statement of the payments context (payment rows, payment devices, POS nonces).
//! Statements written in the ledger's transaction are `Effect`s built here too.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::ledger::{BatchSql, Effect, EffectValue};
use crate::storage::Db;
use crate::wallets::{Balances, WalletAccounts};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A live payment device with its sealed secret (live: not revoked, its session not revoked or
/// expired, its account active).
pub struct LiveDevice {
    pub id: String,
    pub user_id: String,
    pub sealed_secret: String,
    pub last_counter: i64,
    /// The owner's contact and state, read with the device (one query on the payment path).
    pub email: String,
    pub locale: String,
    pub money_out_blocked_until_ms: i64,
    /// The owner's wallet accounts and what each may spend now (posted balance less holds, as
    /// `Ledger::available` reads it), read with the device too; `None` before the wallet's
    /// first use opened its accounts.
    pub wallet: Option<(WalletAccounts, Balances)>,
}

pub async fn live_device(db: &Db, number: i64, now_ms: i64) -> Result<Option<LiveDevice>, sqlx::Error> {
    // The wallet's balances come in the same read (the payment path's costliest part is its
    // round trips); they are only a plan: the ledger refuses the split if they moved since.
    let row = sqlx::query(
        "SELECT d.id, d.user_id, d.sealed_secret, d.last_counter, u.email, u.locale, u.money_out_blocked_until_ms,
                w.money_account_id, w.lite_account_id, w.points_account_id,
                am.balance_minor - am.pending_debit_minor AS money_minor,
                al.balance_minor - al.pending_debit_minor AS lite_minor,
                ap.balance_minor - ap.pending_debit_minor AS points_minor
         FROM payment_devices d
         JOIN sessions s ON s.id = d.session_id JOIN users u ON u.id = d.user_id
         LEFT JOIN wallets w ON w.user_id = d.user_id
         LEFT JOIN ledger_accounts am ON am.id = w.money_account_id
         LEFT JOIN ledger_accounts al ON al.id = w.lite_account_id
         LEFT JOIN ledger_accounts ap ON ap.id = w.points_account_id
         WHERE d.number = $1 AND d.revoked_at_ms = 0 AND s.revoked_at_ms IS NULL AND s.expires_at_ms > $2
           AND u.status = 'active'",
    )
    .bind(number)
    .bind(now_ms)
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| {
        let user_id: String = r.try_get("user_id")?;
        let parts: (Option<i64>, Option<i64>, Option<i64>) =
            (r.try_get("money_minor")?, r.try_get("lite_minor")?, r.try_get("points_minor")?);
        let wallet = match (r.try_get::<Option<String>, _>("money_account_id")?, parts) {
            (Some(money), (Some(money_minor), Some(lite_minor), Some(points_minor))) => Some((
                WalletAccounts {
                    user_id: user_id.clone(),
                    money,
                    lite: r.try_get("lite_account_id")?,
                    points: r.try_get("points_account_id")?,
                },
                Balances::new(money_minor, lite_minor, points_minor),
            )),
            _ => None,
        };
        Ok(LiveDevice {
            id: r.try_get("id")?,
            user_id,
            sealed_secret: r.try_get("sealed_secret")?,
            last_counter: r.try_get("last_counter")?,
            email: r.try_get("email")?,
            locale: r.try_get("locale")?,
            money_out_blocked_until_ms: r.try_get("money_out_blocked_until_ms")?,
            wallet,
        })
    })
    .transpose()
}

/// A new device with the next number; the unique number refuses a concurrent twin, which retries.
pub async fn insert_device(
    tx: &mut Tx,
    id: &str,
    user_id: &str,
    session_id: &str,
    sealed_secret: &str,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO payment_devices (id, number, user_id, session_id, sealed_secret, created_at_ms)
         SELECT $1, COALESCE(MAX(number), 1000) + 1, $2, $3, $4, $5 FROM payment_devices
         RETURNING number",
    )
    .bind(id)
    .bind(user_id)
    .bind(session_id)
    .bind(sealed_secret)
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await
}

/// Earlier devices of the same session stop (a session shows codes from one device key).
pub async fn revoke_session_devices(tx: &mut Tx, session_id: &str, now_ms: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("UPDATE payment_devices SET revoked_at_ms = $1 WHERE session_id = $2 AND revoked_at_ms = 0")
        .bind(now_ms)
        .bind(session_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// Written with the payment's journal: the device's counter moves to `counter`, and only forward
/// (a code older than one already used is refused, even if it never paid).
pub fn advance_counter(device_id: &str, counter: i64) -> Effect {
    Effect {
        sql: "UPDATE payment_devices SET last_counter = $1 WHERE id = $2 AND last_counter < $1",
        binds: vec![EffectValue::Int(counter), EffectValue::Text(device_id.to_owned())],
        expect_rows: Some(1),
        refusal: "code_used",
        // One row per device: two codes of one device in one batch touch it once, which the
        // row count shows, and the batch runs again one by one.
        batch: Some(BatchSql {
            head: "UPDATE payment_devices SET last_counter = v.column2 FROM (VALUES ",
            row: "($2, CAST($1 AS BIGINT))",
            tail: ") AS v WHERE payment_devices.id = v.column1 AND payment_devices.last_counter < v.column2",
        }),
    }
}

/// Every state a payment is stored in (filters, event types and page words are checked against
/// this one list).
pub const STATUSES: [&str; 7] =
    ["succeeded", "held", "requires_confirmation", "refunded", "partially_refunded", "canceled", "voided"];

/// A payment as stored and shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Payment {
    /// `pay_…`
    pub id: String,
    pub merchant_id: String,
    pub store_id: String,
    pub terminal_id: String,
    #[serde(skip)]
    pub customer_user_id: String,
    /// `customer_presented` or `merchant_presented`.
    pub method: String,
    pub amount_minor: i64,
    pub points_minor: i64,
    pub lite_minor: i64,
    pub money_minor: i64,
    pub fee_minor: i64,
    pub fee_tax_minor: i64,
    /// `succeeded`, `requires_confirmation`, `held`, `failed`, `canceled`, `refunded`,
    /// `partially_refunded`.
    pub status: String,
    /// `allow`, `challenge`, `hold` or `deny`, and why.
    pub decision: String,
    pub decision_reason: String,
    /// Shown on the customer's completion screen and in the portal.
    pub confirmation_code: String,
    pub reference: String,
    /// What refunds have given back so far.
    pub refunded_minor: i64,
    pub created_at_ms: i64,
}

pub(super) fn payment(r: &AnyRow) -> Result<Payment, sqlx::Error> {
    Ok(Payment {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        store_id: r.try_get("store_id")?,
        terminal_id: r.try_get("terminal_id")?,
        customer_user_id: r.try_get("customer_user_id")?,
        method: r.try_get("method")?,
        amount_minor: r.try_get("amount_minor")?,
        points_minor: r.try_get("points_minor")?,
        lite_minor: r.try_get("lite_minor")?,
        money_minor: r.try_get("money_minor")?,
        fee_minor: r.try_get("fee_minor")?,
        fee_tax_minor: r.try_get("fee_tax_minor")?,
        status: r.try_get("status")?,
        decision: r.try_get("decision")?,
        decision_reason: r.try_get("decision_reason")?,
        confirmation_code: r.try_get("confirmation_code")?,
        reference: r.try_get("reference")?,
        refunded_minor: r.try_get("refunded_minor")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

pub(super) const SELECT: &str = "SELECT id, merchant_id, store_id, terminal_id, customer_user_id, method, amount_minor, points_minor, \
     lite_minor, money_minor, fee_minor, fee_tax_minor, status, decision, decision_reason, confirmation_code, reference, \
     refunded_minor, created_at_ms FROM payments";

/// Written after the payment row, in its transaction: the POS key that took it is still live, its
/// merchant active at the fee rate charged, and its store open. The payment path may have read
/// them moments before (`merchants::pos_cache`); a suspension, a revocation or a new fee that
/// committed since refuses the payment here (`pos_not_accepting`), and the path reads again.
pub fn pos_still_accepting(payment_id: &str, pos: &crate::payments::PosCaller) -> Effect {
    use EffectValue::{Int, Text};
    macro_rules! tail {
        () => {
            ") AS v WHERE payments.id = v.column1 AND EXISTS (
                 SELECT 1 FROM pos_keys k
                 JOIN merchants m ON m.id = k.merchant_id JOIN merchant_stores s ON s.id = k.store_id
                 WHERE k.id = v.column2 AND k.revoked_at_ms = 0 AND m.id = v.column3 AND s.id = v.column4
                   AND m.status = 'active' AND s.status = 'open' AND m.fee_rate_bp = v.column5)"
        };
    }
    macro_rules! head {
        () => {
            "UPDATE payments SET status = payments.status FROM (VALUES "
        };
    }
    macro_rules! row {
        () => {
            "($1, $2, $3, $4, CAST($5 AS BIGINT))"
        };
    }
    Effect {
        sql: concat!(head!(), row!(), tail!()),
        binds: vec![
            Text(payment_id.to_owned()),
            Text(pos.key.id.clone()),
            Text(pos.merchant.id.clone()),
            Text(pos.store.id.clone()),
            Int(pos.merchant.fee_rate_bp),
        ],
        expect_rows: Some(1),
        refusal: "pos_not_accepting",
        batch: Some(BatchSql { head: head!(), row: row!(), tail: tail!() }),
    }
}

/// The payment row, written with its journal entry (`entry_id` is the entry the command makes).
pub fn insert_payment(p: &Payment, pos_key_id: &str, ledger_key: &str, now_ms: i64) -> Effect {
    use EffectValue::{Int, OutcomeId, Text};
    macro_rules! head {
        () => {
            "INSERT INTO payments (id, merchant_id, store_id, pos_key_id, terminal_id, customer_user_id, method,
                  amount_minor, points_minor, lite_minor, money_minor, fee_minor, fee_tax_minor, status, decision,
                  decision_reason, ledger_key, entry_id, confirmation_code, reference, created_at_ms, updated_at_ms)
              VALUES "
        };
    }
    macro_rules! row {
        () => {
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21)"
        };
    }
    Effect {
        sql: concat!(head!(), row!()),
        binds: vec![
            Text(p.id.clone()),
            Text(p.merchant_id.clone()),
            Text(p.store_id.clone()),
            Text(pos_key_id.to_owned()),
            Text(p.terminal_id.clone()),
            Text(p.customer_user_id.clone()),
            Text(p.method.clone()),
            Int(p.amount_minor),
            Int(p.points_minor),
            Int(p.lite_minor),
            Int(p.money_minor),
            Int(p.fee_minor),
            Int(p.fee_tax_minor),
            Text(p.status.clone()),
            Text(p.decision.clone()),
            Text(p.decision_reason.clone()),
            Text(ledger_key.to_owned()),
            OutcomeId,
            Text(p.confirmation_code.clone()),
            Text(p.reference.clone()),
            Int(now_ms),
        ],
        expect_rows: None,
        refusal: "",
        batch: Some(BatchSql { head: head!(), row: row!(), tail: "" }),
    }
}

pub async fn by_ledger_key(db: &Db, ledger_key: &str) -> Result<Option<Payment>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE ledger_key = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ledger_key)
        .fetch_optional(db.read_pool())
        .await?
        .as_ref()
        .map(payment)
        .transpose()
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Payment>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.read_pool())
        .await?
        .as_ref()
        .map(payment)
        .transpose()
}

/// A merchant's payments, newest first, before `(before_ms, before_id)`.
/// Which of a merchant's payments to list: empty strings and the widest times mean "any".
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub status: String,
    pub store_id: String,
    /// Created at or after this time.
    pub from_ms: i64,
    /// Created before this time (the cursor: the `created_at_ms` of the last one seen).
    pub before_ms: i64,
}

pub async fn of_merchant(
    db: &Db,
    merchant_id: &str,
    filter: &PaymentFilter,
    limit: i64,
) -> Result<Vec<Payment>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE merchant_id = $1 AND created_at_ms >= $2 AND created_at_ms < $3
           AND ($4 = '' OR status = $4) AND ($5 = '' OR store_id = $5)
         ORDER BY created_at_ms DESC, id DESC LIMIT $6"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(merchant_id)
        .bind(filter.from_ms)
        .bind(filter.before_ms)
        .bind(&filter.status)
        .bind(&filter.store_id)
        .bind(limit)
        .fetch_all(db.read_pool())
        .await?;
    rows.iter().map(payment).collect()
}

/// A customer's own payments, newest first, before the cursor `(before_ms, before_id)`: the
/// `created_at_ms` and id of the last one seen (the id breaks ties between payments of the same
/// millisecond). `payments_customer` indexes `(customer_user_id, created_at_ms)`.
pub async fn of_customer(
    db: &Db,
    user_id: &str,
    before_ms: i64,
    before_id: &str,
    limit: i64,
) -> Result<Vec<Payment>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE customer_user_id = $1 AND (created_at_ms < $2 OR (created_at_ms = $2 AND id < $3))
         ORDER BY created_at_ms DESC, id DESC LIMIT $4"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(before_ms)
        .bind(before_id)
        .bind(limit)
        .fetch_all(db.read_pool())
        .await?;
    rows.iter().map(payment).collect()
}

/// The number of the device key this session holds, if it still works (not revoked; the session
/// and the account are checked by whoever authenticated the caller).
pub async fn session_device_number(db: &Db, user_id: &str, session_id: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT number FROM payment_devices WHERE user_id = $1 AND session_id = $2 AND revoked_at_ms = 0
         ORDER BY created_at_ms DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(session_id)
    .fetch_optional(db.read_pool())
    .await
}

/// Record a POS request's nonce; false if this key has sent it before (a replay).
pub async fn spend_nonce(db: &Db, key_id: &str, nonce: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO pos_nonces (key_id, nonce, seen_at_ms) VALUES ($1, $2, $3) ON CONFLICT (key_id, nonce) DO NOTHING",
    )
    .bind(key_id)
    .bind(nonce)
    .bind(now_ms)
    .execute(db.write_pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Written with the payment: the request's nonce, refusing the payment if it was spent before
/// (this is the only check a payment's nonce gets, so a reused one never pays).
pub fn spend_nonce_with(key_id: &str, nonce: &str, now_ms: i64) -> Effect {
    Effect {
        sql: "INSERT INTO pos_nonces (key_id, nonce, seen_at_ms) VALUES ($1, $2, $3) ON CONFLICT (key_id, nonce) DO NOTHING",
        binds: vec![
            EffectValue::Text(key_id.to_owned()),
            EffectValue::Text(nonce.to_owned()),
            EffectValue::Int(now_ms),
        ],
        expect_rows: Some(1),
        refusal: "nonce_reused",
        batch: Some(BatchSql {
            head: "INSERT INTO pos_nonces (key_id, nonce, seen_at_ms) VALUES ",
            row: "($1, $2, $3)",
            tail: " ON CONFLICT (key_id, nonce) DO NOTHING",
        }),
    }
}

/// Nonces older than the clock-skew window can never be accepted again anyway (their
/// timestamps are stale), so they go.
pub async fn purge_nonces(db: &Db, before_ms: i64) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM pos_nonces WHERE seen_at_ms < $1").bind(before_ms).execute(db.write_pool()).await?;
    Ok(done.rows_affected())
}

/// What refunds have given back per part of a payment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Refunded {
    pub points_minor: i64,
    pub lite_minor: i64,
    pub money_minor: i64,
}

pub async fn refunded_parts(db: &Db, payment_id: &str) -> Result<Refunded, sqlx::Error> {
    let r = sqlx::query(
        "SELECT refunded_points_minor, refunded_lite_minor, refunded_money_minor FROM payments WHERE id = $1",
    )
    .bind(payment_id)
    .fetch_one(db.read_pool())
    .await?;
    Ok(Refunded {
        points_minor: r.try_get("refunded_points_minor")?,
        lite_minor: r.try_get("refunded_lite_minor")?,
        money_minor: r.try_get("refunded_money_minor")?,
    })
}

/// Written with a refund's journal: the payment's refunded amounts move on, never past what was
/// paid in all nor past what any part paid; otherwise the refund is refused (and planned again
/// from the new state). Refunds racing in one batch are checked one after another here.
pub fn record_refund(payment_id: &str, parts: &Refunded, now_ms: i64) -> Effect {
    use EffectValue::{Int, Text};
    let amount = parts.points_minor + parts.lite_minor + parts.money_minor;
    Effect {
        sql: "UPDATE payments SET refunded_minor = refunded_minor + $1, refunded_points_minor = refunded_points_minor + $2,
                  refunded_lite_minor = refunded_lite_minor + $3, refunded_money_minor = refunded_money_minor + $4,
                  status = CASE WHEN refunded_minor + $1 = amount_minor THEN 'refunded' ELSE 'partially_refunded' END,
                  updated_at_ms = $5
              WHERE id = $6 AND refunded_minor + $1 <= amount_minor
                AND refunded_points_minor + $2 <= points_minor AND refunded_lite_minor + $3 <= lite_minor
                AND refunded_money_minor + $4 <= money_minor AND status IN ('succeeded', 'partially_refunded')",
        binds: vec![
            Int(amount),
            Int(parts.points_minor),
            Int(parts.lite_minor),
            Int(parts.money_minor),
            Int(now_ms),
            Text(payment_id.to_owned()),
        ],
        expect_rows: Some(1),
        refusal: "refund_raced",
        batch: None,
    }
}

/// A refund as stored and shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Refund {
    /// `re_…`
    pub id: String,
    pub payment_id: String,
    pub amount_minor: i64,
    pub points_minor: i64,
    pub lite_minor: i64,
    pub money_minor: i64,
    pub created_at_ms: i64,
}

pub fn insert_refund(r: &Refund, created_by: &str, reason: &str, ledger_key: &str) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "INSERT INTO refunds (id, payment_id, amount_minor, points_minor, lite_minor, money_minor, created_by, reason,
                  ledger_key, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        binds: vec![
            Text(r.id.clone()),
            Text(r.payment_id.clone()),
            Int(r.amount_minor),
            Int(r.points_minor),
            Int(r.lite_minor),
            Int(r.money_minor),
            Text(created_by.to_owned()),
            Text(reason.to_owned()),
            Text(ledger_key.to_owned()),
            Int(r.created_at_ms),
        ],
        expect_rows: None,
        refusal: "",
        batch: None,
    }
}

pub async fn refund_by_ledger_key(db: &Db, ledger_key: &str) -> Result<Option<Refund>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, payment_id, amount_minor, points_minor, lite_minor, money_minor, created_at_ms FROM refunds
         WHERE ledger_key = $1",
    )
    .bind(ledger_key)
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| {
        Ok(Refund {
            id: r.try_get("id")?,
            payment_id: r.try_get("payment_id")?,
            amount_minor: r.try_get("amount_minor")?,
            points_minor: r.try_get("points_minor")?,
            lite_minor: r.try_get("lite_minor")?,
            money_minor: r.try_get("money_minor")?,
            created_at_ms: r.try_get("created_at_ms")?,
        })
    })
    .transpose()
}
