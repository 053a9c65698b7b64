//! Cards end to end: registration (network verification, then 3-D Secure, with the challenge
//! run through the browser's forms), top-ups for every transStatus and a directory-server
//! timeout, card-testing limits (a BIN walked from many accounts and addresses, a security code
//! guessed across accounts, the global breaker), identical declines, and a scan of every table,
//! log line and response for the card numbers used. Each test runs the real service over
//! loopback HTTP against `anshin sim card-network` started in-process, and ends with the books sound.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anshin::cards::{CardNetwork, CardTestingLimits, Cards, CardsConfig};
use anshin::http::{self, AppState, HttpConfig};
use anshin::identity::password::{HashParams, PasswordHasher};
use anshin::identity::{Identity, IdentityConfig};
use anshin::ledger::Ledger;
use anshin::merchants::{Merchants, MerchantsConfig};
use anshin::payments::{Payments, PaymentsConfig};
use anshin::sim::card_network::{
    CardNetworkConfig, TEST_CHALLENGE_CODE, TestBrand, serve_card_network_until, test_card_number,
};
use common::TestDb;
use common::identity_app::{App, PASSWORD, client, client_from};
use common::pay_app::assert_books_sound;
use reqwest::StatusCode;
use serde_json::{Value, json};

const NETWORK_KEY: &str = "test-network-key-0123456789";

struct Setup {
    a: App,
    cards: Cards,
    network_url: String,
    /// Where the service's vault keeps its key file (`vault-keys.json`).
    vault_dir: std::path::PathBuf,
}

/// Limits loose enough for a test that adds many good cards from one address.
fn roomy() -> CardTestingLimits {
    CardTestingLimits {
        attempts_per_user_per_day: 100,
        failures_per_user_per_day: 100,
        failures_per_device_per_day: 100,
        failures_per_address_per_hour: 100,
        failures_per_network_per_hour: 100,
        failures_per_bin_per_hour: 100,
        failures_per_number_per_day: 100,
        global_failures_per_window: 1_000,
        global_window_secs: 300,
    }
}

async fn setup(t: TestDb, testing: CardTestingLimits) -> Setup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let network_url = format!("http://{}", listener.local_addr().unwrap());
    let sim = CardNetworkConfig {
        ds_timeout_delay_ms: 2_000,
        decoupled_delay_ms: 200,
        ..CardNetworkConfig::new(NETWORK_KEY)
    };
    tokio::spawn(serve_card_network_until(listener, sim, std::future::pending()));
    let keys = t.db.keys().cloned().expect("test databases carry keys");
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 2, 64).unwrap();
    let identity = Identity::new(t.db.clone(), keys.clone(), hasher, IdentityConfig::default()).unwrap();
    let (ledger, _writer) = Ledger::start(t.db.clone());
    let merchants =
        Merchants::new(t.db.clone(), keys.clone(), identity.clone(), ledger.clone(), MerchantsConfig::default());
    let payments =
        Payments::new(t.db.clone(), keys.clone(), ledger.clone(), merchants.clone(), PaymentsConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let vault_dir = tempfile::tempdir().unwrap().keep(); // the key file lives as long as the test
    let vault = vault::Vault::open_dir(&vault_dir).unwrap();
    let client = vault::NetworkClient::new(&network_url, Duration::from_millis(500)).unwrap().with_api_key(NETWORK_KEY);
    let network = CardNetwork { client: Arc::new(client), api_key: NETWORK_KEY.into() };
    let config = CardsConfig { public_url: url.clone(), testing, ds_timeout_ms: 500, ..CardsConfig::default() };
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
    Setup { a: App { url, t, identity, merchants, payments }, cards, network_url, vault_dir }
}

