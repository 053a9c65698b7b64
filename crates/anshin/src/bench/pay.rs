//! `anshin bench pay`: customer-presented payments end to end over HTTP on loopback: a signed
//! POS request, the code check, the decision point, the journal with its payment row, counter,
//! audit record and notice, committed durably. The server runs on this process's runtime; the
//! tills run on a thread and runtime of their own, sharing the machine's cores with the server
//! (so the figure is pessimistic, not flattering). Printed next to `bench ledger`'s transfer rate
//! measured in the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;

use super::{Measurement, bench_identity, signed_in_user_numbered, summarise};
use crate::http::{self, AppState, HttpConfig};
use crate::identity::Client;
use crate::ledger::{AccountKind, Command, Currency, Ledger};
use crate::merchants::credentials::pos_signature;
use crate::merchants::{Merchants, MerchantsConfig, NewMerchant};
use crate::payments::{Payments, PaymentsConfig, codes};
use crate::storage::{Db, ids::random_hex_128, now_ms};

pub const TARGET_PER_SEC: f64 = 3_000.0;
pub const TARGET_P99_MS: f64 = 50.0;

/// A till's view of one wallet device: it makes the customer's codes.
struct Device {
    number: i64,
    secret: Vec<u8>,
    counter: i64,
}

pub(super) struct Till {
    pub(super) key_id: String,
    pub(super) secret: String,
    merchant_id: String,
}

/// Set up a merchant, `wallets` funded wallets with device keys, and serve; then `clients` tills
/// charge ¥100..¥2,000 for `duration`.
pub async fn run(url: &str, clients: usize, wallets: usize, duration: Duration) -> anyhow::Result<(Measurement, u64)> {
    let db = Db::open(url).await?.with_keys(crate::keys::Keys::random());
    let keys = db.keys().cloned().expect("set above");
    let hasher = crate::identity::password::PasswordHasher::new(
        crate::identity::password::HashParams::OWASP_MINIMUM,
        crate::identity::password::PasswordHasher::default_workers(),
        64,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let identity = bench_identity(&db, hasher);
    let (ledger, ledger_task) = Ledger::start(db.clone());
    let merchants =
        Merchants::new(db.clone(), keys.clone(), identity.clone(), ledger.clone(), MerchantsConfig::default());
    let payments =
        Payments::new(db.clone(), keys.clone(), ledger.clone(), merchants.clone(), PaymentsConfig::default());
    let till = till(&db, &merchants).await?;
    let devices = devices(&db, &identity, &payments, &ledger, wallets).await?;
    let feed = watch_feed(&payments, &till.merchant_id).await?;

    let state =
        AppState::new(db.clone(), HttpConfig { max_in_flight: 1_024, ..HttpConfig::default() }, None, false, false)
            .with_identity(identity)
            .with_ledger(ledger.clone())
            .with_merchants(merchants)
            .with_payments(payments);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let router = http::router(state);
    let server = tokio::spawn(async move {
        http::serve(listener, router, None, &HttpConfig::default(), std::future::pending()).await
    });
    let load = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(tills(base_url, till, devices, clients, duration))
    });
    let outcome = tokio::task::spawn_blocking(move || load.join()).await?;
    // The last payments' events are still on their way (well within a second).
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    feed.task.abort();
    let delays_us = std::mem::take(&mut *feed.delays_us.lock().expect("not poisoned"));
    let engine = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let received = delays_us.len();
    let delay = summarise(delays_us, duration.as_secs_f64());
    println!(
        "  feed ({engine}): live feed delay, event written to event received by a portal's subscription, \
         over {received} payment events during the load: p50 {:.1} ms, p99 {:.1} ms (target p99 < 1000 ms)",
        delay.p50_ms, delay.p99_ms
    );
    server.abort();
    let report = ledger.verify().await?;
    anyhow::ensure!(report.ok(), "the books do not balance after the bench: {:?}", report.problems);
    drop(ledger);
    let _ = ledger_task.await;
    db.close().await;
    outcome.map_err(|_| anyhow::anyhow!("the tills panicked"))?
}

/// One active merchant with a store and a POS key, made through the service (as the CLI and the
/// portal would) except the store and key rows, which need a signed-in owner there.
pub(super) async fn till(db: &Db, merchants: &Merchants) -> anyhow::Result<Till> {
    let new = NewMerchant {
        legal_name: "ベンチ商店".into(),
        legal_name_kana: "ベンチシヨウテン".into(),
        mcc: "5411".into(),
        contact_email: "bench@example.jp".into(),
        fee_rate_bp: None,
    };
    let m = merchants.create_active(&new).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let store_id = format!("sto_bench{}", &random_hex_128()[..8]);
    let mut tx = db.begin_write().await?;
    let store = crate::merchants::store::NewStoreRow {
        id: &store_id,
        merchant_id: &m.id,
        name: "本店",
        postal_code: "1000001",
        address: "東京都",
        now_ms: now_ms(),
    };
    crate::merchants::store::insert_store(&mut tx, &store, 10).await?;
    let key_id = format!("pk_bench{}", &random_hex_128()[..8]);
    let secret = format!("ansk_{}{}", random_hex_128(), random_hex_128());
    let sealed = db.keys().expect("bench keys").seal_credential(&secret, &key_id);
    let digest = crate::keys::token_hash(&secret);
    let row = crate::merchants::store_credentials::NewPosKey {
        id: &key_id,
        merchant_id: &m.id,
        store_id: &store_id,
        label: "bench",
        digest: &digest,
        sealed_secret: &sealed,
        created_by: "bench",
    };
    crate::merchants::store_credentials::insert_pos_key(&mut tx, &row, 10, now_ms()).await?;
    tx.commit().await?;
    Ok(Till { key_id, secret, merchant_id: m.id })
}

