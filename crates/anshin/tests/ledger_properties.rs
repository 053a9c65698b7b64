//! Property test: random sequences of entries, holds, captures, voids, reversals and repeats,
//! submitted partly at once so they share batches, never break the verifier's invariants, on
//! SQLite and on PostgreSQL.

mod common;

use anshin::ledger::*;
use anshin::storage::ids::random_hex_128;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const WALLETS: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    Transfer { from: usize, to: usize, amount: i64 },
    Split { from: usize, to1: usize, to2: usize, amount: i64 },
    Hold { from: usize, to: usize, amount: i64 },
    Capture { hold: usize, amount: i64 },
    Void { hold: usize },
    Reverse { entry: usize },
    Repeat { op: usize },
    Reuse { op: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let w = 0..WALLETS;
    let amount = prop_oneof![1i64..50, 50i64..2_000, Just(1_000i64)];
    prop_oneof![
        4 => (w.clone(), w.clone(), amount.clone()).prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
        1 => (w.clone(), w.clone(), w.clone(), amount.clone()).prop_map(|(from, to1, to2, amount)| Op::Split { from, to1, to2, amount }),
        2 => (w.clone(), w.clone(), amount.clone()).prop_map(|(from, to, amount)| Op::Hold { from, to, amount }),
        2 => (0usize..8, amount.clone()).prop_map(|(hold, amount)| Op::Capture { hold, amount }),
        1 => (0usize..8).prop_map(|hold| Op::Void { hold }),
        1 => (0usize..16).prop_map(|entry| Op::Reverse { entry }),
        1 => (0usize..40).prop_map(|op| Op::Repeat { op }),
        1 => (0usize..40).prop_map(|op| Op::Reuse { op }),
    ]
}

/// Ops in groups; a group is submitted at once so its commands land in one batch.
fn scenario() -> impl Strategy<Value = Vec<Vec<Op>>> {
    prop::collection::vec(prop::collection::vec(op(), 1..8), 1..8)
}

struct Case {
    ledger: Ledger,
    jpy: Currency,
    wallets: Vec<String>,
    prefix: String,
    holds: Vec<String>,
    entries: Vec<String>,
    sent: Vec<(Command, Result<Receipt, LedgerError>)>,
}

impl Case {
    fn command(&self, op: &Op, n: usize) -> Option<Command> {
        let key = format!("{}-{n}", self.prefix);
        let w = |i: usize| self.wallets[i].clone();
        let jpy = self.jpy.clone();
        Some(match op {
            Op::Transfer { from, to, amount } => Command::transfer(key, &w(*from), &w(*to), &jpy, *amount, "transfer"),
            Op::Split { from, to1, to2, amount } => Command::Post {
                key,
                kind: "split".into(),
                description: String::new(),
                postings: vec![
                    Posting { account_id: w(*from), currency: jpy.clone(), amount_minor: -2 * amount },
                    Posting { account_id: w(*to1), currency: jpy.clone(), amount_minor: *amount },
                    Posting { account_id: w(*to2), currency: jpy.clone(), amount_minor: *amount },
                ],
            },
            Op::Hold { from, to, amount } => Command::Hold {
                key,
                debit_account_id: w(*from),
                credit_account_id: w(*to),
                currency: jpy,
                amount_minor: *amount,
                ttl_secs: 3_600,
            },
            Op::Capture { hold, amount } => {
                Command::Capture { key, hold_id: self.holds.get(*hold)?.clone(), amount_minor: *amount }
            }
            Op::Void { hold } => Command::Void { key, hold_id: self.holds.get(*hold)?.clone() },
            Op::Reverse { entry } => Command::Reverse { key, entry_id: self.entries.get(*entry)?.clone() },
            Op::Repeat { op } => self.sent.get(*op)?.0.clone(),
            Op::Reuse { op } => {
                // Same key, different content: must be refused (or be a plain repeat if equal).
                let (cmd, _) = self.sent.get(*op)?;
                Command::transfer(cmd.key(), &w(0), &w(1), &self.jpy, 7_777, "reuse")
            }
        })
    }

