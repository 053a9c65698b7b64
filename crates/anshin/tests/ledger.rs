//! The ledger against real databases: each test runs on SQLite and on PostgreSQL.

mod common;

use anshin::ledger::*;
use anshin::storage::ids::random_hex_128;
use common::TestDb;

struct Books {
    ledger: Ledger,
    jpy: Currency,
    source: String,
    prefix: String,
}

impl Books {
    async fn open(t: &TestDb) -> Books {
        let (ledger, _task) = Ledger::start(t.db.clone());
        let jpy = Currency::jpy();
        let source = ledger.system_account(AccountKind::CardFundingClearing, &jpy).await.unwrap();
        Books { ledger, jpy, source, prefix: random_hex_128() }
    }

    fn key(&self, k: &str) -> String {
        format!("{}-{k}", self.prefix)
    }

    async fn wallet(&self) -> String {
        self.ledger
            .open_account(&NewAccount {
                kind: AccountKind::UserWallet,
                currency: self.jpy.clone(),
                flags: AccountKind::UserWallet.default_flags(),
                owner_ref: None,
            })
            .await
            .unwrap()
    }

    async fn funded_wallet(&self, amount_minor: i64) -> String {
        let w = self.wallet().await;
        self.transfer(&format!("fund-{w}"), &self.source.clone(), &w, amount_minor).await.unwrap();
        w
    }

    async fn transfer(&self, key: &str, from: &str, to: &str, amount_minor: i64) -> Result<Receipt, LedgerError> {
        self.ledger.submit(Command::transfer(self.key(key), from, to, &self.jpy, amount_minor, "transfer")).await
    }

    async fn balance(&self, account: &str) -> (i64, i64) {
        let a = self.ledger.account(account).await.unwrap();
        (a.balance_minor, a.available_minor)
    }

    async fn assert_sound(&self) {
        let report = self.ledger.verify().await.unwrap();
        assert!(report.ok(), "ledger verification failed: {:?}", report.problems);
        let audit = anshin::audit::verify(self.ledger.db()).await.unwrap();
        assert!(audit.ok(), "audit chain broken: {:?}", audit.problems);
    }
}

fn entry_id(r: &Receipt) -> String {
    match &r.outcome {
        Outcome::Entry { entry_id } => entry_id.clone(),
        other => panic!("expected an entry, got {other:?}"),
    }
}

fn hold_id(r: &Receipt) -> String {
    match &r.outcome {
        Outcome::Hold { hold_id } => hold_id.clone(),
        other => panic!("expected a hold, got {other:?}"),
    }
}

on_both!(transfer_moves_money_and_writes_statement, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(1_000).await;
    let bob = b.wallet().await;
    let r = b.transfer("t1", &alice, &bob, 300).await.unwrap();
    assert!(!r.replayed);
    assert_eq!(b.balance(&alice).await, (700, 700));
    assert_eq!(b.balance(&bob).await, (300, 300));
    assert_eq!(b.balance(&b.source).await.0, -1_000, "the funding source carries the matching debit");

    let page = b.ledger.statement(&alice, None, 1).await.unwrap();
    assert_eq!(page.lines.len(), 1);
    assert_eq!(page.lines[0].amount_minor, -300);
    assert_eq!(page.lines[0].balance_after_minor, 700);
    assert_eq!(page.lines[0].entry_id, entry_id(&r));
    let older = b.ledger.statement(&alice, page.next_before, 1).await.unwrap();
    assert_eq!(older.lines.len(), 1);
    assert_eq!(older.lines[0].amount_minor, 1_000);
    assert_eq!(older.next_before, None, "no page after the first posting");
    b.assert_sound().await;

    // The money movement is in the audit chain, written in the same transaction.
    let records = anshin::audit::read_page(b.ledger.db(), 0, 100).await.unwrap();
    assert!(records.iter().any(|r2| r2.action == "ledger.entry.posted" && r2.target == entry_id(&r)));
});

