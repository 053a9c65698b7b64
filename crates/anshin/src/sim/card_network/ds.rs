//! The directory server (AReq → ARes) and the network's acquiring side (card verification and
//! authorisation). A number arrives here only from the vault's network client.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Network;
use super::book::{Authentication, DsBehaviour, TEST_EXPIRY_YYMM, TestCard, TransStatus};
use crate::sim::error::SimError;
use crate::storage::now_ms;

/// The AReq fields the simulated directory server reads (EMV 3DS 2.2 names).
#[derive(Deserialize)]
pub(super) struct AReq {
    #[serde(rename = "messageType")]
    message_type: String,
    #[serde(rename = "messageVersion")]
    message_version: String,
    #[serde(rename = "threeDSServerTransID")]
    server_trans_id: String,
    #[serde(rename = "threeDSServerURL")]
    server_url: String,
    #[serde(rename = "deviceChannel")]
    device_channel: String,
    #[serde(rename = "messageCategory")]
    message_category: String,
    #[serde(rename = "acctNumber")]
    acct_number: String,
    #[serde(rename = "cardExpiryDate")]
    card_expiry_date: String,
    #[serde(rename = "purchaseAmount", default)]
    purchase_amount: Option<String>,
    #[serde(rename = "purchaseCurrency", default)]
    purchase_currency: Option<String>,
    #[serde(rename = "threeRIInd", default)]
    three_ri_ind: Option<String>,
    #[serde(rename = "notificationURL", default)]
    notification_url: Option<String>,
}

/// An EMV `Erro` message: the DS answers 200 with it, as the protocol does.
fn erro(server_trans_id: &str, code: &str, component: &str, description: &str) -> Response {
    axum::Json(json!({
        "messageType": "Erro",
        "messageVersion": "2.2.0",
        "threeDSServerTransID": server_trans_id,
        "errorCode": code,
        "errorComponent": component,
        "errorDescription": description,
    }))
    .into_response()
}

fn is_http_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

