//! The network's issuer side (vcard, issue 8 item 8): an online shop's purchase with a card
//! number. A number under the issuer BIN the network knows as "Anshin issuer" is sent to Anshin's
//! issuer endpoint with the network's key (`POST {issuer_url}/issuer/authorizations`); any other
//! number is declined here with `15` (no such issuer). The shop's clearing and reversal follow
//! the same way. Nothing is kept: the issuer decides and remembers.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Network;
use crate::sim::error::SimError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PurchaseBody {
    pan: String,
    /// YYMM.
    expiry: String,
    #[serde(default)]
    cvc: Option<String>,
    amount_minor: u64,
    #[serde(default = "jpy")]
    currency: String,
    merchant_name: String,
    mcc: String,
    /// The network's reference; a new one when absent (give one to resend a purchase).
    #[serde(default)]
    network_ref: Option<uuid::Uuid>,
}

fn jpy() -> String {
    "JPY".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClearingBody {
    network_ref: uuid::Uuid,
    amount_minor: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReversalBody {
    network_ref: uuid::Uuid,
}

/// Send `body` to the issuer's `path` with the network's key; its status and JSON as they came.
async fn to_issuer(network: &Network, path: &str, body: &Value) -> Result<(u16, Value), SimError> {
    let Some(base) = network.config.issuer_url.as_deref() else {
        return Err(SimError::new(StatusCode::SERVICE_UNAVAILABLE, "no_issuer", "no issuer URL is configured"));
    };
    let response = network
        .http
        .post(format!("{}{path}", base.trim_end_matches('/')))
        .bearer_auth(&network.config.api_key)
        .json(body)
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .map_err(|_| SimError::new(StatusCode::BAD_GATEWAY, "issuer_unreachable", "the issuer did not answer"))?;
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, body))
}

pub(super) async fn purchase(
    State(network): State<Arc<Network>>,
    body: Result<axum::Json<PurchaseBody>, JsonRejection>,
) -> Result<Response, SimError> {
    let p = body?.0;
    let network_ref = p.network_ref.unwrap_or_else(uuid::Uuid::new_v4);
    if !p.pan.starts_with(&network.config.issuer_bin) {
        let answer = json!({ "network_ref": network_ref, "approved": false, "response_code": "15" });
        return Ok(axum::Json(json!({ "issuer_status": 0, "issuer": answer })).into_response());
    }
    let mut message = json!({
        "pan": p.pan, "expiry": p.expiry, "amount_minor": p.amount_minor, "currency": p.currency,
        "merchant_name": p.merchant_name, "mcc": p.mcc, "network_ref": network_ref,
    });
    if let Some(cvc) = p.cvc {
        message["cvc"] = json!(cvc);
    }
    let (status, answer) = to_issuer(&network, "/issuer/authorizations", &message).await?;
    Ok(axum::Json(json!({ "network_ref": network_ref, "issuer_status": status, "issuer": answer })).into_response())
}

pub(super) async fn clearing(
    State(network): State<Arc<Network>>,
    body: Result<axum::Json<ClearingBody>, JsonRejection>,
) -> Result<Response, SimError> {
    let c = body?.0;
    let message = json!({ "network_ref": c.network_ref, "amount_minor": c.amount_minor });
    let (status, answer) = to_issuer(&network, "/issuer/clearings", &message).await?;
    Ok(axum::Json(json!({ "issuer_status": status, "issuer": answer })).into_response())
}

pub(super) async fn reversal(
    State(network): State<Arc<Network>>,
    body: Result<axum::Json<ReversalBody>, JsonRejection>,
) -> Result<Response, SimError> {
    let r = body?.0;
    let (status, answer) = to_issuer(&network, "/issuer/reversals", &json!({ "network_ref": r.network_ref })).await?;
    Ok(axum::Json(json!({ "issuer_status": status, "issuer": answer })).into_response())
}
