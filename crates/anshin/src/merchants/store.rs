//! Every SQL statement over merchants and their stores; credentials are in `store_credentials`.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::model::MerchantStatus;
use crate::storage::Db;

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Merchant {
    /// `mer_…`
    pub id: String,
    /// The merchant's number in QR codes (the first level of the merchant template).
    pub number: i64,
    pub legal_name: String,
    pub legal_name_kana: String,
    pub mcc: String,
    pub status: MerchantStatus,
    pub status_reason: String,
    pub fee_rate_bp: i64,
    pub contact_email: String,
    pub created_by: String,
    pub created_at_ms: i64,
    pub reviewed_by: String,
    pub reviewed_at_ms: i64,
    pub receivable_account_id: String,
}

pub(super) const MERCHANT_COLUMNS: &str = "id, number, legal_name, legal_name_kana, mcc, status, status_reason, fee_rate_bp, \
     contact_email, created_by, created_at_ms, reviewed_by, reviewed_at_ms, receivable_account_id";

pub(super) fn merchant(r: &AnyRow) -> Result<Merchant, sqlx::Error> {
    Ok(Merchant {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        legal_name: r.try_get("legal_name")?,
        legal_name_kana: r.try_get("legal_name_kana")?,
        mcc: r.try_get("mcc")?,
        status: MerchantStatus::parse(&r.try_get::<String, _>("status")?),
        status_reason: r.try_get("status_reason")?,
        fee_rate_bp: r.try_get("fee_rate_bp")?,
        contact_email: r.try_get("contact_email")?,
        created_by: r.try_get("created_by")?,
        created_at_ms: r.try_get("created_at_ms")?,
        reviewed_by: r.try_get("reviewed_by")?,
        reviewed_at_ms: r.try_get("reviewed_at_ms")?,
        receivable_account_id: r.try_get("receivable_account_id")?,
    })
}

pub struct NewMerchantRow<'a> {
    pub id: &'a str,
    pub legal_name: &'a str,
    pub legal_name_kana: &'a str,
    pub mcc: &'a str,
    pub status: MerchantStatus,
    pub fee_rate_bp: i64,
    pub contact_email: &'a str,
    pub created_by: &'a str,
    pub now_ms: i64,
}

/// Insert with the next merchant number, taken in the same statement. Two processes on
/// PostgreSQL may pick the same number; the unique constraint refuses the second, which retries.
pub async fn insert_merchant(tx: &mut Tx, m: &NewMerchantRow<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO merchants (id, number, legal_name, legal_name_kana, mcc, status, fee_rate_bp, contact_email,
                                created_by, created_at_ms)
         SELECT $1, COALESCE(MAX(number), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9 FROM merchants
         RETURNING number",
    )
    .bind(m.id)
    .bind(m.legal_name)
    .bind(m.legal_name_kana)
    .bind(m.mcc)
    .bind(m.status.as_str())
    .bind(m.fee_rate_bp)
    .bind(m.contact_email)
    .bind(m.created_by)
    .bind(m.now_ms)
    .fetch_one(&mut **tx)
    .await
}

pub async fn merchant_by_id(db: &Db, id: &str) -> Result<Option<Merchant>, sqlx::Error> {
    let sql = format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.read_pool())
        .await?
        .as_ref()
        .map(merchant)
        .transpose()
}

/// The merchant row inside a write transaction (what a status change decides on).
pub async fn merchant_in(tx: &mut Tx, id: &str) -> Result<Option<Merchant>, sqlx::Error> {
    let sql = format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(merchant).transpose()
}

