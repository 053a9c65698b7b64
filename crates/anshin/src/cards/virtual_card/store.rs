//! Every SQL statement of virtual cards: the cards, their authorisations, and the effects the
//! ledger runs with a hold, a capture or a void.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::model::{Category, VirtualCard, VirtualCardAuthorization};
use crate::cards::store::Tx;
use crate::ledger::{Effect, EffectValue};
use crate::storage::Db;

const CARD_COLUMNS: &str = "id, user_id, token, fingerprint, brand, last4, exp_month, exp_year, status, \
    per_transaction_limit_minor, blocked_categories, created_at_ms";

fn card_from(row: &AnyRow) -> Result<VirtualCard, sqlx::Error> {
    let blocked: String = row.try_get("blocked_categories")?;
    Ok(VirtualCard {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        token: row.try_get("token")?,
        fingerprint: row.try_get("fingerprint")?,
        brand: row.try_get("brand")?,
        last4: row.try_get("last4")?,
        exp_month: row.try_get("exp_month")?,
        exp_year: row.try_get("exp_year")?,
        status: row.try_get("status")?,
        per_transaction_limit_minor: row.try_get("per_transaction_limit_minor")?,
        blocked_categories: blocked.split(',').filter_map(Category::parse).collect(),
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

pub fn categories_text(categories: &[Category]) -> String {
    categories.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
}

/// Insert a card; false when the wallet already has a live one. A fingerprint collision is an
/// error the caller retries on (`virtual_cards_fingerprint`).
pub async fn insert_card(tx: &mut Tx, card: &VirtualCard, replaces_id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO virtual_cards (id, user_id, token, fingerprint, brand, last4, exp_month, exp_year, status,
            per_transaction_limit_minor, blocked_categories, replaces_id, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
         ON CONFLICT (user_id) WHERE status IN ('active', 'frozen') DO NOTHING",
    )
    .bind(&card.id)
    .bind(&card.user_id)
    .bind(&card.token)
    .bind(&card.fingerprint)
    .bind(&card.brand)
    .bind(&card.last4)
    .bind(card.exp_month)
    .bind(card.exp_year)
    .bind(&card.status)
    .bind(card.per_transaction_limit_minor)
    .bind(categories_text(&card.blocked_categories))
    .bind(replaces_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The wallet's live card (active or frozen).
pub async fn live_card(db: &Db, user_id: &str) -> Result<Option<VirtualCard>, sqlx::Error> {
    let sql = format!("SELECT {CARD_COLUMNS} FROM virtual_cards WHERE user_id = $1 AND status IN ('active', 'frozen')");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_optional(db.write_pool()).await?;
    row.as_ref().map(card_from).transpose()
}

pub async fn card_by_fingerprint(db: &Db, fingerprint: &str) -> Result<Option<VirtualCard>, sqlx::Error> {
    let sql = format!("SELECT {CARD_COLUMNS} FROM virtual_cards WHERE fingerprint = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(fingerprint).fetch_optional(db.write_pool()).await?;
    row.as_ref().map(card_from).transpose()
}

/// Move a live card from one status to another; false when it was not in `from`.
pub async fn set_status(tx: &mut Tx, id: &str, from: &str, to: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE virtual_cards SET status = $1, updated_at_ms = $2 WHERE id = $3 AND status = $4")
        .bind(to)
        .bind(now)
        .bind(id)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_limits(
    tx: &mut Tx,
    id: &str,
    per_transaction_limit_minor: i64,
    blocked: &[Category],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE virtual_cards SET per_transaction_limit_minor = $1, blocked_categories = $2, updated_at_ms = $3
         WHERE id = $4 AND status IN ('active', 'frozen')",
    )
    .bind(per_transaction_limit_minor)
    .bind(categories_text(blocked))
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

const AUTH_COLUMNS: &str = "id, network_ref, card_id, user_id, amount_minor, currency, merchant_name, mcc, status, \
    decline_reason, hold_id, balance, auth_code, settled_minor, expires_at_ms, created_at_ms";

fn authorization_from(row: &AnyRow) -> Result<VirtualCardAuthorization, sqlx::Error> {
    Ok(VirtualCardAuthorization {
        id: row.try_get("id")?,
        network_ref: row.try_get("network_ref")?,
        card_id: row.try_get("card_id")?,
        user_id: row.try_get("user_id")?,
        amount_minor: row.try_get("amount_minor")?,
        currency: row.try_get("currency")?,
        merchant_name: row.try_get("merchant_name")?,
        mcc: row.try_get("mcc")?,
        status: row.try_get("status")?,
        decline_reason: row.try_get("decline_reason")?,
        hold_id: row.try_get("hold_id")?,
        balance: row.try_get("balance")?,
        auth_code: row.try_get("auth_code")?,
        settled_minor: row.try_get("settled_minor")?,
        expires_at_ms: row.try_get("expires_at_ms")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

pub async fn authorization_by_ref(db: &Db, network_ref: &str) -> Result<Option<VirtualCardAuthorization>, sqlx::Error> {
    let sql = format!("SELECT {AUTH_COLUMNS} FROM virtual_card_authorizations WHERE network_ref = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(network_ref).fetch_optional(db.write_pool()).await?;
    row.as_ref().map(authorization_from).transpose()
}

pub async fn authorizations_of(
    db: &Db,
    user_id: &str,
    limit: i64,
) -> Result<Vec<VirtualCardAuthorization>, sqlx::Error> {
    let sql = format!(
        "SELECT {AUTH_COLUMNS} FROM virtual_card_authorizations WHERE user_id = $1
         ORDER BY created_at_ms DESC, id DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(authorization_from).collect()
}

/// Approved authorisations whose hold is past the issuer's expiry.
pub async fn expired_holds(db: &Db, now: i64, limit: i64) -> Result<Vec<VirtualCardAuthorization>, sqlx::Error> {
    let sql = format!(
        "SELECT {AUTH_COLUMNS} FROM virtual_card_authorizations WHERE status = 'approved' AND expires_at_ms <= $1
         ORDER BY expires_at_ms LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(db.write_pool()).await?;
    rows.iter().map(authorization_from).collect()
}

/// A declined authorisation's row; false when the network reference is already recorded.
pub async fn insert_declined(tx: &mut Tx, a: &VirtualCardAuthorization) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO virtual_card_authorizations (id, network_ref, card_id, user_id, amount_minor, currency,
            merchant_name, mcc, status, decline_reason, created_at_ms, resolved_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'declined', $9, $10, $10)
         ON CONFLICT (network_ref) DO NOTHING",
    )
    .bind(&a.id)
    .bind(&a.network_ref)
    .bind(&a.card_id)
    .bind(&a.user_id)
    .bind(a.amount_minor)
    .bind(&a.currency)
    .bind(&a.merchant_name)
    .bind(&a.mcc)
    .bind(&a.decline_reason)
    .bind(a.created_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// With the ledger's hold: the approved authorisation's row, written only while the card is
/// still active. A card frozen or replaced a moment earlier makes the ledger refuse the hold
/// (`virtual_card_not_active`), so no purchase is approved on a dead number.
pub fn approved_effect(a: &VirtualCardAuthorization) -> Effect {
    Effect {
        sql: "INSERT INTO virtual_card_authorizations (id, network_ref, card_id, user_id, amount_minor, currency,
                merchant_name, mcc, status, hold_id, balance, auth_code, expires_at_ms, created_at_ms)
              SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'approved', $9, $10, $11, $12, $13
              FROM virtual_cards WHERE id = $3 AND status = 'active'
                AND EXISTS (SELECT 1 FROM users WHERE id = $4 AND money_out_blocked_until_ms <= $13)
              ON CONFLICT (network_ref) DO NOTHING",
        binds: vec![
            EffectValue::Text(a.id.clone()),
            EffectValue::Text(a.network_ref.clone()),
            EffectValue::Text(a.card_id.clone()),
            EffectValue::Text(a.user_id.clone()),
            EffectValue::Int(a.amount_minor),
            EffectValue::Text(a.currency.clone()),
            EffectValue::Text(a.merchant_name.clone()),
            EffectValue::Text(a.mcc.clone()),
            EffectValue::OutcomeId,
            EffectValue::Text(a.balance.clone()),
            EffectValue::Text(a.auth_code.clone()),
            EffectValue::Int(a.expires_at_ms),
            EffectValue::Int(a.created_at_ms),
        ],
        expect_rows: Some(1),
        refusal: "virtual_card_not_active",
        batch: None,
    }
}

/// With the ledger's capture, void or the sweep's void: the authorisation leaves `approved`.
pub fn resolved_effect(id: &str, status: &'static str, settled_minor: i64, now: i64) -> Effect {
    Effect {
        sql: "UPDATE virtual_card_authorizations SET status = $1, settled_minor = $2, resolved_at_ms = $3
              WHERE id = $4 AND status = 'approved'",
        binds: vec![
            EffectValue::Text(status.to_owned()),
            EffectValue::Int(settled_minor),
            EffectValue::Int(now),
            EffectValue::Text(id.to_owned()),
        ],
        expect_rows: Some(1),
        refusal: "virtual_card_authorization_resolved",
        batch: None,
    }
}

/// The ledger expired a hold by itself (the backstop): the authorisation follows.
pub async fn mark_expired(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE virtual_card_authorizations SET status = 'expired', resolved_at_ms = $1
         WHERE id = $2 AND status = 'approved'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Until when money may not leave the holder's wallet (a contact change or reset cooling off).
pub async fn money_out_blocked_until(db: &Db, user_id: &str) -> Result<i64, sqlx::Error> {
    let until: Option<i64> = sqlx::query_scalar("SELECT money_out_blocked_until_ms FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.read_pool())
        .await?;
    Ok(until.unwrap_or(i64::MAX))
}
