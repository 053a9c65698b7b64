//! `anshin bench`: throughput and latency, each next to a baseline measured in the same run on
//! the same database, so the figures say something on any machine.

use sqlx::AssertSqlSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use rand::Rng;

use crate::config::DbArgs;
use crate::ledger::{AccountKind, Command, Currency, Ledger, NewAccount};
use crate::storage::{Db, ids::random_hex_128};

mod cards;
mod pay;
mod pay_mpm;
mod storm;
mod transfers;

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Simple transfers per second and p50/p99 latency on SQLite and/or PostgreSQL.
    Ledger(LedgerBenchArgs),
    /// Argon2id password hashes per second at the configured parameters, on the bounded pool;
    /// sign-ups and logins against that capacity; `GET /v1/me` latency during a sign-up storm on
    /// SQLite and/or PostgreSQL.
    Auth(AuthBenchArgs),
    /// Customer-presented QR payments per second end to end over HTTP (signed POS request, code
    /// check, decision, journal, outbox) with p50/p99, next to the ledger's transfer rate.
    Pay(PayBenchArgs),
    /// The card vault's seals and opens per second, and card top-ups per second end to end over
    /// HTTP through the card-network simulator (3-D Secure, authorisation, credit) with p50/p99.
    Cards(CardsBenchArgs),
    /// Transfers between wallets per second end to end over HTTP (payee token, verified
    /// identities, limits, holding cap, journal, outbox) with p50/p99.
    Transfers(TransfersBenchArgs),
}

#[derive(clap::Args)]
pub struct TransfersBenchArgs {
    #[arg(long, value_enum, default_value_t = Backends::Both)]
    pub backend: Backends,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Wallets sending at once (each to the next).
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// A PostgreSQL server where a scratch database may be created and dropped.
    #[arg(long, env = "ANSHIN_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub pg_url: String,
}

#[derive(clap::Args)]
pub struct CardsBenchArgs {
    #[arg(long, value_enum, default_value_t = Backends::Both)]
    pub backend: Backends,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Wallets topping up at once (each registers its own card first).
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// A PostgreSQL server where a scratch database may be created and dropped.
    #[arg(long, env = "ANSHIN_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub pg_url: String,
}

#[derive(clap::Args)]
pub struct PayBenchArgs {
    #[arg(long, value_enum, default_value_t = Backends::Both)]
    pub backend: Backends,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Tills sending payments at once.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Wallets paying (registered through the real flow, so a few seconds of set-up).
    #[arg(long, default_value_t = 128)]
    pub wallets: usize,
    /// A PostgreSQL server where scratch databases may be created and dropped.
    #[arg(long, env = "ANSHIN_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub pg_url: String,
}

#[derive(clap::Args)]
pub struct AuthBenchArgs {
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Where the sign-up storm runs.
    #[arg(long, value_enum, default_value_t = Backends::Both)]
    pub backend: Backends,
    /// A PostgreSQL server where a scratch database may be created and dropped.
    #[arg(long, env = "ANSHIN_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub pg_url: String,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backends {
    Sqlite,
    Postgres,
    Both,
}

#[derive(clap::Args)]
pub struct LedgerBenchArgs {
    #[arg(long, value_enum, default_value_t = Backends::Both)]
    pub backend: Backends,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent clients submitting transfers.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Wallets the transfers move between.
    #[arg(long, default_value_t = 1_000)]
    pub accounts: usize,
    /// A PostgreSQL server where scratch databases may be created and dropped.
    #[arg(long, env = "ANSHIN_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub pg_url: String,
    /// pgbench clients for the PostgreSQL baseline (TPC-B-like, scale 10).
    #[arg(long, default_value_t = 8)]
    pub pgbench_clients: usize,
}

pub async fn run(cmd: BenchCmd, _db: &DbArgs) -> anyhow::Result<()> {
    match cmd {
        BenchCmd::Ledger(args) => ledger(args).await,
        BenchCmd::Auth(args) => auth(args).await,
        BenchCmd::Pay(args) => pay_bench(args).await,
        BenchCmd::Cards(args) => cards_bench(args).await,
        BenchCmd::Transfers(args) => transfers_bench(args).await,
    }
}