/// Newest first; `status` filters when given.
pub async fn list_merchants(
    db: &Db,
    status: Option<MerchantStatus>,
    before_ms: i64,
    limit: i64,
) -> Result<Vec<Merchant>, sqlx::Error> {
    let sql = format!(
        "SELECT {MERCHANT_COLUMNS} FROM merchants WHERE ($1 = '' OR status = $1) AND created_at_ms < $2
         ORDER BY created_at_ms DESC, id DESC LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(status.map(|s| s.as_str()).unwrap_or(""))
        .bind(before_ms)
        .bind(limit)
        .fetch_all(db.read_pool())
        .await?;
    rows.iter().map(merchant).collect()
}

/// Move a merchant from one of `from` to `to`, atomically: false when its status was not one
/// of them (someone else decided first).
pub async fn set_status(
    tx: &mut Tx,
    id: &str,
    from: &[MerchantStatus],
    to: MerchantStatus,
    reason: &str,
    reviewed_by: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let done = sqlx::query(
        "UPDATE merchants SET status = $1, status_reason = $2, reviewed_by = $3, reviewed_at_ms = $4
         WHERE id = $5 AND status IN ($6, $7, $8)",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(reviewed_by)
    .bind(now_ms)
    .bind(id)
    .bind(from.first().copied().unwrap_or(""))
    .bind(from.get(1).copied().unwrap_or(""))
    .bind(from.get(2).copied().unwrap_or(""))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_receivable_account(tx: &mut Tx, id: &str, account_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE merchants SET receivable_account_id = $1 WHERE id = $2 AND receivable_account_id = ''")
        .bind(account_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Store {
    /// `sto_…`
    pub id: String,
    pub merchant_id: String,
    /// The store's number within its merchant (the store level of the merchant template).
    pub number: i64,
    pub name: String,
    pub postal_code: String,
    pub address: String,
    /// `open` or `closed`.
    pub status: String,
    pub created_at_ms: i64,
}

fn store(r: &AnyRow) -> Result<Store, sqlx::Error> {
    store_prefixed(r, "")
}

/// A store from columns named `{prefix}{column}` (a join names them apart from the merchant's).
pub(super) fn store_prefixed(r: &AnyRow, prefix: &str) -> Result<Store, sqlx::Error> {
    let col = |name: &str| format!("{prefix}{name}");
    Ok(Store {
        id: r.try_get(col("id").as_str())?,
        merchant_id: r.try_get(col("merchant_id").as_str())?,
        number: r.try_get(col("number").as_str())?,
        name: r.try_get(col("name").as_str())?,
        postal_code: r.try_get(col("postal_code").as_str())?,
        address: r.try_get(col("address").as_str())?,
        status: r.try_get(col("status").as_str())?,
        created_at_ms: r.try_get(col("created_at_ms").as_str())?,
    })
}

pub(super) const STORE_COLUMNS: &str = "id, merchant_id, number, name, postal_code, address, status, created_at_ms";

pub struct NewStoreRow<'a> {
    pub id: &'a str,
    pub merchant_id: &'a str,
    pub name: &'a str,
    pub postal_code: &'a str,
    pub address: &'a str,
    pub now_ms: i64,
}

/// Insert with the merchant's next store number, unless it already has `max_stores`.
/// Returns `None` at the cap.
pub async fn insert_store(tx: &mut Tx, s: &NewStoreRow<'_>, max_stores: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO merchant_stores (id, merchant_id, number, name, postal_code, address, status, created_at_ms)
         SELECT $1, $2, COALESCE(MAX(number), 0) + 1, $3, $4, $5, 'open', $6 FROM merchant_stores WHERE merchant_id = $2
         HAVING COUNT(*) < $7
         RETURNING number",
    )
    .bind(s.id)
    .bind(s.merchant_id)
    .bind(s.name)
    .bind(s.postal_code)
    .bind(s.address)
    .bind(s.now_ms)
    .bind(max_stores)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn store_by_id(db: &Db, id: &str) -> Result<Option<Store>, sqlx::Error> {
    let sql = format!("SELECT {STORE_COLUMNS} FROM merchant_stores WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.read_pool()).await?.as_ref().map(store).transpose()
}

pub async fn stores_of(db: &Db, merchant_id: &str) -> Result<Vec<Store>, sqlx::Error> {
    let sql = format!("SELECT {STORE_COLUMNS} FROM merchant_stores WHERE merchant_id = $1 ORDER BY number");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant_id).fetch_all(db.read_pool()).await?;
    rows.iter().map(store).collect()
}

pub async fn set_store_status(tx: &mut Tx, id: &str, merchant_id: &str, status: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE merchant_stores SET status = $1 WHERE id = $2 AND merchant_id = $3")
        .bind(status)
        .bind(id)
        .bind(merchant_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffMember {
    pub user_id: String,
    pub email: String,
    pub legal_name: String,
    /// owner, manager or cashier.
    pub role: String,
    /// active, locked…
    pub status: String,
}

/// The merchant's staff: identity accounts whose `org_ref` is the merchant.
pub async fn staff_of(db: &Db, merchant_id: &str) -> Result<Vec<StaffMember>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, email, legal_name, role, status FROM users
         WHERE kind = 'merchant_staff' AND org_ref = $1 ORDER BY created_at_ms",
    )
    .bind(merchant_id)
    .fetch_all(db.read_pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StaffMember {
                user_id: r.try_get("id")?,
                email: r.try_get("email")?,
                legal_name: r.try_get("legal_name")?,
                role: r.try_get("role")?,
                status: r.try_get("status")?,
            })
        })
        .collect()
}