on_both!(idempotent_repeat_returns_first_result, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(1_000).await;
    let bob = b.wallet().await;
    let first = b.transfer("same", &alice, &bob, 100).await.unwrap();
    let again = b.transfer("same", &alice, &bob, 100).await.unwrap();
    assert!(again.replayed);
    assert_eq!(first.outcome, again.outcome);
    assert_eq!(b.balance(&alice).await.0, 900, "a repeat moves no money");
    let conflict = b.transfer("same", &alice, &bob, 101).await.unwrap_err();
    assert!(matches!(conflict, LedgerError::IdempotencyConflict(_)), "{conflict:?}");

    // Five identical requests at once: one posting (SECURITY-CHECKLIST 56).
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let ledger = b.ledger.clone();
            let cmd = Command::transfer(b.key("parallel"), &alice, &bob, &b.jpy, 50, "transfer");
            tokio::spawn(async move { ledger.submit(cmd).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(entry_id(&task.await.unwrap().unwrap()));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every parallel repeat names the same entry");
    assert_eq!(b.balance(&alice).await.0, 850);
    b.assert_sound().await;
});

on_both!(bad_commands_are_refused_and_change_nothing, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(1_000).await;
    let bob = b.wallet().await;
    let usd_wallet = b
        .ledger
        .open_account(&NewAccount {
            kind: AccountKind::UserWallet,
            currency: Currency::parse("USD").unwrap(),
            flags: AccountFlags::NO_NEGATIVE,
            owner_ref: None,
        })
        .await
        .unwrap();
    let e = b.transfer("over", &alice, &bob, 1_001).await.unwrap_err();
    assert_eq!(e, LedgerError::InsufficientFunds(alice.clone()));
    let e = b.transfer("zero", &alice, &bob, 0).await.unwrap_err();
    assert!(matches!(e, LedgerError::InvalidCommand(_)), "{e:?}");
    let e = b.transfer("ghost", &alice, "acc_nope", 1).await.unwrap_err();
    assert_eq!(e, LedgerError::AccountNotFound("acc_nope".into()));
    let e = b.transfer("fx", &alice, &usd_wallet, 1).await.unwrap_err();
    assert!(matches!(e, LedgerError::CurrencyMismatch { .. }), "{e:?}");
    let unbalanced = Command::Post {
        key: b.key("unbalanced"),
        kind: "transfer".into(),
        description: String::new(),
        postings: vec![
            Posting { account_id: alice.clone(), currency: b.jpy.clone(), amount_minor: -10 },
            Posting { account_id: bob.clone(), currency: b.jpy.clone(), amount_minor: 9 },
        ],
    };
    assert_eq!(b.ledger.submit(unbalanced).await.unwrap_err(), LedgerError::Unbalanced("JPY".into()));
    let single = Command::Post {
        key: b.key("single"),
        kind: "transfer".into(),
        description: String::new(),
        postings: vec![Posting { account_id: alice.clone(), currency: b.jpy.clone(), amount_minor: 0 }],
    };
    assert!(matches!(b.ledger.submit(single).await.unwrap_err(), LedgerError::InvalidCommand(_)));
    let bad_kind = Command::transfer(b.key("kind"), &alice, &bob, &b.jpy, 1, "DROP TABLE");
    assert!(matches!(b.ledger.submit(bad_kind).await.unwrap_err(), LedgerError::InvalidCommand(_)));
    let empty_key = Command::transfer("", &alice, &bob, &b.jpy, 1, "transfer");
    assert!(matches!(b.ledger.submit(empty_key).await.unwrap_err(), LedgerError::InvalidCommand(_)));
    assert_eq!(b.balance(&alice).await, (1_000, 1_000));
    assert_eq!(b.balance(&bob).await, (0, 0));
    // A refused key was not consumed: the same key may carry a valid command later.
    b.transfer("over", &alice, &bob, 1_000).await.unwrap();
    b.assert_sound().await;
});

