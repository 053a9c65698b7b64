//! The network client against a fake card network on loopback: the edge of the world, where a
//! fake is right. Each test serves its own answers and records what it was sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};
use uuid::Uuid;
use vault::{
    AuthenticationRequest, AuthorizationRequest, Brand, CardNumber, ChallengeIndicator, DeviceChannel, Expiry, KeyRing,
    MessageCategory, NetworkClient, NetworkError, Outcome, SealedCard, SecurityCode, ThreeRiIndicator, TransStatus,
    Vault,
};

const CAVV: &str = "s3xYIbbZVSakGpUEaAtOfIt2Ohs=";
const VISA: &str = "4111111111111111";

type Answer = (Duration, StatusCode, String);
type Seen = Arc<Mutex<Vec<Value>>>;

/// Serve `answer` for every POST to `path`, after its delay; returns the base URL and what the
/// server was sent.
async fn fake_network(path: &str, answer: impl Fn(&Value) -> Answer + Send + Sync + 'static) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let (record, answer) = (seen.clone(), Arc::new(answer));
    let handler = move |body: Bytes| {
        let (record, answer) = (record.clone(), answer.clone());
        async move {
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            record.lock().unwrap().push(request.clone());
            let (delay, status, text) = answer(&request);
            tokio::time::sleep(delay).await;
            (status, text)
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, Router::new().route(path, post(handler))).into_future());
    (base, seen)
}

fn ok(body: Value) -> Answer {
    (Duration::ZERO, StatusCode::OK, body.to_string())
}

fn sealed(vault: &Vault, typed: &str) -> SealedCard {
    vault.seal(CardNumber::parse(typed).unwrap(), Expiry::parse("12", "2030", jiff::civil::date(2026, 1, 1)).unwrap())
}

fn client(base: &str) -> NetworkClient {
    NetworkClient::new(base, Duration::from_millis(300)).unwrap()
}

fn browser_request(trans_id: Uuid) -> AuthenticationRequest {
    AuthenticationRequest {
        three_ds_server_trans_id: trans_id,
        three_ds_server_url: "http://127.0.0.1:1/3ds/rreq".into(),
        channel: DeviceChannel::Browser { notification_url: "http://127.0.0.1:1/3ds/notify".into() },
        category: MessageCategory::Payment,
        purchase_amount_minor: 10_000,
        purchase_date: "2026-05-01T03:04:05Z".parse().unwrap(),
        challenge_indicator: ChallengeIndicator::NoPreference,
        requestor_id: "anshin-requestor".into(),
        requestor_name: "Anshin".into(),
    }
}

/// An ARes answering the AReq it is given, with `fields` on top.
fn ares(areq: &Value, fields: Value) -> Value {
    let mut message = json!({
        "messageType": "ARes", "messageVersion": "2.2.0",
        "threeDSServerTransID": areq["threeDSServerTransID"], "dsTransID": Uuid::new_v4().to_string(),
        "acsTransID": Uuid::new_v4().to_string(),
    });
    message.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    message
}

#[tokio::test]
async fn verify_sends_number_expiry_and_code_and_a_decline_names_no_field() {
    let (base, seen) = fake_network("/network/verify", |req| {
        let right = req["cvc"] == "123" && req["expiry"] == "3012" && req["pan"] == VISA;
        let result = if right { "approved" } else { "declined" };
        ok(json!({"result": result, "network_ref": Uuid::new_v4().to_string()}))
    })
    .await;
    let vault = Vault::new(KeyRing::generate());
    let card = sealed(&vault, VISA);
    let network = client(&base);
    let approved = network.verify(&vault, &card, SecurityCode::parse("123", Brand::Visa).unwrap()).await.unwrap();
    assert_eq!(approved.outcome, Outcome::Approved);
    let declined = network.verify(&vault, &card, SecurityCode::parse("999", Brand::Visa).unwrap()).await.unwrap();
    assert_eq!(declined.outcome, Outcome::Declined);
    assert!(!format!("{declined:?}").contains("999"), "the result carries no code");
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0], json!({"pan": VISA, "expiry": "3012", "cvc": "123"}));
}

