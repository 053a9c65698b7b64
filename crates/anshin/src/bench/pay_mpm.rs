//! `anshin bench pay`, merchant-presented: each sale is the whole exchange over HTTP on loopback:
//! the till asks for a dynamic code (a signed POS request: Ed25519 signing, the request row and
//! its audit record), the wallet scans it (EMVCo decode, signature check, merchant and store
//! checks, the scan row) and pays it (the decision point and the journal with the payment row,
//! the request and scan claimed, audit record and notice). Latency is from the till's request to
//! the wallet's answer: the three round trips a real sale takes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::pay::{Till, till};
use super::{Measurement, bench_identity, signed_in_user_numbered, summarise};
use crate::http::{self, AppState, HttpConfig};
use crate::ledger::{AccountKind, Command, Currency, Ledger};
use crate::merchants::credentials::pos_signature;
use crate::merchants::{Merchants, MerchantsConfig};
use crate::payments::{Payments, PaymentsConfig};
use crate::storage::{Db, ids::random_hex_128, now_ms};

/// Set up a merchant with a till and `wallets` funded wallets, serve, then `clients` tills sell
/// to them for `duration`.
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
    let jpy = Currency::jpy();
    let bank = ledger.system_account(AccountKind::BankClearing, &jpy).await?;
    let mut tokens = Vec::with_capacity(wallets);
    for i in 0..wallets {
        let token = signed_in_user_numbered(&db, &identity, &format!("scanner{i}"), i).await?;
        let who = identity.authenticate(&token).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let accounts = payments.wallets().accounts(&who.user_id).await?;
        let key = format!("bench-fund-{}", who.user_id);
        ledger.submit(Command::transfer(key, &bank, &accounts.money, &jpy, 10_000_000, "top_up")).await?;
        tokens.push(token);
    }
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
        rt.block_on(sell(base_url, till, tokens, clients, duration))
    });
    let outcome = tokio::task::spawn_blocking(move || load.join()).await?;
    server.abort();
    let report = ledger.verify().await?;
    anyhow::ensure!(report.ok(), "the books do not balance after the bench: {:?}", report.problems);
    drop(ledger);
    let _ = ledger_task.await;
    db.close().await;
    outcome.map_err(|_| anyhow::anyhow!("the tills panicked"))?
}

async fn sell(
    base_url: String,
    till: Till,
    tokens: Vec<String>,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<(Measurement, u64)> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients * 2).build()?;
    let (till, tokens) = (Arc::new(till), Arc::new(tokens));
    let stop = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (http, till, tokens, stop, refused, url) =
            (http.clone(), till.clone(), tokens.clone(), stop.clone(), refused.clone(), base_url.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies_us = Vec::new();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let token = &tokens[(client + n * clients) % tokens.len()];
                let amount = 100 + ((client * 7919 + n * 104_729) % 1_900) as i64;
                let t = Instant::now();
                if !sale(&http, &url, &till, token, amount).await? {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                latencies_us.push(t.elapsed().as_micros() as u64);
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

/// One dynamic-code sale; whether it was paid.
async fn sale(http: &reqwest::Client, url: &str, till: &Till, token: &str, amount: i64) -> anyhow::Result<bool> {
    let body = serde_json::json!({ "amount_minor": amount, "currency": "JPY", "terminal_id": "bench" }).to_string();
    let (ts, nonce) = ((now_ms() / 1000).to_string(), random_hex_128());
    let path = "/v1/pos/payment-requests";
    let signature = pos_signature(&till.secret, "POST", path, &ts, &nonce, body.as_bytes());
    let resp = http
        .post(format!("{url}{path}"))
        .header("content-type", "application/json")
        .header("Anshin-Key", &till.key_id)
        .header("Anshin-Timestamp", ts)
        .header("Anshin-Nonce", nonce)
        .header("Anshin-Signature", signature)
        .body(body)
        .send()
        .await?;
    if resp.status() != reqwest::StatusCode::CREATED {
        return Ok(false);
    }
    let request: serde_json::Value = resp.json().await?;
    let scan = http
        .post(format!("{url}/v1/me/scans"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "payload": request["payload"] }))
        .send()
        .await?;
    if scan.status() != reqwest::StatusCode::CREATED {
        return Ok(false);
    }
    let scan: serde_json::Value = scan.json().await?;
    let id = scan["id"].as_str().unwrap_or_default();
    let paid = http
        .post(format!("{url}/v1/me/scans/{id}/payment"))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await?;
    let ok = paid.status() == reqwest::StatusCode::CREATED;
    let _ = paid.bytes().await?;
    Ok(ok)
}
