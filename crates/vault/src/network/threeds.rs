//! EMV 3-D Secure 2.2.0 at the directory server: the AReq the 3DS Server sends and the ARes it
//! gets back, checked before anyone acts on it.
//!
//! The ARes decides whether money moves (`Y` credits, `C` challenges, `N`/`R`/`U` decline), so it
//! is validated as untrusted input: it must answer this transaction, carry the proof that its
//! status claims (ECI and a 20-byte authentication value for `Y`/`A`, an ACS URL for `C`), and its
//! ECI must be the one the brand's table gives. Anything else is `NetworkError::Protocol`.

use base64::Engine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{NetworkClient, NetworkError, protocol};
use crate::card::Brand;
use crate::{SealedCard, Vault};

/// The protocol version Anshin speaks; the ARes must answer in the same one.
pub const MESSAGE_VERSION: &str = "2.2.0";
/// ISO 4217 numeric for JPY, whose exponent is 0.
const PURCHASE_CURRENCY: &str = "392";
const PURCHASE_EXPONENT: &str = "0";

/// An authentication to run: everything the AReq needs except the card, which the client opens
/// itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationRequest {
    pub three_ds_server_trans_id: Uuid,
    /// Where the ACS's RReq is to be sent.
    pub three_ds_server_url: String,
    pub channel: DeviceChannel,
    pub category: MessageCategory,
    pub purchase_amount_minor: u64,
    pub purchase_date: jiff::Timestamp,
    pub challenge_indicator: ChallengeIndicator,
    pub requestor_id: String,
    pub requestor_name: String,
}

/// The channel, with the field only that channel has: a browser flow needs a notification URL
/// for the final CRes; a 3RI flow has no cardholder, so no challenge, and says why it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceChannel {
    Browser { notification_url: String },
    ThreeRi { indicator: ThreeRiIndicator },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageCategory {
    Payment,
    NonPayment,
}

/// `threeDSRequestorChallengeInd`, 01 to 06.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeIndicator {
    NoPreference = 1,
    NoChallengeRequested = 2,
    ChallengeRequested = 3,
    ChallengeMandated = 4,
    RiskAnalysisPerformed = 5,
    DataShareOnly = 6,
}

/// `threeRIInd`, 01 to 11 (2.2.0); a wallet top-up is 07.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreeRiIndicator {
    Recurring = 1,
    Instalment = 2,
    AddCard = 3,
    MaintainCardInformation = 4,
    AccountVerification = 5,
    SplitOrDelayedShipment = 6,
    TopUp = 7,
    MailOrder = 8,
    TelephoneOrder = 9,
    TrustListStatusCheck = 10,
    OtherPayment = 11,
}

/// `transStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransStatus {
    /// `Y`: authenticated.
    #[serde(rename = "Y")]
    Authenticated,
    /// `N`: not authenticated; the transaction is denied.
    #[serde(rename = "N")]
    NotAuthenticated,
    /// `U`: authentication could not be performed.
    #[serde(rename = "U")]
    Unavailable,
    /// `A`: not authenticated, but the attempt is proven.
    #[serde(rename = "A")]
    Attempted,
    /// `C`: a challenge is required.
    #[serde(rename = "C")]
    Challenge,
    /// `D`: a challenge is required; decoupled authentication confirmed.
    #[serde(rename = "D")]
    Decoupled,
    /// `R`: rejected; the issuer asks that authorisation not be attempted.
    #[serde(rename = "R")]
    Rejected,
    /// `I`: informational only; the challenge preference is acknowledged.
    #[serde(rename = "I")]
    Informational,
}

impl TransStatus {
    pub const ALL: [TransStatus; 8] = [
        TransStatus::Authenticated,
        TransStatus::NotAuthenticated,
        TransStatus::Unavailable,
        TransStatus::Attempted,
        TransStatus::Challenge,
        TransStatus::Decoupled,
        TransStatus::Rejected,
        TransStatus::Informational,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TransStatus::Authenticated => "Y",
            TransStatus::NotAuthenticated => "N",
            TransStatus::Unavailable => "U",
            TransStatus::Attempted => "A",
            TransStatus::Challenge => "C",
            TransStatus::Decoupled => "D",
            TransStatus::Rejected => "R",
            TransStatus::Informational => "I",
        }
    }

    pub fn from_code(code: &str) -> Option<TransStatus> {
        TransStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The ECI values an ACS may return for `status` on a card of `brand` (`None`: the status
/// carries no ECI that proves anything). Visa, JCB, American Express, Diners and Discover use
/// 05 authenticated and 06 attempted; Mastercard 02 and 01.
pub fn eci_expected(brand: Brand, status: TransStatus) -> Option<&'static [&'static str]> {
    match (brand, status) {
        (Brand::Mastercard, TransStatus::Authenticated) => Some(&["02"]),
        (Brand::Mastercard, TransStatus::Attempted) => Some(&["01"]),
        (_, TransStatus::Authenticated) => Some(&["05"]),
        (_, TransStatus::Attempted) => Some(&["06"]),
        _ => None,
    }
}

/// A checked ARes, to act on and to keep as chargeback evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationResponse {
    pub message_version: String,
    pub three_ds_server_trans_id: Uuid,
    pub ds_trans_id: Uuid,
    pub acs_trans_id: Option<Uuid>,
    pub trans_status: TransStatus,
    pub trans_status_reason: Option<String>,
    pub eci: Option<String>,
    /// The CAVV/AAV: 28 base64 characters (20 bytes), present for `Y` and `A`.
    pub authentication_value: Option<String>,
    /// Where the browser posts the CReq; present for `C`.
    pub acs_url: Option<String>,
    pub acs_challenge_mandated: Option<bool>,
}

