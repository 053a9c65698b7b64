//! Loading a batch's snapshot and writing its effects, inside one transaction.

use sqlx::AssertSqlSafe;
use sqlx::{Any, Row, Transaction};

use super::engine::*;
use super::model::*;
use crate::storage::{Backend, Db, bulk_sql, placeholders, row_placeholders, rows_per_chunk};

type Tx = Transaction<'static, Any>;

/// Load everything `reads` names. Accounts are locked in id order on PostgreSQL, so two
/// processes touching the same accounts can never deadlock.
pub async fn load(db: &Db, tx: &mut Tx, reads: &Reads) -> Result<Snapshot, sqlx::Error> {
    let backend = db.backend();
    let mut snap = Snapshot::default();
    for chunk in reads.keys.chunks(rows_per_chunk(1)) {
        let sql = format!(
            "SELECT key, request_hash, result_kind, result_id FROM ledger_idempotency WHERE key IN ({})",
            placeholders(1, chunk.len())
        );
        let rows = bind_all(sqlx::query(AssertSqlSafe(bulk_sql(backend, sql))), chunk)
            .persistent(false)
            .fetch_all(&mut **tx)
            .await?;
        for row in rows {
            let kind: String = row.try_get("result_kind")?;
            snap.idempotency.insert(
                row.try_get("key")?,
                IdempotencyRecord {
                    request_hash: row.try_get("request_hash")?,
                    outcome: Outcome::from_kind_and_id(&kind, row.try_get("result_id")?),
                },
            );
        }
    }
    let mut account_ids = reads.account_ids.clone();
    for chunk in reads.hold_ids.chunks(rows_per_chunk(1)) {
        let sql = format!(
            "SELECT id, idempotency_key, debit_account_id, credit_account_id, currency, amount_minor, captured_minor,
                    status, expires_at_ms, created_at_ms, resolved_at_ms, capture_entry_id
             FROM ledger_holds WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let rows = bind_all(sqlx::query(AssertSqlSafe(bulk_sql(backend, sql))), chunk)
            .persistent(false)
            .fetch_all(&mut **tx)
            .await?;
        for row in rows {
            let hold = HoldState {
                id: row.try_get("id")?,
                key: row.try_get("idempotency_key")?,
                debit_account_id: row.try_get("debit_account_id")?,
                credit_account_id: row.try_get("credit_account_id")?,
                currency: currency_of(&row)?,
                amount_minor: row.try_get("amount_minor")?,
                captured_minor: row.try_get("captured_minor")?,
                status: HoldStatus::parse(&row.try_get::<String, _>("status")?),
                expires_at_ms: row.try_get("expires_at_ms")?,
                created_at_ms: row.try_get("created_at_ms")?,
                resolved_at_ms: row.try_get("resolved_at_ms")?,
                capture_entry_id: row.try_get("capture_entry_id")?,
            };
            account_ids.extend([hold.debit_account_id.clone(), hold.credit_account_id.clone()]);
            snap.holds.insert(hold.id.clone(), hold);
        }
    }
    for chunk in reads.entry_ids.chunks(rows_per_chunk(1)) {
        let list = placeholders(1, chunk.len());
        let sql = format!(
            "SELECT e.id, e.reverses_entry_id,
                    (SELECT COUNT(*) FROM ledger_entries r WHERE r.reverses_entry_id = e.id) AS reversals
             FROM ledger_entries e WHERE e.id IN ({list})"
        );
        let rows = bind_all(sqlx::query(AssertSqlSafe(bulk_sql(backend, sql))), chunk)
            .persistent(false)
            .fetch_all(&mut **tx)
            .await?;
        for row in rows {
            let reverses: Option<String> = row.try_get("reverses_entry_id")?;
            let reversals: i64 = row.try_get("reversals")?;
            snap.entries.insert(
                row.try_get("id")?,
                EntryState { postings: Vec::new(), is_reversal: reverses.is_some(), reversed: reversals > 0 },
            );
        }
        let sql = format!(
            "SELECT entry_id, account_id, currency, amount_minor FROM ledger_postings WHERE entry_id IN ({list}) ORDER BY id"
        );
        let rows = bind_all(sqlx::query(AssertSqlSafe(bulk_sql(backend, sql))), chunk)
            .persistent(false)
            .fetch_all(&mut **tx)
            .await?;
        for row in rows {
            let entry_id: String = row.try_get("entry_id")?;
            let posting = Posting {
                account_id: row.try_get("account_id")?,
                currency: currency_of(&row)?,
                amount_minor: row.try_get("amount_minor")?,
            };
            account_ids.push(posting.account_id.clone());
            if let Some(e) = snap.entries.get_mut(&entry_id) {
                e.postings.push(posting);
            }
        }
    }
    account_ids.sort();
    account_ids.dedup();
    for chunk in account_ids.chunks(rows_per_chunk(1)) {
        let sql = format!(
            "SELECT id, currency, flags, balance_minor, pending_debit_minor, pending_credit_minor
             FROM ledger_accounts WHERE id IN ({}) ORDER BY id{}",
            placeholders(1, chunk.len()),
            db.for_update()
        );
        let rows = bind_all(sqlx::query(AssertSqlSafe(bulk_sql(backend, sql))), chunk)
            .persistent(false)
            .fetch_all(&mut **tx)
            .await?;
        for row in rows {
            let a = AccountState {
                id: row.try_get("id")?,
                currency: currency_of(&row)?,
                flags: AccountFlags(row.try_get("flags")?),
                balance_minor: row.try_get("balance_minor")?,
                pending_debit_minor: row.try_get("pending_debit_minor")?,
                pending_credit_minor: row.try_get("pending_credit_minor")?,
            };
            snap.accounts.insert(a.id.clone(), a);
        }
    }
    Ok(snap)
}

fn currency_of(row: &sqlx::any::AnyRow) -> Result<Currency, sqlx::Error> {
    let code: String = row.try_get("currency")?;
    Currency::parse(&code).map_err(|e| sqlx::Error::Decode(e.to_string().into()))
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    values: &'q [String],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for v in values {
        q = q.bind(v.as_str());
    }
    q
}