/// Wallets registered through the real flow, each with a device key and ¥10,000,000 of money.
async fn devices(
    db: &Db,
    identity: &crate::identity::Identity,
    payments: &Payments,
    ledger: &Ledger,
    wallets: usize,
) -> anyhow::Result<Vec<Device>> {
    let jpy = Currency::jpy();
    let bank = ledger.system_account(AccountKind::BankClearing, &jpy).await?;
    let mut devices = Vec::with_capacity(wallets);
    for i in 0..wallets {
        let token = signed_in_user_numbered(db, identity, &format!("payer{i}"), i).await?;
        let who = identity.authenticate(&token).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let device = payments.provision_device(&who, &Client::default()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let accounts = payments.wallets().accounts(&who.user_id).await?;
        let key = format!("bench-fund-{}", who.user_id);
        ledger.submit(Command::transfer(key, &bank, &accounts.money, &jpy, 10_000_000, "top_up")).await?;
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(device.secret)?;
        devices.push(Device { number: device.device_number, secret, counter: 0 });
    }
    Ok(devices)
}

/// A cashier's live feed of the bench merchant, as an open portal page has it, recording for
/// each event how long after it was written (`created_at_ms`, set just before its journal is
/// submitted, so the figure includes the commit) it was received.
struct FeedWatch {
    task: tokio::task::JoinHandle<()>,
    delays_us: Arc<std::sync::Mutex<Vec<u64>>>,
}

async fn watch_feed(payments: &Payments, merchant_id: &str) -> anyhow::Result<FeedWatch> {
    use crate::identity::{AccountKind, Principal};
    let cashier = Principal {
        user_id: "bench-cashier".into(),
        session_id: "bench-feed".into(),
        device_id: String::new(),
        authenticated_at_ms: now_ms(),
        kind: AccountKind::MerchantStaff,
        role: "cashier".into(),
        org_ref: merchant_id.to_owned(),
        scope: "full".into(),
    };
    let mut sub = payments
        .live_events(&cashier, merchant_id, None, &Client::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let delays_us: Arc<std::sync::Mutex<Vec<u64>>> = Arc::default();
    let record = delays_us.clone();
    let task = tokio::spawn(async move {
        while let Ok(item) = sub.next().await {
            if let crate::payments::feed::FeedItem::Event(e) = item {
                let us = u64::try_from((now_ms() - e.created_at_ms).max(0) * 1000).unwrap_or(0);
                record.lock().expect("not poisoned").push(us);
            }
        }
    });
    Ok(FeedWatch { task, delays_us })
}

/// `clients` tills, each with its own devices (a device's counter is one till's to advance).
async fn tills(
    base_url: String,
    till: Till,
    devices: Vec<Device>,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<(Measurement, u64)> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    let till = Arc::new(till);
    let stop = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicU64::new(0));
    let mut per_client: Vec<Vec<Device>> = (0..clients).map(|_| Vec::new()).collect();
    for (i, d) in devices.into_iter().enumerate() {
        per_client[i % clients].push(d);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (client, mut mine) in per_client.into_iter().enumerate() {
        let (http, till, stop, refused, url) =
            (http.clone(), till.clone(), stop.clone(), refused.clone(), base_url.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies_us = Vec::new();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) && !mine.is_empty() {
                let len = mine.len();
                let device = &mut mine[n % len];
                device.counter += 1;
                let amount = 100 + ((client * 7919 + n * 104_729) % 1_900) as i64;
                let t = Instant::now();
                let ok = charge(&http, &url, &till, device, amount).await?;
                latencies_us.push(t.elapsed().as_micros() as u64);
                if !ok {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
            anyhow::Ok(latencies_us)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let refused = refused.load(Ordering::Relaxed);
    let mut m = summarise(all, started.elapsed().as_secs_f64());
    m.ops = m.ops.saturating_sub(refused);
    Ok((m, refused))
}

/// One signed customer-presented payment; whether it succeeded.
async fn charge(http: &reqwest::Client, url: &str, till: &Till, device: &Device, amount: i64) -> anyhow::Result<bool> {
    let now_secs = now_ms() / 1000;
    let code = codes::encode_qr(&device.secret, device.number, device.counter, now_secs);
    let body =
        serde_json::json!({ "customer_code": code, "amount_minor": amount, "currency": "JPY", "terminal_id": "bench" })
            .to_string();
    let (ts, nonce) = (now_secs.to_string(), random_hex_128());
    let signature = pos_signature(&till.secret, "POST", "/v1/pos/payments", &ts, &nonce, body.as_bytes());
    let resp = http
        .post(format!("{url}/v1/pos/payments"))
        .header("content-type", "application/json")
        .header("Anshin-Key", &till.key_id)
        .header("Anshin-Timestamp", ts)
        .header("Anshin-Nonce", nonce)
        .header("Anshin-Signature", signature)
        .body(body)
        .send()
        .await?;
    let ok = resp.status() == reqwest::StatusCode::CREATED;
    let _ = resp.bytes().await?;
    Ok(ok)
}