/// What an authorisation carries from a successful authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreeDsProof {
    pub eci: String,
    pub authentication_value: String,
    pub ds_trans_id: Uuid,
    pub message_version: String,
}

impl AuthenticationResponse {
    /// The proof to authorise with: only `Y` and `A` have one.
    pub fn proof(&self) -> Option<ThreeDsProof> {
        Some(ThreeDsProof {
            eci: self.eci.clone()?,
            authentication_value: self.authentication_value.clone()?,
            ds_trans_id: self.ds_trans_id,
            message_version: self.message_version.clone(),
        })
        .filter(|_| matches!(self.trans_status, TransStatus::Authenticated | TransStatus::Attempted))
    }
}

#[derive(Serialize)]
struct AReq<'a> {
    #[serde(rename = "messageType")]
    message_type: &'static str,
    #[serde(rename = "messageVersion")]
    message_version: &'static str,
    #[serde(rename = "threeDSServerTransID")]
    three_ds_server_trans_id: Uuid,
    #[serde(rename = "threeDSServerURL")]
    three_ds_server_url: &'a str,
    #[serde(rename = "deviceChannel")]
    device_channel: &'static str,
    #[serde(rename = "messageCategory")]
    message_category: &'static str,
    #[serde(rename = "acctNumber")]
    acct_number: &'a str,
    #[serde(rename = "cardExpiryDate")]
    card_expiry_date: &'a str,
    #[serde(rename = "purchaseAmount")]
    purchase_amount: String,
    #[serde(rename = "purchaseCurrency")]
    purchase_currency: &'static str,
    #[serde(rename = "purchaseExponent")]
    purchase_exponent: &'static str,
    #[serde(rename = "purchaseDate")]
    purchase_date: String,
    #[serde(rename = "threeDSRequestorChallengeInd")]
    challenge_ind: String,
    #[serde(rename = "threeRIInd", skip_serializing_if = "Option::is_none")]
    three_ri_ind: Option<String>,
    #[serde(rename = "notificationURL", skip_serializing_if = "Option::is_none")]
    notification_url: Option<&'a str>,
    #[serde(rename = "threeDSRequestorID")]
    requestor_id: &'a str,
    #[serde(rename = "threeDSRequestorName")]
    requestor_name: &'a str,
}

/// An answer as received: every field optional and a string, checked by `check_ares`.
#[derive(Deserialize)]
struct RawAnswer {
    #[serde(rename = "messageType")]
    message_type: Option<String>,
    #[serde(rename = "messageVersion")]
    message_version: Option<String>,
    #[serde(rename = "threeDSServerTransID")]
    three_ds_server_trans_id: Option<String>,
    #[serde(rename = "dsTransID")]
    ds_trans_id: Option<String>,
    #[serde(rename = "acsTransID")]
    acs_trans_id: Option<String>,
    #[serde(rename = "transStatus")]
    trans_status: Option<String>,
    #[serde(rename = "transStatusReason")]
    trans_status_reason: Option<String>,
    eci: Option<String>,
    #[serde(rename = "authenticationValue")]
    authentication_value: Option<String>,
    #[serde(rename = "acsURL")]
    acs_url: Option<String>,
    #[serde(rename = "acsChallengeMandated")]
    acs_challenge_mandated: Option<String>,
    #[serde(rename = "errorCode")]
    error_code: Option<String>,
}

