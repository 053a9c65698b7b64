//! `anshin serve`: wire the contexts together and run until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Settings;
use crate::funding::Funding;
use crate::http::{self, AppState};
use crate::identity::password::{HashParams, PasswordHasher};
use crate::identity::{Identity, IdentityConfig};
use crate::ledger::Ledger;
use crate::merchants::{Merchants, MerchantsConfig};
use crate::notify::{OutboxWorker, RetentionConfig, Transport};
use crate::payments::{Payments, PaymentsConfig};
use crate::settlement::{SettlementConfig, Settlements};
use crate::storage::Db;

/// How often expired HTTP idempotency keys, stale sign-in state and old outbox messages are
/// purged; idempotency keys themselves live at least 24 h.
const IDEMPOTENCY_PURGE_INTERVAL_SECS: u64 = 3_600;
const IDEMPOTENCY_RETENTION_SECS: i64 = 48 * 3_600;
/// Password checks waiting for a hashing worker before new ones are refused with 503.
const PASSWORD_HASH_QUEUE: usize = 64;

pub async fn run(mut settings: Settings, shutdown: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
    let metrics = crate::telemetry::metrics_handle();
    let keys = crate::keys::Keys::load(&settings.db.data_dir)?;
    let db = Db::open(&settings.db.database_url)
        .await
        .with_context(|| format!("cannot open database {}", crate::storage::redact_url(&settings.db.database_url)))?
        .with_keys(keys.clone());
    let loopback = http::is_loopback(&settings.listen);
    let acceptor = tls_acceptor(&settings, loopback)?;
    let mut transport = match &settings.smtp {
        Some(smtp) => Transport::smtp(smtp)?,
        None => Transport::dev_mailbox(db.clone()),
    };
    if let Some(sms) = &settings.sms {
        transport = transport.with_sms(sms.clone())?;
    }
    let webhooks =
        crate::notify::webhook::WebhookSender::new(db.clone(), keys.clone(), settings.dev_loopback_webhooks)?;
    transport = transport.with_webhooks(webhooks);
    let dev_mailbox = transport.is_dev_mailbox() && loopback;
    if settings.demo {
        // The demo prints passwords and seeds accounts anyone on the network could use.
        anyhow::ensure!(
            loopback && dev_mailbox && acceptor.is_none(),
            "--demo runs only on a loopback address, over plain HTTP, with the dev mailbox (no SMTP or SMS settings)"
        );
        if settings.bank.is_none() {
            settings.bank = Some(demo_bank().await?);
        }
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = tokio::spawn(OutboxWorker::new(db.clone(), transport, settings.outbox.clone()).run(stop_rx.clone()));
    let (ledger, ledger_task) = Ledger::start(db.clone());
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, PasswordHasher::default_workers(), PASSWORD_HASH_QUEUE)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let identity_config = IdentityConfig {
        public_url: settings.public_url.clone(),
        breach_check_url: settings.breach_check_url.clone(),
        ..IdentityConfig::default()
    };
    let mut identity =
        Identity::new(db.clone(), keys.clone(), hasher, identity_config).map_err(|e| anyhow::anyhow!(e))?;
    if let Some(ekyc) = &settings.ekyc {
        identity = identity.with_ekyc(ekyc.client().map_err(|e| anyhow::anyhow!("the eKYC provider: {e}"))?);
    }
    let merchants_config =
        MerchantsConfig { allow_loopback_webhooks: settings.dev_loopback_webhooks, ..MerchantsConfig::default() };
    let merchants = Merchants::new(db.clone(), keys.clone(), identity.clone(), ledger.clone(), merchants_config);
    let payments =
        Payments::new(db.clone(), keys.clone(), ledger.clone(), merchants.clone(), PaymentsConfig::default());
    let bank = settings.bank.as_ref().map(|b| b.client()).transpose().map_err(|e| anyhow::anyhow!("the bank: {e}"))?;
    let settlement_config = SettlementConfig { cutoff: settings.settlement_cutoff, ..SettlementConfig::default() };
    let settlements = Settlements::new(db.clone(), ledger.clone(), merchants.clone(), bank.clone(), settlement_config);
    let withdrawals = crate::withdrawals::Withdrawals::new(
        db.clone(),
        identity.clone(),
        ledger.clone(),
        bank.clone(),
        crate::withdrawals::WithdrawalsConfig::default(),
    );
    let transfers_config = crate::transfers::TransfersConfig {
        holding_cap_minor: settings.funding.holding_cap_minor,
        ..crate::transfers::TransfersConfig::for_licence(settings.transfer_licence)
    };
    let transfers =
        crate::transfers::Transfers::new(db.clone(), keys.clone(), identity.clone(), ledger.clone(), transfers_config);
    let funding = Funding::new(db.clone(), identity.clone(), ledger.clone(), bank, settings.funding.clone());
    // Pending top-ups are settled by this worker (and by any GET of one); with several servers
    // each polls, which is safe: the bank debit and the credit are both idempotent.
    let top_ups = funding.has_bank().then(|| tokio::spawn(funding.clone().run_worker(stop_rx.clone())));
    // Pending identity checks are asked about here (and by any GET of one); several servers may
    // poll at once: each decision is taken from `pending` once. It runs without a provider too,
    // so checks left pending time out into review.
    let verifications = tokio::spawn(identity.clone().run_verification_worker(stop_rx.clone()));
    // Queued withdrawals are sent and the bank's results read here; several servers may run it:
    // claiming is one statement and each verdict moves a withdrawal on from `sent` once.
    let payouts = withdrawals.has_bank().then(|| tokio::spawn(withdrawals.clone().run_worker(stop_rx.clone())));
    // The key that signs store codes exists from the first start (servers starting together agree on one).
    payments.qr_keys().signer().await.map_err(|e| anyhow::anyhow!("cannot prepare the QR signing key: {e}"))?;
    let sweep = tokio::spawn(sweep(identity.clone(), payments.clone(), stop_rx.clone()));
    let purge = tokio::spawn(purge_expired(db.clone(), settings.outbox_retention.clone(), stop_rx.clone()));

    let listener =
        TcpListener::bind(settings.listen).await.with_context(|| format!("cannot listen on {}", settings.listen))?;
    let local = listener.local_addr()?;
    let cards = build_cards(&settings, local, &db, &identity, &ledger)?;
    // Challenges nobody finished and authorisations whose answer was lost are moved on here.
    let card_sweep = tokio::spawn(cards.clone().run_worker(CARD_SWEEP_INTERVAL_MS, stop_rx.clone()));
    announce(&settings, local, acceptor.is_some(), dev_mailbox, &db);
    if settings.demo {
        let (db, merchants, data_dir) = (db.clone(), merchants.clone(), settings.db.data_dir.clone());
        let base = format!("http://{local}");
        tokio::spawn(async move {
            match crate::demo::seed(&base, &db, &merchants, &data_dir).await {
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("the demo could not be seeded: {e:#}"),
            }
        });
    }

    let state = AppState::new(db.clone(), settings.http.clone(), metrics, dev_mailbox, acceptor.is_some())
        .with_ledger(ledger.clone())
        .with_identity(identity)
        .with_merchants(merchants)
        .with_payments(payments)
        .with_settlements(settlements)
        .with_funding(funding)
        .with_cards(cards)
        .with_transfers(transfers)
        .with_withdrawals(withdrawals);
    let app = http::router(state);
    let ledger_failed = Arc::new(AtomicBool::new(false));
    let stop_when = {
        let (ledger, failed) = (ledger.clone(), ledger_failed.clone());
        async move {
            tokio::select! {
                _ = shutdown => {}
                _ = ledger.stopped() => {
                    tracing::error!("the ledger writer stopped unexpectedly; shutting down so no money moves");
                    failed.store(true, Ordering::SeqCst);
                }
            }
        }
    };
    http::serve(listener, app, acceptor, &settings.http, stop_when).await?;

    let _ = stop_tx.send(true);
    let _ = worker.await;
    let _ = purge.await;
    let _ = sweep.await;
    if let Some(top_ups) = top_ups {
        let _ = top_ups.await;
    }
    let _ = card_sweep.await;
    if let Some(payouts) = payouts {
        let _ = payouts.await;
    }
    let _ = verifications.await;
    // The writer drains its queue and stops once the last handle is gone; a connection that
    // outlived the grace period may still hold one, so do not wait for ever.
    drop(ledger);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), ledger_task).await;
    db.close().await;
    anyhow::ensure!(!ledger_failed.load(Ordering::SeqCst), "the ledger writer failed");
    tracing::info!("stopped");
    Ok(())
}

