//! Simulators of the systems at Anshin's edge, each its own HTTP server in its own process
//! (`anshin sim …`), so the service reaches them exactly as it will reach the real ones: over
//! the network, with credentials, time-outs and answers it must parse. Nothing inside the
//! service short-circuits them.
//!
//! `bank`: a Japanese bank with account inquiries, debits from linked accounts (top-ups) and
//! Zengin total-transfer files (payouts), in memory. See docs/BANK-SIMULATOR.md.
//!
//! `card-network`: EMV 3-D Secure 2 (directory and access control servers) and card
//! authorisations, outcomes chosen by the test card's number. See docs/CARD-NETWORK.md.
//!
//! `ekyc`: an identity-verification provider (document and selfie checks), outcomes chosen by
//! the document number's last digit. See docs/EKYC-SIMULATOR.md.

mod accounts;
mod auth;
mod bank;
mod books;
pub mod card_network;
pub mod ekyc;
mod error;

use std::future::Future;
use std::net::SocketAddr;

use clap::{Args, Subcommand};

pub use accounts::{TEST_ACCOUNTS, TestAccount};
pub use bank::MAX_FILE_BYTES;
pub use books::{MAX_ACCOUNTS, MAX_DEBITS, MAX_FILE_RECORDS_KEPT, MAX_FILES};

/// The default per-debit limit: the most a wallet may hold (100万円, PAYMENTS-DOMAIN.md §5), so no
/// plausible top-up meets it and a test reaches it with one amount.
pub const DEFAULT_DEBIT_LIMIT_MINOR: i64 = 1_000_000;
pub const DEFAULT_CONFIRM_DELAY_MS: u64 = 200;
/// Longer delays only make tests wait; an hour is past any use.
pub const MAX_CONFIRM_DELAY_MS: u64 = 3_600_000;
/// The key travels in every request; a short one could be guessed by anything on the host.
pub const MIN_API_KEY_CHARS: usize = 16;

#[derive(Subcommand)]
pub enum SimCmd {
    /// A Japanese bank over HTTP: account inquiries, debits, Zengin transfer files (in memory).
    Bank(BankArgs),
    /// A card network: 3-D Secure 2 DS and ACS, card verification and authorisations (in memory).
    CardNetwork(CardNetworkArgs),
    /// An eKYC provider: document and selfie checks decided by the document number (in memory).
    Ekyc(EkycArgs),
}

#[derive(Args)]
pub struct EkycArgs {
    #[arg(long, default_value = "127.0.0.1:9300")]
    listen: SocketAddr,
    /// The bearer key every request must carry (at least 16 characters). Prefer the environment:
    /// a flag shows in the process list.
    #[arg(long, env = "ANSHIN_EKYC_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Listen beyond loopback (plain HTTP: the key and people's document data cross the network
    /// in the clear).
    #[arg(long)]
    allow_remote: bool,
    /// How long a check stays pending before its document number's outcome shows.
    #[arg(long, default_value_t = ekyc::DEFAULT_DECISION_DELAY_MS)]
    decision_delay_ms: u64,
}

#[derive(Args)]
pub struct CardNetworkArgs {
    #[arg(long, default_value = "127.0.0.1:9200")]
    listen: SocketAddr,
    /// The bearer key the service sends, and the simulator sends back with its RReq (at least
    /// 16 characters). Prefer the environment: a flag shows in the process list.
    #[arg(long, env = "ANSHIN_CARD_NETWORK_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Listen beyond loopback (plain HTTP: the key and card numbers cross the network in the clear).
    #[arg(long)]
    allow_remote: bool,
    /// How long the directory server stalls for a timeout test card.
    #[arg(long, default_value_t = card_network::DEFAULT_DS_TIMEOUT_DELAY_MS)]
    ds_timeout_delay_ms: u64,
    /// How long after the ARes a decoupled (D) authentication is approved.
    #[arg(long, default_value_t = card_network::DEFAULT_DECOUPLED_DELAY_MS)]
    decoupled_delay_ms: u64,
    /// vcard: Anshin's base URL as issuer of its virtual cards (plain HTTP on loopback), where
    /// `/sim/merchant/purchase` sends authorisations for numbers under `--issuer-bin`.
    #[arg(long, env = "ANSHIN_ISSUER_URL")]
    issuer_url: Option<String>,
    #[arg(long, default_value = card_network::DEFAULT_ISSUER_BIN)]
    issuer_bin: String,
}

#[derive(Args)]
pub struct BankArgs {
    #[arg(long, default_value = "127.0.0.1:9100")]
    listen: SocketAddr,
    /// The bearer key every request must carry (at least 16 characters). Prefer the environment:
    /// a flag shows in the process list.
    #[arg(long, env = "ANSHIN_BANK_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Listen beyond loopback. The simulator speaks plain HTTP, so the key crosses the network
    /// in the clear.
    #[arg(long)]
    allow_remote: bool,
    /// How long debits and transfer files stay pending; 0 decides them at once.
    #[arg(long, default_value_t = DEFAULT_CONFIRM_DELAY_MS)]
    confirm_delay_ms: u64,
    /// A single debit above this many yen is refused `limit_exceeded`.
    #[arg(long, default_value_t = DEFAULT_DEBIT_LIMIT_MINOR)]
    debit_limit_minor: i64,
}

