//! Virtual cards end to end (issue 8 item 8): a wallet issues its numberless card, sees the
//! number only after a fresh second factor, and shops pay with it through `anshin sim
//! card-network`, which sends each authorisation, clearing and reversal to the service as the
//! card's issuer over HTTP with the network's key. Every control declines when it should (each
//! test fails if its control is removed), holds settle or expire, a network reference is answered
//! once, and no table, log line or response keeps the number. Each test ends with the books sound.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anshin::cards::{CardNetwork, Cards, CardsConfig, VirtualCardsConfig};
use anshin::http::{self, AppState, HttpConfig};
use anshin::identity::password::{HashParams, PasswordHasher};
use anshin::identity::{Identity, IdentityConfig};
use anshin::ledger::{AccountKind, Command, Currency, Ledger};
use anshin::merchants::{Merchants, MerchantsConfig};
use anshin::payments::{Payments, PaymentsConfig};
use anshin::sim::card_network::{CardNetworkConfig, serve_card_network_until};
use common::TestDb;
use common::identity_app::{Account, App, client};
use common::pay_app::assert_books_sound;
use reqwest::StatusCode;
use serde_json::{Value, json};

const NETWORK_KEY: &str = "test-network-key-0123456789";

struct Setup {
    a: App,
    cards: Cards,
    network_url: String,
}

async fn setup(t: TestDb, hold_ttl_secs: i64) -> Setup {
    let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let network_url = format!("http://{}", sim_listener.local_addr().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sim = CardNetworkConfig { issuer_url: Some(url.clone()), ..CardNetworkConfig::new(NETWORK_KEY) };
    tokio::spawn(serve_card_network_until(sim_listener, sim, std::future::pending()));
    let keys = t.db.keys().cloned().expect("test databases carry keys");
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 2, 64).unwrap();
    let identity = Identity::new(t.db.clone(), keys.clone(), hasher, IdentityConfig::default()).unwrap();
    let (ledger, _writer) = Ledger::start(t.db.clone());
    let merchants =
        Merchants::new(t.db.clone(), keys.clone(), identity.clone(), ledger.clone(), MerchantsConfig::default());
    let payments =
        Payments::new(t.db.clone(), keys.clone(), ledger.clone(), merchants.clone(), PaymentsConfig::default());
    let vault_dir = tempfile::tempdir().unwrap().keep();
    let vault = vault::Vault::open_dir(&vault_dir).unwrap();
    let network_client =
        vault::NetworkClient::new(&network_url, Duration::from_millis(500)).unwrap().with_api_key(NETWORK_KEY);
    let network = CardNetwork { client: Arc::new(network_client), api_key: NETWORK_KEY.into() };
    let virtual_cards = VirtualCardsConfig { hold_ttl_secs, ..VirtualCardsConfig::default() };
    let config = CardsConfig { public_url: url.clone(), virtual_cards, ..CardsConfig::default() };
    let cards =
        Cards::new(t.db.clone(), keys, identity.clone(), ledger.clone(), Arc::new(vault), Some(network), config);
    let http_config = HttpConfig::default();
    let state = AppState::new(t.db.clone(), http_config.clone(), None, true, false)
        .with_identity(identity.clone())
        .with_ledger(ledger)
        .with_merchants(merchants.clone())
        .with_payments(payments.clone())
        .with_cards(cards.clone());
    let router = http::router(state);
    tokio::spawn(async move { http::serve(listener, router, None, &http_config, std::future::pending()).await });
    Setup { a: App { url, t, identity, merchants, payments }, cards, network_url }
}

