//! One storage layer for every context: the same SQL runs on SQLite (embedded default) and
//! PostgreSQL through sqlx's `Any` driver. Queries use `$N` placeholders (both engines accept
//! them), integer times in UTC milliseconds and integer money in minor units, and avoid
//! engine-specific types so that one code path serves both.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub mod files;
mod health;
pub mod ids;
mod migrate;

pub use health::{NotReady, is_unavailable};
pub use migrate::{known_version as known_schema_version, migrate};

/// Which engine is behind the pool; a few statements differ (row locks, `BEGIN IMMEDIATE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("unsupported database URL (expected sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    #[error("migration {version} failed: {source}")]
    Migration { version: i64, source: sqlx::Error },
    #[error("database schema is at version {found}, newer than this binary knows ({known})")]
    SchemaTooNew { found: i64, known: i64 },
}

/// Pools for one database. On SQLite all writes go through a single connection, so writers
/// queue in-process instead of failing with SQLITE_BUSY; readers use their own pool (WAL lets
/// them run beside the writer). On PostgreSQL the two pools are separate too, so cheap reads
/// (authenticating a request) never wait behind a burst of writes for a connection.
#[derive(Clone, Debug)]
pub struct Db {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
    url_redacted: std::sync::Arc<str>,
    /// The server's keys, for the few columns stored sealed (outbox and dev-mailbox bodies):
    /// whoever holds the database handle can write such a row, so the handle carries the key.
    keys: Option<std::sync::Arc<crate::keys::Keys>>,
}

/// Per process; several processes may share one server (PostgreSQL's default limit is 100).
const PG_WRITE_CONNECTIONS: u32 = 10;
const PG_READ_CONNECTIONS: u32 = 8;
const SQLITE_READ_CONNECTIONS: u32 = 8;

impl Db {
    /// Connect to `url` (`sqlite://path` or `postgres://…`), without migrating.
    pub async fn connect(url: &str) -> Result<Db, StorageError> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let url_redacted: std::sync::Arc<str> = redact_url(url).into();
        match backend {
            Backend::Sqlite => {
                let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                if let Some(parent) = Path::new(path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent).map_err(|e| StorageError::Sqlx(sqlx::Error::Io(e)))?;
                }
                let conn_url = format!("sqlite://{path}?mode=rwc");
                let options = AnyConnectOptions::from_str(&conn_url)?;
                let write = sqlite_pool(1, SQLITE_WRITER_AUTOCHECKPOINT_PAGES).connect_with(options.clone()).await?;
                let read = sqlite_pool(SQLITE_READ_CONNECTIONS, 0).connect_with(options).await?;
                spawn_checkpointer(read.clone());
                Ok(Db { backend, read, write, url_redacted, keys: None })
            }
            Backend::Postgres => {
                let options = AnyConnectOptions::from_str(url)?;
                let write = pg_pool(PG_WRITE_CONNECTIONS).connect_with(options.clone()).await?;
                let read = pg_pool(PG_READ_CONNECTIONS).connect_with(options).await?;
                Ok(Db { backend, read, write, url_redacted, keys: None })
            }
        }
    }

    /// Connect and bring the schema up to date.
    pub async fn open(url: &str) -> Result<Db, StorageError> {
        let db = Db::connect(url).await?;
        migrate(&db).await?;
        Ok(db)
    }

    /// Attach the server's keys (see `keys`).
    pub fn with_keys(mut self, keys: crate::keys::Keys) -> Db {
        self.keys = Some(std::sync::Arc::new(keys));
        self
    }

    /// The server's keys; `None` only for tools that never touch sealed columns.
    pub fn keys(&self) -> Option<&crate::keys::Keys> {
        self.keys.as_deref()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }
    pub fn read_pool(&self) -> &AnyPool {
        &self.read
    }
    pub fn write_pool(&self) -> &AnyPool {
        &self.write
    }
    pub fn url_redacted(&self) -> &str {
        &self.url_redacted
    }

    /// A handle like this one whose writes go through a connection of their own, opened on the
    /// calling runtime: the ledger's writer runs on a thread of its own, and a connection
    /// registered with that thread's runtime wakes it as soon as the server answers, instead of
    /// queueing the wake-up behind the request tasks of the main runtime. SQLite has one writer
    /// connection per database (its own thread already), so it has none to give: `None`.
    pub async fn with_own_write_connection(&self) -> Result<Option<Db>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => Ok(None),
            Backend::Postgres => {
                let options = (*self.write.connect_options()).clone();
                let write = pg_pool(1).connect_with(options).await?;
                Ok(Some(Db { write, ..self.clone() }))
            }
        }
    }

    /// Start a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so a
    /// read-then-write transaction can never fail halfway on lock upgrade.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.write.begin().await,
        }
    }

    /// `FOR UPDATE` on PostgreSQL; empty on SQLite, whose write transaction already excludes others.
    pub fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

fn pg_pool(max: u32) -> AnyPoolOptions {
    clean_connections_only(AnyPoolOptions::new()).max_connections(max).acquire_timeout(Duration::from_secs(10))
}

