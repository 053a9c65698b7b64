//! Merchants never trust the customer's screen: every payment's change reaches its merchant by
//! the live feed (server-sent events, resumable with Last-Event-ID, for that merchant's staff
//! only) and by signed webhooks through the outbox (verified here by an independent Python
//! implementation; retried with backoff, then dead-lettered), all carrying the confirmation code
//! the customer's screen shows. Each flow test ends with the ledger and the audit chain verified.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anshin::http::{self, AppState, HttpConfig};
use anshin::identity::password::{HashParams, PasswordHasher};
use anshin::identity::{Identity, IdentityConfig};
use anshin::ledger::Ledger;
use anshin::merchants::{Merchants, MerchantsConfig};
use anshin::notify::webhook::WebhookSender;
use anshin::notify::{OutboxWorker, Transport, WorkerConfig};
use anshin::payments::codes;
use anshin::payments::{Payments, PaymentsConfig};
use common::TestDb;
use common::identity_app::*;
use common::pay_app::now_secs;
use common::pay_app::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The whole service over `t`, with loopback webhook receivers allowed (as
/// `--dev-loopback-webhooks` does), stopping when `stop` resolves.
async fn events_app_until(t: TestDb, stop: impl std::future::Future<Output = ()> + Send + 'static) -> App {
    let keys = t.db.keys().cloned().expect("test databases carry keys");
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 2, 64).unwrap();
    let identity = Identity::new(t.db.clone(), keys.clone(), hasher, IdentityConfig::default()).unwrap();
    let (ledger, _writer) = Ledger::start(t.db.clone());
    let config = MerchantsConfig { allow_loopback_webhooks: true, ..MerchantsConfig::default() };
    let merchants = Merchants::new(t.db.clone(), keys.clone(), identity.clone(), ledger.clone(), config);
    let payments = Payments::new(t.db.clone(), keys, ledger.clone(), merchants.clone(), PaymentsConfig::default());
    let state = AppState::new(t.db.clone(), HttpConfig::default(), None, true, false)
        .with_identity(identity.clone())
        .with_ledger(ledger)
        .with_merchants(merchants.clone())
        .with_payments(payments.clone());
    let router = http::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { http::serve(listener, router, None, &HttpConfig::default(), stop).await });
    App { url, t, identity, merchants, payments }
}

async fn events_app(t: TestDb) -> App {
    events_app_until(t, std::future::pending()).await
}

/// One server-sent event as a client parses it.
#[derive(Debug)]
struct SseEvent {
    id: Option<i64>,
    event: Option<String>,
    data: Value,
}

struct Sse {
    resp: reqwest::Response,
    buf: String,
}

async fn open_feed(
    a: &App,
    merchant: &str,
    token: &str,
    last_event_id: Option<i64>,
) -> Result<Sse, (StatusCode, Value)> {
    let mut req = client().get(format!("{}/v1/merchants/{merchant}/events", a.url)).bearer_auth(token);
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    let resp = req.send().await.unwrap();
    if resp.status() != StatusCode::OK {
        let status = resp.status();
        return Err((status, resp.json().await.unwrap_or(Value::Null)));
    }
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    Ok(Sse { resp, buf: String::new() })
}

impl Sse {
    /// The next event (comments and `retry:` skipped), or None if none comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, None, String::new());
                for line in block.lines() {
                    match line.split_once(':') {
                        Some(("id", v)) => id = v.trim().parse().ok(),
                        Some(("event", v)) => event = Some(v.trim().to_owned()),
                        Some(("data", v)) => data.push_str(v.strip_prefix(' ').unwrap_or(v)),
                        _ => {}
                    }
                }
                if !data.is_empty() {
                    return Some(SseEvent { id, event, data: serde_json::from_str(&data).unwrap() });
                }
            }
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }
}

const WAIT: Duration = Duration::from_secs(5);

async fn pay(a: &App, shop: &Shop, w: &Wallet, counter: i64, amount: i64) -> Value {
    let code = codes::encode_qr(&w.secret, w.number, counter, now_secs());
    let (status, paid) = charge(a, shop, &code, amount).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    paid
}

