//! Merchants for tests: operators, active merchants, staff with full sessions and stores, made
//! the way the command line and the API make them.

use anshin::merchants::NewMerchant;
use anshin::merchants::stores::NewStaff;
use reqwest::StatusCode;
use serde_json::json;

use super::identity_app::App;

/// An operator with a full session: (token, recovery codes for step-ups).
pub async fn operator(a: &App, email: &str, role: &str) -> (String, Vec<String>) {
    let password = a.identity.create_operator(email, "Ops Person", role).await.unwrap();
    let token = a.enrolment_session(email, &password).await;
    let (_, codes) = a.enrol_totp(&token).await;
    (token, codes)
}

/// An active merchant made the way the command line makes one: its id.
pub async fn merchant(a: &App, name: &str) -> String {
    let new = NewMerchant {
        legal_name: name.into(),
        legal_name_kana: "カブシキガイシャテスト".into(),
        mcc: "5411".into(),
        contact_email: format!("contact@{}.example.jp", name.to_lowercase()),
        fee_rate_bp: None,
    };
    a.merchants.create_active(&new).await.unwrap().id
}

/// An active merchant with its first member of staff signed in: (merchant id, token, recovery codes).
pub async fn merchant_with(a: &App, name: &str, staff_email: &str, role: &str) -> (String, String, Vec<String>) {
    let id = merchant(a, name).await;
    let (token, codes) = staff(a, &id, staff_email, role).await;
    (id, token, codes)
}

/// A member of staff with a full session: (token, recovery codes).
pub async fn staff(a: &App, merchant_id: &str, email: &str, role: &str) -> (String, Vec<String>) {
    let new = NewStaff { email: email.into(), legal_name: "Staff Member".into(), role: role.into() };
    let password = a.merchants.add_staff_cli(merchant_id, &new).await.unwrap();
    let token = a.enrolment_session(email, &password).await;
    let (_, codes) = a.enrol_totp(&token).await;
    (token, codes)
}

/// A store opened through the API: its id.
pub async fn add_store(a: &App, merchant_id: &str, token: &str) -> String {
    let body = json!({ "name": "渋谷店", "postal_code": "150-0002", "address": "東京都渋谷区渋谷2-1-1" });
    let (status, store) = a.post(&format!("/v1/merchants/{merchant_id}/stores"), body, Some(token)).await;
    assert_eq!(status, StatusCode::CREATED, "{store}");
    store["id"].as_str().unwrap().to_owned()
}
