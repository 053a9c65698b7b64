//! Faults under a running service: a full disk (a real one on SQLite, a small tmpfs; SQLSTATE
//! 53100 raised by a trigger on PostgreSQL), a database dropped and re-created underneath it,
//! idle connections, and writes holding every write connection.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anshin::http::{self, AppState, HttpConfig};
use anshin::notify::{self, OutboxMessage, OutboxWorker, Transport, WorkerConfig};
use anshin::storage::Db;
use common::{TestDb, eventually};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A database whose writes can be made to fail as on a full disk, and made to work again.
struct Faulty {
    db: Db,
    engine: Engine,
}

enum Engine {
    /// The database lives on its own small tmpfs; the fault is a ballast file filling it.
    Sqlite { fs: Tmpfs, ballast: Option<PathBuf> },
    /// A trigger raises `disk_full` (SQLSTATE 53100) on writes while a flag row exists.
    Postgres { _t: TestDb },
}

impl Faulty {
    /// `None` only outside CI when this machine cannot mount a tmpfs (said loudly).
    async fn sqlite() -> Option<Faulty> {
        let Some(fs) = Tmpfs::mount("24m") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must be able to mount a tmpfs (it runs as root) for the full-disk tests"
            );
            eprintln!("SKIPPING full-disk test: cannot mount a tmpfs here (needs root); CI runs it");
            return None;
        };
        let url = format!("sqlite://{}", fs.path().join("anshin.db").display());
        let db = Db::open(&url).await.expect("open sqlite on tmpfs").with_keys(anshin::keys::Keys::random());
        Some(Faulty { db, engine: Engine::Sqlite { fs, ballast: None } })
    }

    async fn postgres() -> Faulty {
        let t = TestDb::postgres().await;
        let setup = [
            "CREATE TABLE test_fault (on_since_ms BIGINT NOT NULL)",
            "CREATE FUNCTION test_fault_check() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF EXISTS (SELECT 1 FROM test_fault) THEN
                     RAISE EXCEPTION 'could not extend file: No space left on device (injected)' USING ERRCODE = 'disk_full';
                 END IF;
                 RETURN NEW;
             END $$",
        ];
        for sql in setup {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(t.db.write_pool()).await.unwrap();
        }
        for table in ["outbox", "audit_log", "health_probe", "dev_mailbox"] {
            let sql = format!(
                "CREATE TRIGGER test_fault_{table} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION test_fault_check()"
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(t.db.write_pool()).await.unwrap();
        }
        Faulty { db: t.db.clone(), engine: Engine::Postgres { _t: t } }
    }

    async fn fill_disk(&mut self) {
        match &mut self.engine {
            Engine::Sqlite { fs, ballast } => {
                // Fold the write-ahead log into the database and truncate it, so that the next
                // commit has to grow a file on the full disk (not reuse room the log already has).
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(self.db.write_pool()).await.unwrap();
                *ballast = Some(fill(fs.path()));
            }
            Engine::Postgres { .. } => {
                sqlx::query("INSERT INTO test_fault VALUES (1)").execute(self.db.write_pool()).await.unwrap();
            }
        }
    }

    async fn free_disk(&mut self) {
        match &mut self.engine {
            Engine::Sqlite { ballast, .. } => std::fs::remove_file(ballast.take().expect("disk was filled")).unwrap(),
            Engine::Postgres { .. } => {
                sqlx::query("DELETE FROM test_fault").execute(self.db.write_pool()).await.unwrap();
            }
        }
    }
}

/// `on_both_faulty!(name, |f: Faulty| async move { … })`: `name::sqlite` and `name::postgres`.
macro_rules! on_both_faulty {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                if let Some(f) = Faulty::sqlite().await {
                    ($body)(f).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if common::pg_skipped() {
                    return;
                }
                ($body)(Faulty::postgres().await).await;
            }
        }
    };
}

/// A small tmpfs, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(Tmpfs { dir })
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// Write a file until the disk is full; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("ballast");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    loop {
        if let Err(e) = f.write_all(&chunk) {
            assert_eq!(e.raw_os_error(), Some(28), "expected ENOSPC while filling the disk: {e}");
            return path;
        }
    }
}

/// An in-process server on a loopback port, with the dev routes (a write: queue a message).
async fn serve(db: &Db, config: HttpConfig) -> String {
    let state = AppState::new(db.clone(), config.clone(), None, true, false);
    let app = http::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { http::serve(listener, app, None, &config, std::future::pending()).await });
    url
}

async fn queue_message(client: &reqwest::Client, url: &str, n: usize) -> reqwest::Response {
    let body = json!({ "channel": "email", "recipient": format!("user{n}@example.jp"), "subject": "Hello", "body": "x".repeat(4_000) });
    client.post(format!("{url}/v1/dev/messages")).json(&body).send().await.unwrap()
}

