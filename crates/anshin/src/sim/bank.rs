//! The simulated bank's HTTP API: one handler per endpoint, each taking the books' lock once,
//! deciding what fell due, and answering. The shapes are documented in docs/BANK-SIMULATOR.md.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;

use crate::sim::auth::{KeyDigest, require_key};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BankSimConfig;
use super::accounts::{Account, AccountAt, AccountStatus, AccountType, MAX_BALANCE_MINOR};
use super::books::{Books, Debit, DebitOrder, Decision, FileEntry, Refusal, Rejection};
use super::error::SimError;
use crate::storage::now_ms;

/// A JSON body is a few fields; anything bigger is not a request to this API.
const MAX_JSON_BYTES: usize = 16 * 1024;
/// A transfer file of about 8,500 records (122 bytes each with CR LF); Anshin sends one per
/// payout run, far smaller.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Requests worked on at once; more wait their turn (the books take one at a time anyway).
const MAX_IN_FLIGHT: usize = 64;
/// Ids a caller chooses, and names it sends, are refused past these lengths.
const MAX_ID_CHARS: usize = 64;
const MAX_NAME_CHARS: usize = 100;

struct Bank {
    books: Mutex<Books>,
}

impl Bank {
    /// The books, with whatever fell due decided. A poisoned lock means an invariant failed
    /// mid-change: every later request is refused rather than served from doubtful books.
    fn books(&self) -> Result<MutexGuard<'_, Books>, SimError> {
        let mut books = self.books.lock().map_err(|_| {
            SimError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the books failed a check; restart the simulator",
            )
        })?;
        books.settle(now_ms());
        Ok(books)
    }
}

pub(super) fn router(config: &BankSimConfig) -> Router {
    let confirm_delay_ms = i64::try_from(config.confirm_delay_ms).unwrap_or(i64::MAX);
    let bank = Arc::new(Bank { books: Mutex::new(Books::new(confirm_delay_ms, config.debit_limit_minor)) });
    // The route's own body limit is inside the router-wide one, so it wins for files.
    Router::new()
        .route("/v1/account-inquiries", post(inquire))
        .route("/v1/debits", post(submit_debit))
        .route("/v1/debits/{id}", get(debit_status))
        .route("/v1/transfer-files", post(submit_file).layer(DefaultBodyLimit::max(MAX_FILE_BYTES)))
        .route("/v1/transfer-files/{id}/result", get(file_result))
        .route("/v1/accounts/{bank}/{branch}/{number}", get(account))
        .route("/v1/test/accounts", post(add_account))
        .route("/v1/test/accounts/{bank}/{branch}/{number}/close", post(close_account))
        .fallback(|| async { SimError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            SimError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint takes another method")
        })
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(from_fn_with_state(KeyDigest::of(&config.api_key), require_key))
        .layer(tower::limit::ConcurrencyLimitLayer::new(MAX_IN_FLIGHT))
        .with_state(bank)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InquiryBody {
    bank_code: String,
    branch_code: String,
    account_type: AccountType,
    account_number: String,
}

async fn inquire(
    State(bank): State<Arc<Bank>>,
    body: Result<axum::Json<InquiryBody>, JsonRejection>,
) -> Result<Response, SimError> {
    let body = body?.0;
    let at = AccountAt::parse(&body.bank_code, &body.branch_code, &body.account_number)?;
    let books = bank.books()?;
    let account = books.inquire(&at, body.account_type)?;
    let answer = serde_json::json!({ "holder_name": account.holder_name, "status": account.status });
    Ok(axum::Json(answer).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DebitBody {
    debit_id: String,
    bank_code: String,
    branch_code: String,
    account_type: AccountType,
    account_number: String,
    amount_minor: i64,
    holder_name: String,
}

async fn submit_debit(
    State(bank): State<Arc<Bank>>,
    body: Result<axum::Json<DebitBody>, JsonRejection>,
) -> Result<Response, SimError> {
    let body = body?.0;
    check_id("debit_id", &body.debit_id)?;
    let at = AccountAt::parse(&body.bank_code, &body.branch_code, &body.account_number)?;
    if body.amount_minor < 1 || body.amount_minor > MAX_BALANCE_MINOR {
        return Err(SimError::invalid(format!("amount_minor must be 1 to {MAX_BALANCE_MINOR}")));
    }
    let name_chars = body.holder_name.trim().chars().count();
    if name_chars == 0 || name_chars > MAX_NAME_CHARS {
        return Err(SimError::invalid(format!("holder_name must be 1 to {MAX_NAME_CHARS} characters")));
    }
    let order = DebitOrder {
        at,
        account_type: body.account_type,
        amount_minor: body.amount_minor,
        holder_name: body.holder_name,
    };
    let mut books = bank.books()?;
    let (debit, _) = books.submit_debit(&body.debit_id, order, now_ms())?;
    Ok(debit_answer(debit))
}

async fn debit_status(State(bank): State<Arc<Bank>>, Path(id): Path<String>) -> Result<Response, SimError> {
    let books = bank.books()?;
    let debit = books.debit(&id).ok_or_else(|| SimError::not_found("no_such_debit", "no debit has this id"))?;
    Ok(debit_answer(debit))
}

#[derive(Serialize)]
struct DebitView<'a> {
    debit_id: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Refusal>,
    amount_minor: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    decided_at_ms: Option<i64>,
}

/// 202 while the debit is pending, 200 once it is decided.
fn debit_answer(debit: &Debit) -> Response {
    let (status, reason) = match debit.decision {
        Decision::Pending => ("pending", None),
        Decision::Confirmed => ("confirmed", None),
        Decision::Refused(reason) => ("refused", Some(reason)),
    };
    let view = DebitView {
        debit_id: &debit.id,
        status,
        reason,
        amount_minor: debit.order.amount_minor,
        decided_at_ms: debit.decided_at_ms(),
    };
    let code = if debit.decision == Decision::Pending { StatusCode::ACCEPTED } else { StatusCode::OK };
    (code, axum::Json(view)).into_response()
}

async fn submit_file(
    State(bank): State<Arc<Bank>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, SimError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/octet-stream") {
        return Err(SimError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the Zengin file as application/octet-stream",
        ));
    }
    let bytes = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => SimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            format!("a transfer file is at most {MAX_FILE_BYTES} bytes here"),
        ),
        _ => SimError::invalid(rejection.body_text()),
    })?;
    // Named by its bytes: the same file sent again is found, never paid again.
    let id = format!("tf_{}", &hex::encode(Sha256::digest(&bytes))[..32]);
    let file =
        zengin::parse(&bytes).map_err(|e| SimError::new(StatusCode::BAD_REQUEST, "invalid_file", e.to_string()))?;
    let mut books = bank.books()?;
    let (entry, _) = books.submit_file(&id, file, now_ms())?;
    let decided = entry.results.is_some();
    let answer = serde_json::json!({
        "file_id": entry.id,
        "records": entry.file.records.len(),
        "total_minor": entry.total_minor(),
        "status": if decided { "decided" } else { "pending" },
    });
    Ok((if decided { StatusCode::OK } else { StatusCode::ACCEPTED }, axum::Json(answer)).into_response())
}