/// Persist `fx`: appended entries, postings, holds and idempotency records, then the new
/// state of every changed account and hold (from `snap`).
pub async fn write(db: &Db, tx: &mut Tx, snap: &Snapshot, fx: &Effects, now_ms: i64) -> Result<(), sqlx::Error> {
    insert_entries(db.backend(), tx, &fx.entries, now_ms).await?;
    insert_postings(db.backend(), tx, &fx.postings, now_ms).await?;
    insert_holds(db.backend(), tx, snap, &fx.new_hold_ids).await?;
    update_holds(tx, snap, &fx.changed_hold_ids, &fx.new_hold_ids).await?;
    insert_idempotency(db.backend(), tx, &fx.idempotency, now_ms).await?;
    update_accounts(db.backend(), tx, snap, &fx.changed_account_ids).await?;
    Ok(())
}

async fn insert_entries(backend: Backend, tx: &mut Tx, entries: &[NewEntry], now_ms: i64) -> Result<(), sqlx::Error> {
    const WIDTH: usize = 7;
    for chunk in entries.chunks(rows_per_chunk(WIDTH)) {
        let sql = format!(
            "INSERT INTO ledger_entries (id, kind, description, idempotency_key, reverses_entry_id, hold_id, created_at_ms) VALUES {}",
            row_placeholders(chunk.len(), WIDTH)
        );
        let mut q = sqlx::query(AssertSqlSafe(bulk_sql(backend, sql)));
        for e in chunk {
            q = q
                .bind(&e.id)
                .bind(&e.kind)
                .bind(&e.description)
                .bind(&e.key)
                .bind(&e.reverses_entry_id)
                .bind(&e.hold_id)
                .bind(now_ms);
        }
        q.persistent(false).execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_postings(
    backend: Backend,
    tx: &mut Tx,
    postings: &[NewPosting],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    const WIDTH: usize = 6;
    for chunk in postings.chunks(rows_per_chunk(WIDTH)) {
        let sql = format!(
            "INSERT INTO ledger_postings (entry_id, account_id, currency, amount_minor, balance_after_minor, created_at_ms) VALUES {}",
            row_placeholders(chunk.len(), WIDTH)
        );
        let mut q = sqlx::query(AssertSqlSafe(bulk_sql(backend, sql)));
        for p in chunk {
            q = q
                .bind(&p.entry_id)
                .bind(&p.account_id)
                .bind(p.currency.as_str())
                .bind(p.amount_minor)
                .bind(p.balance_after_minor)
                .bind(now_ms);
        }
        q.persistent(false).execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_holds(backend: Backend, tx: &mut Tx, snap: &Snapshot, ids: &[String]) -> Result<(), sqlx::Error> {
    const WIDTH: usize = 12;
    let holds: Vec<&HoldState> = ids.iter().map(|id| &snap.holds[id]).collect();
    for chunk in holds.chunks(rows_per_chunk(WIDTH)) {
        let sql = format!(
            "INSERT INTO ledger_holds (id, idempotency_key, debit_account_id, credit_account_id, currency, amount_minor,
                captured_minor, status, expires_at_ms, created_at_ms, resolved_at_ms, capture_entry_id) VALUES {}",
            row_placeholders(chunk.len(), WIDTH)
        );
        let mut q = sqlx::query(AssertSqlSafe(bulk_sql(backend, sql)));
        for h in chunk {
            q = q
                .bind(&h.id)
                .bind(&h.key)
                .bind(&h.debit_account_id)
                .bind(&h.credit_account_id)
                .bind(h.currency.as_str())
                .bind(h.amount_minor)
                .bind(h.captured_minor)
                .bind(h.status.as_str())
                .bind(h.expires_at_ms)
                .bind(h.created_at_ms)
                .bind(h.resolved_at_ms)
                .bind(&h.capture_entry_id);
        }
        q.persistent(false).execute(&mut **tx).await?;
    }
    Ok(())
}

async fn update_holds(
    tx: &mut Tx,
    snap: &Snapshot,
    changed: &[String],
    inserted: &[String],
) -> Result<(), sqlx::Error> {
    for id in changed.iter().filter(|id| !inserted.contains(id)) {
        let h = &snap.holds[id];
        sqlx::query(
            "UPDATE ledger_holds SET status = $1, captured_minor = $2, resolved_at_ms = $3, capture_entry_id = $4 WHERE id = $5",
        )
        .bind(h.status.as_str())
        .bind(h.captured_minor)
        .bind(h.resolved_at_ms)
        .bind(&h.capture_entry_id)
        .bind(&h.id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_idempotency(
    backend: Backend,
    tx: &mut Tx,
    records: &[(String, String, Outcome)],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    const WIDTH: usize = 5;
    for chunk in records.chunks(rows_per_chunk(WIDTH)) {
        let sql = format!(
            "INSERT INTO ledger_idempotency (key, request_hash, result_kind, result_id, created_at_ms) VALUES {}",
            row_placeholders(chunk.len(), WIDTH)
        );
        let mut q = sqlx::query(AssertSqlSafe(bulk_sql(backend, sql)));
        for (key, hash, outcome) in chunk {
            let (kind, id) = outcome.kind_and_id();
            q = q.bind(key).bind(hash).bind(kind).bind(id.to_owned()).bind(now_ms);
        }
        q.persistent(false).execute(&mut **tx).await?;
    }
    Ok(())
}

/// One UPDATE for all changed accounts (`UPDATE … FROM (VALUES …)`, which both engines support
/// and both run as a lookup by primary key per value row).
async fn update_accounts(backend: Backend, tx: &mut Tx, snap: &Snapshot, ids: &[String]) -> Result<(), sqlx::Error> {
    const WIDTH: usize = 4;
    for chunk in ids.chunks(rows_per_chunk(WIDTH)) {
        let mut values = String::new();
        for i in 0..chunk.len() {
            let b = i * WIDTH;
            if i > 0 {
                values.push_str(", ");
            }
            values.push_str(&format!(
                "(${}, CAST(${} AS BIGINT), CAST(${} AS BIGINT), CAST(${} AS BIGINT))",
                b + 1,
                b + 2,
                b + 3,
                b + 4
            ));
        }
        let sql = format!(
            "UPDATE ledger_accounts SET balance_minor = v.column2, pending_debit_minor = v.column3, pending_credit_minor = v.column4
             FROM (VALUES {values}) AS v WHERE ledger_accounts.id = v.column1"
        );
        let mut q = sqlx::query(AssertSqlSafe(bulk_sql(backend, sql)));
        for id in chunk {
            let a = &snap.accounts[id];
            q = q.bind(&a.id).bind(a.balance_minor).bind(a.pending_debit_minor).bind(a.pending_credit_minor);
        }
        let done = q.persistent(false).execute(&mut **tx).await?;
        assert_eq!(done.rows_affected(), chunk.len() as u64, "every changed account must be updated");
    }
    Ok(())
}

/// Ids of pending holds whose time is up, for the expiry sweep.
pub async fn expired_hold_ids(db: &Db, now_ms: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM ledger_holds WHERE status = 'pending' AND expires_at_ms <= $1 ORDER BY expires_at_ms LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db.read_pool())
    .await
}

/// Run another context's statement (`Effect`) in the batch's transaction; the rows it touched.
pub async fn run_effect(tx: &mut Tx, effect: &Effect, outcome_id: &str) -> Result<u64, sqlx::Error> {
    let mut q = sqlx::query(effect.sql);
    for value in &effect.binds {
        q = match value {
            EffectValue::Text(s) => q.bind(s.clone()),
            EffectValue::Int(n) => q.bind(*n),
            EffectValue::OutcomeId => q.bind(outcome_id.to_owned()),
        };
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
}

/// Run `effects` (all of one `BatchSql` kind, each with the id of what its command made) as
/// one statement per chunk; the rows touched. Each row's `$k` become fresh positional
/// placeholders bound in the order they appear, so a row may use a bind twice or out of order.
pub async fn run_effects_batched(
    backend: Backend,
    tx: &mut Tx,
    form: &BatchSql,
    effects: &[(usize, &Effect, &str)],
) -> Result<u64, sqlx::Error> {
    let width = form.row.matches('$').count().max(1);
    let mut touched = 0;
    for chunk in effects.chunks(rows_per_chunk(width)) {
        let mut sql = String::from(form.head);
        let mut order: Vec<(usize, usize)> = Vec::new(); // (effect in chunk, bind index)
        for (i, (_, effect, _)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            expand_row(backend, form.row, i, effect.binds.len(), &mut order, &mut sql);
        }
        sql.push_str(form.tail);
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (i, k) in order {
            let (_, effect, outcome_id) = chunk[i];
            q = match &effect.binds[k] {
                EffectValue::Text(s) => q.bind(s.clone()),
                EffectValue::Int(n) => q.bind(*n),
                EffectValue::OutcomeId => q.bind((*outcome_id).to_owned()),
            };
        }
        touched += q.persistent(false).execute(&mut **tx).await?.rows_affected();
    }
    Ok(touched)
}

/// Append `row` for the `i`-th effect of a chunk: `$0` becomes its position (a literal), every
/// other `$k` the next placeholder, remembered in `order` as bind `k - 1` of effect `i`.
fn expand_row(backend: Backend, row: &str, i: usize, binds: usize, order: &mut Vec<(usize, usize)>, sql: &mut String) {
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' || !chars.peek().is_some_and(char::is_ascii_digit) {
            sql.push(c);
            continue;
        }
        let mut k = 0usize;
        while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
            k = k * 10 + d as usize;
            chars.next();
        }
        if k == 0 {
            sql.push_str(&(i + 1).to_string());
            continue;
        }
        assert!(k <= binds, "batched effect row names bind ${k} of {binds}");
        order.push((i, k - 1));
        match backend {
            Backend::Postgres => sql.push_str(&format!("${}", order.len())),
            Backend::Sqlite => sql.push('?'),
        }
    }
}

#[cfg(test)]
mod batched_tests {
    use super::*;

    #[test]
    fn rows_are_renumbered_in_order_of_use() {
        let mut order = Vec::new();
        let mut sql = String::new();
        expand_row(Backend::Postgres, "($2, $1, $0, $2)", 0, 2, &mut order, &mut sql);
        sql.push_str(", ");
        expand_row(Backend::Postgres, "($2, $1, $0, $2)", 1, 2, &mut order, &mut sql);
        assert_eq!(sql, "($1, $2, 1, $3), ($4, $5, 2, $6)");
        assert_eq!(order, vec![(0, 1), (0, 0), (0, 1), (1, 1), (1, 0), (1, 1)]);
        let mut sqlite = String::new();
        expand_row(Backend::Sqlite, "($2, $1)", 0, 2, &mut Vec::new(), &mut sqlite);
        assert_eq!(sqlite, "(?, ?)");
    }
}
