//! Configuration from flags, environment and an optional TOML file, in that order of precedence,
//! over secure defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Deserialize;

use crate::http::HttpConfig;
use crate::notify::{RetentionConfig, SmtpConfig, WorkerConfig};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "anshin-data";

/// Where the data lives; shared by every subcommand that opens the database.
#[derive(Debug, Clone, Args, Default)]
pub struct DbArgs {
    /// Optional TOML configuration file (flags and environment win over it).
    #[arg(long, env = "ANSHIN_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Directory for the embedded database and generated files; created on first start.
    #[arg(long, env = "ANSHIN_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// `postgres://user@host/db` for PostgreSQL; default: SQLite in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on. Anything but loopback requires TLS.
    #[arg(long, env = "ANSHIN_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// PEM certificate chain for TLS.
    #[arg(long, env = "ANSHIN_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, env = "ANSHIN_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Generate (once) and use a self-signed development certificate in the data directory.
    #[arg(long, env = "ANSHIN_TLS_SELF_SIGNED")]
    pub tls_self_signed: bool,
    /// Seed a demo merchant, cashier and wallet (with a test bank run inside the process unless
    /// --bank-url is given) and print how to sign in as each. Loopback and the dev mailbox only.
    #[arg(long)]
    pub demo: bool,
    /// SMTP server for e-mail; without it messages go to the local dev mailbox.
    #[arg(long, env = "ANSHIN_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, env = "ANSHIN_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    #[arg(long, env = "ANSHIN_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// Read from the environment only, so it never shows in a process list.
    #[arg(skip)]
    pub smtp_password: Option<String>,
    #[arg(long, env = "ANSHIN_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// Requests worked on at once; more are answered 503 with Retry-After.
    #[arg(long, env = "ANSHIN_MAX_IN_FLIGHT")]
    pub max_in_flight: Option<usize>,
    #[arg(long, env = "ANSHIN_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    #[arg(long, env = "ANSHIN_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Open connections at once; more are closed at once.
    #[arg(long, env = "ANSHIN_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// A connection that sends nothing, or idles between requests, is closed after this long.
    #[arg(long, env = "ANSHIN_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Proxies (addresses or CIDR networks, comma-separated) whose `Forwarded` or
    /// `X-Forwarded-For` headers name the client. None by default: the TCP peer is the client.
    #[arg(long, env = "ANSHIN_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// How long a delivery claim lasts before another worker may retry the message.
    #[arg(long, env = "ANSHIN_OUTBOX_LEASE_SECS")]
    pub outbox_lease_secs: Option<i64>,
    #[arg(long, env = "ANSHIN_OUTBOX_POLL_MS")]
    pub outbox_poll_ms: Option<u64>,
    #[arg(long, env = "ANSHIN_OUTBOX_BACKOFF_BASE_MS")]
    pub outbox_backoff_base_ms: Option<i64>,
    /// Days delivered messages, their attempts and dev-mailbox copies are kept (default 30).
    #[arg(long, env = "ANSHIN_OUTBOX_RETENTION_DAYS")]
    pub outbox_retention_days: Option<i64>,
    /// Days dead (undeliverable) messages are kept after they were queued (default 90).
    #[arg(long, env = "ANSHIN_OUTBOX_DEAD_RETENTION_DAYS")]
    pub outbox_dead_retention_days: Option<i64>,
    /// The site's public origin (passkeys are bound to it). Default: http(s)://localhost:<port>.
    #[arg(long, env = "ANSHIN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// k-anonymity breached-password range API (e.g. https://api.pwnedpasswords.com); off by default.
    #[arg(long, env = "ANSHIN_BREACH_CHECK_URL")]
    pub breach_check_url: Option<String>,
    /// HTTP SMS gateway (Twilio-style Messages API) base URL; without it SMS goes to the dev mailbox.
    #[arg(long, env = "ANSHIN_SMS_URL")]
    pub sms_url: Option<String>,
    #[arg(long, env = "ANSHIN_SMS_ACCOUNT")]
    pub sms_account: Option<String>,
    /// Sender number or name.
    #[arg(long, env = "ANSHIN_SMS_FROM")]
    pub sms_from: Option<String>,
    /// The bank API's base URL (`anshin sim bank` in development); plain HTTP on loopback only.
    #[arg(long, env = "ANSHIN_BANK_URL")]
    pub bank_url: Option<String>,
    /// The bank API's bearer key. Never read from the file; prefer the environment, since a
    /// flag shows in the process list.
    #[arg(long, env = "ANSHIN_BANK_API_KEY", hide_env_values = true)]
    pub bank_api_key: Option<String>,
    /// The card network's base URL (`anshin sim card-network` in development): 3-D Secure and
    /// authorisations for card top-ups. Plain HTTP on loopback only (no TLS client in this build).
    #[arg(long, env = "ANSHIN_CARD_NETWORK_URL")]
    pub card_network_url: Option<String>,
    /// The card network's bearer key (it also proves the network's RReq). Never read from the file.
    #[arg(long, env = "ANSHIN_CARD_NETWORK_API_KEY", hide_env_values = true)]
    pub card_network_api_key: Option<String>,
    /// The eKYC provider's base URL (`anshin sim ekyc` in development): identity document and
    /// selfie checks. Plain HTTP on loopback only. Without it, identity verification submissions
    /// answer 503 (operators can still decide those in review).
    #[arg(long, env = "ANSHIN_EKYC_URL")]
    pub ekyc_url: Option<String>,
    /// The eKYC provider's bearer key (at least 16 characters). Never read from the file.
    #[arg(long, env = "ANSHIN_EKYC_API_KEY", hide_env_values = true)]
    pub ekyc_api_key: Option<String>,
    /// When a business day ends for settlement, Japan time (HH:MM; default 00:00).
    #[arg(long, env = "ANSHIN_SETTLEMENT_CUTOFF")]
    pub settlement_cutoff: Option<String>,
    /// The fund-transfer licence held (type1, type2 or type3), which caps one transfer at no limit,
    /// 1,000,000 or 50,000 yen (default type2).
    #[arg(long, env = "ANSHIN_TRANSFER_LICENCE")]
    pub transfer_licence: Option<String>,
    /// The most a wallet's money balance may hold, in yen (default 1,000,000).
    #[arg(long, env = "ANSHIN_HOLDING_CAP_MINOR")]
    pub holding_cap_minor: Option<i64>,
    /// The most one top-up may be, in yen (default 500,000).
    #[arg(long, env = "ANSHIN_TOP_UP_LIMIT_MINOR")]
    pub top_up_limit_minor: Option<i64>,
    /// The most one user may top up per JST day, in yen (default 1,000,000).
    #[arg(long, env = "ANSHIN_DAILY_TOP_UP_LIMIT_MINOR")]
    pub daily_top_up_limit_minor: Option<i64>,
    /// Development and tests only: accept and deliver to webhook URLs on loopback over plain
    /// `http://` (otherwise every endpoint is `https://` on a public host name). Refused unless
    /// the server itself listens on loopback. Never read from the file.
    #[arg(long, env = "ANSHIN_DEV_LOOPBACK_WEBHOOKS")]
    pub dev_loopback_webhooks: bool,
    // vcard (issue 8 item 8): the wallets' virtual cards.
    /// The BIN Anshin issues virtual cards under (6 to 8 digits; default 356400, which the card
    /// network simulator routes to Anshin as issuer).
    #[arg(long, env = "ANSHIN_VIRTUAL_CARD_BIN")]
    pub virtual_card_bin: Option<String>,
    /// Days an approved virtual card purchase may wait for the shop's clearing before its hold
    /// is released (1 to 29; default 7).
    #[arg(long, env = "ANSHIN_VIRTUAL_CARD_HOLD_DAYS")]
    pub virtual_card_hold_days: Option<i64>,
    /// Tests only: seconds a revealed number stays on the page (1 to 60; it can only be shorter).
    #[arg(long, env = "ANSHIN_VIRTUAL_CARD_REVEAL_SECS", hide = true)]
    pub virtual_card_reveal_secs: Option<u64>,
}

