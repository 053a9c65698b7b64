//! Endpoints before a session exists: registration, sign-in, the lost-phone lock and unlock,
//! password reset.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use serde::Deserialize;

use super::{Caller, ResetFactor, SignInFactor, identity, parse_factor, proof_of};
use crate::http::AppState;
use crate::http::error::{ApiError, Json};
use crate::http::idempotency::SecretJson;
use crate::http::openapi::{Conflict, IdempotencyKey, Invalid, Post, PostJson, Throttled, WrongProof};
use crate::identity::passkeys::PasskeyOptions;
use crate::identity::{
    Factor, LoginChallenge, NewRegistration, Purpose, Registered, RegistrationStarted, ResetRequested, SessionCreated,
    UnlockPending,
};
use crate::notify::Channel;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/registrations", post(register))
        .route("/v1/registrations/verification", post(verify_registration))
        .route("/v1/sessions", post(login))
        .route("/v1/sessions/challenges/{id}", post(complete_login))
        .route("/v1/sessions/challenges/{id}/sms", post(send_sms))
        .route("/v1/sessions/challenges/{id}/email", post(send_email))
        .route("/v1/sessions/challenges/{id}/passkey", post(passkey_options))
        .route("/v1/sessions/challenges/{id}/enrolment", post(enrolment_session))
        .route("/v1/password-resets", post(request_reset))
        .route("/v1/password-resets/sms", post(send_reset_sms))
        .route("/v1/password-resets/confirmation", post(complete_reset))
        .route("/v1/account/lock", post(start_lock))
        .route("/v1/account/lock/{id}", post(complete_lock))
        .route("/v1/account/unlock", post(start_unlock))
        .route("/v1/account/unlock/{id}", post(complete_unlock))
        .route("/v1/account/unlock/cancellation", post(cancel_unlock))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    #[schema(min_length = 3, max_length = 254)]
    pub email: String,
    /// Mobile number with country code, e.g. +81 90 1234 5678 (a Japanese number may be typed
    /// the domestic way, 090-1234-5678). Spaces, hyphens and brackets are ignored.
    #[schema(pattern = r"^[ ()-]*(\+[ ()-]*[1-9]([ ()-]*[0-9]){7,14}|0([ ()-]*[0-9]){9,10})[ ()-]*$")]
    pub phone: String,
    /// At least 8 characters, any Unicode; common, guessable and personal passwords are refused.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(min_length = 1, max_length = 100)]
    pub legal_name: String,
    /// YYYY-MM-DD, a real date in the last 120 years. Required; never defaulted.
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub date_of_birth: String,
}

/// Start registering: a code goes to the e-mail address and one to the phone. The answer is the
/// same whether or not the address already has an account.
#[utoipa::path(post, path = "/v1/registrations", tag = "identity", request_body = RegisterBody, params(IdempotencyKey),
    responses(
        (status = 202, description = "Codes sent to the e-mail address and the phone.", body = RegistrationStarted),
        PostJson, Invalid, Throttled))]
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
    /// The `registration_id` from `POST /v1/registrations`.
    #[schema(min_length = 1, max_length = 64)]
    pub registration_id: String,
    #[schema(min_length = 1, max_length = 16)]
    pub email_code: String,
    #[schema(min_length = 1, max_length = 16)]
    pub sms_code: String,
}

/// Finish registering with both codes; returns a session and ten recovery codes (shown once).
#[utoipa::path(post, path = "/v1/registrations/verification", tag = "identity", request_body = VerifyRegistrationBody,
    params(IdempotencyKey),
    responses((status = 201, description = "The wallet, its first session and its recovery codes.", body = Registered),
        PostJson, WrongProof, Throttled))]
pub async fn verify_registration(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<VerifyRegistrationBody>,
) -> Result<impl IntoResponse, ApiError> {
    let registered =
        identity(&state)?.verify_registration(&b.registration_id, &b.email_code, &b.sms_code, &client).await?;
    Ok((StatusCode::CREATED, SecretJson(registered)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
    /// The `device_token` from an earlier sign-in on this device: a known device is not slowed by
    /// failures made elsewhere and is not asked for extra proof.
    #[schema(max_length = 128)]
    pub device_token: Option<String>,
}

/// Sign in, first step: a correct password opens a challenge for a second factor. Wrong
/// password and unknown account get the same answer.
#[utoipa::path(post, path = "/v1/sessions", tag = "identity", request_body = LoginBody, params(IdempotencyKey),
    responses((status = 200, description = "A challenge for a second factor.", body = LoginChallenge), PostJson,
        WrongProof, Throttled))]
pub async fn login(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<LoginBody>,
) -> Result<Json<LoginChallenge>, ApiError> {
    Ok(Json(identity(&state)?.login(&b.email, &b.password, b.device_token.as_deref(), &client).await?))
}

/// Send a code by SMS to the account's verified phone, for any challenge.
#[utoipa::path(post, path = "/v1/sessions/challenges/{id}/sms", tag = "identity",
    params(("id" = String, Path, description = "The `challenge_id` of the challenge."), IdempotencyKey),
    responses((status = 202, description = "A code is on its way to the verified phone."), Post, WrongProof, Conflict,
        Throttled))]
