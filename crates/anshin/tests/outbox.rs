//! The transactional outbox: messages commit with their event, survive crashes, are retried
//! with backoff and delivered at least once over real SMTP or into the dev mailbox.

mod common;

use anshin::notify::{self, OutboxMessage, OutboxWorker, SmtpConfig, Transport, WorkerConfig};
use common::{Server, TestDb, eventually, smtp::SmtpSink};

async fn enqueue(t: &TestDb, m: &OutboxMessage) -> String {
    let mut tx = t.db.begin_write().await.unwrap();
    let id = notify::enqueue(&t.db, &mut tx, std::slice::from_ref(m)).await.unwrap().remove(0);
    tx.commit().await.unwrap();
    id
}

fn fast() -> WorkerConfig {
    WorkerConfig { poll_interval_ms: 50, backoff_base_ms: 20, ..WorkerConfig::default() }
}

on_both!(a_message_is_sent_only_if_its_transaction_commits, |t: TestDb| async move {
    let worker = OutboxWorker::new(t.db.clone(), Transport::dev_mailbox(t.db.clone()), fast());
    let mut tx = t.db.begin_write().await.unwrap();
    notify::enqueue(&t.db, &mut tx, &[OutboxMessage::email("ghost@example.com", "never", "rolled back")])
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let id = enqueue(&t, &OutboxMessage::email("user@example.com", "Welcome", "hello")).await;
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let mailbox = notify::mailbox(&t.db, None, 10).await.unwrap();
    assert_eq!(mailbox.len(), 1);
    assert_eq!(mailbox[0].outbox_id, id);
    assert_eq!(notify::status(&t.db, &id).await.unwrap().unwrap().status, "delivered");
    assert_eq!(worker.run_once().await.unwrap(), 0, "a delivered message is not sent again");
});

on_both!(failures_are_retried_with_backoff_then_marked_dead, |t: TestDb| async move {
    // Nothing listens on this port: every attempt fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let smtp = SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        username: None,
        password: None,
        from: "Anshin <no-reply@anshin.test>".into(),
        timeout_secs: 2,
    };
    let config = WorkerConfig { max_attempts: 3, backoff_base_ms: 300, ..fast() };
    let worker = OutboxWorker::new(t.db.clone(), Transport::smtp(&smtp).unwrap(), config);
    let id = enqueue(&t, &OutboxMessage::email("user@example.com", "Hi", "body")).await;
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let s = notify::status(&t.db, &id).await.unwrap().unwrap();
    assert_eq!((s.status.as_str(), s.attempts), ("pending", 1));
    assert!(s.last_error.unwrap().contains("smtp"));
    assert_eq!(worker.run_once().await.unwrap(), 0, "backoff: not retried at once");
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    assert_eq!(worker.run_once().await.unwrap(), 1, "retried after the backoff");
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let s = notify::status(&t.db, &id).await.unwrap().unwrap();
    assert_eq!((s.status.as_str(), s.attempts), ("dead", 3));
    let attempts: Vec<String> =
        sqlx::query_scalar("SELECT outcome FROM outbox_attempts WHERE outbox_id = $1 ORDER BY attempt")
            .bind(&id)
            .fetch_all(t.db.read_pool())
            .await
            .unwrap();
    assert_eq!(attempts, ["retry", "retry", "dead"]);
});

on_both!(a_claim_abandoned_by_a_crashed_worker_is_taken_over_after_its_lease, |t: TestDb| async move {
    let id = enqueue(&t, &OutboxMessage::email("user@example.com", "Receipt", "¥1,234")).await;
    // A worker claimed it for 1.5 s and died before recording anything.
    sqlx::query("UPDATE outbox SET locked_until_ms = $1, attempts = 1 WHERE id = $2")
        .bind(anshin::storage::now_ms() + 1_500)
        .bind(&id)
        .execute(t.db.write_pool())
        .await
        .unwrap();
    let worker = OutboxWorker::new(t.db.clone(), Transport::dev_mailbox(t.db.clone()), fast());
    assert_eq!(worker.run_once().await.unwrap(), 0, "the lease still holds");
    tokio::time::sleep(std::time::Duration::from_millis(1_600)).await;
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(notify::status(&t.db, &id).await.unwrap().unwrap().status, "delivered");
});

async fn raw_body(t: &TestDb, table: &str, id_column: &str, id: &str) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT body FROM {table} WHERE {id_column} = $1")))
        .bind(id)
        .fetch_one(t.db.read_pool())
        .await
        .unwrap()
}