/// The file's shape: the same names as the flags, with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_self_signed: Option<bool>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_username: Option<String>,
    smtp_from: Option<String>,
    max_in_flight: Option<usize>,
    request_timeout_secs: Option<u64>,
    max_body_bytes: Option<usize>,
    max_connections: Option<usize>,
    idle_timeout_secs: Option<u64>,
    trusted_proxies: Option<String>,
    outbox_lease_secs: Option<i64>,
    outbox_poll_ms: Option<u64>,
    outbox_backoff_base_ms: Option<i64>,
    outbox_retention_days: Option<i64>,
    outbox_dead_retention_days: Option<i64>,
    public_url: Option<String>,
    breach_check_url: Option<String>,
    sms_url: Option<String>,
    sms_account: Option<String>,
    sms_from: Option<String>,
    bank_url: Option<String>,
    card_network_url: Option<String>,
    ekyc_url: Option<String>,
    settlement_cutoff: Option<String>,
    transfer_licence: Option<String>,
}

fn read_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

/// Resolved database location.
#[derive(Debug, Clone)]
pub struct DbSettings {
    pub data_dir: PathBuf,
    pub database_url: String,
}

impl DbArgs {
    pub fn resolve(&self) -> anyhow::Result<DbSettings> {
        let file = read_file(self.config.as_deref())?;
        resolve_db(self, &file)
    }
}

