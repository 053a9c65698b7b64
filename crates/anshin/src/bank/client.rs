//! The HTTP client for the bank API (docs/BANK-SIMULATOR.md). One `reqwest::Client` is kept and
//! cloned, so connections are reused; every call has a time-out.

use std::fmt;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::{
    AccountRef, AccountStatus, BankError, Debit, DebitRequest, DebitStatus, FileAccepted, Inquiry, RefusalReason,
    check_id,
};

/// A call gives up after this long: a top-up must not hang on the bank. A debit that timed out
/// is retried with the same id, which the bank answers without debiting twice.
pub const TIMEOUT_SECS: u64 = 5;
/// A bank that does not accept the connection at once is down, not slow.
pub const CONNECT_TIMEOUT_SECS: u64 = 2;
/// The largest answer read: a result file as large as the largest transfer file the simulator
/// takes, with room to spare. Anything larger is not an answer to our request.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// How much of the bank's own error message is kept in an error.
const MAX_MESSAGE_CHARS: usize = 200;
/// A Zengin name is at most 30 characters; a bank writing it wider still stays far below this.
const MAX_HOLDER_NAME_CHARS: usize = 100;

#[derive(Clone)]
pub struct BankClient {
    base_url: String,
    /// `Bearer <key>`, marked sensitive so no layer below prints it.
    authorization: HeaderValue,
    http: reqwest::Client,
}

impl fmt::Debug for BankClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BankClient").field("base_url", &self.base_url).field("api_key", &"<redacted>").finish()
    }
}

/// Where the bank is: see `edge::loopback_http_url`.
pub(super) fn check_base_url(raw: &str) -> Result<reqwest::Url, BankError> {
    crate::edge::loopback_http_url(raw, "bank").map_err(BankError::Invalid)
}

pub(super) fn check_api_key(key: &str) -> Result<HeaderValue, BankError> {
    crate::edge::bearer_header(key, "bank", 1).map_err(BankError::Invalid)
}