async fn transfers_bench(args: TransfersBenchArgs) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.seconds.max(1));
    println!(
        "anshin bench transfers: {} s per run, {} wallets sending, durable commits (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on); target 3,000/s with p99 under 50 ms",
        duration.as_secs(),
        args.clients
    );
    let report = |engine: &str, m: &Measurement| {
        let met = m.per_sec() >= pay::TARGET_PER_SEC && m.p99_ms < pay::TARGET_P99_MS;
        println!(
            "  {engine}: transfers over HTTP (payee token, limits, holding cap, journal, outbox): \
             {:.0} transfers/s, p50 {:.2} ms, p99 {:.2} ms ({} in {:.1} s); target {}",
            m.per_sec(),
            m.p50_ms,
            m.p99_ms,
            m.ops,
            m.secs,
            if met { "met" } else { "NOT met" }
        );
    };
    if matches!(args.backend, Backends::Sqlite | Backends::Both) {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("transfers.db").display());
        report("SQLite    ", &transfers::transfers(&url, args.clients, duration).await?);
    }
    if matches!(args.backend, Backends::Postgres | Backends::Both) {
        let scratch = PgScratch::create(&args.pg_url, &["transfers"]).await?;
        let measured = transfers::transfers(&scratch.url_for("transfers"), args.clients, duration).await;
        scratch.drop_all().await;
        report("PostgreSQL", &measured?);
    }
    Ok(())
}

async fn cards_bench(args: CardsBenchArgs) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.seconds.max(1));
    println!(
        "anshin bench cards: {} s per run, {} wallets topping up, durable commits (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on)",
        duration.as_secs(),
        args.clients
    );
    let (seals, opens) = tokio::task::spawn_blocking(cards::vault_rates).await?;
    println!(
        "  vault:    AES-256-GCM envelope encryption, one card each, on one core: {seals:.0} seals/s, {opens:.0} opens/s"
    );
    let report = |engine: &str, m: &Measurement| {
        println!(
            "  {engine}: card top-ups over HTTP through 3-D Secure (AReq/ARes), authorisation and the ledger's credit: \
             {:.0} top-ups/s, p50 {:.2} ms, p99 {:.2} ms ({} in {:.1} s)",
            m.per_sec(),
            m.p50_ms,
            m.p99_ms,
            m.ops,
            m.secs
        );
    };
    if matches!(args.backend, Backends::Sqlite | Backends::Both) {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("cards.db").display());
        report("SQLite    ", &cards::top_ups(&url, args.clients, duration).await?);
    }
    if matches!(args.backend, Backends::Postgres | Backends::Both) {
        let scratch = PgScratch::create(&args.pg_url, &["cards"]).await?;
        let measured = cards::top_ups(&scratch.url_for("cards"), args.clients, duration).await;
        scratch.drop_all().await;
        report("PostgreSQL", &measured?);
    }
    Ok(())
}

async fn pay_bench(args: PayBenchArgs) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.seconds.max(1));
    println!(
        "anshin bench pay: {} s per run, {} tills, {} wallets, durable commits (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on)",
        duration.as_secs(),
        args.clients,
        args.wallets
    );
    let ledger_args = LedgerBenchArgs {
        backend: args.backend,
        seconds: args.seconds,
        clients: args.clients,
        accounts: 1_000,
        pg_url: args.pg_url.clone(),
        pgbench_clients: 8,
    };
    if matches!(args.backend, Backends::Sqlite | Backends::Both) {
        let dir = tempfile::tempdir()?;
        let (paid, refused) = pay::run(
            &format!("sqlite://{}", dir.path().join("pay.db").display()),
            args.clients,
            args.wallets,
            duration,
        )
        .await?;
        let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
        let led = ledger_run(&url, &ledger_args, duration).await?;
        pay_report("SQLite", &paid, refused, &led);
        let url = format!("sqlite://{}", dir.path().join("mpm.db").display());
        mpm_report(&pay_mpm::run(&url, args.clients, args.wallets, duration).await?);
    }
    if matches!(args.backend, Backends::Postgres | Backends::Both) {
        let scratch = PgScratch::create(&args.pg_url, &["pay", "ledger", "mpm"]).await?;
        let paid = pay::run(&scratch.url_for("pay"), args.clients, args.wallets, duration).await;
        let led = ledger_run(&scratch.url_for("ledger"), &ledger_args, duration).await;
        let mpm = pay_mpm::run(&scratch.url_for("mpm"), args.clients, args.wallets, duration).await;
        scratch.drop_all().await;
        let (paid, refused) = paid?;
        pay_report("PostgreSQL", &paid, refused, &led?);
        mpm_report(&mpm?);
    }
    Ok(())
}

