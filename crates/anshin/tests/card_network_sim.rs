//! The card-network simulator on its own, over loopback HTTP: every ARes a test card's digits
//! choose, a challenge run by posting its forms as a browser would (with the RReq arriving at
//! the 3DS server with the key), the DS timeout, and authorisations that need the network's own
//! authentication. The service's use of it is tested in cards.rs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anshin::sim::card_network::{
    CardNetworkConfig, TEST_CHALLENGE_CODE, TEST_EXPIRY_YYMM, TestBrand, serve_card_network_until, test_card_number,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const KEY: &str = "test-network-key-0123456789";

struct Sim {
    url: String,
    rreqs: Arc<Mutex<Vec<(String, Value)>>>,
    server_url: String,
    http: reqwest::Client,
}

async fn sim(ds_timeout_delay_ms: u64) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = CardNetworkConfig { ds_timeout_delay_ms, decoupled_delay_ms: 100, ..CardNetworkConfig::new(KEY) };
    tokio::spawn(serve_card_network_until(listener, config, std::future::pending()));
    // A stand-in 3DS server that records each RReq with the Authorization header it came with.
    let rreqs = Arc::new(Mutex::new(Vec::new()));
    let seen = rreqs.clone();
    let app = axum::Router::new().route(
        "/3ds/rreq",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                seen.lock().unwrap().push((auth, body.0.clone()));
                axum::Json(json!({ "messageType": "RRes", "resultsStatus": "01" }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server_url = format!("http://{}/3ds/rreq", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Sim { url, rreqs, server_url, http: reqwest::Client::new() }
}

impl Sim {
    async fn areq(&self, pan: &str, amount: &str, channel: &str) -> Value {
        let mut body = json!({
            "messageType": "AReq", "messageVersion": "2.2.0",
            "threeDSServerTransID": uuid::Uuid::new_v4().to_string(),
            "threeDSServerURL": self.server_url, "deviceChannel": channel, "messageCategory": "01",
            "acctNumber": pan, "cardExpiryDate": TEST_EXPIRY_YYMM, "purchaseAmount": amount,
            "purchaseCurrency": "392", "purchaseExponent": "0", "purchaseDate": "20261130120000",
            "threeDSRequestorChallengeInd": "01", "notificationURL": "http://127.0.0.1:9/notify",
            "threeDSRequestorID": "anshin", "threeDSRequestorName": "Anshin",
        });
        if channel == "03" {
            body["threeRIInd"] = json!("07");
        }
        self.post("/ds/areq", &body).await
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        let resp = self.http.post(format!("{}{path}", self.url)).bearer_auth(KEY).json(body).send().await.unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    async fn authorize(&self, pan: &str, amount: i64, ares: &Value, key: &str) -> String {
        let body = json!({
            "pan": pan, "expiry": TEST_EXPIRY_YYMM, "amount_minor": amount, "currency": "JPY",
            "eci": ares["eci"], "authentication_value": ares["authenticationValue"],
            "ds_trans_id": ares["dsTransID"], "three_ds_version": "2.2.0", "idempotency_key": key,
        });
        self.post("/network/authorize", &body).await["result"].as_str().unwrap().to_owned()
    }
}

fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no {name} in {html}"));
    let value = &html[at..];
    let start = value.find("value=\"").unwrap() + 7;
    value[start..start + value[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn each_test_card_gets_the_ares_its_digits_choose() {
    let s = sim(10_000).await;
    let expect = [(0, "Y"), (1, "N"), (2, "U"), (3, "A"), (4, "C"), (5, "D"), (6, "R"), (7, "I")];
    for brand in [TestBrand::Visa, TestBrand::Mastercard, TestBrand::Jcb, TestBrand::Amex] {
        for (digit, status) in expect {
            let ares = s.areq(&test_card_number(brand, 0, digit, 0), "3000", "02").await;
            assert_eq!(ares["messageType"], "ARes");
            assert_eq!(ares["transStatus"], status, "{brand:?} {digit}");
            let has_value = ares["authenticationValue"].as_str().is_some_and(|v| v.len() == 28);
            assert_eq!(has_value, matches!(status, "Y" | "A"), "an authentication value only for Y and A");
            if status == "C" {
                assert!(ares["acsURL"].as_str().unwrap().ends_with("/acs/challenge"));
            }
        }
    }
    let mc = s.areq(&test_card_number(TestBrand::Mastercard, 0, 0, 0), "3000", "02").await;
    assert_eq!(mc["eci"], "02");
    let visa_a = s.areq(&test_card_number(TestBrand::Visa, 0, 3, 0), "3000", "02").await;
    assert_eq!(visa_a["eci"], "06");
    // An unknown card is not authenticated; a malformed one is an error message.
    assert_eq!(s.areq("4111111111111111", "3000", "02").await["transStatus"], "N");
    assert_eq!(s.areq(&test_card_number(TestBrand::Visa, 0, 9, 0), "3000", "02").await["messageType"], "Erro");
    // 3RI has nobody to challenge.
    assert_eq!(s.areq(&test_card_number(TestBrand::Visa, 0, 4, 0), "3000", "03").await["transStatus"], "N");
    // Without the key, nothing.
    let resp = s.http.post(format!("{}/ds/areq", s.url)).json(&json!({})).send().await.unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn a_challenge_runs_through_the_browser_forms_and_the_rreq_carries_the_key() {
    let s = sim(10_000).await;
    let pan = test_card_number(TestBrand::Jcb, 0, 4, 0);
    let ares = s.areq(&pan, "5000", "02").await;
    assert_eq!(ares["transStatus"], "C");
    // Not authenticated yet: an authorisation now is declined.
    assert_eq!(s.authorize(&pan, 5000, &ares, "k1").await, "declined");
    let creq = URL_SAFE_NO_PAD.encode(
        json!({ "threeDSServerTransID": ares["threeDSServerTransID"], "acsTransID": ares["acsTransID"],
                "messageType": "CReq", "messageVersion": "2.2.0", "challengeWindowSize": "05" })
        .to_string(),
    );
    let browser = reqwest::Client::new();
    let acs = ares["acsURL"].as_str().unwrap();
    let page = browser.post(acs).form(&[("creq", creq.as_str()), ("threeDSSessionData", "sess-1")]).send().await;
    let page = page.unwrap().text().await.unwrap();
    assert!(page.contains("One-time code") || page.contains("one-time code"), "{page}");
    let answer = format!("{}/acs/challenge/{}/answer", s.url, ares["acsTransID"].as_str().unwrap());
    let wrong = browser
        .post(&answer)
        .form(&[("code", "000000"), ("action", "submit"), ("threeDSSessionData", "sess-1")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(wrong.contains("not right"));
    let done = browser
        .post(&answer)
        .form(&[("code", TEST_CHALLENGE_CODE), ("action", "submit"), ("threeDSSessionData", "sess-1")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hidden(&done, "threeDSSessionData"), "sess-1");
    let cres: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(hidden(&done, "cres")).unwrap()).unwrap();
    assert_eq!((cres["transStatus"].as_str(), cres["challengeCompletionInd"].as_str()), (Some("Y"), Some("Y")));
    let rreqs = s.rreqs.lock().unwrap().clone();
    assert_eq!(rreqs.len(), 1);
    let (auth, rreq) = &rreqs[0];
    assert_eq!(auth, &format!("Bearer {KEY}"), "the RReq proves it comes from the network");
    assert_eq!((rreq["transStatus"].as_str(), rreq["eci"].as_str()), (Some("Y"), Some("05")));
    // Authorised with the challenge's result, not more than was authenticated, and idempotently.
    let authenticated = json!({ "eci": rreq["eci"], "authenticationValue": rreq["authenticationValue"],
                                "dsTransID": rreq["dsTransID"] });
    assert_eq!(s.authorize(&pan, 5001, &authenticated, "k2").await, "declined", "over the authenticated amount");
    assert_eq!(s.authorize(&pan, 5000, &authenticated, "k3").await, "approved");
    assert_eq!(s.authorize(&pan, 5000, &authenticated, "k3").await, "approved");
    let forged =
        json!({ "eci": "05", "authenticationValue": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "dsTransID": rreq["dsTransID"] });
    assert_eq!(s.authorize(&pan, 5000, &forged, "k4").await, "declined", "a made-up authentication value");
    // A finished challenge cannot be answered again.
    let again = browser.post(&answer).form(&[("code", TEST_CHALLENGE_CODE), ("action", "submit")]).send().await;
    assert_eq!(again.unwrap().status(), 400);
}

#[tokio::test]
async fn a_timeout_card_outlasts_the_callers_patience_and_decoupled_approvals_arrive_later() {
    let s = sim(2_000).await;
    let pan = test_card_number(TestBrand::Visa, 0, 8, 0);
    let slow = s
        .http
        .post(format!("{}/ds/areq", s.url))
        .bearer_auth(KEY)
        .timeout(Duration::from_millis(500))
        .json(&json!({ "messageType": "AReq", "messageVersion": "2.2.0",
            "threeDSServerTransID": uuid::Uuid::new_v4().to_string(), "threeDSServerURL": s.server_url,
            "deviceChannel": "02", "messageCategory": "01", "acctNumber": pan, "cardExpiryDate": TEST_EXPIRY_YYMM,
            "purchaseAmount": "100", "purchaseCurrency": "392", "notificationURL": "http://127.0.0.1:9/n" }))
        .send()
        .await;
    assert!(slow.unwrap_err().is_timeout());
    let decoupled = s.areq(&test_card_number(TestBrand::Visa, 0, 5, 0), "100", "02").await;
    assert_eq!(decoupled["transStatus"], "D");
    for _ in 0..50 {
        if !s.rreqs.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(s.rreqs.lock().unwrap()[0].1["transStatus"], "Y");
}

#[tokio::test]
async fn verification_declines_look_the_same_whichever_field_is_wrong() {
    let s = sim(10_000).await;
    let pan = test_card_number(TestBrand::Visa, 0, 0, 0);
    let verify = |pan: String, expiry: &'static str, cvc: &'static str| {
        let s = &s;
        async move {
            let v = s.post("/network/verify", &json!({ "pan": pan, "expiry": expiry, "cvc": cvc })).await;
            (v["result"].as_str().unwrap().to_owned(), v.as_object().unwrap().keys().cloned().collect::<Vec<_>>())
        }
    };
    let good = verify(pan.clone(), "3012", "123").await;
    assert_eq!(good.0, "approved");
    let declines = [
        verify("4111111111111111".to_owned(), "3012", "123").await,
        verify(pan.clone(), "2912", "123").await,
        verify(pan.clone(), "3012", "124").await,
    ];
    for decline in &declines {
        assert_eq!(decline, &declines[0], "the same answer whatever was wrong");
        assert_eq!(decline.0, "declined");
    }
}