/// How a bank simulator behaves. `Debug` never shows the key.
#[derive(Clone)]
pub struct BankSimConfig {
    pub api_key: String,
    pub confirm_delay_ms: u64,
    pub debit_limit_minor: i64,
}

impl BankSimConfig {
    /// The defaults of `anshin sim bank`, with this key.
    pub fn new(api_key: impl Into<String>) -> BankSimConfig {
        BankSimConfig {
            api_key: api_key.into(),
            confirm_delay_ms: DEFAULT_CONFIRM_DELAY_MS,
            debit_limit_minor: DEFAULT_DEBIT_LIMIT_MINOR,
        }
    }

    pub fn check(&self) -> Result<(), String> {
        let key = &self.api_key;
        if key.chars().count() < MIN_API_KEY_CHARS || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("the API key must be at least {MIN_API_KEY_CHARS} visible ASCII characters"));
        }
        if self.confirm_delay_ms > MAX_CONFIRM_DELAY_MS {
            return Err(format!("the confirm delay is at most {MAX_CONFIRM_DELAY_MS} ms"));
        }
        if self.debit_limit_minor < 1 {
            return Err("the per-debit limit must be at least 1 yen".into());
        }
        Ok(())
    }
}

impl std::fmt::Debug for BankSimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankSimConfig")
            .field("api_key", &"<redacted>")
            .field("confirm_delay_ms", &self.confirm_delay_ms)
            .field("debit_limit_minor", &self.debit_limit_minor)
            .finish()
    }
}

/// Serves the bank simulator on `listener` until the process ends.
pub async fn serve_bank(listener: tokio::net::TcpListener, config: BankSimConfig) -> std::io::Result<()> {
    serve_bank_until(listener, config, std::future::pending()).await
}

/// Serves the bank simulator until `shutdown` completes, letting open requests finish.
pub async fn serve_bank_until(
    listener: tokio::net::TcpListener,
    config: BankSimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    config.check().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    axum::serve(listener, bank::router(&config)).with_graceful_shutdown(shutdown).await
}

pub async fn run(cmd: SimCmd) -> anyhow::Result<()> {
    let args = match cmd {
        SimCmd::Bank(args) => args,
        SimCmd::CardNetwork(args) => return run_card_network(args).await,
        SimCmd::Ekyc(args) => return run_ekyc(args).await,
    };
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "refusing to listen on {}: the bank simulator speaks plain HTTP and belongs on loopback. \
             Give --allow-remote to listen there anyway.",
            args.listen
        );
    }
    let config = BankSimConfig {
        api_key: args.api_key,
        confirm_delay_ms: args.confirm_delay_ms,
        debit_limit_minor: args.debit_limit_minor,
    };
    config.check().map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    announce(listener.local_addr()?, &config);
    serve_bank_until(listener, config, crate::server::shutdown_signal()).await?;
    Ok(())
}

async fn run_card_network(args: CardNetworkArgs) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "refusing to listen on {}: the card network simulator speaks plain HTTP and belongs on loopback. \
             Give --allow-remote to listen there anyway.",
            args.listen
        );
    }
    let config = card_network::CardNetworkConfig {
        api_key: args.api_key,
        ds_timeout_delay_ms: args.ds_timeout_delay_ms,
        decoupled_delay_ms: args.decoupled_delay_ms,
        issuer_url: args.issuer_url,
        issuer_bin: args.issuer_bin,
    };
    config.check().map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    card_network::announce(listener.local_addr()?, &config);
    card_network::serve_card_network_until(listener, config, crate::server::shutdown_signal()).await?;
    Ok(())
}

async fn run_ekyc(args: EkycArgs) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "refusing to listen on {}: the eKYC simulator speaks plain HTTP and belongs on loopback. \
             Give --allow-remote to listen there anyway.",
            args.listen
        );
    }
    let config = ekyc::EkycSimConfig { api_key: args.api_key, decision_delay_ms: args.decision_delay_ms };
    config.check().map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    ekyc::announce(listener.local_addr()?, &config);
    ekyc::serve_ekyc_until(listener, config, crate::server::shutdown_signal()).await?;
    Ok(())
}

fn announce(local: SocketAddr, config: &BankSimConfig) {
    use crate::i18n::yen;
    println!("Bank simulator listening on http://{local}");
    println!(
        "  every request needs Authorization: Bearer <the API key>; decisions after {} ms; one debit at most {}",
        config.confirm_delay_ms,
        yen(config.debit_limit_minor)
    );
    println!("  test accounts (bank branch type number holder balance):");
    for t in TEST_ACCOUNTS {
        let bank = zengin::bank(t.bank_code).map_or("?", |b| b.name);
        let branch = zengin::branch(t.bank_code, t.branch_code).map_or("?", |b| b.name);
        println!(
            "    {} {bank} {} {branch} {} {} {} {}: {}",
            t.bank_code,
            t.branch_code,
            t.account_type.as_str(),
            t.account_number,
            t.holder_name,
            yen(t.balance_minor),
            t.purpose
        );
    }
    println!(
        "  any number ending in 9 refuses debits (insufficient_funds), in 8 is closed; unknown numbers: no_such_account"
    );
    println!("  docs/BANK-SIMULATOR.md has the endpoints. Stop with Ctrl-C.");
    tracing::info!(%local, "bank simulator listening");
}
