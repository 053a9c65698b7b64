//! Payments for tests: a merchant with a store and a POS key, a wallet with a device key and
//! funds, signed POS requests, and the check that the books are sound after a flow.

use anshin::ledger::{AccountKind, Command, Currency};
use anshin::merchants::credentials::pos_signature;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::identity_app::*;
use super::merchant_app::*;

/// A merchant with an open store and a POS key; the owner's token.
pub struct Shop {
    pub id: String,
    pub store: String,
    pub key_id: String,
    pub secret: String,
    pub owner: String,
    /// The owner's unused recovery codes (the first went on the POS key's step-up).
    pub codes: Vec<String>,
}

pub async fn shop(a: &App, name: &str) -> Shop {
    let (id, token, codes) =
        merchant_with(a, name, &format!("owner@{}.example.jp", name.to_lowercase()), "owner").await;
    let body = json!({ "name": format!("{name} 本店"), "postal_code": "1500002", "address": "東京都渋谷区" });
    let (_, store) = a.post(&format!("/v1/merchants/{id}/stores"), body, Some(&token)).await;
    let store = store["id"].as_str().unwrap().to_owned();
    let owner = a.step_up_by(&token, "create_pos_key", "recovery_code", &codes[0]).await;
    let body = json!({ "store_id": store, "label": "till 1" });
    let (status, key) = a.post(&format!("/v1/merchants/{id}/pos-keys"), body, Some(&owner)).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    Shop {
        id,
        store,
        key_id: key["key"]["id"].as_str().unwrap().to_owned(),
        secret: key["secret"].as_str().unwrap().to_owned(),
        owner,
        codes: codes[1..].to_vec(),
    }
}

/// A wallet with a device key and money: (token, device number, device secret, user id).
pub struct Wallet {
    pub token: String,
    pub number: i64,
    pub secret: Vec<u8>,
    pub user_id: String,
    pub recovery_codes: Vec<String>,
}

pub async fn wallet(a: &App, email: &str, phone: &str, money_minor: i64, points_minor: i64) -> Wallet {
    let account = a.register(email, phone).await;
    let (status, device) = a.post("/v1/me/payment-devices", json!({}), Some(&account.token)).await;
    assert_eq!(status, StatusCode::CREATED, "{device}");
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(device["secret"].as_str().unwrap()).unwrap();
    let accounts = a.payments.wallets().accounts(&account.user_id).await.unwrap();
    let ledger = a.payments.wallets().ledger();
    let jpy = Currency::jpy();
    let bank = ledger.system_account(AccountKind::BankClearing, &jpy).await.unwrap();
    let campaign = ledger.system_account(AccountKind::CampaignFunding, &jpy).await.unwrap();
    for (from, to, amount, what) in
        [(&bank, &accounts.money, money_minor, "top_up"), (&campaign, &accounts.points, points_minor, "points")]
    {
        if amount > 0 {
            let key = format!("fund-{}-{what}", account.user_id);
            ledger.submit(Command::transfer(key, from, to, &jpy, amount, what)).await.unwrap();
        }
    }
    Wallet {
        token: account.token,
        number: device["device_number"].as_i64().unwrap(),
        secret,
        user_id: account.user_id,
        recovery_codes: account.recovery_codes,
    }
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A signed POS request; `nonce` and `timestamp` may be chosen to test replays and staleness.
pub async fn pos_send(
    a: &App,
    shop: &Shop,
    method: &str,
    path: &str,
    body: &str,
    nonce: &str,
    timestamp: i64,
) -> (StatusCode, Value) {
    let ts = timestamp.to_string();
    let signature = pos_signature(&shop.secret, method, path, &ts, nonce, body.as_bytes());
    let client = client();
    let request =
        if method == "GET" { client.get(format!("{}{path}", a.url)) } else { client.post(format!("{}{path}", a.url)) };
    let resp = request
        .header("content-type", "application/json")
        .header("Anshin-Key", &shop.key_id)
        .header("Anshin-Timestamp", ts)
        .header("Anshin-Nonce", nonce)
        .header("Anshin-Signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub fn nonce() -> String {
    anshin::storage::ids::random_hex_128()
}

pub async fn charge(a: &App, shop: &Shop, code: &str, amount: i64) -> (StatusCode, Value) {
    let body = json!({ "customer_code": code, "amount_minor": amount, "currency": "JPY", "terminal_id": "till-1" });
    pos_send(a, shop, "POST", "/v1/pos/payments", &body.to_string(), &nonce(), now_secs()).await
}

pub async fn assert_books_sound(a: &App) {
    let report = a.payments.wallets().ledger().verify().await.unwrap();
    assert!(report.ok(), "ledger: {:?}", report.problems);
    let audit = anshin::audit::verify(&a.t.db).await.unwrap();
    assert!(audit.ok(), "audit: {:?}", audit.problems);
}
