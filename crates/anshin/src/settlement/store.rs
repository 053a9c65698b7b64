//! Every SQL statement of settlement and payouts. Statements written in the ledger's transaction
//! are `Effect`s built here too.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::ledger::{Effect, EffectValue};
use crate::storage::Db;

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Payments whose money reached the merchant: a refunded one still counts in gross (its refunds
/// count against it), a held or unconfirmed one waits until it succeeds.
macro_rules! settleable {
    () => {
        "('succeeded', 'partially_refunded', 'refunded')"
    };
}
const SETTLEABLE: &str = settleable!();

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Settlement {
    /// `stl_…`
    pub id: String,
    pub merchant_id: String,
    /// `YYYY-MM-DD`, Japan time.
    pub business_day: String,
    /// Payments and refunds stamped before this (UTC ms) and not yet settled are in it.
    pub cutoff_ms: i64,
    /// `settled`, or `carried_over` (net ≤ 0: nothing moved; its items roll into the next day).
    pub status: String,
    pub payments_count: i64,
    pub refunds_count: i64,
    pub gross_minor: i64,
    pub refunds_minor: i64,
    /// The sum of the payments' fees (each rounded down).
    pub fee_minor: i64,
    /// 10% of `fee_minor`, rounded down once.
    pub fee_tax_minor: i64,
    /// gross − refunds − fee − tax: what is paid out.
    pub net_minor: i64,
    pub created_at_ms: i64,
}

const SETTLEMENT_COLUMNS: &str = "SELECT id, merchant_id, business_day, cutoff_ms, status, payments_count, refunds_count, \
     gross_minor, refunds_minor, fee_minor, fee_tax_minor, net_minor, created_at_ms FROM settlements";

fn settlement(r: &AnyRow) -> Result<Settlement, sqlx::Error> {
    Ok(Settlement {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        business_day: r.try_get("business_day")?,
        cutoff_ms: r.try_get("cutoff_ms")?,
        status: r.try_get("status")?,
        payments_count: r.try_get("payments_count")?,
        refunds_count: r.try_get("refunds_count")?,
        gross_minor: r.try_get("gross_minor")?,
        refunds_minor: r.try_get("refunds_minor")?,
        fee_minor: r.try_get("fee_minor")?,
        fee_tax_minor: r.try_get("fee_tax_minor")?,
        net_minor: r.try_get("net_minor")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

/// What a merchant has not had settled, up to a cut-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unsettled {
    pub payments_count: i64,
    pub gross_minor: i64,
    pub fee_minor: i64,
    pub refunds_count: i64,
    pub refunds_minor: i64,
}

pub async fn merchants_with_unsettled(db: &Db, end_ms: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let sql = format!(
        "SELECT merchant_id FROM payments WHERE settlement_id IS NULL AND created_at_ms < $1 AND status IN {SETTLEABLE}
         UNION
         SELECT p.merchant_id FROM refunds r JOIN payments p ON p.id = r.payment_id
          WHERE r.settlement_id IS NULL AND r.created_at_ms < $1
         ORDER BY merchant_id LIMIT $2"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(end_ms).bind(limit).fetch_all(db.read_pool()).await
}

pub async fn unsettled(db: &Db, merchant_id: &str, end_ms: i64) -> Result<Unsettled, sqlx::Error> {
    let sql = format!(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS gross,
                CAST(COALESCE(SUM(fee_minor), 0) AS BIGINT) AS fee
         FROM payments WHERE merchant_id = $1 AND settlement_id IS NULL AND created_at_ms < $2 AND status IN {SETTLEABLE}"
    );
    // The primary: what is summed must be what the journal's condition will count.
    let p = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(end_ms).fetch_one(db.write_pool()).await?;
    let r = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(r.amount_minor), 0) AS BIGINT) AS total
         FROM refunds r JOIN payments p ON p.id = r.payment_id
         WHERE p.merchant_id = $1 AND r.settlement_id IS NULL AND r.created_at_ms < $2",
    )
    .bind(merchant_id)
    .bind(end_ms)
    .fetch_one(db.write_pool())
    .await?;
    Ok(Unsettled {
        payments_count: p.try_get("n")?,
        gross_minor: p.try_get("gross")?,
        fee_minor: p.try_get("fee")?,
        refunds_count: r.try_get("n")?,
        refunds_minor: r.try_get("total")?,
    })
}

pub async fn settlement_of_day(db: &Db, merchant_id: &str, day: &str) -> Result<Option<Settlement>, sqlx::Error> {
    let sql = format!("{SETTLEMENT_COLUMNS} WHERE merchant_id = $1 AND business_day = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(day).fetch_optional(db.write_pool()).await?;
    row.as_ref().map(settlement).transpose()
}

pub async fn settlement_by_id(db: &Db, id: &str) -> Result<Option<Settlement>, sqlx::Error> {
    let sql = format!("{SETTLEMENT_COLUMNS} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.read_pool()).await?;
    row.as_ref().map(settlement).transpose()
}

/// A merchant's settlements, newest day first; `before` is a business day to page back from.
pub async fn settlements_of(
    db: &Db,
    merchant_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Settlement>, sqlx::Error> {
    let sql = format!(
        "{SETTLEMENT_COLUMNS} WHERE merchant_id = $1 AND business_day < $2 ORDER BY business_day DESC LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(merchant_id)
        .bind(before.unwrap_or("9999-99-99"))
        .bind(limit)
        .fetch_all(db.read_pool())
        .await?;
    rows.iter().map(settlement).collect()
}

/// Every merchant's settlements of one day (operators).
pub async fn settlements_of_day(db: &Db, day: &str, limit: i64) -> Result<Vec<Settlement>, sqlx::Error> {
    let sql = format!("{SETTLEMENT_COLUMNS} WHERE business_day = $1 ORDER BY merchant_id LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(day).bind(limit).fetch_all(db.read_pool()).await?;
    rows.iter().map(settlement).collect()
}

/// A day that moved nothing (net ≤ 0), written outside the ledger; the second writer of the
/// same day does nothing.
pub async fn insert_carried_over(tx: &mut Tx, s: &Settlement) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO settlements (id, merchant_id, business_day, cutoff_ms, status, payments_count, refunds_count,
             gross_minor, refunds_minor, fee_minor, fee_tax_minor, net_minor, created_at_ms)
         VALUES ($1, $2, $3, $4, 'carried_over', $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (merchant_id, business_day) DO NOTHING",
    )
    .bind(&s.id)
    .bind(&s.merchant_id)
    .bind(&s.business_day)
    .bind(s.cutoff_ms)
    .bind(s.payments_count)
    .bind(s.refunds_count)
    .bind(s.gross_minor)
    .bind(s.refunds_minor)
    .bind(s.fee_minor)
    .bind(s.fee_tax_minor)
    .bind(s.net_minor)
    .bind(s.created_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The settlement row, written with its journal; a day already settled refuses the command
/// (never a constraint error, which would fail the journal's whole batch).
pub fn insert_settled(s: &Settlement) -> Effect {
    use EffectValue::{Int, OutcomeId, Text};
    Effect {
        sql: "INSERT INTO settlements (id, merchant_id, business_day, cutoff_ms, status, payments_count, refunds_count,
                  gross_minor, refunds_minor, fee_minor, fee_tax_minor, net_minor, entry_id, created_at_ms)
              VALUES ($1, $2, $3, $4, 'settled', $5, $6, $7, $8, $9, $10, $11, $12, $13)
              ON CONFLICT (merchant_id, business_day) DO NOTHING",
        binds: vec![
            Text(s.id.clone()),
            Text(s.merchant_id.clone()),
            Text(s.business_day.clone()),
            Int(s.cutoff_ms),
            Int(s.payments_count),
            Int(s.refunds_count),
            Int(s.gross_minor),
            Int(s.refunds_minor),
            Int(s.fee_minor),
            Int(s.fee_tax_minor),
            Int(s.net_minor),
            OutcomeId,
            Int(s.created_at_ms),
        ],
        expect_rows: Some(1),
        refusal: "day_settled",
        batch: None,
    }
}

/// Take the merchant's unsettled payments up to the cut-off into the settlement: exactly as many
/// as were summed, or the journal is refused and planned again.
pub fn take_payments(settlement_id: &str, merchant_id: &str, end_ms: i64, count: i64) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        // The same states `unsettled` counts: `expect_rows` is that count.
        sql: concat!(
            "UPDATE payments SET settlement_id = $1
              WHERE merchant_id = $2 AND settlement_id IS NULL AND created_at_ms < $3 AND status IN ",
            settleable!()
        ),
        binds: vec![Text(settlement_id.to_owned()), Text(merchant_id.to_owned()), Int(end_ms)],
        expect_rows: Some(u64::try_from(count).unwrap_or(u64::MAX)),
        refusal: "settlement_raced",
        batch: None,
    }
}

pub fn take_refunds(settlement_id: &str, merchant_id: &str, end_ms: i64, count: i64) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "UPDATE refunds SET settlement_id = $1
              WHERE settlement_id IS NULL AND created_at_ms < $3
                AND payment_id IN (SELECT id FROM payments WHERE merchant_id = $2)",
        binds: vec![Text(settlement_id.to_owned()), Text(merchant_id.to_owned()), Int(end_ms)],
        expect_rows: Some(u64::try_from(count).unwrap_or(u64::MAX)),
        refusal: "settlement_raced",
        batch: None,
    }
}

/// The last condition: the rows now marked with the settlement add up to its figures, so the
/// journal moves exactly what its payments and refunds say.
pub fn check_sums(settlement_id: &str, merchant_id: &str) -> Effect {
    use EffectValue::Text;
    Effect {
        sql: "UPDATE settlements SET status = status WHERE id = $1
                AND gross_minor = (SELECT COALESCE(SUM(amount_minor), 0) FROM payments WHERE merchant_id = $2 AND settlement_id = $1)
                AND fee_minor = (SELECT COALESCE(SUM(fee_minor), 0) FROM payments WHERE merchant_id = $2 AND settlement_id = $1)
                AND refunds_minor = (SELECT COALESCE(SUM(amount_minor), 0) FROM refunds WHERE settlement_id = $1)",
        binds: vec![Text(settlement_id.to_owned()), Text(merchant_id.to_owned())],
        expect_rows: Some(1),
        refusal: "settlement_raced",
        batch: None,
    }
}

pub async fn payable_account(db: &Db, merchant_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT payable_account_id FROM settlement_accounts WHERE merchant_id = $1")
        .bind(merchant_id)
        .fetch_optional(db.write_pool())
        .await
}

/// The first writer's account wins; a second, opened by a racing server, stays empty.
pub async fn insert_payable_account(
    db: &Db,
    merchant_id: &str,
    account_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO settlement_accounts (merchant_id, payable_account_id, created_at_ms) VALUES ($1, $2, $3)
         ON CONFLICT (merchant_id) DO NOTHING",
    )
    .bind(merchant_id)
    .bind(account_id)
    .bind(now_ms)
    .execute(db.write_pool())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Payout {
    /// `po_…`
    pub id: String,
    pub settlement_id: String,
    pub merchant_id: String,
    pub amount_minor: i64,
    /// `held`, `sent`, `paid` or `returned`.
    pub status: String,
    /// Why a payout is held: `merchant_not_active`, `no_payout_account`, `holder_name_mismatch`.
    pub held_reason: String,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    /// In Zengin form, as in the transfer file.
    pub holder_name: String,
    /// The transfer file it went in (`pf_…`).
    pub file_id: String,
    /// The bank's result code: 0 paid; 1 no such account, 2 name differs, 3 closed, 9 other.
    pub result_code: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const PAYOUT_COLUMNS: &str = "SELECT id, settlement_id, merchant_id, amount_minor, status, held_reason, bank_code, \
     branch_code, account_type, account_number, holder_name, file_id, transfer_date, result_code, created_at_ms, \
     updated_at_ms FROM payouts";

fn payout(r: &AnyRow) -> Result<(Payout, String), sqlx::Error> {
    let p = Payout {
        id: r.try_get("id")?,
        settlement_id: r.try_get("settlement_id")?,
        merchant_id: r.try_get("merchant_id")?,
        amount_minor: r.try_get("amount_minor")?,
        status: r.try_get("status")?,
        held_reason: r.try_get("held_reason")?,
        bank_code: r.try_get("bank_code")?,
        branch_code: r.try_get("branch_code")?,
        account_type: r.try_get("account_type")?,
        account_number: r.try_get("account_number")?,
        holder_name: r.try_get("holder_name")?,
        file_id: r.try_get("file_id")?,
        result_code: r.try_get("result_code")?,
        created_at_ms: r.try_get("created_at_ms")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
    };
    Ok((p, r.try_get("transfer_date")?))
}

pub async fn payout_of_settlement(db: &Db, settlement_id: &str) -> Result<Option<Payout>, sqlx::Error> {
    let sql = format!("{PAYOUT_COLUMNS} WHERE settlement_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(settlement_id).fetch_optional(db.write_pool()).await?;
    Ok(row.as_ref().map(payout).transpose()?.map(|(p, _)| p))
}

/// Settled days with a positive net and no payout yet.
pub async fn settlements_without_payout(db: &Db, limit: i64) -> Result<Vec<Settlement>, sqlx::Error> {
    let sql = format!(
        "{SETTLEMENT_COLUMNS} WHERE status = 'settled' AND net_minor > 0
           AND NOT EXISTS (SELECT 1 FROM payouts po WHERE po.settlement_id = settlements.id)
         ORDER BY business_day, merchant_id LIMIT $1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(db.write_pool()).await?;
    rows.iter().map(settlement).collect()
}

/// A new payout, held; a second writer of the same settlement does nothing.
pub async fn insert_payout(tx: &mut Tx, id: &str, s: &Settlement, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO payouts (id, settlement_id, merchant_id, amount_minor, status, held_reason, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, 'held', 'new', $5, $5) ON CONFLICT (settlement_id) DO NOTHING",
    )
    .bind(id)
    .bind(&s.id)
    .bind(&s.merchant_id)
    .bind(s.net_minor)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn held_payouts(db: &Db, limit: i64) -> Result<Vec<Payout>, sqlx::Error> {
    let sql = format!("{PAYOUT_COLUMNS} WHERE status = 'held' ORDER BY created_at_ms, id LIMIT $1");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(db.write_pool()).await?;
    rows.iter().map(|r| payout(r).map(|(p, _)| p)).collect()
}

pub async fn set_held_reason(db: &Db, id: &str, reason: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE payouts SET held_reason = $1, updated_at_ms = $2 WHERE id = $3 AND status = 'held' AND held_reason <> $1",
    )
    .bind(reason)
    .bind(now_ms)
    .bind(id)
    .execute(db.write_pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Where the payout goes and into which file, written with the journal that moves its money
/// from the payable to payout clearing: a payout joins one file once.
pub struct Claim<'a> {
    pub payout_id: &'a str,
    pub file_id: &'a str,
    pub transfer_date: &'a str,
    pub bank_code: &'a str,
    pub branch_code: &'a str,
    pub account_type: &'a str,
    pub account_number: &'a str,
    pub holder_name: &'a str,
    pub payout_account_id: &'a str,
    pub now_ms: i64,
}

pub fn claim_payout(c: &Claim<'_>) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "UPDATE payouts SET status = 'sent', held_reason = '', file_id = $1, transfer_date = $2, bank_code = $3,
                  branch_code = $4, account_type = $5, account_number = $6, holder_name = $7, payout_account_id = $8,
                  updated_at_ms = $9
              WHERE id = $10 AND status = 'held'",
        binds: vec![
            Text(c.file_id.to_owned()),
            Text(c.transfer_date.to_owned()),
            Text(c.bank_code.to_owned()),
            Text(c.branch_code.to_owned()),
            Text(c.account_type.to_owned()),
            Text(c.account_number.to_owned()),
            Text(c.holder_name.to_owned()),
            Text(c.payout_account_id.to_owned()),
            Int(c.now_ms),
            Text(c.payout_id.to_owned()),
        ],
        expect_rows: Some(1),
        refusal: "payout_claimed",
        batch: None,
    }
}

/// The payouts of one file, in the order of its records, with the file's transfer date.
pub async fn payouts_in_file(db: &Db, file_id: &str) -> Result<Vec<(Payout, String)>, sqlx::Error> {
    let sql = format!("{PAYOUT_COLUMNS} WHERE file_id = $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(file_id).fetch_all(db.write_pool()).await?;
    rows.iter().map(payout).collect()
}

/// Files whose payouts are sent but which the bank has not accepted or decided yet: ones this
/// run made, and ones a run that stopped half-way left behind.
/// Another run's file is taken over only once nothing has joined it for a while, so a file is
/// never built while a run is still adding payouts to it.
pub async fn open_file_ids(db: &Db, own_file_id: &str, stale_before_ms: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT po.file_id FROM payouts po
         WHERE po.status = 'sent' AND po.file_id <> ''
           AND (po.file_id = $1 OR NOT EXISTS
                (SELECT 1 FROM payouts q WHERE q.file_id = po.file_id AND q.updated_at_ms >= $2))
         ORDER BY po.file_id",
    )
    .bind(own_file_id)
    .bind(stale_before_ms)
    .fetch_all(db.write_pool())
    .await
}

#[derive(Debug, Clone)]
pub struct PayoutFile {
    pub id: String,
    pub bank_file_id: String,
    pub contents_hex: String,
    pub records: i64,
    pub total_minor: i64,
    pub status: String,
}

pub async fn payout_file(db: &Db, id: &str) -> Result<Option<PayoutFile>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, bank_file_id, contents_hex, records, total_minor, status FROM payout_files WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.write_pool())
    .await?;
    row.map(|r| {
        Ok(PayoutFile {
            id: r.try_get("id")?,
            bank_file_id: r.try_get("bank_file_id")?,
            contents_hex: r.try_get("contents_hex")?,
            records: r.try_get("records")?,
            total_minor: r.try_get("total_minor")?,
            status: r.try_get("status")?,
        })
    })
    .transpose()
}

/// The file as built; its bytes follow from its payouts, so a second builder writes the same.
pub async fn insert_payout_file(tx: &mut Tx, f: &PayoutFile, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payout_files (id, bank_file_id, contents_hex, records, total_minor, status, created_at_ms, updated_at_ms)
         VALUES ($1, '', $2, $3, $4, 'built', $5, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&f.id)
    .bind(&f.contents_hex)
    .bind(f.records)
    .bind(f.total_minor)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn mark_file(
    tx: &mut Tx,
    id: &str,
    status: &str,
    bank_file_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE payout_files SET status = $1, bank_file_id = $2, updated_at_ms = $3 WHERE id = $4")
        .bind(status)
        .bind(bank_file_id)
        .bind(now_ms)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A sent payout decided by the bank, written with the journal that moves its money out of
/// payout clearing: decided once.
pub fn decide_payout(payout_id: &str, status: &'static str, result_code: i64, now_ms: i64) -> Effect {
    use EffectValue::{Int, Text};
    Effect {
        sql: "UPDATE payouts SET status = $1, result_code = $2, updated_at_ms = $3 WHERE id = $4 AND status = 'sent'",
        binds: vec![Text(status.to_owned()), Int(result_code), Int(now_ms), Text(payout_id.to_owned())],
        expect_rows: Some(1),
        refusal: "payout_decided",
        batch: None,
    }
}
