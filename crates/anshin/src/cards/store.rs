//! Every SQL statement of the cards context: vault records (ciphertext only), registered cards,
//! their 3-D Secure authentications and the top-ups charged to them.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::ledger::{Effect, EffectValue};
use crate::storage::Db;

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A registered card as the wallet and the API show it: never more than brand, BIN, last four
/// and expiry (PCI DSS 3.4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Card {
    pub id: String,
    #[serde(skip)]
    pub user_id: String,
    #[serde(skip)]
    pub token: String,
    pub brand: String,
    pub bin6: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    /// `authenticating` (3-D Secure under way), `active`, `failed` or `removed`.
    pub status: String,
    /// Why a registration failed: `card_declined`, `authentication_failed`, `authentication_unavailable`.
    pub failure_reason: String,
    pub created_at_ms: i64,
}

/// A card top-up: credited to the lite balance only after 3-D Secure and an approved authorisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CardTopUp {
    pub id: String,
    #[serde(skip)]
    pub user_id: String,
    pub card_id: String,
    pub amount_minor: i64,
    /// `authenticating`, `authorising`, `credited` or `declined`.
    pub status: String,
    pub decline_reason: String,
    #[serde(skip)]
    pub authentication_id: String,
    #[serde(skip)]
    pub day: String,
    #[serde(skip)]
    pub month: String,
    pub created_at_ms: i64,
    pub decided_at_ms: i64,
}

/// One 3-D Secure authentication as stored (the authentication value sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    pub id: String,
    pub user_id: String,
    pub card_id: String,
    pub purpose: String,
    pub top_up_id: String,
    pub amount_minor: i64,
    pub message_version: String,
    pub ds_trans_id: String,
    pub acs_trans_id: String,
    pub ares_status: String,
    pub trans_status: String,
    pub trans_status_reason: String,
    pub eci: String,
    pub sealed_authentication_value: String,
    pub acs_url: String,
    pub state: String,
    pub created_at_ms: i64,
    pub final_at_ms: i64,
}

// ---- vault records --------------------------------------------------------------------------