/// A connection must come out of the pool outside any transaction. When a transaction fails,
/// sqlx queues a ROLLBACK and lowers its transaction depth only if that ROLLBACK succeeds. But
/// SQLite rolls a transaction back by itself on SQLITE_FULL, SQLITE_IOERR and the like, so the
/// queued ROLLBACK then fails ("no transaction is active"), the depth stays at one, and every
/// later `BEGIN IMMEDIATE` on that connection fails with "attempted to call begin_with at
/// non-zero transaction depth", long after the disk has room again. Such a connection is closed
/// instead of handed out and the pool opens a clean one, so writes resume as soon as the fault
/// is gone, for every caller. (By the time a connection is acquired again, the pool has already
/// flushed its queued ROLLBACK, so the depth is accurate here.)
fn clean_connections_only(options: AnyPoolOptions) -> AnyPoolOptions {
    options.before_acquire(|conn, _meta| {
        Box::pin(async move {
            if sqlx::Connection::is_in_transaction(conn) {
                tracing::warn!("discarding a database connection left inside a failed transaction");
                metrics::counter!("anshin_db_connections_discarded_total").increment(1);
                return Ok(false);
            }
            Ok(true)
        })
    })
}

/// SQLite checkpoints (moves the WAL's pages into the database file, with an fsync) inside
/// whichever commit takes the WAL past 1,000 pages by default. On the ledger writer's path that
/// made a batch of payments now and then wait for a checkpoint (perf: four tenths of its commit
/// time). So the reader pool checkpoints in the background, without blocking the writer, and
/// the writer checkpoints itself only if the WAL still grows past this many pages (about 40 MB).
const SQLITE_WRITER_AUTOCHECKPOINT_PAGES: u32 = 10_000;
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

fn spawn_checkpointer(read: AnyPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if read.is_closed() {
                return;
            }
            // PASSIVE copies what no reader still needs and never waits for a lock.
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&read).await {
                tracing::debug!(error = %e, "background checkpoint did not run");
            }
        }
    });
}

/// `autocheckpoint_pages`: 0 for readers (they never commit pages).
fn sqlite_pool(max: u32, autocheckpoint_pages: u32) -> AnyPoolOptions {
    let options = clean_connections_only(AnyPoolOptions::new());
    options.max_connections(max).acquire_timeout(Duration::from_secs(30)).after_connect(move |conn, _meta| {
        Box::pin(async move {
            // WAL lets readers run beside the writer; synchronous=FULL makes every commit
            // durable (money must survive a power cut); foreign keys are off by default in SQLite;
            // another process (an `anshin admin` command) may hold the write lock briefly.
            let pragmas = format!(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;
                 PRAGMA wal_autocheckpoint={autocheckpoint_pages};"
            );
            conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas))).await?;
            Ok(())
        })
    })
}

pub fn backend_of(url: &str) -> Result<Backend, StorageError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StorageError::UnsupportedUrl(redact_url(url)))
    }
}

/// Strip a password from a URL before it reaches a log line.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    // The host follows the last '@'; a password may itself contain '@'.
    let mut out = match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{userinfo}@{host}"),
        },
        None => format!("{scheme}://{rest}"),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// Current time in UTC milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// `$start, $start+1, …` placeholders for `count` values, for `IN (…)` lists.
pub fn placeholders(start: usize, count: usize) -> String {
    let mut out = String::with_capacity(count * 4);
    for i in 0..count {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('$');
        out.push_str(&(start + i).to_string());
    }
    out
}

/// `($1, $2, $3), ($4, $5, $6), …`: `rows` tuples of `width` placeholders for multi-row INSERTs.
pub fn row_placeholders(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        out.push_str(&placeholders(1 + r * width, width));
        out.push(')');
    }
    out
}

/// Bulk statements are written with `$1, $2, …` in order. SQLite looks up each *named* parameter
/// (`$N` counts as a name) with a linear scan, which makes a statement with a thousand parameters
/// quadratic; plain `?` parameters are bound by position for free. So for SQLite, rewrite them.
/// Only for statements whose placeholders appear once each, in order.
pub fn bulk_sql(backend: Backend, sql: String) -> String {
    if backend == Backend::Postgres {
        return sql;
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut expected = 1u64;
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = 0u64;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n * 10 + u64::from(d);
                chars.next();
            }
            assert_eq!(n, expected, "bulk_sql needs placeholders in order, each once");
            expected += 1;
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// Rows per multi-row statement: keeps the number of bind parameters well under SQLite's
/// 32,766 and PostgreSQL's 65,535.
pub const MAX_PARAMS_PER_STATEMENT: usize = 30_000;

pub fn rows_per_chunk(width: usize) -> usize {
    (MAX_PARAMS_PER_STATEMENT / width.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
        assert_eq!(redact_url("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://h/db?user=u&password=secret"), "postgres://h/db?user=u&password=***");
    }

    #[test]
    fn bulk_sql_is_positional_on_sqlite_only() {
        let sql = format!("INSERT INTO t VALUES {}", row_placeholders(2, 2));
        assert_eq!(bulk_sql(Backend::Sqlite, sql.clone()), "INSERT INTO t VALUES (?, ?), (?, ?)");
        assert_eq!(bulk_sql(Backend::Postgres, sql.clone()), sql);
    }

    #[test]
    fn placeholder_lists() {
        assert_eq!(placeholders(3, 2), "$3, $4");
        assert_eq!(row_placeholders(2, 2), "($1, $2), ($3, $4)");
    }
}
