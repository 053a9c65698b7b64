//! The HTTP client for the eKYC provider (docs/EKYC-SIMULATOR.md): submit a check, read it
//! back. One `reqwest::Client` is kept and cloned, so connections are reused; every call has a
//! time-out. The document number is in the one request that submits it and nowhere else: no
//! error, log line or `Debug` output of this module repeats what a request carried.

use std::fmt;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use crate::identity::store::verification::PersonData;

/// A check is submitted while the user waits: a provider slower than this is unavailable.
pub const TIMEOUT_SECS: u64 = 5;
pub const CONNECT_TIMEOUT_SECS: u64 = 2;
/// The largest answer read: a check is a few short fields.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// Check ids go into URL paths, so only characters that need no escaping.
const MAX_CHECK_ID_CHARS: usize = 64;
/// A field the provider read longer than this is not a name or an address.
const MAX_FIELD_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EkycError {
    /// Not configured right (URL, key): the setting must change.
    #[error("the eKYC settings are not usable: {0}")]
    Invalid(String),
    /// Down, slow, overloaded, or refusing our key: try again later.
    #[error("the eKYC provider is unavailable: {0}")]
    Unavailable(String),
    /// An answer this client cannot read.
    #[error("the eKYC provider answered something unexpected: {0}")]
    Protocol(String),
    /// The provider refused the request itself (a field it does not accept).
    #[error("the eKYC provider refused the request: {0}")]
    Refused(String),
    /// The provider knows no such check (it may have restarted).
    #[error("the eKYC provider knows no such check")]
    NoSuchCheck,
}

/// What the service asks the provider to check. `Debug` shows only the document's last four.
#[derive(Serialize)]
pub struct CheckRequest<'a> {
    pub reference: &'a str,
    pub document_type: &'a str,
    pub document_number: &'a str,
    pub full_name: &'a str,
    pub full_name_kana: Option<&'a str>,
    pub date_of_birth: &'a str,
    pub address: &'a str,
    pub selfie_sha256: &'a str,
}

impl fmt::Debug for CheckRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckRequest").field("reference", &self.reference).finish_non_exhaustive()
    }
}

/// A check as the provider answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckStatus {
    Pending,
    /// What the provider read from the document; a field it did not read is empty.
    Verified(PersonData),
    Rejected(String),
    Review(String),
}

#[derive(Clone)]
pub struct EkycClient {
    base_url: String,
    /// `Bearer <key>`, marked sensitive so no layer below prints it.
    authorization: HeaderValue,
    http: reqwest::Client,
}

impl fmt::Debug for EkycClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EkycClient").field("base_url", &self.base_url).field("api_key", &"<redacted>").finish()
    }
}

/// Where the provider is (see `edge::loopback_http_url`), without a trailing slash.
pub fn check_base_url(raw: &str) -> Result<String, EkycError> {
    let url = crate::edge::loopback_http_url(raw, "eKYC").map_err(EkycError::Invalid)?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

pub fn check_api_key(key: &str) -> Result<HeaderValue, EkycError> {
    crate::edge::bearer_header(key, "eKYC", crate::sim::MIN_API_KEY_CHARS).map_err(EkycError::Invalid)
}

impl EkycClient {
    pub fn new(base_url: &str, api_key: &str) -> Result<EkycClient, EkycError> {
        let base_url = check_base_url(base_url)?;
        let authorization = check_api_key(api_key)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(TIMEOUT_SECS))
            .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS))
            // A redirect or an environment proxy would carry the document data somewhere this
            // check never saw.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|_| EkycError::Invalid("the HTTP client could not be built".into()))?;
        Ok(EkycClient { base_url, authorization, http })
    }

    /// Submits a check; the same `reference` again answers the same check (idempotent there).
    pub async fn submit(&self, request: &CheckRequest<'_>) -> Result<String, EkycError> {
        let body = serde_json::to_value(request).map_err(|_| EkycError::Protocol("the request".into()))?;
        let (status, answer) = self.call(Method::POST, "/v1/checks", Some(body)).await?;
        if status != StatusCode::ACCEPTED && status != StatusCode::OK {
            return Err(EkycError::Protocol(format!("unexpected status {}", status.as_u16())));
        }
        Ok(read_check(&answer)?.0)
    }

    pub async fn check(&self, check_id: &str) -> Result<CheckStatus, EkycError> {
        if !is_check_id(check_id) {
            return Err(EkycError::Invalid("a check id of unexpected form".into()));
        }
        let (_, answer) = self.call(Method::GET, &format!("/v1/checks/{check_id}"), None).await?;
        let (id, status) = read_check(&answer)?;
        if id != check_id {
            return Err(EkycError::Protocol("the provider answered about another check".into()));
        }
        Ok(status)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(StatusCode, Vec<u8>), EkycError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header(AUTHORIZATION, self.authorization.clone());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let mut response = request.send().await.map_err(|e| transport(&e))?;
        let status = response.status();
        let mut answer = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e))? {
            if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(EkycError::Protocol(format!("an answer larger than {MAX_ANSWER_BYTES} bytes")));
            }
            answer.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return Ok((status, answer));
        }
        Err(match status.as_u16() {
            401 | 403 => EkycError::Unavailable("the provider refused our key".into()),
            404 if error_code(&answer) == "no_such_check" => EkycError::NoSuchCheck,
            400 | 409 | 413 | 415 | 422 => EkycError::Refused(error_code(&answer)),
            429 | 500..=599 => EkycError::Unavailable(format!("the provider answered {}", status.as_u16())),
            other => EkycError::Protocol(format!("unexpected status {other}")),
        })
    }
}

