//! EMV 3-D Secure 2 from the 3DS server's side: the AReq (through the vault, which alone opens the
//! card), the ARes kept as chargeback evidence, the challenge page that hands the browser to the
//! issuer's ACS, the RReq that carries a challenge's final result, and the browser's CRes.
//!
//! Only the RReq decides anything after a challenge, and it must carry the network's key: the
//! CRes arrives through the cardholder's browser from another site and is only ever shown.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::store::{self, Authentication, Card};
use super::{Cards, CardsError, RREQ_WAIT_MS};
use crate::storage::now_ms;

/// What a 3-D Secure authentication is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    Registration,
    TopUp,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Registration => "registration",
            Purpose::TopUp => "top_up",
        }
    }
}

/// Where an authentication stands once the DS answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Started {
    /// The issuer wants a challenge: the browser opens this URL.
    Challenge(String),
    /// Decoupled: the result follows as an RReq.
    Waiting,
    /// A final `transStatus`, or `timeout` / `error` when the DS gave none.
    Final(String),
}

/// The browser's next step in a challenge: a form that posts `creq` to the issuer's ACS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub acs_url: String,
    pub creq: String,
}

/// What the network's RReq gets back, with its HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub struct RReqAnswer {
    pub status: u16,
    pub body: Value,
}

#[derive(Deserialize)]
struct RReq {
    #[serde(rename = "messageType")]
    message_type: String,
    #[serde(rename = "messageVersion", default)]
    message_version: String,
    #[serde(rename = "threeDSServerTransID")]
    server_trans_id: String,
    #[serde(rename = "dsTransID")]
    ds_trans_id: String,
    #[serde(rename = "acsTransID")]
    acs_trans_id: String,
    #[serde(rename = "transStatus")]
    trans_status: String,
    #[serde(rename = "transStatusReason", default)]
    trans_status_reason: Option<String>,
    #[serde(default)]
    eci: Option<String>,
    #[serde(rename = "authenticationValue", default)]
    authentication_value: Option<String>,
}

/// A new authentication's row (inserted by the caller, with what it authenticates).
pub(super) fn new_authentication(card: &Card, purpose: Purpose, top_up_id: &str, amount_minor: i64) -> Authentication {
    Authentication {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: card.user_id.clone(),
        card_id: card.id.clone(),
        purpose: purpose.as_str().into(),
        top_up_id: top_up_id.into(),
        amount_minor,
        message_version: "2.2.0".into(),
        ds_trans_id: String::new(),
        acs_trans_id: String::new(),
        ares_status: String::new(),
        trans_status: String::new(),
        trans_status_reason: String::new(),
        eci: String::new(),
        sealed_authentication_value: String::new(),
        acs_url: String::new(),
        state: "sent".into(),
        created_at_ms: now_ms(),
        final_at_ms: 0,
    }
}

fn brand_of(card: &Card) -> Option<vault::Brand> {
    serde_json::from_value(Value::String(card.brand.clone())).ok()
}

impl Cards {
    /// Registration's authentication: its own row, then the AReq.
    pub(super) async fn authenticate(
        &self,
        card: &Card,
        sealed: &vault::SealedCard,
        purpose: Purpose,
        top_up_id: Option<&str>,
        amount_minor: i64,
        mandate_challenge: bool,
    ) -> Result<Started, CardsError> {
        let auth = new_authentication(card, purpose, top_up_id.unwrap_or(""), amount_minor);
        let mut tx = self.db.begin_write().await?;
        store::insert_authentication(&mut tx, &auth).await?;
        tx.commit().await?;
        self.run_authentication(auth, sealed, purpose, mandate_challenge).await
    }