/// A registered wallet with `lite` and `money` yen in its balances.
async fn holder(a: &App, n: usize, lite: i64, money: i64) -> Account {
    let account = a.register(&format!("holder{n}@example.jp"), &format!("+8190{:08}", 30_000_000 + n)).await;
    let accounts = a.payments.wallets().accounts(&account.user_id).await.unwrap();
    let ledger = a.payments.wallets().ledger();
    let jpy = Currency::jpy();
    let card_clearing = ledger.system_account(AccountKind::CardFundingClearing, &jpy).await.unwrap();
    let bank = ledger.system_account(AccountKind::BankClearing, &jpy).await.unwrap();
    for (from, to, amount, what) in
        [(&card_clearing, &accounts.lite, lite, "lite"), (&bank, &accounts.money, money, "money")]
    {
        if amount > 0 {
            let key = format!("fund-{}-{what}", account.user_id);
            ledger.submit(Command::transfer(key, from, to, &jpy, amount, "top_up")).await.unwrap();
        }
    }
    account
}

async fn balances(a: &App, token: &str) -> (i64, i64) {
    let (status, b) = a.get("/v1/me/balances", token).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    (b["lite_minor"].as_i64().unwrap(), b["money_minor"].as_i64().unwrap())
}

/// Issue the wallet's card; its JSON (no number).
async fn issue(a: &App, token: &str) -> Value {
    let (status, card) = a.post("/v1/me/virtual-card", json!({}), Some(token)).await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    card
}

/// Step up with the next recovery code and reveal: (number, YYMM expiry).
async fn reveal(a: &App, account: &mut Account) -> (String, String) {
    let code = account.recovery_codes.remove(0);
    account.token = a.step_up_by(&account.token, "reveal_card", "recovery_code", &code).await;
    let (status, shown) = a.post("/v1/me/virtual-card/reveal", json!({}), Some(&account.token)).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let yymm = format!("{:02}{:02}", shown["exp_year"].as_i64().unwrap() % 100, shown["exp_month"].as_i64().unwrap());
    (shown["number"].as_str().unwrap().to_owned(), yymm)
}

struct Shop<'a> {
    network_url: &'a str,
}

impl Shop<'_> {
    async fn call(&self, path: &str, body: Value) -> Value {
        let resp = client()
            .post(format!("{}{path}", self.network_url))
            .bearer_auth(NETWORK_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }

    /// A purchase through the network: the issuer's answer (`approved`, `response_code`, …).
    async fn buy(&self, number: &str, yymm: &str, amount: i64, mcc: &str) -> Value {
        let body = json!({ "pan": number, "expiry": yymm, "amount_minor": amount, "merchant_name": "ANSHIN BOOKS",
                           "mcc": mcc, "cvc": "123" });
        self.call("/sim/merchant/purchase", body).await["issuer"].clone()
    }

    async fn buy_again(&self, number: &str, yymm: &str, amount: i64, network_ref: &str) -> Value {
        let body = json!({ "pan": number, "expiry": yymm, "amount_minor": amount, "merchant_name": "ANSHIN BOOKS",
                           "mcc": "5942", "network_ref": network_ref });
        self.call("/sim/merchant/purchase", body).await["issuer"].clone()
    }

    async fn clear(&self, network_ref: &str, amount: i64) -> Value {
        self.call("/sim/merchant/clearing", json!({ "network_ref": network_ref, "amount_minor": amount })).await
    }

    async fn reverse(&self, network_ref: &str) -> Value {
        self.call("/sim/merchant/reversal", json!({ "network_ref": network_ref })).await
    }
}

fn code(answer: &Value) -> &str {
    answer["response_code"].as_str().unwrap_or_default()
}