/// What `anshin settle` shares with the server: the business day's cut-off and the bank, from
/// its flags (or environment), else from the same config file `serve` reads, so that a cron job
/// given only `--config` settles the days the server closes, with the server's bank.
pub fn settle_settings(
    db: &DbArgs,
    cutoff: Option<String>,
    bank_url: Option<String>,
) -> anyhow::Result<(Option<String>, Option<String>)> {
    let file = read_file(db.config.as_deref())?;
    Ok((cutoff.or(file.settlement_cutoff), bank_url.or(file.bank_url)))
}

fn resolve_db(args: &DbArgs, file: &FileConfig) -> anyhow::Result<DbSettings> {
    let data_dir = args.data_dir.clone().or(file.data_dir.clone()).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let database_url = match args.database_url.clone().or(file.database_url.clone()) {
        Some(url) => url,
        None => format!("sqlite://{}", data_dir.join("anshin.db").display()),
    };
    Ok(DbSettings { data_dir, database_url })
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub db: DbSettings,
    /// `--demo`: seed demo accounts once the server listens (see `demo`).
    pub demo: bool,
    pub listen: SocketAddr,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub tls_self_signed: bool,
    pub smtp: Option<SmtpConfig>,
    pub http: HttpConfig,
    pub outbox: WorkerConfig,
    pub outbox_retention: RetentionConfig,
    pub public_url: String,
    pub breach_check_url: Option<String>,
    pub sms: Option<crate::notify::SmsConfig>,
    /// The bank API, when `--bank-url` is given.
    pub bank: Option<crate::bank::BankConfig>,
    /// The card network (URL and key), when `--card-network-url` is given.
    pub card_network: Option<CardNetworkSettings>,
    /// The eKYC provider (URL and key), when `--ekyc-url` is given.
    pub ekyc: Option<EkycSettings>,
    /// When a business day ends (Japan time).
    pub settlement_cutoff: crate::settlement::Cutoff,
    /// Holding cap and top-up limits.
    pub funding: crate::funding::FundingConfig,
    /// The fund-transfer licence, which caps one transfer.
    pub transfer_licence: crate::transfers::Licence,
    /// Webhooks to `http://127.0.0.1…` allowed (development only; loopback servers only).
    pub dev_loopback_webhooks: bool,
    /// vcard: the issuer BIN, hold expiry and reveal time of virtual cards.
    pub virtual_cards: crate::cards::VirtualCardsConfig,
}

