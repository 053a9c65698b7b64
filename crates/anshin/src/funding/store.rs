//! Every SQL statement of the funding context.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::ledger::{Effect, EffectValue};
use crate::storage::Db;

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A linked bank account as lists show it: the number masked to its last four digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BankAccount {
    pub id: String,
    pub bank_code: String,
    pub branch_code: String,
    /// ordinary, current or savings.
    pub account_type: String,
    /// `***` and the last four digits.
    pub account_number_masked: String,
    /// As the bank answered the account inquiry (Zengin form).
    pub holder_name: String,
    /// `exact` (the holder is the user, on the Zengin key), `review` (the names differ) or
    /// `shared` (another wallet already linked this account).
    pub name_check: String,
    /// `linked` (top-ups may use it), `review` (an operator decides), `rejected`.
    pub status: String,
    pub created_at_ms: i64,
}

/// A link waiting for an operator, with the name it was compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LinkReview {
    #[serde(flatten)]
    pub account: BankAccount,
    pub user_id: String,
    /// The user's registered legal name.
    pub legal_name: String,
}

/// What a debit needs: the whole account, and whose it is.
#[derive(Debug, Clone)]
pub struct LinkRow {
    pub id: String,
    pub user_id: String,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    pub holder_name: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TopUp {
    pub id: String,
    #[serde(skip)]
    pub user_id: String,
    pub bank_account_id: String,
    pub amount_minor: i64,
    /// `pending` (waiting for the bank), `credited` (the money is in the wallet), `failed` (the
    /// bank refused: nothing moved) or `over_cap` (the bank paid, but the wallet would pass its
    /// holding cap: kept aside for an operator to return).
    pub status: String,
    /// The bank's refusal reason when `failed`.
    pub failure_reason: String,
    #[serde(skip)]
    pub day: String,
    pub created_at_ms: i64,
    pub decided_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PointGrant {
    pub id: String,
    pub user_id: String,
    pub reference: String,
    pub campaign: String,
    pub amount_minor: i64,
    pub granted_by: String,
    pub entry_id: String,
    pub created_at_ms: i64,
}

/// Who a user is, as funding needs it.
#[derive(Debug, Clone)]
pub struct UserFacts {
    pub legal_name: String,
    pub email: String,
    pub locale: String,
    pub kind: String,
    pub status: String,
    pub money_out_blocked_until_ms: i64,
}

const LINK_COLUMNS: &str = "id, user_id, bank_code, branch_code, account_type, account_number, holder_name, name_check,
    status, created_at_ms";

fn bank_account(r: &AnyRow) -> Result<BankAccount, sqlx::Error> {
    let number: String = r.try_get("account_number")?;
    Ok(BankAccount {
        id: r.try_get("id")?,
        bank_code: r.try_get("bank_code")?,
        branch_code: r.try_get("branch_code")?,
        account_type: r.try_get("account_type")?,
        account_number_masked: super::masked(&number),
        holder_name: r.try_get("holder_name")?,
        name_check: r.try_get("name_check")?,
        status: r.try_get("status")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

fn link_row(r: &AnyRow) -> Result<LinkRow, sqlx::Error> {
    Ok(LinkRow {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        bank_code: r.try_get("bank_code")?,
        branch_code: r.try_get("branch_code")?,
        account_type: r.try_get("account_type")?,
        account_number: r.try_get("account_number")?,
        holder_name: r.try_get("holder_name")?,
        status: r.try_get("status")?,
    })
}

pub async fn user_facts(db: &Db, user_id: &str) -> Result<Option<UserFacts>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT legal_name, email, locale, kind, status, money_out_blocked_until_ms FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(db.read_pool())
    .await?;
    row.map(|r| {
        Ok::<_, sqlx::Error>(UserFacts {
            legal_name: r.try_get("legal_name")?,
            email: r.try_get("email")?,
            locale: r.try_get("locale")?,
            kind: r.try_get("kind")?,
            status: r.try_get("status")?,
            money_out_blocked_until_ms: r.try_get("money_out_blocked_until_ms")?,
        })
    })
    .transpose()
}

/// Lock the user's row (PostgreSQL; SQLite's write transaction already excludes others), so one
/// user's links are counted and added one request at a time.
pub async fn lock_user(db: &Db, tx: &mut Tx, user_id: &str) -> Result<(), sqlx::Error> {
    let sql = format!("SELECT id FROM users WHERE id = $1{}", db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_one(&mut **tx).await?;
    Ok(())
}

pub async fn live_links(tx: &mut Tx, user_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM funding_bank_accounts WHERE user_id = $1 AND status IN ('linked', 'review')")
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")
}

pub struct NewLink<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub bank_code: &'a str,
    pub branch_code: &'a str,
    pub account_type: &'a str,
    pub account_number: &'a str,
    pub holder_name: &'a str,
    pub name_check: &'a str,
    pub status: &'a str,
}

/// False when the same account is already linked (or in review) for this user.
pub async fn insert_link(tx: &mut Tx, l: &NewLink<'_>, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO funding_bank_accounts (id, user_id, bank_code, branch_code, account_type, account_number,
             holder_name, name_check, status, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
    )
    .bind(l.id)
    .bind(l.user_id)
    .bind(l.bank_code)
    .bind(l.branch_code)
    .bind(l.account_type)
    .bind(l.account_number)
    .bind(l.holder_name)
    .bind(l.name_check)
    .bind(l.status)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A user's accounts, newest first (unlinked ones are gone from the list).
pub async fn links_of(db: &Db, user_id: &str) -> Result<Vec<BankAccount>, sqlx::Error> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM funding_bank_accounts WHERE user_id = $1 AND status <> 'unlinked'
         ORDER BY created_at_ms DESC, id DESC LIMIT 20"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(db.read_pool()).await?;
    rows.iter().map(bank_account).collect()
}

pub async fn link(db: &Db, id: &str) -> Result<Option<(LinkRow, BankAccount)>, sqlx::Error> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM funding_bank_accounts WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.read_pool()).await?;
    row.map(|r| Ok::<_, sqlx::Error>((link_row(&r)?, bank_account(&r)?))).transpose()
}

pub async fn unlink(tx: &mut Tx, id: &str, user_id: &str, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE funding_bank_accounts SET status = 'unlinked', decided_at_ms = $1
         WHERE id = $2 AND user_id = $3 AND status <> 'unlinked'",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

pub async fn awaiting_review(db: &Db, limit: i64) -> Result<Vec<LinkReview>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.id, a.user_id, a.bank_code, a.branch_code, a.account_type, a.account_number, a.holder_name,
                a.name_check, a.status, a.created_at_ms, u.legal_name
         FROM funding_bank_accounts a JOIN users u ON u.id = a.user_id
         WHERE a.status = 'review' ORDER BY a.created_at_ms, a.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.read_pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok::<_, sqlx::Error>(LinkReview {
                account: bank_account(r)?,
                user_id: r.try_get("user_id")?,
                legal_name: r.try_get("legal_name")?,
            })
        })
        .collect()
}

