//! Is the database able to do its work? Which errors mean "not now" rather than "a bug"?

use super::{Backend, Db, now_ms};

/// True for errors that say the database cannot be used right now (it is down, unreachable,
/// out of space, busy, or was dropped and re-created underneath us) rather than that the request
/// or the code is wrong. Callers answer these with 503 and Retry-After instead of 500.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                sqlite_unavailable(db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0))
            } else if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                pg_unavailable(pg.code())
            } else {
                false
            }
        }
        _ => false,
    }
}

/// SQLite primary result codes (the low byte of an extended code).
const SQLITE_BUSY: i32 = 5;
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;

fn sqlite_unavailable(extended_code: i32) -> bool {
    matches!(extended_code & 0xff, SQLITE_BUSY | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN)
}

/// SQLSTATE classes 08 (connection), 53 (insufficient resources: disk full, out of memory, too
/// many connections), 57P0x (shutting down, database dropped); 3D000 and 42P01 are what a
/// dropped and re-created database answers (no such database, then no such table).
fn pg_unavailable(sqlstate: &str) -> bool {
    sqlstate.starts_with("08")
        || sqlstate.starts_with("53")
        || sqlstate.starts_with("57P0")
        || sqlstate == "3D000"
        || sqlstate == "42P01"
}

/// Why the database is not ready, for `/readyz` and the log.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("the database cannot be queried: {0}")]
    Query(sqlx::Error),
    #[error(
        "the database schema (newest version {found}) is not the one this binary expects ({expected}, all applied)"
    )]
    SchemaVersion { found: i64, expected: i64 },
    #[error("a write to the database failed: {0}")]
    WriteFailed(sqlx::Error),
}

impl Db {
    /// Everything `/readyz` needs from storage: the database answers, its schema is the one this
    /// binary knows, and a real write commits (a full disk or a read-only database fails here,
    /// and writes through the very pool and path that every other write uses).
    pub async fn check_ready(&self) -> Result<i64, NotReady> {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
            .fetch_all(self.read_pool())
            .await
            .map_err(NotReady::Query)?;
        let found = applied.iter().copied().max().unwrap_or(0);
        let expected = super::known_schema_version();
        if !super::migrate::is_current(&applied) {
            return Err(NotReady::SchemaVersion { found, expected });
        }
        self.probe_write().await.map_err(NotReady::WriteFailed)?;
        Ok(found)
    }

    /// One tiny durable write to a table of its own (one row, overwritten each time).
    async fn probe_write(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO health_probe (id, written_at_ms) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET written_at_ms = excluded.written_at_ms",
        )
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    pub fn engine_name(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_codes() {
        assert!(sqlite_unavailable(13), "SQLITE_FULL");
        assert!(sqlite_unavailable(10 | (3 << 8)), "SQLITE_IOERR_WRITE");
        assert!(sqlite_unavailable(5), "SQLITE_BUSY");
        assert!(!sqlite_unavailable(2067), "SQLITE_CONSTRAINT_UNIQUE is a bug or a conflict, not an outage");
        for code in ["08006", "53100", "53300", "57P01", "57P04", "3D000", "42P01"] {
            assert!(pg_unavailable(code), "{code}");
        }
        for code in ["23505", "40001", "42601", "22P02"] {
            assert!(!pg_unavailable(code), "{code}");
        }
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
    }
}