pub fn resolve(db: &DbArgs, serve: &ServeArgs) -> anyhow::Result<Settings> {
    let file = read_file(db.config.as_deref())?;
    let db_settings = resolve_db(db, &file)?;
    let listen = serve.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default"));
    let cert = serve.tls_cert.clone().or(file.tls_cert);
    let key = serve.tls_key.clone().or(file.tls_key);
    let tls = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => anyhow::bail!("--tls-cert and --tls-key must be given together"),
    };
    let smtp = match serve.smtp_host.clone().or(file.smtp_host) {
        None => None,
        Some(host) => Some(SmtpConfig {
            host,
            port: serve.smtp_port.or(file.smtp_port).unwrap_or(587),
            username: serve.smtp_username.clone().or(file.smtp_username),
            password: std::env::var("ANSHIN_SMTP_PASSWORD").ok(),
            from: serve
                .smtp_from
                .clone()
                .or(file.smtp_from)
                .unwrap_or_else(|| "Anshin <no-reply@anshin.invalid>".into()),
            timeout_secs: 30,
        }),
    };
    let defaults = HttpConfig::default();
    let http = HttpConfig {
        max_in_flight: serve.max_in_flight.or(file.max_in_flight).unwrap_or(defaults.max_in_flight).max(1),
        request_timeout_secs: serve
            .request_timeout_secs
            .or(file.request_timeout_secs)
            .unwrap_or(defaults.request_timeout_secs)
            .max(1),
        max_body_bytes: serve.max_body_bytes.or(file.max_body_bytes).unwrap_or(defaults.max_body_bytes),
        max_connections: serve.max_connections.or(file.max_connections).unwrap_or(defaults.max_connections).max(1),
        idle_timeout_secs: serve
            .idle_timeout_secs
            .or(file.idle_timeout_secs)
            .unwrap_or(defaults.idle_timeout_secs)
            .max(1),
        trusted_proxies: parse_trusted_proxies(serve.trusted_proxies.clone().or(file.trusted_proxies).as_deref())?,
        ..defaults
    };
    let worker_defaults = WorkerConfig::default();
    let outbox = WorkerConfig {
        lease_secs: serve.outbox_lease_secs.or(file.outbox_lease_secs).unwrap_or(worker_defaults.lease_secs).max(1),
        poll_interval_ms: serve.outbox_poll_ms.or(file.outbox_poll_ms).unwrap_or(worker_defaults.poll_interval_ms),
        backoff_base_ms: serve
            .outbox_backoff_base_ms
            .or(file.outbox_backoff_base_ms)
            .unwrap_or(worker_defaults.backoff_base_ms)
            .max(1),
        ..worker_defaults
    };
    let retention_defaults = RetentionConfig::default();
    let outbox_retention = RetentionConfig {
        delivered_days: serve
            .outbox_retention_days
            .or(file.outbox_retention_days)
            .unwrap_or(retention_defaults.delivered_days),
        dead_days: serve
            .outbox_dead_retention_days
            .or(file.outbox_dead_retention_days)
            .unwrap_or(retention_defaults.dead_days),
    };
    anyhow::ensure!(
        outbox_retention.delivered_days >= 1 && outbox_retention.dead_days >= 1,
        "--outbox-retention-days and --outbox-dead-retention-days must be at least 1"
    );
    let tls_on = tls.is_some() || serve.tls_self_signed || file.tls_self_signed.unwrap_or(false);
    let public_url = serve
        .public_url
        .clone()
        .or(file.public_url)
        .unwrap_or_else(|| format!("{}://localhost:{}", if tls_on { "https" } else { "http" }, listen.port()));
    Ok(Settings {
        db: db_settings,
        public_url,
        breach_check_url: serve.breach_check_url.clone().or(file.breach_check_url),
        sms: match serve.sms_url.clone().or(file.sms_url) {
            None => None,
            Some(base_url) => Some(crate::notify::SmsConfig {
                base_url,
                account: serve.sms_account.clone().or(file.sms_account).unwrap_or_default(),
                // The token is a secret: environment only, never a flag or the file.
                token: std::env::var("ANSHIN_SMS_TOKEN").unwrap_or_default(),
                from: serve.sms_from.clone().or(file.sms_from).unwrap_or_else(|| "Anshin".into()),
                timeout_secs: 10,
            }),
        },
        bank: resolve_bank(serve.bank_url.clone().or(file.bank_url), serve.bank_api_key.as_deref())?,
        card_network: resolve_card_network(
            serve.card_network_url.clone().or(file.card_network_url),
            serve.card_network_api_key.as_deref(),
        )?,
        ekyc: resolve_ekyc(serve.ekyc_url.clone().or(file.ekyc_url), serve.ekyc_api_key.as_deref())?,
        settlement_cutoff: match serve.settlement_cutoff.clone().or(file.settlement_cutoff) {
            None => crate::settlement::Cutoff::MIDNIGHT,
            Some(s) => crate::settlement::Cutoff::parse(&s).map_err(|e| anyhow::anyhow!("--settlement-cutoff: {e}"))?,
        },
        funding: resolve_funding(serve)?,
        transfer_licence: match serve.transfer_licence.clone().or(file.transfer_licence) {
            None => crate::transfers::Licence::Type2,
            Some(s) => crate::transfers::Licence::parse(&s)
                .ok_or_else(|| anyhow::anyhow!("--transfer-licence: {s:?} is not type1, type2 or type3"))?,
        },
        demo: serve.demo,
        listen,
        tls,
        tls_self_signed: serve.tls_self_signed || file.tls_self_signed.unwrap_or(false),
        smtp,
        http,
        outbox,
        outbox_retention,
        dev_loopback_webhooks: dev_loopback_webhooks(serve.dev_loopback_webhooks, listen)?,
        virtual_cards: resolve_virtual_cards(serve)?,
    })
}