#[tokio::test]
async fn authenticate_sends_an_areq_and_accepts_a_frictionless_ares() {
    let (base, seen) = fake_network("/ds/areq", |areq| {
        ok(ares(areq, json!({"transStatus": "Y", "eci": "02", "authenticationValue": CAVV})))
    })
    .await;
    let vault = Vault::new(KeyRing::generate());
    let card = sealed(&vault, "5555555555554444");
    let trans_id = Uuid::new_v4();
    let response = client(&base).authenticate(&vault, &card, browser_request(trans_id)).await.unwrap();
    assert_eq!((response.trans_status, response.eci.as_deref()), (TransStatus::Authenticated, Some("02")));
    assert_eq!(response.three_ds_server_trans_id, trans_id);
    assert_eq!(response.proof().unwrap().authentication_value, CAVV);
    let areq = seen.lock().unwrap()[0].clone();
    let expected = json!({
        "messageType": "AReq", "messageVersion": "2.2.0", "threeDSServerTransID": trans_id.to_string(),
        "threeDSServerURL": "http://127.0.0.1:1/3ds/rreq", "deviceChannel": "02", "messageCategory": "01",
        "acctNumber": "5555555555554444", "cardExpiryDate": "3012", "purchaseAmount": "10000",
        "purchaseCurrency": "392", "purchaseExponent": "0", "purchaseDate": "20260501030405",
        "threeDSRequestorChallengeInd": "01", "notificationURL": "http://127.0.0.1:1/3ds/notify",
        "threeDSRequestorID": "anshin-requestor", "threeDSRequestorName": "Anshin",
    });
    assert_eq!(areq, expected);
}

#[tokio::test]
async fn a_3ri_top_up_names_its_reason_and_has_no_notification_url() {
    let (base, seen) =
        fake_network("/ds/areq", |areq| ok(ares(areq, json!({"transStatus": "N", "transStatusReason": "01"})))).await;
    let vault = Vault::new(KeyRing::generate());
    let card = sealed(&vault, VISA);
    let request = AuthenticationRequest {
        channel: DeviceChannel::ThreeRi { indicator: ThreeRiIndicator::TopUp },
        category: MessageCategory::NonPayment,
        challenge_indicator: ChallengeIndicator::NoChallengeRequested,
        ..browser_request(Uuid::new_v4())
    };
    let response = client(&base).authenticate(&vault, &card, request).await.unwrap();
    assert_eq!((response.trans_status, response.proof()), (TransStatus::NotAuthenticated, None));
    let areq = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (&areq["deviceChannel"], &areq["threeRIInd"], &areq["messageCategory"]),
        (&json!("03"), &json!("07"), &json!("02"))
    );
    assert!(areq.get("notificationURL").is_none());
}

#[tokio::test]
async fn every_trans_status_comes_back_through_http() {
    let (base, _) = fake_network("/ds/areq", |areq| {
        // The fake DS picks the outcome from the amount, as the simulator does from the PAN.
        let status = ["Y", "N", "U", "A", "C", "D", "R", "I"]
            [areq["purchaseAmount"].as_str().unwrap().parse::<usize>().unwrap()];
        let fields = match status {
            "Y" => json!({"transStatus": "Y", "eci": "05", "authenticationValue": CAVV}),
            "A" => json!({"transStatus": "A", "eci": "06", "authenticationValue": CAVV}),
            "C" => json!({"transStatus": "C", "acsURL": "http://127.0.0.1:1/acs", "acsChallengeMandated": "Y"}),
            other => json!({"transStatus": other}),
        };
        ok(ares(areq, fields))
    })
    .await;
    let vault = Vault::new(KeyRing::generate());
    let card = sealed(&vault, "3530111333300000");
    let network = client(&base);
    for (i, expected) in TransStatus::ALL.into_iter().enumerate() {
        let request = AuthenticationRequest { purchase_amount_minor: i as u64, ..browser_request(Uuid::new_v4()) };
        let response = network.authenticate(&vault, &card, request).await.unwrap();
        assert_eq!(response.trans_status, expected);
    }
}