/// How often stuck card top-ups and abandoned challenges are looked for.
const CARD_SWEEP_INTERVAL_MS: u64 = 5_000;

/// The card vault (its keys in the data directory, or `ANSHIN_VAULT_KEYS`) and, with
/// `--card-network-url`, the network client.
fn build_cards(
    settings: &Settings,
    local: SocketAddr,
    db: &Db,
    identity: &Identity,
    ledger: &Ledger,
) -> anyhow::Result<crate::cards::Cards> {
    let vault = vault::Vault::open_dir(&settings.db.data_dir).map_err(|e| anyhow::anyhow!("the card vault: {e}"))?;
    // The network's RReq and the cardholder's browser come back to this URL: with `--listen
    // …:0` the default public URL names port 0, so the port the listener got takes its place.
    let mut public_url = settings.public_url.clone();
    if let Ok(mut url) = url::Url::parse(&public_url)
        && url.port() == Some(0)
        && url.set_port(Some(local.port())).is_ok()
    {
        public_url = url.to_string().trim_end_matches('/').to_owned();
    }
    let config =
        crate::cards::CardsConfig { public_url, virtual_cards: settings.virtual_cards.clone(), ..Default::default() };
    let network = settings
        .card_network
        .as_ref()
        .map(|n| {
            let timeout = std::time::Duration::from_millis(config.ds_timeout_ms);
            let client = vault::NetworkClient::new(&n.base_url, timeout)
                .map_err(|e| anyhow::anyhow!("--card-network-url: {e}"))?
                .with_api_key(&n.api_key);
            Ok::<_, anyhow::Error>(crate::cards::CardNetwork {
                client: Arc::new(client),
                api_key: n.api_key.as_str().into(),
            })
        })
        .transpose()?;
    let keys = db.keys().cloned().context("the database carries the server keys")?;
    Ok(crate::cards::Cards::new(db.clone(), keys, identity.clone(), ledger.clone(), Arc::new(vault), network, config))
}

