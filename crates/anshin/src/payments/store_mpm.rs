//! Every SQL statement of merchant-presented payments: the platform's code-signing keys,
//! payment requests (dynamic codes) and wallets' scans. The rows written with a payment's
//! journal are `Effect`s built here too.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::store::Tx;
use crate::ledger::{BatchSql, Effect, EffectValue};
use crate::storage::Db;

/// A code-signing key as listed (never its seed).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QrKeyInfo {
    pub id: String,
    /// Hex Ed25519 public key.
    pub public_key: String,
    /// `active` (signs new codes), `verifying` (rotated out, still verifies) or `retired`.
    pub status: String,
    pub created_at_ms: i64,
    pub rotated_at_ms: i64,
    pub retired_at_ms: i64,
}

fn key_info(r: &AnyRow) -> Result<QrKeyInfo, sqlx::Error> {
    Ok(QrKeyInfo {
        id: r.try_get("id")?,
        public_key: r.try_get("public_key")?,
        status: r.try_get("status")?,
        created_at_ms: r.try_get("created_at_ms")?,
        rotated_at_ms: r.try_get("rotated_at_ms")?,
        retired_at_ms: r.try_get("retired_at_ms")?,
    })
}

/// The active key's id and sealed seed.
pub async fn active_key(db: &Db) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT id, sealed_seed FROM qr_signing_keys WHERE status = 'active'")
        .fetch_optional(db.read_pool())
        .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("sealed_seed")?))).transpose()
}

/// A new active key; the partial unique index refuses a second active one (a racing twin).
pub async fn insert_active_key(
    tx: &mut Tx,
    id: &str,
    sealed_seed: &str,
    public_hex: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO qr_signing_keys (id, sealed_seed, public_key, status, created_at_ms) VALUES ($1, $2, $3, 'active', $4)",
    )
    .bind(id)
    .bind(sealed_seed)
    .bind(public_hex)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The active key stops signing but keeps verifying; its id, if there was one.
pub async fn demote_active_key(tx: &mut Tx, now_ms: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE qr_signing_keys SET status = 'verifying', rotated_at_ms = $1 WHERE status = 'active' RETURNING id",
    )
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await
}

/// A rotated-out key stops verifying (the active key cannot be retired: rotate first).
pub async fn retire_key(tx: &mut Tx, id: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE qr_signing_keys SET status = 'retired', retired_at_ms = $1 WHERE id = $2 AND status = 'verifying'",
    )
    .bind(now_ms)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn key_by_id(db: &Db, id: &str) -> Result<Option<QrKeyInfo>, sqlx::Error> {
    sqlx::query(
        "SELECT id, public_key, status, created_at_ms, rotated_at_ms, retired_at_ms FROM qr_signing_keys WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.read_pool())
    .await?
    .as_ref()
    .map(key_info)
    .transpose()
}

pub async fn all_keys(db: &Db) -> Result<Vec<QrKeyInfo>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, public_key, status, created_at_ms, rotated_at_ms, retired_at_ms FROM qr_signing_keys
         ORDER BY created_at_ms, id",
    )
    .fetch_all(db.read_pool())
    .await?;
    rows.iter().map(key_info).collect()
}

/// The merchant and store a code's numbers name.
pub async fn store_by_numbers(
    db: &Db,
    merchant_number: i64,
    store_number: i64,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT m.id AS merchant_id, s.id AS store_id FROM merchants m JOIN merchant_stores s ON s.merchant_id = m.id
         WHERE m.number = $1 AND s.number = $2",
    )
    .bind(merchant_number)
    .bind(store_number)
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| Ok((r.try_get("merchant_id")?, r.try_get("store_id")?))).transpose()
}

/// The paying customer's contact and state.
pub struct Payer {
    pub user_id: String,
    pub email: String,
    pub locale: String,
    pub money_out_blocked_until_ms: i64,
}