impl NetworkClient {
    /// Run a 3-D Secure authentication for `card` at the directory server. No answer within
    /// `ds_timeout` is `DsTimeout`; an answer that is not a valid ARes for this transaction is
    /// `Protocol`.
    pub async fn authenticate(
        &self,
        vault: &Vault,
        card: &SealedCard,
        request: AuthenticationRequest,
    ) -> Result<AuthenticationResponse, NetworkError> {
        let body = {
            let number = vault.open(card)?;
            let (device_channel, three_ri_ind, notification_url) = match &request.channel {
                DeviceChannel::Browser { notification_url } => ("02", None, Some(notification_url.as_str())),
                DeviceChannel::ThreeRi { indicator } => ("03", Some(format!("{:02}", *indicator as u8)), None),
            };
            let areq = AReq {
                message_type: "AReq",
                message_version: MESSAGE_VERSION,
                three_ds_server_trans_id: request.three_ds_server_trans_id,
                three_ds_server_url: &request.three_ds_server_url,
                device_channel,
                message_category: match request.category {
                    MessageCategory::Payment => "01",
                    MessageCategory::NonPayment => "02",
                },
                acct_number: number.digits(),
                card_expiry_date: &card.expiry().yymm(),
                purchase_amount: request.purchase_amount_minor.to_string(),
                purchase_currency: PURCHASE_CURRENCY,
                purchase_exponent: PURCHASE_EXPONENT,
                purchase_date: request.purchase_date.strftime("%Y%m%d%H%M%S").to_string(),
                challenge_ind: format!("{:02}", request.challenge_indicator as u8),
                three_ri_ind,
                notification_url,
                requestor_id: &request.requestor_id,
                requestor_name: &request.requestor_name,
            };
            serde_json::to_vec(&areq).expect("strings serialise")
        };
        let answer = self.exchange("/ds/areq", body, self.ds_timeout, NetworkError::DsTimeout).await?;
        check_ares(answer, request.three_ds_server_trans_id, card.brand)
    }
}

fn check_ares(
    (status, body): (u16, Vec<u8>),
    sent_trans_id: Uuid,
    brand: Brand,
) -> Result<AuthenticationResponse, NetworkError> {
    let raw: RawAnswer = serde_json::from_slice(&body)
        .map_err(|_| protocol(&format!("the directory server's answer (HTTP {status}) is not a JSON message")))?;
    match raw.message_type.as_deref() {
        Some("ARes") if status == 200 => {}
        Some("Erro") => {
            let code = raw.error_code.as_deref().filter(|c| c.len() <= 3 && c.bytes().all(|b| b.is_ascii_digit()));
            return Err(protocol(&format!("the directory server sent an error message, code {}", code.unwrap_or("?"))));
        }
        _ => return Err(protocol(&format!("the directory server's answer (HTTP {status}) is not an ARes"))),
    }
    if raw.message_version.as_deref() != Some(MESSAGE_VERSION) {
        return Err(protocol("the ARes is not in the AReq's messageVersion"));
    }
    if uuid_field(&raw.three_ds_server_trans_id) != Some(sent_trans_id) {
        return Err(protocol("the ARes answers another threeDSServerTransID"));
    }
    let ds_trans_id = uuid_field(&raw.ds_trans_id).ok_or_else(|| protocol("the ARes has no valid dsTransID"))?;
    let acs_trans_id = match &raw.acs_trans_id {
        None => None,
        some => Some(uuid_field(some).ok_or_else(|| protocol("the ARes's acsTransID is not a UUID"))?),
    };
    let trans_status = raw.trans_status.as_deref().and_then(TransStatus::from_code);
    let trans_status = trans_status.ok_or_else(|| protocol("the ARes's transStatus is not one of Y N U A C D R I"))?;
    let two_digits =
        |v: &Option<String>| v.as_ref().is_none_or(|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()));
    if !two_digits(&raw.trans_status_reason) || !two_digits(&raw.eci) {
        return Err(protocol("the ARes's transStatusReason or eci is not two digits"));
    }
    if let Some(value) = &raw.authentication_value
        && !is_authentication_value(value)
    {
        return Err(protocol("the ARes's authenticationValue is not 28 base64 characters (20 bytes)"));
    }
    if let Some(expected) = eci_expected(brand, trans_status) {
        let (Some(eci), Some(_)) = (&raw.eci, &raw.authentication_value) else {
            return Err(protocol(&format!(
                "an ARes with transStatus {} lacks its eci or authenticationValue",
                trans_status.code()
            )));
        };
        if !expected.contains(&eci.as_str()) {
            return Err(protocol(&format!(
                "ECI {eci} does not fit transStatus {} for this brand",
                trans_status.code()
            )));
        }
    }
    let acs_url = raw.acs_url.filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    if trans_status == TransStatus::Challenge && acs_url.is_none() {
        return Err(protocol("an ARes with transStatus C has no acsURL"));
    }
    let acs_challenge_mandated = match raw.acs_challenge_mandated.as_deref() {
        None => None,
        Some("Y") => Some(true),
        Some("N") => Some(false),
        Some(_) => return Err(protocol("the ARes's acsChallengeMandated is neither Y nor N")),
    };
    Ok(AuthenticationResponse {
        message_version: MESSAGE_VERSION.to_owned(),
        three_ds_server_trans_id: sent_trans_id,
        ds_trans_id,
        acs_trans_id,
        trans_status,
        trans_status_reason: raw.trans_status_reason,
        eci: raw.eci,
        authentication_value: raw.authentication_value,
        acs_url,
        acs_challenge_mandated,
    })
}

