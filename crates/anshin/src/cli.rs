//! The `anshin` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{DbArgs, ServeArgs};
use crate::ledger::{Command as LedgerCommand, Currency, Ledger, LedgerError};
use crate::storage::Db;

#[derive(Parser)]
#[command(name = "anshin", version, about = "Anshin (安心): secure cashless payments")]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start the service (SQLite in ./anshin-data by default; created and migrated on first start).
    Serve(Box<ServeArgs>),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Operator tools.
    #[command(subcommand)]
    Admin(AdminCmd),
    /// Show the newest messages in the local dev mailbox.
    Mailbox {
        /// Only messages to this recipient.
        #[arg(long)]
        to: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Measure throughput and latency against a baseline measured in the same run.
    #[command(subcommand)]
    Bench(crate::bench::BenchCmd),
    /// Decode or encode EMVCo QR payment codes (merchant- and consumer-presented) as JSON.
    #[command(subcommand)]
    Qr(crate::cli_qr::QrCmd),
    /// Simulators of the systems at Anshin's edge, each its own HTTP server.
    #[command(subcommand)]
    Sim(crate::sim::SimCmd),
    /// Settle a business day for every merchant (idempotent), then send the payouts that may go
    /// to the bank and read back its results. Prints what it did as JSON.
    Settle(SettleArgs),
    /// Helpers for the test suite (multi-process scenarios).
    #[command(subcommand, hide = true)]
    Testkit(TestkitCmd),
}

#[derive(clap::Args)]
struct SettleArgs {
    /// The business day, YYYY-MM-DD (Japan time); by default the last one that is over.
    #[arg(long)]
    date: Option<String>,
    /// When a business day ends, Japan time (HH:MM; default 00:00). Else the config file's
    /// `settlement_cutoff`, as the server reads it.
    #[arg(long, env = "ANSHIN_SETTLEMENT_CUTOFF")]
    settlement_cutoff: Option<String>,
    /// The bank API (`anshin sim bank` in development); else the config file's `bank_url`.
    /// Without either, the day is settled and payouts wait for a run that has a bank.
    #[arg(long, env = "ANSHIN_BANK_URL")]
    bank_url: Option<String>,
    #[arg(long, env = "ANSHIN_BANK_API_KEY", hide_env_values = true)]
    bank_api_key: Option<String>,
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Prove every entry balances, every balance equals its postings, no wallet is negative.
    VerifyLedger,
    /// Walk the audit chain; name any altered, removed or reordered record.
    VerifyAudit,
    /// Create an operator (prints a one-time initial password; an authenticator app must be set
    /// up at first sign-in).
    CreateOperator {
        #[arg(long)]
        email: String,
        /// Legal name.
        #[arg(long)]
        name: String,
        /// analyst or admin.
        #[arg(long, default_value = "admin")]
        role: String,
    },
    /// Create a merchant, active at once (operators on the API propose, and another approves).
    CreateMerchant {
        /// As registered, e.g. 株式会社アンシン.
        #[arg(long)]
        legal_name: String,
        /// The legal name in katakana, as the bank knows it.
        #[arg(long)]
        kana: String,
        /// ISO 18245 merchant category code.
        #[arg(long)]
        mcc: String,
        /// The merchant's contact e-mail address.
        #[arg(long)]
        email: String,
        /// Fee in basis points (260 = 2.6%).
        #[arg(long, default_value_t = crate::merchants::DEFAULT_FEE_RATE_BP)]
        fee_rate_bp: i64,
    },
    /// Create a merchant staff member of an existing merchant (prints a one-time initial
    /// password; an authenticator app must be set up at first sign-in).
    CreateMerchantStaff {
        /// The merchant's reference.
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// owner, manager or cashier.
        #[arg(long, default_value = "owner")]
        role: String,
    },
    /// Make a new key that signs merchant-presented codes; the old one keeps verifying the codes
    /// already printed until it is retired (audited).
    RotateQrKey,
    /// Stop accepting codes signed by a rotated-out key (audited).
    RetireQrKey {
        /// The key's id (see list-qr-keys).
        id: String,
    },
    /// The keys that sign merchant-presented codes, with their state.
    ListQrKeys,
    /// The regulatory report (Payment Services Act): the unused prepaid (lite) balance and the
    /// deposit it calls for, and the money held for fund-transfer customers, as of the end of a
    /// JST day (31 March and 30 September are the base dates; default today).
    RegulatoryReport {
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Rotate the card vault's key-encryption key: a new key becomes active (servers read it when
    /// they meet a record under it), then every card's data key is re-wrapped under it while the
    /// service runs. Numbers are never decrypted (audited).
    RotateKeys,
}

#[derive(Subcommand)]
enum TestkitCmd {
    /// Try `attempts` transfers of `amount` from one account at once; print what happened as JSON.
    Overspend {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: i64,
        #[arg(long)]
        attempts: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long)]
        key_prefix: String,
    },
}

