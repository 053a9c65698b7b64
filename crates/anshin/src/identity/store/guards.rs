//! `signin_guards` (failure counters with growing delays) and `throttles` (fixed-window counters:
//! sign-ups, codes sent, failures per address). Both are shared by every process.

use sqlx::Row;

use crate::storage::Db;

/// How failures turn into delays: `free` failures cost nothing, then each one blocks for
/// `first_delay_ms`, doubling, up to `max_delay_ms`. A guard with `free = i64::MAX` only counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub free: i64,
    pub first_delay_ms: i64,
    pub max_delay_ms: i64,
}

impl Schedule {
    /// The delay after the `n`th consecutive failure.
    pub fn delay_ms(&self, n: i64) -> i64 {
        if n < self.free {
            return 0;
        }
        let doublings = u32::try_from((n - self.free).min(40)).unwrap_or(40);
        self.first_delay_ms.saturating_mul(1i64 << doublings).min(self.max_delay_ms)
    }

    /// The same as `delay_ms`, as SQL over the expression `n`: a CASE listing each step until the
    /// cap (built from this schedule's own constants, never from input).
    fn delay_sql(&self, n: &str) -> String {
        if self.free == i64::MAX {
            return "0".into();
        }
        let mut sql = format!("CASE WHEN {n} < {} THEN 0", self.free);
        let mut k = self.free;
        loop {
            let d = self.delay_ms(k);
            if d >= self.max_delay_ms || k - self.free > 40 {
                break;
            }
            sql.push_str(&format!(" WHEN {n} = {k} THEN {d}"));
            k += 1;
        }
        sql.push_str(&format!(" ELSE {} END", self.max_delay_ms));
        sql
    }
}

/// Failures are forgotten after this long without a new one.
pub const FORGET_AFTER_MS: i64 = 24 * 3_600_000;

/// A guard's state after counting an attempt.
#[derive(Debug, Clone, Copy)]
pub struct Counted {
    pub failures: i64,
    /// Later than now when this attempt started a delay.
    pub blocked_until_ms: i64,
}

/// Count an attempt under `key` as a failure, in one atomic statement, unless the guard is in a
/// delay (then nothing is counted and None is returned: the attempt must be refused unjudged).
/// Counting before judging is what keeps 64 concurrent guesses to the tries 64 sequential ones
/// would get; an attempt that turns out right is given back with `give_back`.
pub async fn count(db: &Db, key: &str, schedule: &Schedule, now: i64) -> Result<Option<Counted>, sqlx::Error> {
    let n = "(CASE WHEN signin_guards.updated_at_ms <= $3 THEN 1 ELSE signin_guards.failures + 1 END)";
    let sql = format!(
        "INSERT INTO signin_guards (key, failures, blocked_until_ms, updated_at_ms) VALUES ($1, 1, $2 + ({first}), $2)
         ON CONFLICT (key) DO UPDATE SET failures = {n}, blocked_until_ms = $2 + ({delay}), updated_at_ms = $2
         WHERE signin_guards.blocked_until_ms <= $2
         RETURNING failures, blocked_until_ms",
        first = schedule.delay_sql("1"),
        delay = schedule.delay_sql(n),
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .bind(now)
        .bind(now - FORGET_AFTER_MS)
        .fetch_optional(db.write_pool())
        .await?;
    row.map(|r| Ok(Counted { failures: r.try_get("failures")?, blocked_until_ms: r.try_get("blocked_until_ms")? }))
        .transpose()
}

/// Give back an attempt counted by `count` that turned out right: one failure fewer, and the
/// delay it started (if any) lifted.
pub async fn give_back(db: &Db, key: &str, counted: Counted) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE signin_guards SET failures = failures - 1,
            blocked_until_ms = CASE WHEN blocked_until_ms = $2 THEN 0 ELSE blocked_until_ms END
         WHERE key = $1 AND failures > 0",
    )
    .bind(key)
    .bind(counted.blocked_until_ms)
    .execute(db.write_pool())
    .await?;
    Ok(())
}