fn retry_after(resp: &reqwest::Response) -> Option<u64> {
    resp.headers().get("retry-after")?.to_str().ok()?.parse().ok()
}

on_both_faulty!(writes_answer_503_on_a_full_disk_and_resume_when_space_is_back, |mut f: Faulty| async move {
    let url = serve(&f.db, HttpConfig::default()).await;
    let client = reqwest::Client::new();
    assert_eq!(queue_message(&client, &url, 0).await.status(), StatusCode::CREATED);
    assert_eq!(client.get(format!("{url}/readyz")).send().await.unwrap().status(), StatusCode::OK);

    f.fill_disk().await;
    for n in 1..4 {
        let resp = queue_message(&client, &url, n).await;
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "a write on a full disk is 503, not 500");
        assert!(retry_after(&resp).is_some_and(|s| s > 0), "503 carries Retry-After");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "service_unavailable");
    }
    // The last successful check may be reused for a second; after that the disk shows.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let ready = client.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE, "not ready while writes fail");
    assert!(retry_after(&ready).is_some());

    f.free_disk().await;
    // Writes resume by themselves, without a restart.
    let resp = queue_message(&client, &url, 10).await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "writes resume once the disk has room: {}",
        resp.text().await.unwrap()
    );
    for n in 11..14 {
        assert_eq!(queue_message(&client, &url, n).await.status(), StatusCode::CREATED);
    }
    assert_eq!(client.get(format!("{url}/readyz")).send().await.unwrap().status(), StatusCode::OK);
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(f.db.read_pool()).await.unwrap();
    assert_eq!(queued, 5, "the messages refused on the full disk were not half-written");
});

on_both_faulty!(the_outbox_worker_delivers_again_once_the_disk_has_room, |mut f: Faulty| async move {
    let enqueue = |db: Db, to: &'static str| async move {
        let mut tx = db.begin_write().await.unwrap();
        let id =
            notify::enqueue(&db, &mut tx, &[OutboxMessage::email(to, "Receipt", "¥1,234")]).await.unwrap().remove(0);
        tx.commit().await.unwrap();
        id
    };
    let first = enqueue(f.db.clone(), "first@example.jp").await;
    f.fill_disk().await;
    let config = WorkerConfig { poll_interval_ms: 50, backoff_base_ms: 20, ..WorkerConfig::default() };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker =
        tokio::spawn(OutboxWorker::new(f.db.clone(), Transport::dev_mailbox(f.db.clone()), config).run(stop_rx));
    // Let it fail a few rounds on the full disk.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let status = notify::status(&f.db, &first).await.unwrap().unwrap();
    assert_eq!(status.status, "pending", "nothing can be recorded while the disk is full");

    f.free_disk().await;
    let db = f.db.clone();
    eventually(10, "the outbox delivers the message queued before the fault", || {
        let (db, first) = (db.clone(), first.clone());
        async move { notify::status(&db, &first).await.unwrap().unwrap().status == "delivered" }
    })
    .await;
    let second = enqueue(f.db.clone(), "second@example.jp").await;
    eventually(10, "and the one queued after it", || {
        let (db, second) = (db.clone(), second.clone());
        async move { notify::status(&db, &second).await.unwrap().unwrap().status == "delivered" }
    })
    .await;
    let _ = stop_tx.send(true);
    worker.await.unwrap();
});

/// PostgreSQL: the database is dropped and re-created (empty) under a running server. Pings
/// succeed against the new database, yet nothing works: not ready, and requests answer 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dropped_and_recreated_database_is_not_ready_and_answers_503() {
    if common::pg_skipped() {
        return;
    }
    let t = TestDb::postgres().await;
    let url = serve(&t.db, HttpConfig::default()).await;
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{url}/readyz")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(client.get(format!("{url}/v1/dev/mailbox")).send().await.unwrap().status(), StatusCode::OK);

    let name = t.url.rsplit('/').next().unwrap().to_owned();
    let admin = Db::connect(&common::pg_admin_url()).await.unwrap();
    for sql in [format!("DROP DATABASE {name} WITH (FORCE)"), format!("CREATE DATABASE {name}")] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(admin.write_pool()).await.unwrap();
    }
    admin.close().await;
    t.db.ping().await.expect("the new, empty database answers pings");

    tokio::time::sleep(Duration::from_millis(1_100)).await; // past the reuse of the last good check
    let ready = client.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE, "an empty database is not ready");
    assert!(retry_after(&ready).is_some());
    for path in ["/v1/dev/mailbox", "/v1/dev/mailbox?limit=5"] {
        let resp = client.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}: a database outage is 503, not 500");
        assert!(retry_after(&resp).is_some_and(|s| s > 0), "{path}: 503 carries Retry-After");
    }
    let resp = queue_message(&client, &url, 1).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry_after(&resp).is_some());
}

/// Open `n` connections that send nothing.
async fn silent_connections(url: &str, n: usize) -> Vec<tokio::net::TcpStream> {
    let addr = url.trim_start_matches("http://").to_owned();
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        conns.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    conns
}

