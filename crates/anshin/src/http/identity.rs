//! Identity endpoints: registration, sign-in with a second factor, sessions, TOTP enrolment.
//! Handlers only parse, call `Identity` and map the result.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, ErrorEnvelope, Json};
use super::middleware::RequestId;
use crate::identity::passkeys::PasskeyOptions;
use crate::identity::password::PasswordProblem;
use crate::identity::service::{
    Client, Factor, LoginChallenge, NewRegistration, Principal, Profile, Purpose, RecoveryCodes, RegistrationStarted,
    ResetRequested, SessionCreated, SessionInfo, SteppedUp, TotpEnrolment,
};
use crate::identity::{Identity, IdentityError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/registrations", post(register))
        .route("/v1/registrations/verification", post(verify_registration))
        .route("/v1/sessions", post(login))
        .route("/v1/sessions/challenges/{id}/sms", post(send_login_sms))
        .route("/v1/sessions/challenges/{id}", post(complete_login))
        .route("/v1/sessions/challenges/{id}/enrolment", post(enrolment_session))
        .route("/v1/sessions/challenges/{id}/passkey", post(passkey_options))
        .route("/v1/me/factors/passkeys", post(start_passkey))
        .route("/v1/me/factors/passkeys/{id}", post(finish_passkey))
        .route("/v1/sessions/current", delete(logout))
        .route("/v1/me/password", post(change_password))
        .route("/v1/me/factors/totp", delete(remove_totp))
        .route("/v1/me/contacts", post(start_contact_change))
        .route("/v1/me/contacts/confirmation", post(confirm_contact_change))
        .route("/v1/ops/users/{id}/sessions/revocation", post(ops_revoke_sessions))
        .route("/v1/ops/users/{id}/unlock", post(ops_unlock))
        .route("/v1/me", get(me))
        .route("/v1/me/sessions", get(my_sessions))
        .route("/v1/me/sessions/{id}", delete(revoke_session))
        .route("/v1/me/factors/totp", post(start_totp))
        .route("/v1/me/factors/totp/confirmation", post(confirm_totp))
        .route("/v1/me/step-up", post(start_step_up))
        .route("/v1/me/step-up/{id}", post(complete_step_up))
        .route("/v1/password-resets", post(request_reset))
        .route("/v1/password-resets/sms", post(send_reset_sms))
        .route("/v1/password-resets/confirmation", post(complete_reset))
        .route("/v1/account/lock", post(start_lock))
        .route("/v1/account/lock/{id}", post(complete_lock))
        .route("/v1/account/unlock", post(start_unlock))
        .route("/v1/account/unlock/{id}", post(complete_unlock))
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        let bad = |code, message: String| ApiError::invalid(code, message);
        match e {
            IdentityError::Invalid { code, message, param } => bad(code, message).param(param),
            IdentityError::Password(p) => {
                let e = bad(p.code(), format!("Choose another password: {p}.")).param("password");
                match p {
                    PasswordProblem::TooShort { min } => e.arg("min", i64::try_from(min).unwrap_or(i64::MAX)),
                    PasswordProblem::TooLong { max } => e.arg("max", i64::try_from(max).unwrap_or(i64::MAX)),
                    _ => e,
                }
            }
            IdentityError::LoginFailed => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "login_failed",
                "The e-mail address or password is wrong, or the account cannot sign in right now. Try again later, or reset your password.",
            ),
            IdentityError::CodeRejected { attempts_left } => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "code_rejected",
                format!("That code is not right. Attempts left: {attempts_left}."),
            )
            .arg("attempts", attempts_left),
            IdentityError::CodeDead => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "code_expired",
                "That code has expired or was used up. Start again to get a new one.",
            ),
            IdentityError::Unauthenticated => {
                ApiError::new(StatusCode::UNAUTHORIZED, "authentication_error", "not_signed_in", "Sign in first.")
            }
            IdentityError::StepUpRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                "authentication_error",
                "step_up_required",
                "For this, confirm it is you with a second factor: sign in again.",
            ),
            IdentityError::Throttled { retry_after_secs } => {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "too_many_attempts",
                    "Too many attempts. Try again later.",
                );
                e.retry_after_secs = Some(u64::try_from(retry_after_secs).unwrap_or(60));
                e
            }
            IdentityError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "invalid_request_error", "conflict", message)
            }
            IdentityError::Busy => ApiError::overloaded(),
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