/// Only a link still in review is decided; false otherwise (decided already, or none).
pub async fn decide_review(tx: &mut Tx, id: &str, status: &str, by: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE funding_bank_accounts SET status = $1, decided_by = $2, decided_at_ms = $3
         WHERE id = $4 AND status = 'review'",
    )
    .bind(status)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Count `amount_minor` towards the user's total for `day`, only if that keeps it within
/// `limit_minor`: one statement (an upsert whose update is conditional), so two concurrent
/// top-ups cannot both fit into the same room.
pub async fn reserve_daily(
    tx: &mut Tx,
    user_id: &str,
    day: &str,
    amount_minor: i64,
    limit_minor: i64,
) -> Result<bool, sqlx::Error> {
    if amount_minor > limit_minor {
        return Ok(false);
    }
    let done = sqlx::query(
        "INSERT INTO funding_daily_totals (user_id, day, total_minor) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, day) DO UPDATE SET total_minor = funding_daily_totals.total_minor + excluded.total_minor
         WHERE funding_daily_totals.total_minor + excluded.total_minor <= $4",
    )
    .bind(user_id)
    .bind(day)
    .bind(amount_minor)
    .bind(limit_minor)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn release_daily(tx: &mut Tx, user_id: &str, day: &str, amount_minor: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE funding_daily_totals SET total_minor = total_minor - $1 WHERE user_id = $2 AND day = $3 AND total_minor >= $1",
    )
    .bind(amount_minor)
    .bind(user_id)
    .bind(day)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn insert_top_up(tx: &mut Tx, t: &TopUp, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO funding_top_ups (id, user_id, bank_account_id, amount_minor, status, day, created_at_ms, next_poll_at_ms)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $6)",
    )
    .bind(&t.id)
    .bind(&t.user_id)
    .bind(&t.bank_account_id)
    .bind(t.amount_minor)
    .bind(&t.day)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const TOP_UP_COLUMNS: &str =
    "id, user_id, bank_account_id, amount_minor, status, failure_reason, day, created_at_ms, decided_at_ms";

