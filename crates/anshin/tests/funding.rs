//! Funding end to end: linking bank accounts (step-up, Zengin name match, review), top-ups
//! through the bank simulator (credited only once confirmed, exactly once, never past the
//! holding cap), and campaign points granted by an operator. Each test runs the real service
//! over loopback HTTP against `anshin sim bank` started in-process, and ends with the books sound.

mod common;

use std::time::Duration;

use anshin::funding::{Funding, FundingConfig};
use anshin::http::{self, AppState, HttpConfig};
use anshin::identity::password::{HashParams, PasswordHasher};
use anshin::identity::{Identity, IdentityConfig};
use anshin::ledger::{AccountKind, Command, Currency, Ledger};
use anshin::merchants::{Merchants, MerchantsConfig};
use anshin::payments::{Payments, PaymentsConfig};
use anshin::sim::{BankSimConfig, serve_bank};
use common::TestDb;
use common::identity_app::{self, App, PASSWORD};
use common::merchant_app::operator;
use common::pay_app::assert_books_sound;
use reqwest::StatusCode;
use serde_json::{Value, json};

const BANK_KEY: &str = "test-bank-key-0123456789";
/// The simulator's test account of ﾔﾏﾀﾞ ﾀﾛｳ (¥5,000,000), one that refuses every debit (ends
/// in 9, ｽｽﾞｷ ﾊﾅｺ), and a closed one (ends in 8).
const YAMADA: &str = "1234567";
const SUZUKI: &str = "1234569";
const CLOSED: &str = "1234568";

struct Setup {
    a: App,
    funding: Funding,
    bank_url: String,
}

/// The service with a bank simulator (debits decided after `confirm_delay_ms`); with `worker`,
/// the top-up worker polls as `anshin serve` runs it.
async fn setup(t: TestDb, config: FundingConfig, confirm_delay_ms: u64, worker: bool) -> Setup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bank_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve_bank(listener, BankSimConfig { confirm_delay_ms, ..BankSimConfig::new(BANK_KEY) }));
    let keys = t.db.keys().cloned().expect("test databases carry keys");
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 2, 64).unwrap();
    let identity = Identity::new(t.db.clone(), keys.clone(), hasher, IdentityConfig::default()).unwrap();
    let (ledger, _writer) = Ledger::start(t.db.clone());
    let merchants =
        Merchants::new(t.db.clone(), keys.clone(), identity.clone(), ledger.clone(), MerchantsConfig::default());
    let payments = Payments::new(t.db.clone(), keys, ledger.clone(), merchants.clone(), PaymentsConfig::default());
    let bank = anshin::bank::BankClient::new(&bank_url, BANK_KEY).unwrap();
    let funding = Funding::new(t.db.clone(), identity.clone(), ledger.clone(), Some(bank), config);
    if worker {
        let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        std::mem::forget(_stop_tx); // the worker runs as long as the test
        tokio::spawn(funding.clone().run_worker(stop_rx));
    }
    let http_config = HttpConfig::default();
    let state = AppState::new(t.db.clone(), http_config.clone(), None, true, false)
        .with_identity(identity.clone())
        .with_ledger(ledger)
        .with_merchants(merchants.clone())
        .with_payments(payments.clone())
        .with_funding(funding.clone());
    let router = http::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { http::serve(listener, router, None, &http_config, std::future::pending()).await });
    Setup { a: App { url, t, identity, merchants, payments }, funding, bank_url }
}

fn fast() -> FundingConfig {
    FundingConfig { poll_interval_ms: 50, ..FundingConfig::default() }
}