/// `--demo` without `--bank-url`: the bank simulator inside this process, on a loopback port.
async fn demo_bank() -> anyhow::Result<crate::bank::BankConfig> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let api_key = crate::storage::ids::random_hex_128();
    let config = crate::sim::BankSimConfig::new(api_key.clone());
    tokio::spawn(async move {
        if let Err(e) = crate::sim::serve_bank(listener, config).await {
            tracing::error!(error = %e, "the demo's bank simulator stopped");
        }
    });
    println!("Demo bank simulator listening on {url} (docs/BANK-SIMULATOR.md lists its test accounts)");
    crate::bank::BankConfig::new(&url, &api_key).map_err(|e| anyhow::anyhow!("the demo bank: {e}"))
}

fn tls_acceptor(settings: &Settings, loopback: bool) -> anyhow::Result<Option<tokio_rustls::TlsAcceptor>> {
    let paths = match (&settings.tls, settings.tls_self_signed) {
        (Some(paths), _) => Some(paths.clone()),
        (None, true) => {
            let hosts = vec!["localhost".to_owned(), settings.listen.ip().to_string()];
            Some(http::tls::self_signed(&settings.db.data_dir, hosts)?)
        }
        (None, false) if !loopback => anyhow::bail!(
            "refusing to listen on {} without TLS: outside loopback every connection must be encrypted. \
             Give --tls-cert and --tls-key, or --tls-self-signed for a development certificate.",
            settings.listen
        ),
        (None, false) => None,
    };
    paths.map(|(cert, key)| http::tls::acceptor(&cert, &key)).transpose()
}