// A payment's event reaches the live feed of its merchant (a cashier watching), with the
// confirmation code the POS and the customer see; a refund's too. A page that reconnects with
// Last-Event-ID is replayed exactly what it missed, in order, and nothing of another merchant.
on_both!(a_payment_reaches_its_merchants_feed_and_a_resume_replays_exactly_the_missed_events, |t: TestDb| async move {
    let a = events_app(t).await;
    let shop = shop(&a, "Sigma").await;
    let other = shop_named(&a, "Tau").await;
    let (cashier, _) = common::merchant_app::staff(&a, &shop.id, "cashier@sigma.example.jp", "cashier").await;
    let w = wallet(&a, "buyer@sigma.example.jp", "+819030000001", 100_000, 0).await;

    let mut feed = open_feed(&a, &shop.id, &cashier, None).await.expect("a cashier may watch");
    let paid = pay(&a, &shop, &w, 1, 1_200).await;
    let e = feed.next(WAIT).await.expect("the payment's event arrives");
    assert_eq!(e.data["type"], "payment.succeeded");
    assert_eq!(e.data["payment"]["id"], paid["id"]);
    assert_eq!(e.data["payment"]["amount_minor"], 1_200);
    assert_eq!(e.data["payment"]["confirmation_code"], paid["confirmation_code"]);
    let (_, mine) = a.get(&format!("/v1/me/payments/{}", paid["id"].as_str().unwrap()), &w.token).await;
    assert_eq!(mine["confirmation_code"], paid["confirmation_code"], "the customer's screen shows the same code");
    let event_text = e.data.to_string();
    assert!(!event_text.contains(&w.user_id) && !event_text.contains("buyer@"), "nothing about the customer");
    let first = e.id.expect("each event has an id");
    drop(feed);

    // Missed while away: two payments and a partial then a full refund here, one elsewhere.
    let second = pay(&a, &shop, &w, 2, 500).await;
    let w2 = wallet(&a, "buyer@tau.example.jp", "+819030000002", 10_000, 0).await;
    pay(&a, &other, &w2, 1, 700).await;
    let third = pay(&a, &shop, &w, 3, 300).await;
    let refund_path = format!("/v1/pos/payments/{}/refunds", third["id"].as_str().unwrap());
    for (amount, key) in [(100, "refund-part-1"), (200, "refund-rest-1")] {
        let body = json!({ "amount_minor": amount, "refund_key": key }).to_string();
        let (status, r) = pos_send(&a, &shop, "POST", &refund_path, &body, &nonce(), now_secs()).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
    }

    let mut feed = open_feed(&a, &shop.id, &cashier, Some(first)).await.unwrap();
    let mut replayed = Vec::new();
    while let Some(e) = feed.next(Duration::from_millis(1_500)).await {
        replayed.push(e);
    }
    let seen: Vec<(String, String)> = replayed
        .iter()
        .map(|e| (e.data["type"].as_str().unwrap().to_owned(), e.data["payment"]["id"].as_str().unwrap().to_owned()))
        .collect();
    let id = |p: &Value| p["id"].as_str().unwrap().to_owned();
    assert_eq!(
        seen,
        vec![
            ("payment.succeeded".to_owned(), id(&second)),
            ("payment.succeeded".to_owned(), id(&third)),
            ("payment.partially_refunded".to_owned(), id(&third)),
            ("payment.refunded".to_owned(), id(&third)),
        ],
        "exactly the missed events of this merchant, in order"
    );
    assert_eq!(replayed[3].data["refund"]["amount_minor"], 200);
    let ids: Vec<i64> = replayed.iter().map(|e| e.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]) && ids[0] > first, "ids increase: {ids:?}");
    assert!(replayed.iter().all(|e| e.event.is_none()));
    assert_books_sound(&a).await;
});

/// A second shop whose owner's e-mail does not collide with `shop`'s naming.
async fn shop_named(a: &App, name: &str) -> Shop {
    shop(a, name).await
}