on_both!(a_message_body_is_sealed_in_the_database_and_redacted_once_delivered, |t: TestDb| async move {
    let secret = "reset key 5be1c0ffee5ca1ab1e";
    let id = enqueue(&t, &OutboxMessage::email("user@example.com", "Reset", format!("Your {secret}."))).await;
    let queued = raw_body(&t, "outbox", "id", &id).await;
    assert!(!queued.contains("5be1c0ffee"), "the queued body is readable: {queued}");
    assert!(queued.starts_with("v1:"), "{queued}");

    // A server with another key cannot open it: the attempt fails loudly, nothing is sent.
    let other = t.db.clone().with_keys(anshin::keys::Keys::random());
    OutboxWorker::new(other.clone(), Transport::dev_mailbox(other), fast()).run_once().await.unwrap();
    let s = notify::status(&t.db, &id).await.unwrap().unwrap();
    assert_eq!(s.status, "pending");
    assert!(s.last_error.unwrap().contains("does not open"));
    assert!(notify::mailbox(&t.db, None, 10).await.unwrap().is_empty());

    sqlx::query("UPDATE outbox SET next_attempt_at_ms = 0 WHERE id = $1")
        .bind(&id)
        .execute(t.db.write_pool())
        .await
        .unwrap();
    OutboxWorker::new(t.db.clone(), Transport::dev_mailbox(t.db.clone()), fast()).run_once().await.unwrap();
    assert_eq!(notify::status(&t.db, &id).await.unwrap().unwrap().status, "delivered");
    assert_eq!(raw_body(&t, "outbox", "id", &id).await, notify::REDACTED_BODY, "redacted once delivered");
    let copy = raw_body(&t, "dev_mailbox", "outbox_id", &id).await;
    assert!(!copy.contains("5be1c0ffee"), "the dev mailbox copy is readable: {copy}");
    let shown = notify::mailbox(&t.db, None, 10).await.unwrap();
    assert_eq!(shown[0].body, format!("Your {secret}."), "the dev mailbox still shows it");
});

on_both!(old_delivered_and_dead_messages_are_purged_and_the_chain_keeps_a_record, |t: TestDb| async move {
    const DAY_MS: i64 = 24 * 3_600 * 1_000;
    let now = anshin::storage::now_ms();
    let worker = OutboxWorker::new(t.db.clone(), Transport::dev_mailbox(t.db.clone()), fast());
    let old_delivered = enqueue(&t, &OutboxMessage::email("a@example.com", "old", "delivered 31 days ago")).await;
    let new_delivered = enqueue(&t, &OutboxMessage::email("b@example.com", "new", "delivered 29 days ago")).await;
    assert_eq!(worker.run_once().await.unwrap(), 2);
    let old_dead = enqueue(&t, &OutboxMessage::email("c@example.com", "old", "dead, queued 91 days ago")).await;
    let new_dead = enqueue(&t, &OutboxMessage::email("d@example.com", "new", "dead, queued 89 days ago")).await;
    let waiting = enqueue(&t, &OutboxMessage::email("e@example.com", "waiting", "queued 200 days ago")).await;
    let set = |sql: &'static str, ms: i64, id: &str| {
        let id = id.to_owned();
        let db = t.db.clone();
        async move { sqlx::query(sql).bind(ms).bind(id).execute(db.write_pool()).await.unwrap() }
    };
    set("UPDATE outbox SET delivered_at_ms = $1 WHERE id = $2", now - 31 * DAY_MS, &old_delivered).await;
    set("UPDATE dev_mailbox SET delivered_at_ms = $1 WHERE outbox_id = $2", now - 31 * DAY_MS, &old_delivered).await;
    set("UPDATE outbox SET delivered_at_ms = $1 WHERE id = $2", now - 29 * DAY_MS, &new_delivered).await;
    set("UPDATE dev_mailbox SET delivered_at_ms = $1 WHERE outbox_id = $2", now - 29 * DAY_MS, &new_delivered).await;
    set("UPDATE outbox SET status = 'dead', created_at_ms = $1 WHERE id = $2", now - 91 * DAY_MS, &old_dead).await;
    set("UPDATE outbox SET status = 'dead', created_at_ms = $1 WHERE id = $2", now - 89 * DAY_MS, &new_dead).await;
    set("UPDATE outbox SET created_at_ms = $1 WHERE id = $2", now - 200 * DAY_MS, &waiting).await;
    let records_before = anshin::audit::read_page(&t.db, 0, 1_000).await.unwrap().len();

    let report = notify::purge_expired(&t.db, &notify::RetentionConfig::default()).await.unwrap();
    assert_eq!((report.delivered, report.dead, report.attempts, report.mailbox), (1, 1, 1, 1), "{report:?}");
    let mut left: Vec<String> = sqlx::query_scalar("SELECT id FROM outbox").fetch_all(t.db.read_pool()).await.unwrap();
    left.sort();
    let mut expected = vec![new_delivered.clone(), new_dead, waiting];
    expected.sort();
    assert_eq!(left, expected, "only rows past their retention go; a waiting message never does");
    let attempts: Vec<String> =
        sqlx::query_scalar("SELECT outbox_id FROM outbox_attempts").fetch_all(t.db.read_pool()).await.unwrap();
    assert_eq!(attempts, std::slice::from_ref(&new_delivered));
    let copies: Vec<String> =
        notify::mailbox(&t.db, None, 10).await.unwrap().into_iter().map(|m| m.outbox_id).collect();
    assert_eq!(copies, [new_delivered]);

    let records = anshin::audit::read_page(&t.db, 0, 1_000).await.unwrap();
    assert_eq!(records.len(), records_before + 1, "one audit record for the run");
    let record = records.last().unwrap();
    assert_eq!(record.action, "notify.retention.purged");
    let details: serde_json::Value = serde_json::from_str(&record.details).unwrap();
    assert_eq!(details["delivered_removed"], 1);
    assert_eq!(details["dead_removed"], 1);
    assert_eq!(details["mailbox_removed"], 1);
    assert_eq!(details["messages_queued_from_ms"], now - 91 * DAY_MS);
    assert!(anshin::audit::verify(&t.db).await.unwrap().ok());
    // Nothing more is due: a second run removes nothing and records nothing.
    let again = notify::purge_expired(&t.db, &notify::RetentionConfig::default()).await.unwrap();
    assert_eq!(again, notify::PurgeReport::default());
    assert_eq!(anshin::audit::read_page(&t.db, 0, 1_000).await.unwrap().len(), records_before + 1);
});