pub fn main() -> ExitCode {
    let cli = match Cli::parse() {
        // A pure codec: no logging, runtime or database.
        Cli { command: Cmd::Qr(cmd), .. } => return crate::cli_qr::run(cmd),
        cli => cli,
    };
    crate::telemetry::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Cmd::Serve(args) => {
            let settings = crate::config::resolve(&cli.db, &args)?;
            crate::server::run(settings, crate::server::shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Migrate => {
            let db = open(&cli.db).await?;
            println!("database {} is at schema version {}", db.url_redacted(), crate::storage::known_schema_version());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Admin(AdminCmd::VerifyLedger) => {
            let db = open(&cli.db).await?;
            let report = crate::ledger::verify::verify(&db).await?;
            println!("checked {} accounts, {} entries, {} postings", report.accounts, report.entries, report.postings);
            for p in &report.problems {
                println!("PROBLEM: {p}");
            }
            println!("{}", if report.ok() { "ledger OK" } else { "ledger BROKEN" });
            Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(2) })
        }
        Cmd::Admin(AdminCmd::VerifyAudit) => {
            let db = open(&cli.db).await?;
            let report = crate::audit::verify(&db).await?;
            println!("checked {} audit records", report.records_checked);
            for p in &report.problems {
                println!("PROBLEM: {p}");
            }
            println!("{}", if report.ok() { "audit chain OK" } else { "audit chain BROKEN" });
            Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(2) })
        }
        Cmd::Admin(AdminCmd::CreateOperator { email, name, role }) => {
            let identity = cli_identity(&cli.db).await?;
            let password = identity.create_operator(&email, &name, &role).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            print_initial_password(&format!("operator {email} ({role})"), &password);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Admin(AdminCmd::CreateMerchantStaff { merchant, email, name, role }) => {
            let (merchants, _ledger) = cli_merchants(&cli.db).await?;
            let new = crate::merchants::stores::NewStaff { email: email.clone(), legal_name: name, role: role.clone() };
            let password = merchants.add_staff_cli(&merchant, &new).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            print_initial_password(&format!("merchant staff {email} ({role} at {merchant})"), &password);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Admin(AdminCmd::CreateMerchant { legal_name, kana, mcc, email, fee_rate_bp }) => {
            let (merchants, ledger) = cli_merchants(&cli.db).await?;
            let new = crate::merchants::NewMerchant {
                legal_name,
                legal_name_kana: kana,
                mcc,
                contact_email: email,
                fee_rate_bp: Some(fee_rate_bp),
            };
            let m = merchants.create_active(&new).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("merchant {} created and active (number {})", m.id, m.number);
            println!(
                "add its first owner: anshin admin create-merchant-staff --merchant {} --email … --name … --role owner",
                m.id
            );
            drop((merchants, ledger));
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Admin(AdminCmd::RotateQrKey) => {
            let keys = cli_qr_keys(&cli.db).await?;
            let id = keys.rotate("cli").await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("key {id} now signs new codes; earlier keys still verify until retired");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Admin(AdminCmd::RetireQrKey { id }) => {
            let keys = cli_qr_keys(&cli.db).await?;
            keys.retire(&id, "cli").await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("key {id} is retired: codes it signed are refused from now on");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Admin(AdminCmd::RegulatoryReport { as_of }) => {
            let db = open(&cli.db).await?;
            let today = crate::funding::jst_day(crate::storage::now_ms());
            let r = crate::reports::regulatory(&db, as_of.as_deref().unwrap_or(&today))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let yen = crate::i18n::yen;
            println!(
                "regulatory report as of the end of {} (JST){}",
                r.as_of,
                if r.base_date { ", a base date" } else { "" }
            );
            println!(
                "  unused prepaid (lite) balance:      {} in {} wallets",
                yen(r.unused_prepaid_minor),
                r.prepaid_holders
            );
            println!("  issuance security deposit owed:     {}", yen(r.deposit_required_minor));
            println!(
                "  money held for transfer customers:  {} in {} wallets",
                yen(r.transfer_customers_money_minor),
                r.money_holders
            );
            println!("  guarantee deposit required:         {}", yen(r.guarantee_required_minor));
            println!("  campaign points (for information):  {}", yen(r.points_outstanding_minor));
            println!("{}", serde_json::to_string(&r)?);
            let mut tx = db.begin_write().await?;
            let event = crate::audit::AuditEvent::new("cli", "reports.regulatory.read", &r.as_of);
            crate::audit::append(&db, &mut tx, &[event]).await?;
            tx.commit().await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Admin(AdminCmd::RotateKeys) => {
            let settings = cli.db.resolve()?;
            anyhow::ensure!(
                std::env::var_os("ANSHIN_VAULT_KEYS").is_none(),
                "the vault's keys come from ANSHIN_VAULT_KEYS: rotate them where that value is kept"
            );
            let new_id = vault::KeyRing::rotate_file(&settings.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
            let vault = vault::Vault::open_dir(&settings.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
            let db = open(&cli.db).await?;
            let moved = crate::cards::Cards::rewrap_all(&db, &vault).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut tx = db.begin_write().await?;
            let event = crate::audit::AuditEvent::new("cli", "vault.keys.rotated", &new_id)
                .details(serde_json::json!({ "rewrapped": moved }));
            crate::audit::append(&db, &mut tx, &[event]).await?;
            tx.commit().await?;
            let by_key = crate::cards::store::count_by_key(&db).await?;
            println!("key {new_id} is now active; {moved} card records re-wrapped under it");
            for (key_id, n) in by_key {
                println!("  {key_id}: {n} records");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Admin(AdminCmd::ListQrKeys) => {
            let keys = cli_qr_keys(&cli.db).await?;
            for k in keys.list().await.map_err(|e| anyhow::anyhow!("{e}"))? {
                println!("{} {} created_at_ms={} public_key={}", k.id, k.status, k.created_at_ms, k.public_key);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Mailbox { to, limit } => {
            // The mailbox's bodies are sealed: this one command needs the server's key.
            let settings = cli.db.resolve()?;
            let keys = crate::keys::Keys::load(&settings.data_dir)?;
            let db = Db::open(&settings.database_url).await?.with_keys(keys);
            let messages = crate::notify::mailbox(&db, to.as_deref(), limit).await?;
            if messages.is_empty() {
                println!("(no messages)");
            }
            for m in messages {
                println!("── #{} {} to {} · {}\n{}\n", m.id, m.channel, m.recipient, m.subject, m.body);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bench(cmd) => {
            crate::bench::run(cmd, &cli.db).await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Settle(args) => settle(&cli.db, args).await,
        Cmd::Qr(_) => unreachable!("handled in main before the runtime starts"),
        Cmd::Sim(cmd) => {
            crate::sim::run(cmd).await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Testkit(TestkitCmd::Overspend { from, to, amount, attempts, concurrency, key_prefix }) => {
            let db = open(&cli.db).await?;
            let (ledger, task) = Ledger::start(db.clone());
            let currency = Currency::parse(&ledger.account(&from).await?.currency)?;
            let results = futures_bounded(attempts, concurrency, |i| {
                let ledger = ledger.clone();
                let cmd = LedgerCommand::transfer(format!("{key_prefix}-{i}"), &from, &to, &currency, amount, "test");
                async move { ledger.submit(cmd).await }
            })
            .await;
            let ok = results.iter().filter(|r| r.is_ok()).count();
            let insufficient = results.iter().filter(|r| matches!(r, Err(LedgerError::InsufficientFunds(_)))).count();
            println!(
                "{}",
                serde_json::json!({ "succeeded": ok, "insufficient": insufficient, "other": results.len() - ok - insufficient })
            );
            drop(ledger);
            let _ = task.await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn cli_identity(args: &DbArgs) -> anyhow::Result<crate::identity::Identity> {
    use crate::identity::password::{HashParams, PasswordHasher};
    let settings = args.resolve()?;
    let keys = crate::keys::Keys::load(&settings.data_dir)?;
    let db = Db::open(&settings.database_url).await?.with_keys(keys.clone());
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 1, 1).map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::identity::Identity::new(db, keys, hasher, Default::default()).map_err(|e| anyhow::anyhow!(e))
}

/// The merchants context for the command line (its ledger writer stops when the handles drop).
async fn cli_merchants(args: &DbArgs) -> anyhow::Result<(crate::merchants::Merchants, Ledger)> {
    let identity = cli_identity(args).await?;
    let db = identity.db().clone();
    let keys = db.keys().cloned().ok_or_else(|| anyhow::anyhow!("the database handle has no keys"))?;
    let (ledger, _task) = Ledger::start(db.clone());
    let config = crate::merchants::MerchantsConfig::default();
    Ok((crate::merchants::Merchants::new(db, keys, identity, ledger.clone(), config), ledger))
}

async fn settle(db: &DbArgs, args: SettleArgs) -> anyhow::Result<ExitCode> {
    use crate::settlement::{BusinessDay, Cutoff, SettlementConfig, Settlements};
    let (cutoff_text, bank_url) =
        crate::config::settle_settings(db, args.settlement_cutoff.clone(), args.bank_url.clone())?;
    let cutoff = match &cutoff_text {
        None => Cutoff::MIDNIGHT,
        Some(s) => Cutoff::parse(s).map_err(|e| anyhow::anyhow!("--settlement-cutoff: {e}"))?,
    };
    let config = SettlementConfig { cutoff, ..SettlementConfig::default() };
    let day = match &args.date {
        Some(d) => BusinessDay::parse(d).map_err(|e| anyhow::anyhow!("--date: {e}"))?,
        None => BusinessDay::last_closed(crate::storage::now_ms(), cutoff, config.grace_secs),
    };
    let bank = crate::config::resolve_bank(bank_url, args.bank_api_key.as_deref())?
        .map(|b| b.client())
        .transpose()
        .map_err(|e| anyhow::anyhow!("bank: {e}"))?;
    if bank.is_none() {
        eprintln!("no --bank-url: the day is settled; payouts wait for a run with a bank");
    }
    let (merchants, ledger) = cli_merchants(db).await?;
    let settlements = Settlements::new(merchants.db().clone(), ledger.clone(), merchants, bank, config);
    let (settled, payouts) = settlements.run_day(day, "cli").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "settle": settled, "payouts": payouts }))?);
    Ok(if settled.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(3) })
}

fn print_initial_password(who: &str, password: &str) {
    println!("{who} created");
    println!("initial password (shown once): {password}");
    println!("at first sign-in an authenticator app must be set up before anything else");
}

/// The database, without the server's keys: commands that only read, verify or move money through
/// the ledger must not create a key file where they happen to run.
async fn open(args: &DbArgs) -> anyhow::Result<Db> {
    let settings = args.resolve()?;
    Ok(Db::open(&settings.database_url).await?)
}

/// Run `count` futures made by `make`, at most `concurrency` at a time, collecting results in order.
pub async fn futures_bounded<F, Fut, T>(count: usize, concurrency: usize, make: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    use futures::StreamExt;
    futures::stream::iter((0..count).map(make)).buffered(concurrency.max(1)).collect().await
}

/// The QR signing keys over the configured database, with the server's key (seeds are sealed).
async fn cli_qr_keys(args: &DbArgs) -> anyhow::Result<crate::payments::qr_keys::QrKeys> {
    let settings = args.resolve()?;
    let keys = crate::keys::Keys::load(&settings.data_dir)?;
    let db = Db::open(&settings.database_url).await?.with_keys(keys.clone());
    Ok(crate::payments::qr_keys::QrKeys::new(db, keys))
}