// Merchant A's staff get 404 for merchant B's feed (the same answer as for a merchant that does
// not exist); no session is 401; one session cannot hold more than a few feeds open.
on_both!(another_merchants_staff_cannot_stream_its_events, |t: TestDb| async move {
    let a = events_app(t).await;
    let mine = shop(&a, "Upsilon").await;
    let theirs = shop(&a, "Phi").await;
    let (status, e) = open_feed(&a, &theirs.id, &mine.owner, None).await.err().expect("refused");
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");
    let (status, _) = open_feed(&a, "mer_does_not_exist", &mine.owner, None).await.err().expect("refused");
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = open_feed(&a, &theirs.id, "not-a-token", None).await.err().expect("refused");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let resp = client().get(format!("{}/v1/merchants/{}/events", a.url, mine.id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "no bearer token and no session cookie");

    // One connection per open page: a few tabs, not hundreds.
    let mut open = Vec::new();
    for _ in 0..anshin::payments::feed::MAX_STREAMS_PER_SESSION {
        open.push(open_feed(&a, &mine.id, &mine.owner, None).await.expect("a page's feed"));
    }
    let (status, e) = open_feed(&a, &mine.id, &mine.owner, None).await.err().expect("over the cap");
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_streams")));
    drop(open.pop());
    // The slot comes back once the server notices the page has gone.
    // (hyper notices a gone client at the latest when the next keep-alive comment fails to send)
    common::eventually(20, "a closed feed frees its slot", || async {
        open_feed(&a, &mine.id, &mine.owner, None).await.is_ok()
    })
    .await;
    assert_books_sound(&a).await;
});

/// A local receiver: records each POST's signature header and body, answers `status`.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(String, String, std::time::Instant)>>>,
}

async fn receiver(status: u16) -> Receiver {
    use axum::routing::post;
    let got: Arc<Mutex<Vec<(String, String, std::time::Instant)>>> = Arc::default();
    let record = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let record = record.clone();
            async move {
                let signature =
                    headers.get("anshin-signature").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                record.lock().unwrap().push((signature, body, std::time::Instant::now()));
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, got }
}

fn webhook_worker(a: &App, config: WorkerConfig) -> OutboxWorker {
    let keys = a.t.db.keys().cloned().unwrap();
    let sender = WebhookSender::new(a.t.db.clone(), keys, true).unwrap();
    OutboxWorker::new(a.t.db.clone(), Transport::dev_mailbox(a.t.db.clone()).with_webhooks(sender), config)
}