/// Merchant-presented sales: the till's signed request for a code, the wallet's scan and payment.
fn mpm_report((paid, refused): &(Measurement, u64)) {
    println!(
        "  mpm:      merchant-presented sales over HTTP (code, scan, pay: 3 round trips): {:.0} payments/s, p50 {:.2} ms, p99 {:.2} ms ({} paid, {} refused)",
        paid.per_sec(),
        paid.p50_ms,
        paid.p99_ms,
        paid.ops,
        refused
    );
}

fn pay_report(engine: &str, paid: &Measurement, refused: u64, led: &Measurement) {
    println!("\n== {engine}");
    println!(
        "  pay:      customer-presented payments over HTTP: {:.0} payments/s, p50 {:.2} ms, p99 {:.2} ms ({} paid, {} refused, in {:.1} s)",
        paid.per_sec(),
        paid.p50_ms,
        paid.p99_ms,
        paid.ops,
        refused,
        paid.secs
    );
    println!(
        "  ledger:   simple transfers in the same run: {:.0} transfers/s, p50 {:.2} ms, p99 {:.2} ms",
        led.per_sec(),
        led.p50_ms,
        led.p99_ms
    );
    let meets = paid.per_sec() >= pay::TARGET_PER_SEC && paid.p99_ms < pay::TARGET_P99_MS && refused == 0;
    println!(
        "  target:   >= {:.0} payments/s with p99 < {:.0} ms and none refused: {}",
        pay::TARGET_PER_SEC,
        pay::TARGET_P99_MS,
        if meets { "met" } else { "NOT met" }
    );
}

#[derive(Debug, Clone)]
pub struct Measurement {
    pub ops: u64,
    pub secs: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Measurement {
    pub fn per_sec(&self) -> f64 {
        self.ops as f64 / self.secs
    }
}

async fn ledger(args: LedgerBenchArgs) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.seconds.max(1));
    println!(
        "anshin bench ledger: {} s per run, {} clients, {} wallets, durable commits (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on)",
        duration.as_secs(),
        args.clients,
        args.accounts
    );
    if matches!(args.backend, Backends::Sqlite | Backends::Both) {
        let dir = tempfile::tempdir()?;
        let base = sqlite_baseline(&dir.path().join("baseline.db"), duration).await?;
        let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
        let led = ledger_run(&url, &args, duration).await?;
        report(
            "SQLite",
            "raw two-row-update transactions (WAL, synchronous=FULL, one connection)",
            &base,
            &led,
            5_000.0,
        );
    }
    if matches!(args.backend, Backends::Postgres | Backends::Both) {
        let scratch = PgScratch::create(&args.pg_url, &["pgbench", "ledger"]).await?;
        println!("\nPostgreSQL server settings: {}", pg_durability(&args.pg_url).await);
        let base = pgbench_baseline(&scratch.url_for("pgbench"), args.pgbench_clients, duration)?;
        let led = ledger_run(&scratch.url_for("ledger"), &args, duration).await;
        scratch.drop_all().await;
        let baseline_name = format!("pgbench TPC-B-like (scale 10, {} clients)", args.pgbench_clients);
        report("PostgreSQL", &baseline_name, &base, &led?, base.per_sec());
    }
    Ok(())
}