pub async fn active_payer(db: &Db, user_id: &str) -> Result<Option<Payer>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, email, locale, money_out_blocked_until_ms FROM users WHERE id = $1 AND status = 'active'",
    )
    .bind(user_id)
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| {
        Ok(Payer {
            user_id: r.try_get("id")?,
            email: r.try_get("email")?,
            locale: r.try_get("locale")?,
            money_out_blocked_until_ms: r.try_get("money_out_blocked_until_ms")?,
        })
    })
    .transpose()
}

/// A dynamic code: one sale at one store, for one amount, paid at most once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentRequest {
    /// `preq_…`
    pub id: String,
    pub merchant_id: String,
    pub store_id: String,
    pub terminal_id: String,
    pub amount_minor: i64,
    /// The merchant's own reference for the sale.
    pub reference: String,
    /// `open`, `paid`, `canceled` or `expired`.
    pub status: String,
    /// The payment, once paid (`pay_…`).
    pub payment_id: String,
    /// The EMVCo payload to show as a QR code.
    pub payload: String,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
    #[serde(skip)]
    pub code_reference: String,
    #[serde(skip)]
    pub created_by: String,
}

fn request(r: &AnyRow, now_ms: i64) -> Result<PaymentRequest, sqlx::Error> {
    let status: String = r.try_get("status")?;
    let expires_at_ms: i64 = r.try_get("expires_at_ms")?;
    Ok(PaymentRequest {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        store_id: r.try_get("store_id")?,
        terminal_id: r.try_get("terminal_id")?,
        amount_minor: r.try_get("amount_minor")?,
        reference: r.try_get("order_reference")?,
        status: if status == "open" && expires_at_ms <= now_ms { "expired".into() } else { status },
        payment_id: r.try_get("payment_id")?,
        payload: r.try_get("payload")?,
        expires_at_ms,
        created_at_ms: r.try_get("created_at_ms")?,
        code_reference: r.try_get("reference")?,
        created_by: r.try_get("created_by")?,
    })
}

const REQUEST_SELECT: &str = "SELECT id, reference, merchant_id, store_id, created_by, terminal_id, amount_minor, \
     order_reference, status, payment_id, payload, expires_at_ms, created_at_ms FROM payment_requests";