fn top_up(r: &AnyRow) -> Result<TopUp, sqlx::Error> {
    Ok(TopUp {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        bank_account_id: r.try_get("bank_account_id")?,
        amount_minor: r.try_get("amount_minor")?,
        status: r.try_get("status")?,
        failure_reason: r.try_get("failure_reason")?,
        day: r.try_get("day")?,
        created_at_ms: r.try_get("created_at_ms")?,
        decided_at_ms: r.try_get("decided_at_ms")?,
    })
}

/// Read from the writer's pool: a status just settled by another task must be seen at once.
pub async fn top_up_by_id(db: &Db, id: &str) -> Result<Option<TopUp>, sqlx::Error> {
    let sql = format!("SELECT {TOP_UP_COLUMNS} FROM funding_top_ups WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.write_pool()).await?;
    row.as_ref().map(top_up).transpose()
}

pub async fn top_ups_of(db: &Db, user_id: &str, limit: i64) -> Result<Vec<TopUp>, sqlx::Error> {
    let sql = format!(
        "SELECT {TOP_UP_COLUMNS} FROM funding_top_ups WHERE user_id = $1 ORDER BY created_at_ms DESC, id DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(top_up).collect()
}

/// What the user's pending top-ups will bring once the bank confirms them.
pub async fn pending_minor(db: &Db, user_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS s FROM funding_top_ups
         WHERE user_id = $1 AND status = 'pending'",
    )
    .bind(user_id)
    .fetch_one(db.read_pool())
    .await?
    .try_get("s")
}

pub async fn due_top_ups(db: &Db, now: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id FROM funding_top_ups WHERE status = 'pending' AND next_poll_at_ms <= $1
         ORDER BY next_poll_at_ms LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.read_pool())
    .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

/// Ask again later, a little later each time.
pub async fn postpone(db: &Db, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE funding_top_ups SET polls = polls + 1,
             next_poll_at_ms = $1 + CASE WHEN polls >= 7 THEN $2 ELSE $3 * (polls + 1) END
         WHERE id = $4 AND status = 'pending'",
    )
    .bind(now)
    .bind(super::POLL_BACKOFF_MAX_MS)
    .bind(super::POLL_BACKOFF_MS)
    .bind(id)
    .execute(db.write_pool())
    .await?;
    Ok(())
}