    async fn run(&mut self, groups: Vec<Vec<Op>>) -> Result<(), TestCaseError> {
        let mut n = 0;
        for group in groups {
            let mut commands = Vec::new();
            for op in &group {
                n += 1;
                if let Some(cmd) = self.command(op, n) {
                    commands.push(cmd);
                }
            }
            let results = futures::future::join_all(commands.iter().map(|c| self.ledger.submit(c.clone()))).await;
            for (cmd, result) in commands.into_iter().zip(results) {
                self.check_result(&cmd, &result)?;
                if let Ok(r) = &result {
                    match &r.outcome {
                        Outcome::Entry { entry_id } => self.entries.push(entry_id.clone()),
                        Outcome::Hold { hold_id } => self.holds.push(hold_id.clone()),
                        Outcome::Voided { .. } => {}
                    }
                }
                self.sent.push((cmd, result));
            }
        }
        Ok(())
    }

    fn check_result(&self, cmd: &Command, result: &Result<Receipt, LedgerError>) -> Result<(), TestCaseError> {
        if let Err(LedgerError::Storage(e)) = result {
            return Err(TestCaseError::fail(format!("storage error: {e}")));
        }
        // A repeat of a command that succeeded before returns exactly the first outcome.
        if let Some((_, Ok(first))) = self.sent.iter().find(|(c, r)| c == cmd && r.is_ok()) {
            match result {
                Ok(again) => prop_assert_eq!(&again.outcome, &first.outcome),
                Err(e) => {
                    return Err(TestCaseError::fail(format!("repeat of a successful command failed: {e:?}")));
                }
            }
        }
        // Reusing a key that succeeded with other content is always refused.
        if let Some((_, Ok(_))) = self.sent.iter().find(|(c, r)| c.key() == cmd.key() && c != cmd && r.is_ok()) {
            prop_assert!(matches!(result, Err(LedgerError::IdempotencyConflict(_))), "key reuse gave {:?}", result);
        }
        Ok(())
    }
}

fn run_properties(backend: &'static str) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let t = rt.block_on(common::TestDb::new(backend));
    let _guard = rt.enter();
    let (ledger, _task) = Ledger::start(t.db.clone());
    let jpy = Currency::jpy();
    let source = rt.block_on(ledger.system_account(AccountKind::CardFundingClearing, &jpy)).unwrap();
    let cases: u32 = std::env::var("ANSHIN_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&(scenario(), prop::collection::vec(0i64..3_000, WALLETS)), |(groups, funding)| {
            rt.block_on(async {
                let prefix = random_hex_128();
                let mut wallets = Vec::new();
                for (i, amount) in funding.iter().enumerate() {
                    let w = ledger
                        .open_account(&NewAccount {
                            kind: AccountKind::UserWallet,
                            currency: jpy.clone(),
                            flags: AccountFlags::NO_NEGATIVE,
                            owner_ref: None,
                        })
                        .await
                        .unwrap();
                    if *amount > 0 {
                        let fund =
                            Command::transfer(format!("{prefix}-fund-{i}"), &source, &w, &jpy, *amount, "top_up");
                        ledger.submit(fund).await.unwrap();
                    }
                    wallets.push(w);
                }
                let mut case = Case {
                    ledger: ledger.clone(),
                    jpy: jpy.clone(),
                    wallets,
                    prefix,
                    holds: Vec::new(),
                    entries: Vec::new(),
                    sent: Vec::new(),
                };
                case.run(groups).await?;
                let report = ledger.verify().await.unwrap();
                prop_assert!(report.ok(), "invariants broken: {:?}", report.problems);
                // Money is neither lost nor invented: the wallets hold exactly what was funded.
                let mut total = 0;
                for w in &case.wallets {
                    let a = ledger.account(w).await.unwrap();
                    prop_assert!(a.available_minor >= 0, "wallet {} overdrawn: {:?}", w, a);
                    total += a.balance_minor;
                }
                prop_assert_eq!(total, funding.iter().sum::<i64>());
                Ok(())
            })
        })
        .unwrap();
    let audit = rt.block_on(anshin::audit::verify(&t.db)).unwrap();
    assert!(audit.ok(), "{:?}", audit.problems);
}

#[test]
fn ledger_invariants_hold_for_random_histories_sqlite() {
    run_properties("sqlite");
}

#[test]
fn ledger_invariants_hold_for_random_histories_postgres() {
    if common::pg_skipped() {
        return;
    }
    run_properties("postgres");
}