fn announce(settings: &Settings, local: SocketAddr, tls: bool, dev_mailbox: bool, db: &Db) {
    let scheme = if tls { "https" } else { "http" };
    let host = if local.ip().is_unspecified() { "localhost".to_owned() } else { local.ip().to_string() };
    let host = if local.is_ipv6() && host != "localhost" { format!("[{host}]") } else { host };
    println!("Anshin is listening on {scheme}://{host}:{}/", local.port());
    println!("  database: {}", db.url_redacted());
    println!("  health:   {scheme}://{host}:{}/healthz", local.port());
    if dev_mailbox {
        println!(
            "  mailbox:  {scheme}://{host}:{}/dev/mailbox (no SMTP configured: e-mail and SMS land here; also `anshin mailbox`)",
            local.port()
        );
    }
    println!(
        "  wallet:   {scheme}://{host}:{}/register creates a wallet account (codes arrive in the mailbox)",
        local.port()
    );
    println!(
        "  operator: create the first one with: anshin admin create-operator --email you@example.com --name \"Your Name\""
    );
    println!("Stop with Ctrl-C; open requests are allowed to finish.");
    tracing::info!(%local, tls, data_dir = %settings.db.data_dir.display(), "listening");
}

/// Identity's background work: unlocks whose cooling-off is over, and owners to tell that
/// someone knows their password.
/// Also forgets POS nonces too old to be accepted again (at the payment rate they pile up fast),
/// and voids payments that waited for a confirmation or an analyst longer than allowed.
async fn sweep(identity: Identity, payments: Payments, mut stop: watch::Receiver<bool>) {
    let interval = std::time::Duration::from_secs(crate::identity::SWEEP_INTERVAL_SECS);
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = identity.sweep().await {
                    tracing::warn!(error = %e, "identity sweep failed");
                }
                if let Err(e) = payments.purge_nonces().await {
                    tracing::warn!(error = %e, "purging POS nonces failed");
                }
                if let Err(e) = payments.expire_waiting().await {
                    tracing::warn!(error = %e, "voiding expired waiting payments failed");
                }
                if let Err(e) = payments.purge_scans().await {
                    tracing::warn!(error = %e, "purging expired scans failed");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

async fn purge_expired(db: Db, retention: RetentionConfig, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(IDEMPOTENCY_PURGE_INTERVAL_SECS));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = http::idempotency::purge_expired(&db, IDEMPOTENCY_RETENTION_SECS).await {
                    tracing::warn!(error = %e, "purging idempotency keys failed");
                }
                if let Err(e) = crate::identity::purge_stale_state(&db).await {
                    tracing::warn!(error = %e, "purging stale sign-in state failed");
                }
                // The whole chain, once an hour; pages show this result instead of walking it.
                match crate::audit::check_and_record(&db, "system").await {
                    Ok(check) if !check.ok => tracing::error!(problems = ?check.problems, "the audit chain is broken"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "verifying the audit chain failed"),
                }
                // Each run is bounded; run again while rows are still due.
                loop {
                    match crate::notify::purge_expired(&db, &retention).await {
                        Ok(report) if report.more && !*stop.borrow() => continue,
                        Ok(_) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "purging old outbox messages failed");
                            break;
                        }
                    }
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested");
}
