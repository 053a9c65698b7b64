//! The double-entry ledger: accounts, journal entries whose postings sum to zero, two-phase
//! holds, idempotent commands, balances, statements and a verifier.
//!
//! Commands are submitted to one writer task per process, which applies whatever has queued up as
//! one batch in one database transaction (group commit, as TigerBeetle does): one durable commit
//! carries many commands, while each command still succeeds or fails on its own. The audit record
//! and outbox messages of every command are written in that same transaction.

pub mod engine;
pub mod model;
mod store;
pub mod verify;

use std::time::Duration;

use sqlx::Row;
use tokio::sync::{mpsc, oneshot, watch};

use crate::audit;
use crate::notify;
use crate::storage::{Db, ids::new_id, now_ms};
use engine::Work;
pub use model::*;

/// Most commands applied in one transaction. Bounds memory and transaction time.
pub const MAX_BATCH: usize = 1_024;
/// Commands that may wait for the writer; past this, submitters wait (backpressure), and after
/// `SUBMIT_TIMEOUT` they get `Overloaded` instead of piling up without bound.
const QUEUE_CAPACITY: usize = 16_384;
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the writer looks for holds whose time is up, and how many it expires per sweep.
const EXPIRY_SWEEP_INTERVAL: Duration = Duration::from_secs(1);
const EXPIRY_SWEEP_LIMIT: i64 = 500;
/// A batch that fails for a transient reason (lost connection, serialization) is retried this often.
const BATCH_ATTEMPTS: u32 = 3;
pub const MAX_STATEMENT_PAGE: i64 = 100;

struct Job {
    work: Work,
    reply: Option<oneshot::Sender<Result<Receipt, LedgerError>>>,
}