/// Until when the guard refuses attempts (0: it does not) and its failure count.
pub async fn state(db: &Db, key: &str) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query("SELECT blocked_until_ms, failures, updated_at_ms FROM signin_guards WHERE key = $1")
        .bind(key)
        .fetch_optional(db.read_pool())
        .await?;
    let Some(row) = row else { return Ok((0, 0)) };
    let forgotten = row.try_get::<i64, _>("updated_at_ms")? <= crate::storage::now_ms() - FORGET_AFTER_MS;
    Ok((row.try_get("blocked_until_ms")?, if forgotten { 0 } else { row.try_get("failures")? }))
}

/// Forget the failures under these keys (a completed sign-in, a reset).
pub async fn clear(db: &Db, keys: &[&str]) -> Result<(), sqlx::Error> {
    for key in keys.iter().filter(|k| !k.is_empty()) {
        sqlx::query("DELETE FROM signin_guards WHERE key = $1").bind(*key).execute(db.write_pool()).await?;
    }
    Ok(())
}

// ---- fixed windows --------------------------------------------------------------------------

/// Count one event under `key` and return the count in the current window.
pub async fn hit(db: &Db, key: &str, window_secs: i64, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO throttles (key, count, window_start_ms) VALUES ($1, 1, $2)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN throttles.window_start_ms <= $3 THEN 1 ELSE throttles.count + 1 END,
           window_start_ms = CASE WHEN throttles.window_start_ms <= $3 THEN $2 ELSE throttles.window_start_ms END
         RETURNING count",
    )
    .bind(key)
    .bind(now)
    .bind(now - window_secs * 1000)
    .fetch_one(db.write_pool())
    .await
}

/// The count in the current window without adding to it.
pub async fn peek(db: &Db, key: &str, window_secs: i64, now: i64) -> Result<i64, sqlx::Error> {
    let count: Option<i64> = sqlx::query_scalar("SELECT count FROM throttles WHERE key = $1 AND window_start_ms > $2")
        .bind(key)
        .bind(now - window_secs * 1000)
        .fetch_optional(db.read_pool())
        .await?;
    Ok(count.unwrap_or(0))
}

/// Take back one event counted by `hit` in the current window (an attempt counted before it was
/// judged, that turned out fine). Never below zero.
pub async fn unhit(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE throttles SET count = count - 1 WHERE key = $1 AND count > 0")
        .bind(key)
        .execute(db.write_pool())
        .await?;
    Ok(())
}

/// Remove old windows and forgotten guards.
pub async fn purge(db: &Db, cutoff_ms: i64, now: i64) -> Result<u64, sqlx::Error> {
    let windows = sqlx::query("DELETE FROM throttles WHERE window_start_ms < $1")
        .bind(cutoff_ms)
        .execute(db.write_pool())
        .await?;
    let guards = sqlx::query("DELETE FROM signin_guards WHERE updated_at_ms < $1 AND blocked_until_ms < $2")
        .bind(now - FORGET_AFTER_MS)
        .bind(now)
        .execute(db.write_pool())
        .await?;
    Ok(windows.rows_affected() + guards.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_first_until_the_cap() {
        let s = Schedule { free: 5, first_delay_ms: 30_000, max_delay_ms: 3_600_000 };
        let delays: Vec<i64> = (1..=14).map(|n| s.delay_ms(n)).collect();
        assert_eq!(
            delays,
            [
                0, 0, 0, 0, 30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000,
                3_600_000
            ]
        );
        let sql = s.delay_sql("n");
        assert!(sql.starts_with("CASE WHEN n < 5 THEN 0 WHEN n = 5 THEN 30000"), "{sql}");
        assert!(sql.ends_with("ELSE 3600000 END"), "{sql}");
    }
}
