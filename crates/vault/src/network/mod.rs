//! The card-network client: the only place a card number leaves the vault, and only in the body
//! of a request to the configured card network (the simulator today).
//!
//! Each call takes the sealed card and opens it itself, so no caller ever holds the digits. The
//! wire protocol is JSON over HTTP:
//!
//! - `POST /network/verify`: is this card real (number, expiry, security code)?
//! - `POST /ds/areq`: EMV 3-D Secure 2.2.0 authentication at the directory server ([`threeds`]).
//! - `POST /network/authorize`: charge the card, with the 3-D Secure proof.
//!
//! A decline is an answer, not an error, and never says which field was wrong (checklist 34).

pub mod threeds;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::card::SecurityCode;
use crate::{CONNECT_TIMEOUT, MAX_AUTH_CODE_CHARS, MAX_IDEMPOTENCY_KEY_CHARS, MAX_RESPONSE_BYTES, NETWORK_TIMEOUT};
use crate::{SealedCard, Vault, VaultError};

/// What went wrong talking to the network. None carries a card number, a security code or the
/// text of an answer; the service may log every one.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("the card record does not open: {0}")]
    Vault(#[from] VaultError),
    /// The directory server did not answer within `ds_timeout`: 3-D Secure could not be
    /// performed, which the service records as such (it is not a decline).
    #[error("the 3-D Secure directory server did not answer in time")]
    DsTimeout,
    #[error("the card network did not answer in time")]
    Timeout,
    #[error("the card network cannot be reached: {0}")]
    Transport(String),
    #[error("the card network answered HTTP {0}")]
    Status(u16),
    /// An answer that is not the message the protocol calls for: malformed, of another type, for
    /// another transaction, or inconsistent (an ECI that does not fit the brand).
    #[error("the card network's answer breaks the protocol: {0}")]
    Protocol(String),
    #[error("the request cannot be sent: {0}")]
    Request(&'static str),
}

/// The network's verdict on a verification or an authorisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Approved,
    Declined,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub outcome: Outcome,
    pub network_ref: Uuid,
}

/// An authorisation to send. Amounts are in yen (JPY has no minor unit, so minor = yen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub amount_minor: u64,
    /// Sent as is, so that a retried request is charged once.
    pub idempotency_key: String,
    /// The 3-D Secure result the charge rests on (`AuthenticationResponse::proof`).
    pub three_ds: Option<threeds::ThreeDsProof>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Authorization {
    pub outcome: Outcome,
    /// The issuer's approval code; present on approvals.
    pub auth_code: Option<String>,
    pub network_ref: Uuid,
}

pub struct NetworkClient {
    http: reqwest::Client,
    base: String,
    ds_timeout: Duration,
    /// The bearer key every request carries (the network also proves its RReq with it).
    api_key: Option<zeroize::Zeroizing<String>>,
}

impl std::fmt::Debug for NetworkClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkClient").field("base", &self.base).field("ds_timeout", &self.ds_timeout).finish()
    }
}

#[derive(Serialize)]
struct VerifyBody<'a> {
    pan: &'a str,
    expiry: &'a str,
    cvc: &'a str,
}

#[derive(Serialize)]
struct AuthorizeBody<'a> {
    pan: &'a str,
    expiry: &'a str,
    amount_minor: u64,
    currency: &'static str,
    eci: Option<&'a str>,
    authentication_value: Option<&'a str>,
    ds_trans_id: Option<Uuid>,
    three_ds_version: Option<&'a str>,
    idempotency_key: &'a str,
}

#[derive(Deserialize)]
struct NetworkAnswer {
    result: Outcome,
    network_ref: Uuid,
    #[serde(default)]
    auth_code: Option<String>,
}

impl NetworkClient {
    /// A client for the network at `base_url` (`http://host:port`, no trailing path needed).
    /// `ds_timeout` bounds a 3-D Secure authentication; other calls get `NETWORK_TIMEOUT`.
    pub fn new(base_url: &str, ds_timeout: Duration) -> Result<NetworkClient, NetworkError> {
        let base = base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(NetworkError::Request("the network's base URL must start with http:// or https://"));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            // A card number goes to the configured host and nowhere else: not through a proxy
            // from the environment, not to wherever a redirect points.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| NetworkError::Transport(e.to_string()))?;
        Ok(NetworkClient { http, base, ds_timeout, api_key: None })
    }