    /// Send the AReq for a stored authentication and record the ARes (or that none came).
    pub(super) async fn run_authentication(
        &self,
        mut auth: Authentication,
        sealed: &vault::SealedCard,
        purpose: Purpose,
        mandate_challenge: bool,
    ) -> Result<Started, CardsError> {
        let network = self.network()?;
        let public = self.config.public_url.trim_end_matches('/');
        let request = vault::AuthenticationRequest {
            three_ds_server_trans_id: uuid::Uuid::parse_str(&auth.id).map_err(|e| CardsError::Vault(e.to_string()))?,
            three_ds_server_url: format!("{public}/3ds/rreq"),
            channel: vault::DeviceChannel::Browser { notification_url: format!("{public}/3ds/notify") },
            category: match purpose {
                Purpose::Registration => vault::MessageCategory::NonPayment,
                Purpose::TopUp => vault::MessageCategory::Payment,
            },
            purchase_amount_minor: u64::try_from(auth.amount_minor).unwrap_or(0),
            purchase_date: jiff::Timestamp::now(),
            challenge_indicator: if mandate_challenge {
                vault::ChallengeIndicator::ChallengeMandated
            } else {
                vault::ChallengeIndicator::NoPreference
            },
            requestor_id: "anshin".into(),
            requestor_name: "Anshin".into(),
        };
        let now = now_ms();
        let started = match network.client.authenticate(&self.vault, sealed, request).await {
            Ok(ares) => {
                let status = ares.trans_status.code();
                auth.message_version = ares.message_version.clone();
                auth.ds_trans_id = ares.ds_trans_id.to_string();
                auth.acs_trans_id = ares.acs_trans_id.map(|id| id.to_string()).unwrap_or_default();
                auth.ares_status = status.into();
                auth.trans_status_reason = ares.trans_status_reason.clone().unwrap_or_default();
                auth.eci = ares.eci.clone().unwrap_or_default();
                auth.sealed_authentication_value = ares
                    .authentication_value
                    .as_deref()
                    .map(|v| self.keys.seal(v.as_bytes(), &auth.id))
                    .unwrap_or_default();
                match status {
                    "C" => {
                        auth.acs_url = ares.acs_url.clone().unwrap_or_default();
                        auth.state = "ares".into();
                        Started::Challenge(format!("{public}/3ds/challenge/{}", auth.id))
                    }
                    "D" => {
                        auth.state = "ares".into();
                        Started::Waiting
                    }
                    final_status => {
                        auth.trans_status = final_status.into();
                        auth.state = "final".into();
                        auth.final_at_ms = now;
                        Started::Final(final_status.into())
                    }
                }
            }
            Err(e) => {
                // No ARes: 3-D Secure was not performed, which is never a pass.
                let outcome = if matches!(e, vault::NetworkError::DsTimeout) { "timeout" } else { "error" };
                tracing::warn!(error = %e, authentication = %auth.id, "3-D Secure gave no ARes");
                auth.trans_status = outcome.into();
                auth.state = "final".into();
                auth.final_at_ms = now;
                Started::Final(outcome.into())
            }
        };
        let mut tx = self.db.begin_write().await?;
        store::record_ares(&mut tx, &auth).await?;
        let event = crate::audit::AuditEvent::new("system", "cards.3ds.ares", &auth.id).details(json!({
            "card": auth.card_id, "purpose": auth.purpose, "ares_status": auth.ares_status,
            "trans_status": auth.trans_status, "eci": auth.eci, "ds_trans_id": auth.ds_trans_id,
        }));
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(started)
    }

    /// The challenge page's form: the ACS URL and the CReq, for an authentication still waiting
    /// for its challenge. Anyone with the (random, single-use) URL may open it; finishing the
    /// challenge needs what the issuer sends the cardholder.
    pub async fn challenge(&self, authentication_id: &str) -> Result<Challenge, CardsError> {
        let auth = store::authentication(&self.db, authentication_id)
            .await?
            .filter(|a| a.state == "ares" && a.ares_status == "C" && !a.acs_url.is_empty())
            .ok_or(CardsError::NotFound)?;
        let creq = json!({
            "threeDSServerTransID": auth.id,
            "acsTransID": auth.acs_trans_id,
            "messageType": "CReq",
            "messageVersion": auth.message_version,
            "challengeWindowSize": "05",
        });
        Ok(Challenge { acs_url: auth.acs_url, creq: URL_SAFE_NO_PAD.encode(creq.to_string()) })
    }