/// A registered wallet user whose legal name is `legal_name`: (token, user id, recovery codes).
async fn wallet_user(a: &App, email: &str, phone: &str, legal_name: &str) -> (String, String, Vec<String>) {
    let body = json!({ "email": email, "phone": phone, "password": PASSWORD, "legal_name": legal_name,
                       "date_of_birth": "1990-04-15" });
    let (status, started) = a.post("/v1/registrations", body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let email_code = a.code_for(email).await;
    let sms_code = a.code_for(phone).await;
    let body = json!({ "registration_id": started["registration_id"], "email_code": email_code, "sms_code": sms_code });
    let (status, body) = a.post("/v1/registrations/verification", body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let codes = body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    (body["token"].as_str().unwrap().to_owned(), body["user_id"].as_str().unwrap().to_owned(), codes)
}

fn account(number: &str) -> Value {
    json!({ "bank_code": "0001", "branch_code": "001", "account_type": "ordinary", "account_number": number })
}

/// Step up for `link_bank_account` with a recovery code and link `number`: (the session's new
/// token, status, body).
async fn link(a: &App, token: &str, code: &str, number: &str) -> (String, StatusCode, Value) {
    let token = a.step_up_by(token, "link_bank_account", "recovery_code", code).await;
    let (status, body) = a.post("/v1/me/bank-accounts", account(number), Some(&token)).await;
    (token, status, body)
}

async fn money(a: &App, token: &str) -> i64 {
    let (status, b) = a.get("/v1/me/balances", token).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b["money_minor"].as_i64().unwrap()
}

async fn top_up(a: &App, token: &str, bank_account: &str, amount: i64) -> (StatusCode, Value) {
    a.post("/v1/me/top-ups", json!({ "bank_account_id": bank_account, "amount_minor": amount }), Some(token)).await
}

/// Polls the top-up until it is no longer pending.
async fn settled(a: &App, token: &str, id: &str) -> Value {
    for _ in 0..200 {
        let (status, t) = a.get(&format!("/v1/me/top-ups/{id}"), token).await;
        assert_eq!(status, StatusCode::OK, "{t}");
        if t["status"] != "pending" {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("top-up {id} stayed pending")
}

async fn bank_balance(s: &Setup, number: &str) -> i64 {
    let url = format!("{}/v1/accounts/0001/001/{number}", s.bank_url);
    let body: Value = reqwest::Client::new().get(url).bearer_auth(BANK_KEY).send().await.unwrap().json().await.unwrap();
    body["balance_minor"].as_i64().unwrap()
}

/// A wallet of ヤマダ タロウ with the simulator's account of ﾔﾏﾀﾞ ﾀﾛｳ linked: (token, user id, account id).
async fn yamada(a: &App) -> (String, String, String) {
    let (token, user_id, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (token, status, body) = link(a, &token, &codes[0], YAMADA).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (token, user_id, body["id"].as_str().unwrap().to_owned())
}

on_both!(a_bank_account_whose_holder_is_the_user_links_at_once, |t| async move {
    let s = setup(t, fast(), 0, false).await;
    let a = &s.a;
    let (token, _, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    // A closed or unknown account is a clear refusal; the grant is not spent on it.
    let token = a.step_up_by(&token, "link_bank_account", "recovery_code", &codes[0]).await;
    let (status, body) = a.post("/v1/me/bank-accounts", account(CLOSED), Some(&token)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bank_account_closed"))
    );
    let (status, body) = a.post("/v1/me/bank-accounts", account("7777771"), Some(&token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "bank_account_not_found");
    let (status, body) = a.post("/v1/me/bank-accounts", account(YAMADA), Some(&token)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!((body["status"].as_str(), body["name_check"].as_str()), (Some("linked"), Some("exact")));
    assert_eq!(body["holder_name"], "ﾔﾏﾀﾞ ﾀﾛｳ");
    let (_, list) = a.get("/v1/me/bank-accounts", &token).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["account_number_masked"], "***4567");
    assert!(!list.to_string().contains(YAMADA), "lists show only the last four digits: {list}");
    let mail = a.messages_to("taro@example.jp").await;
    assert!(mail.iter().any(|m| m.subject.contains("bank account was linked")), "the owner is told");
    // The grant was spent with the link: the same account again needs a new one.
    let (status, _) = a.post("/v1/me/bank-accounts", account(YAMADA), Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'funding.bank_account.linked'").await, 1);
    assert_books_sound(a).await;
});

on_both!(linking_without_a_fresh_second_factor_is_refused, |t| async move {
    let s = setup(t, fast(), 0, false).await;
    let a = &s.a;
    let (token, _, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (status, body) = a.post("/v1/me/bank-accounts", account(YAMADA), Some(&token)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")));
    // A grant for another action does not do.
    let token = a.step_up_by(&token, "change_password", "recovery_code", &codes[0]).await;
    let (status, _) = a.post("/v1/me/bank-accounts", account(YAMADA), Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(a.count("SELECT COUNT(*) FROM funding_bank_accounts").await, 0);
    assert_books_sound(a).await;
});

on_both!(a_link_under_another_name_waits_for_review_and_is_not_usable_until_approved, |t| async move {
    let s = setup(t, fast(), 0, false).await;
    let a = &s.a;
    // The account is ﾔﾏﾀﾞ ﾀﾛｳ's; this user is someone else.
    let (token, user_id, codes) = wallet_user(a, "hanako@example.jp", "+819011110002", "サトウ ハナコ").await;
    let (token, status, body) = link(a, &token, &codes[0], YAMADA).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!((body["status"].as_str(), body["name_check"].as_str()), (Some("review"), Some("review")));
    let id = body["id"].as_str().unwrap().to_owned();
    let (status, body) = top_up(a, &token, &id, 1_000).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bank_account_not_linked"))
    );
    // An analyst may not decide; an admin sees it with the user's name, and approves it.
    let (analyst, _) = operator(a, "analyst@anshin.example", "analyst").await;
    let path = format!("/v1/ops/bank-accounts/{id}/review");
    assert_eq!(a.post(&path, json!({ "approve": true }), Some(&analyst)).await.0, StatusCode::FORBIDDEN);
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let (status, reviews) = a.get("/v1/ops/bank-accounts/reviews", &admin).await;
    assert_eq!(status, StatusCode::OK, "{reviews}");
    assert_eq!(
        (reviews[0]["id"].as_str(), reviews[0]["legal_name"].as_str()),
        (Some(id.as_str()), Some("サトウ ハナコ"))
    );
    assert_eq!(reviews[0]["user_id"], user_id.as_str());
    let (status, body) = a.post(&path, json!({ "approve": true }), Some(&admin)).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("linked")), "{body}");
    assert_eq!(a.post(&path, json!({ "approve": false }), Some(&admin)).await.0, StatusCode::CONFLICT, "decided once");
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'funding.bank_account.reviewed'").await, 1);
    let (status, body) = top_up(a, &token, &id, 1_000).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_books_sound(a).await;
});

// THREATS M6: a typed name is not an identity. Two wallets both registered as ヤマダ タロウ link
// ﾔﾏﾀﾞ ﾀﾛｳ's account at the same moment: one links, the other waits for an operator
// (`name_check: shared`) and cannot top up from it. Without the unique index both would link.
on_both!(a_second_wallet_with_the_holders_name_cannot_link_the_same_account_by_itself, |t| async move {
    let s = setup(t, fast(), 0, false).await;
    let a = &s.a;
    let (first, _, first_codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (second, _, second_codes) = wallet_user(a, "taro2@example.jp", "+819011110009", "ヤマダ タロウ").await;
    let first = a.step_up_by(&first, "link_bank_account", "recovery_code", &first_codes[0]).await;
    let second = a.step_up_by(&second, "link_bank_account", "recovery_code", &second_codes[0]).await;
    let (one, two) = tokio::join!(
        a.post("/v1/me/bank-accounts", account(YAMADA), Some(&first)),
        a.post("/v1/me/bank-accounts", account(YAMADA), Some(&second)),
    );
    assert_eq!((one.0, two.0), (StatusCode::CREATED, StatusCode::CREATED), "{} {}", one.1, two.1);
    let mut outcomes: Vec<(String, String)> = [&one.1, &two.1]
        .iter()
        .map(|b| (b["status"].as_str().unwrap().to_owned(), b["name_check"].as_str().unwrap().to_owned()))
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        vec![("linked".to_owned(), "exact".to_owned()), ("review".to_owned(), "shared".to_owned())],
        "one wallet links, the other waits for an operator"
    );
    let (shared_token, shared) = if one.1["status"] == "review" { (&first, &one.1) } else { (&second, &two.1) };
    let (status, body) = top_up(a, shared_token, shared["id"].as_str().unwrap(), 1_000).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bank_account_not_linked"))
    );
    // The holder linking it once more is a conflict, not a second row.
    let (linked_token, linked_codes) =
        if one.1["status"] == "linked" { (&first, &first_codes) } else { (&second, &second_codes) };
    let (_, status, body) = link(a, linked_token, &linked_codes[1], YAMADA).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(a.count("SELECT COUNT(*) FROM funding_bank_accounts").await, 2);
    assert_books_sound(a).await;
});

on_both!(a_top_up_is_credited_only_after_the_bank_confirms, |t| async move {
    let s = setup(t, fast(), 400, false).await;
    let a = &s.a;
    let (token, _, bank_account) = yamada(a).await;
    assert_eq!(money(a, &token).await, 0);
    let (status, body) = top_up(a, &token, &bank_account, 30_000).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(money(a, &token).await, 0, "nothing is credited while the bank has not confirmed");
    let id = body["id"].as_str().unwrap();
    let done = settled(a, &token, id).await;
    assert_eq!(done["status"], "credited", "{done}");
    assert_eq!(money(a, &token).await, 30_000);
    assert_eq!(bank_balance(&s, YAMADA).await, 5_000_000 - 30_000);
    let mail = a.messages_to("taro@example.jp").await;
    assert!(mail.iter().any(|m| m.subject.contains("was added to your Anshin wallet")));
    // Unlinked, the account takes no more top-ups.
    assert_eq!(a.delete(&format!("/v1/me/bank-accounts/{bank_account}"), &token).await, StatusCode::NO_CONTENT);
    assert_eq!(top_up(a, &token, &bank_account, 1_000).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_books_sound(a).await;
});

on_both!(a_refused_debit_credits_nothing, |t| async move {
    let s = setup(t, fast(), 0, false).await;
    let a = &s.a;
    let (token, _, codes) = wallet_user(a, "hanako@example.jp", "+819011110002", "スズキ ハナコ").await;
    let (token, status, body) = link(a, &token, &codes[0], SUZUKI).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::CREATED, Some("linked")), "{body}");
    let (status, body) = top_up(a, &token, body["id"].as_str().unwrap(), 10_000).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let done = settled(a, &token, body["id"].as_str().unwrap()).await;
    assert_eq!(
        (done["status"].as_str(), done["failure_reason"].as_str()),
        (Some("failed"), Some("insufficient_funds"))
    );
    assert_eq!(money(a, &token).await, 0);
    assert_eq!(a.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'top_up'").await, 0);
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'funding.top_up.failed'").await, 1);
    // The refused amount does not count towards the day's limit.
    assert_eq!(a.count("SELECT CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) FROM funding_daily_totals").await, 0);
    assert_books_sound(a).await;
});

on_both!(the_same_top_up_never_credits_twice, |t| async move {
    let s = setup(t, fast(), 300, true).await;
    let a = &s.a;
    // A second server polling the same database.
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(s.funding.clone().run_worker(stop_rx));
    let (token, _, bank_account) = yamada(a).await;
    let (_, body) = top_up(a, &token, &bank_account, 12_345).await;
    let id = body["id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (url, token, id) = (a.url.clone(), token.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let client = identity_app::client();
            for _ in 0..40 {
                let r = client.get(format!("{url}/v1/me/top-ups/{id}")).bearer_auth(&token).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(settled(a, &token, &id).await["status"], "credited");
    assert_eq!(money(a, &token).await, 12_345);
    assert_eq!(a.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'top_up'").await, 1);
    assert_eq!(bank_balance(&s, YAMADA).await, 5_000_000 - 12_345, "debited once at the bank too");
    assert_books_sound(a).await;
});

on_both!(the_holding_cap_holds_under_concurrent_top_ups, |t| async move {
    let config = FundingConfig { daily_top_up_limit_minor: 10_000_000, ..fast() };
    let s = setup(t, config, 1_500, true).await;
    let a = &s.a;
    let (token, user_id, bank_account) = yamada(a).await;
    // Twenty top-ups of ¥50,000 fit the ¥1,000,000 cap exactly when asked for...
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (url, token, bank_account) = (a.url.clone(), token.clone(), bank_account.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({ "bank_account_id": bank_account, "amount_minor": 50_000 });
            let r = identity_app::client().post(format!("{url}/v1/me/top-ups")).json(&body).bearer_auth(&token);
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    // ...but before the bank confirms, ¥300,000 reaches the wallet another way, so only
    // fourteen of them can be credited when they are.
    let wallets = a.payments.wallets();
    let accounts = wallets.accounts(&user_id).await.unwrap();
    let jpy = Currency::jpy();
    let clearing = wallets.ledger().system_account(AccountKind::BankClearing, &jpy).await.unwrap();
    wallets
        .ledger()
        .submit(Command::transfer("other-credit", &clearing, &accounts.money, &jpy, 300_000, "top_up_other"))
        .await
        .unwrap();
    let mut statuses = Vec::new();
    for id in &ids {
        statuses.push(settled(a, &token, id).await["status"].as_str().unwrap().to_owned());
    }
    let credited = statuses.iter().filter(|s| *s == "credited").count() as i64;
    let over_cap = statuses.iter().filter(|s| *s == "over_cap").count() as i64;
    assert_eq!((credited, over_cap), (14, 6), "{statuses:?}");
    assert_eq!(money(a, &token).await, 1_000_000, "never past the cap");
    let suspense = wallets.ledger().system_account(AccountKind::Suspense, &jpy).await.unwrap();
    assert_eq!(wallets.ledger().account(&suspense).await.unwrap().balance_minor, 6 * 50_000, "set aside, not lost");
    assert_eq!(bank_balance(&s, YAMADA).await, 5_000_000 - 20 * 50_000);
    // Asked now, the cap refuses at once.
    let (status, body) = top_up(a, &token, &bank_account, 1).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("over_holding_cap")));
    assert_books_sound(a).await;
});

on_both!(the_daily_limit_holds_under_concurrent_top_ups, |t| async move {
    let config = FundingConfig { daily_top_up_limit_minor: 100_000, ..fast() };
    let s = setup(t, config, 60_000, false).await;
    let a = &s.a;
    let (token, _, bank_account) = yamada(a).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (url, token, bank_account) = (a.url.clone(), token.clone(), bank_account.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({ "bank_account_id": bank_account, "amount_minor": 10_000 });
            let r = identity_app::client().post(format!("{url}/v1/me/top-ups")).json(&body).bearer_auth(&token);
            let r = r.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        match task.await.unwrap() {
            (StatusCode::CREATED, _) => accepted += 1,
            (status, body) => {
                assert_eq!(
                    (status, body["error"]["code"].as_str()),
                    (StatusCode::PAYMENT_REQUIRED, Some("over_daily_limit"))
                )
            }
        }
    }
    assert_eq!(accepted, 10, "exactly the day's room, however many ask at once");
    assert_eq!(a.count("SELECT COUNT(*) FROM funding_top_ups").await, 10);
    assert_books_sound(a).await;
});

on_both!(limits_and_cooling_off_refuse_a_top_up, |t| async move {
    let s = setup(t, fast(), 0, false).await;
    let a = &s.a;
    let (token, user_id, bank_account) = yamada(a).await;
    let (status, body) = top_up(a, &token, &bank_account, 500_001).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("over_top_up_limit")));
    let sql = format!("UPDATE users SET money_out_blocked_until_ms = {} WHERE id = '{user_id}'", i64::MAX / 2);
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(a.t.db.write_pool()).await.unwrap();
    let (status, body) = top_up(a, &token, &bank_account, 1_000).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("cooling_off")));
    assert_eq!(a.count("SELECT COUNT(*) FROM funding_top_ups").await, 0);
    assert_books_sound(a).await;
});

on_both!(an_operator_grants_points_once_with_audit, |t| async move {
    let s = setup(t, fast(), 0, false).await;
    let a = &s.a;
    let (token, user_id, _) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let grant = json!({ "user_id": user_id, "amount_minor": 500, "campaign": "Spring 2026", "reference": "spring-1" });
    let (status, first) = a.post("/v1/ops/point-grants", grant.clone(), Some(&admin)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = a.post("/v1/ops/point-grants", grant, Some(&admin)).await;
    assert_eq!((status, &again["id"]), (StatusCode::CREATED, &first["id"]), "the same reference is the same grant");
    let (_, balances) = a.get("/v1/me/balances", &token).await;
    assert_eq!(balances["points_minor"], 500);
    let other = json!({ "user_id": user_id, "amount_minor": 900, "campaign": "Spring 2026", "reference": "spring-1" });
    assert_eq!(a.post("/v1/ops/point-grants", other, Some(&admin)).await.0, StatusCode::CONFLICT);
    let big = json!({ "user_id": user_id, "amount_minor": 10_001, "campaign": "Spring", "reference": "spring-2" });
    assert_eq!(a.post("/v1/ops/point-grants", big, Some(&admin)).await.0, StatusCode::BAD_REQUEST, "bounded per grant");
    let entry = first["entry_id"].as_str().unwrap();
    let actor = sqlx::query_scalar::<_, String>(
        "SELECT actor FROM audit_log WHERE action = 'ledger.entry.posted' AND target = $1",
    )
    .bind(entry)
    .fetch_one(a.t.db.read_pool())
    .await
    .unwrap();
    let (_, me) = a.get("/v1/me", &admin).await;
    assert_eq!(actor, me["user_id"].as_str().unwrap(), "the audit names the operator");
    let mail = a.messages_to("taro@example.jp").await;
    assert!(mail.iter().any(|m| m.subject.contains("in points")), "the user is told");
    assert_books_sound(a).await;
});

on_both!(a_wallet_user_or_an_analyst_cannot_grant_points, |t| async move {
    let s = setup(t, fast(), 0, false).await;
    let a = &s.a;
    let (token, user_id, _) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (analyst, _) = operator(a, "analyst@anshin.example", "analyst").await;
    let grant = json!({ "user_id": user_id, "amount_minor": 500, "campaign": "Spring", "reference": "self-1" });
    assert_eq!(a.post("/v1/ops/point-grants", grant.clone(), Some(&token)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(a.post("/v1/ops/point-grants", grant, Some(&analyst)).await.0, StatusCode::FORBIDDEN);
    let (_, balances) = a.get("/v1/me/balances", &token).await;
    assert_eq!(balances["points_minor"], 0);
    assert_eq!(a.count("SELECT COUNT(*) FROM funding_point_grants").await, 0);
    assert_books_sound(a).await;
});

on_both!(without_a_bank_funding_answers_bank_unavailable, |t| async move {
    let a = identity_app::app(t, IdentityConfig::default()).await;
    let (token, _, codes) = wallet_user(&a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let token = a.step_up_by(&token, "link_bank_account", "recovery_code", &codes[0]).await;
    let (status, body) = a.post("/v1/me/bank-accounts", account(YAMADA), Some(&token)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("bank_unavailable")));
    assert_books_sound(&a).await;
});

/// A browser that shows where a redirect points instead of following it.
fn browser() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT_LANGUAGE, "en".parse().unwrap());
    reqwest::Client::builder().default_headers(headers).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

const CSRF: &str = "0123456789abcdef0123456789abcdef";

async fn page(a: &App, path: &str, session: &str) -> (StatusCode, String) {
    let r = browser().get(format!("{}{path}", a.url)).header("cookie", format!("__Host-anshin_session={session}"));
    let r = r.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A form posted from a page: (status, where it redirects).
async fn form(a: &App, path: &str, session: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let cookie = format!("__Host-anshin_session={session}; __Host-anshin_csrf={CSRF}");
    let fields: Vec<(&str, &str)> = fields.iter().copied().chain([("csrf", CSRF)]).collect();
    let r = browser().post(format!("{}{path}", a.url)).header("cookie", cookie).form(&fields).send().await.unwrap();
    let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (r.status(), location)
}

on_both!(the_wallet_and_ops_pages_link_top_up_review_and_grant, |t| async move {
    let s = setup(t, fast(), 0, false).await;
    let a = &s.a;
    let (token, user_id, codes) = wallet_user(a, "hanako@example.jp", "+819011110002", "サトウ ハナコ").await;
    let (status, body) = page(a, "/wallet/funding", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("link-account") && body.contains("Link a bank account"), "{body}");
    let fields =
        [("bank_code", "0001"), ("branch_code", "001"), ("account_type", "ordinary"), ("account_number", YAMADA)];
    // Without a fresh second factor the form goes to the step-up page for this action.
    let (status, to) = form(a, "/wallet/bank-accounts", &token, &fields).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/wallet/step-up?action=link_bank_account"));
    let token = a.step_up_by(&token, "link_bank_account", "recovery_code", &codes[0]).await;
    let (status, to) = form(a, "/wallet/bank-accounts", &token, &fields).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/wallet/funding"));
    let (_, body) = page(a, "/wallet/funding", &token).await;
    assert!(body.contains("***4567") && body.contains("Waiting for review") && !body.contains(YAMADA), "{body}");
    // An admin approves it on the ops page and grants points there.
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let (status, body) = page(a, "/ops/funding", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("サトウ ハナコ") && body.contains("ﾔﾏﾀﾞ ﾀﾛｳ"), "both names side by side: {body}");
    let id: String =
        sqlx::query_scalar("SELECT id FROM funding_bank_accounts").fetch_one(a.t.db.read_pool()).await.unwrap();
    let (status, to) = form(a, "/ops/funding/review", &admin, &[("id", &id), ("decision", "approve")]).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/ops/funding"));
    let points =
        [("user_id", user_id.as_str()), ("amount_minor", "300"), ("campaign", "Welcome"), ("reference", "w-1")];
    assert_eq!(form(a, "/ops/funding/points", &admin, &points).await.0, StatusCode::SEE_OTHER);
    // The wallet user may not open the ops page; the top-up form works once the account is linked.
    assert_eq!(page(a, "/ops/funding", &token).await.0, StatusCode::FORBIDDEN);
    let (status, to) = form(a, "/wallet/top-ups", &token, &[("bank_account_id", &id), ("amount_minor", "5,000")]).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/wallet/funding"));
    let (_, body) = page(a, "/wallet/funding", &token).await;
    assert!(body.contains("¥5,000") || body.contains("5,000"), "{body}");
    assert_eq!(money(a, &token).await, 5_000, "the bank decides at once here, and the page moved it on");
    let (_, balances) = a.get("/v1/me/balances", &token).await;
    assert_eq!(balances["points_minor"], 300);
    assert_books_sound(a).await;
});

// A bank link, its top-ups and its unlinking are its owner's alone: another wallet naming the
// link's id (the 7pay pattern: charge the victim's linked source, spend it elsewhere) finds
// nothing, moves nothing and changes nothing.
on_both!(another_wallet_can_neither_top_up_from_read_nor_unlink_a_users_bank_link, |t| async move {
    let s = setup(t, fast(), 0, false).await;
    let a = &s.a;
    let (owner, _, link_id) = yamada(a).await;
    let (status, own) = top_up(a, &owner, &link_id, 1_000).await;
    assert!(status.is_success(), "{status} {own}");
    let top_up_id = own["id"].as_str().unwrap().to_owned();
    let (thief, _, _) = wallet_user(a, "thief@example.jp", "+819011110009", "ヤマダ タロウ").await;
    let before = bank_balance(&s, YAMADA).await;

    let (status, body) = top_up(a, &thief, &link_id, 5_000).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(a.count("SELECT COUNT(*) FROM funding_top_ups").await, 1, "no top-up was made for the thief");
    assert_eq!(a.get(&format!("/v1/me/top-ups/{top_up_id}"), &thief).await.0, StatusCode::NOT_FOUND);
    assert_eq!(a.delete(&format!("/v1/me/bank-accounts/{link_id}"), &thief).await, StatusCode::NOT_FOUND);
    let (_, links) = a.get("/v1/me/bank-accounts", &owner).await;
    assert_eq!(links[0]["status"], "linked", "the owner's link is untouched: {links}");
    settled(a, &owner, &top_up_id).await;
    assert_eq!(money(a, &thief).await, 0);
    assert_eq!(bank_balance(&s, YAMADA).await, before, "nothing more left the bank after the owner's own top-up");
    assert_books_sound(a).await;
});
