//! `anshin bench cards`: the vault's envelope encryption per second, and card top-ups end to end
//! over HTTP through the card-network simulator: the top-up row and its limits, the AReq and ARes
//! (3-D Secure, frictionless), the authorisation, and the ledger's credit to the lite balance,
//! each committed durably. The wallets' cards are registered first through the real flow
//! (verification with the security code, 3-D Secure). Server, simulator and clients share the
//! machine's cores, so the figure is pessimistic.

use std::sync::Arc;
use std::time::Duration;

use super::{Measurement, bench_identity, run_clients, signed_in_user_numbered};
use crate::cards::{CardNetwork, CardTestingLimits, Cards, CardsConfig};
use crate::http::{self, AppState, HttpConfig};
use crate::ledger::Ledger;
use crate::sim::card_network::{CardNetworkConfig, TestBrand, serve_card_network_until, test_card_number};
use crate::storage::Db;

const NETWORK_KEY: &str = "bench-network-key-0123456789";

/// Seals and opens per second (one card each), on this thread.
pub fn vault_rates() -> (f64, f64) {
    vault::bench_seal_open(20_000)
}

/// Card top-ups per second over HTTP with `clients` wallets, each with its own card.
pub async fn top_ups(url: &str, clients: usize, duration: Duration) -> anyhow::Result<Measurement> {
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

    let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let network_url = format!("http://{}", sim_listener.local_addr()?);
    let sim = tokio::spawn(serve_card_network_until(
        sim_listener,
        CardNetworkConfig::new(NETWORK_KEY),
        std::future::pending(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let client = vault::NetworkClient::new(&network_url, Duration::from_secs(3))
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_api_key(NETWORK_KEY);
    let network = CardNetwork { client: Arc::new(client), api_key: NETWORK_KEY.into() };
    // Limits off: the bench measures capacity, not the limits (which tests cover).
    let unlimited = i64::MAX / 4;
    let config = CardsConfig {
        public_url: base_url.clone(),
        per_top_up_limit_minor: 1_000_000,
        daily_limit_per_user_minor: unlimited,
        monthly_limit_per_user_minor: unlimited,
        daily_limit_per_card_minor: unlimited,
        monthly_limit_per_card_minor: unlimited,
        top_ups_per_minute_signal: unlimited,
        testing: CardTestingLimits {
            attempts_per_user_per_day: unlimited,
            failures_per_user_per_day: unlimited,
            failures_per_device_per_day: unlimited,
            failures_per_address_per_hour: unlimited,
            failures_per_network_per_hour: unlimited,
            failures_per_bin_per_hour: unlimited,
            failures_per_number_per_day: unlimited,
            global_failures_per_window: unlimited,
            global_window_secs: 300,
        },
        ..CardsConfig::default()
    };
    let vault = vault::Vault::new(vault::KeyRing::generate());
    let cards = Cards::new(db.clone(), keys, identity.clone(), ledger.clone(), Arc::new(vault), Some(network), config);
    let state =
        AppState::new(db.clone(), HttpConfig { max_in_flight: 1_024, ..HttpConfig::default() }, None, false, false)
            .with_identity(identity.clone())
            .with_ledger(ledger.clone())
            .with_cards(cards);
    let router = http::router(state);
    let server = tokio::spawn(async move {
        http::serve(listener, router, None, &HttpConfig::default(), std::future::pending()).await
    });

    let http_client = reqwest::Client::new();
    let mut wallets = Vec::new();
    for n in 0..clients {
        let token = signed_in_user_numbered(&db, &identity, &format!("card{n}"), 60_000_000 + n).await?;
        // Frictionless cards (`000k`), one per wallet: the middle digits tell them apart.
        let number = frictionless(n);
        let added: serde_json::Value = http_client
            .post(format!("{base_url}/v1/me/cards"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "number": number, "exp_month": 12, "exp_year": 2030, "security_code": "123" }))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(added["status"] == "active", "a bench card was not registered: {added}");
        wallets.push((token, added["id"].as_str().unwrap_or_default().to_owned()));
    }
    let wallets = Arc::new(wallets);
    let (http_client, base) = (http_client.clone(), base_url.clone());
    let measured = run_clients(clients, duration, move |client, n| {
        let (http_client, base, wallets) = (http_client.clone(), base.clone(), wallets.clone());
        async move {
            let (token, card_id) = &wallets[client];
            let amount = 500 + (n as i64 % 10) * 100;
            let answer: serde_json::Value = http_client
                .post(format!("{base}/v1/me/card-top-ups"))
                .bearer_auth(token)
                .json(&serde_json::json!({ "card_id": card_id, "amount_minor": amount }))
                .send()
                .await?
                .json()
                .await?;
            anyhow::ensure!(answer["status"] == "credited", "a bench top-up was not credited: {answer}");
            Ok(())
        }
    })
    .await;
    server.abort();
    sim.abort();
    let report = ledger.verify().await?;
    anyhow::ensure!(report.ok(), "the books do not balance after the bench: {:?}", report.problems);
    drop(ledger);
    let _ = ledger_task.await;
    db.close().await;
    measured
}

/// The `n`th frictionless Visa test card: BIN, `n` in the middle digits, then `000k`.
fn frictionless(n: usize) -> String {
    let bin = &test_card_number(TestBrand::Visa, 0, 0, 0)[..6];
    let body = format!("{bin}{:06}000", n % 1_000_000);
    let check = vault::luhn::check_digit(&body).expect("digits");
    format!("{body}{check}")
}
