//! Embedded, ordered, per-backend migrations. A small runner instead of `sqlx::migrate!` so that the
//! same binary carries both SQL dialects and concurrent starters on PostgreSQL cannot race.

use sqlx::Executor;

use super::{Backend, Db, StorageError, now_ms};

struct Migration {
    version: i64,
    name: &'static str,
    /// Written for PostgreSQL; `for_backend` adapts the one difference SQLite needs.
    sql: &'static str,
}

/// One SQL file per version serves both engines: the schema uses only what both support, and
/// the single difference (auto-increment keys) is rewritten for SQLite.
const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("../../../../migrations/0001_foundation.sql") },
    Migration { version: 2, name: "identity", sql: include_str!("../../../../migrations/0002_identity.sql") },
    Migration {
        version: 3,
        name: "identity_hardening",
        sql: include_str!("../../../../migrations/0003_identity_hardening.sql"),
    },
    Migration {
        version: 4,
        name: "notify_retention",
        sql: include_str!("../../../../migrations/0004_notify_retention.sql"),
    },
    Migration { version: 5, name: "health", sql: include_str!("../../../../migrations/0005_health.sql") },
    Migration { version: 6, name: "merchants", sql: include_str!("../../../../migrations/0006_merchants.sql") },
    Migration { version: 7, name: "payments", sql: include_str!("../../../../migrations/0007_payments.sql") },
    Migration {
        version: 8,
        name: "merchant_codes",
        sql: include_str!("../../../../migrations/0008_merchant_codes.sql"),
    },
    Migration {
        version: 9,
        name: "merchant_events",
        sql: include_str!("../../../../migrations/0009_merchant_events.sql"),
    },
    Migration { version: 10, name: "funding", sql: include_str!("../../../../migrations/0010_funding.sql") },
    Migration { version: 11, name: "settlement", sql: include_str!("../../../../migrations/0011_settlement.sql") },
    Migration {
        version: 12,
        name: "payment_confirmations",
        sql: include_str!("../../../../migrations/0012_payment_confirmations.sql"),
    },
    Migration {
        version: 13,
        name: "one_bank_account_one_wallet",
        sql: include_str!("../../../../migrations/0013_one_bank_account_one_wallet.sql"),
    },
    Migration { version: 14, name: "cards", sql: include_str!("../../../../migrations/0014_cards.sql") },
    Migration {
        version: 15,
        name: "identity_verification",
        sql: include_str!("../../../../migrations/0015_identity_verification.sql"),
    },
    // vcard (issue 8 item 8): the numberless virtual card.
    Migration {
        version: 16,
        name: "virtual_cards",
        sql: include_str!("../../../../migrations/0016_virtual_cards.sql"),
    },
    Migration {
        version: 17,
        name: "transfers_withdrawals",
        sql: include_str!("../../../../migrations/0017_transfers_withdrawals.sql"),
    },
    Migration {
        version: 18,
        name: "transfer_totals_limit",
        sql: include_str!("../../../../migrations/0018_transfer_totals_limit.sql"),
    },
];

fn for_backend(sql: &str, backend: Backend) -> std::borrow::Cow<'_, str> {
    match backend {
        Backend::Postgres => sql.into(),
        Backend::Sqlite => sql.replace("BIGSERIAL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT").into(),
    }
}

/// Arbitrary constant: the PostgreSQL advisory lock that lets one process migrate at a time.
const PG_MIGRATION_LOCK: i64 = 0x616e_7368_696e;

pub async fn migrate(db: &Db) -> Result<(), StorageError> {
    let mut conn = db.write_pool().acquire().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)").bind(PG_MIGRATION_LOCK).execute(&mut *conn).await?;
    }
    let result = run_pending(db.backend(), &mut conn).await;
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(PG_MIGRATION_LOCK).execute(&mut *conn).await?;
    }
    result
}

async fn run_pending(backend: Backend, conn: &mut sqlx::AnyConnection) -> Result<(), StorageError> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)",
    )
    .await?;
    let known = known_version();
    // One version per transaction, and the version is read inside it: on SQLite `BEGIN
    // IMMEDIATE` holds the write lock from the start, so processes starting together on one
    // file apply each migration once (PostgreSQL has the advisory lock around all of this).
    loop {
        let begin = match backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        let mut tx = sqlx::Connection::begin_with(&mut *conn, begin).await?;
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(&mut *tx).await?;
        if let Some(&found) = applied.iter().max().filter(|&&v| v > known) {
            return Err(StorageError::SchemaTooNew { found, known });
        }
        // Every version not yet applied, in order (not only those above the highest applied), so
        // versions written on separate branches all reach every database.
        let Some(m) = MIGRATIONS.iter().find(|m| !applied.contains(&m.version)) else {
            tx.commit().await?;
            return Ok(());
        };
        let wrap = |source| StorageError::Migration { version: m.version, source };
        let sql = for_backend(m.sql, backend);
        tx.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.into_owned()))).await.map_err(wrap)?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(wrap)?;
        tx.commit().await.map_err(wrap)?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
    }
}

/// Latest schema version this binary knows, for `/readyz`.
pub fn known_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Whether `applied` (the versions recorded in `schema_migrations`) is exactly what this binary
/// knows: none missing, none newer.
pub fn is_current(applied: &[i64]) -> bool {
    MIGRATIONS.iter().all(|m| applied.contains(&m.version)) && applied.iter().all(|v| *v <= known_version())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_means_every_known_version_applied_and_none_newer() {
        let all: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert!(is_current(&all));
        assert!(!is_current(&all[1..]), "a version missing below the newest is not current");
        let mut newer = all.clone();
        newer.push(known_version() + 1);
        assert!(!is_current(&newer));
    }
}