async fn file_result(State(bank): State<Arc<Bank>>, Path(id): Path<String>) -> Result<Response, SimError> {
    let result = {
        let books = bank.books()?;
        let entry =
            books.file(&id).ok_or_else(|| SimError::not_found("no_such_file", "no transfer file has this id"))?;
        match result_file(entry) {
            Some(result) => result,
            None => {
                let answer = serde_json::json!({ "file_id": entry.id, "status": "pending" });
                return Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response());
            }
        }
    };
    // Encoded outside the lock: a large file must not hold up every other request.
    let bytes = zengin::encode_result(&result).map_err(|e| {
        tracing::error!(error = %e, "a decided file could not be written back");
        SimError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "the result file could not be written")
    })?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

fn result_file(entry: &FileEntry) -> Option<zengin::ResultFile> {
    let results = entry.results.as_ref()?;
    let records = entry
        .file
        .records
        .iter()
        .zip(results)
        .map(|(transfer, &result)| zengin::ResultRecord { transfer: transfer.clone(), result })
        .collect();
    Some(zengin::ResultFile { header: entry.file.header.clone(), records })
}

#[derive(Serialize)]
struct AccountView<'a> {
    bank_code: &'a str,
    branch_code: &'a str,
    account_type: AccountType,
    account_number: &'a str,
    holder_name: &'a str,
    balance_minor: i64,
    status: AccountStatus,
}

impl<'a> From<&'a Account> for AccountView<'a> {
    fn from(a: &'a Account) -> Self {
        AccountView {
            bank_code: &a.at.bank_code,
            branch_code: &a.at.branch_code,
            account_type: a.account_type,
            account_number: &a.at.account_number,
            holder_name: &a.holder_name,
            balance_minor: a.balance_minor,
            status: a.status,
        }
    }
}

async fn account(
    State(bank): State<Arc<Bank>>,
    Path((bank_code, branch_code, number)): Path<(String, String, String)>,
) -> Result<Response, SimError> {
    let at = AccountAt::parse(&bank_code, &branch_code, &number)?;
    let books = bank.books()?;
    let account = books.account(&at).ok_or(Rejection::NoSuchAccount)?;
    Ok(axum::Json(AccountView::from(account)).into_response())
}

async fn close_account(
    State(bank): State<Arc<Bank>>,
    Path((bank_code, branch_code, number)): Path<(String, String, String)>,
) -> Result<Response, SimError> {
    let at = AccountAt::parse(&bank_code, &branch_code, &number)?;
    let mut books = bank.books()?;
    Ok(axum::Json(AccountView::from(books.close_account(&at)?)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccountBody {
    bank_code: String,
    branch_code: String,
    account_type: AccountType,
    account_number: String,
    holder_name: String,
    #[serde(default)]
    balance_minor: i64,
    #[serde(default = "open")]
    status: AccountStatus,
}

fn open() -> AccountStatus {
    AccountStatus::Open
}

async fn add_account(
    State(bank): State<Arc<Bank>>,
    body: Result<axum::Json<NewAccountBody>, JsonRejection>,
) -> Result<Response, SimError> {
    let body = body?.0;
    let at = AccountAt::parse(&body.bank_code, &body.branch_code, &body.account_number)?;
    // Kept in Zengin form, which is what an inquiry answers.
    let holder_name = zengin::holder_name(&body.holder_name)
        .map_err(|e| SimError::new(StatusCode::BAD_REQUEST, "invalid_holder_name", e.to_string()))?;
    if !(0..=MAX_BALANCE_MINOR).contains(&body.balance_minor) {
        return Err(SimError::invalid(format!("balance_minor must be 0 to {MAX_BALANCE_MINOR}")));
    }
    let account = Account {
        at,
        account_type: body.account_type,
        holder_name: holder_name.as_str().to_owned(),
        balance_minor: body.balance_minor,
        status: body.status,
    };
    let mut books = bank.books()?;
    let account = books.add_account(account)?;
    Ok((StatusCode::CREATED, axum::Json(AccountView::from(account))).into_response())
}

fn check_id(field: &str, id: &str) -> Result<(), SimError> {
    let ok = (1..=MAX_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(()).ok_or_else(|| SimError::invalid(format!("{field} must be 1 to {MAX_ID_CHARS} of A-Z a-z 0-9 - _")))
}
