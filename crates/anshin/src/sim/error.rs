//! The simulated bank's one error shape, `{"error": {"code", "message"}}`, and why each refusal
//! has its status.

use axum::extract::rejection::JsonRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::accounts::PlaceError;
use super::books::Rejection;

/// `{"error": {"code", "message"}}` with its status, the shape every answer but a success has.
#[derive(Debug)]
pub struct SimError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl SimError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> SimError {
        SimError { status, code, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> SimError {
        SimError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn not_found(code: &'static str, message: &str) -> SimError {
        SimError::new(StatusCode::NOT_FOUND, code, message)
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<JsonRejection> for SimError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => SimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send JSON with Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                SimError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the body is too large")
            }
            other => SimError::invalid(other.body_text()),
        }
    }
}

impl From<PlaceError> for SimError {
    fn from(e: PlaceError) -> Self {
        match e {
            PlaceError::UnknownBranch(message) => SimError::new(StatusCode::BAD_REQUEST, "unknown_branch", message),
            PlaceError::Malformed(message) => SimError::invalid(message),
        }
    }
}

impl From<Rejection> for SimError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::NoSuchAccount => SimError::not_found("no_such_account", "no such account"),
            Rejection::AccountClosed => SimError::new(StatusCode::CONFLICT, "account_closed", "the account is closed"),
            Rejection::AccountExists => {
                SimError::new(StatusCode::CONFLICT, "account_exists", "an account already has this number")
            }
            Rejection::DebitIdReused => SimError::new(
                StatusCode::CONFLICT,
                "debit_id_reused",
                "this debit_id was used for a different debit; choose a new id",
            ),
            Rejection::Full(what) => SimError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "capacity_reached",
                format!("the simulator keeps no more {what}; restart it"),
            ),
        }
    }
}