/// Identity throughput against the machine's hashing capacity, and whether a storm of sign-ups
/// hurts everybody else.
async fn auth(args: AuthBenchArgs) -> anyhow::Result<()> {
    use crate::identity::password::{HashParams, PasswordHasher};
    let duration = Duration::from_secs(args.seconds.max(1));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "anshin bench auth: Argon2id m=19 MiB, t=2, p=1 (OWASP minimum), {} s per run, {cores} cores",
        duration.as_secs()
    );
    // Capacity: one hashing worker per core, kept busy.
    let full = PasswordHasher::new(HashParams::OWASP_MINIMUM, cores, cores * 4).map_err(|e| anyhow::anyhow!("{e}"))?;
    let pool = full.clone();
    let capacity = run_clients(cores * 2, duration, move |_, _| {
        let h = pool.clone();
        async move { h.hash("correct horse battery staple").await.map(|_| ()).map_err(|e| anyhow::anyhow!("{e}")) }
    })
    .await?;
    println!(
        "  password hashes: {:.1}/s ({:.1} per core), p50 {:.1} ms, p99 {:.1} ms",
        capacity.per_sec(),
        capacity.per_sec() / cores as f64,
        capacity.p50_ms,
        capacity.p99_ms
    );

    let dir = tempfile::tempdir()?;
    let db = Db::open(&format!("sqlite://{}", dir.path().join("auth.db").display()))
        .await?
        .with_keys(crate::keys::Keys::random());
    let identity = bench_identity(&db, full.clone());
    let run_id = random_hex_128()[..8].to_owned();
    let signup_identity = identity.clone();
    let signups =
        run_clients(cores * 2, duration, move |client, n| {
            let identity = signup_identity.clone();
            let input = bench_registration(&format!("{run_id}-{client}-{n}"), client * 1_000_000 + n);
            async move {
                identity.register(input, &Default::default()).await.map(|_| ()).map_err(|e| anyhow::anyhow!("{e}"))
            }
        })
        .await?;
    println!(
        "  sign-ups:        {:.1}/s = {:.2} of hashing capacity, p99 {:.1} ms",
        signups.per_sec(),
        signups.per_sec() / capacity.per_sec(),
        signups.p99_ms
    );

    // Logins need accounts: create them directly with one stored hash.
    let hash = full.hash("lantern harbour velvet 42").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    const USERS: usize = 200;
    for i in 0..USERS {
        sqlx::query(
            "INSERT INTO users (id, email, phone, legal_name, date_of_birth, password_hash, status, email_verified_at_ms,
                phone_verified_at_ms, created_at_ms) VALUES ($1, $2, $3, 'Bench', '1990-01-01', $4, 'active', 1, 1, 1)",
        )
        .bind(format!("usr_bench{i}"))
        .bind(format!("bench{i}@example.jp"))
        .bind(format!("+8190{i:08}"))
        .bind(&hash)
        .execute(db.write_pool())
        .await?;
    }
    let login_identity = identity.clone();
    let logins = run_clients(cores * 2, duration, move |client, n| {
        let identity = login_identity.clone();
        let who = crate::identity::Client { ip: format!("10.{}.{}.1", client % 250, n % 250), ..Default::default() };
        async move {
            identity
                .login(
                    &format!("bench{}@example.jp", (client * 7919 + n) % USERS),
                    "lantern harbour velvet 42",
                    None,
                    &who,
                )
                .await
                .map(|_| ())
                .map_err(|e| anyhow::anyhow!("{e}"))
        }
    })
    .await?;
    println!(
        "  logins:          {:.1}/s = {:.2} of hashing capacity, p99 {:.1} ms",
        logins.per_sec(),
        logins.per_sec() / capacity.per_sec(),
        logins.p99_ms
    );
    db.close().await;
    if matches!(args.backend, Backends::Sqlite | Backends::Both) {
        let dir = tempfile::tempdir()?;
        storm::run("SQLite", &format!("sqlite://{}", dir.path().join("storm.db").display()), duration).await?;
    }
    if matches!(args.backend, Backends::Postgres | Backends::Both) {
        let scratch = PgScratch::create(&args.pg_url, &["storm"]).await?;
        let result = storm::run("PostgreSQL", &scratch.url_for("storm"), duration).await;
        scratch.drop_all().await;
        result?;
    }
    Ok(())
}