/// Handle to the ledger. Cheap to clone; all clones feed the same writer.
#[derive(Clone)]
pub struct Ledger {
    db: Db,
    queue: mpsc::Sender<Job>,
    /// Counts batches that committed something: readers of rows written with journals (the
    /// merchants' live feed) wake on it instead of polling the database.
    commits: watch::Receiver<u64>,
    /// System accounts this process has made sure of: held and challenged payments, settlements
    /// and top-ups ask for theirs on every movement, and the insert would queue on the writer.
    known_system: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

impl Ledger {
    /// Start the writer. It stops when every `Ledger` clone is dropped, after draining its queue;
    /// the handle resolves then.
    ///
    /// The writer is the one serial part of every payment, so it runs on a thread and runtime of
    /// its own, with (on PostgreSQL) a connection of its own: a batch is a dozen round trips,
    /// and on the shared runtime each answer waited behind the request tasks before the writer
    /// ran again (measured: 11 ms per batch of 34 payments, of which 2.5 ms in the database).
    pub fn start(db: Db) -> (Ledger, tokio::task::JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(QUEUE_CAPACITY);
        let (commits_tx, commits) = watch::channel(0);
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let shared = db.clone();
        std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => runtime.block_on(run_writer(shared, rx, commits_tx)),
                    // Dropping `rx` closes the queue: submits get `ShuttingDown`, the server stops.
                    Err(e) => tracing::error!(error = %e, "cannot start the ledger writer's runtime"),
                }
                let _ = done_tx.send(());
            })
            .expect("the operating system starts a thread for the ledger writer");
        let handle = tokio::spawn(async move {
            let _ = done_rx.await;
        });
        (Ledger { db, queue, commits, known_system: Default::default() }, handle)
    }

    /// Changes after every batch that committed at least one command (after the commit).
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.commits.clone()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// False once the writer has stopped (it only stops on its own if an invariant check failed).
    pub fn is_running(&self) -> bool {
        !self.queue.is_closed()
    }

    /// Resolves if the writer stops while handles still exist: a failed invariant. Money must
    /// not move after that, so the server shuts down and a supervisor restarts it.
    pub async fn stopped(&self) {
        self.queue.closed().await
    }

    /// Submit one command and wait for its own outcome.
    pub async fn submit(&self, request: impl Into<Request>) -> Result<Receipt, LedgerError> {
        let request = request.into();
        // Malformed commands fail here, alone, before they can reach a batch's SQL.
        engine::check_shape(&request.command)?;
        for message in &request.notify {
            message.validate().map_err(LedgerError::InvalidCommand)?;
        }
        let (tx, rx) = oneshot::channel();
        let job = Job { work: Work::Request(request), reply: Some(tx) };
        match tokio::time::timeout(SUBMIT_TIMEOUT, self.queue.send(job)).await {
            Err(_) => return Err(LedgerError::Overloaded),
            Ok(Err(_)) => return Err(LedgerError::ShuttingDown),
            Ok(Ok(())) => {}
        }
        rx.await.unwrap_or(Err(LedgerError::ShuttingDown))
    }

    /// Open an account and return its new id. Accounts are created directly, not through the
    /// batching writer: opening is rare, and a new account holds no money until an entry moves some.
    pub async fn open_account(&self, new: &NewAccount) -> Result<String, LedgerError> {
        let id = new_id("acc");
        sqlx::query(
            "INSERT INTO ledger_accounts (id, kind, currency, flags, owner_ref, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(new.kind.as_str())
        .bind(new.currency.as_str())
        .bind(new.flags.0)
        .bind(&new.owner_ref)
        .bind(now_ms())
        .execute(self.db.write_pool())
        .await?;
        Ok(id)
    }

    /// The platform's own account of `kind` in `currency` (fee income, clearing, loss reserve…),
    /// created on first use with a stable id so every process finds the same one.
    pub async fn system_account(&self, kind: AccountKind, currency: &Currency) -> Result<String, LedgerError> {
        let id = format!("sys_{}_{}", kind.as_str(), currency.as_str().to_ascii_lowercase());
        if self.known_system.lock().expect("not poisoned").contains(&id) {
            return Ok(id);
        }
        sqlx::query(
            "INSERT INTO ledger_accounts (id, kind, currency, flags, owner_ref, created_at_ms)
             VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(kind.as_str())
        .bind(currency.as_str())
        .bind(kind.default_flags().0)
        .bind(now_ms())
        .execute(self.db.write_pool())
        .await?;
        // At most one id per kind and currency: the set stays tiny.
        self.known_system.lock().expect("not poisoned").insert(id.clone());
        Ok(id)
    }

    pub async fn account(&self, account_id: &str) -> Result<Account, LedgerError> {
        let row = sqlx::query(
            "SELECT id, kind, currency, flags, owner_ref, balance_minor, pending_debit_minor, pending_credit_minor
             FROM ledger_accounts WHERE id = $1",
        )
        .bind(account_id)
        .fetch_optional(self.db.read_pool())
        .await?
        .ok_or_else(|| LedgerError::AccountNotFound(account_id.to_owned()))?;
        let balance_minor: i64 = row.try_get("balance_minor")?;
        let pending_debit_minor: i64 = row.try_get("pending_debit_minor")?;
        Ok(Account {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            currency: row.try_get("currency")?,
            flags: row.try_get("flags")?,
            owner_ref: row.try_get("owner_ref")?,
            balance_minor,
            pending_debit_minor,
            pending_credit_minor: row.try_get("pending_credit_minor")?,
            available_minor: balance_minor - pending_debit_minor,
        })
    }

    /// What each account may spend now (posted balance less holds), in the order asked; one
    /// query for a wallet's parts instead of one per account.
    pub async fn available(&self, account_ids: &[&str]) -> Result<Vec<i64>, LedgerError> {
        let list = (1..=account_ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT id, balance_minor - pending_debit_minor AS available FROM ledger_accounts WHERE id IN ({list})"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in account_ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(self.db.read_pool()).await?;
        account_ids
            .iter()
            .map(|id| {
                let row = rows.iter().find(|r| r.try_get::<String, _>("id").is_ok_and(|found| found == *id));
                let row = row.ok_or_else(|| LedgerError::AccountNotFound((*id).to_owned()))?;
                Ok(row.try_get("available")?)
            })
            .collect()
    }

    /// Postings of one account, newest first. `before` is the `next_before` of the previous page.
    pub async fn statement(
        &self,
        account_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<StatementPage, LedgerError> {
        let limit = limit.clamp(1, MAX_STATEMENT_PAGE);
        // Fetch one extra row to learn whether another page follows.
        let rows = sqlx::query(
            "SELECT p.id, p.entry_id, e.kind, e.description, p.amount_minor, p.balance_after_minor, p.created_at_ms
             FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
             WHERE p.account_id = $1 AND p.id < $2 ORDER BY p.id DESC LIMIT $3",
        )
        .bind(account_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit + 1)
        .fetch_all(self.db.read_pool())
        .await?;
        let mut lines = rows
            .iter()
            .map(|r| {
                Ok(StatementLine {
                    posting_id: r.try_get("id")?,
                    entry_id: r.try_get("entry_id")?,
                    kind: r.try_get("kind")?,
                    description: r.try_get("description")?,
                    amount_minor: r.try_get("amount_minor")?,
                    balance_after_minor: r.try_get("balance_after_minor")?,
                    created_at_ms: r.try_get("created_at_ms")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let more = lines.len() as i64 > limit;
        lines.truncate(limit as usize);
        let next_before = if more { lines.last().map(|l| l.posting_id) } else { None };
        Ok(StatementPage { lines, next_before })
    }

    pub async fn verify(&self) -> Result<verify::LedgerReport, LedgerError> {
        Ok(verify::verify(&self.db).await?)
    }
}

/// The writer on its own connection (its runtime's), which it closes when it stops.
async fn run_writer(shared: Db, rx: mpsc::Receiver<Job>, commits: watch::Sender<u64>) {
    match shared.with_own_write_connection().await {
        Ok(Some(own)) => {
            writer(own.clone(), rx, commits).await;
            own.write_pool().close().await;
        }
        Ok(None) => writer(shared, rx, commits).await,
        Err(e) => {
            // The shared pool works too, only slower.
            tracing::warn!(error = %e, "the ledger writer uses the shared write pool");
            writer(shared, rx, commits).await;
        }
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Job>, commits: watch::Sender<u64>) {
    let mut sweep = tokio::time::interval(EXPIRY_SWEEP_INTERVAL);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            received = rx.recv_many(&mut batch, MAX_BATCH) => {
                if received == 0 {
                    return; // every handle dropped and the queue is drained
                }
            }
            _ = sweep.tick() => {
                match store::expired_hold_ids(&db, now_ms(), EXPIRY_SWEEP_LIMIT).await {
                    Ok(ids) => batch.extend(ids.into_iter().map(|hold_id| Job { work: Work::Expire { hold_id }, reply: None })),
                    Err(e) => tracing::warn!(error = %e, "hold expiry sweep failed"),
                }
                if batch.is_empty() {
                    continue;
                }
            }
        }
        if process(&db, std::mem::take(&mut batch)).await > 0 {
            commits.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

/// Apply one batch and answer its submitters; how many commands committed.
async fn process(db: &Db, jobs: Vec<Job>) -> u64 {
    let (work, replies): (Vec<Work>, Vec<_>) = jobs.into_iter().map(|j| (j.work, j.reply)).unzip();
    metrics::histogram!("anshin_ledger_batch_size").record(work.len() as f64);
    let results = match run_batch_with_retry(db, &work).await {
        Ok(results) => results,
        Err(e) if work.len() > 1 => {
            // Isolate the culprit: run each command alone so only the faulty one fails.
            tracing::warn!(error = %e, size = work.len(), "ledger batch failed; retrying one by one");
            let mut results = Vec::with_capacity(work.len());
            for item in &work {
                let r = run_batch_with_retry(db, std::slice::from_ref(item)).await;
                results.push(r.map(|mut v| v.remove(0)).unwrap_or_else(|e| Err(e.into())));
            }
            results
        }
        Err(e) => vec![Err(e.into())],
    };
    let (mut ok, mut rejected) = (0u64, 0u64);
    for (reply, result) in replies.into_iter().zip(results) {
        if result.is_ok() {
            ok += 1;
        } else {
            rejected += 1;
        }
        if let Some(reply) = reply {
            let _ = reply.send(result); // the submitter may have given up; its outcome is still committed
        }
    }
    metrics::counter!("anshin_ledger_commands_total", "result" => "ok").increment(ok);
    metrics::counter!("anshin_ledger_commands_total", "result" => "rejected").increment(rejected);
    ok
}

type Results = Vec<Result<Receipt, LedgerError>>;

/// Why a batch did not commit.
enum BatchError {
    Sql(sqlx::Error),
    /// The command at this index had an `Effect` whose condition did not hold.
    Refused {
        index: usize,
        refusal: &'static str,
    },
    /// A multi-row effect statement touched other rows than its effects expected together.
    Unbatch,
}

impl From<sqlx::Error> for BatchError {
    fn from(e: sqlx::Error) -> Self {
        BatchError::Sql(e)
    }
}

/// Run the batch; a command whose effect's condition fails is refused alone and the batch runs
/// again without it (at most once per command, so this ends).
async fn run_batch_with_retry(db: &Db, work: &[Work]) -> Result<Results, sqlx::Error> {
    let mut refused: Vec<(usize, &'static str)> = Vec::new();
    let mut live_index: Vec<usize> = (0..work.len()).collect();
    let mut live: Vec<Work> = Vec::new();
    loop {
        let items = if refused.is_empty() { work } else { &live[..] };
        match run_batch_attempts(db, items).await {
            Ok(results) => {
                let mut out: Vec<Option<Result<Receipt, LedgerError>>> = (0..work.len()).map(|_| None).collect();
                for (k, result) in results.into_iter().enumerate() {
                    out[live_index[k]] = Some(result);
                }
                for (i, refusal) in refused {
                    out[i] = Some(Err(LedgerError::EffectRefused(refusal)));
                }
                return Ok(out.into_iter().map(|r| r.expect("every command has a result")).collect());
            }
            Err(BatchError::Refused { index, refusal }) => {
                refused.push((live_index.remove(index), refusal));
                live = live_index.iter().map(|&i| work[i].clone()).collect();
                if live.is_empty() {
                    return Ok(refused_only(work.len(), &refused));
                }
            }
            Err(BatchError::Sql(e)) => return Err(e),
            Err(BatchError::Unbatch) => unreachable!("an unbatched run never asks to unbatch"),
        }
    }
}

fn refused_only(len: usize, refused: &[(usize, &'static str)]) -> Results {
    let mut out: Results = (0..len).map(|_| Err(LedgerError::EffectRefused(""))).collect();
    for &(i, refusal) in refused {
        out[i] = Err(LedgerError::EffectRefused(refusal));
    }
    out
}

async fn run_batch_attempts(db: &Db, work: &[Work]) -> Result<Results, BatchError> {
    let mut attempt = 0;
    let mut batched = true;
    loop {
        attempt += 1;
        match run_batch(db, work, batched).await {
            Ok(results) => return Ok(results),
            // A condition failed somewhere in a multi-row statement: run the batch again one
            // statement per effect, which names the command to refuse.
            Err(BatchError::Unbatch) if batched => {
                batched = false;
                attempt -= 1;
            }
            Err(BatchError::Sql(e)) if attempt < BATCH_ATTEMPTS && !is_permanent(&e) => {
                tracing::warn!(error = %e, attempt, "ledger batch attempt failed");
                tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Errors that will fail again however often they are retried: bad data (SQLSTATE class 22) and
/// constraint violations (class 23) on PostgreSQL.
fn is_permanent(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).is_some_and(|code| code.starts_with("22") || code.starts_with("23"))
}

/// One transaction: lock the audit head (which orders ledger writers across processes), load
/// what the batch reads, apply it in memory, write the effects, audit and outbox rows, commit.
async fn run_batch(db: &Db, work: &[Work], batched: bool) -> Result<Results, BatchError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let head = audit::lock_head(db, &mut tx).await?;
    let reads = engine::reads_of(work);
    let mut snap = store::load(db, &mut tx, &reads).await?;
    let (results, fx) = engine::apply(&mut snap, work, now);
    if fx.idempotency.is_empty() && fx.changed_hold_ids.is_empty() {
        tx.rollback().await?; // nothing to write: every command failed or replayed
        return Ok(results);
    }
    store::write(db, &mut tx, &snap, &fx, now).await?;
    if let Err(e) = run_effects(db, &mut tx, &fx.domain, batched).await {
        tx.rollback().await?;
        return Err(e);
    }
    audit::append_after(db, &mut tx, head, &fx.audit).await?;
    notify::enqueue(db, &mut tx, &fx.outbox).await?;
    tx.commit().await?;
    Ok(results)
}

/// An effect with its command's index in the batch and the id of what the command made.
type EffectOf<'a> = (usize, &'a Effect, &'a str);

/// Run the other contexts' statements of the applied commands, each command's in its own order.
/// Batched, the `k`-th effects of all commands run in round `k`, those of one `BatchSql` kind as
/// one statement; a kind's row count must then be the sum its effects expect, or the batch is
/// run again unbatched (`Unbatch`). An effect run alone whose condition fails refuses its command.
async fn run_effects(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    domain: &[(usize, Vec<Effect>, String)],
    batched: bool,
) -> Result<(), BatchError> {
    if !batched {
        // Command by command, as the commands were submitted: the first to fail a condition is refused.
        for (index, effects, outcome_id) in domain {
            for effect in effects {
                run_alone(tx, *index, effect, outcome_id).await?;
            }
        }
        return Ok(());
    }
    let rounds = domain.iter().map(|(_, effects, _)| effects.len()).max().unwrap_or(0);
    for round in 0..rounds {
        // Kinds in the order they first appear; an effect without a batch form is a kind alone.
        let mut kinds: Vec<(Option<BatchSql>, Vec<EffectOf<'_>>)> = Vec::new();
        for (index, effects, outcome_id) in domain {
            let Some(effect) = effects.get(round) else { continue };
            let form = effect.batch;
            match kinds.iter_mut().find(|(kind, _)| kind.is_some() && *kind == form) {
                Some((_, members)) => members.push((*index, effect, outcome_id.as_str())),
                None => kinds.push((form, vec![(*index, effect, outcome_id.as_str())])),
            }
        }
        for (form, members) in kinds {
            if let (Some(form), true) = (form, members.len() > 1) {
                let touched = match store::run_effects_batched(db.backend(), tx, &form, &members).await {
                    // Two effects on one row (one user's two transfers): PostgreSQL will not
                    // upsert a row twice in one statement, so the batch runs one by one.
                    Err(e) if touches_a_row_twice(&e) => return Err(BatchError::Unbatch),
                    touched => touched?,
                };
                let expected: Option<u64> = members.iter().map(|(_, e, _)| e.expect_rows).sum();
                if expected.is_some_and(|n| n != touched) {
                    return Err(BatchError::Unbatch);
                }
                continue;
            }
            // Alone in its kind this round, its condition names its own command.
            let (index, effect, outcome_id) = members[0];
            run_alone(tx, index, effect, outcome_id).await?;
        }
    }
    Ok(())
}

/// PostgreSQL's cardinality violation (SQLSTATE 21000): "ON CONFLICT DO UPDATE command cannot
/// affect row a second time".
fn touches_a_row_twice(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).is_some_and(|code| code == "21000")
}

/// One effect as one statement; its failed condition refuses command `index`.
async fn run_alone(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    index: usize,
    effect: &Effect,
    outcome_id: &str,
) -> Result<(), BatchError> {
    let touched = store::run_effect(tx, effect, outcome_id).await?;
    if effect.expect_rows.is_some_and(|n| n != touched) {
        return Err(BatchError::Refused { index, refusal: effect.refusal });
    }
    Ok(())
}