on_both!(a_purchase_within_the_balance_is_held_then_settles_to_the_issuers_account, |t| async move {
    let s = setup(t, 3600).await;
    let (a, shop) = (&s.a, Shop { network_url: &s.network_url });
    let mut who = holder(a, 1, 3_000, 10_000).await;
    let card = issue(a, &who.token).await;
    assert_eq!((card["status"].as_str(), card["brand"].as_str()), (Some("active"), Some("jcb")), "{card}");
    let (number, yymm) = reveal(a, &mut who).await;
    assert!(number.starts_with("356400") && number.ends_with(card["last4"].as_str().unwrap()));

    let approved = shop.buy(&number, &yymm, 2_500, "5942").await;
    assert_eq!((approved["approved"].as_bool(), code(&approved)), (Some(true), "00"), "{approved}");
    assert_eq!(approved["auth_code"].as_str().map(str::len), Some(6));
    assert_eq!(balances(a, &who.token).await, (500, 10_000), "the lite balance is held");
    // Lite no longer covers the next one: it holds the money balance instead, never a split.
    let from_money = shop.buy(&number, &yymm, 800, "5942").await;
    assert_eq!(code(&from_money), "00", "{from_money}");
    assert_eq!(balances(a, &who.token).await, (500, 9_200));

    let network_ref = approved["network_ref"].as_str().unwrap();
    assert_eq!(shop.clear(network_ref, 2_600).await["issuer"]["response_code"], "13", "never more than held");
    let cleared = shop.clear(network_ref, 2_400).await;
    assert_eq!(cleared["issuer"]["status"], "settled", "{cleared}");
    assert_eq!(shop.clear(network_ref, 2_400).await["issuer"]["status"], "settled", "a repeat is the same answer");
    assert_eq!(balances(a, &who.token).await, (600, 9_200), "the 100 not cleared returned");
    let ledger = a.payments.wallets().ledger();
    let settlement = ledger.system_account(AccountKind::CardIssuingSettlement, &Currency::jpy()).await.unwrap();
    assert_eq!(ledger.account(&settlement).await.unwrap().balance_minor, 2_400, "owed to the network");

    let (status, list) = a.get("/v1/me/virtual-card/authorizations", &who.token).await;
    assert_eq!(status, StatusCode::OK);
    let statuses: Vec<&str> = list.as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["approved", "settled"], "{list}");
    assert_eq!(list[0]["balance"], "money");
    let mails = a.messages_to("holder1@example.jp").await;
    let notices = mails.iter().filter(|m| m.subject.contains("ANSHIN BOOKS")).count();
    assert_eq!(notices, 2, "one usage notice per authorisation");
    assert!(mails.iter().any(|m| m.body.contains(card["last4"].as_str().unwrap()) && m.body.contains("¥2,500")));
    assert_books_sound(a).await;
});