/// The bank refused: only a pending top-up becomes failed (false when another task settled it).
pub async fn fail(tx: &mut Tx, id: &str, reason: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE funding_top_ups SET status = 'failed', failure_reason = $1, decided_at_ms = $2
         WHERE id = $3 AND status = 'pending'",
    )
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Written with the credit: the top-up becomes credited, only from pending (so a second credit
/// by another poller is refused whole, journal and all).
pub fn credited_effect(id: &str, now: i64) -> Effect {
    Effect {
        sql: "UPDATE funding_top_ups SET status = 'credited', entry_id = $1, decided_at_ms = $2
              WHERE id = $3 AND status = 'pending'",
        binds: vec![EffectValue::OutcomeId, EffectValue::Int(now), EffectValue::Text(id.to_owned())],
        expect_rows: Some(1),
        refusal: "top_up_settled",
        batch: None,
    }
}

/// Written with the credit, after the ledger's own rows: the money account's balance, the
/// credit included (and every other posting of the same batch), must be within the cap, or the
/// whole command is refused. Checked where the balance changes, so concurrent top-ups cannot
/// each see room that only one of them has.
pub fn cap_effect(id: &str, money_account_id: &str, cap_minor: i64) -> Effect {
    Effect {
        sql: "UPDATE funding_top_ups SET polls = polls
              WHERE id = $1 AND (SELECT balance_minor FROM ledger_accounts WHERE id = $2) <= $3",
        binds: vec![
            EffectValue::Text(id.to_owned()),
            EffectValue::Text(money_account_id.to_owned()),
            EffectValue::Int(cap_minor),
        ],
        expect_rows: Some(1),
        refusal: "over_holding_cap",
        batch: None,
    }
}

/// Written with the journal that puts a confirmed top-up the cap refused into suspense.
pub fn over_cap_effect(id: &str, now: i64) -> Effect {
    Effect {
        sql: "UPDATE funding_top_ups SET status = 'over_cap', failure_reason = 'over_holding_cap', entry_id = $1,
                  decided_at_ms = $2
              WHERE id = $3 AND status = 'pending'",
        binds: vec![EffectValue::OutcomeId, EffectValue::Int(now), EffectValue::Text(id.to_owned())],
        expect_rows: Some(1),
        refusal: "top_up_settled",
        batch: None,
    }
}

pub fn insert_grant_effect(g: &PointGrant) -> Effect {
    Effect {
        sql: "INSERT INTO funding_point_grants (id, user_id, reference, campaign, amount_minor, granted_by, entry_id,
                  created_at_ms)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        binds: vec![
            EffectValue::Text(g.id.clone()),
            EffectValue::Text(g.user_id.clone()),
            EffectValue::Text(g.reference.clone()),
            EffectValue::Text(g.campaign.clone()),
            EffectValue::Int(g.amount_minor),
            EffectValue::Text(g.granted_by.clone()),
            EffectValue::OutcomeId,
            EffectValue::Int(g.created_at_ms),
        ],
        expect_rows: Some(1),
        refusal: "grant_exists",
        batch: None,
    }
}

const GRANT_COLUMNS: &str = "id, user_id, reference, campaign, amount_minor, granted_by, entry_id, created_at_ms";

fn grant(r: &AnyRow) -> Result<PointGrant, sqlx::Error> {
    Ok(PointGrant {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        reference: r.try_get("reference")?,
        campaign: r.try_get("campaign")?,
        amount_minor: r.try_get("amount_minor")?,
        granted_by: r.try_get("granted_by")?,
        entry_id: r.try_get("entry_id")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

pub async fn grant_by_reference(db: &Db, user_id: &str, reference: &str) -> Result<Option<PointGrant>, sqlx::Error> {
    let sql = format!("SELECT {GRANT_COLUMNS} FROM funding_point_grants WHERE user_id = $1 AND reference = $2");
    let row =
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(reference).fetch_optional(db.write_pool()).await?;
    row.as_ref().map(grant).transpose()
}

pub async fn recent_grants(db: &Db, limit: i64) -> Result<Vec<PointGrant>, sqlx::Error> {
    let sql = format!("SELECT {GRANT_COLUMNS} FROM funding_point_grants ORDER BY created_at_ms DESC, id DESC LIMIT $1");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(grant).collect()
}