#[tokio::test]
async fn a_directory_server_that_does_not_answer_in_time_is_a_ds_timeout() {
    let (base, _) = fake_network("/ds/areq", |areq| {
        let (_, status, body) = ok(ares(areq, json!({"transStatus": "N"})));
        (Duration::from_secs(3), status, body)
    })
    .await;
    let vault = Vault::new(KeyRing::generate());
    let card = sealed(&vault, VISA);
    let started = std::time::Instant::now();
    let e = client(&base).authenticate(&vault, &card, browser_request(Uuid::new_v4())).await.unwrap_err();
    assert!(matches!(e, NetworkError::DsTimeout), "{e}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_malformed_or_foreign_answer_is_a_protocol_error() {
    let answers: Vec<fn(&Value) -> Answer> = vec![
        |_| (Duration::ZERO, StatusCode::OK, "<html>gateway</html>".into()),
        |_| ok(json!({"messageType": "Erro", "errorCode": "203", "errorDescription": "acctNumber 4111111111111111"})),
        |areq| ok(ares(areq, json!({"threeDSServerTransID": Uuid::new_v4().to_string(), "transStatus": "N"}))),
        |areq| ok(ares(areq, json!({"transStatus": "Y", "eci": "07", "authenticationValue": CAVV}))),
        |areq| ok(ares(areq, json!({"transStatus": "Y"}))),
        |areq| ok(ares(areq, json!({"messageType": "RReq", "transStatus": "N"}))),
        |areq| (Duration::ZERO, StatusCode::INTERNAL_SERVER_ERROR, ares(areq, json!({"transStatus": "N"})).to_string()),
        |_| (Duration::ZERO, StatusCode::OK, "x".repeat(100_000)),
    ];
    let vault = Vault::new(KeyRing::generate());
    let card = sealed(&vault, VISA);
    for (i, answer) in answers.into_iter().enumerate() {
        let (base, _) = fake_network("/ds/areq", answer).await;
        let e = client(&base).authenticate(&vault, &card, browser_request(Uuid::new_v4())).await.unwrap_err();
        assert!(matches!(e, NetworkError::Protocol(_)), "answer {i}: {e}");
        assert!(!e.to_string().contains("4111"), "answer {i}: {e}");
    }
}

#[tokio::test]
async fn authorize_forwards_the_3ds_proof_and_needs_an_auth_code_to_approve() {
    let (base, seen) = fake_network("/network/authorize", |req| {
        let body = if req["amount_minor"] == 1 {
            json!({"result": "approved", "network_ref": Uuid::new_v4().to_string()})
        } else {
            json!({"result": "approved", "auth_code": "A1B2C3", "network_ref": Uuid::new_v4().to_string()})
        };
        ok(body)
    })
    .await;
    let vault = Vault::new(KeyRing::generate());
    let card = sealed(&vault, VISA);
    let network = client(&base);
    let ds_trans_id = Uuid::new_v4();
    let proof = vault::ThreeDsProof {
        eci: "05".into(),
        authentication_value: CAVV.into(),
        ds_trans_id,
        message_version: "2.2.0".into(),
    };
    let request =
        AuthorizationRequest { amount_minor: 5_000, idempotency_key: "top-up-1".into(), three_ds: Some(proof) };
    let approved = network.authorize(&vault, &card, request).await.unwrap();
    assert_eq!((approved.outcome, approved.auth_code.as_deref()), (Outcome::Approved, Some("A1B2C3")));
    let body = seen.lock().unwrap()[0].clone();
    let expected = json!({
        "pan": VISA, "expiry": "3012", "amount_minor": 5000, "currency": "JPY", "eci": "05",
        "authentication_value": CAVV, "ds_trans_id": ds_trans_id.to_string(), "three_ds_version": "2.2.0",
        "idempotency_key": "top-up-1",
    });
    assert_eq!(body, expected);
    let no_code = AuthorizationRequest { amount_minor: 1, idempotency_key: "top-up-2".into(), three_ds: None };
    assert!(matches!(network.authorize(&vault, &card, no_code).await, Err(NetworkError::Protocol(_))));
    let zero = AuthorizationRequest { amount_minor: 0, idempotency_key: "k".into(), three_ds: None };
    assert!(matches!(network.authorize(&vault, &card, zero).await, Err(NetworkError::Request(_))));
}

#[tokio::test]
async fn a_network_that_is_down_or_failing_is_reported_as_such() {
    let (base, _) =
        fake_network("/network/verify", |_| (Duration::ZERO, StatusCode::SERVICE_UNAVAILABLE, String::new())).await;
    let vault = Vault::new(KeyRing::generate());
    let card = sealed(&vault, VISA);
    let code = || SecurityCode::parse("123", Brand::Visa).unwrap();
    let e = client(&base).verify(&vault, &card, code()).await.unwrap_err();
    assert!(matches!(e, NetworkError::Status(503)), "{e}");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let e = client(&closed).verify(&vault, &card, code()).await.unwrap_err();
    assert!(matches!(e, NetworkError::Transport(_)), "{e}");
    assert!(NetworkClient::new("ftp://x", Duration::from_secs(1)).is_err());
}

#[tokio::test]
async fn a_record_that_does_not_open_sends_nothing() {
    let (base, seen) = fake_network("/network/verify", |_| {
        ok(json!({"result": "approved", "network_ref": Uuid::new_v4().to_string()}))
    })
    .await;
    let vault = Vault::new(KeyRing::generate());
    let card = sealed(&Vault::new(KeyRing::generate()), VISA);
    let e = client(&base).verify(&vault, &card, SecurityCode::parse("123", Brand::Visa).unwrap()).await.unwrap_err();
    assert!(matches!(e, NetworkError::Vault(_)), "{e}");
    assert!(seen.lock().unwrap().is_empty());
}