pub async fn send_sms(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.send_challenge_code(&id, Channel::Sms, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Send a code to the account's verified e-mail: for a lock, or as the extra proof a sign-in was
/// asked for (`email_proof_required`). It never signs anyone in or unlocks anything by itself.
#[utoipa::path(post, path = "/v1/sessions/challenges/{id}/email", tag = "identity",
    params(("id" = String, Path, description = "The `challenge_id` of the challenge."), IdempotencyKey),
    responses((status = 202, description = "A code is on its way to the verified e-mail address."), Post, Invalid,
        WrongProof, Throttled))]
pub async fn send_email(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.send_challenge_code(&id, Channel::Email, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteLoginBody {
    #[schema(value_type = SignInFactor)]
    pub factor: String,
    /// The code (not used for `passkey`).
    #[serde(default)]
    #[schema(max_length = 64)]
    pub code: String,
    /// For `passkey`: `{"state_id": …, "credential": <PublicKeyCredential>}`.
    #[schema(value_type = Option<Object>)]
    pub passkey: Option<serde_json::Value>,
    /// The code sent to the e-mail, when the challenge says `email_proof_required`.
    #[schema(max_length = 16)]
    pub email_code: Option<String>,
    /// The `device_token` from an earlier sign-in on this device, if any.
    #[schema(max_length = 128)]
    pub device_token: Option<String>,
}

/// Sign in, second step: a factor completes the challenge and opens a session.
#[utoipa::path(post, path = "/v1/sessions/challenges/{id}", tag = "identity", request_body = CompleteLoginBody,
    params(("id" = String, Path, description = "The `challenge_id` of the challenge."), IdempotencyKey),
    responses((status = 201, description = "A session.", body = SessionCreated), PostJson, WrongProof, Throttled))]
pub async fn complete_login(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
    Json(b): Json<CompleteLoginBody>,
) -> Result<impl IntoResponse, ApiError> {
    let factor = parse_factor(&b.factor)?;
    let proof = proof_of(&b.code, b.passkey.as_ref());
    let session = identity(&state)?
        .complete_login(&id, factor, &proof, b.email_code.as_deref(), b.device_token.as_deref(), &client)
        .await?;
    Ok((StatusCode::CREATED, SecretJson(session)))
}

/// Staff and operators without a factor: after the password, a session that can only set up an
/// authenticator app or a passkey (`enrolment_required` in the sign-in answer).
#[utoipa::path(post, path = "/v1/sessions/challenges/{id}/enrolment", tag = "identity",
    params(("id" = String, Path, description = "The `challenge_id` of the challenge."), IdempotencyKey),
    responses((status = 201, description = "A session that may only set up a factor.", body = SessionCreated), Post,
        WrongProof))]
pub async fn enrolment_session(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, SecretJson(identity(&state)?.enrolment_session(&id, &client).await?)))
}

/// WebAuthn options for answering a challenge (sign-in, lock, unlock, step-up) with a passkey.
#[utoipa::path(post, path = "/v1/sessions/challenges/{id}/passkey", tag = "identity",
    params(("id" = String, Path, description = "The `challenge_id` of the challenge."), IdempotencyKey),
    responses((status = 200, description = "Options for `navigator.credentials.get()`.", body = PasskeyOptions), Post,
        WrongProof, Conflict))]
pub async fn passkey_options(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PasskeyOptions>, ApiError> {
    Ok(Json(identity(&state)?.passkey_options(&id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    /// The account's address. The key is sent to the address verified on the account, never
    /// to one given here, and no other field is accepted.
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
}

/// Ask for a password reset. Same answer whether or not the account exists.
#[utoipa::path(post, path = "/v1/password-resets", tag = "identity", request_body = ResetBody, params(IdempotencyKey),
    responses(
        (status = 202, description = "A key was sent if the address has an active account.", body = ResetRequested),
        PostJson, Invalid, Throttled))]
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
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
}

/// Send the reset's code by SMS to the account's verified phone.
#[utoipa::path(post, path = "/v1/password-resets/sms", tag = "identity", request_body = ResetTokenBody,
    params(IdempotencyKey),
    responses((status = 202, description = "A code is on its way to the verified phone."), PostJson, WrongProof,
        Conflict, Throttled))]
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
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
    /// A reset always needs a second factor.
    #[schema(value_type = ResetFactor)]
    pub factor: String,
    #[schema(min_length = 1, max_length = 64)]
    pub code: String,
}

/// Set a new password with the e-mailed key and a second factor; every session ends.
#[utoipa::path(post, path = "/v1/password-resets/confirmation", tag = "identity", request_body = CompleteResetBody,
    params(IdempotencyKey),
    responses((status = 204, description = "The password is changed and every session has ended."), PostJson, Invalid,
        WrongProof, Throttled))]
