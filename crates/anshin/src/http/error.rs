//! The one error type of the HTTP layer and its JSON envelope:
//! `{"error": {"type", "code", "message", "param"?}}`, never a stack trace. The `message` is
//! written in English where the error is made, and put into the caller's language in one place,
//! when the envelope is rendered (`into_response`); `type` and `code` never change.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

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
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// invalid_request_error, idempotency_error, rate_limit_error or api_error.
    #[serde(rename = "type")]
    pub kind: String,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
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
        tracing::error!(error = %e, "database error");
        ApiError::internal()
    }
}

/// JSON body extractor whose rejections use the envelope.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query-string extractor whose rejections use the envelope.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
