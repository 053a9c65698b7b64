//! The one error type of the HTTP layer and its JSON envelope:
//! `{"error": {"type", "code", "message", "param"?}}`, never a stack trace. The `message` is
//! written in English where the error is made, and put into the caller's language in one place,
//! when the envelope is rendered (`into_response`); `type` and `code` never change.

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long a client should wait after a database outage answer before trying again.
const DATABASE_RETRY_AFTER_SECS: u64 = 5;

use crate::i18n::{self, Locale};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
    pub param: Option<String>,
    pub retry_after_secs: Option<u64>,
    /// Numbers the message mentions, for its translations (`attempts`, `min`, `max`). Boxed:
    /// nearly every error has none, and the error travels in every handler's `Result`.
    pub args: Box<[(&'static str, i64)]>,
    /// Answer only after a pause (see `middleware::pace_refusals`).
    pub paced: bool,
}

/// Marks a response `middleware::pace_refusals` holds back before sending.
#[derive(Clone, Copy)]
pub struct Paced;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    #[schema(value_type = ErrorKind)]
    pub kind: String,
    /// What happened, for programs: stable, never translated.
    pub code: String,
    /// What happened, for people, in the caller's language (`Accept-Language`).
    pub message: String,
    /// The field or parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub param: Option<String>,
}

/// The kinds of error (the envelope's `type`), for the schema.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ErrorKind {
    InvalidRequestError,
    AuthenticationError,
    PermissionError,
    IdempotencyError,
    RateLimitError,
    /// A payment, refund or code was refused (a decline, a code that cannot pay).
    PaymentError,
    ApiError,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// A page size from the query: `default` when absent, else 1 to `max`, refused with the limit
/// named (`limit_invalid`, whose catalog message says the `max`).
pub fn page_limit(limit: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid("limit_invalid", format!("limit must be between 1 and {max}"))
            .param("limit")
            .arg("max", max)),
    }
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            code,
            message: message.into(),
            param: None,
            retry_after_secs: None,
            args: Box::new([]),
            paced: false,
        }
    }
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", code, message)
    }
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }
    /// A number the message mentions, by the name its catalog entry uses.
    pub fn arg(mut self, name: &'static str, value: i64) -> Self {
        let mut args = std::mem::take(&mut self.args).into_vec();
        args.push((name, value));
        self.args = args.into_boxed_slice();
        self
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "invalid_request_error", "resource_missing", "No such resource.")
    }
    pub fn overloaded() -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "api_error",
            "overloaded",
            "The service is busy. Retry after the number of seconds in Retry-After.",
        );
        e.retry_after_secs = Some(1);
        e
    }
    /// The password-hashing line is full. Paced: a client that retries at once without reading
    /// Retry-After still retries at most once per pause on each connection, so a crowd of them
    /// cannot spin the cores the line exists to protect.
    pub fn hashing_busy() -> Self {
        ApiError { paced: true, ..Self::overloaded() }
    }
    /// The database is down, unreachable or out of space: nothing is wrong with the request.
    pub fn unavailable() -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "api_error",
            "service_unavailable",
            "The service cannot reach its storage right now. Retry after the number of seconds in Retry-After.",
        );
        e.retry_after_secs = Some(DATABASE_RETRY_AFTER_SECS);
        e
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "internal_error",
            "Something went wrong on our side. It has been logged.",
        )
    }

    /// The envelope for a bare status produced outside our handlers (router 404/405, limits).
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::not_found(),
            StatusCode::METHOD_NOT_ALLOWED => Self::new(
                status,
                "invalid_request_error",
                "method_not_allowed",
                "This endpoint does not accept that HTTP method.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                status,
                "invalid_request_error",
                "payload_too_large",
                "The request body is larger than this server accepts.",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::new(
                status,
                "invalid_request_error",
                "unsupported_media_type",
                "Send the request body as application/json.",
            ),
            StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => Self::overloaded(),
            s if s.is_client_error() => {
                Self::new(s, "invalid_request_error", "bad_request", "The request could not be understood.")
            }
            _ => Self::internal(),
        }
    }

    /// The envelope, with the message in English as written.
    pub fn body(&self) -> ErrorEnvelope {
        self.body_in(Locale::En)
    }

    /// The envelope with the message in `locale` (see `i18n::localized_api_message`).
    pub fn body_in(&self, locale: Locale) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorBody {
                kind: self.kind.into(),
                code: self.code.into(),
                message: i18n::localized_api_message(locale, self.code, &self.message, &self.args),
                param: self.param.clone(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    /// In the caller's language (`Accept-Language`; English when none is sent).
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body_in(super::lang::api_locale()))).into_response();
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.paced {
            response.extensions_mut().insert(Paced);
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            JsonRejection::JsonSyntaxError(_) => {
                ApiError::invalid("body_not_json", "The request body is not valid JSON.")
            }
            // serde's message names the field and what was expected; it never echoes secrets back.
            JsonRejection::JsonDataError(e) => ApiError::invalid("body_invalid", e.body_text()),
            JsonRejection::BytesRejection(_) => ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE),
            _ => ApiError::invalid("body_invalid", "The request body could not be read."),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::invalid("query_invalid", rejection.body_text())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if crate::storage::is_unavailable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            return ApiError::unavailable();
        }
        tracing::error!(error = %e, "database error");
        ApiError::internal()
    }
}

/// JSON body extractor whose rejections use the envelope. A NUL character (`\u0000`) in any
/// string or object key is refused: PostgreSQL cannot store it in text (SQLite can), so it is
/// refused here for both engines rather than failing at the database with a 500.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (req, bytes) = buffered(req, state).await.map_err(|r| ApiError::for_status(r.status()))?;
        let result = axum::Json::<T>::from_request(req, state).await;
        // Checked whenever the body is JSON at all, so a NUL key that also breaks the type is
        // still reported as the NUL it is.
        let well_formed = matches!(&result, Ok(_) | Err(JsonRejection::JsonDataError(_)));
        if well_formed && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| json_has_nul(&v)) {
            return Err(nul_refused("a JSON string or key (\\u0000)"));
        }
        Ok(Json(result?.0))
    }
}

fn json_has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// The refusal of a NUL character wherever it arrives (path, query, JSON body).
pub fn nul_refused(place: &str) -> ApiError {
    ApiError::invalid("nul_byte", format!("The request contains a NUL character in {place}, which is not allowed."))
}

/// Read the whole body (within the body limit) and hand back a request that carries it again,
/// so it can be checked as well as given to axum's own extractor.
pub(crate) async fn buffered<S: Send + Sync>(req: Request, state: &S) -> Result<(Request, Bytes), BytesRejection> {
    let (parts, body) = req.into_parts();
    let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state).await?;
    Ok((Request::from_parts(parts, Body::from(bytes.clone())), bytes))
}

/// Form extractor for the pages: axum's `Form`, except that a NUL character in any field name or
/// value is refused with a 400 page (the other rejections are axum's, as before).
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let (req, bytes) = buffered(req, state).await.map_err(IntoResponse::into_response)?;
        let axum::Form(value) = axum::Form::<T>::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        // A GET form comes from the query string, which the NUL middleware has already checked.
        if form_urlencoded::parse(&bytes).any(|(k, v)| k.contains('\0') || v.contains('\0')) {
            return Err(super::pages::problem_page(
                StatusCode::BAD_REQUEST,
                "Please check the form",
                "The form contains a character that cannot be used (NUL). Remove it and send the form again.",
            ));
        }
        Ok(Form(value))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query-string extractor whose rejections use the envelope.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
