//! Test support: a fresh database per test on SQLite (a real file) and on PostgreSQL (a real
//! server, a new database per test), and a macro that runs one test body on both.
#![allow(dead_code)]

use anshin::storage::Db;
use anshin::storage::ids::random_hex_128;

/// The PostgreSQL server tests create their databases on. `.ci/run` makes sure it is up.
pub fn pg_admin_url() -> String {
    std::env::var("ANSHIN_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// PostgreSQL tests run unless explicitly switched off (for a laptop without PostgreSQL);
/// CI never sets this, so PostgreSQL coverage cannot vanish silently.
pub fn pg_skipped() -> bool {
    if std::env::var("ANSHIN_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPING PostgreSQL test: ANSHIN_TEST_SKIP_POSTGRES=1");
        return true;
    }
    false
}

pub struct TestDb {
    pub db: Db,
    pub url: String,
    /// The master key of `db.keys()` as 64 hex digits: give it to an `anshin serve` child as
    /// `ANSHIN_SECRET_KEY` so the test and the server seal and open message bodies alike.
    pub secret_key: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("anshin.db").display());
        let (keys, secret_key) = test_keys();
        let db = Db::open(&url).await.expect("open sqlite").with_keys(keys);
        TestDb { db, url, secret_key, _dir: Some(dir), pg_name: None }
    }

    pub async fn postgres() -> TestDb {
        let admin_url = pg_admin_url();
        let name = format!("anshin_t_{}", &random_hex_128()[..16]);
        let admin = Db::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is required for this test and is not reachable at {admin_url}: {e}")
        });
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(admin.write_pool())
            .await
            .expect("create test database");
        admin.close().await;
        let url = anshin::bench::replace_database(&admin_url, &name);
        let (keys, secret_key) = test_keys();
        let db = Db::open(&url).await.expect("open postgres").with_keys(keys);
        TestDb { db, url, secret_key, _dir: None, pg_name: Some(name) }
    }

    pub async fn new(backend: &str) -> TestDb {
        match backend {
            "postgres" => TestDb::postgres().await,
            _ => TestDb::sqlite().await,
        }
    }
}

/// Everything the database holds, as text: on SQLite the raw bytes of the file and its WAL
/// (free pages included); on PostgreSQL every row of every table cast to text.
pub async fn dump_database(t: &TestDb) -> String {
    if let Some(path) = t.url.strip_prefix("sqlite://") {
        let mut bytes = std::fs::read(path).unwrap_or_default();
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    use sqlx::Row;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'")
            .fetch_all(t.db.read_pool())
            .await
            .expect("list tables");
    let mut dump = String::new();
    for table in tables {
        let sql = format!("SELECT COALESCE(string_agg(t::text, E'\\n'), '') AS rows FROM \"{table}\" t");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(t.db.read_pool()).await.expect("dump a table");
        dump.push_str(&row.try_get::<String, _>("rows").expect("text"));
        dump.push('\n');
    }
    dump
}

/// Random keys for one test database, and their master key in hex.
fn test_keys() -> (anshin::keys::Keys, String) {
    let master: [u8; 32] =
        hex::decode(format!("{}{}", random_hex_128(), random_hex_128())).expect("hex").try_into().expect("32 bytes");
    (anshin::keys::Keys::from_master(&master), hex::encode(master))
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop the database from a thread with its own runtime: Drop cannot await, and the
        // test's runtime may already be shutting down.
        let admin_url = pg_admin_url();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = Db::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(admin.write_pool())
                        .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// `on_both!(name, |t: TestDb| async move { … })` makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let t = $crate::common::TestDb::sqlite().await;
                ($body)(t).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if $crate::common::pg_skipped() {
                    return;
                }
                let t = $crate::common::TestDb::postgres().await;
                ($body)(t).await;
            }
        }
    };
}

/// The `anshin` binary under test. `ANSHIN_TEST_BIN` overrides it: sessions that share one
/// target directory overwrite each other's `target/debug/anshin`, so a run may point at a copy.
pub fn anshin_bin() -> String {
    std::env::var("ANSHIN_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_anshin").to_owned())
}

pub mod funds_app;
pub mod identity_app;
pub mod merchant_app;
pub mod page_client;
pub mod pay_app;
pub mod smtp;

/// A running `anshin serve` child process, killed on drop.
pub struct Server {
    pub child: std::process::Child,
    pub url: String,
}

impl Server {
    /// Start `anshin serve` with `args` and wait until it prints its URL.
    pub fn start(args: &[&str], envs: &[(&str, &str)]) -> Server {
        use std::io::BufRead;
        let mut cmd = std::process::Command::new(anshin_bin());
        cmd.arg("serve").args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn anshin serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Anshin is listening on ") {
                    let _ = tx.send(rest.trim().trim_end_matches('/').to_owned());
                }
            }
        });
        let url = rx.recv_timeout(std::time::Duration::from_secs(60)).expect("anshin serve printed no URL");
        Server { child, url }
    }

    /// Kill -9: no graceful anything, like a power cut.
    pub fn crash(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait; returns the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill").args(["-TERM", &pid]).status();
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Poll `check` until it is true or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A TLS client that trusts only the certificates in `cert_pem` (a development certificate).
pub fn tls_client_trusting(cert_pem: &[u8]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &cert_pem[..]) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
}