/// Register `url` for `shop` (spending one of its recovery codes on the step-up): (endpoint, secret).
async fn add_webhook(a: &App, shop: &mut Shop, url: &str) -> (String, String) {
    let owner = a.step_up_by(&shop.owner, "manage_webhooks", "recovery_code", &shop.codes.remove(0)).await;
    shop.owner = owner.clone(); // a step-up answers with the session's new token
    let (status, created) =
        a.post(&format!("/v1/merchants/{}/webhooks", shop.id), json!({ "url": url }), Some(&owner)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (created["endpoint"]["id"].as_str().unwrap().to_owned(), created["secret"].as_str().unwrap().to_owned())
}

/// tests/webhook_verify.py's verdict on one delivery.
async fn python_verdict(secret: &str, header: &str, body: &str, at_secs: i64) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhook_verify.py");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), body).unwrap();
    let (secret, header, path) = (secret.to_owned(), header.to_owned(), file.path().to_owned());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(script)
            .arg(&secret)
            .arg(&header)
            .arg(&path)
            .arg(at_secs.to_string())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

// A payment's webhook is signed `t=…,v1=…` over `t.body` and verified by Python's hmac; the
// body carries the same confirmation code as the POS answer; a signature older than 300 s is
// refused by the verifier; after a rotation both secrets' signatures verify during the overlap.
// Neither the body nor the secret is stored in the clear.
on_both!(webhooks_are_signed_verified_independently_and_rotate_with_two_signatures, |t: TestDb| async move {
    let a = events_app(t).await;
    let mut shop = shop(&a, "Chi").await;
    let w = wallet(&a, "buyer@chi.example.jp", "+819030000011", 100_000, 0).await;
    let hook = receiver(200).await;
    let (endpoint, secret) = add_webhook(&a, &mut shop, &hook.url).await;
    let paid = pay(&a, &shop, &w, 1, 2_500).await;

    // At rest: the queued body is sealed, the secret too.
    let confirmation = paid["confirmation_code"].as_str().unwrap().to_owned();
    let queued = a.count("SELECT COUNT(*) FROM outbox WHERE channel = 'webhook'").await;
    assert_eq!(queued, 1);
    let at_rest: Vec<String> = sqlx::query_scalar("SELECT body FROM outbox WHERE channel = 'webhook'")
        .fetch_all(a.t.db.read_pool())
        .await
        .unwrap();
    assert!(at_rest.iter().all(|b| !b.contains(&confirmation) && !b.contains("payment.succeeded")), "sealed at rest");

    let worker = webhook_worker(&a, WorkerConfig::default());
    while worker.run_once().await.unwrap() > 0 {}
    let got = hook.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one delivery");
    let (header, body, _) = &got[0];
    assert!(header.starts_with("t=") && header.matches("v1=").count() == 1, "{header}");
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (event["type"].as_str(), event["payment"]["id"].as_str()),
        (Some("payment.succeeded"), paid["id"].as_str())
    );
    assert_eq!(event["payment"]["confirmation_code"], confirmation.as_str(), "the code the customer's screen shows");
    assert_eq!(python_verdict(&secret, header, body, now_secs()).await, "valid");
    assert!(anshin::notify::webhook::verify_signature(header, &secret, body, now_secs(), 300));
    let t_secs: i64 = header[2..].split(',').next().unwrap().parse().unwrap();
    assert_eq!(python_verdict(&secret, header, body, t_secs + 301).await, "timestamp outside the tolerance");
    assert_eq!(python_verdict("whsec_wrong", header, body, now_secs()).await, "no signature matches");
    let tampered = body.replace(&confirmation, "ZZZZZZ");
    assert_eq!(python_verdict(&secret, header, &tampered, now_secs()).await, "no signature matches");

    // Rotation: for the overlap, two signatures; each secret verifies one.
    let owner = a.step_up_by(&shop.owner, "manage_webhooks", "recovery_code", &shop.codes.remove(0)).await;
    let rotate = format!("/v1/merchants/{}/webhooks/{endpoint}/secret-rotation", shop.id);
    let (status, rotated) = a.post(&rotate, json!({}), Some(&owner)).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    pay(&a, &shop, &w, 2, 800).await;
    while worker.run_once().await.unwrap() > 0 {}
    let got = hook.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let (header, body, _) = &got[1];
    assert_eq!(header.matches("v1=").count(), 2, "new and old secret sign during the overlap: {header}");
    assert_eq!(python_verdict(&new_secret, header, body, now_secs()).await, "valid");
    assert_eq!(python_verdict(&secret, header, body, now_secs()).await, "valid");

    // Nothing in the clear: delivered bodies are redacted, secrets sealed, attempts name no secret.
    let dump: Vec<String> = sqlx::query_scalar(
        "SELECT body || ' ' || recipient || ' ' || subject || ' ' || COALESCE(last_error, '') FROM outbox WHERE channel = 'webhook'",
    )
    .fetch_all(a.t.db.read_pool())
    .await
    .unwrap();
    let sealed: Vec<String> =
        sqlx::query_scalar("SELECT sealed_secret FROM webhook_secrets").fetch_all(a.t.db.read_pool()).await.unwrap();
    let attempts: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM outbox_attempts").fetch_all(a.t.db.read_pool()).await.unwrap();
    let all = [dump, sealed, attempts].concat().join("\n");
    for needle in [secret.as_str(), new_secret.as_str(), confirmation.as_str()] {
        assert!(!all.contains(needle), "{needle} is stored in the clear");
    }
    assert_books_sound(&a).await;
});