/// The real thing: `anshin serve` claims a message and is killed (-9) while the SMTP server
/// holds the delivery in flight; after a restart the message is delivered over SMTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_survives_a_crash_between_commit_and_delivery() {
    let t = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_owned();
    let sink = SmtpSink::start().await;
    sink.hang.store(true, std::sync::atomic::Ordering::SeqCst);
    let port = sink.port.to_string();
    let args = [
        "--database-url",
        &t.url,
        "--data-dir",
        &data_dir,
        "--listen",
        "127.0.0.1:0",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &port,
        "--outbox-lease-secs",
        "2",
        "--outbox-poll-ms",
        "50",
    ];
    let server = Server::start(&args, &[("ANSHIN_SECRET_KEY", &t.secret_key)]);
    let id = enqueue(&t, &OutboxMessage::email("user@example.com", "Top-up received", "¥10,000 was added.")).await;
    eventually(20, "the worker claims the message", || async {
        notify::status(&t.db, &id).await.unwrap().unwrap().attempts >= 1
    })
    .await;
    server.crash();
    assert_eq!(notify::status(&t.db, &id).await.unwrap().unwrap().status, "pending", "not delivered before the crash");
    assert!(sink.received().is_empty());

    sink.hang.store(false, std::sync::atomic::Ordering::SeqCst);
    let _server = Server::start(&args, &[("ANSHIN_SECRET_KEY", &t.secret_key)]);
    eventually(30, "delivery after restart", || async {
        notify::status(&t.db, &id).await.unwrap().unwrap().status == "delivered"
    })
    .await;
    let received = sink.received();
    assert_eq!(received.len(), 1, "delivered once after the restart");
    assert!(received[0].contains("Subject: Top-up received"), "{}", received[0]);
    assert!(received[0].contains(&format!("Message-ID: <{id}@anshin>")), "{}", received[0]);
}

/// A delivery that hangs is cut off well inside its lease and counted as a failed attempt, so no
/// second worker takes the message over while the first is still sending it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_delivery_is_cut_off_inside_its_lease() {
    let t = TestDb::sqlite().await;
    let sink = SmtpSink::start().await;
    sink.hang.store(true, std::sync::atomic::Ordering::SeqCst);
    let smtp = SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        username: None,
        password: None,
        from: "Anshin <no-reply@anshin.test>".into(),
        timeout_secs: 30,
    };
    let config = WorkerConfig { lease_secs: 2, ..fast() };
    let worker = OutboxWorker::new(t.db.clone(), Transport::smtp(&smtp).unwrap(), config);
    let id = enqueue(&t, &OutboxMessage::email("user@example.com", "Hi", "body")).await;
    let started = std::time::Instant::now();
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "cut off before the lease ends");
    let s = notify::status(&t.db, &id).await.unwrap().unwrap();
    assert_eq!(s.status, "pending");
    assert!(s.last_error.unwrap().contains("took longer"));
}