    /// Send `Authorization: Bearer <api_key>` with every request.
    pub fn with_api_key(mut self, api_key: &str) -> NetworkClient {
        self.api_key = Some(zeroize::Zeroizing::new(api_key.to_owned()));
        self
    }

    /// Ask the network whether the card is real. The security code is consumed here: it goes into
    /// this one request body and is then zeroized; it is never stored, logged or returned.
    pub async fn verify(
        &self,
        vault: &Vault,
        card: &SealedCard,
        code: SecurityCode,
    ) -> Result<Verification, NetworkError> {
        let body = {
            let number = vault.open(card)?;
            let body = VerifyBody { pan: number.digits(), expiry: &card.expiry().yymm(), cvc: code.digits() };
            serde_json::to_vec(&body).expect("strings serialise")
        };
        drop(code);
        let answer = self.exchange("/network/verify", body, NETWORK_TIMEOUT, NetworkError::Timeout).await?;
        let answer = network_answer(answer)?;
        Ok(Verification { outcome: answer.result, network_ref: answer.network_ref })
    }

    /// Charge the card.
    pub async fn authorize(
        &self,
        vault: &Vault,
        card: &SealedCard,
        request: AuthorizationRequest,
    ) -> Result<Authorization, NetworkError> {
        if request.amount_minor == 0 {
            return Err(NetworkError::Request("an authorisation needs an amount"));
        }
        let key = &request.idempotency_key;
        if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
            return Err(NetworkError::Request("the idempotency key must have 1 to 64 characters"));
        }
        let body = {
            let number = vault.open(card)?;
            let proof = request.three_ds.as_ref();
            let body = AuthorizeBody {
                pan: number.digits(),
                expiry: &card.expiry().yymm(),
                amount_minor: request.amount_minor,
                currency: "JPY",
                eci: proof.map(|p| p.eci.as_str()),
                authentication_value: proof.map(|p| p.authentication_value.as_str()),
                ds_trans_id: proof.map(|p| p.ds_trans_id),
                three_ds_version: proof.map(|p| p.message_version.as_str()),
                idempotency_key: key,
            };
            serde_json::to_vec(&body).expect("strings serialise")
        };
        let answer = self.exchange("/network/authorize", body, NETWORK_TIMEOUT, NetworkError::Timeout).await?;
        let answer = network_answer(answer)?;
        let code_ok = |c: &String| {
            !c.is_empty() && c.len() <= MAX_AUTH_CODE_CHARS && c.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        match (&answer.result, &answer.auth_code) {
            (Outcome::Approved, Some(code)) if code_ok(code) => {}
            (Outcome::Approved, _) => return Err(protocol("an approval without a well-formed auth_code")),
            (Outcome::Declined, _) => {}
        }
        let auth_code = answer.auth_code.filter(|_| answer.result == Outcome::Approved);
        Ok(Authorization { outcome: answer.result, auth_code, network_ref: answer.network_ref })
    }

    /// POST `body` (JSON) and read the answer, all within `limit`; returns the status and at most
    /// `MAX_RESPONSE_BYTES` of body.
    async fn exchange(
        &self,
        path: &str,
        body: Vec<u8>,
        limit: Duration,
        on_timeout: NetworkError,
    ) -> Result<(u16, Vec<u8>), NetworkError> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key.as_str());
        }
        let exchange = async {
            let mut response = request.send().await.map_err(transport)?;
            let status = response.status().as_u16();
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(transport)? {
                if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(protocol("the answer is larger than any message of the protocol"));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok((status, bytes))
        };
        tokio::time::timeout(limit, exchange).await.unwrap_or(Err(on_timeout))
    }
}

fn network_answer((status, body): (u16, Vec<u8>)) -> Result<NetworkAnswer, NetworkError> {
    if status != 200 {
        return Err(NetworkError::Status(status));
    }
    serde_json::from_slice(&body).map_err(|_| protocol("the answer is not the expected JSON"))
}

fn protocol(what: &str) -> NetworkError {
    NetworkError::Protocol(what.to_owned())
}

/// Only what failed: reqwest's own message is not kept, so no URL or body text reaches a log.
fn transport(e: reqwest::Error) -> NetworkError {
    let kind = if e.is_connect() { "connection failed" } else { "request failed" };
    NetworkError::Transport(kind.to_owned())
}
