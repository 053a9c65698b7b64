//! Transfers and withdrawals for tests: the service with the bank and eKYC simulators, wallet
//! users verified through the real eKYC flow, money put in through the ledger, and payees looked
//! up over HTTP.

use anshin::funding::{Funding, FundingConfig};
use anshin::http::{self, AppState, HttpConfig};
use anshin::identity::kyc::EkycClient;
use anshin::identity::password::{HashParams, PasswordHasher};
use anshin::identity::{Identity, IdentityConfig};
use anshin::ledger::{AccountKind, Command, Currency, Ledger};
use anshin::merchants::{Merchants, MerchantsConfig};
use anshin::payments::{Payments, PaymentsConfig};
use anshin::sim::ekyc::{EkycSimConfig, serve_ekyc_until};
use anshin::sim::{BankSimConfig, serve_bank};
use anshin::transfers::{Transfers, TransfersConfig};
use anshin::wallets::Wallets;
use anshin::withdrawals::{Withdrawals, WithdrawalsConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::TestDb;
use super::identity_app::{App, PASSWORD};

const BANK_KEY: &str = "test-bank-key-0123456789";
const EKYC_KEY: &str = "test-ekyc-key-0123456789";

pub struct Setup {
    pub a: App,
    pub ledger: Ledger,
    pub withdrawals: Withdrawals,
    pub bank_url: String,
}

/// The service with the bank and eKYC simulators, transfers under `config` and withdrawals.
pub async fn setup(t: TestDb, config: TransfersConfig) -> Setup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bank_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve_bank(listener, BankSimConfig { confirm_delay_ms: 20, ..BankSimConfig::new(BANK_KEY) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ekyc_url = format!("http://{}", listener.local_addr().unwrap());
    let sim = EkycSimConfig { decision_delay_ms: 20, ..EkycSimConfig::new(EKYC_KEY) };
    tokio::spawn(serve_ekyc_until(listener, sim, std::future::pending()));
    let keys = t.db.keys().cloned().expect("test databases carry keys");
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 2, 64).unwrap();
    let identity_config = IdentityConfig { ekyc_poll_interval_ms: 20, ..IdentityConfig::default() };
    let identity = Identity::new(t.db.clone(), keys.clone(), hasher, identity_config)
        .unwrap()
        .with_ekyc(EkycClient::new(&ekyc_url, EKYC_KEY).unwrap());
    let (ledger, _writer) = Ledger::start(t.db.clone());
    let merchants =
        Merchants::new(t.db.clone(), keys.clone(), identity.clone(), ledger.clone(), MerchantsConfig::default());
    let payments =
        Payments::new(t.db.clone(), keys.clone(), ledger.clone(), merchants.clone(), PaymentsConfig::default());
    let bank = anshin::bank::BankClient::new(&bank_url, BANK_KEY).unwrap();
    let funding_config = FundingConfig { poll_interval_ms: 50, ..FundingConfig::default() };
    let funding = Funding::new(t.db.clone(), identity.clone(), ledger.clone(), Some(bank.clone()), funding_config);
    let transfers = Transfers::new(t.db.clone(), keys, identity.clone(), ledger.clone(), config);
    let withdrawals =
        Withdrawals::new(t.db.clone(), identity.clone(), ledger.clone(), Some(bank), WithdrawalsConfig::default());
    let http_config = HttpConfig::default();
    let state = AppState::new(t.db.clone(), http_config.clone(), None, true, false)
        .with_identity(identity.clone())
        .with_ledger(ledger.clone())
        .with_merchants(merchants.clone())
        .with_payments(payments.clone())
        .with_funding(funding)
        .with_transfers(transfers)
        .with_withdrawals(withdrawals.clone());
    let router = http::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { http::serve(listener, router, None, &http_config, std::future::pending()).await });
    Setup { a: App { url, t, identity, merchants, payments }, ledger, withdrawals, bank_url }
}

/// A wallet user: its session token, user id and unused recovery codes (one per step-up).
pub struct User {
    pub token: String,
    pub id: String,
    pub email: String,
    pub codes: Vec<String>,
}

impl User {
    /// Step up for `action` with the next recovery code; the session's token changes.
    pub async fn step_up(&mut self, a: &App, action: &str) {
        let code = self.codes.pop().expect("a recovery code left");
        self.token = a.step_up_by(&self.token, action, "recovery_code", &code).await;
    }
}

/// A registered wallet user named `kana` (the registration's legal name), born 1990-04-15.
pub async fn registered(a: &App, email: &str, phone: &str, kana: &str) -> User {
    let body = json!({ "email": email, "phone": phone, "password": PASSWORD, "legal_name": kana, "date_of_birth": "1990-04-15" });
    let (status, started) = a.post("/v1/registrations", body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let email_code = a.code_for(email).await;
    let sms_code = a.code_for(phone).await;
    let body = json!({ "registration_id": started["registration_id"], "email_code": email_code, "sms_code": sms_code });
    let (status, body) = a.post("/v1/registrations/verification", body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let codes = body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    User {
        token: body["token"].as_str().unwrap().to_owned(),
        id: body["user_id"].as_str().unwrap().to_owned(),
        email: email.to_owned(),
        codes,
    }
}

/// A registered user whose identity the eKYC simulator verified: `name` as the document shows
/// it, with its kana `kana` (also the registered name).
pub async fn verified(a: &App, email: &str, phone: &str, name: &str, kana: &str) -> User {
    let mut u = registered(a, email, phone, kana).await;
    u.step_up(a, "verify_identity").await;
    let document = json!({
        "document_type": "drivers_license", "document_number": "D12345679010", "full_name": name,
        "full_name_kana": kana, "date_of_birth": "1990-04-15", "address": "東京都渋谷区渋谷2-1-1",
        "selfie_sha256": "5f".repeat(32),
    });
    let (status, body) = a.post("/v1/me/identity-verifications", document, Some(&u.token)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    for _ in 0..200 {
        let (_, v) = a.get("/v1/me/identity-verification", &u.token).await;
        if v["level"] == "verified" {
            return u;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{email} was not verified")
}

/// Money into a wallet's money balance (as a confirmed bank top-up would put it).
pub async fn fund(s: &Setup, user_id: &str, amount_minor: i64) {
    let wallets = Wallets::new(s.a.t.db.clone(), s.ledger.clone());
    let money = wallets.accounts(user_id).await.unwrap().money;
    let jpy = Currency::jpy();
    let bank = s.ledger.system_account(AccountKind::BankClearing, &jpy).await.unwrap();
    let key = format!("test-fund:{user_id}:{}", anshin::storage::ids::random_hex_128());
    s.ledger.submit(Command::transfer(key, &bank, &money, &jpy, amount_minor, "test_funding")).await.unwrap();
}

pub async fn balances(a: &App, token: &str) -> Value {
    let (status, b) = a.get("/v1/me/balances", token).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b
}

/// Look `payee_email` up as `u`: the payee token and display name.
pub async fn payee(a: &App, u: &User, payee_email: &str) -> (String, String) {
    let (status, p) = a.post("/v1/me/transfers/payees", json!({ "email": payee_email }), Some(&u.token)).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    (p["payee_token"].as_str().unwrap().to_owned(), p["display_name"].as_str().unwrap().to_owned())
}

pub async fn send(a: &App, u: &User, token: &str, amount_minor: i64) -> (StatusCode, Value) {
    a.post("/v1/me/transfers", json!({ "payee_token": token, "amount_minor": amount_minor }), Some(&u.token)).await
}

pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}
