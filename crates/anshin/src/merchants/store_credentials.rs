//! Every SQL statement over merchants' credentials: POS keys and webhook endpoints with their
//! secrets. Secrets are only ever stored sealed (and POS keys also as a digest).

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::store::Tx;
use crate::storage::{Backend, Db};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PosKey {
    /// `pk_…`: sent by the POS with every signed request.
    pub id: String,
    pub merchant_id: String,
    pub store_id: String,
    pub label: String,
    pub created_by: String,
    pub created_at_ms: i64,
    /// 0 while the key works.
    pub revoked_at_ms: i64,
}

fn pos_key(r: &AnyRow) -> Result<PosKey, sqlx::Error> {
    pos_key_prefixed(r, "")
}

fn pos_key_prefixed(r: &AnyRow, prefix: &str) -> Result<PosKey, sqlx::Error> {
    let col = |name: &str| format!("{prefix}{name}");
    Ok(PosKey {
        id: r.try_get(col("id").as_str())?,
        merchant_id: r.try_get(col("merchant_id").as_str())?,
        store_id: r.try_get(col("store_id").as_str())?,
        label: r.try_get(col("label").as_str())?,
        created_by: r.try_get(col("created_by").as_str())?,
        created_at_ms: r.try_get(col("created_at_ms").as_str())?,
        revoked_at_ms: r.try_get(col("revoked_at_ms").as_str())?,
    })
}

/// `columns` ("a, b, c") as `{table}.a AS {prefix}a, …`.
fn prefixed(table: &str, columns: &str, prefix: &str) -> String {
    columns.split(", ").map(|c| format!("{table}.{c} AS {prefix}{c}")).collect::<Vec<_>>().join(", ")
}

const POS_KEY_COLUMNS: &str = "id, merchant_id, store_id, label, created_by, created_at_ms, revoked_at_ms";

pub struct NewPosKey<'a> {
    pub id: &'a str,
    pub merchant_id: &'a str,
    pub store_id: &'a str,
    pub label: &'a str,
    pub digest: &'a str,
    pub sealed_secret: &'a str,
    pub created_by: &'a str,
}

