//! Identity endpoints. Handlers only parse, call `Identity` and map the result; the flows and
//! their rules live in `crate::identity`. Split by flow: `signin` (registration, sign-in, lock,
//! unlock, reset), `account` (the signed-in user's own account), `ops` (operators), `kyc`
//! (identity verification and its review).

pub(super) mod account;
pub(super) mod kyc;
pub(super) mod ops;
pub(super) mod signin;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use super::AppState;
use super::client::client_of;
use super::error::ApiError;
use crate::identity::password::PasswordProblem;
use crate::identity::{Client, Factor, Identity, IdentityError, Principal};

pub fn routes() -> Router<AppState> {
    signin::routes().merge(account::routes()).merge(ops::routes()).merge(kyc::routes())
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        let auth =
            |code, message: String| ApiError::new(StatusCode::UNAUTHORIZED, "authentication_error", code, message);
        match e {
            IdentityError::Invalid { code, message, param } => ApiError::invalid(code, message).param(param),
            IdentityError::Password(p) => {
                let e = ApiError::invalid(p.code(), format!("Choose another password: {p}.")).param("password");
                match p {
                    PasswordProblem::TooShort { min } => e.arg("min", i64::try_from(min).unwrap_or(i64::MAX)),
                    PasswordProblem::TooLong { max } => e.arg("max", i64::try_from(max).unwrap_or(i64::MAX)),
                    _ => e,
                }
            }
            IdentityError::LoginFailed => auth(
                "login_failed",
                "The e-mail address or password is wrong, or the account cannot sign in right now. Try again later, or reset your password.".into(),
            ),
            IdentityError::CodeRejected { attempts_left } => {
                auth("code_rejected", format!("That code is not right. Attempts left: {attempts_left}."))
                    .arg("attempts", attempts_left)
            }
            IdentityError::CodeDead => {
                auth("code_expired", "That code has expired or was used up. Start again to get a new one.".into())
            }
            IdentityError::Unauthenticated => auth("not_signed_in", "Sign in first.".into()),
            IdentityError::StepUpRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                "authentication_error",
                "step_up_required",
                "For this, confirm it is you with a second factor first (POST /v1/me/step-up with this action).",
            ),
            IdentityError::Throttled { retry_after_secs } => {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "too_many_attempts",
                    "Too many attempts. Try again after the number of seconds in Retry-After.",
                );
                e.retry_after_secs = Some(u64::try_from(retry_after_secs).unwrap_or(60).max(1));
                e
            }
            IdentityError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "invalid_request_error", "conflict", message)
            }
            IdentityError::Busy => ApiError::hashing_busy(),
            IdentityError::Unavailable => ApiError::overloaded(),
            IdentityError::NotVerified => ApiError::new(
                StatusCode::FORBIDDEN,
                "permission_error",
                "identity_not_verified",
                "Verify your identity first (POST /v1/me/identity-verifications): sending and withdrawing need it.",
            ),
            IdentityError::EkycUnavailable => {
                let mut e = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "api_error",
                    "ekyc_unavailable",
                    "The identity checker cannot be reached now (or this server has none configured); try again later.",
                );
                e.retry_after_secs = Some(30);
                e
            }
            IdentityError::NotFound => ApiError::not_found(),
            IdentityError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "permission_error", "forbidden", "You may not do this.")
            }
            IdentityError::Internal(m) => {
                tracing::error!(error = %m, "identity error");
                ApiError::internal()
            }
        }
    }
}

fn identity(state: &AppState) -> Result<&Identity, ApiError> {
    state.identity.as_ref().ok_or_else(ApiError::not_found)
}

fn parse_factor(s: &str) -> Result<Factor, ApiError> {
    Factor::parse(s).ok_or_else(|| {
        ApiError::invalid("factor_invalid", "factor must be totp, sms, recovery_code, passkey or email").param("factor")
    })
}

/// The factors a sign-in or step-up accepts (for the schema: bodies keep the string, which
/// `parse_factor` reads, so an unknown name is `factor_invalid` with `param: factor`). A lock
/// also accepts `email` (the schema uses `Factor` there).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum SignInFactor {
    Passkey,
    Totp,
    Sms,
    RecoveryCode,
}

/// The factors a password reset accepts (for the schema, as `SignInFactor`).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ResetFactor {
    Sms,
    Totp,
    RecoveryCode,
}

/// The contacts a user can change (for the schema, as `SignInFactor`).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ContactChannel {
    Email,
    Phone,
}

/// The factor's proof as one string: the code, or a passkey answer as JSON.
fn proof_of(code: &str, passkey: Option<&serde_json::Value>) -> String {
    passkey.map(|p| p.to_string()).unwrap_or_else(|| code.to_owned())
}

/// Who is calling, from where (see `http::client`).
pub struct Caller(pub Client);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Caller(client_of(parts, state)))
    }
}

/// A signed-in caller with a full session, from `Authorization: Bearer <token>`.
pub struct SignedIn(pub Principal);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let AnySession(who) = AnySession::from_request_parts(parts, state).await?;
        if !who.is_full() {
            let client = client_of(parts, state);
            identity(state)?.denied(&who, parts.uri.path(), &client).await;
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "authentication_error",
                "enrolment_required",
                "Set up an authenticator app or a passkey first (POST /v1/me/factors/totp).",
            ));
        }
        Ok(SignedIn(who))
    }
}

/// Any live session, including an enrolment-only one (for the few endpoints that set up a factor).
pub struct AnySession(pub Principal);

impl FromRequestParts<AppState> for AnySession {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(IdentityError::Unauthenticated)?;
        Ok(AnySession(identity(state)?.authenticate(token).await?))
    }
}

/// The bearer token of a request, if it has a plausible one.
pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_token(&parts.headers)
}

/// `Authorization: Bearer <token>`, if the headers carry a plausible one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| !t.is_empty() && t.len() <= 128)
}