    /// The network's RReq: checked (its key, the transaction ids, the ECI for the brand), recorded
    /// once, and acted on.
    pub async fn take_rreq(&self, bearer: Option<&str>, body: &[u8]) -> Result<RReqAnswer, CardsError> {
        let network = self.network()?;
        let presented: [u8; 32] = Sha256::digest(bearer.unwrap_or("").as_bytes()).into();
        let expected: [u8; 32] = Sha256::digest(network.api_key.as_bytes()).into();
        if bearer.is_none() || !bool::from(presented.ct_eq(&expected)) {
            return Ok(RReqAnswer { status: 401, body: erro("", "303", "the RReq must carry the network's key") });
        }
        let Ok(rreq) = serde_json::from_slice::<RReq>(body) else {
            return Ok(RReqAnswer { status: 400, body: erro("", "203", "the RReq is not valid") });
        };
        let id = rreq.server_trans_id.clone();
        let Some(mut auth) = store::authentication(&self.db, &id).await? else {
            return Ok(RReqAnswer { status: 404, body: erro(&id, "301", "no such transaction") });
        };
        let card = store::card(&self.db, &auth.card_id).await?.ok_or(CardsError::NotFound)?;
        let status = vault::TransStatus::from_code(&rreq.trans_status);
        let eci_ok = match (status, brand_of(&card)) {
            (Some(s @ (vault::TransStatus::Authenticated | vault::TransStatus::Attempted)), Some(brand)) => {
                let expected = vault::eci_expected(brand, s).unwrap_or(&[]);
                rreq.eci.as_deref().is_some_and(|e| expected.contains(&e))
                    && rreq.authentication_value.as_deref().is_some_and(|v| v.len() == 28)
            }
            (Some(_), _) => true,
            (None, _) => false,
        };
        if rreq.message_type != "RReq" || !eci_ok {
            return Ok(RReqAnswer {
                status: 400,
                body: erro(&id, "203", "the RReq's status, ECI or value is not valid"),
            });
        }
        auth.ds_trans_id = rreq.ds_trans_id.clone();
        auth.acs_trans_id = rreq.acs_trans_id.clone();
        auth.trans_status = rreq.trans_status.clone();
        auth.trans_status_reason = rreq.trans_status_reason.clone().unwrap_or_default();
        auth.eci = rreq.eci.clone().unwrap_or_default();
        auth.sealed_authentication_value =
            rreq.authentication_value.as_deref().map(|v| self.keys.seal(v.as_bytes(), &auth.id)).unwrap_or_default();
        auth.final_at_ms = now_ms();
        let mut tx = self.db.begin_write().await?;
        if store::record_result(&mut tx, &auth).await? {
            let event = crate::audit::AuditEvent::new("system", "cards.3ds.result", &auth.id).details(json!({
                "card": auth.card_id, "purpose": auth.purpose, "trans_status": auth.trans_status,
                "eci": auth.eci, "ds_trans_id": auth.ds_trans_id,
            }));
            crate::audit::append(&self.db, &mut tx, &[event]).await?;
            tx.commit().await?;
            self.settle_authentication(&auth).await;
        } else {
            drop(tx);
            let current = store::authentication(&self.db, &id).await?.ok_or(CardsError::NotFound)?;
            // The same result again is fine (a retried RReq); anything else is not this transaction's.
            if current.ds_trans_id != rreq.ds_trans_id || current.trans_status != rreq.trans_status {
                return Ok(RReqAnswer {
                    status: 400,
                    body: erro(&id, "305", "the RReq does not match the transaction"),
                });
            }
        }
        let rres = json!({
            "messageType": "RRes",
            "messageVersion": if rreq.message_version.is_empty() { "2.2.0".into() } else { rreq.message_version },
            "threeDSServerTransID": id,
            "dsTransID": rreq.ds_trans_id,
            "acsTransID": rreq.acs_trans_id,
            "resultsStatus": "01",
        });
        Ok(RReqAnswer { status: 200, body: rres })
    }

    /// Act on a final result: a card is activated or failed at once; a top-up is authorised and
    /// credited in the background (the network's RReq should not wait for the authorisation).
    async fn settle_authentication(&self, auth: &Authentication) {
        if auth.purpose == Purpose::Registration.as_str() {
            if let Err(e) = self.settle_registration(&auth.card_id, &auth.trans_status).await {
                tracing::warn!(error = %e, card = %auth.card_id, "a card's authentication result was not applied");
            }
        } else {
            let cards = self.clone();
            let top_up_id = auth.top_up_id.clone();
            tokio::spawn(async move {
                if let Err(e) = cards.continue_top_up(&top_up_id).await {
                    tracing::warn!(error = %e, top_up = %top_up_id, "a card top-up did not move on");
                }
            });
        }
    }

    /// The browser's CRes, posted from the ACS page. It decides nothing: it names the
    /// authentication whose outcome the page then shows, after waiting briefly for the RReq.
    pub async fn notified(&self, cres: &str) -> Result<Authentication, CardsError> {
        #[derive(Deserialize)]
        struct CRes {
            #[serde(rename = "threeDSServerTransID")]
            server_trans_id: String,
        }
        let cres: CRes = URL_SAFE_NO_PAD
            .decode(cres.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(CardsError::NotFound)?;
        let deadline = now_ms() + RREQ_WAIT_MS as i64;
        loop {
            let auth = store::authentication(&self.db, &cres.server_trans_id).await?.ok_or(CardsError::NotFound)?;
            let settled = auth.state == "final"
                && (auth.purpose != Purpose::TopUp.as_str()
                    || store::top_up(&self.db, &auth.top_up_id)
                        .await?
                        .is_some_and(|t| t.status == "credited" || t.status == "declined"));
            if settled || now_ms() >= deadline {
                return Ok(auth);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

fn erro(id: &str, code: &str, description: &str) -> Value {
    json!({ "messageType": "Erro", "messageVersion": "2.2.0", "threeDSServerTransID": id, "errorCode": code,
            "errorComponent": "S", "errorDescription": description })
}