on_both!(each_control_declines_and_nothing_is_held, |t| async move {
    let s = setup(t, 3600).await;
    let (a, shop) = (&s.a, Shop { network_url: &s.network_url });
    let mut who = holder(a, 1, 5_000, 0).await;
    issue(a, &who.token).await;
    let (number, yymm) = reveal(a, &mut who).await;
    let declined = |answer: &Value| answer["approved"] == false;

    let over_balance = shop.buy(&number, &yymm, 5_001, "5942").await;
    assert!(declined(&over_balance) && code(&over_balance) == "51", "{over_balance}");

    let body = json!({ "per_transaction_limit_minor": 1_000, "blocked_categories": ["gambling"] });
    let (status, limited) = a.post("/v1/me/virtual-card/limits", body, Some(&who.token)).await;
    assert_eq!(status, StatusCode::OK, "{limited}");
    assert_eq!(limited["blocked_categories"], json!(["gambling"]));
    for bad in [
        json!({ "per_transaction_limit_minor": 0 }),
        json!({ "per_transaction_limit_minor": 1_000_001 }),
        json!({ "per_transaction_limit_minor": 1, "blocked_categories": vec!["adult"; 6] }),
    ] {
        assert_eq!(
            a.post("/v1/me/virtual-card/limits", bad.clone(), Some(&who.token)).await.0,
            StatusCode::BAD_REQUEST
        );
    }
    let over_limit = shop.buy(&number, &yymm, 1_001, "5942").await;
    assert!(declined(&over_limit) && code(&over_limit) == "61", "{over_limit}");
    let casino = shop.buy(&number, &yymm, 500, "7995").await;
    assert!(declined(&casino) && code(&casino) == "57", "{casino}");
    assert_eq!(code(&shop.buy(&number, &yymm, 1_000, "5942").await), "00", "within every limit");

    let wrong_expiry = if yymm.ends_with("01") { yymm.replace("01", "02") } else { "3001".to_owned() };
    let expiry = shop.buy(&number, &wrong_expiry, 100, "5942").await;
    assert!(declined(&expiry) && code(&expiry) == "14", "the wrong expiry says no more than a wrong number");

    let (status, frozen) = a.post("/v1/me/virtual-card/freeze", json!({ "frozen": true }), Some(&who.token)).await;
    assert_eq!((status, frozen["status"].as_str()), (StatusCode::OK, Some("frozen")));
    let while_frozen = shop.buy(&number, &yymm, 100, "5942").await;
    assert!(declined(&while_frozen) && code(&while_frozen) == "62", "{while_frozen}");
    // Asking for the state the card is already in changes nothing and answers at once (it once
    // left its transaction open and held SQLite's one write connection until the time limit).
    for frozen in [true, false, false] {
        let started = std::time::Instant::now();
        let (status, card) = a.post("/v1/me/virtual-card/freeze", json!({ "frozen": frozen }), Some(&who.token)).await;
        assert_eq!(status, StatusCode::OK, "{card}");
        assert!(started.elapsed() < Duration::from_secs(3), "answered after {:?}", started.elapsed());
    }
    assert_eq!(code(&shop.buy(&number, &yymm, 100, "5942").await), "00", "unfrozen");

    let (status, replaced) = a.post("/v1/me/virtual-card/replace", json!({}), Some(&who.token)).await;
    assert_eq!(status, StatusCode::CREATED, "{replaced}");
    assert_eq!(replaced["per_transaction_limit_minor"], 1_000, "the limits carry over");
    let old = shop.buy(&number, &yymm, 100, "5942").await;
    assert!(declined(&old) && code(&old) == "14", "the old number is dead at once: {old}");
    let (new_number, new_yymm) = reveal(a, &mut who).await;
    assert_ne!(new_number, number);
    assert_eq!(code(&shop.buy(&new_number, &new_yymm, 100, "5942").await), "00", "the new one works");

    // A card past its expiry (moved back in the database: cards are issued for three years).
    let sql = "UPDATE virtual_cards SET exp_month = 1, exp_year = 2020 WHERE status = 'active'";
    sqlx::query(sql).execute(a.t.db.write_pool()).await.unwrap();
    let expired = shop.buy(&new_number, "2001", 100, "5942").await;
    assert!(declined(&expired) && code(&expired) == "54", "{expired}");

    assert_eq!(balances(a, &who.token).await.0, 5_000 - 1_000 - 100 - 100, "only the approvals are held");
    let (_, list) = a.get("/v1/me/virtual-card/authorizations", &who.token).await;
    let reasons: Vec<&str> = list.as_array().unwrap().iter().filter_map(|x| x["decline_reason"].as_str()).collect();
    for reason in
        ["insufficient_funds", "over_transaction_limit", "blocked_category", "invalid_card", "frozen", "expired_card"]
    {
        assert!(reasons.contains(&reason), "{reason} in {reasons:?}");
    }
    let declined_mail = a.messages_to("holder1@example.jp").await;
    assert!(declined_mail.iter().any(|m| m.subject.contains("declined")), "declines are notified too");
    assert_books_sound(a).await;
});

