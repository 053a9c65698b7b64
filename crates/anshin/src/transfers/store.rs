//! Every SQL statement of the transfers context.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::ledger::{BatchSql, Effect, EffectValue};
use crate::storage::Db;

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A transfer as one of its two parties sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Transfer {
    pub id: String,
    /// `sent` or `received`, from the reader's side.
    #[schema(pattern = "^(sent|received)$")]
    pub direction: String,
    /// The other party's display name (family name and initials).
    pub counterparty: String,
    pub amount_minor: i64,
    pub message: String,
    /// The request for money this transfer paid, if any.
    pub money_request_id: String,
    /// Whether a fresh second factor was given for it.
    pub stepped_up: bool,
    pub created_at_ms: i64,
}

/// A transfer row as written.
#[derive(Debug, Clone)]
pub struct NewTransfer<'a> {
    pub id: &'a str,
    pub payer_user_id: &'a str,
    pub payee_user_id: &'a str,
    pub amount_minor: i64,
    pub message: &'a str,
    pub money_request_id: &'a str,
    pub near_cap: bool,
    pub stepped_up: bool,
    pub now_ms: i64,
}

/// A request for money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MoneyRequest {
    pub id: String,
    #[serde(skip)]
    pub requester_user_id: String,
    pub amount_minor: i64,
    pub message: String,
    /// `open`, `paid`, `canceled` or `expired`.
    #[schema(pattern = "^(open|paid|canceled|expired)$")]
    pub status: String,
    /// The transfer that paid it, once paid.
    pub transfer_id: String,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

/// A wallet that may receive money: verified, active, with the name to show.
#[derive(Debug, Clone)]
pub struct ReceivingWallet {
    pub user_id: String,
    pub legal_name: String,
    pub email: String,
    pub locale: String,
}

/// What sending needs to know of the payer.
#[derive(Debug, Clone)]
pub struct PayerFacts {
    pub email: String,
    pub locale: String,
    pub status: String,
    pub money_out_blocked_until_ms: i64,
    /// `None` until the payer's identity is verified.
    pub legal_name: Option<String>,
}

/// Both sides of a transfer, as one read finds them.
#[derive(Debug, Clone, Default)]
pub struct Parties {
    pub payer: Option<PayerFacts>,
    pub payee: Option<ReceivingWallet>,
}

/// Who may receive money, besides having a verified identity (`identity_verified` as `v`): an
/// active wallet. Every lookup of a payee and every transfer ask this one condition.
macro_rules! may_receive {
    () => {
        "u.kind = 'wallet' AND u.status = 'active'"
    };
}

const RECEIVING: &str = concat!(
    "SELECT u.id, v.legal_name, u.email, u.locale FROM users u
     JOIN identity_verified v ON v.user_id = u.id
     WHERE ",
    may_receive!()
);

fn receiving(r: &AnyRow) -> Result<ReceivingWallet, sqlx::Error> {
    Ok(ReceivingWallet {
        user_id: r.try_get("id")?,
        legal_name: r.try_get("legal_name")?,
        email: r.try_get("email")?,
        locale: r.try_get("locale")?,
    })
}