on_both!(entries_with_many_postings_and_currencies_balance_per_currency, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(10_000).await;
    let merchant = b
        .ledger
        .open_account(&NewAccount {
            kind: AccountKind::MerchantReceivable,
            currency: b.jpy.clone(),
            flags: AccountKind::MerchantReceivable.default_flags(),
            owner_ref: Some("mer_test".into()),
        })
        .await
        .unwrap();
    let fees = b.ledger.system_account(AccountKind::PlatformFeeIncome, &b.jpy).await.unwrap();
    let tax = b.ledger.system_account(AccountKind::ConsumptionTaxPayable, &b.jpy).await.unwrap();
    let jpy = b.jpy.clone();
    let p =
        |account: &str, amount_minor: i64| Posting { account_id: account.into(), currency: jpy.clone(), amount_minor };
    // A ¥5,000 payment: merchant gets ¥4,835, the platform ¥150 fee and ¥15 consumption tax on it.
    let payment = Command::Post {
        key: b.key("pay"),
        kind: "payment".into(),
        description: "Coffee".into(),
        postings: vec![p(&alice, -5_000), p(&merchant, 4_835), p(&fees, 150), p(&tax, 15)],
    };
    b.ledger.submit(payment).await.unwrap();
    assert_eq!(b.balance(&merchant).await.0, 4_835);
    assert_eq!(b.balance(&fees).await.0, 150);

    let usd = Currency::parse("USD").unwrap();
    let usd_a = b.ledger.system_account(AccountKind::Suspense, &usd).await.unwrap();
    let usd_b = b.ledger.system_account(AccountKind::BankClearing, &usd).await.unwrap();
    let two_currencies = Command::Post {
        key: b.key("fx"),
        kind: "fx".into(),
        description: String::new(),
        postings: vec![
            p(&alice, -100),
            p(&fees, 100),
            Posting { account_id: usd_a.clone(), currency: usd.clone(), amount_minor: -1 },
            Posting { account_id: usd_b.clone(), currency: usd.clone(), amount_minor: 1 },
        ],
    };
    b.ledger.submit(two_currencies).await.unwrap();
    b.assert_sound().await;
});

on_both!(holds_reserve_capture_void_and_expire, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(1_000).await;
    let shop = b.wallet().await;
    let hold = |key: &str, amount_minor: i64, ttl_secs: i64| Command::Hold {
        key: b.key(key),
        debit_account_id: alice.clone(),
        credit_account_id: shop.clone(),
        currency: b.jpy.clone(),
        amount_minor,
        ttl_secs,
    };
    let h1 = hold_id(&b.ledger.submit(hold("h1", 600, 3600)).await.unwrap());
    assert_eq!(b.balance(&alice).await, (1_000, 400), "the hold reserves funds");
    assert_eq!(b.ledger.account(&shop).await.unwrap().pending_credit_minor, 600);
    let e = b.transfer("too-much", &alice, &shop, 500).await.unwrap_err();
    assert_eq!(e, LedgerError::InsufficientFunds(alice.clone()), "reserved funds cannot be spent twice");
    let e = b.ledger.submit(hold("h-over", 401, 3600)).await.unwrap_err();
    assert_eq!(e, LedgerError::InsufficientFunds(alice.clone()));

    let e = b
        .ledger
        .submit(Command::Capture { key: b.key("c-over"), hold_id: h1.clone(), amount_minor: 601 })
        .await
        .unwrap_err();
    assert!(matches!(e, LedgerError::CaptureExceedsHold { .. }), "{e:?}");
    let captured =
        b.ledger.submit(Command::Capture { key: b.key("c1"), hold_id: h1.clone(), amount_minor: 450 }).await.unwrap();
    entry_id(&captured);
    assert_eq!(b.balance(&alice).await, (550, 550), "a partial capture releases the rest");
    assert_eq!(b.balance(&shop).await, (450, 450));
    let e = b.ledger.submit(Command::Void { key: b.key("v-after"), hold_id: h1.clone() }).await.unwrap_err();
    assert!(matches!(e, LedgerError::HoldNotPending { .. }), "{e:?}");

    let h2 = hold_id(&b.ledger.submit(hold("h2", 500, 3600)).await.unwrap());
    assert_eq!(b.balance(&alice).await, (550, 50));
    b.ledger.submit(Command::Void { key: b.key("v2"), hold_id: h2.clone() }).await.unwrap();
    assert_eq!(b.balance(&alice).await, (550, 550));
    let e = b.ledger.submit(Command::Capture { key: b.key("c2"), hold_id: h2, amount_minor: 1 }).await.unwrap_err();
    assert!(matches!(e, LedgerError::HoldNotPending { .. }), "{e:?}");

    let e = b.ledger.submit(Command::Void { key: b.key("v-ghost"), hold_id: "hold_nope".into() }).await.unwrap_err();
    assert_eq!(e, LedgerError::HoldNotFound("hold_nope".into()));
    let e = b.ledger.submit(hold("bad-ttl", 1, 0)).await.unwrap_err();
    assert!(matches!(e, LedgerError::InvalidCommand(_)));

    // Expiry: a one-second hold is released by the writer's sweep.
    let h3 = hold_id(&b.ledger.submit(hold("h3", 300, 1)).await.unwrap());
    assert_eq!(b.balance(&alice).await, (550, 250));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while b.balance(&alice).await.1 != 550 {
        assert!(std::time::Instant::now() < deadline, "the expired hold was never released");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let e = b.ledger.submit(Command::Capture { key: b.key("c3"), hold_id: h3, amount_minor: 300 }).await.unwrap_err();
    assert!(matches!(e, LedgerError::HoldNotPending { .. } | LedgerError::HoldExpired(_)), "{e:?}");
    b.assert_sound().await;
});