// A receiver that keeps failing (500) is tried again with growing pauses, then the delivery is
// dead-lettered for an operator; the payment itself stands.
on_both!(a_failing_receiver_is_retried_with_backoff_then_dead_lettered, |t: TestDb| async move {
    let a = events_app(t).await;
    let mut shop = shop(&a, "Psi").await;
    let w = wallet(&a, "buyer@psi.example.jp", "+819030000021", 10_000, 0).await;
    let hook = receiver(500).await;
    add_webhook(&a, &mut shop, &hook.url).await;
    pay(&a, &shop, &w, 1, 100).await;
    let config =
        WorkerConfig { max_attempts: 3, backoff_base_ms: 300, backoff_max_ms: 10_000, ..WorkerConfig::default() };
    let worker = webhook_worker(&a, config);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while a.count("SELECT COUNT(*) FROM outbox WHERE channel = 'webhook' AND status = 'dead'").await == 0 {
        assert!(std::time::Instant::now() < deadline, "never dead-lettered");
        worker.run_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = hook.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "tried max_attempts times");
    let gap = |i: usize| got[i + 1].2.duration_since(got[i].2);
    // 300 ms then 600 ms, each ±20 %.
    assert!(gap(0) >= Duration::from_millis(230), "first pause {:?}", gap(0));
    assert!(gap(1) >= Duration::from_millis(470), "second pause {:?}", gap(1));
    let outcomes: Vec<String> = sqlx::query_scalar(
        "SELECT a.outcome FROM outbox_attempts a JOIN outbox o ON o.id = a.outbox_id WHERE o.channel = 'webhook' ORDER BY a.attempt",
    )
    .fetch_all(a.t.db.read_pool())
    .await
    .unwrap();
    assert_eq!(outcomes, ["retry", "retry", "dead"]);
    assert_books_sound(&a).await;
});

// Open feeds end as soon as the server begins to stop, so they never hold up a shutdown.
on_both!(open_feeds_do_not_hold_up_a_shutdown, |t: TestDb| async move {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let a = events_app_until(t, async move {
        let _ = stop_rx.await;
    })
    .await;
    let shop = shop(&a, "Omega").await;
    let mut feed = open_feed(&a, &shop.id, &shop.owner, None).await.unwrap();
    let started = std::time::Instant::now();
    stop_tx.send(()).unwrap();
    assert!(feed.next(Duration::from_secs(10)).await.is_none(), "the stream ends");
    assert!(started.elapsed() < Duration::from_secs(3), "ended in {:?}, not after the grace period", started.elapsed());
    assert_books_sound(&a).await;
});