pub async fn receiving_wallet_by_email(db: &Db, email: &str) -> Result<Option<ReceivingWallet>, sqlx::Error> {
    let sql = format!("{RECEIVING} AND u.email = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(db.read_pool()).await?;
    row.as_ref().map(receiving).transpose()
}

/// A phone shared by two wallets names neither: the payer must use an e-mail address.
pub async fn receiving_wallet_by_phone(db: &Db, phone: &str) -> Result<Option<ReceivingWallet>, sqlx::Error> {
    let sql = format!("{RECEIVING} AND u.phone = $1 LIMIT 2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(phone).fetch_all(db.read_pool()).await?;
    if rows.len() == 1 { rows.first().map(receiving).transpose() } else { Ok(None) }
}

pub async fn receiving_wallet(db: &Db, user_id: &str) -> Result<Option<ReceivingWallet>, sqlx::Error> {
    let sql = format!("{RECEIVING} AND u.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_optional(db.read_pool()).await?;
    row.as_ref().map(receiving).transpose()
}

/// The payer and the payee in one read: the payer's contact and state with their verified legal
/// name (if any), and the payee as a wallet that may receive money (verified, active), if it is one.
pub async fn parties(db: &Db, payer_id: &str, payee_id: &str) -> Result<Parties, sqlx::Error> {
    let rows = sqlx::query(concat!(
        "SELECT u.id, u.email, u.locale, u.status, u.money_out_blocked_until_ms, v.legal_name,
                    CAST(CASE WHEN v.user_id IS NOT NULL AND ",
        may_receive!(),
        " THEN 1 ELSE 0 END AS BIGINT) AS may_receive
             FROM users u LEFT JOIN identity_verified v ON v.user_id = u.id
             WHERE u.id IN ($1, $2)"
    ))
    .bind(payer_id)
    .bind(payee_id)
    .fetch_all(db.read_pool())
    .await?;
    let mut parties = Parties::default();
    for r in &rows {
        let id: String = r.try_get("id")?;
        let legal_name: Option<String> = r.try_get("legal_name")?;
        let (email, locale): (String, String) = (r.try_get("email")?, r.try_get("locale")?);
        if id == payer_id {
            parties.payer = Some(PayerFacts {
                email: email.clone(),
                locale: locale.clone(),
                status: r.try_get("status")?,
                money_out_blocked_until_ms: r.try_get("money_out_blocked_until_ms")?,
                legal_name: legal_name.clone(),
            });
        }
        let may_receive: i64 = r.try_get("may_receive")?;
        if id == payee_id
            && may_receive == 1
            && let Some(legal_name) = legal_name
        {
            parties.payee = Some(ReceivingWallet { user_id: id, legal_name, email, locale });
        }
    }
    Ok(parties)
}

/// The transfer row, written with its journal entry (`entry_id` is the entry the command makes).
pub fn insert_transfer(t: &NewTransfer<'_>) -> Effect {
    use EffectValue::{Int, OutcomeId, Text};
    macro_rules! head {
        () => {
            "INSERT INTO transfers (id, payer_user_id, payee_user_id, amount_minor, message, money_request_id, near_cap,
                  stepped_up, entry_id, created_at_ms) VALUES "
        };
    }
    macro_rules! row {
        () => {
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        };
    }
    Effect {
        sql: concat!(head!(), row!()),
        binds: vec![
            Text(t.id.to_owned()),
            Text(t.payer_user_id.to_owned()),
            Text(t.payee_user_id.to_owned()),
            Int(t.amount_minor),
            Text(t.message.to_owned()),
            Text(t.money_request_id.to_owned()),
            Int(i64::from(t.near_cap)),
            Int(i64::from(t.stepped_up)),
            OutcomeId,
            Int(t.now_ms),
        ],
        expect_rows: None,
        refusal: "",
        batch: Some(BatchSql { head: head!(), row: row!(), tail: "" }),
    }
}

/// Adds the amount to the payer's total for `period`, only while it stays within `limit_minor`
/// (a first transfer of the period too): one statement, so racing transfers cannot both pass
/// the limit. The row keeps the limit it was last raised under, which lets a batch's statement
/// compare each row with its own limit.
pub fn raise_total(user_id: &str, period: &str, amount_minor: i64, limit_minor: i64, refusal: &'static str) -> Effect {
    use EffectValue::{Int, Text};
    macro_rules! head {
        () => {
            "INSERT INTO transfer_totals (user_id, period, total_minor, limit_minor)
             SELECT v.column1, v.column2, v.column3, v.column4 FROM (VALUES "
        };
    }
    macro_rules! row {
        () => {
            "($1, $2, CAST($3 AS BIGINT), CAST($4 AS BIGINT))"
        };
    }
    macro_rules! tail {
        () => {
            ") AS v WHERE v.column3 <= v.column4
             ON CONFLICT (user_id, period) DO UPDATE
             SET total_minor = transfer_totals.total_minor + excluded.total_minor, limit_minor = excluded.limit_minor
             WHERE transfer_totals.total_minor + excluded.total_minor <= excluded.limit_minor"
        };
    }
    Effect {
        sql: concat!(head!(), row!(), tail!()),
        binds: vec![Text(user_id.to_owned()), Text(period.to_owned()), Int(amount_minor), Int(limit_minor)],
        expect_rows: Some(1),
        refusal,
        // One user twice in one batch touches a row twice: SQLite raises it twice in order (the
        // count tells if one was refused), PostgreSQL refuses the statement (cardinality
        // violation) and the ledger runs the batch again one statement per effect.
        batch: Some(BatchSql { head: head!(), row: row!(), tail: tail!() }),
    }
}

/// A condition on a written transfer row, checked in the ledger's transaction: the no-op update
/// touches the row only when the condition holds, and the effect expects one row. Batched, one
/// `UPDATE … FROM (VALUES …)` checks every transfer of the batch.
macro_rules! TOUCH_TRANSFER_HEAD {
    () => {
        "UPDATE transfers SET near_cap = transfers.near_cap FROM (VALUES "
    };
}

/// The payee's money balance, read in the ledger's transaction after the credit, stays within
/// the holding cap; otherwise the whole transfer is refused.
pub fn payee_cap(transfer_id: &str, payee_money_account: &str, cap_minor: i64) -> Effect {
    use EffectValue::{Int, Text};
    macro_rules! tail {
        () => {
            ") AS v WHERE transfers.id = v.column1
             AND (SELECT balance_minor FROM ledger_accounts WHERE id = v.column2) <= v.column3"
        };
    }
    Effect {
        sql: concat!(TOUCH_TRANSFER_HEAD!(), "($1, $2, CAST($3 AS BIGINT))", tail!()),
        binds: vec![Text(transfer_id.to_owned()), Text(payee_money_account.to_owned()), Int(cap_minor)],
        expect_rows: Some(1),
        refusal: "payee_over_holding_cap",
        batch: Some(BatchSql { head: TOUCH_TRANSFER_HEAD!(), row: "($1, $2, CAST($3 AS BIGINT))", tail: tail!() }),
    }
}

/// Money leaves only if no contact change or password reset is cooling off, read in the
/// ledger's transaction: a reset that commits first stops a transfer that checked before it.
pub fn not_cooling_off(transfer_id: &str, payer_user_id: &str, now_ms: i64) -> Effect {
    use EffectValue::{Int, Text};
    macro_rules! tail {
        () => {
            ") AS v WHERE transfers.id = v.column1
             AND EXISTS (SELECT 1 FROM users WHERE id = v.column2 AND status = 'active'
                                                AND money_out_blocked_until_ms <= v.column3)"
        };
    }
    Effect {
        sql: concat!(TOUCH_TRANSFER_HEAD!(), "($1, $2, CAST($3 AS BIGINT))", tail!()),
        binds: vec![Text(transfer_id.to_owned()), Text(payer_user_id.to_owned()), Int(now_ms)],
        expect_rows: Some(1),
        refusal: "money_out_cooling_off",
        batch: Some(BatchSql { head: TOUCH_TRANSFER_HEAD!(), row: "($1, $2, CAST($3 AS BIGINT))", tail: tail!() }),
    }
}

/// An open, unexpired request becomes paid by this transfer, once.
pub fn pay_request(request_id: &str, transfer_id: &str, payer_user_id: &str, now_ms: i64) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "UPDATE money_requests SET status = 'paid', transfer_id = $1, paid_by_user_id = $2, decided_at_ms = $3
              WHERE id = $4 AND status = 'open' AND expires_at_ms > $3",
        binds: vec![
            Text(transfer_id.to_owned()),
            Text(payer_user_id.to_owned()),
            Int(now_ms),
            Text(request_id.to_owned()),
        ],
        expect_rows: Some(1),
        refusal: "money_request_closed",
        batch: None,
    }
}

const TRANSFER_VIEW: &str = "SELECT t.id, t.payer_user_id, t.amount_minor, t.message, t.money_request_id,
         t.stepped_up, t.created_at_ms, COALESCE(pv.legal_name, '') AS payer_name,
         COALESCE(qv.legal_name, '') AS payee_name
     FROM transfers t
     LEFT JOIN identity_verified pv ON pv.user_id = t.payer_user_id
     LEFT JOIN identity_verified qv ON qv.user_id = t.payee_user_id";

fn transfer_for(reader: &str, r: &AnyRow) -> Result<Transfer, sqlx::Error> {
    let payer: String = r.try_get("payer_user_id")?;
    let sent = payer == reader;
    let other: String = r.try_get(if sent { "payee_name" } else { "payer_name" })?;
    Ok(Transfer {
        id: r.try_get("id")?,
        direction: if sent { "sent" } else { "received" }.into(),
        counterparty: super::display_name(&other),
        amount_minor: r.try_get("amount_minor")?,
        message: r.try_get("message")?,
        money_request_id: r.try_get("money_request_id")?,
        stepped_up: r.try_get::<i64, _>("stepped_up")? != 0,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

/// One transfer, if `reader` is one of its parties.
pub async fn transfer(db: &Db, id: &str, reader: &str) -> Result<Option<Transfer>, sqlx::Error> {
    let sql = format!("{TRANSFER_VIEW} WHERE t.id = $1 AND (t.payer_user_id = $2 OR t.payee_user_id = $2)");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(reader).fetch_optional(db.read_pool()).await?;
    row.as_ref().map(|r| transfer_for(reader, r)).transpose()
}

/// The reader's transfers, sent and received, newest first.
pub async fn transfers_of(db: &Db, reader: &str, limit: i64) -> Result<Vec<Transfer>, sqlx::Error> {
    let sql = format!(
        "{TRANSFER_VIEW} WHERE t.payer_user_id = $1 OR t.payee_user_id = $1 ORDER BY t.created_at_ms DESC, t.id LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(reader).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(|r| transfer_for(reader, r)).collect()
}

const REQUEST_COLUMNS: &str =
    "id, requester_user_id, amount_minor, message, status, transfer_id, expires_at_ms, created_at_ms";

fn money_request(r: &AnyRow, now_ms: i64) -> Result<MoneyRequest, sqlx::Error> {
    let mut status: String = r.try_get("status")?;
    let expires_at_ms: i64 = r.try_get("expires_at_ms")?;
    if status == "open" && expires_at_ms <= now_ms {
        status = "expired".into();
    }
    Ok(MoneyRequest {
        id: r.try_get("id")?,
        requester_user_id: r.try_get("requester_user_id")?,
        amount_minor: r.try_get("amount_minor")?,
        message: r.try_get("message")?,
        status,
        transfer_id: r.try_get("transfer_id")?,
        expires_at_ms,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

/// Inserts a request unless the requester already has `max_open` open ones (one statement).
pub async fn insert_request(tx: &mut Tx, r: &MoneyRequest, max_open: i64, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO money_requests (id, requester_user_id, amount_minor, message, status, expires_at_ms, created_at_ms)
         SELECT $1, $2, $3, $4, 'open', $5, $6
         WHERE (SELECT COUNT(*) FROM money_requests
                WHERE requester_user_id = $2 AND status = 'open' AND expires_at_ms > $6) < $7",
    )
    .bind(&r.id)
    .bind(&r.requester_user_id)
    .bind(r.amount_minor)
    .bind(&r.message)
    .bind(r.expires_at_ms)
    .bind(now_ms)
    .bind(max_open)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn request(db: &Db, id: &str, now_ms: i64) -> Result<Option<MoneyRequest>, sqlx::Error> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM money_requests WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.read_pool()).await?;
    row.as_ref().map(|r| money_request(r, now_ms)).transpose()
}

pub async fn requests_of(db: &Db, user_id: &str, limit: i64, now_ms: i64) -> Result<Vec<MoneyRequest>, sqlx::Error> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM money_requests WHERE requester_user_id = $1
         ORDER BY created_at_ms DESC, id LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(|r| money_request(r, now_ms)).collect()
}

/// The requester cancels an open request; false if it is not open (or not theirs).
pub async fn cancel_request(tx: &mut Tx, id: &str, user_id: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE money_requests SET status = 'canceled', decided_at_ms = $1
         WHERE id = $2 AND requester_user_id = $3 AND status = 'open'",
    )
    .bind(now_ms)
    .bind(id)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