pub async fn complete_reset(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<CompleteResetBody>,
) -> Result<StatusCode, ApiError> {
    let factor = parse_factor(&b.factor)?;
    identity(&state)?.complete_password_reset(&b.token, &b.new_password, factor, &b.code, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lock the account (a lost phone), first step: the password opens a challenge. Codes come from
/// `POST /v1/sessions/challenges/{id}/sms` or `…/email`.
#[utoipa::path(post, path = "/v1/account/lock", tag = "identity", request_body = LoginBody, params(IdempotencyKey),
    responses((status = 200, description = "A challenge for one factor.", body = LoginChallenge), PostJson, WrongProof,
        Throttled))]
pub async fn start_lock(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<LoginBody>,
) -> Result<Json<LoginChallenge>, ApiError> {
    let identity = identity(&state)?;
    Ok(Json(identity.start_challenge(&b.email, &b.password, Purpose::Lock, b.device_token.as_deref(), &client).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactorBody {
    /// `email` (a code sent to the account's e-mail) counts only to lock, never to unlock.
    #[schema(value_type = Factor)]
    pub factor: String,
    #[serde(default)]
    #[schema(max_length = 64)]
    pub code: String,
    /// For `passkey`: `{"state_id": …, "credential": <PublicKeyCredential>}`.
    #[schema(value_type = Option<Object>)]
    pub passkey: Option<serde_json::Value>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AccountStatus {
    /// Always `locked`.
    #[schema(value_type = String, pattern = "^locked$")]
    pub status: &'static str,
}

/// Lock the account with one second factor, a recovery code or a code sent to the e-mail: every
/// session ends and every reset, contact change and unlock in progress is cancelled.
#[utoipa::path(post, path = "/v1/account/lock/{id}", tag = "identity", request_body = FactorBody,
    params(("id" = String, Path, description = "The `challenge_id` of the challenge."), IdempotencyKey),
    responses((status = 200, description = "The account is locked.", body = AccountStatus), PostJson, WrongProof,
        Throttled))]
pub async fn complete_lock(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
    Json(b): Json<FactorBody>,
) -> Result<Json<AccountStatus>, ApiError> {
    let proof = proof_of(&b.code, b.passkey.as_ref());
    identity(&state)?.lock(&id, parse_factor(&b.factor)?, &proof, &client).await?;
    Ok(Json(AccountStatus { status: "locked" }))
}

/// Unlock, first step: the password of the locked account opens a challenge.
#[utoipa::path(post, path = "/v1/account/unlock", tag = "identity", request_body = LoginBody, params(IdempotencyKey),
    responses((status = 200, description = "A challenge for two factors.", body = LoginChallenge), PostJson, WrongProof,
        Throttled))]
pub async fn start_unlock(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<LoginBody>,
) -> Result<Json<LoginChallenge>, ApiError> {
    let identity = identity(&state)?;
    Ok(Json(
        identity.start_challenge(&b.email, &b.password, Purpose::Unlock, b.device_token.as_deref(), &client).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockBody {
    /// Two different second factors.
    #[schema(min_items = 2, max_items = 2)]
    pub factors: Vec<UnlockFactorBody>,
}

/// One of an unlock's factors: as for a lock, but a code sent to the e-mail never counts.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockFactorBody {
    #[schema(value_type = SignInFactor)]
    pub factor: String,
    #[serde(default)]
    #[schema(max_length = 64)]
    pub code: String,
    /// For `passkey`: `{"state_id": …, "credential": <PublicKeyCredential>}`.
    #[schema(value_type = Option<Object>)]
    pub passkey: Option<serde_json::Value>,
}

/// Ask to unlock with two different second factors. The account stays locked for the cooling-off
/// period; the owner is told on every contact and can cancel.
#[utoipa::path(post, path = "/v1/account/unlock/{id}", tag = "identity", request_body = UnlockBody,
    params(("id" = String, Path, description = "The `challenge_id` of the challenge."), IdempotencyKey),
    responses((status = 202, description = "The unlock waits out its cooling-off period.", body = UnlockPending),
        PostJson, WrongProof, Throttled))]
pub async fn complete_unlock(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
    Json(b): Json<UnlockBody>,
) -> Result<impl IntoResponse, ApiError> {
    if b.factors.len() != 2 {
        return Err(
            ApiError::invalid("two_factors_required", "give exactly two different second factors").param("factors")
        );
    }
    let proofs = b
        .factors
        .iter()
        .map(|f| Ok((parse_factor(&f.factor)?, proof_of(&f.code, f.passkey.as_ref()))))
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok((StatusCode::ACCEPTED, Json(identity(&state)?.unlock(&id, &proofs, &client).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelUnlockBody {
    /// The cancel key from the unlock notice.
    #[schema(min_length = 1, max_length = 128)]
    pub key: String,
}

/// Cancel a pending unlock with the key from its notice. The same answer whether or not the key
/// was live; a new lock also cancels it.
#[utoipa::path(post, path = "/v1/account/unlock/cancellation", tag = "identity", request_body = CancelUnlockBody,
    params(IdempotencyKey),
    responses((status = 202, description = "No unlock is pending under this key any more."), PostJson))]
pub async fn cancel_unlock(
    State(state): State<AppState>,
    Caller(client): Caller,
    Json(b): Json<CancelUnlockBody>,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.cancel_unlock(&b.key, &client).await?;
    Ok(StatusCode::ACCEPTED)
}