/// Insert unless the merchant already has `max_live` unrevoked keys (one statement: two
/// requests at once cannot both slip under the cap). False at the cap.
pub async fn insert_pos_key(tx: &mut Tx, k: &NewPosKey<'_>, max_live: i64, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO pos_keys (id, merchant_id, store_id, label, digest, sealed_secret, created_by, created_at_ms)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8
         WHERE (SELECT COUNT(*) FROM pos_keys WHERE merchant_id = $2 AND revoked_at_ms = 0) < $9",
    )
    .bind(k.id)
    .bind(k.merchant_id)
    .bind(k.store_id)
    .bind(k.label)
    .bind(k.digest)
    .bind(k.sealed_secret)
    .bind(k.created_by)
    .bind(now_ms)
    .bind(max_live)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn pos_keys_of(db: &Db, merchant_id: &str) -> Result<Vec<PosKey>, sqlx::Error> {
    let sql = format!("SELECT {POS_KEY_COLUMNS} FROM pos_keys WHERE merchant_id = $1 ORDER BY created_at_ms DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant_id).fetch_all(db.read_pool()).await?;
    rows.iter().map(pos_key).collect()
}

pub async fn revoke_pos_key(tx: &mut Tx, id: &str, merchant_id: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE pos_keys SET revoked_at_ms = $1 WHERE id = $2 AND merchant_id = $3 AND revoked_at_ms = 0")
            .bind(now_ms)
            .bind(id)
            .bind(merchant_id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookEndpoint {
    /// `we_…`
    pub id: String,
    pub merchant_id: String,
    pub url: String,
    /// `enabled` or `disabled`.
    pub status: String,
    pub created_at_ms: i64,
    /// The newest secret's version (signatures carry one `v1=` per secret still valid).
    pub secret_version: i64,
}

fn endpoint(r: &AnyRow) -> Result<WebhookEndpoint, sqlx::Error> {
    Ok(WebhookEndpoint {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        url: r.try_get("url")?,
        status: r.try_get("status")?,
        created_at_ms: r.try_get("created_at_ms")?,
        secret_version: r.try_get("secret_version")?,
    })
}

const ENDPOINT_SELECT: &str = "SELECT e.id, e.merchant_id, e.url, e.status, e.created_at_ms,
            (SELECT COALESCE(MAX(version), 0) FROM webhook_secrets s WHERE s.endpoint_id = e.id) AS secret_version
     FROM webhook_endpoints e";

/// Insert unless the merchant already has `max_endpoints`. False at the cap.
pub async fn insert_endpoint(
    tx: &mut Tx,
    id: &str,
    merchant_id: &str,
    url: &str,
    created_by: &str,
    max_endpoints: i64,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO webhook_endpoints (id, merchant_id, url, status, created_by, created_at_ms)
         SELECT $1, $2, $3, 'enabled', $4, $5
         WHERE (SELECT COUNT(*) FROM webhook_endpoints WHERE merchant_id = $2 AND status = 'enabled') < $6",
    )
    .bind(id)
    .bind(merchant_id)
    .bind(url)
    .bind(created_by)
    .bind(now_ms)
    .bind(max_endpoints)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One endpoint by id, whichever merchant's (the webhook transport delivering to it).
pub async fn endpoint_by_id(db: &Db, id: &str) -> Result<Option<WebhookEndpoint>, sqlx::Error> {
    let sql = format!("{ENDPOINT_SELECT} WHERE e.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.read_pool())
        .await?
        .as_ref()
        .map(endpoint)
        .transpose()
}

pub async fn endpoints_of(db: &Db, merchant_id: &str) -> Result<Vec<WebhookEndpoint>, sqlx::Error> {
    let sql = format!("{ENDPOINT_SELECT} WHERE e.merchant_id = $1 ORDER BY e.created_at_ms DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant_id).fetch_all(db.read_pool()).await?;
    rows.iter().map(endpoint).collect()
}

pub async fn endpoint_in(tx: &mut Tx, id: &str, merchant_id: &str) -> Result<Option<WebhookEndpoint>, sqlx::Error> {
    let sql = format!("{ENDPOINT_SELECT} WHERE e.id = $1 AND e.merchant_id = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(merchant_id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(endpoint)
        .transpose()
}

pub async fn disable_endpoint(tx: &mut Tx, id: &str, merchant_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET status = 'disabled' WHERE id = $1 AND merchant_id = $2 AND status = 'enabled'",
    )
    .bind(id)
    .bind(merchant_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Add secret `version`; every older secret still current retires at `old_retires_at_ms`.
pub async fn add_secret(
    tx: &mut Tx,
    endpoint_id: &str,
    version: i64,
    sealed_secret: &str,
    old_retires_at_ms: i64,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_secrets SET retires_at_ms = $1
         WHERE endpoint_id = $2 AND (retires_at_ms = 0 OR retires_at_ms > $1)",
    )
    .bind(old_retires_at_ms)
    .bind(endpoint_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO webhook_secrets (endpoint_id, version, sealed_secret, created_at_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(endpoint_id)
    .bind(version)
    .bind(sealed_secret)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The sealed secrets that still sign at `now_ms`, newest first: (version, sealed).
pub async fn signing_secrets(db: &Db, endpoint_id: &str, now_ms: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT version, sealed_secret FROM webhook_secrets
         WHERE endpoint_id = $1 AND (retires_at_ms = 0 OR retires_at_ms > $2) ORDER BY version DESC",
    )
    .bind(endpoint_id)
    .bind(now_ms)
    .fetch_all(db.read_pool())
    .await?;
    rows.iter().map(|r| Ok((r.try_get("version")?, r.try_get("sealed_secret")?))).collect()
}

/// A live POS key with its sealed secret, its merchant and its store, in one query (the POS
/// request path reads this on every payment). Merchant columns keep their names; the key's and
/// the store's are prefixed.
/// A live POS key with its sealed secret, merchant and store, and the ids of the merchant's
/// enabled webhook endpoints (each payment's event goes to each of them): one read per request.
pub struct LivePosKey {
    pub key: PosKey,
    pub sealed_secret: String,
    pub merchant: super::store::Merchant,
    pub store: super::store::Store,
    pub webhook_endpoint_ids: Vec<String>,
}

pub async fn live_pos_key_with_merchant(db: &Db, id: &str) -> Result<Option<LivePosKey>, sqlx::Error> {
    let joined_ids = match db.backend() {
        Backend::Postgres => "string_agg(w.id, ',')",
        Backend::Sqlite => "group_concat(w.id, ',')",
    };
    let sql = format!(
        "SELECT {}, k.sealed_secret AS k_sealed_secret, {}, {},
                (SELECT {joined_ids} FROM webhook_endpoints w
                 WHERE w.merchant_id = k.merchant_id AND w.status = 'enabled') AS webhook_endpoint_ids
         FROM pos_keys k JOIN merchants m ON m.id = k.merchant_id JOIN merchant_stores s ON s.id = k.store_id
         WHERE k.id = $1 AND k.revoked_at_ms = 0 AND s.merchant_id = k.merchant_id",
        prefixed("k", POS_KEY_COLUMNS, "k_"),
        prefixed("s", super::store::STORE_COLUMNS, "s_"),
        super::store::MERCHANT_COLUMNS.split(", ").map(|c| format!("m.{}", c.trim())).collect::<Vec<_>>().join(", ")
    );
    let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.read_pool()).await? else {
        return Ok(None);
    };
    let joined: Option<String> = r.try_get("webhook_endpoint_ids")?;
    let mut webhook_endpoint_ids: Vec<String> =
        joined.unwrap_or_default().split(',').filter(|id| !id.is_empty()).map(str::to_owned).collect();
    webhook_endpoint_ids.sort_unstable();
    Ok(Some(LivePosKey {
        key: pos_key_prefixed(&r, "k_")?,
        sealed_secret: r.try_get("k_sealed_secret")?,
        merchant: super::store::merchant(&r)?,
        store: super::store::store_prefixed(&r, "s_")?,
        webhook_endpoint_ids,
    }))
}