/// With real mail configured, a channel without a gateway fails loudly instead of vanishing.
#[tokio::test]
async fn channels_without_a_gateway_fail_loudly() {
    let t = TestDb::sqlite().await;
    let smtp = SmtpConfig {
        host: "127.0.0.1".into(),
        port: 1,
        username: None,
        password: None,
        from: "Anshin <no-reply@anshin.test>".into(),
        timeout_secs: 2,
    };
    let worker = OutboxWorker::new(t.db.clone(), Transport::smtp(&smtp).unwrap(), fast());
    let sms = OutboxMessage {
        channel: notify::Channel::Sms,
        recipient: "+819012345678".into(),
        subject: String::new(),
        body: "code".into(),
    };
    let id = enqueue(&t, &sms).await;
    worker.run_once().await.unwrap();
    let s = notify::status(&t.db, &id).await.unwrap().unwrap();
    assert_eq!(s.status, "pending");
    assert!(s.last_error.unwrap().contains("no gateway"), "");
    assert!(notify::mailbox(&t.db, None, 10).await.unwrap().is_empty());
}

/// SMS through an HTTP gateway speaking the Twilio-style Messages API (a local stand-in here):
/// form fields, basic authentication, and a failing gateway retried rather than lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_goes_through_the_http_gateway() {
    use std::sync::{Arc, Mutex};
    let received = Arc::new(Mutex::new(Vec::<(String, std::collections::HashMap<String, String>)>::new()));
    let fail_next = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let stand_in = {
        let (received, fail_next) = (received.clone(), fail_next.clone());
        axum::Router::new().route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            axum::routing::post(
                move |headers: axum::http::HeaderMap,
                      axum::extract::Form(form): axum::extract::Form<std::collections::HashMap<String, String>>| {
                    let (received, fail_next) = (received.clone(), fail_next.clone());
                    async move {
                        if fail_next.swap(false, std::sync::atomic::Ordering::SeqCst) {
                            return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy".to_owned());
                        }
                        let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                        received.lock().unwrap().push((auth, form));
                        (axum::http::StatusCode::CREATED, r#"{"sid":"SM123","status":"queued"}"#.to_owned())
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, stand_in).await });

    let t = TestDb::sqlite().await;
    let sms = anshin::notify::SmsConfig {
        base_url,
        account: "AC1".into(),
        token: "tok-secret".into(),
        from: "+815012345678".into(),
        timeout_secs: 5,
    };
    let transport = Transport::dev_mailbox(t.db.clone()).with_sms(sms).unwrap();
    let worker = OutboxWorker::new(t.db.clone(), transport, WorkerConfig { backoff_base_ms: 1, ..fast() });
    let message = OutboxMessage {
        channel: notify::Channel::Sms,
        recipient: "+819012345678".into(),
        subject: String::new(),
        body: "code 123456".into(),
    };
    let id = enqueue(&t, &message).await;
    enqueue(&t, &OutboxMessage::email("user@example.com", "Hi", "mail")).await;
    worker.run_once().await.unwrap();
    assert_eq!(
        notify::status(&t.db, &id).await.unwrap().unwrap().status,
        "pending",
        "a 503 from the gateway is retried"
    );
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    worker.run_once().await.unwrap();
    assert_eq!(notify::status(&t.db, &id).await.unwrap().unwrap().status, "delivered");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (auth, form) = &got[0];
    assert!(auth.starts_with("Basic "), "{auth}");
    assert_eq!(form["To"], "+819012345678");
    assert_eq!(form["From"], "+815012345678");
    assert_eq!(form["Body"], "code 123456");
    // E-mail still lands in the dev mailbox; the SMS does not.
    let mailbox = notify::mailbox(&t.db, None, 10).await.unwrap();
    assert_eq!(mailbox.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>(), ["email"]);
    // Plain HTTP to a gateway beyond loopback is refused.
    let remote = anshin::notify::SmsConfig {
        base_url: "http://sms.example.com".into(),
        account: "a".into(),
        token: "t".into(),
        from: "x".into(),
        timeout_secs: 5,
    };
    assert!(Transport::dev_mailbox(t.db.clone()).with_sms(remote).is_err());
}