pub(crate) async fn signed_in_user(db: &Db, identity: &crate::identity::Identity) -> anyhow::Result<String> {
    signed_in_user_numbered(db, identity, "prober", 99_999_999).await
}

/// A user registered as `bench-{tag}@example.jp` with phone number `n`, signed in.
pub(crate) async fn signed_in_user_numbered(
    db: &Db,
    identity: &crate::identity::Identity,
    tag: &str,
    n: usize,
) -> anyhow::Result<String> {
    use crate::notify::{OutboxWorker, Transport};
    let input = bench_registration(tag, n);
    let (email, phone) = (input.email.clone(), input.phone.clone());
    let started = identity.register(input, &Default::default()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    OutboxWorker::new(db.clone(), Transport::dev_mailbox(db.clone()), Default::default()).run_once().await?;
    let code_for = |to: String| async move {
        let body = crate::notify::mailbox(db, Some(&to), 1).await?.pop().map(|m| m.body).unwrap_or_default();
        let code = body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap_or("").to_owned();
        anyhow::Ok(code)
    };
    let (email_code, sms_code) = (code_for(email.clone()).await?, code_for(phone).await?);
    let registered = identity
        .verify_registration(&started.registration_id, &email_code, &sms_code, &Default::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(registered.session.token)
}

pub(crate) fn bench_identity(db: &Db, hasher: crate::identity::password::PasswordHasher) -> crate::identity::Identity {
    use crate::identity::{Identity, IdentityConfig};
    // Throttles off: the bench measures capacity, not the limits (which tests cover).
    let config = IdentityConfig {
        signups_per_email_per_hour: i64::MAX / 2,
        signups_per_phone_per_day: i64::MAX / 2,
        signups_per_device_per_day: i64::MAX / 2,
        password_failures_per_source: i64::MAX / 2,
        ..IdentityConfig::default()
    };
    let keys = db.keys().cloned().unwrap_or_else(crate::keys::Keys::random);
    Identity::new(db.clone(), keys, hasher, config).expect("the default public URL is valid")
}

fn bench_registration(tag: &str, n: usize) -> crate::identity::NewRegistration {
    crate::identity::NewRegistration {
        email: format!("bench-{tag}@example.jp"),
        phone: format!("+8170{:08}", n % 100_000_000),
        password: "quiet river lantern 58".into(),
        legal_name: "Bench User".into(),
        date_of_birth: "1990-01-01".into(),
    }
}

/// `clients` tasks calling `op(client, n)` back to back for `duration`; latency of each call.
async fn run_clients<F, Fut>(clients: usize, duration: Duration, op: F) -> anyhow::Result<Measurement>
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let op = Arc::new(op);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (op, stop) = (op.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies_us = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                op(client, n).await?;
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
    Ok(summarise(all, started.elapsed().as_secs_f64()))
}

fn report(engine: &str, baseline_name: &str, base: &Measurement, led: &Measurement, target: f64) {
    println!("\n== {engine}");
    println!(
        "  baseline: {baseline_name}: {:.0} tx/s, p50 {:.2} ms, p99 {:.2} ms",
        base.per_sec(),
        base.p50_ms,
        base.p99_ms
    );
    println!(
        "  ledger:   simple transfers: {:.0} transfers/s, p50 {:.2} ms, p99 {:.2} ms ({} transfers in {:.1} s)",
        led.per_sec(),
        led.p50_ms,
        led.p99_ms,
        led.ops,
        led.secs
    );
    println!("  ratio:    {:.2}x the baseline", led.per_sec() / base.per_sec().max(1.0));
    let meets = led.per_sec() >= target && led.p99_ms < 50.0;
    println!("  target:   >= {:.0} transfers/s with p99 < 50 ms: {}", target, if meets { "met" } else { "NOT met" });
}

/// Open a fresh ledger at `url`, fund `accounts` wallets, then let `clients` tasks move ¥1
/// between random wallets for `duration`, timing each submit-to-commit.
pub async fn ledger_run(url: &str, args: &LedgerBenchArgs, duration: Duration) -> anyhow::Result<Measurement> {
    let db = Db::open(url).await?;
    let (ledger, task) = Ledger::start(db.clone());
    let jpy = Currency::jpy();
    let source = ledger.system_account(AccountKind::CardFundingClearing, &jpy).await?;
    let mut wallets = Vec::with_capacity(args.accounts);
    for _ in 0..args.accounts.max(2) {
        let id = ledger
            .open_account(&NewAccount {
                kind: AccountKind::UserWallet,
                currency: jpy.clone(),
                flags: AccountKind::UserWallet.default_flags(),
                owner_ref: None,
            })
            .await?;
        wallets.push(id);
    }
    let funding = crate::cli::futures_bounded(wallets.len(), 64, |i| {
        let cmd = Command::transfer(format!("fund-{i}"), &source, &wallets[i], &jpy, 1_000_000_000, "top_up");
        let ledger = ledger.clone();
        async move { ledger.submit(cmd).await }
    })
    .await;
    anyhow::ensure!(funding.iter().all(|r| r.is_ok()), "funding the bench wallets failed");

    let wallets = Arc::new(wallets);
    let stop = Arc::new(AtomicBool::new(false));
    let run_id = random_hex_128();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..args.clients.max(1) {
        let (ledger, wallets, stop, jpy, run_id) =
            (ledger.clone(), wallets.clone(), stop.clone(), jpy.clone(), run_id.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies_us = Vec::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let (from, to) = {
                    let mut rng = rand::rng();
                    let a = rng.random_range(0..wallets.len());
                    let b = (a + rng.random_range(1..wallets.len())) % wallets.len();
                    (a, b)
                };
                let cmd = Command::transfer(
                    format!("{run_id}-{client}-{n}"),
                    &wallets[from],
                    &wallets[to],
                    &jpy,
                    1,
                    "transfer",
                );
                let t = Instant::now();
                let result = ledger.submit(cmd).await;
                latencies_us.push(t.elapsed().as_micros() as u64);
                if let Err(e) = result {
                    return Err(anyhow::anyhow!("transfer failed: {e}"));
                }
                n += 1;
            }
            Ok(latencies_us)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    let report = ledger.verify().await?;
    anyhow::ensure!(report.ok(), "ledger verification failed after the bench: {:?}", report.problems);
    drop(ledger);
    let _ = task.await;
    db.close().await;
    Ok(summarise(all, secs))
}

pub fn summarise(mut latencies_us: Vec<u64>, secs: f64) -> Measurement {
    latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies_us.is_empty() {
            return 0.0;
        }
        let idx = ((latencies_us.len() as f64 * p).ceil() as usize).clamp(1, latencies_us.len()) - 1;
        latencies_us[idx] as f64 / 1000.0
    };
    Measurement { ops: latencies_us.len() as u64, secs, p50_ms: pct(0.50), p99_ms: pct(0.99) }
}

/// The SQLite baseline: one connection, each transaction updating two rows, durable commits.
async fn sqlite_baseline(path: &std::path::Path, duration: Duration) -> anyhow::Result<Measurement> {
    let db = Db::connect(&format!("sqlite://{}", path.display())).await?;
    let pool = db.write_pool();
    sqlx::query("CREATE TABLE t (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)").execute(pool).await?;
    sqlx::query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO t SELECT i, 1000000 FROM n")
        .execute(pool)
        .await?;
    let started = Instant::now();
    let mut latencies = Vec::new();
    while started.elapsed() < duration {
        let (a, b) = {
            let mut rng = rand::rng();
            (rng.random_range(1..=1000i64), rng.random_range(1..=1000i64))
        };
        let t = Instant::now();
        let mut tx = db.begin_write().await?;
        sqlx::query("UPDATE t SET balance = balance - 1 WHERE id = $1").bind(a).execute(&mut *tx).await?;
        sqlx::query("UPDATE t SET balance = balance + 1 WHERE id = $1").bind(b).execute(&mut *tx).await?;
        tx.commit().await?;
        latencies.push(t.elapsed().as_micros() as u64);
    }
    let secs = started.elapsed().as_secs_f64();
    db.close().await;
    Ok(summarise(latencies, secs))
}

/// The PostgreSQL baseline: pgbench's built-in TPC-B-like script at scale 10, with a
/// per-transaction log so its p50 and p99 are computed the same way as the ledger's.
fn pgbench_baseline(url: &str, clients: usize, duration: Duration) -> anyhow::Result<Measurement> {
    let init = std::process::Command::new("pgbench")
        .args(["-i", "-q", "-s", "10", url])
        .output()
        .context("cannot run pgbench (install PostgreSQL's client tools)")?;
    anyhow::ensure!(init.status.success(), "pgbench -i failed: {}", String::from_utf8_lossy(&init.stderr));
    let logs = tempfile::tempdir()?;
    let prefix = logs.path().join("pgbench_log");
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-c", &clients.to_string(), "-j", "2", "-T", &duration.as_secs().to_string(), "-l"])
        .arg(format!("--log-prefix={}", prefix.display()))
        .arg(url)
        .output()
        .context("cannot run pgbench")?;
    anyhow::ensure!(out.status.success(), "pgbench failed: {}", String::from_utf8_lossy(&out.stderr));
    // Each log line: client_id transaction_no latency_us script_no epoch_s epoch_us.
    let mut latencies_us = Vec::new();
    for entry in std::fs::read_dir(logs.path())? {
        let text = std::fs::read_to_string(entry?.path())?;
        latencies_us.extend(text.lines().filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok()));
    }
    anyhow::ensure!(!latencies_us.is_empty(), "pgbench logged no transactions");
    Ok(summarise(latencies_us, duration.as_secs_f64()))
}

/// The server settings that decide whether commits are durable, for the report.
async fn pg_durability(url: &str) -> String {
    let Ok(db) = Db::connect(url).await else {
        return "unknown".into();
    };
    let mut parts = Vec::new();
    for setting in ["fsync", "synchronous_commit", "wal_sync_method"] {
        let value: Option<String> = sqlx::query_scalar("SELECT setting FROM pg_settings WHERE name = $1")
            .bind(setting)
            .fetch_optional(db.read_pool())
            .await
            .ok()
            .flatten();
        parts.push(format!("{setting}={}", value.unwrap_or_else(|| "?".into())));
    }
    db.close().await;
    parts.join(", ")
}

/// Scratch databases on a PostgreSQL server, dropped afterwards.
struct PgScratch {
    admin_url: String,
    names: Vec<String>,
    suffix: String,
}

impl PgScratch {
    async fn create(admin_url: &str, uses: &[&str]) -> anyhow::Result<PgScratch> {
        let suffix = random_hex_128()[..12].to_owned();
        let scratch = PgScratch {
            admin_url: admin_url.to_owned(),
            names: uses.iter().map(|which| format!("anshin_bench_{which}_{suffix}")).collect(),
            suffix,
        };
        let admin = Db::connect(admin_url).await.context("cannot reach PostgreSQL for the bench")?;
        for name in &scratch.names {
            sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin.write_pool()).await?;
        }
        admin.close().await;
        Ok(scratch)
    }

    fn url_for(&self, which: &str) -> String {
        let name = format!("anshin_bench_{which}_{}", self.suffix);
        replace_database(&self.admin_url, &name)
    }

    async fn drop_all(&self) {
        if let Ok(admin) = Db::connect(&self.admin_url).await {
            for name in &self.names {
                let _ = sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(admin.write_pool())
                    .await;
            }
            admin.close().await;
        }
    }
}

/// The same server URL with another database name.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let server = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}