pub async fn insert_sealed(tx: &mut Tx, sealed: &vault::SealedCard, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO vault_cards (token, key_id, wrapped_key, ciphertext, fingerprint, brand, bin6, last4,
            exp_month, exp_year, kind, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&sealed.token)
    .bind(&sealed.key_id)
    .bind(&sealed.wrapped_key)
    .bind(&sealed.ciphertext)
    .bind(&sealed.fingerprint)
    .bind(enum_text(&sealed.brand))
    .bind(&sealed.bin6)
    .bind(&sealed.last4)
    .bind(i64::from(sealed.exp_month))
    .bind(i64::from(sealed.exp_year))
    .bind(enum_text(&sealed.kind))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A vault enum (brand, kind) as its serde name, the form the columns keep.
pub fn enum_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

fn enum_from<T: serde::de::DeserializeOwned>(text: String) -> Result<T, sqlx::Error> {
    serde_json::from_value(serde_json::Value::String(text.clone()))
        .map_err(|_| sqlx::Error::Decode(format!("unknown value {text}").into()))
}

fn sealed_from(row: &AnyRow) -> Result<vault::SealedCard, sqlx::Error> {
    let decode = |e: String| sqlx::Error::Decode(e.into());
    Ok(vault::SealedCard {
        token: row.try_get("token")?,
        key_id: row.try_get("key_id")?,
        wrapped_key: row.try_get("wrapped_key")?,
        ciphertext: row.try_get("ciphertext")?,
        fingerprint: row.try_get("fingerprint")?,
        brand: enum_from(row.try_get("brand")?)?,
        kind: enum_from(row.try_get("kind")?)?,
        bin6: row.try_get("bin6")?,
        last4: row.try_get("last4")?,
        exp_month: u8::try_from(row.try_get::<i64, _>("exp_month")?).map_err(|e| decode(e.to_string()))?,
        exp_year: u16::try_from(row.try_get::<i64, _>("exp_year")?).map_err(|e| decode(e.to_string()))?,
    })
}

const SEALED_COLUMNS: &str =
    "token, key_id, wrapped_key, ciphertext, fingerprint, brand, bin6, last4, exp_month, exp_year, kind";

pub async fn sealed(db: &Db, token: &str) -> Result<Option<vault::SealedCard>, sqlx::Error> {
    let sql = format!("SELECT {SEALED_COLUMNS} FROM vault_cards WHERE token = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token).fetch_optional(db.read_pool()).await?;
    row.as_ref().map(sealed_from).transpose()
}

/// Records whose data key is wrapped by another key than `active_key_id`, a page at a time.
pub async fn sealed_not_under(db: &Db, active_key_id: &str, limit: i64) -> Result<Vec<vault::SealedCard>, sqlx::Error> {
    let sql = format!("SELECT {SEALED_COLUMNS} FROM vault_cards WHERE key_id <> $1 ORDER BY token LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(active_key_id).bind(limit).fetch_all(db.write_pool()).await?;
    rows.iter().map(sealed_from).collect()
}

/// Swap a record's wrapped data key, only if nobody re-wrapped it meanwhile.
pub async fn rewrap(db: &Db, old: &vault::SealedCard, new: &vault::SealedCard) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE vault_cards SET key_id = $1, wrapped_key = $2 WHERE token = $3 AND key_id = $4 AND wrapped_key = $5",
    )
    .bind(&new.key_id)
    .bind(&new.wrapped_key)
    .bind(&old.token)
    .bind(&old.key_id)
    .bind(&old.wrapped_key)
    .execute(db.write_pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn count_by_key(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query("SELECT key_id, COUNT(*) AS n FROM vault_cards GROUP BY key_id ORDER BY key_id")
        .fetch_all(db.read_pool())
        .await?;
    rows.iter().map(|r| Ok((r.try_get("key_id")?, r.try_get("n")?))).collect()
}

// ---- cards ----------------------------------------------------------------------------------

const CARD_COLUMNS: &str =
    "id, user_id, token, brand, bin6, last4, exp_month, exp_year, status, failure_reason, created_at_ms";

fn card_from(row: &AnyRow) -> Result<Card, sqlx::Error> {
    Ok(Card {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        token: row.try_get("token")?,
        brand: row.try_get("brand")?,
        bin6: row.try_get("bin6")?,
        last4: row.try_get("last4")?,
        exp_month: row.try_get("exp_month")?,
        exp_year: row.try_get("exp_year")?,
        status: row.try_get("status")?,
        failure_reason: row.try_get("failure_reason")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

/// A new card, `authenticating`. False when the number is already on a wallet (this or another).
pub async fn insert_card(tx: &mut Tx, card: &Card, fingerprint: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO cards (id, user_id, token, fingerprint, brand, bin6, last4, exp_month, exp_year, status,
            created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'authenticating', $10)
         ON CONFLICT DO NOTHING",
    )
    .bind(&card.id)
    .bind(&card.user_id)
    .bind(&card.token)
    .bind(fingerprint)
    .bind(&card.brand)
    .bind(&card.bin6)
    .bind(&card.last4)
    .bind(card.exp_month)
    .bind(card.exp_year)
    .bind(card.created_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn card(db: &Db, id: &str) -> Result<Option<Card>, sqlx::Error> {
    let sql = format!("SELECT {CARD_COLUMNS} FROM cards WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.read_pool()).await?;
    row.as_ref().map(card_from).transpose()
}

pub async fn cards_of(db: &Db, user_id: &str, limit: i64) -> Result<Vec<Card>, sqlx::Error> {
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM cards WHERE user_id = $1 AND status <> 'removed' ORDER BY created_at_ms DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(card_from).collect()
}

/// Cards a user has that are not removed or failed (a cap on how many one wallet holds).
pub async fn live_cards(db: &Db, user_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM cards WHERE user_id = $1 AND status IN ('authenticating', 'active')")
        .bind(user_id)
        .fetch_one(db.read_pool())
        .await
}

/// Move a card on from `from`; false when it was not there (another request decided it).
pub async fn decide_card(
    tx: &mut Tx,
    id: &str,
    from: &str,
    to: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE cards SET status = $1, failure_reason = $2, decided_at_ms = $3 WHERE id = $4 AND status = $5",
    )
    .bind(to)
    .bind(reason)
    .bind(now)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- authentications --------------------------------------------------------------------------

const AUTH_COLUMNS: &str = "id, user_id, card_id, purpose, top_up_id, amount_minor, message_version, ds_trans_id,
    acs_trans_id, ares_status, trans_status, trans_status_reason, eci, authentication_value, acs_url, state,
    created_at_ms, final_at_ms";

fn auth_from(row: &AnyRow) -> Result<Authentication, sqlx::Error> {
    Ok(Authentication {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        card_id: row.try_get("card_id")?,
        purpose: row.try_get("purpose")?,
        top_up_id: row.try_get("top_up_id")?,
        amount_minor: row.try_get("amount_minor")?,
        message_version: row.try_get("message_version")?,
        ds_trans_id: row.try_get("ds_trans_id")?,
        acs_trans_id: row.try_get("acs_trans_id")?,
        ares_status: row.try_get("ares_status")?,
        trans_status: row.try_get("trans_status")?,
        trans_status_reason: row.try_get("trans_status_reason")?,
        eci: row.try_get("eci")?,
        sealed_authentication_value: row.try_get("authentication_value")?,
        acs_url: row.try_get("acs_url")?,
        state: row.try_get("state")?,
        created_at_ms: row.try_get("created_at_ms")?,
        final_at_ms: row.try_get("final_at_ms")?,
    })
}

pub async fn insert_authentication(tx: &mut Tx, a: &Authentication) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO card_authentications (id, user_id, card_id, purpose, top_up_id, amount_minor, message_version,
            state, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, 'sent', $8)",
    )
    .bind(&a.id)
    .bind(&a.user_id)
    .bind(&a.card_id)
    .bind(&a.purpose)
    .bind(&a.top_up_id)
    .bind(a.amount_minor)
    .bind(&a.message_version)
    .bind(a.created_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn authentication(db: &Db, id: &str) -> Result<Option<Authentication>, sqlx::Error> {
    let sql = format!("SELECT {AUTH_COLUMNS} FROM card_authentications WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.write_pool()).await?;
    row.as_ref().map(auth_from).transpose()
}

/// The ARes (or its absence) as the DS answered; `final` unless a challenge or a decoupled
/// authentication is still to come.
pub async fn record_ares(tx: &mut Tx, a: &Authentication) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE card_authentications SET ds_trans_id = $1, acs_trans_id = $2, ares_status = $3, trans_status = $4,
            trans_status_reason = $5, eci = $6, authentication_value = $7, acs_url = $8, state = $9,
            final_at_ms = $10, message_version = $11
         WHERE id = $12 AND state = 'sent'",
    )
    .bind(&a.ds_trans_id)
    .bind(&a.acs_trans_id)
    .bind(&a.ares_status)
    .bind(&a.trans_status)
    .bind(&a.trans_status_reason)
    .bind(&a.eci)
    .bind(&a.sealed_authentication_value)
    .bind(&a.acs_url)
    .bind(&a.state)
    .bind(a.final_at_ms)
    .bind(&a.message_version)
    .bind(&a.id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The RReq's final result, once: only an authentication waiting for one (`ares`) takes it, and
/// only from the DS transaction it started.
pub async fn record_result(tx: &mut Tx, a: &Authentication) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE card_authentications SET trans_status = $1, trans_status_reason = $2, eci = $3,
            authentication_value = $4, state = 'final', final_at_ms = $5
         WHERE id = $6 AND state = 'ares' AND ds_trans_id = $7 AND acs_trans_id = $8",
    )
    .bind(&a.trans_status)
    .bind(&a.trans_status_reason)
    .bind(&a.eci)
    .bind(&a.sealed_authentication_value)
    .bind(a.final_at_ms)
    .bind(&a.id)
    .bind(&a.ds_trans_id)
    .bind(&a.acs_trans_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- top-ups ----------------------------------------------------------------------------------

const TOP_UP_COLUMNS: &str = "id, user_id, card_id, amount_minor, status, decline_reason, authentication_id, day,
    month, created_at_ms, decided_at_ms";

fn top_up_from(row: &AnyRow) -> Result<CardTopUp, sqlx::Error> {
    Ok(CardTopUp {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        card_id: row.try_get("card_id")?,
        amount_minor: row.try_get("amount_minor")?,
        status: row.try_get("status")?,
        decline_reason: row.try_get("decline_reason")?,
        authentication_id: row.try_get("authentication_id")?,
        day: row.try_get("day")?,
        month: row.try_get("month")?,
        created_at_ms: row.try_get("created_at_ms")?,
        decided_at_ms: row.try_get("decided_at_ms")?,
    })
}

pub async fn insert_top_up(tx: &mut Tx, t: &CardTopUp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO card_top_ups (id, user_id, card_id, amount_minor, status, authentication_id, day, month,
            created_at_ms) VALUES ($1, $2, $3, $4, 'authenticating', $5, $6, $7, $8)",
    )
    .bind(&t.id)
    .bind(&t.user_id)
    .bind(&t.card_id)
    .bind(t.amount_minor)
    .bind(&t.authentication_id)
    .bind(&t.day)
    .bind(&t.month)
    .bind(t.created_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn top_up(db: &Db, id: &str) -> Result<Option<CardTopUp>, sqlx::Error> {
    let sql = format!("SELECT {TOP_UP_COLUMNS} FROM card_top_ups WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.write_pool()).await?;
    row.as_ref().map(top_up_from).transpose()
}

pub async fn top_ups_of(db: &Db, user_id: &str, limit: i64) -> Result<Vec<CardTopUp>, sqlx::Error> {
    let sql =
        format!("SELECT {TOP_UP_COLUMNS} FROM card_top_ups WHERE user_id = $1 ORDER BY created_at_ms DESC LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(top_up_from).collect()
}

/// Top-ups stuck in `status` since before `before_ms` (a crash, an abandoned challenge).
pub async fn stale_top_ups(db: &Db, status: &str, before_ms: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM card_top_ups WHERE status = $1 AND created_at_ms < $2 ORDER BY created_at_ms LIMIT $3",
    )
    .bind(status)
    .bind(before_ms)
    .bind(limit)
    .fetch_all(db.read_pool())
    .await
}

/// Claim a top-up for authorisation: only one caller moves it from `authenticating`.
pub async fn claim_for_authorisation(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE card_top_ups SET status = 'authorising' WHERE id = $1 AND status = 'authenticating'")
            .bind(id)
            .execute(db.write_pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Decline a top-up that is not yet decided; false when another request decided it first.
pub async fn decline_top_up(tx: &mut Tx, id: &str, reason: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE card_top_ups SET status = 'declined', decline_reason = $1, decided_at_ms = $2
         WHERE id = $3 AND status IN ('authenticating', 'authorising')",
    )
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Written with the credit: the row moves from `authorising` exactly once.
pub fn credited_effect(id: &str, auth_code: &str, network_ref: &str, now: i64) -> Effect {
    Effect {
        sql: "UPDATE card_top_ups SET status = 'credited', auth_code = $1, network_ref = $2, decided_at_ms = $3
              WHERE id = $4 AND status = 'authorising'",
        binds: vec![
            EffectValue::Text(auth_code.to_owned()),
            EffectValue::Text(network_ref.to_owned()),
            EffectValue::Int(now),
            EffectValue::Text(id.to_owned()),
        ],
        expect_rows: Some(1),
        refusal: "card_top_up_settled",
        batch: None,
    }
}

/// Add `amount_minor` to a total unless it would pass `limit_minor`: one conditional upsert.
pub async fn reserve_total(
    tx: &mut Tx,
    scope: &str,
    period: &str,
    amount_minor: i64,
    limit_minor: i64,
) -> Result<bool, sqlx::Error> {
    if amount_minor > limit_minor {
        return Ok(false);
    }
    let done = sqlx::query(
        "INSERT INTO card_top_up_totals (scope, period, total_minor) VALUES ($1, $2, $3)
         ON CONFLICT (scope, period) DO UPDATE SET total_minor = card_top_up_totals.total_minor + excluded.total_minor
         WHERE card_top_up_totals.total_minor + excluded.total_minor <= $4",
    )
    .bind(scope)
    .bind(period)
    .bind(amount_minor)
    .bind(limit_minor)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn release_total(tx: &mut Tx, scope: &str, period: &str, amount_minor: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE card_top_up_totals SET total_minor = total_minor - $1 WHERE scope = $2 AND period = $3 AND total_minor >= $1",
    )
    .bind(amount_minor)
    .bind(scope)
    .bind(period)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Cards still `authenticating` since before `before_ms` (a challenge nobody finished).
pub async fn stale_cards(db: &Db, before_ms: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM cards WHERE status = 'authenticating' AND created_at_ms < $1 ORDER BY created_at_ms LIMIT $2",
    )
    .bind(before_ms)
    .bind(limit)
    .fetch_all(db.read_pool())
    .await
}
