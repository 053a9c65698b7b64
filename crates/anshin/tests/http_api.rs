//! The HTTP foundation over real loopback HTTP: fresh start, TLS rules, the error envelope for
//! every kind of bad input, Idempotency-Key semantics, admission control and headers.

mod common;

use anshin::http::{self, AppState, HttpConfig};
use common::{Server, TestDb};
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An in-process server on a loopback port, for tests that need to reach into its state.
struct Local {
    url: String,
    state: AppState,
    _t: TestDb,
}

async fn local(config: HttpConfig) -> Local {
    let t = TestDb::sqlite().await;
    let state = AppState::new(t.db.clone(), config.clone(), anshin::telemetry::metrics_handle(), true, false);
    let app = http::router(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { http::serve(listener, app, None, &config, std::future::pending()).await });
    Local { url, state, _t: t }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn assert_envelope(resp: reqwest::Response, what: &str) -> (StatusCode, Value) {
    let status = resp.status();
    assert!(status.is_client_error(), "{what}: expected 4xx, got {status}");
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(ct.starts_with("application/json"), "{what}: content-type {ct}");
    let body: Value = resp.json().await.unwrap_or_else(|e| panic!("{what}: body is not JSON: {e}"));
    let err = &body["error"];
    for field in ["type", "code", "message"] {
        assert!(err[field].is_string(), "{what}: envelope lacks error.{field}: {body}");
    }
    (status, body)
}

#[tokio::test]
async fn a_fresh_start_creates_its_data_and_answers_health() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("fresh");
    let server = Server::start(&["--data-dir", data_dir.to_str().unwrap(), "--listen", "127.0.0.1:0"], &[]);
    assert!(server.url.starts_with("http://127.0.0.1:"), "{}", server.url);
    let resp = client().get(format!("{}/healthz", server.url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({ "status": "ok" }));
    let ready: Value = client().get(format!("{}/readyz", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["database"], "sqlite");
    assert!(data_dir.join("anshin.db").exists(), "the embedded database is created on first start");
    let status = server.stop();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

#[tokio::test]
async fn listening_beyond_loopback_without_tls_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::anshin_bin())
        .args(["serve", "--data-dir", dir.path().to_str().unwrap(), "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("without TLS"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn tls_with_a_self_signed_certificate_serves_https_with_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let server = Server::start(&["--data-dir", data_dir, "--listen", "127.0.0.1:0", "--tls-self-signed"], &[]);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let pem = std::fs::read(dir.path().join("dev-tls").join("cert.pem")).unwrap();
    let connector = common::tls_client_trusting(&pem);
    let addr = server.url.trim_start_matches("https://").to_owned();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.expect("TLS handshake with the dev certificate");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    tls.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.to_ascii_lowercase().contains("strict-transport-security: max-age=31536000"), "{response}");
    // Plain HTTP to the TLS port gets nothing useful.
    let plain = client().get(format!("http://{addr}/healthz")).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

#[tokio::test]
async fn bad_input_to_every_endpoint_gets_the_envelope_and_a_4xx() {
    let l = local(HttpConfig::default()).await;
    let c = client();
    let msg = |extra: Value| {
        let mut base = json!({ "channel": "email", "recipient": "a@example.com", "subject": "s", "body": "b" });
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        base.to_string()
    };
    let post = |path: &str| c.post(format!("{}{path}", l.url));
    let json_post = |body: String| post("/v1/dev/messages").header("content-type", "application/json").body(body);
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("unknown path", c.get(format!("{}/no/such/thing", l.url))),
        ("path traversal", c.get(format!("{}/../../etc/passwd", l.url))),
        ("long path", c.get(format!("{}/{}", l.url, "a".repeat(4_000)))),
        ("wrong method", c.delete(format!("{}/healthz", l.url))),
        ("post to a GET route", post("/healthz")),
        ("post to openapi", post("/openapi.json")),
        ("no content type", post("/v1/dev/messages").body(msg(json!({})))),
        ("text content type", post("/v1/dev/messages").header("content-type", "text/plain").body(msg(json!({})))),
        ("empty body", json_post(String::new())),
        ("not JSON", json_post("{channel: email".into())),
        (
            "invalid UTF-8",
            post("/v1/dev/messages").header("content-type", "application/json").body(vec![0xff, 0xfe, 0x7b]),
        ),
        ("JSON null", json_post("null".into())),
        ("JSON array", json_post("[1,2,3]".into())),
        ("wrong type", json_post(msg(json!({ "channel": 5 })))),
        ("missing field", json_post(json!({ "channel": "email" }).to_string())),
        ("unknown field", json_post(msg(json!({ "amount_minor": 100 })))),
        ("deep nesting", json_post(format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)))),
        ("unknown channel", json_post(msg(json!({ "channel": "pigeon" })))),
        ("webhook via dev route", json_post(msg(json!({ "channel": "webhook" })))),
        ("empty recipient", json_post(msg(json!({ "recipient": "  " })))),
        ("header injection", json_post(msg(json!({ "subject": "hi\r\nBcc: victim@example.com" })))),
        ("body too long", json_post(msg(json!({ "body": "x".repeat(20_001) })))),
        ("body over the size limit", json_post(msg(json!({ "body": "x".repeat(70_000) })))),
        ("NUL in body", json_post(msg(json!({ "body": "a\u{0}b" })))),
        ("huge number", json_post(r#"{"channel": 1e400, "recipient": "a", "subject": "s", "body": "b"}"#.into())),
        ("bad idempotency key", json_post(msg(json!({}))).header("idempotency-key", "é".repeat(3))),
        ("long idempotency key", json_post(msg(json!({}))).header("idempotency-key", "k".repeat(300))),
        ("limit zero", c.get(format!("{}/v1/dev/mailbox?limit=0", l.url))),
        ("limit too large", c.get(format!("{}/v1/dev/mailbox?limit=100000", l.url))),
        ("limit not a number", c.get(format!("{}/v1/dev/mailbox?limit=ten", l.url))),
        ("unknown query parameter", c.get(format!("{}/v1/dev/mailbox?admin=true", l.url))),
        ("page with bad limit", c.get(format!("{}/dev/mailbox?limit=-1", l.url))),
    ];
    for (what, request) in cases {
        let resp = request.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let (status, body) = assert_envelope(resp, what).await;
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}: {body}");
    }
    // Nothing was queued by any of them.
    let queued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(l.state.db.read_pool()).await.unwrap();
    assert_eq!(queued, 0);
}

#[tokio::test]
async fn random_bodies_never_cause_a_server_error() {
    let l = local(HttpConfig::default()).await;
    let rt_handle = tokio::runtime::Handle::current();
    let url = l.url.clone();
    // Run proptest on a blocking thread; each case makes a real request through the async runtime.
    tokio::task::spawn_blocking(move || {
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 64,
            failure_persistence: None,
            ..Default::default()
        });
        runner
            .run(&prop::collection::vec(any::<u8>(), 0..512), |bytes| {
                let status = rt_handle.block_on(async {
                    client()
                        .post(format!("{url}/v1/dev/messages"))
                        .header("content-type", "application/json")
                        .body(bytes)
                        .send()
                        .await
                        .unwrap()
                        .status()
                });
                prop_assert!(status.is_client_error(), "status {}", status);
                Ok(())
            })
            .unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn idempotency_key_replays_the_first_response_to_the_same_request() {
    let l = local(HttpConfig::default()).await;
    let c = client();
    let send = |key: &str, body: Value| {
        c.post(format!("{}/v1/dev/messages", l.url)).header("idempotency-key", key.to_owned()).json(&body).send()
    };
    let body = json!({ "channel": "email", "recipient": "a@example.com", "subject": "Hi", "body": "hello" });
    let first = send("key-1", body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body = first.text().await.unwrap();
    for _ in 0..3 {
        let again = send("key-1", body.clone()).await.unwrap();
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.text().await.unwrap(), first_body, "the first response is replayed byte for byte");
    }
    let queued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(l.state.db.read_pool()).await.unwrap();
    assert_eq!(queued, 1, "one message however often the request was retried");
    // Before sign-in a key is scoped by the body itself: another body with the same key is another
    // caller's request, and gets nothing of the first's. (Signed-in callers reusing a key for
    // another request get a 409: tests/secrets_at_rest.rs.)
    let mut other = body.clone();
    other["recipient"] = json!("b@example.com");
    let theirs = send("key-1", other).await.unwrap();
    assert_eq!(theirs.status(), 201);
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    assert_ne!(theirs.text().await.unwrap(), first_body);

    // The first response is stored whatever its status: a 400 is replayed as a 400.
    let bad = json!({ "channel": "pigeon", "recipient": "a@example.com", "subject": "Hi", "body": "x" });
    let r1 = send("key-2", bad.clone()).await.unwrap();
    assert_eq!(r1.status(), 400);
    let r2 = send("key-2", bad).await.unwrap();
    assert_eq!(r2.status(), 400);
    assert_eq!(r2.headers()["idempotent-replayed"], "true");

    // Parallel retries of one request: exactly one executes.
    let parallel: Vec<_> = (0..10).map(|_| send("key-3", body.clone())).collect();
    let statuses: Vec<u16> =
        futures::future::join_all(parallel).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    let queued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(l.state.db.read_pool()).await.unwrap();
    assert_eq!(queued, 3);

    // Keys are kept at least 24 h: purging now removes nothing.
    assert_eq!(http::idempotency::purge_expired(&l.state.db, 0).await.unwrap(), 0);
}

#[tokio::test]
async fn when_saturated_the_server_sheds_load_at_once_with_retry_after() {
    let l = local(HttpConfig { max_in_flight: 2, ..HttpConfig::default() }).await;
    let c = client();
    // Occupy every slot, as two slow requests would.
    let held = l.state.in_flight.clone().acquire_many_owned(2).await.unwrap();
    let started = std::time::Instant::now();
    let resp = c.get(format!("{}/openapi.json", l.url)).send().await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "shed at once, not queued");
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "1");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "overloaded");
    let health = c.get(format!("{}/healthz", l.url)).send().await.unwrap();
    assert_eq!(health.status(), 200, "health stays reachable under load");
    drop(held);
    assert_eq!(c.get(format!("{}/openapi.json", l.url)).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn responses_carry_request_ids_and_security_headers() {
    let l = local(HttpConfig::default()).await;
    let c = client();
    for path in ["/healthz", "/nope", "/dev/mailbox"] {
        let resp = c.get(format!("{}{path}", l.url)).send().await.unwrap();
        let h = resp.headers();
        assert!(h["x-request-id"].to_str().unwrap().starts_with("req_"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{path}");
        assert!(h.get("strict-transport-security").is_none(), "no HSTS over plain loopback HTTP");
    }
    let mine = c.get(format!("{}/healthz", l.url)).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(mine.headers()["x-request-id"], "abc-123");
    let forged = c.get(format!("{}/healthz", l.url)).header("x-request-id", "x\"; DROP").send().await.unwrap();
    assert!(forged.headers()["x-request-id"].to_str().unwrap().starts_with("req_"), "unsafe ids are replaced");
}

#[tokio::test]
async fn openapi_metrics_and_mailbox_page_work() {
    let l = local(HttpConfig::default()).await;
    let c = client();
    let doc: Value = c.get(format!("{}/openapi.json", l.url)).send().await.unwrap().json().await.unwrap();
    for path in ["/healthz", "/readyz", "/v1/dev/messages", "/v1/dev/mailbox"] {
        assert!(doc["paths"][path].is_object(), "{path} missing from OpenAPI");
    }
    assert!(doc["components"]["schemas"]["ErrorEnvelope"].is_object());
    let body = json!({ "channel": "sms", "recipient": "+819012345678", "subject": "<script>alert(1)</script>", "body": "code 123456" });
    assert_eq!(c.post(format!("{}/v1/dev/messages", l.url)).json(&body).send().await.unwrap().status(), 201);
    let worker = anshin::notify::OutboxWorker::new(
        l.state.db.clone(),
        anshin::notify::Transport::dev_mailbox(l.state.db.clone()),
        Default::default(),
    );
    worker.run_once().await.unwrap();
    let page = c.get(format!("{}/dev/mailbox", l.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "content is escaped");
    assert!(!page.contains("<script>alert"));
    let metrics = c.get(format!("{}/metrics", l.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("anshin_http_requests_total"), "{metrics}");
}

#[tokio::test]
async fn dev_routes_do_not_exist_when_real_mail_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let server = Server::start(
        &["--data-dir", data_dir, "--listen", "127.0.0.1:0", "--smtp-host", "127.0.0.1", "--smtp-port", "1"],
        &[],
    );
    for path in ["/dev/mailbox", "/v1/dev/mailbox"] {
        let resp = client().get(format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
}

/// Two `anshin serve` processes on one PostgreSQL database share idempotency keys: a request
/// retried against both runs once.
#[tokio::test]
async fn two_servers_on_one_postgres_share_idempotency() {
    if common::pg_skipped() {
        return;
    }
    let t = TestDb::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let key = [("ANSHIN_SECRET_KEY", t.secret_key.as_str())];
    let a = Server::start(&["--database-url", &t.url, "--data-dir", data_dir, "--listen", "127.0.0.1:0"], &key);
    let b = Server::start(&["--database-url", &t.url, "--data-dir", data_dir, "--listen", "127.0.0.1:0"], &key);
    let ready: Value = client().get(format!("{}/readyz", a.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["database"], "postgres");
    let body = json!({ "channel": "email", "recipient": "a@example.com", "subject": "Hi", "body": "hello" });
    let mut requests = Vec::new();
    for i in 0..20 {
        let url = if i % 2 == 0 { &a.url } else { &b.url };
        requests.push(
            client().post(format!("{url}/v1/dev/messages")).header("idempotency-key", "shared").json(&body).send(),
        );
    }
    let statuses: Vec<u16> =
        futures::future::join_all(requests).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert!(statuses.contains(&201), "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(t.db.read_pool()).await.unwrap();
    assert_eq!(queued, 1);
    common::eventually(20, "one delivery", || async {
        anshin::notify::mailbox(&t.db, None, 10).await.unwrap().len() == 1
    })
    .await;
    assert!(anshin::audit::verify(&t.db).await.unwrap().ok());
}

/// No secret reaches a log line or the console: a database password and an SMTP password given
/// to `anshin serve` appear nowhere in what it prints.
#[tokio::test]
async fn secrets_never_reach_the_logs() {
    if common::pg_skipped() {
        return;
    }
    let t = TestDb::postgres().await;
    // Trust auth accepts any password, so the URL can carry one that must never be printed.
    let with_password = t.url.replacen("postgres@", "postgres:hunter2-db-secret@", 1);
    assert!(with_password.contains("hunter2"), "{with_password}");
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(common::anshin_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()])
        .args([
            "--database-url",
            &with_password,
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            "1",
            "--smtp-username",
            "mailer",
        ])
        .env("ANSHIN_SMTP_PASSWORD", "hunter2-smtp-secret")
        .env("ANSHIN_SECRET_KEY", &t.secret_key)
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Let it start, try (and fail) an SMTP delivery, then stop.
    let mut tx = t.db.begin_write().await.unwrap();
    anshin::notify::enqueue(&t.db, &mut tx, &[anshin::notify::OutboxMessage::email("a@example.com", "s", "b")])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let pid = child.id().to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        let _ = child.wait();
        let mut all = String::new();
        use std::io::Read;
        child.stdout.take().unwrap().read_to_string(&mut all).unwrap();
        child.stderr.take().unwrap().read_to_string(&mut all).unwrap();
        all
    })
    .await
    .unwrap();
    assert!(out.contains("Anshin is listening"), "{out}");
    assert!(out.contains("delivery failed"), "the failed SMTP attempt was logged: {out}");
    assert!(!out.contains("hunter2"), "a secret reached the output:\n{out}");
}