pub async fn insert_request(tx: &mut Tx, r: &PaymentRequest) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payment_requests (id, reference, merchant_id, store_id, created_by, terminal_id, amount_minor,
             order_reference, status, payload, expires_at_ms, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, $11)",
    )
    .bind(&r.id)
    .bind(&r.code_reference)
    .bind(&r.merchant_id)
    .bind(&r.store_id)
    .bind(&r.created_by)
    .bind(&r.terminal_id)
    .bind(r.amount_minor)
    .bind(&r.reference)
    .bind(&r.payload)
    .bind(r.expires_at_ms)
    .bind(r.created_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn request_by_id(db: &Db, id: &str, now_ms: i64) -> Result<Option<PaymentRequest>, sqlx::Error> {
    let sql = format!("{REQUEST_SELECT} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.read_pool()).await?;
    row.map(|r| request(&r, now_ms)).transpose()
}

pub async fn request_by_reference(
    db: &Db,
    reference: &str,
    now_ms: i64,
) -> Result<Option<PaymentRequest>, sqlx::Error> {
    let sql = format!("{REQUEST_SELECT} WHERE reference = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(reference).fetch_optional(db.read_pool()).await?;
    row.map(|r| request(&r, now_ms)).transpose()
}

/// An open request of this merchant is canceled; false when it was paid, canceled or is not
/// the merchant's (a payment racing this is decided by whichever commits first).
pub async fn cancel_request(tx: &mut Tx, id: &str, merchant_id: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE payment_requests SET status = 'canceled', updated_at_ms = $1
         WHERE id = $2 AND merchant_id = $3 AND status = 'open'",
    )
    .bind(now_ms)
    .bind(id)
    .bind(merchant_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Written with the payment's journal: the request is paid, only if still open and unexpired.
/// However many wallets submit it at once, one journal carries this and the rest are refused.
pub fn claim_request(request_id: &str, payment_id: &str, now_ms: i64) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "UPDATE payment_requests SET status = 'paid', payment_id = $1, updated_at_ms = $2
              WHERE id = $3 AND status = 'open' AND expires_at_ms > $2",
        binds: vec![Text(payment_id.to_owned()), Int(now_ms), Text(request_id.to_owned())],
        expect_rows: Some(1),
        refusal: "code_used",
        batch: Some(BatchSql {
            head: "UPDATE payment_requests SET status = 'paid', payment_id = v.column2, updated_at_ms = v.column3
                   FROM (VALUES ",
            row: "($3, $1, CAST($2 AS BIGINT))",
            tail: ") AS v WHERE payment_requests.id = v.column1 AND payment_requests.status = 'open'
                     AND payment_requests.expires_at_ms > v.column3",
        }),
    }
}

/// A scanned code awaiting the customer's confirmation.
#[derive(Debug, Clone)]
pub struct Scan {
    pub id: String,
    pub user_id: String,
    pub merchant_id: String,
    pub store_id: String,
    pub request_id: String,
    pub amount_minor: i64,
    pub key_id: String,
    pub status: String,
    pub payment_id: String,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

pub async fn insert_scan(db: &Db, s: &Scan) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mpm_scans (id, user_id, merchant_id, store_id, request_id, amount_minor, key_id, status,
             expires_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9)",
    )
    .bind(&s.id)
    .bind(&s.user_id)
    .bind(&s.merchant_id)
    .bind(&s.store_id)
    .bind(&s.request_id)
    .bind(s.amount_minor)
    .bind(&s.key_id)
    .bind(s.expires_at_ms)
    .bind(s.created_at_ms)
    .execute(db.write_pool())
    .await?;
    Ok(())
}

pub async fn scan_by_id(db: &Db, id: &str) -> Result<Option<Scan>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, user_id, merchant_id, store_id, request_id, amount_minor, key_id, status, payment_id, expires_at_ms,
             created_at_ms FROM mpm_scans WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| {
        Ok(Scan {
            id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            merchant_id: r.try_get("merchant_id")?,
            store_id: r.try_get("store_id")?,
            request_id: r.try_get("request_id")?,
            amount_minor: r.try_get("amount_minor")?,
            key_id: r.try_get("key_id")?,
            status: r.try_get("status")?,
            payment_id: r.try_get("payment_id")?,
            expires_at_ms: r.try_get("expires_at_ms")?,
            created_at_ms: r.try_get("created_at_ms")?,
        })
    })
    .transpose()
}

/// Written with the payment's journal: the scan is used.
pub fn claim_scan(scan_id: &str, payment_id: &str) -> Effect {
    Effect {
        sql: "UPDATE mpm_scans SET status = 'paid', payment_id = $1 WHERE id = $2 AND status = 'open'",
        binds: vec![EffectValue::Text(payment_id.to_owned()), EffectValue::Text(scan_id.to_owned())],
        expect_rows: Some(1),
        refusal: "scan_used",
        batch: Some(BatchSql {
            head: "UPDATE mpm_scans SET status = 'paid', payment_id = v.column2 FROM (VALUES ",
            row: "($2, $1)",
            tail: ") AS v WHERE mpm_scans.id = v.column1 AND mpm_scans.status = 'open'",
        }),
    }
}

/// Scans past their time are of no use to anyone: they go (bounded per call).
pub async fn purge_scans(db: &Db, before_ms: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM mpm_scans WHERE expires_at_ms < $1 AND status = 'open'")
        .bind(before_ms)
        .execute(db.write_pool())
        .await?;
    Ok(done.rows_affected())
}