pub(super) async fn areq(
    State(network): State<Arc<Network>>,
    body: Result<axum::Json<AReq>, JsonRejection>,
) -> Result<Response, SimError> {
    let Ok(axum::Json(req)) = body else {
        return Ok(erro("", "203", "D", "the AReq is not valid JSON with the required elements"));
    };
    let id = req.server_trans_id.as_str();
    if req.message_type != "AReq" {
        return Ok(erro(id, "101", "D", "messageType must be AReq"));
    }
    if !matches!(req.message_version.as_str(), "2.1.0" | "2.2.0") {
        return Ok(erro(id, "102", "D", "messageVersion must be 2.1.0 or 2.2.0"));
    }
    let browser = match req.device_channel.as_str() {
        "02" => true,
        "03" => false,
        _ => return Ok(erro(id, "203", "D", "deviceChannel must be 02 (browser) or 03 (3RI)")),
    };
    let payment = match req.message_category.as_str() {
        "01" => true,
        "02" => false,
        _ => return Ok(erro(id, "203", "D", "messageCategory must be 01 or 02")),
    };
    let amount_minor = match req.purchase_amount.as_deref().map(str::parse::<i64>) {
        Some(Ok(amount)) if amount >= 0 => amount,
        None if !payment => 0,
        _ => return Ok(erro(id, "203", "D", "purchaseAmount must be a whole number of minor units")),
    };
    if payment && req.purchase_currency.as_deref() != Some("392") {
        return Ok(erro(id, "203", "D", "purchaseCurrency must be 392 (JPY)"));
    }
    if id.len() != 36 || !is_http_url(&req.server_url) {
        return Ok(erro(id, "203", "D", "threeDSServerTransID must be a UUID and threeDSServerURL a URL"));
    }
    if browser && !req.notification_url.as_deref().is_some_and(is_http_url) {
        return Ok(erro(id, "201", "D", "a browser authentication needs notificationURL"));
    }
    if !browser && req.three_ri_ind.is_none() {
        return Ok(erro(id, "201", "D", "a 3RI authentication needs threeRIInd"));
    }
    if req.card_expiry_date.len() != 4 || !req.card_expiry_date.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(erro(id, "203", "D", "cardExpiryDate must be YYMM"));
    }
    // A card this network does not know, or a wrong expiry: the issuer cannot authenticate it.
    let card = TestCard::from_number(&req.acct_number).filter(|_| req.card_expiry_date == TEST_EXPIRY_YYMM);
    let behaviour = card.map(|c| if payment { c.payment } else { c.registration });
    let status = match behaviour {
        None => TransStatus::N,
        Some(DsBehaviour::Timeout) => {
            tokio::time::sleep(std::time::Duration::from_millis(network.config.ds_timeout_delay_ms)).await;
            return Ok(erro(id, "402", "D", "the access control server did not answer in time"));
        }
        Some(DsBehaviour::Error) => return Ok(erro(id, "405", "D", "system connection failure (test card)")),
        // 3RI has no cardholder present: a challenge is impossible, so the issuer refuses.
        Some(DsBehaviour::Answer(TransStatus::C)) if !browser => TransStatus::N,
        Some(DsBehaviour::Answer(status)) => status,
    };
    let card = card.unwrap_or(TestCard {
        brand: super::book::Brand::Visa,
        declines_authorisations: true,
        registration: DsBehaviour::Answer(TransStatus::N),
        payment: DsBehaviour::Answer(TransStatus::N),
        challenge: super::book::ChallengeBehaviour::AutoFail,
    });
    let mut auth = Authentication {
        server_trans_id: req.server_trans_id.clone(),
        ds_trans_id: uuid::Uuid::new_v4().to_string(),
        acs_trans_id: uuid::Uuid::new_v4().to_string(),
        message_version: req.message_version.clone(),
        card,
        pan_digest: Sha256::digest(req.acct_number.as_bytes()).into(),
        amount_minor,
        ares_status: status,
        status,
        reason: None,
        eci: None,
        authentication_value: None,
        server_url: req.server_url.clone(),
        notification_url: req.notification_url.clone(),
        ares_at_ms: now_ms(),
        challenge_tries: 0,
        challenge_started: false,
        completed: false,
    };
    match status {
        TransStatus::C | TransStatus::D => {}
        TransStatus::N | TransStatus::R => auth.finish(status, Some("01")),
        TransStatus::U => auth.finish(status, Some("08")),
        other => auth.finish(other, None),
    }
    let mut ares = json!({
        "messageType": "ARes",
        "messageVersion": auth.message_version,
        "threeDSServerTransID": auth.server_trans_id,
        "dsTransID": auth.ds_trans_id,
        "acsTransID": auth.acs_trans_id,
        "transStatus": status.as_str(),
    });
    if let Some(reason) = auth.reason {
        ares["transStatusReason"] = json!(reason);
    }
    if let (Some(eci), Some(value)) = (auth.eci, &auth.authentication_value) {
        ares["eci"] = json!(eci);
        ares["authenticationValue"] = json!(value);
    }
    if status == TransStatus::C {
        ares["acsURL"] = json!(format!("{}/acs/challenge", network.public_url));
        ares["acsChallengeMandated"] = json!("Y");
    }
    let decoupled = (status == TransStatus::D).then(|| auth.acs_trans_id.clone());
    network.book()?.insert(auth);
    if let Some(acs_trans_id) = decoupled {
        // The cardholder approves in their bank's app; the result follows as an RReq.
        let network = network.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(network.config.decoupled_delay_ms)).await;
            super::acs::finish_and_report(&network, &acs_trans_id, None).await;
        });
    }
    Ok(axum::Json(ares).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VerifyBody {
    pan: String,
    expiry: String,
    cvc: String,
}

/// Account verification with the security code: approved only when number, expiry and code all
/// match, and the answer never says which did not.
pub(super) async fn verify(body: Result<axum::Json<VerifyBody>, JsonRejection>) -> Result<Response, SimError> {
    let body = body?.0;
    let approved = TestCard::from_number(&body.pan).is_some_and(|card| {
        let expiry_ok = body.expiry.as_bytes().ct_eq(TEST_EXPIRY_YYMM.as_bytes());
        let cvc_ok = body.cvc.as_bytes().ct_eq(card.brand.cvc().as_bytes());
        bool::from(expiry_ok & cvc_ok)
    });
    let result = if approved { "approved" } else { "declined" };
    Ok(axum::Json(json!({ "result": result, "network_ref": uuid::Uuid::new_v4().to_string() })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthorizeBody {
    pan: String,
    expiry: String,
    amount_minor: i64,
    currency: String,
    eci: Option<String>,
    authentication_value: Option<String>,
    ds_trans_id: Option<String>,
    three_ds_version: Option<String>,
    idempotency_key: String,
}

/// An authorisation: the issuer approves a test card only with the authentication it issued for
/// this card, for at least this amount, with the same ECI and authentication value.
pub(super) async fn authorize(
    State(network): State<Arc<Network>>,
    body: Result<axum::Json<AuthorizeBody>, JsonRejection>,
) -> Result<Response, SimError> {
    let body = body?.0;
    if body.idempotency_key.is_empty() || body.idempotency_key.len() > 64 {
        return Err(SimError::invalid("idempotency_key must be 1 to 64 characters"));
    }
    if body.amount_minor < 1 || body.currency != "JPY" {
        return Err(SimError::invalid("amount_minor must be positive and currency JPY"));
    }
    let digest: [u8; 32] = Sha256::digest(
        format!("{}|{}|{}|{:?}|{:?}", body.pan, body.expiry, body.amount_minor, body.ds_trans_id, body.eci).as_bytes(),
    )
    .into();
    let mut book = network.book()?;
    if let Some((seen, answer)) = book.authorization(&body.idempotency_key) {
        if *seen != digest {
            return Err(SimError::new(
                axum::http::StatusCode::CONFLICT,
                "idempotency_key_reused",
                "this idempotency key was used for another authorisation",
            ));
        }
        return Ok(axum::Json(answer.clone()).into_response());
    }
    let card = TestCard::from_number(&body.pan).filter(|_| body.expiry == TEST_EXPIRY_YYMM);
    let authenticated = body.ds_trans_id.as_deref().and_then(|id| book.by_ds(id)).is_some_and(|auth| {
        let value_ok = match (&auth.authentication_value, &body.authentication_value) {
            (Some(ours), Some(theirs)) => bool::from(ours.as_bytes().ct_eq(theirs.as_bytes())),
            _ => false,
        };
        let card_ok = bool::from(auth.pan_digest.ct_eq(&<[u8; 32]>::from(Sha256::digest(body.pan.as_bytes()))));
        auth.completed
            && matches!(auth.status, TransStatus::Y | TransStatus::A)
            && value_ok
            && card_ok
            && auth.eci == body.eci.as_deref()
            && body.amount_minor <= auth.amount_minor
            && body.three_ds_version.as_deref().is_none_or(|v| v == auth.message_version)
    });
    let approved = card.is_some_and(|c| !c.declines_authorisations) && authenticated;
    let answer = if approved {
        json!({ "result": "approved", "auth_code": format!("{:06}", rand::random::<u32>() % 1_000_000),
                "network_ref": uuid::Uuid::new_v4().to_string() })
    } else {
        json!({ "result": "declined", "network_ref": uuid::Uuid::new_v4().to_string() })
    };
    book.remember_authorization(body.idempotency_key, digest, answer.clone());
    Ok(axum::Json(answer).into_response())
}

/// Lets a test see what the network holds for an authentication (no card data).
pub(super) async fn authentication(
    State(network): State<Arc<Network>>,
    axum::extract::Path(ds_trans_id): axum::extract::Path<String>,
) -> Result<Response, SimError> {
    let book = network.book()?;
    let auth = book
        .by_ds(&ds_trans_id)
        .ok_or_else(|| SimError::not_found("no_such_authentication", "no authentication has this dsTransID"))?;
    let view: Value = json!({
        "dsTransID": auth.ds_trans_id,
        "acsTransID": auth.acs_trans_id,
        "transStatus": auth.status.as_str(),
        "aresTransStatus": auth.ares_status.as_str(),
        "completed": auth.completed,
        "amount_minor": auth.amount_minor,
    });
    Ok(axum::Json(view).into_response())
}