on_both!(a_hold_nobody_clears_expires_and_a_reversal_releases_at_once, |t| async move {
    let s = setup(t, 1).await;
    let (a, shop) = (&s.a, Shop { network_url: &s.network_url });
    let mut who = holder(a, 1, 4_000, 0).await;
    issue(a, &who.token).await;
    let (number, yymm) = reveal(a, &mut who).await;
    let first = shop.buy(&number, &yymm, 1_500, "5942").await;
    let second = shop.buy(&number, &yymm, 1_000, "5942").await;
    assert_eq!((code(&first), code(&second)), ("00", "00"));
    assert_eq!(balances(a, &who.token).await.0, 1_500);

    let reversed = shop.reverse(second["network_ref"].as_str().unwrap()).await;
    assert_eq!(reversed["issuer"]["status"], "reversed", "{reversed}");
    assert_eq!(balances(a, &who.token).await.0, 2_500, "a reversal releases the hold at once");

    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(s.cards.expire_virtual_card_holds().await.unwrap(), 1, "the first hold is past its time");
    assert_eq!(balances(a, &who.token).await.0, 4_000, "the balance returns");
    assert_eq!(s.cards.expire_virtual_card_holds().await.unwrap(), 0);
    let late = shop.clear(first["network_ref"].as_str().unwrap(), 1_500).await;
    assert_eq!(late["issuer"]["response_code"], "12", "an expired hold is not cleared: {late}");
    let (_, list) = a.get("/v1/me/virtual-card/authorizations", &who.token).await;
    let statuses: Vec<&str> = list.as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["reversed", "expired"]);
    assert_books_sound(a).await;
});

on_both!(a_network_reference_is_answered_once, |t| async move {
    let s = setup(t, 3600).await;
    let (a, shop) = (&s.a, Shop { network_url: &s.network_url });
    let mut who = holder(a, 1, 10_000, 0).await;
    issue(a, &who.token).await;
    let (number, yymm) = reveal(a, &mut who).await;
    let network_ref = uuid::Uuid::new_v4().to_string();
    let tries = (0..5).map(|_| shop.buy_again(&number, &yymm, 1_200, &network_ref));
    let answers = futures::future::join_all(tries).await;
    for answer in &answers {
        assert_eq!(code(answer), "00", "{answer}");
        assert_eq!(answer["auth_code"], answers[0]["auth_code"], "the same approval every time");
    }
    assert_eq!(balances(a, &who.token).await.0, 8_800, "held once");
    let other = shop.buy_again(&number, &yymm, 1_300, &network_ref).await;
    assert_eq!(code(&other), "94", "the same reference for another amount: {other}");
    assert_eq!(balances(a, &who.token).await.0, 8_800);
    assert_books_sound(a).await;
});

on_both!(the_issuer_endpoints_take_only_the_networks_key, |t| async move {
    let s = setup(t, 3600).await;
    let a = &s.a;
    let mut who = holder(a, 1, 10_000, 0).await;
    issue(a, &who.token).await;
    let (number, yymm) = reveal(a, &mut who).await;
    let body = json!({ "pan": number, "expiry": yymm, "amount_minor": 500, "currency": "JPY",
                       "merchant_name": "X", "mcc": "5942", "network_ref": uuid::Uuid::new_v4() });
    for key in [None, Some("wrong-key-0123456789"), Some(&NETWORK_KEY[..NETWORK_KEY.len() - 1])] {
        for path in ["/issuer/authorizations", "/issuer/clearings", "/issuer/reversals"] {
            let mut request = client().post(format!("{}{path}", a.url)).json(&body);
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            let resp = request.send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path} with {key:?}");
            let text = resp.text().await.unwrap();
            assert!(!text.contains(&number[6..]), "nothing of the card comes back");
        }
    }
    assert_eq!(balances(a, &who.token).await.0, 10_000, "nothing held");
    let (_, list) = a.get("/v1/me/virtual-card/authorizations", &who.token).await;
    assert_eq!(list, json!([]), "nothing recorded");
    let resp = client().post(format!("{}/issuer/authorizations", a.url)).bearer_auth(NETWORK_KEY).body("{").send();
    assert_eq!(resp.await.unwrap().status(), StatusCode::BAD_REQUEST, "the right key with a broken message");
    assert_books_sound(a).await;
});

