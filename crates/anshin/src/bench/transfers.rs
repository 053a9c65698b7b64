//! `anshin bench transfers`: transfers between wallets per second end to end over HTTP
//! (`POST /v1/me/transfers`: session, payee token, verified identities, limits, the payee's holding
//! cap, the cooling-off check, the journal, the transfer row and two e-mails in the outbox, each
//! committed durably). The wallets are registered through the real flow, marked verified in the
//! store (the eKYC round trip is not what is measured), funded through the ledger, and each
//! looks its payee up once. Server and clients share the machine's cores, so the figure is
//! pessimistic.

use std::sync::Arc;
use std::time::Duration;

use super::{Measurement, bench_identity, run_clients, signed_in_user_numbered};
use crate::http::{self, AppState, HttpConfig};
use crate::ledger::{AccountKind, Command, Currency, Ledger};
use crate::storage::Db;
use crate::transfers::{Transfers, TransfersConfig};
use crate::wallets::Wallets;

/// Each wallet starts with this much money (the holding cap is lifted for the bench).
const FUNDING_MINOR: i64 = 10_000_000;

/// Transfers per second over HTTP with `clients` wallets, each sending ¥1 to the next.
pub async fn transfers(url: &str, clients: usize, duration: Duration) -> anyhow::Result<Measurement> {
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
    // Limits lifted: the bench measures capacity, not the limits (which tests cover).
    let unlimited = i64::MAX / 4;
    let config = TransfersConfig {
        daily_limit_minor: unlimited,
        monthly_limit_minor: unlimited,
        holding_cap_minor: unlimited,
        payee_lookups_per_hour: unlimited,
        ..TransfersConfig::default()
    };
    let transfers = Transfers::new(db.clone(), keys, identity.clone(), ledger.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let state =
        AppState::new(db.clone(), HttpConfig { max_in_flight: 1_024, ..HttpConfig::default() }, None, false, false)
            .with_identity(identity.clone())
            .with_ledger(ledger.clone())
            .with_transfers(transfers);
    let router = http::router(state);
    let server = tokio::spawn(async move {
        http::serve(listener, router, None, &HttpConfig::default(), std::future::pending()).await
    });

    let clients = clients.max(2);
    let wallets = Wallets::new(db.clone(), ledger.clone());
    let jpy = Currency::jpy();
    let bank = ledger.system_account(AccountKind::BankClearing, &jpy).await?;
    let mut tokens = Vec::new();
    for n in 0..clients {
        let tag = format!("transfer{n}");
        let token = signed_in_user_numbered(&db, &identity, &tag, 70_000_000 + n).await?;
        let user = crate::identity::store::users::by_email(&db, &format!("bench-{tag}@example.jp"))
            .await?
            .ok_or_else(|| anyhow::anyhow!("the bench user is missing"))?;
        verify(&db, &user.id, n).await?;
        let money = wallets.accounts(&user.id).await?.money;
        let fund = Command::transfer(format!("bench-fund:{n}"), &bank, &money, &jpy, FUNDING_MINOR, "bench_funding");
        ledger.submit(crate::ledger::Request::from(fund)).await?;
        tokens.push((token, format!("bench-{tag}@example.jp")));
    }
    // The writer stops only once every handle is gone; this one is not needed past set-up.
    drop(wallets);
    let http_client = reqwest::Client::new();
    let mut senders = Vec::new();
    for (n, (token, _)) in tokens.iter().enumerate() {
        let payee_email = &tokens[(n + 1) % clients].1;
        let found: serde_json::Value = http_client
            .post(format!("{base_url}/v1/me/transfers/payees"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "email": payee_email }))
            .send()
            .await?
            .json()
            .await?;
        let payee_token = found["payee_token"].as_str().unwrap_or_default().to_owned();
        anyhow::ensure!(!payee_token.is_empty(), "a bench payee was not found: {found}");
        senders.push((token.clone(), payee_token));
    }
    let senders = Arc::new(senders);
    let (http_client, base) = (http_client.clone(), base_url.clone());
    let measured = run_clients(clients, duration, move |client, _| {
        let (http_client, base, senders) = (http_client.clone(), base.clone(), senders.clone());
        async move {
            let (token, payee_token) = &senders[client];
            let answer: serde_json::Value = http_client
                .post(format!("{base}/v1/me/transfers"))
                .bearer_auth(token)
                .json(&serde_json::json!({ "payee_token": payee_token, "amount_minor": 1 }))
                .send()
                .await?
                .json()
                .await?;
            anyhow::ensure!(answer["direction"] == "sent", "a bench transfer was not sent: {answer}");
            Ok(())
        }
    })
    .await;
    server.abort();
    let report = ledger.verify().await?;
    anyhow::ensure!(report.ok(), "the books do not balance after the bench: {:?}", report.problems);
    drop(ledger);
    let _ = ledger_task.await;
    db.close().await;
    measured
}

/// The bench's users count as verified (the eKYC round trip is measured by nothing here).
async fn verify(db: &Db, user_id: &str, n: usize) -> anyhow::Result<()> {
    use crate::identity::store::verification::{PersonData, VerifiedRow, insert_verified};
    let row = VerifiedRow {
        user_id: user_id.to_owned(),
        data: PersonData {
            full_name: format!("Bench User{n}"),
            full_name_kana: "ﾍﾞﾝﾁ ﾕｰｻﾞｰ".into(),
            date_of_birth: "1990-01-01".into(),
            address: "Tokyo".into(),
        },
        method: "manual".into(),
        verification_id: format!("bench-{n}"),
        provider_check_id: String::new(),
        decided_by: "bench".into(),
        verified_at_ms: crate::storage::now_ms(),
    };
    let mut tx = db.begin_write().await?;
    insert_verified(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(())
}