/// Whether the server closes `conn` within `within` (reads end of file or a reset).
async fn closed_within(mut conn: tokio::net::TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, conn.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // a response to a request it sent earlier
        }
    }
}

on_both!(idle_connections_are_closed_and_the_server_keeps_answering, |t: TestDb| async move {
    let config = HttpConfig { idle_timeout_secs: 1, ..HttpConfig::default() };
    let url = serve(&t.db, config).await;
    let silent = silent_connections(&url, 500).await;
    // One that makes a request, keeps the connection alive and then idles.
    let mut kept_alive = silent_connections(&url, 1).await.remove(0);
    kept_alive.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    // One that starts a request and never finishes its headers.
    let mut trickle = silent_connections(&url, 1).await.remove(0);
    trickle.write_all(b"GET /healthz HTTP/1.1\r\nHost: loc").await.unwrap();

    let client = reqwest::Client::new();
    let health = client.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the server answers while 500 connections idle");

    let started = std::time::Instant::now();
    let results = futures::future::join_all(
        silent.into_iter().chain([kept_alive, trickle]).map(|c| closed_within(c, Duration::from_secs(5))),
    )
    .await;
    let open = results.iter().filter(|closed| !**closed).count();
    assert_eq!(open, 0, "{open} idle connections were still open after 5 s (idle timeout 1 s)");
    assert!(started.elapsed() < Duration::from_secs(5));
    let fresh = reqwest::Client::new();
    assert_eq!(fresh.get(format!("{url}/healthz")).send().await.unwrap().status(), StatusCode::OK);
});

on_both!(connections_beyond_the_cap_are_closed_at_once, |t: TestDb| async move {
    let config = HttpConfig { max_connections: 20, idle_timeout_secs: 3, ..HttpConfig::default() };
    let url = serve(&t.db, config).await;
    let held = silent_connections(&url, 20).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // every one accepted and counted
    let extra = silent_connections(&url, 5).await;
    let started = std::time::Instant::now();
    for conn in extra {
        assert!(closed_within(conn, Duration::from_millis(1_500)).await, "a connection beyond the cap stays closed");
    }
    assert!(started.elapsed() < Duration::from_secs(2), "closed at once, not after the idle timeout");
    drop(held);
    let client = reqwest::Client::new();
    let mut answered = false;
    for _ in 0..20 {
        if client.get(format!("{url}/healthz")).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered, "slots come back when connections close");
});

on_both!(reads_get_a_connection_while_writes_hold_every_write_connection, |t: TestDb| async move {
    // Many writers, each holding a write transaction open for a while (as sign-ups in a storm
    // would, at worst): a cheap read must not wait for them.
    // (SQLite has one write connection: a few writers queue on it.)
    let writers_count = if t.db.backend() == anshin::storage::Backend::Sqlite { 3 } else { 40 };
    let mut writers = Vec::new();
    for _ in 0..writers_count {
        let db = t.db.clone();
        writers.push(tokio::spawn(async move {
            let Ok(tx) = db.begin_write().await else { return };
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            let _ = tx.commit().await;
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(t.db.read_pool()).await.unwrap();
    assert_eq!(n, 0);
    let waited = started.elapsed();
    assert!(waited < Duration::from_millis(1_000), "a read waited {waited:?} for a connection behind writers");
    for w in writers {
        w.await.unwrap();
    }
});

on_both_faulty!(the_ledger_writer_commits_again_once_the_disk_has_room, |mut f: Faulty| async move {
    use anshin::ledger::{AccountKind, Command, Currency, Ledger, NewAccount};
    let (ledger, _task) = Ledger::start(f.db.clone());
    let jpy = Currency::jpy();
    let source = ledger.system_account(AccountKind::CardFundingClearing, &jpy).await.unwrap();
    let wallet = NewAccount {
        kind: AccountKind::UserWallet,
        currency: jpy.clone(),
        flags: AccountKind::UserWallet.default_flags(),
        owner_ref: None,
    };
    let wallet = ledger.open_account(&wallet).await.unwrap();
    let top_up = |key: &str| Command::transfer(key, &source, &wallet, &jpy, 1_000, "top_up");
    ledger.submit(top_up("before")).await.unwrap();

    f.fill_disk().await;
    assert!(ledger.submit(top_up("during")).await.is_err(), "nothing commits on a full disk");
    assert!(ledger.is_running(), "a full disk does not stop the ledger writer");

    f.free_disk().await;
    ledger.submit(top_up("after")).await.expect("the writer commits again once the disk has room");
    ledger.submit(top_up("during")).await.expect("the refused command can be sent again");
    assert!(ledger.verify().await.unwrap().ok());
    let entries: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ledger_entries").fetch_one(f.db.read_pool()).await.unwrap();
    assert_eq!(entries, 3);
});