on_both!(reversals_undo_without_rewriting_history, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(1_000).await;
    let bob = b.wallet().await;
    let pay = entry_id(&b.transfer("pay", &alice, &bob, 400).await.unwrap());
    let rev = b.ledger.submit(Command::Reverse { key: b.key("rev"), entry_id: pay.clone() }).await.unwrap();
    let rev = entry_id(&rev);
    assert_eq!(b.balance(&alice).await.0, 1_000);
    assert_eq!(b.balance(&bob).await.0, 0);
    let e = b.ledger.submit(Command::Reverse { key: b.key("rev2"), entry_id: pay.clone() }).await.unwrap_err();
    assert_eq!(e, LedgerError::AlreadyReversed(pay.clone()));
    let e = b.ledger.submit(Command::Reverse { key: b.key("rev3"), entry_id: rev.clone() }).await.unwrap_err();
    assert_eq!(e, LedgerError::CannotReverseReversal(rev));
    // Reversing money the receiver has already spent would overdraw them: refused.
    let gift = entry_id(&b.transfer("gift", &alice, &bob, 300).await.unwrap());
    b.transfer("spend", &bob, &alice, 200).await.unwrap();
    let e = b.ledger.submit(Command::Reverse { key: b.key("rev4"), entry_id: gift }).await.unwrap_err();
    assert_eq!(e, LedgerError::InsufficientFunds(bob.clone()));
    // Both the original and its reversal stay in the statement.
    let lines = b.ledger.statement(&alice, None, 100).await.unwrap().lines;
    assert_eq!(lines.len(), 5);
    b.assert_sound().await;
});