/// Who is calling, from where. The address is the TCP peer (no proxy headers are trusted yet).
pub struct Caller(pub Client);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_canonical().to_string())
            .unwrap_or_default();
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
        let device = parts
            .headers
            .get("x-device-id")
            .and_then(|v| v.to_str().ok())
            .filter(|d| {
                !d.is_empty() && d.len() <= 64 && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .map(str::to_owned);
        Ok(Caller(Client { ip, user_agent, request_id, device }))
    }
}

/// A signed-in caller with a full session, from `Authorization: Bearer <token>`.
pub struct SignedIn(pub Principal);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let AnySession(who) = AnySession::from_request_parts(parts, state).await?;
        if !who.is_full() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "authentication_error",
                "enrolment_required",
                "Set up an authenticator app first (POST /v1/me/factors/totp).",
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
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(IdentityError::Unauthenticated)?;
        Ok(AnySession(identity(state)?.authenticate(token).await?))
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    pub email: String,
    /// Mobile number with country code, e.g. +81 90 1234 5678.
    pub phone: String,
    /// At least 8 characters, any Unicode; common, guessable and personal passwords are refused.
    pub password: String,
    pub legal_name: String,
    /// YYYY-MM-DD. Required; never defaulted.
    pub date_of_birth: String,
}