on_both!(one_live_card_per_wallet_even_when_issued_twice_at_once, |t| async move {
    let s = setup(t, 3600).await;
    let a = &s.a;
    let who = holder(a, 1, 0, 0).await;
    let tries = (0..4).map(|_| a.post("/v1/me/virtual-card", json!({}), Some(&who.token)));
    let answers = futures::future::join_all(tries).await;
    let created = answers.iter().filter(|(status, _)| *status == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(answers.iter().all(|(status, _)| matches!(*status, StatusCode::CREATED | StatusCode::CONFLICT)));
    let (status, card) = a.get("/v1/me/virtual-card", &who.token).await;
    assert_eq!(status, StatusCode::OK);
    for field in ["number", "pan", "fingerprint", "token"] {
        assert!(card.get(field).is_none(), "{field} in {card}");
    }
    let other = holder(a, 2, 0, 0).await;
    assert_eq!(a.get("/v1/me/virtual-card", &other.token).await.0, StatusCode::NOT_FOUND);
    assert_books_sound(a).await;
});

/// Log lines written while the scan test's service runs (this binary's tests share the process).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

on_both!(a_reveal_needs_a_fresh_factor_each_time_and_leaves_the_number_nowhere, |t| async move {
    let logs = Logs::default();
    let writer = logs.clone();
    let _ =
        tracing_subscriber::fmt().with_max_level(tracing::Level::DEBUG).with_writer(move || writer.clone()).try_init();
    let s = setup(t, 3600).await;
    let (a, shop) = (&s.a, Shop { network_url: &s.network_url });
    let mut who = holder(a, 1, 10_000, 0).await;
    let mut responses = issue(a, &who.token).await.to_string();
    let (status, refused) = a.post("/v1/me/virtual-card/reveal", json!({}), Some(&who.token)).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")));

    let code = who.recovery_codes.remove(0);
    who.token = a.step_up_by(&who.token, "reveal_card", "recovery_code", &code).await;
    let resp = client()
        .post(format!("{}/v1/me/virtual-card/reveal", a.url))
        .bearer_auth(&who.token)
        .header("Idempotency-Key", "reveal-once")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let shown: Value = resp.json().await.unwrap();
    let number = shown["number"].as_str().unwrap().to_owned();
    assert_eq!(shown["shown_for_secs"], 60);
    let again = client()
        .post(format!("{}/v1/me/virtual-card/reveal", a.url))
        .bearer_auth(&who.token)
        .header("Idempotency-Key", "reveal-once")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT, "a retry is told to start over, not shown the number");
    let again = again.text().await.unwrap();
    assert!(!again.contains(&number));
    let (status, _) = a.post("/v1/me/virtual-card/reveal", json!({}), Some(&who.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the grant was spent by the reveal");
    // The holder is told of the reveal (a reveal they did not make means a session is not theirs),
    // without the number.
    let told = a.messages_to("holder1@example.jp").await;
    let notice = told.iter().find(|m| m.subject.contains("number was shown")).expect("a reveal notice");
    assert!(!notice.body.contains(&number) && notice.body.contains(&number[number.len() - 4..]));

    let yymm = format!("{:02}{:02}", shown["exp_year"].as_i64().unwrap() % 100, shown["exp_month"].as_i64().unwrap());
    let bought = shop.buy(&number, &yymm, 700, "5942").await;
    shop.clear(bought["network_ref"].as_str().unwrap(), 700).await;
    shop.buy(&number, &yymm, 70_000, "5942").await;
    for path in ["/v1/me/virtual-card", "/v1/me/virtual-card/authorizations", "/v1/me/balances"] {
        responses.push_str(&a.get(path, &who.token).await.1.to_string());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dump = common::dump_database(&a.t).await;
    assert!(dump.len() > 10_000, "the dump holds the database");
    assert!(dump.contains("cards.virtual.revealed"), "the reveal is audited");
    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    let middle = &number[6..12];
    assert!(!dump.contains(&number), "the number in the database");
    assert!(!dump.contains(&hex::encode(&number)), "the number hex-encoded in the database");
    assert!(!responses.contains(&number) && !responses.contains(&format!("{}{middle}", &number[..6])));
    assert!(!logs.contains(&number), "the number in the logs");
    assert_books_sound(a).await;
});

on_both!(no_hold_is_taken_for_a_card_frozen_between_the_check_and_the_hold, |t| async move {
    use anshin::cards::virtual_card::{VirtualCardAuthorization, store};
    use anshin::ledger::{LedgerError, Origin, Request};
    let s = setup(t, 3600).await;
    let a = &s.a;
    let who = holder(a, 1, 5_000, 0).await;
    let card = issue(a, &who.token).await;
    a.post("/v1/me/virtual-card/freeze", json!({ "frozen": true }), Some(&who.token)).await;
    // What `approve` submits after the rule passed on a card that was active when read.
    let row = VirtualCardAuthorization {
        id: "vca_race".into(),
        network_ref: uuid::Uuid::new_v4().to_string(),
        card_id: card["id"].as_str().unwrap().to_owned(),
        user_id: who.user_id.clone(),
        amount_minor: 1_000,
        currency: "JPY".into(),
        merchant_name: "ANSHIN BOOKS".into(),
        mcc: "5942".into(),
        status: "approved".into(),
        decline_reason: String::new(),
        hold_id: String::new(),
        balance: "lite".into(),
        auth_code: "ABC234".into(),
        settled_minor: 0,
        expires_at_ms: i64::MAX / 2,
        created_at_ms: 0,
    };
    let ledger = a.payments.wallets().ledger();
    let jpy = Currency::jpy();
    let accounts = a.payments.wallets().accounts(&who.user_id).await.unwrap();
    let settlement = ledger.system_account(AccountKind::CardIssuingSettlement, &jpy).await.unwrap();
    let request = Request {
        command: Command::Hold {
            key: format!("vcauth:{}", row.network_ref),
            debit_account_id: accounts.lite.clone(),
            credit_account_id: settlement,
            currency: jpy,
            amount_minor: 1_000,
            ttl_secs: 3600,
        },
        origin: Origin { actor: "card_network".into(), request_id: row.id.clone() },
        notify: Vec::new(),
        effects: vec![store::approved_effect(&row)],
    };
    assert_eq!(ledger.submit(request).await, Err(LedgerError::EffectRefused("virtual_card_not_active")));
    assert_eq!(balances(a, &who.token).await.0, 5_000, "nothing held on a frozen card");
    assert_books_sound(a).await;
});

on_both!(no_purchase_is_approved_while_a_contact_change_cools_off, |t| async move {
    let s = setup(t, 3600).await;
    let (a, shop) = (&s.a, Shop { network_url: &s.network_url });
    let mut who = holder(a, 1, 5_000, 0).await;
    let card = issue(a, &who.token).await;
    let (number, yymm) = reveal(a, &mut who).await;
    // A takeover changed the contact: for the cooling-off no money leaves, a card purchase neither.
    sqlx::query(
        "UPDATE users SET money_out_blocked_until_ms = $1 WHERE id = (SELECT user_id FROM virtual_cards WHERE id = $2)",
    )
    .bind(anshin::storage::now_ms() + 3_600_000)
    .bind(card["id"].as_str().unwrap())
    .execute(a.t.db.write_pool())
    .await
    .unwrap();
    let answer = shop.buy(&number, &yymm, 1_000, "5942").await;
    assert!(answer["approved"] == false && code(&answer) == "05", "do not honour, no more: {answer}");
    assert_eq!(a.count("SELECT COUNT(*) FROM ledger_holds").await, 0, "nothing is held");
    let reason = a.count("SELECT COUNT(*) FROM virtual_card_authorizations WHERE decline_reason = 'cooling_off'").await;
    assert_eq!(reason, 1);
    sqlx::query("UPDATE users SET money_out_blocked_until_ms = 0").execute(a.t.db.write_pool()).await.unwrap();
    assert_eq!(code(&shop.buy(&number, &yymm, 1_000, "5942").await), "00", "once it has ended");
    assert_books_sound(a).await;
});