on_both!(concurrent_overspend_never_goes_below_zero, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(1_000).await;
    let bob = b.wallet().await;
    // 200 tasks each try to take ¥30: exactly 33 fit.
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let ledger = b.ledger.clone();
            let cmd = Command::transfer(b.key(&format!("drain-{i}")), &alice, &bob, &b.jpy, 30, "transfer");
            tokio::spawn(async move { ledger.submit(cmd).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(LedgerError::InsufficientFunds(_)) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(ok, 33);
    assert_eq!(b.balance(&alice).await, (10, 10));
    // 50 parallel full-balance payments: one succeeds (SECURITY-CHECKLIST 57).
    let carol = b.funded_wallet(5_000).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let ledger = b.ledger.clone();
            let cmd = Command::transfer(b.key(&format!("full-{i}")), &carol, &bob, &b.jpy, 5_000, "payment");
            tokio::spawn(async move { ledger.submit(cmd).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        ok += usize::from(task.await.unwrap().is_ok());
    }
    assert_eq!(ok, 1);
    assert_eq!(b.balance(&carol).await.0, 0);
    b.assert_sound().await;
});

on_both!(overspend_from_two_processes_never_goes_below_zero, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(1_000).await;
    let bob = b.wallet().await;
    let spawn = |prefix: &str| {
        std::process::Command::new(common::anshin_bin())
            .args(["--database-url", &t.url, "testkit", "overspend", "--from", &alice, "--to", &bob])
            .args(["--amount", "30", "--attempts", "60", "--concurrency", "16", "--key-prefix", prefix])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn anshin")
    };
    let p1 = spawn(&b.key("p1"));
    let p2 = spawn(&b.key("p2"));
    let mut succeeded = 0;
    for p in [p1, p2] {
        let out = p.wait_with_output().unwrap();
        assert!(out.status.success(), "testkit failed: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json summary");
        assert_eq!(v["other"], 0, "{v}");
        succeeded += v["succeeded"].as_i64().unwrap();
    }
    assert_eq!(succeeded, 33, "two processes together may take exactly what is there");
    assert_eq!(b.balance(&alice).await, (10, 10));
    b.assert_sound().await;
});

on_both!(verifier_catches_broken_books, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(1_000).await;
    let bob = b.wallet().await;
    b.transfer("x", &alice, &bob, 100).await.unwrap();
    b.assert_sound().await;
    // Somebody edits a balance behind the ledger's back.
    sqlx::query("UPDATE ledger_accounts SET balance_minor = balance_minor + 5 WHERE id = $1")
        .bind(&bob)
        .execute(t.db.write_pool())
        .await
        .unwrap();
    let report = b.ledger.verify().await.unwrap();
    assert!(report.problems.iter().any(|p| p.contains(&bob) && p.contains("postings sum to")), "{report:?}");
    // … and a posting amount, which unbalances its entry.
    sqlx::query("UPDATE ledger_postings SET amount_minor = amount_minor - 1 WHERE account_id = $1")
        .bind(&alice)
        .execute(t.db.write_pool())
        .await
        .unwrap();
    sqlx::query("UPDATE ledger_accounts SET balance_minor = -7 WHERE id = $1")
        .bind(&alice)
        .execute(t.db.write_pool())
        .await
        .unwrap();
    let report = b.ledger.verify().await.unwrap();
    assert!(report.problems.iter().any(|p| p.contains("does not balance")), "{report:?}");
    assert!(report.problems.iter().any(|p| p.contains("overdrawn")), "{report:?}");
    let out = std::process::Command::new(common::anshin_bin())
        .args(["--database-url", &t.url, "admin", "verify-ledger"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "verify-ledger must fail on broken books");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ledger BROKEN"));
});

on_both!(one_bad_command_does_not_spoil_its_batch, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(10_000).await;
    let bob = b.wallet().await;
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let ledger = b.ledger.clone();
            let to = if i % 10 == 0 { "acc_missing".to_owned() } else { bob.clone() };
            let cmd = Command::transfer(b.key(&format!("mix-{i}")), &alice, &to, &b.jpy, 10, "transfer");
            tokio::spawn(async move { ledger.submit(cmd).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(LedgerError::AccountNotFound(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(ok, 90);
    assert_eq!(b.balance(&bob).await.0, 900);
    b.assert_sound().await;
});

on_both!(malformed_ids_and_text_fail_alone, |t: TestDb| async move {
    let b = Books::open(&t).await;
    let alice = b.funded_wallet(1_000).await;
    let bob = b.wallet().await;
    // A NUL byte, which PostgreSQL cannot store, submitted alongside good commands.
    let bad_ids = ["acc\0x", "", "acc'; DROP TABLE ledger_accounts; --", &"a".repeat(65)];
    let mut tasks = Vec::new();
    for (i, bad) in bad_ids.iter().enumerate() {
        let cmd = Command::transfer(b.key(&format!("bad-{i}")), &alice, bad, &b.jpy, 1, "transfer");
        let ledger = b.ledger.clone();
        tasks.push(tokio::spawn(async move { ledger.submit(cmd).await }));
        let cmd = Command::transfer(b.key(&format!("good-{i}")), &alice, &bob, &b.jpy, 1, "transfer");
        let ledger = b.ledger.clone();
        tasks.push(tokio::spawn(async move { ledger.submit(cmd).await }));
    }
    let results: Vec<_> = futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    for (i, r) in results.iter().enumerate() {
        if i % 2 == 0 {
            assert!(matches!(r, Err(LedgerError::InvalidCommand(_))), "{r:?}");
        } else {
            assert!(r.is_ok(), "{r:?}");
        }
    }
    let nul_text = Command::Post {
        key: b.key("nul-text"),
        kind: "transfer".into(),
        description: "coffee\0".into(),
        postings: vec![
            Posting { account_id: alice.clone(), currency: b.jpy.clone(), amount_minor: -1 },
            Posting { account_id: bob.clone(), currency: b.jpy.clone(), amount_minor: 1 },
        ],
    };
    assert!(matches!(b.ledger.submit(nul_text).await, Err(LedgerError::InvalidCommand(_))));
    let nul_key = Command::transfer("key\0", &alice, &bob, &b.jpy, 1, "transfer");
    assert!(matches!(b.ledger.submit(nul_key).await, Err(LedgerError::InvalidCommand(_))));
    assert_eq!(b.balance(&bob).await.0, 4);
    b.assert_sound().await;
});

/// Another context's table for the effect tests: an id, the entry it belongs to, a counter.
async fn effect_probe(t: &TestDb) {
    sqlx::query("CREATE TABLE effect_probe (id TEXT PRIMARY KEY, entry_id TEXT NOT NULL, counter BIGINT NOT NULL)")
        .execute(t.db.write_pool())
        .await
        .unwrap();
}

// Effects: another context's rows commit with the command that applies (and only then); a
// conditional effect that fails refuses its own command alone, leaving nothing of it behind,
// while the rest of its batch commits.
on_both!(effects_commit_with_their_command_and_a_failed_condition_refuses_only_that_command, |t: TestDb| async move {
    let b = Books::open(&t).await;
    effect_probe(&t).await;
    sqlx::query("INSERT INTO effect_probe (id, entry_id, counter) VALUES ('device', '', 0)")
        .execute(t.db.write_pool())
        .await
        .unwrap();
    let shop = b.wallet().await;
    let payer = b.funded_wallet(10_000).await;
    // A payment-like command: its row, and a counter that may only move forward.
    let pay = |key: String, counter: i64| Request {
        command: Command::transfer(b.key(&key), &payer, &shop, &b.jpy, 100, "payment"),
        origin: Origin::default(),
        notify: vec![anshin::notify::OutboxMessage::email("payer@example.jp", key.clone(), "paid")],
        effects: vec![
            Effect {
                sql: "UPDATE effect_probe SET counter = $1 WHERE id = 'device' AND counter < $1",
                binds: vec![EffectValue::Int(counter)],
                expect_rows: Some(1),
                refusal: "code_stale",
                batch: None,
            },
            Effect {
                sql: "INSERT INTO effect_probe (id, entry_id, counter) VALUES ($1, $2, 0)",
                binds: vec![EffectValue::Text(key.clone()), EffectValue::OutcomeId],
                expect_rows: None,
                refusal: "",
                batch: None,
            },
        ],
    };
    let first = b.ledger.submit(pay("p1".into(), 1)).await.unwrap();
    let Outcome::Entry { entry_id } = &first.outcome else { panic!("{first:?}") };
    let row: String = sqlx::query_scalar("SELECT entry_id FROM effect_probe WHERE id = 'p1'")
        .fetch_one(t.db.read_pool())
        .await
        .unwrap();
    assert_eq!(&row, entry_id, "the row carries the entry it belongs to");
    let again = b.ledger.submit(pay("p1".into(), 1)).await.unwrap();
    assert!(again.replayed, "a replay runs no effect (else the counter condition would refuse it)");

    // Many at once, all with counters 2..=41 except a stale one (1) in the middle: the stale
    // one alone is refused; the rest commit in whatever batches they share.
    let mut tasks = Vec::new();
    for i in 2..=41 {
        let req = pay(format!("p{i}"), i);
        let ledger = b.ledger.clone();
        tasks.push(tokio::spawn(async move { ledger.submit(req).await }));
        if i == 20 {
            let ledger = b.ledger.clone();
            let stale = pay("stale".into(), 1);
            tasks.push(tokio::spawn(async move { ledger.submit(stale).await }));
        }
    }
    let mut refused = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.unwrap() {
            refused.push(e);
        }
    }
    // Commands racing may also arrive out of counter order: each refusal is for a counter that
    // was no longer ahead, and nothing of a refused command is written.
    assert!(refused.iter().all(|e| *e == LedgerError::EffectRefused("code_stale")), "{refused:?}");
    assert!(refused.contains(&LedgerError::EffectRefused("code_stale")), "the stale one is refused");
    let db = t.db.clone();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(db.read_pool()).await.unwrap() }
    };
    let rows = count("SELECT COUNT(*) FROM effect_probe WHERE id <> 'device'").await;
    let entries = count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'payment'").await;
    let mails = count("SELECT COUNT(*) FROM outbox WHERE recipient = 'payer@example.jp'").await;
    assert_eq!(rows, 1 + 41 - refused.len() as i64, "p1, and every one of the 41 not refused");
    assert_eq!((entries, mails), (rows, rows), "entries, rows and messages match one to one");
    assert_eq!(b.balance(&shop).await.0, 100 * rows);
    assert_eq!(count("SELECT COUNT(*) FROM effect_probe WHERE id = 'stale'").await, 0);
    b.assert_sound().await;
});

// The same with effects that run as one multi-row statement per batch (`BatchSql`): a batch
// whose statement touches fewer rows than its effects expect (a stale counter, two codes of one
// device) runs again one statement per effect, so exactly the commands single statements would
// refuse are refused and nothing of them is written. Without the row-count check, the stale
// commands' rows would be written.
on_both!(batched_effects_refuse_exactly_what_single_statements_would, |t: TestDb| async move {
    let b = Books::open(&t).await;
    effect_probe(&t).await;
    for d in 0..20 {
        sqlx::query("INSERT INTO effect_probe (id, entry_id, counter) VALUES ($1, '', 5)")
            .bind(format!("dev{d}"))
            .execute(t.db.write_pool())
            .await
            .unwrap();
    }
    let shop = b.wallet().await;
    let payer = b.funded_wallet(1_000_000).await;
    let pay = |key: String, device: String, counter: i64| Request {
        command: Command::transfer(b.key(&key), &payer, &shop, &b.jpy, 100, "payment"),
        origin: Origin::default(),
        notify: Vec::new(),
        effects: vec![
            Effect {
                sql: "UPDATE effect_probe SET counter = $1 WHERE id = $2 AND counter < $1",
                binds: vec![EffectValue::Int(counter), EffectValue::Text(device)],
                expect_rows: Some(1),
                refusal: "code_stale",
                batch: Some(BatchSql {
                    head: "UPDATE effect_probe SET counter = v.column2 FROM (VALUES ",
                    row: "($2, CAST($1 AS BIGINT))",
                    tail: ") AS v WHERE effect_probe.id = v.column1 AND effect_probe.counter < v.column2",
                }),
            },
            Effect {
                sql: "INSERT INTO effect_probe (id, entry_id, counter) VALUES ($1, $2, 0)",
                binds: vec![EffectValue::Text(key.clone()), EffectValue::OutcomeId],
                expect_rows: None,
                refusal: "",
                batch: Some(BatchSql {
                    head: "INSERT INTO effect_probe (id, entry_id, counter) VALUES ",
                    row: "($1, $2, 0)",
                    tail: "",
                }),
            },
        ],
    };
    // Rounds of 20 devices moving on at once, with stale codes (counter 5, already used) of
    // devices 3 and 11 mixed in; each round waits for the one before, so it is every device's
    // only fresh code in flight.
    let mut refused = Vec::new();
    let mut paid = 0;
    for round in 0..5i64 {
        let mut tasks = Vec::new();
        for d in 0..20 {
            let req = pay(format!("r{round}d{d}"), format!("dev{d}"), 6 + round);
            let ledger = b.ledger.clone();
            tasks.push(tokio::spawn(async move { ledger.submit(req).await }));
            if d == 3 || d == 11 {
                let stale = pay(format!("stale{round}d{d}"), format!("dev{d}"), 5);
                let ledger = b.ledger.clone();
                tasks.push(tokio::spawn(async move { ledger.submit(stale).await }));
            }
        }
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => paid += 1,
                Err(e) => refused.push(e),
            }
        }
    }
    assert_eq!(refused, vec![LedgerError::EffectRefused("code_stale"); 10], "every stale code, and only they");
    assert_eq!(paid, 100);
    let count = |sql: &'static str| {
        let db = t.db.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(db.read_pool()).await.unwrap() }
    };
    assert_eq!(count("SELECT COUNT(*) FROM effect_probe WHERE id LIKE 'stale%'").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM effect_probe WHERE id LIKE 'r%'").await, 100);
    assert_eq!(count("SELECT COUNT(*) FROM effect_probe WHERE id LIKE 'dev%' AND counter = 10").await, 20);
    // Every row carries its own entry.
    let orphans = count(
        "SELECT COUNT(*) FROM effect_probe p WHERE p.id LIKE 'r%'
           AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.id = p.entry_id AND e.idempotency_key LIKE '%' || p.id)",
    )
    .await;
    assert_eq!(orphans, 0);
    assert_eq!(b.balance(&shop).await.0, 100 * 100);
    b.assert_sound().await;
});