/// Start registering: a code goes to the e-mail address and one to the phone. The answer is the
/// same whether or not the address already has an account.
#[utoipa::path(post, path = "/v1/registrations", tag = "identity", request_body = RegisterBody,
    responses((status = 202, body = RegistrationStarted), (status = 400, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn register(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<RegisterBody>,
) -> Result<impl IntoResponse, ApiError> {
    let input = NewRegistration {
        email: b.email,
        phone: b.phone,
        password: b.password,
        legal_name: b.legal_name,
        date_of_birth: b.date_of_birth,
    };
    Ok((StatusCode::ACCEPTED, Json(identity(&state)?.register(input, &client).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRegistrationBody {
    pub email: String,
    pub email_code: String,
    pub sms_code: String,
}

/// Finish registering with both codes; returns a session.
#[utoipa::path(post, path = "/v1/registrations/verification", tag = "identity", request_body = VerifyRegistrationBody,
    responses((status = 201, body = SessionCreated), (status = 401, body = ErrorEnvelope)))]
pub async fn verify_registration(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<VerifyRegistrationBody>,
) -> Result<impl IntoResponse, ApiError> {
    let session = identity(&state)?.verify_registration(&b.email, &b.email_code, &b.sms_code, &client).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

/// Sign in, first step: a correct password opens a challenge for a second factor. Wrong
/// password and unknown account get the same answer.
#[utoipa::path(post, path = "/v1/sessions", tag = "identity", request_body = LoginBody,
    responses((status = 200, body = LoginChallenge), (status = 401, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn login(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<LoginBody>,
) -> Result<Json<LoginChallenge>, ApiError> {
    Ok(Json(identity(&state)?.login(&b.email, &b.password, &client).await?))
}

/// Send a sign-in code by SMS to the account's verified phone.
#[utoipa::path(post, path = "/v1/sessions/challenges/{id}/sms", tag = "identity",
    responses((status = 202), (status = 401, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn send_login_sms(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.send_challenge_sms(&id, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteLoginBody {
    /// `totp`, `sms`, `recovery_code` or `passkey`.
    pub factor: String,
    /// The code (not used for `passkey`).
    #[serde(default)]
    pub code: String,
    /// For `passkey`: `{"state_id": …, "credential": <PublicKeyCredential>}`.
    #[schema(value_type = Option<Object>)]
    pub passkey: Option<serde_json::Value>,
    /// The `device_token` from an earlier sign-in on this device, if any.
    pub device_token: Option<String>,
}

/// Sign in, second step: a factor completes the challenge and opens a session.
#[utoipa::path(post, path = "/v1/sessions/challenges/{id}", tag = "identity", request_body = CompleteLoginBody,
    responses((status = 201, body = SessionCreated), (status = 401, body = ErrorEnvelope)))]
pub async fn complete_login(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
    Json(b): Json<CompleteLoginBody>,
) -> Result<impl IntoResponse, ApiError> {
    let factor = Factor::parse(&b.factor).ok_or_else(|| {
        ApiError::invalid("factor_invalid", "factor must be totp, sms, recovery_code or passkey").param("factor")
    })?;
    let session = identity(&state)?
        .complete_login(&id, factor, &proof_of(&b.code, b.passkey.as_ref()), b.device_token.as_deref(), &client)
        .await?;
    Ok((StatusCode::CREATED, Json(session)))
}

#[utoipa::path(delete, path = "/v1/sessions/current", tag = "identity", responses((status = 204), (status = 401, body = ErrorEnvelope)))]
pub async fn logout(
    State(state): State<AppState>,
    Caller(client): Caller,
    AnySession(who): AnySession,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.logout(&who, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/me", tag = "identity", responses((status = 200, body = Profile), (status = 401, body = ErrorEnvelope)))]
pub async fn me(State(state): State<AppState>, AnySession(who): AnySession) -> Result<Json<Profile>, ApiError> {
    Ok(Json(identity(&state)?.profile(&who).await?))
}

#[utoipa::path(get, path = "/v1/me/sessions", tag = "identity", responses((status = 200, body = Vec<SessionInfo>), (status = 401, body = ErrorEnvelope)))]
pub async fn my_sessions(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    Ok(Json(identity(&state)?.sessions(&who).await?))
}

#[utoipa::path(delete, path = "/v1/me/sessions/{id}", tag = "identity", responses((status = 204), (status = 400, body = ErrorEnvelope)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.revoke(&who, &id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Begin adding an authenticator app (needs a recent sign-in).
#[utoipa::path(post, path = "/v1/me/factors/totp", tag = "identity",
    responses((status = 201, body = TotpEnrolment), (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn start_totp(
    State(state): State<AppState>,
    AnySession(who): AnySession,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(identity(&state)?.start_totp(&who).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTotpBody {
    pub code: String,
}

/// Confirm the authenticator app with a code from it; returns ten recovery codes, shown once.
#[utoipa::path(post, path = "/v1/me/factors/totp/confirmation", tag = "identity", request_body = ConfirmTotpBody,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    Caller(client): Caller,
    AnySession(who): AnySession,
    Json(b): Json<ConfirmTotpBody>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    Ok(Json(identity(&state)?.confirm_totp(&who, &b.code, &client).await?))
}

fn parse_factor(s: &str) -> Result<Factor, ApiError> {
    Factor::parse(s).ok_or_else(|| {
        ApiError::invalid("factor_invalid", "factor must be totp, sms, recovery_code or passkey").param("factor")
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    /// The account's address. The key is sent to the address verified on the account, never
    /// to one given here, and no other field is accepted.
    pub email: String,
}

/// Ask for a password reset. Same answer whether or not the account exists.
#[utoipa::path(post, path = "/v1/password-resets", tag = "identity", request_body = ResetBody,
    responses((status = 202, body = ResetRequested), (status = 400, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn request_reset(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<ResetBody>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::ACCEPTED, Json(identity(&state)?.request_password_reset(&b.email, &client).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetTokenBody {
    /// The key from the reset e-mail.
    pub token: String,
}

/// Send the reset's code by SMS to the account's verified phone.
#[utoipa::path(post, path = "/v1/password-resets/sms", tag = "identity", request_body = ResetTokenBody,
    responses((status = 202), (status = 401, body = ErrorEnvelope)))]
pub async fn send_reset_sms(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<ResetTokenBody>,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.send_reset_sms(&b.token, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteResetBody {
    pub token: String,
    pub new_password: String,
    /// `sms`, `totp` or `recovery_code`: a reset always needs a second factor.
    pub factor: String,
    pub code: String,
}

/// Set a new password with the e-mailed key and a second factor; every session ends.
#[utoipa::path(post, path = "/v1/password-resets/confirmation", tag = "identity", request_body = CompleteResetBody,
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)))]
pub async fn complete_reset(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<CompleteResetBody>,
) -> Result<StatusCode, ApiError> {
    let factor = parse_factor(&b.factor)?;
    identity(&state)?.complete_password_reset(&b.token, &b.new_password, factor, &b.code, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lock the account (a lost phone), first step: the password opens a challenge. Codes by SMS
/// come from `POST /v1/sessions/challenges/{id}/sms`.
#[utoipa::path(post, path = "/v1/account/lock", tag = "identity", request_body = LoginBody,
    responses((status = 200, body = LoginChallenge), (status = 401, body = ErrorEnvelope)))]
pub async fn start_lock(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<LoginBody>,
) -> Result<Json<LoginChallenge>, ApiError> {
    Ok(Json(identity(&state)?.start_challenge(&b.email, &b.password, Purpose::Lock, &client).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactorBody {
    pub factor: String,
    pub code: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AccountStatus {
    pub status: &'static str,
}

/// Lock the account with one second factor (or a recovery code): all sessions end.
#[utoipa::path(post, path = "/v1/account/lock/{id}", tag = "identity", request_body = FactorBody,
    responses((status = 200, body = AccountStatus), (status = 401, body = ErrorEnvelope)))]
pub async fn complete_lock(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
    Json(b): Json<FactorBody>,
) -> Result<Json<AccountStatus>, ApiError> {
    identity(&state)?.lock(&id, parse_factor(&b.factor)?, &b.code, &client).await?;
    Ok(Json(AccountStatus { status: "locked" }))
}

/// Unlock, first step: the password of the locked account opens a challenge.
#[utoipa::path(post, path = "/v1/account/unlock", tag = "identity", request_body = LoginBody,
    responses((status = 200, body = LoginChallenge), (status = 401, body = ErrorEnvelope)))]
pub async fn start_unlock(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<LoginBody>,
) -> Result<Json<LoginChallenge>, ApiError> {
    Ok(Json(identity(&state)?.start_challenge(&b.email, &b.password, Purpose::Unlock, &client).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockBody {
    /// Two different second factors.
    pub factors: Vec<FactorBody>,
}

/// Unlock with two different second factors.
#[utoipa::path(post, path = "/v1/account/unlock/{id}", tag = "identity", request_body = UnlockBody,
    responses((status = 200, body = AccountStatus), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)))]
pub async fn complete_unlock(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
    Json(b): Json<UnlockBody>,
) -> Result<Json<AccountStatus>, ApiError> {
    if b.factors.len() != 2 {
        return Err(
            ApiError::invalid("two_factors_required", "give exactly two different second factors").param("factors")
        );
    }
    let proofs = b
        .factors
        .iter()
        .map(|f| Ok((parse_factor(&f.factor)?, f.code.clone())))
        .collect::<Result<Vec<_>, ApiError>>()?;
    identity(&state)?.unlock(&id, &proofs, &client).await?;
    Ok(Json(AccountStatus { status: "active" }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpBody {
    /// What the factor is for, e.g. `add_card` or `transfer:trf_123`.
    pub action: String,
}

/// Ask for a second factor before a sensitive action; SMS codes come from
/// `POST /v1/sessions/challenges/{id}/sms`.
#[utoipa::path(post, path = "/v1/me/step-up", tag = "identity", request_body = StepUpBody,
    responses((status = 200, body = LoginChallenge), (status = 401, body = ErrorEnvelope)))]
pub async fn start_step_up(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<StepUpBody>,
) -> Result<Json<LoginChallenge>, ApiError> {
    Ok(Json(identity(&state)?.start_step_up(&who, &b.action, &client).await?))
}

/// Give the factor; the session's token is reissued and counts as freshly authenticated.
#[utoipa::path(post, path = "/v1/me/step-up/{id}", tag = "identity", request_body = FactorBody,
    responses((status = 200, body = SteppedUp), (status = 401, body = ErrorEnvelope)))]
pub async fn complete_step_up(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<FactorBody>,
) -> Result<Json<SteppedUp>, ApiError> {
    Ok(Json(identity(&state)?.complete_step_up(&who, &id, parse_factor(&b.factor)?, &b.code, &client).await?))
}

/// Staff and operators without a factor: after the password, a session that can only set up an
/// authenticator app (`enrolment_required` in the sign-in answer).
#[utoipa::path(post, path = "/v1/sessions/challenges/{id}/enrolment", tag = "identity",
    responses((status = 201, body = SessionCreated), (status = 401, body = ErrorEnvelope)))]
pub async fn enrolment_session(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(identity(&state)?.enrolment_session(&id, &client).await?)))
}

/// The factor's proof as one string: the code, or a passkey answer as JSON.
fn proof_of(code: &str, passkey: Option<&serde_json::Value>) -> String {
    passkey.map(|p| p.to_string()).unwrap_or_else(|| code.to_owned())
}

/// WebAuthn options for answering a sign-in (or lock, unlock, step-up) challenge with a passkey.
#[utoipa::path(post, path = "/v1/sessions/challenges/{id}/passkey", tag = "identity",
    responses((status = 200, body = PasskeyOptions), (status = 401, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn passkey_options(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PasskeyOptions>, ApiError> {
    Ok(Json(identity(&state)?.passkey_options(&id).await?))
}

/// Begin adding a passkey (needs a recent sign-in); answer with `navigator.credentials.create()`.
#[utoipa::path(post, path = "/v1/me/factors/passkeys", tag = "identity",
    responses((status = 201, body = PasskeyOptions), (status = 403, body = ErrorEnvelope)))]
pub async fn start_passkey(
    State(state): State<AppState>,
    AnySession(who): AnySession,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(identity(&state)?.start_passkey_registration(&who).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyCredentialBody {
    /// The `RegisterPublicKeyCredential` from the authenticator.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PasskeyAdded {
    pub credential_id: String,
}

/// Finish adding a passkey with the authenticator's answer.
#[utoipa::path(post, path = "/v1/me/factors/passkeys/{id}", tag = "identity", request_body = PasskeyCredentialBody,
    responses((status = 201, body = PasskeyAdded), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn finish_passkey(
    State(state): State<AppState>,
    Caller(client): Caller,
    AnySession(who): AnySession,
    Path(id): Path<String>,
    Json(b): Json<PasskeyCredentialBody>,
) -> Result<impl IntoResponse, ApiError> {
    let credential_id = identity(&state)?.finish_passkey_registration(&who, &id, &b.credential, &client).await?;
    Ok((StatusCode::CREATED, Json(PasskeyAdded { credential_id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    pub current_password: String,
    pub new_password: String,
}

/// Change the password (needs a recent factor). Every session ends, this one too.
#[utoipa::path(post, path = "/v1/me/password", tag = "identity", request_body = ChangePasswordBody,
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn change_password(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<ChangePasswordBody>,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.change_password(&who, &b.current_password, &b.new_password, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove the authenticator app (needs a recent factor). Every session ends.
#[utoipa::path(delete, path = "/v1/me/factors/totp", tag = "identity",
    responses((status = 204), (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn remove_totp(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.remove_totp(&who, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChangeBody {
    /// `email` or `phone`.
    pub channel: String,
    pub value: String,
}

/// Start changing the e-mail or phone (needs a recent factor): a code goes to the new contact
/// and the old one is told.
#[utoipa::path(post, path = "/v1/me/contacts", tag = "identity", request_body = ContactChangeBody,
    responses((status = 202), (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn start_contact_change(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<ContactChangeBody>,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.start_contact_change(&who, &b.channel, &b.value, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactConfirmBody {
    pub channel: String,
    pub code: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ContactChanged {
    /// Money may not leave the wallet before this time (UTC ms): the cooling-off period.
    pub money_out_blocked_until_ms: i64,
}

/// Confirm a contact change with the code sent to the new contact.
#[utoipa::path(post, path = "/v1/me/contacts/confirmation", tag = "identity", request_body = ContactConfirmBody,
    responses((status = 200, body = ContactChanged), (status = 401, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn confirm_contact_change(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<ContactConfirmBody>,
) -> Result<Json<ContactChanged>, ApiError> {
    let until = identity(&state)?.confirm_contact_change(&who, &b.channel, &b.code, &client).await?;
    Ok(Json(ContactChanged { money_out_blocked_until_ms: until }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Revoked {
    pub sessions_revoked: u64,
}

/// Operators: end every session of a user (a suspected takeover).
#[utoipa::path(post, path = "/v1/ops/users/{id}/sessions/revocation", tag = "operations",
    responses((status = 200, body = Revoked), (status = 403, body = ErrorEnvelope)))]
pub async fn ops_revoke_sessions(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Revoked>, ApiError> {
    let sessions_revoked = identity(&state)?.revoke_all_for(&who, &id, &client).await?;
    Ok(Json(Revoked { sessions_revoked }))
}

/// Operators (admin): unlock an account after checking the owner's identity outside the system.
#[utoipa::path(post, path = "/v1/ops/users/{id}/unlock", tag = "operations",
    responses((status = 200, body = AccountStatus), (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn ops_unlock(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<AccountStatus>, ApiError> {
    identity(&state)?.unlock_by_operator(&who, &id, &client).await?;
    Ok(Json(AccountStatus { status: "active" }))
}