fn uuid_field(value: &Option<String>) -> Option<Uuid> {
    value.as_deref().and_then(|v| Uuid::parse_str(v).ok())
}

fn is_authentication_value(value: &str) -> bool {
    value.len() == 28 && base64::engine::general_purpose::STANDARD.decode(value).is_ok_and(|bytes| bytes.len() == 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ares(fields: serde_json::Value, trans_id: Uuid) -> (u16, Vec<u8>) {
        let mut message = serde_json::json!({
            "messageType": "ARes", "messageVersion": "2.2.0", "threeDSServerTransID": trans_id.to_string(),
            "dsTransID": Uuid::new_v4().to_string(), "acsTransID": Uuid::new_v4().to_string(),
        });
        message.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        (200, serde_json::to_vec(&message).unwrap())
    }

    const CAVV: &str = "s3xYIbbZVSakGpUEaAtOfIt2Ohs=";

    #[test]
    fn the_eci_table_follows_the_brand() {
        assert_eq!(eci_expected(Brand::Visa, TransStatus::Authenticated), Some(&["05"][..]));
        assert_eq!(eci_expected(Brand::Jcb, TransStatus::Attempted), Some(&["06"][..]));
        assert_eq!(eci_expected(Brand::Mastercard, TransStatus::Authenticated), Some(&["02"][..]));
        assert_eq!(eci_expected(Brand::Mastercard, TransStatus::Attempted), Some(&["01"][..]));
        assert_eq!(eci_expected(Brand::AmericanExpress, TransStatus::Challenge), None);
    }

    #[test]
    fn an_ares_must_carry_the_proof_its_status_claims() {
        let id = Uuid::new_v4();
        let ok = check_ares(
            ares(serde_json::json!({"transStatus":"Y","eci":"05","authenticationValue":CAVV}), id),
            id,
            Brand::Visa,
        );
        assert!(ok.unwrap().proof().is_some());
        let cases = [
            (serde_json::json!({"transStatus":"Y","eci":"05"}), Brand::Visa),
            (serde_json::json!({"transStatus":"Y","eci":"02","authenticationValue":CAVV}), Brand::Visa),
            (serde_json::json!({"transStatus":"A","eci":"06","authenticationValue":CAVV}), Brand::Mastercard),
            (serde_json::json!({"transStatus":"Y","eci":"05","authenticationValue":"c2hvcnQ="}), Brand::Visa),
            (serde_json::json!({"transStatus":"C"}), Brand::Visa),
            (serde_json::json!({"transStatus":"X"}), Brand::Visa),
            (serde_json::json!({"transStatus":"N","messageVersion":"2.1.0"}), Brand::Visa),
            (serde_json::json!({"transStatus":"N","dsTransID":"nope"}), Brand::Visa),
            (serde_json::json!({"transStatus":"N","acsChallengeMandated":"maybe"}), Brand::Visa),
        ];
        for (fields, brand) in cases {
            let e = check_ares(ares(fields.clone(), id), id, brand).unwrap_err();
            assert!(matches!(e, NetworkError::Protocol(_)), "{fields}: {e}");
        }
        let other = check_ares(ares(serde_json::json!({"transStatus":"N"}), Uuid::new_v4()), id, Brand::Visa);
        assert!(matches!(other, Err(NetworkError::Protocol(_))));
    }

    #[test]
    fn every_status_without_proof_parses_and_has_no_proof() {
        let id = Uuid::new_v4();
        for status in ["N", "U", "D", "R", "I"] {
            let r = check_ares(
                ares(serde_json::json!({"transStatus":status,"transStatusReason":"01"}), id),
                id,
                Brand::Jcb,
            );
            let r = r.unwrap();
            assert_eq!(r.trans_status.code(), status);
            assert_eq!(r.proof(), None);
        }
        let c =
            check_ares(ares(serde_json::json!({"transStatus":"C","acsURL":"https://acs.test/c"}), id), id, Brand::Jcb);
        assert_eq!(c.unwrap().acs_url.as_deref(), Some("https://acs.test/c"));
    }
}