/// A registered wallet user: its session token.
async fn wallet_user(a: &App, n: usize) -> String {
    let (email, phone) = (format!("user{n}@example.jp"), format!("+8190{:08}", 20_000_000 + n));
    let body = json!({ "email": email, "phone": phone, "password": PASSWORD, "legal_name": "ヤマダ タロウ",
                       "date_of_birth": "1990-04-15" });
    let (status, started) = a.post("/v1/registrations", body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let email_code = a.code_for(&email).await;
    let sms_code = a.code_for(&phone).await;
    let body = json!({ "registration_id": started["registration_id"], "email_code": email_code, "sms_code": sms_code });
    let (status, body) = a.post("/v1/registrations/verification", body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

fn card(number: &str, month: i64, year: i64, code: &str) -> Value {
    json!({ "number": number, "exp_month": month, "exp_year": year, "security_code": code })
}

/// A test card with the expiry and code every test card has.
fn good(number: &str) -> Value {
    let code = if number.starts_with("37") { "1234" } else { "123" };
    card(number, 12, 2030, code)
}

async fn add(a: &App, token: &str, body: Value) -> (StatusCode, Value) {
    a.post("/v1/me/cards", body, Some(token)).await
}

async fn lite(a: &App, token: &str) -> i64 {
    let (status, b) = a.get("/v1/me/balances", token).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b["lite_minor"].as_i64().unwrap()
}

fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no {name} in {html}"));
    let value = &html[at..];
    let start = value.find("value=\"").unwrap() + 7;
    value[start..start + value[start..].find('"').unwrap()].to_owned()
}

fn form_action(html: &str) -> String {
    let at = html.find("action=\"").expect("a form") + 8;
    html[at..at + html[at..].find('"').unwrap()].replace("&amp;", "&")
}

/// Do in a browser's place what the challenge page and the ACS ask: open our challenge page,
/// post its CReq to the ACS, answer with `code`, and carry the CRes to our notification page.
/// Returns the text of the page the cardholder ends on.
async fn run_challenge(challenge_url: &str, code: &str) -> String {
    let browser = client();
    let page = browser.get(challenge_url).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let page = page.text().await.unwrap();
    let acs = form_action(&page);
    assert!(csp.contains(&acs[..acs.find("/acs").unwrap()]), "the page's CSP lets its form go to the ACS: {csp}");
    let creq = hidden(&page, "creq");
    let acs_page = browser.post(&acs).form(&[("creq", creq.as_str())]).send().await.unwrap().text().await.unwrap();
    let done = if acs_page.contains("name=\"code\"") {
        let answer = format!("{}{}", &acs[..acs.find("/acs").unwrap()], form_action(&acs_page));
        let form = [("code", code), ("action", "submit"), ("threeDSSessionData", "")];
        browser.post(&answer).form(&form).send().await.unwrap().text().await.unwrap()
    } else {
        acs_page
    };
    let notify = form_action(&done);
    let cres = hidden(&done, "cres");
    browser.post(&notify).form(&[("cres", cres.as_str())]).send().await.unwrap().text().await.unwrap()
}

async fn top_up(a: &App, token: &str, card_id: &str, amount: i64) -> (StatusCode, Value) {
    a.post("/v1/me/card-top-ups", json!({ "card_id": card_id, "amount_minor": amount }), Some(token)).await
}

/// Polls a top-up until it is credited or declined.
async fn decided(a: &App, token: &str, id: &str) -> Value {
    for _ in 0..100 {
        let (status, t) = a.get(&format!("/v1/me/card-top-ups/{id}"), token).await;
        assert_eq!(status, StatusCode::OK, "{t}");
        if t["status"] == "credited" || t["status"] == "declined" {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("top-up {id} was never decided")
}

on_both!(every_trans_status_and_a_ds_timeout_decide_a_top_up_as_3ds_says, |t| async move {
    let s = setup(t, roomy()).await;
    let a = &s.a;
    let token = wallet_user(a, 1).await;
    // (payment ARes digit, challenge digit, expected outcome, decline reason)
    let cases = [
        (0, 0, "credited", ""),
        (1, 0, "declined", "authentication_failed"),
        (2, 0, "declined", "authentication_unavailable"),
        (3, 0, "credited", ""),
        (4, 0, "credited", ""),
        (5, 0, "credited", ""),
        (6, 0, "declined", "authentication_failed"),
        (7, 0, "declined", "authentication_unavailable"),
        (8, 0, "declined", "authentication_unavailable"),
        (9, 0, "declined", "authentication_unavailable"),
    ];
    let mut expected_lite = 0;
    for (i, (s_digit, c_digit, outcome, reason)) in cases.into_iter().enumerate() {
        let brand = [TestBrand::Visa, TestBrand::Mastercard, TestBrand::Jcb, TestBrand::Amex][i % 4];
        let number = test_card_number(brand, 0, s_digit, c_digit);
        let (status, added) = add(a, &token, good(&number)).await;
        assert_eq!((status, added["status"].as_str()), (StatusCode::CREATED, Some("active")), "{added}");
        assert_eq!(added["last4"], &number[number.len() - 4..]);
        assert!(!added.to_string().contains(&number), "no number in the answer");
        let card_id = added["id"].as_str().unwrap();
        let amount = 1_000 + i as i64;
        let (status, started) = top_up(a, &token, card_id, amount).await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        if s_digit == 4 {
            assert_eq!(started["status"], "authenticating");
            let url = started["challenge_url"].as_str().expect("a challenge");
            let landing = run_challenge(url, TEST_CHALLENGE_CODE).await;
            assert!(landing.contains("lite balance"), "{landing}");
        }
        let decided = decided(a, &token, started["id"].as_str().unwrap()).await;
        assert_eq!(
            (decided["status"].as_str(), decided["decline_reason"].as_str()),
            (Some(outcome), Some(reason)),
            "ARes digit {s_digit}: {decided}"
        );
        if outcome == "credited" {
            expected_lite += amount;
        }
        assert_eq!(lite(a, &token).await, expected_lite, "only credited top-ups reach the lite balance");
        assert_eq!(a.delete(&format!("/v1/me/cards/{card_id}"), &token).await, StatusCode::NO_CONTENT);
    }
    // The evidence kept with each top-up: ECI by brand, the DS's ids, the sealed value.
    let kept = a
        .count(
            "SELECT COUNT(*) FROM card_authentications WHERE purpose = 'top_up' AND trans_status IN ('Y', 'A')
        AND eci <> '' AND ds_trans_id <> '' AND authentication_value LIKE 'v1:%'",
        )
        .await;
    assert_eq!(kept, 4, "Y, A, and the challenge and decoupled results carry their evidence");
    let timeouts = a.count("SELECT COUNT(*) FROM card_authentications WHERE trans_status = 'timeout'").await;
    assert_eq!(timeouts, 1);
    // Money is in the lite balance only: none of it can be withdrawn or sent.
    let (_, balances) = a.get("/v1/me/balances", &token).await;
    assert_eq!(balances["money_minor"], 0);
    assert_books_sound(a).await;
});

on_both!(an_attempted_authentication_credits_only_under_its_cap_and_a_declined_authorisation_never, |t| async move {
    let s = setup(t, roomy()).await;
    let a = &s.a;
    let token = wallet_user(a, 1).await;
    let (_, attempted) = add(a, &token, good(&test_card_number(TestBrand::Visa, 0, 3, 0))).await;
    let cap = s.cards.config().attempted_cap_minor;
    let (_, over) = top_up(a, &token, attempted["id"].as_str().unwrap(), cap + 1).await;
    assert_eq!(
        (over["status"].as_str(), over["decline_reason"].as_str()),
        (Some("declined"), Some("authentication_attempted_over_cap"))
    );
    let (_, refusing) = add(a, &token, good(&test_card_number(TestBrand::Visa, 9, 0, 0))).await;
    assert_eq!(refusing["status"], "active", "{refusing}");
    let (_, declined) = top_up(a, &token, refusing["id"].as_str().unwrap(), 1_000).await;
    assert_eq!(
        (declined["status"].as_str(), declined["decline_reason"].as_str()),
        (Some("declined"), Some("card_declined"))
    );
    assert_eq!(lite(a, &token).await, 0);
    // A declined top-up gives its amount back to the day's limit.
    let totals = a.count("SELECT CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) FROM card_top_up_totals").await;
    assert_eq!(totals, 0);
    assert_books_sound(a).await;
});

on_both!(registration_authenticates_the_holder_and_a_challenge_runs_in_the_browser, |t| async move {
    let s = setup(t, roomy()).await;
    let a = &s.a;
    let token = wallet_user(a, 1).await;
    let challenged = test_card_number(TestBrand::Jcb, 4, 0, 0);
    let (status, added) = add(a, &token, good(&challenged)).await;
    assert_eq!((status, added["status"].as_str()), (StatusCode::CREATED, Some("authenticating")), "{added}");
    // Not usable until the issuer says so.
    let (status, _) = top_up(a, &token, added["id"].as_str().unwrap(), 1_000).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let landing = run_challenge(added["challenge_url"].as_str().unwrap(), TEST_CHALLENGE_CODE).await;
    assert!(landing.contains("card was added"), "{landing}");
    let (_, cards) = a.get("/v1/me/cards", &token).await;
    assert_eq!(cards[0]["status"], "active");
    // A wrong code three times fails the challenge, and the card with it.
    let failing = test_card_number(TestBrand::Visa, 4, 0, 0);
    let (_, added) = add(a, &token, good(&failing)).await;
    let url = added["challenge_url"].as_str().unwrap().to_owned();
    let landing = {
        let browser = client();
        let page = browser.get(&url).send().await.unwrap().text().await.unwrap();
        let acs = form_action(&page);
        let base = acs[..acs.find("/acs").unwrap()].to_owned();
        let mut html =
            browser.post(&acs).form(&[("creq", hidden(&page, "creq"))]).send().await.unwrap().text().await.unwrap();
        for _ in 0..3 {
            let answer = format!("{base}{}", form_action(&html));
            html = browser
                .post(&answer)
                .form(&[("code", "000000"), ("action", "submit")])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
        }
        let notify = form_action(&html);
        browser.post(&notify).form(&[("cres", hidden(&html, "cres"))]).send().await.unwrap().text().await.unwrap()
    };
    assert!(landing.contains("not added"), "{landing}");
    // N, R, a timeout: the card never becomes usable.
    for (digit, reason) in
        [(1, "authentication_failed"), (6, "authentication_failed"), (8, "authentication_unavailable")]
    {
        let (status, added) = add(a, &token, good(&test_card_number(TestBrand::Mastercard, digit, 0, 0))).await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        assert_eq!((added["status"].as_str(), added["failure_reason"].as_str()), (Some("failed"), Some(reason)));
    }
    // A forged RReq (without the network's key) is refused and changes nothing.
    let resp =
        client().post(format!("{}/3ds/rreq", a.url)).json(&json!({ "messageType": "RReq" })).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(a.count("SELECT COUNT(*) FROM cards WHERE status = 'active'").await, 1);
    assert_books_sound(a).await;
});

on_both!(declines_are_the_same_whichever_field_is_wrong, |t| async move {
    let s = setup(t, roomy()).await;
    let a = &s.a;
    let token = wallet_user(a, 1).await;
    let number = test_card_number(TestBrand::Visa, 0, 0, 0);
    let attempts = [
        card("4111111111111111", 12, 2030, "123"), // a real-looking number this network does not know
        card(&number, 11, 2031, "123"),            // the wrong expiry
        card(&number, 12, 2030, "124"),            // the wrong security code
        card("4000000000000001", 12, 2030, "123"), // a wrong check digit
    ];
    let mut answers = Vec::new();
    for body in attempts {
        let (status, answer) = add(a, &token, body).await;
        answers.push((status, answer["error"]["code"].clone(), answer["error"]["message"].clone()));
    }
    for answer in &answers {
        assert_eq!(answer, &answers[0], "every decline is the same decline");
    }
    assert_eq!(answers[0].0, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(answers[0].1, "card_declined");
    assert_eq!(a.count("SELECT COUNT(*) FROM cards").await, 0);
    assert_books_sound(a).await;
});

on_both!(a_bin_walked_from_many_accounts_and_addresses_is_cut_off_within_a_few_dozen_tries, |t| async move {
    let s = setup(t, CardTestingLimits::default()).await;
    let a = &s.a;
    let mut tokens = Vec::new();
    for n in 0..20 {
        tokens.push(wallet_user(a, n).await);
    }
    let addresses: Vec<reqwest::Client> = (0..10).map(|i| client_from(&format!("127.{}.1.10", i + 10))).collect();
    let mut first_answer = None;
    for i in 0..1_000u64 {
        let number = format!("400000{:010}", 1_000_000 + i);
        let (status, answer) = a
            .post_with(
                &addresses[(i % 10) as usize],
                "/v1/me/cards",
                card(&number, 12, 2030, "999"),
                Some(&tokens[(i % 20) as usize]),
            )
            .await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "try {i}: {answer}");
        let seen = (answer["error"]["code"].clone(), answer["error"]["message"].clone());
        assert_eq!(first_answer.get_or_insert_with(|| seen.clone()), &seen, "a limit's refusal looks like a decline");
    }
    // Judged tries are those the limits let through: a wrong check digit found locally, or a
    // decline from the network. Everything after the cut-off never reached either.
    let judged = a
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'cards.card.declined'
        AND (details LIKE '%card_checks%' OR details LIKE '%network%')",
        )
        .await;
    assert!(judged <= 36, "{judged} tries were judged before the cut-off");
    assert_eq!(a.count("SELECT COUNT(*) FROM cards").await, 0);
    assert_books_sound(a).await;
});

on_both!(a_security_code_guessed_across_accounts_stops_after_three_tries_in_all, |t| async move {
    let s = setup(t, CardTestingLimits::default()).await;
    let a = &s.a;
    let number = test_card_number(TestBrand::Visa, 0, 0, 0);
    // Ten accounts, each from its own address, each trying three codes (the 2018 pattern).
    let mut reached = 0;
    for n in 0..10 {
        let token = wallet_user(a, n).await;
        let from = client_from(&format!("127.0.2.{}", n + 10));
        for guess in 0..3 {
            let code = format!("{:03}", 200 + n * 3 + guess);
            let (status, _) = a.post_with(&from, "/v1/me/cards", card(&number, 12, 2030, &code), Some(&token)).await;
            assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
            reached += 1;
        }
    }
    assert_eq!(reached, 30);
    let network_declines = a
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'cards.card.declined' AND details LIKE '%network%'")
        .await;
    assert_eq!(network_declines, 3, "the network saw three guesses at this number, no more");
    // Even the right code is refused for the rest of the day.
    let token = wallet_user(a, 99).await;
    let (status, _) = a.post_with(&client_from("127.0.2.200"), "/v1/me/cards", good(&number), Some(&token)).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_books_sound(a).await;
});

on_both!(a_spike_of_declines_across_all_accounts_trips_the_breaker_for_everyone, |t| async move {
    let limits = CardTestingLimits { global_failures_per_window: 5, ..CardTestingLimits::default() };
    let s = setup(t, limits).await;
    let a = &s.a;
    for n in 0..6 {
        let token = wallet_user(a, n).await;
        let number = format!("4111111111111{:03}", n); // mostly bad check digits: failures all the same
        let from = client_from(&format!("127.0.3.{}", n + 10));
        a.post_with(&from, "/v1/me/cards", card(&number, 12, 2030, "123"), Some(&token)).await;
    }
    // A new account, a new address, a good card: refused while the breaker is open.
    let token = wallet_user(a, 50).await;
    let (status, body) = a
        .post_with(
            &client_from("127.0.3.100"),
            "/v1/me/cards",
            good(&test_card_number(TestBrand::Visa, 0, 0, 0)),
            Some(&token),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("card_declined")));
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

on_both!(no_card_number_is_anywhere_outside_the_vault, |t| async move {
    let logs = Logs::default();
    let writer = logs.clone();
    let _ =
        tracing_subscriber::fmt().with_max_level(tracing::Level::DEBUG).with_writer(move || writer.clone()).try_init();
    let s = setup(t, roomy()).await;
    let a = &s.a;
    let token = wallet_user(a, 1).await;
    let numbers: Vec<String> = (0..=9).map(|d| test_card_number(TestBrand::Visa, 0, d, 1)).collect();
    let mut responses = String::new();
    for number in &numbers {
        let (_, added) = add(a, &token, good(number)).await;
        responses.push_str(&added.to_string());
        if let Some(id) = added["id"].as_str() {
            let (_, started) = top_up(a, &token, id, 500).await;
            responses.push_str(&started.to_string());
            if let Some(url) = started["challenge_url"].as_str() {
                responses.push_str(&run_challenge(url, TEST_CHALLENGE_CODE).await);
            }
        }
        let (_, wrong) = add(a, &token, card(number, 12, 2030, "999")).await;
        responses.push_str(&wrong.to_string());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for path in ["/v1/me/cards", "/v1/me/card-top-ups", "/v1/me/balances"] {
        responses.push_str(&a.get(path, &token).await.1.to_string());
    }
    let dump = common::dump_database(&a.t).await;
    assert!(dump.len() > 10_000, "the dump holds the database");
    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    for number in &numbers {
        let middle = &number[6..12];
        assert!(!dump.contains(number.as_str()), "a card number in the database");
        assert!(
            !responses.contains(number.as_str()) && !responses.contains(&format!("{}{middle}", &number[..6])),
            "a card number in an API response"
        );
        assert!(!logs.contains(number.as_str()), "a card number in the logs");
        assert!(!dump.contains(&hex::encode(number)), "a card number hex-encoded in the database");
    }
    assert!(!dump.contains("\"999\"") && !dump.contains("security_code"), "no security code is kept");
    let _ = s.network_url;
    assert_books_sound(a).await;
});

on_both!(rotating_the_vault_key_keeps_old_and_new_cards_usable_during_and_after, |t| async move {
    let s = setup(t, roomy()).await;
    let a = &s.a;
    let token = wallet_user(a, 1).await;
    let mut card_ids = Vec::new();
    for c in 0..2 {
        let (_, added) = add(a, &token, good(&test_card_number(TestBrand::Visa, 0, 0, c))).await;
        assert_eq!(added["status"], "active", "{added}");
        card_ids.push(added["id"].as_str().unwrap().to_owned());
    }
    let before = anshin::cards::store::count_by_key(&a.t.db).await.unwrap();
    assert_eq!(before, vec![("k1".to_owned(), 2)]);
    // Top-ups keep going on both cards while another process rotates and re-wraps.
    let topping = {
        let (url, token, card_ids) = (a.url.clone(), token.clone(), card_ids.clone());
        tokio::spawn(async move {
            let mut credited = 0;
            for i in 0..10 {
                let body = json!({ "card_id": card_ids[i % 2], "amount_minor": 100 });
                let resp = client().post(format!("{url}/v1/me/card-top-ups")).bearer_auth(&token).json(&body);
                let answer: Value = resp.send().await.unwrap().json().await.unwrap();
                assert_eq!(answer["status"], "credited", "{answer}");
                credited += 1;
            }
            credited
        })
    };
    let new_key = vault::KeyRing::rotate_file(&s.vault_dir).unwrap();
    assert_eq!(new_key, "k2");
    let rotating = vault::Vault::open_dir(&s.vault_dir).unwrap();
    let moved = Cards::rewrap_all(&a.t.db, &rotating).await.unwrap();
    assert_eq!(moved, 2);
    assert_eq!(topping.await.unwrap(), 10);
    // After: the old cards (now under k2) still charge, and a new card is sealed under k2.
    let (_, added) = add(a, &token, good(&test_card_number(TestBrand::Mastercard, 0, 0, 0))).await;
    let (_, third) = top_up(a, &token, added["id"].as_str().unwrap(), 100).await;
    assert_eq!(third["status"], "credited", "{third}");
    let (_, again) = top_up(a, &token, &card_ids[0], 100).await;
    assert_eq!(again["status"], "credited", "{again}");
    let after = anshin::cards::store::count_by_key(&a.t.db).await.unwrap();
    assert_eq!(after, vec![("k2".to_owned(), 3)], "every record under the new key");
    assert_eq!(lite(a, &token).await, 1_200);
    assert_books_sound(a).await;
});

on_both!(one_card_number_is_active_on_one_wallet_and_top_ups_stop_at_the_daily_limit, |t| async move {
    let s = setup(t, roomy()).await;
    let a = &s.a;
    let (first, second) = (wallet_user(a, 1).await, wallet_user(a, 2).await);
    let number = test_card_number(TestBrand::Visa, 0, 0, 0);
    let (_, added) = add(a, &first, good(&number)).await;
    assert_eq!(added["status"], "active", "{added}");
    // The same number on another wallet: refused while it is active on the first.
    let (status, body) = add(a, &second, good(&number)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{body}");
    // Two top-ups of the most one may be reach the day's limit; the third is declined, uncharged.
    let card_id = added["id"].as_str().unwrap();
    let most = s.cards.config().per_top_up_limit_minor;
    assert_eq!(s.cards.config().daily_limit_per_user_minor, 2 * most);
    for _ in 0..2 {
        let (_, done) = top_up(a, &first, card_id, most).await;
        assert_eq!(done["status"], "credited", "{done}");
    }
    let (status, body) = top_up(a, &first, card_id, 1).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("over_daily_limit")));
    assert_eq!(lite(a, &first).await, 2 * most);
    assert_eq!(a.count("SELECT COUNT(*) FROM card_top_ups").await, 2, "a refused top-up leaves no row");
    assert_books_sound(a).await;
});

on_both!(an_rreq_counts_only_for_the_transaction_it_names_and_with_the_brands_eci, |t| async move {
    let s = setup(t, roomy()).await;
    let a = &s.a;
    let token = wallet_user(a, 1).await;
    let (_, added) = add(a, &token, good(&test_card_number(TestBrand::Jcb, 4, 0, 0))).await;
    assert_eq!(added["status"], "authenticating", "{added}");
    let challenge_url = added["challenge_url"].as_str().unwrap().to_owned();
    let id = challenge_url.rsplit('/').next().unwrap().to_owned();
    let (ds, acs): (String, String) =
        sqlx::query_as("SELECT ds_trans_id, acs_trans_id FROM card_authentications WHERE id = $1")
            .bind(&id)
            .fetch_one(a.t.db.read_pool())
            .await
            .unwrap();
    let rreq = |ds: &str, eci: &str| {
        json!({ "messageType": "RReq", "messageVersion": "2.2.0", "threeDSServerTransID": id, "dsTransID": ds,
                "acsTransID": acs, "transStatus": "Y", "eci": eci,
                "authenticationValue": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" })
    };
    let send = |body: Value| async move {
        let resp = client().post(format!("{}/3ds/rreq", a.url)).bearer_auth(NETWORK_KEY).json(&body).send().await;
        resp.unwrap().status()
    };
    // The network's key, but another DS transaction, or an ECI that is not JCB's: refused.
    assert_eq!(send(rreq(&uuid::Uuid::new_v4().to_string(), "05")).await, StatusCode::BAD_REQUEST);
    assert_eq!(send(rreq(&ds, "02")).await, StatusCode::BAD_REQUEST, "02 is Mastercard's ECI");
    let (_, cards) = a.get("/v1/me/cards", &token).await;
    assert_eq!(cards[0]["status"], "authenticating", "nothing was decided by them");
    // The real challenge still decides it.
    let landing = run_challenge(&challenge_url, TEST_CHALLENGE_CODE).await;
    assert!(landing.contains("card was added"), "{landing}");
    assert_books_sound(a).await;
});