/// vcard: the virtual card flags over their defaults, each checked.
fn resolve_virtual_cards(serve: &ServeArgs) -> anyhow::Result<crate::cards::VirtualCardsConfig> {
    use crate::cards::virtual_card::model::{MAX_HOLD_DAYS, REVEAL_SHOWN_SECS};
    let defaults = crate::cards::VirtualCardsConfig::default();
    let bin = serve.virtual_card_bin.clone().unwrap_or(defaults.issuer_bin);
    let bin_ok = (6..=8).contains(&bin.len()) && bin.bytes().all(|b| b.is_ascii_digit());
    anyhow::ensure!(
        bin_ok && vault::Brand::from_bin(&bin).is_some(),
        "--virtual-card-bin: 6 to 8 digits of a known brand"
    );
    let days = serve.virtual_card_hold_days.unwrap_or(crate::cards::virtual_card::model::DEFAULT_HOLD_DAYS);
    anyhow::ensure!((1..=MAX_HOLD_DAYS).contains(&days), "--virtual-card-hold-days must be 1 to {MAX_HOLD_DAYS}");
    let secs = serve.virtual_card_reveal_secs.unwrap_or(REVEAL_SHOWN_SECS);
    anyhow::ensure!((1..=REVEAL_SHOWN_SECS).contains(&secs), "--virtual-card-reveal-secs must be 1 to 60");
    Ok(crate::cards::VirtualCardsConfig { issuer_bin: bin, hold_ttl_secs: days * 24 * 3600, reveal_shown_secs: secs })
}

/// The funding limits: each flag replaces its default; each must be 1 yen to the most one debit
/// may ask for.
fn resolve_funding(serve: &ServeArgs) -> anyhow::Result<crate::funding::FundingConfig> {
    let defaults = crate::funding::FundingConfig::default();
    let config = crate::funding::FundingConfig {
        holding_cap_minor: serve.holding_cap_minor.unwrap_or(defaults.holding_cap_minor),
        per_top_up_limit_minor: serve.top_up_limit_minor.unwrap_or(defaults.per_top_up_limit_minor),
        daily_top_up_limit_minor: serve.daily_top_up_limit_minor.unwrap_or(defaults.daily_top_up_limit_minor),
        ..defaults
    };
    let max = crate::bank::MAX_DEBIT_MINOR;
    for (name, value) in [
        ("--holding-cap-minor", config.holding_cap_minor),
        ("--top-up-limit-minor", config.per_top_up_limit_minor),
        ("--daily-top-up-limit-minor", config.daily_top_up_limit_minor),
    ] {
        anyhow::ensure!((1..=max).contains(&value), "{name} must be 1 to {max} yen");
    }
    Ok(config)
}