impl BankClient {
    pub fn new(base_url: &str, api_key: &str) -> Result<BankClient, BankError> {
        let url = check_base_url(base_url)?;
        let authorization = check_api_key(api_key)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(TIMEOUT_SECS))
            .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS))
            // A redirect would carry the request (and its key) somewhere this check never saw;
            // a proxy from the environment likewise.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|_| BankError::Invalid("the HTTP client could not be built".into()))?;
        Ok(BankClient { base_url: url.as_str().trim_end_matches('/').to_owned(), authorization, http })
    }

    /// The holder of an account, to compare with the user's name before linking it.
    pub async fn inquire(&self, account: &AccountRef) -> Result<Inquiry, BankError> {
        let body = serde_json::json!({
            "bank_code": account.bank_code(),
            "branch_code": account.branch_code(),
            "account_type": account.account_type().as_str(),
            "account_number": account.account_number(),
        });
        let (status, answer) = self.call(Method::POST, "/v1/account-inquiries", Body::Json(body)).await?;
        if status != StatusCode::OK {
            return Err(unexpected(status));
        }
        #[derive(Deserialize)]
        struct Wire {
            holder_name: String,
            status: String,
        }
        let wire: Wire = read_json(&answer)?;
        let chars = wire.holder_name.chars().count();
        if chars == 0 || chars > MAX_HOLDER_NAME_CHARS {
            return Err(BankError::Protocol(format!("a holder name of {chars} characters")));
        }
        let status = match wire.status.as_str() {
            "open" => AccountStatus::Open,
            "closed" => AccountStatus::Closed,
            _ => return Err(BankError::Protocol("an account status other than open or closed".into())),
        };
        Ok(Inquiry { holder_name: wire.holder_name, status })
    }

    /// Asks for a debit, or asks again: the same request answers the debit's current state.
    pub async fn debit(&self, request: &DebitRequest) -> Result<Debit, BankError> {
        let account = request.account();
        let body = serde_json::json!({
            "debit_id": request.debit_id(),
            "bank_code": account.bank_code(),
            "branch_code": account.branch_code(),
            "account_type": account.account_type().as_str(),
            "account_number": account.account_number(),
            "amount_minor": request.amount_minor(),
            "holder_name": request.holder_name(),
        });
        let (status, answer) = self.call(Method::POST, "/v1/debits", Body::Json(body)).await?;
        let debit = read_debit(status, &answer)?;
        if debit.debit_id != request.debit_id() || debit.amount_minor != request.amount_minor() {
            return Err(BankError::Protocol("the bank answered about another debit".into()));
        }
        Ok(debit)
    }

    pub async fn debit_status(&self, debit_id: &str) -> Result<Debit, BankError> {
        check_id("debit_id", debit_id)?;
        let (status, answer) = self.call(Method::GET, &format!("/v1/debits/{debit_id}"), Body::None).await?;
        let debit = read_debit(status, &answer)?;
        if debit.debit_id != debit_id {
            return Err(BankError::Protocol("the bank answered about another debit".into()));
        }
        Ok(debit)
    }

    /// Sends a Zengin total-transfer file (`zengin::encode`).
    pub async fn send_transfer_file(&self, bytes: Vec<u8>) -> Result<FileAccepted, BankError> {
        let (status, answer) = self.call(Method::POST, "/v1/transfer-files", Body::File(bytes)).await?;
        if status != StatusCode::OK && status != StatusCode::ACCEPTED {
            return Err(unexpected(status));
        }
        #[derive(Deserialize)]
        struct Wire {
            file_id: String,
            records: u64,
            total_minor: i64,
        }
        let wire: Wire = read_json(&answer)?;
        check_id("file_id", &wire.file_id).map_err(|_| BankError::Protocol("a file id of unexpected form".into()))?;
        Ok(FileAccepted { file_id: wire.file_id, records: wire.records, total_minor: wire.total_minor })
    }

    /// The bank's result file once every record is decided; `None` while it is pending.
    pub async fn transfer_result(&self, file_id: &str) -> Result<Option<zengin::ResultFile>, BankError> {
        check_id("file_id", file_id)?;
        let path = format!("/v1/transfer-files/{file_id}/result");
        let (status, answer) = self.call(Method::GET, &path, Body::None).await?;
        match status {
            StatusCode::ACCEPTED => Ok(None),
            StatusCode::OK => {
                zengin::parse_result(&answer).map(Some).map_err(|e| BankError::Protocol(format!("result file: {e}")))
            }
            other => Err(unexpected(other)),
        }
    }

    /// One request; a success status (2xx) comes back with its body, anything else as an error.
    async fn call(&self, method: Method, path: &str, body: Body) -> Result<(StatusCode, Vec<u8>), BankError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header(AUTHORIZATION, self.authorization.clone());
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(&value),
            Body::File(bytes) => request.header(CONTENT_TYPE, "application/octet-stream").body(bytes),
        };
        let mut response = request.send().await.map_err(|e| transport(&e))?;
        let status = response.status();
        let mut answer = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e))? {
            if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(BankError::Protocol(format!("an answer larger than {MAX_ANSWER_BYTES} bytes")));
            }
            answer.extend_from_slice(&chunk);
        }
        if status.is_success() { Ok((status, answer)) } else { Err(error_answer(status, &answer)) }
    }
}

enum Body {
    None,
    Json(serde_json::Value),
    File(Vec<u8>),
}