/// Says what kind of failure it was, never the URL or anything the request carried.
fn transport(e: &reqwest::Error) -> EkycError {
    let what = if e.is_timeout() {
        format!("no answer within {TIMEOUT_SECS} s")
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    EkycError::Unavailable(what)
}

fn is_check_id(id: &str) -> bool {
    (1..=MAX_CHECK_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A code as the provider's API writes them (`snake_case`); anything else is not repeated.
fn clean_code(code: &str) -> String {
    let ok = (1..=64).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if ok { code.to_owned() } else { "unknown".to_owned() }
}

fn error_code(answer: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Envelope {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        code: String,
    }
    serde_json::from_slice::<Envelope>(answer).map(|e| clean_code(&e.error.code)).unwrap_or_else(|_| "unknown".into())
}

fn read_check(answer: &[u8]) -> Result<(String, CheckStatus), EkycError> {
    #[derive(Deserialize)]
    struct Wire {
        check_id: String,
        status: String,
        reason: Option<String>,
        verified: Option<Read>,
    }
    #[derive(Deserialize)]
    struct Read {
        full_name: Option<String>,
        full_name_kana: Option<String>,
        date_of_birth: Option<String>,
        address: Option<String>,
    }
    let wire: Wire =
        serde_json::from_slice(answer).map_err(|e| EkycError::Protocol(format!("JSON: {:?}", e.classify())))?;
    if !is_check_id(&wire.check_id) {
        return Err(EkycError::Protocol("a check id of unexpected form".into()));
    }
    let reason = || clean_code(wire.reason.as_deref().unwrap_or("unspecified"));
    let status = match (wire.status.as_str(), wire.verified) {
        ("pending", _) => CheckStatus::Pending,
        ("verified", read) => {
            // A field the provider did not read stays empty: never filled in by us.
            let field = |v: Option<String>| v.filter(|s| s.chars().count() <= MAX_FIELD_CHARS).unwrap_or_default();
            let read = read.map(|r| PersonData {
                full_name: field(r.full_name),
                full_name_kana: field(r.full_name_kana),
                date_of_birth: field(r.date_of_birth),
                address: field(r.address),
            });
            CheckStatus::Verified(read.unwrap_or(PersonData {
                full_name: String::new(),
                full_name_kana: String::new(),
                date_of_birth: String::new(),
                address: String::new(),
            }))
        }
        ("rejected", _) => CheckStatus::Rejected(reason()),
        ("review", _) => CheckStatus::Review(reason()),
        _ => return Err(EkycError::Protocol("a check status this client does not know".into())),
    };
    Ok((wire.check_id, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_on_loopback_is_accepted() {
        for ok in ["http://127.0.0.1:9300", "http://localhost:9300/", "http://[::1]:9300"] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for bad in ["https://ekyc.example", "http://192.0.2.1:9300", "http://u:p@127.0.0.1", "x"] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
        assert!(check_api_key("short").is_err(), "a short key is refused");
    }

    #[test]
    fn a_verified_check_keeps_missing_fields_missing() {
        let answer = r#"{"check_id":"chk_1","status":"verified","verified":{"full_name":"山田 太郎","full_name_kana":null,"date_of_birth":"1990-04-15","address":"東京都"}}"#;
        let (_, status) = read_check(answer.as_bytes()).unwrap();
        let CheckStatus::Verified(read) = status else { panic!("verified") };
        assert_eq!((read.full_name.as_str(), read.full_name_kana.as_str()), ("山田 太郎", ""));
        let answer = br#"{"check_id":"chk_1","status":"rejected","reason":"Bearer secret"}"#;
        assert_eq!(read_check(answer).unwrap().1, CheckStatus::Rejected("unknown".into()));
        assert!(read_check(br#"{"check_id":"../x","status":"pending"}"#).is_err());
    }
}