/// Plain-HTTP loopback webhooks are a development convenience; a server reachable from other
/// machines refuses to start with them rather than quietly weakening its webhook rules.
fn dev_loopback_webhooks(asked: bool, listen: SocketAddr) -> anyhow::Result<bool> {
    anyhow::ensure!(
        !asked || listen.ip().is_loopback(),
        "--dev-loopback-webhooks is for development on loopback only; {listen} is not loopback"
    );
    Ok(asked)
}

/// A bank URL needs its key. A key alone is ignored: `ANSHIN_BANK_API_KEY` may be set for the
/// simulator in the same shell.
pub fn resolve_bank(url: Option<String>, api_key: Option<&str>) -> anyhow::Result<Option<crate::bank::BankConfig>> {
    let Some(url) = url else { return Ok(None) };
    let key = api_key.context("--bank-url needs --bank-api-key (or ANSHIN_BANK_API_KEY)")?;
    let config =
        crate::bank::BankConfig::new(&url, key).map_err(|e| anyhow::anyhow!("--bank-url / --bank-api-key: {e}"))?;
    Ok(Some(config))
}

/// Where the card network is and the key both directions carry. `Debug` never shows the key.
#[derive(Clone)]
pub struct CardNetworkSettings {
    pub base_url: String,
    pub api_key: String,
}

impl std::fmt::Debug for CardNetworkSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardNetworkSettings").field("base_url", &self.base_url).field("api_key", &"<redacted>").finish()
    }
}

/// A card network URL needs its key, and (card numbers travel on it, and the vault's client has
/// no TLS stack) plain HTTP on loopback: the same rules as the bank's and the eKYC provider's.
pub fn resolve_card_network(url: Option<String>, api_key: Option<&str>) -> anyhow::Result<Option<CardNetworkSettings>> {
    let Some(url) = url else { return Ok(None) };
    let key = api_key.context("--card-network-url needs --card-network-api-key (or ANSHIN_CARD_NETWORK_API_KEY)")?;
    let parsed =
        crate::edge::loopback_http_url(&url, "card network").map_err(|e| anyhow::anyhow!("--card-network-url: {e}"))?;
    crate::edge::bearer_header(key, "card network", crate::sim::MIN_API_KEY_CHARS)
        .map_err(|e| anyhow::anyhow!("--card-network-api-key: {e}"))?;
    Ok(Some(CardNetworkSettings {
        base_url: parsed.as_str().trim_end_matches('/').to_owned(),
        api_key: key.to_owned(),
    }))
}

/// Where the eKYC provider is and its key. `Debug` never shows the key.
#[derive(Clone)]
pub struct EkycSettings {
    pub base_url: String,
    pub api_key: String,
}

impl EkycSettings {
    pub fn client(&self) -> Result<crate::identity::kyc::EkycClient, crate::identity::kyc::EkycError> {
        crate::identity::kyc::EkycClient::new(&self.base_url, &self.api_key)
    }
}

impl std::fmt::Debug for EkycSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EkycSettings").field("base_url", &self.base_url).field("api_key", &"<redacted>").finish()
    }
}

/// An eKYC URL needs its key, and (plain HTTP carrying people's identity data) a loopback host,
/// checked as the client checks them so a bad setting stops the start. A key alone is ignored:
/// `ANSHIN_EKYC_API_KEY` may be set for the simulator in the same shell.
pub fn resolve_ekyc(url: Option<String>, api_key: Option<&str>) -> anyhow::Result<Option<EkycSettings>> {
    let Some(url) = url else { return Ok(None) };
    let key = api_key.context("--ekyc-url needs --ekyc-api-key (or ANSHIN_EKYC_API_KEY)")?;
    let base_url =
        crate::identity::kyc::client::check_base_url(&url).map_err(|e| anyhow::anyhow!("--ekyc-url: {e}"))?;
    crate::identity::kyc::client::check_api_key(key).map_err(|e| anyhow::anyhow!("--ekyc-api-key: {e}"))?;
    Ok(Some(EkycSettings { base_url, api_key: key.to_owned() }))
}