/// Says what kind of failure it was, never the URL or anything the request carried.
fn transport(e: &reqwest::Error) -> BankError {
    let what = if e.is_timeout() {
        format!("no answer within {TIMEOUT_SECS} s")
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    BankError::Unavailable(what)
}

fn unexpected(status: StatusCode) -> BankError {
    BankError::Protocol(format!("unexpected status {}", status.as_u16()))
}

fn read_json<T: serde::de::DeserializeOwned>(answer: &[u8]) -> Result<T, BankError> {
    serde_json::from_slice(answer).map_err(|e| BankError::Protocol(format!("JSON: {e}")))
}

fn read_debit(status: StatusCode, answer: &[u8]) -> Result<Debit, BankError> {
    if status != StatusCode::OK && status != StatusCode::ACCEPTED {
        return Err(unexpected(status));
    }
    #[derive(Deserialize)]
    struct Wire {
        debit_id: String,
        status: String,
        reason: Option<String>,
        amount_minor: i64,
        decided_at_ms: Option<i64>,
    }
    let wire: Wire = read_json(answer)?;
    let status = match (wire.status.as_str(), wire.reason) {
        ("pending", None) => DebitStatus::Pending,
        ("confirmed", None) => DebitStatus::Confirmed,
        ("refused", Some(reason)) => DebitStatus::Refused(refusal_reason(&reason)),
        // Refused is refused: nothing moved, whatever the reason would have said.
        ("refused", None) => DebitStatus::Refused(RefusalReason::Other("unspecified".into())),
        _ => return Err(BankError::Protocol("a debit status this client does not know".into())),
    };
    Ok(Debit { debit_id: wire.debit_id, status, amount_minor: wire.amount_minor, decided_at_ms: wire.decided_at_ms })
}

fn refusal_reason(reason: &str) -> RefusalReason {
    match reason {
        "insufficient_funds" => RefusalReason::InsufficientFunds,
        "no_such_account" => RefusalReason::NoSuchAccount,
        "account_closed" => RefusalReason::AccountClosed,
        "name_mismatch" => RefusalReason::NameMismatch,
        "limit_exceeded" => RefusalReason::LimitExceeded,
        other => RefusalReason::Other(clean_code(other)),
    }
}

/// The bank's error envelope, `{"error": {"code", "message"}}`, as a `BankError`.
fn error_answer(status: StatusCode, answer: &[u8]) -> BankError {
    #[derive(Deserialize)]
    struct Envelope {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        code: String,
        #[serde(default)]
        message: String,
    }
    let (code, message) = serde_json::from_slice::<Envelope>(answer)
        .map(|e| (clean_code(&e.error.code), clean_message(&e.error.message)))
        .unwrap_or_else(|_| ("unknown".to_owned(), String::new()));
    match status.as_u16() {
        400 | 413 | 415 | 422 => BankError::Invalid(format!("{code}: {message}")),
        401 | 403 => BankError::Refused { reason: "unauthorized".into() },
        // Only the bank's own "no such …" means the thing is absent; a 404 for the path itself
        // means the URL is wrong, and must not read as "no such account".
        404 if code.starts_with("no_such_") => BankError::NotFound,
        409 if code == "account_closed" => BankError::Closed,
        409 => BankError::Refused { reason: code },
        429 | 500..=599 => BankError::Unavailable(format!("the bank answered {} {code}", status.as_u16())),
        _ => BankError::Protocol(format!("unexpected status {} {code}", status.as_u16())),
    }
}

/// A code as the bank's API writes them (`snake_case`); anything else is not repeated.
fn clean_code(code: &str) -> String {
    let ok = (1..=64).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if ok { code.to_owned() } else { "unknown".to_owned() }
}

fn clean_message(message: &str) -> String {
    message.chars().filter(|c| !c.is_control()).take(MAX_MESSAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_on_loopback_is_accepted() {
        for ok in ["http://127.0.0.1:9100", "http://localhost:9100/", "http://[::1]:9100"] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for bad in ["https://bank.example", "http://192.0.2.1:9100", "http://u:p@127.0.0.1", "ftp://127.0.0.1", "x"] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_404_for_the_path_itself_is_not_a_missing_account() {
        let answer = br#"{"error":{"code":"not_found","message":"no such endpoint"}}"#;
        assert!(matches!(error_answer(StatusCode::NOT_FOUND, answer), BankError::Protocol(_)));
        let answer = br#"{"error":{"code":"no_such_account","message":"no such account"}}"#;
        assert_eq!(error_answer(StatusCode::NOT_FOUND, answer), BankError::NotFound);
        assert!(matches!(error_answer(StatusCode::BAD_GATEWAY, b"<html>"), BankError::Unavailable(_)));
    }

    #[test]
    fn the_bank_s_words_are_cleaned_before_they_are_kept() {
        assert_eq!(clean_code("Bearer secret"), "unknown");
        assert_eq!(clean_message("a\u{7}b\nc"), "abc");
        assert_eq!(clean_message(&"x".repeat(500)).len(), MAX_MESSAGE_CHARS);
    }
}