// Plain-HTTP loopback receivers are a development setting: off by default (the API refuses the
// URL) and refused outright for a server listening beyond loopback.
on_both!(loopback_receivers_need_the_development_setting, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Alpha").await;
    let owner = a.step_up_by(&shop.owner, "manage_webhooks", "recovery_code", &shop.codes[0]).await;
    let (status, e) = a
        .post(&format!("/v1/merchants/{}/webhooks", shop.id), json!({ "url": "http://127.0.0.1:9/hook" }), Some(&owner))
        .await;
    assert_eq!((status, e["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some("url")), "{e}");
    let serve = anshin::config::ServeArgs {
        listen: Some("0.0.0.0:8443".parse().unwrap()),
        dev_loopback_webhooks: true,
        ..Default::default()
    };
    let refused = anshin::config::resolve(&Default::default(), &serve).unwrap_err().to_string();
    assert!(refused.contains("--dev-loopback-webhooks"), "{refused}");
    let local = anshin::config::ServeArgs { dev_loopback_webhooks: true, ..Default::default() };
    assert!(anshin::config::resolve(&Default::default(), &local).unwrap().dev_loopback_webhooks);
    assert!(!anshin::config::resolve(&Default::default(), &Default::default()).unwrap().dev_loopback_webhooks);
    assert_books_sound(&a).await;
});

const CSRF: &str = "0123456789abcdef0123456789abcdef";

/// A page or form as the portal's browser sends it (session cookie, CSRF cookie), redirects shown.
async fn portal(
    a: &App,
    method: &str,
    path: &str,
    session: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookie = format!("__Host-anshin_session={session}; __Host-anshin_csrf={CSRF}");
    let url = format!("{}{path}", a.url);
    let req = if method == "GET" { browser.get(url) } else { browser.post(url) };
    let fields: Vec<(&str, &str)> = form.iter().copied().chain([("csrf", CSRF)]).collect();
    let req = if method == "GET" { req } else { req.form(&fields) };
    let resp = req.header("cookie", cookie).header("accept-language", "en").send().await.unwrap();
    let status = resp.status();
    let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, resp.text().await.unwrap())
}

// The portal's payments page lists the merchant's payments with the confirmation code, filters
// and exports them, and carries the live panel (a script file, not inline) whose feed the page's
// session cookie opens; the payment page refunds for an owner after a fresh second factor, never
// for a cashier, and another merchant's staff cannot see it.
on_both!(the_portal_lists_payments_by_code_and_refunds_after_a_step_up, |t: TestDb| async move {
    let a = events_app(t).await;
    let other = shop(&a, "Nu").await;
    let mut shop = shop_named(&a, "Kai").await;
    let (cashier, _) = common::merchant_app::staff(&a, &shop.id, "cashier@kai.example.jp", "cashier").await;
    let w = wallet(&a, "buyer@kai.example.jp", "+819030000031", 10_000, 0).await;
    let paid = pay(&a, &shop, &w, 1, 1_000).await;
    let (id, code) = (paid["id"].as_str().unwrap().to_owned(), paid["confirmation_code"].as_str().unwrap().to_owned());

    let (status, _, list) = portal(&a, "GET", "/merchant/payments", &cashier, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!("<strong>{code}</strong>")), "the code, prominent");
    assert!(list.contains("id=\"live-feed\"") && list.contains("src=\"/static/merchant-feed.js\""));
    assert_eq!(list.matches("<script").count(), list.matches("<script src=").count(), "no inline script");
    let (_, _, filtered) = portal(&a, "GET", "/merchant/payments?status=refunded", &cashier, &[]).await;
    assert!(!filtered.contains(&code) && filtered.contains("id=\"no-payments\""));
    let (_, _, csv) = portal(&a, "GET", "/merchant/payments/export", &cashier, &[]).await;
    assert!(csv.starts_with("id,created_at_ms") && csv.contains(&code), "{csv}");
    let (status, _, js) = portal(&a, "GET", "/static/merchant-feed.js", &cashier, &[]).await;
    assert!(status == StatusCode::OK && js.contains("EventSource") && !js.contains("innerHTML"));
    // The page's EventSource sends the session cookie, not a bearer token.
    let resp = client()
        .get(format!("{}/v1/merchants/{}/events", a.url, shop.id))
        .header("cookie", format!("__Host-anshin_session={cashier}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    drop(resp);

    let page = format!("/merchant/payments/{id}");
    let (_, _, seen_by_cashier) = portal(&a, "GET", &page, &cashier, &[]).await;
    assert!(seen_by_cashier.contains(&code) && !seen_by_cashier.contains("id=\"refund-form\""));
    let refund = format!("{page}/refund");
    let form = [("amount_minor", "400"), ("refund_key", "portal-refund-1"), ("reason", "damaged")];
    let (status, _, _) = portal(&a, "POST", &refund, &cashier, &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a cashier cannot refund");
    let (status, _, _) = portal(&a, "GET", &page, &other.owner, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another merchant's payment does not exist for them");

    let (_, _, seen_by_owner) = portal(&a, "GET", &page, &shop.owner, &[]).await;
    assert!(seen_by_owner.contains("id=\"refund-form\""));
    let (status, location, _) = portal(&a, "POST", &refund, &shop.owner, &form).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/wallet/step-up?action=refund"),
        "a fresh factor first"
    );
    let owner = a.step_up_by(&shop.owner, "refund", "recovery_code", &shop.codes.remove(0)).await;
    let (status, location, _) = portal(&a, "POST", &refund, &owner, &form).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, page.as_str()));
    let (_, _, after) = portal(&a, "GET", &page, &owner, &[]).await;
    assert!(after.contains("data-type=\"payment.partially_refunded\""), "the refund's event is on the page");
    assert_eq!(a.count("SELECT COUNT(*) FROM refunds").await, 1);
    assert_books_sound(&a).await;
});

// A payment that waits tells the merchant so (do not hand the goods over yet), and how it ends:
// a challenged payment the till gives up on is `canceled`, never `succeeded`.
on_both!(a_waiting_payment_tells_the_merchant_each_step, |t: TestDb| async move {
    let a = events_app(t).await;
    let shop = shop(&a, "Eta").await;
    let w = wallet(&a, "big@eta.example.jp", "+819030000041", 200_000, 0).await;
    let mut feed = open_feed(&a, &shop.id, &shop.owner, None).await.unwrap();
    let waiting = pay(&a, &shop, &w, 1, 60_000).await;
    assert_eq!(waiting["status"], "requires_confirmation", "{waiting}");
    let e = feed.next(WAIT).await.expect("the waiting payment's event");
    assert_eq!(
        (e.data["type"].as_str(), e.data["payment"]["id"].as_str()),
        (Some("payment.requires_confirmation"), waiting["id"].as_str())
    );
    let path = format!("/v1/pos/payments/{}/cancel", waiting["id"].as_str().unwrap());
    let (status, canceled) = pos_send(&a, &shop, "POST", &path, "{}", &nonce(), now_secs()).await;
    assert_eq!(status, StatusCode::OK, "{canceled}");
    let e = feed.next(WAIT).await.expect("the cancel's event");
    assert_eq!(e.data["type"], "payment.canceled");
    assert_eq!(e.data["payment"]["confirmation_code"], waiting["confirmation_code"]);
    assert!(feed.next(Duration::from_millis(500)).await.is_none(), "nothing reads as succeeded");
    assert_books_sound(&a).await;
});

// Operators may read a merchant's payments but the live feed is for the merchant's own staff;
// a webhook never follows a redirect to a host the merchant did not register; a disabled
// endpoint is sent nothing, neither queued after it was disabled nor delivered from before.
on_both!(operators_cannot_stream_and_webhooks_go_only_to_enabled_registered_urls, |t: TestDb| async move {
    let a = events_app(t).await;
    let mut shop = shop(&a, "Psi").await;
    let w = wallet(&a, "buyer@psi.example.jp", "+819030000031", 100_000, 0).await;
    let (operator, _) = common::merchant_app::operator(&a, "feed-ops@anshin.example.jp", "admin").await;
    let (status, e) = open_feed(&a, &shop.id, &operator, None).await.err().expect("refused");
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");

    // A receiver that answers with a redirect to another receiver.
    let elsewhere = receiver(200).await;
    let target = elsewhere.url.clone();
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = asked.clone();
    let redirecting = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let target = target.clone();
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move { (axum::http::StatusCode::TEMPORARY_REDIRECT, [(axum::http::header::LOCATION, target)]) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirect_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, redirecting).await });
    let (endpoint, _) = add_webhook(&a, &mut shop, &redirect_url).await;
    pay(&a, &shop, &w, 1, 1_000).await;
    let worker = webhook_worker(&a, WorkerConfig::default());
    worker.run_once().await.unwrap();
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1, "the registered URL was asked");
    assert!(elsewhere.got.lock().unwrap().is_empty(), "the redirect was not followed");

    // Disabled: the delivery queued before it is not sent, and nothing new is queued.
    let owner = a.step_up_by(&shop.owner, "manage_webhooks", "recovery_code", &shop.codes.remove(0)).await;
    let path = format!("/v1/merchants/{}/webhooks/{endpoint}/disabling", shop.id);
    assert_eq!(a.post(&path, json!({}), Some(&owner)).await.0, StatusCode::NO_CONTENT);
    let queued = a.count("SELECT COUNT(*) FROM outbox WHERE channel = 'webhook'").await;
    pay(&a, &shop, &w, 2, 1_000).await;
    assert_eq!(a.count("SELECT COUNT(*) FROM outbox WHERE channel = 'webhook'").await, queued, "nothing new queued");
    sqlx::query("UPDATE outbox SET next_attempt_at_ms = 0 WHERE channel = 'webhook'")
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    worker.run_once().await.unwrap();
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1, "a disabled endpoint is sent nothing");
    assert!(elsewhere.got.lock().unwrap().is_empty());
    assert_books_sound(&a).await;
});