/// `10.0.0.0/8, 192.0.2.7` → networks; a bare address is itself only. Anything else is an error,
/// never silently ignored (a typo here would make every client look like the proxy).
fn parse_trusted_proxies(list: Option<&str>) -> anyhow::Result<Vec<ipnet::IpNet>> {
    let Some(list) = list else { return Ok(Vec::new()) };
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .with_context(|| format!("--trusted-proxies: {s:?} is not an address or network"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("anshin.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9001\"\nmax_in_flight = 7\ndata_dir = \"/srv/anshin\"\nmax_connections = 300\nidle_timeout_secs = 4\n",
        )
        .unwrap();
        let db = DbArgs { config: Some(file.clone()), ..DbArgs::default() };
        let from_file = resolve(&db, &ServeArgs::default()).unwrap();
        assert_eq!(from_file.listen.port(), 9001);
        assert_eq!(from_file.http.max_in_flight, 7);
        assert_eq!((from_file.http.max_connections, from_file.http.idle_timeout_secs), (300, 4));
        assert_eq!(from_file.db.database_url, "sqlite:///srv/anshin/anshin.db");
        let flags = ServeArgs { listen: Some("127.0.0.1:9002".parse().unwrap()), ..ServeArgs::default() };
        assert_eq!(resolve(&db, &flags).unwrap().listen.port(), 9002);
        let flags = ServeArgs { idle_timeout_secs: Some(9), ..ServeArgs::default() };
        assert_eq!(resolve(&db, &flags).unwrap().http.idle_timeout_secs, 9);
        let defaults = resolve(&DbArgs::default(), &ServeArgs::default()).unwrap();
        assert_eq!(defaults.listen.to_string(), DEFAULT_LISTEN);
        assert!(defaults.smtp.is_none(), "no SMTP by default: the dev mailbox");
        assert_eq!(defaults.outbox_retention, RetentionConfig { delivered_days: 30, dead_days: 90 });
        std::fs::write(&file, "outbox_retention_days = 7\noutbox_dead_retention_days = 60\n").unwrap();
        let retention = resolve(&db, &ServeArgs::default()).unwrap().outbox_retention;
        assert_eq!(retention, RetentionConfig { delivered_days: 7, dead_days: 60 });
        let zero = ServeArgs { outbox_retention_days: Some(0), ..ServeArgs::default() };
        assert!(resolve(&db, &zero).is_err(), "a retention under a day is refused");
    }

    #[test]
    fn settle_reads_the_servers_cutoff_and_bank_from_the_file_unless_flags_say_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("anshin.toml");
        std::fs::write(&file, "settlement_cutoff = \"15:00\"\nbank_url = \"http://127.0.0.1:9100\"\n").unwrap();
        let db = DbArgs { config: Some(file), ..DbArgs::default() };
        let from_file = settle_settings(&db, None, None).unwrap();
        assert_eq!(from_file, (Some("15:00".to_owned()), Some("http://127.0.0.1:9100".to_owned())));
        let flags = settle_settings(&db, Some("09:30".into()), Some("http://127.0.0.1:9200".into())).unwrap();
        assert_eq!(flags, (Some("09:30".to_owned()), Some("http://127.0.0.1:9200".to_owned())));
        assert_eq!(settle_settings(&DbArgs::default(), None, None).unwrap(), (None, None));
    }

    #[test]
    fn the_card_network_needs_a_loopback_url_and_a_key_that_never_shows() {
        let flags = ServeArgs {
            card_network_url: Some("http://127.0.0.1:9200/".into()),
            card_network_api_key: Some("network-key-0123456789".into()),
            ..ServeArgs::default()
        };
        let settings = resolve(&DbArgs::default(), &flags).unwrap();
        let network = settings.card_network.as_ref().expect("a card network");
        assert_eq!(network.base_url, "http://127.0.0.1:9200");
        assert!(!format!("{settings:?}").contains("0123456789"), "the key stays out of Debug");
        for bad in [
            ServeArgs { card_network_api_key: None, ..flags.clone() },
            ServeArgs { card_network_api_key: Some("short".into()), ..flags.clone() },
            ServeArgs { card_network_url: Some("http://192.0.2.1:9200".into()), ..flags.clone() },
            ServeArgs { card_network_url: Some("https://network.example".into()), ..flags },
        ] {
            assert!(resolve(&DbArgs::default(), &bad).is_err(), "card numbers never leave loopback in the clear");
        }
        assert!(resolve(&DbArgs::default(), &ServeArgs::default()).unwrap().card_network.is_none());
    }

    #[test]
    fn the_bank_needs_a_loopback_url_and_a_key_that_never_shows() {
        let flags = ServeArgs {
            bank_url: Some("http://127.0.0.1:9100".into()),
            bank_api_key: Some("bank-key-0123456789".into()),
            ..ServeArgs::default()
        };
        let settings = resolve(&DbArgs::default(), &flags).unwrap();
        let bank = settings.bank.as_ref().expect("a bank");
        assert_eq!((bank.base_url.as_str(), bank.api_key.as_str()), ("http://127.0.0.1:9100", "bank-key-0123456789"));
        assert!(!format!("{settings:?}").contains("0123456789"), "the key stays out of Debug");
        let no_key = ServeArgs { bank_api_key: None, ..flags.clone() };
        assert!(resolve(&DbArgs::default(), &no_key).is_err());
        let remote = ServeArgs { bank_url: Some("http://192.0.2.1:9100".into()), ..flags };
        assert!(resolve(&DbArgs::default(), &remote).is_err());
        assert!(resolve(&DbArgs::default(), &ServeArgs::default()).unwrap().bank.is_none(), "no bank by default");
    }

    #[test]
    fn the_ekyc_provider_needs_a_loopback_url_and_a_key_that_never_shows() {
        let flags = ServeArgs {
            ekyc_url: Some("http://127.0.0.1:9300".into()),
            ekyc_api_key: Some("ekyc-key-0123456789".into()),
            ..ServeArgs::default()
        };
        let settings = resolve(&DbArgs::default(), &flags).unwrap();
        let ekyc = settings.ekyc.as_ref().expect("a provider");
        assert_eq!((ekyc.base_url.as_str(), ekyc.api_key.as_str()), ("http://127.0.0.1:9300", "ekyc-key-0123456789"));
        assert!(!format!("{settings:?}").contains("0123456789"), "the key stays out of Debug");
        let no_key = ServeArgs { ekyc_api_key: None, ..flags.clone() };
        assert!(resolve(&DbArgs::default(), &no_key).is_err());
        let short = ServeArgs { ekyc_api_key: Some("short".into()), ..flags.clone() };
        assert!(resolve(&DbArgs::default(), &short).is_err());
        let remote = ServeArgs { ekyc_url: Some("http://192.0.2.1:9300".into()), ..flags };
        assert!(resolve(&DbArgs::default(), &remote).is_err());
        assert!(resolve(&DbArgs::default(), &ServeArgs::default()).unwrap().ekyc.is_none(), "none by default");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks_and_nothing_else() {
        let nets = parse_trusted_proxies(Some("10.0.0.0/8, 192.0.2.7,::1")).unwrap();
        assert_eq!(nets.iter().map(ToString::to_string).collect::<Vec<_>>(), ["10.0.0.0/8", "192.0.2.7/32", "::1/128"]);
        assert!(parse_trusted_proxies(Some("10.0.0.0/8, proxy.example")).is_err());
        assert!(parse_trusted_proxies(None).unwrap().is_empty(), "none by default");
    }

    #[test]
    fn unknown_keys_and_half_tls_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("anshin.toml");
        std::fs::write(&file, "tls_disabled = true\n").unwrap();
        let db = DbArgs { config: Some(file), ..DbArgs::default() };
        assert!(resolve(&db, &ServeArgs::default()).is_err(), "a misspelt or invented key is an error, not ignored");
        let half = ServeArgs { tls_cert: Some("c.pem".into()), ..ServeArgs::default() };
        assert!(resolve(&DbArgs::default(), &half).is_err());
    }
}
