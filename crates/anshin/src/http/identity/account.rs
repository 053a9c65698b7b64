//! The signed-in user's own account: profile, sessions and devices, factors, password, contacts,
//! and step-up grants for the sensitive ones.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use serde::Deserialize;

use super::{AnySession, Caller, SignedIn, identity, parse_factor, proof_of};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorEnvelope, Json};
use crate::http::idempotency::SecretJson;
use crate::identity::passkeys::PasskeyOptions;
use crate::identity::{
    DeviceInfo, LoginChallenge, Profile, RecoveryCodes, SessionInfo, StepUpAction, SteppedUp, TotpEnrolment,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me", get(me))
        .route("/v1/sessions/current", delete(logout))
        .route("/v1/me/sessions", get(my_sessions))
        .route("/v1/me/sessions/{id}", delete(revoke_session))
        .route("/v1/me/devices", get(my_devices))
        .route("/v1/me/devices/{id}", delete(revoke_device))
        .route("/v1/me/factors/totp", post(start_totp).delete(remove_totp))
        .route("/v1/me/factors/totp/confirmation", post(confirm_totp))
        .route("/v1/me/factors/passkeys", post(start_passkey))
        .route("/v1/me/factors/passkeys/{id}", post(finish_passkey))
        .route("/v1/me/password", post(change_password))
        .route("/v1/me/contacts", post(start_contact_change))
        .route("/v1/me/contacts/confirmation", post(confirm_contact_change))
        .route("/v1/me/step-up", post(start_step_up))
        .route("/v1/me/step-up/{id}", post(complete_step_up))
}

#[utoipa::path(get, path = "/v1/me", tag = "identity", responses((status = 200, body = Profile), (status = 401, body = ErrorEnvelope)))]
pub async fn me(State(state): State<AppState>, AnySession(who): AnySession) -> Result<Json<Profile>, ApiError> {
    Ok(Json(identity(&state)?.profile(&who).await?))
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

#[utoipa::path(get, path = "/v1/me/sessions", tag = "identity",
    responses((status = 200, body = Vec<SessionInfo>), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn my_sessions(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    Ok(Json(identity(&state)?.sessions(&who).await?))
}

#[utoipa::path(delete, path = "/v1/me/sessions/{id}", tag = "identity",
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.revoke(&who, &id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Devices that have completed a second factor on this account (known devices).
#[utoipa::path(get, path = "/v1/me/devices", tag = "identity",
    responses((status = 200, body = Vec<DeviceInfo>), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn my_devices(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<DeviceInfo>>, ApiError> {
    Ok(Json(identity(&state)?.devices(&who).await?))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DeviceRevoked {
    pub sessions_revoked: u64,
}

/// Forget a device (needs a step-up for `revoke_device`): its sessions end and it is unknown at
/// its next sign-in.
#[utoipa::path(delete, path = "/v1/me/devices/{id}", tag = "identity",
    responses((status = 200, body = DeviceRevoked), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope)))]
pub async fn revoke_device(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<DeviceRevoked>, ApiError> {
    let sessions_revoked = identity(&state)?.revoke_device(&who, &id, &client).await?;
    Ok(Json(DeviceRevoked { sessions_revoked }))
}

/// Begin adding an authenticator app (a step-up for `add_factor`, or a sign-in in the last few minutes).
#[utoipa::path(post, path = "/v1/me/factors/totp", tag = "identity",
    responses((status = 201, body = TotpEnrolment), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope)))]
pub async fn start_totp(
    State(state): State<AppState>,
    AnySession(who): AnySession,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, SecretJson(identity(&state)?.start_totp(&who).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTotpBody {
    #[schema(min_length = 1, max_length = 16)]
    pub code: String,
}

/// Confirm the authenticator app with a code from it; returns ten recovery codes, shown once.
#[utoipa::path(post, path = "/v1/me/factors/totp/confirmation", tag = "identity", request_body = ConfirmTotpBody,
    responses((status = 200, body = RecoveryCodes), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    Caller(client): Caller,
    AnySession(who): AnySession,
    Json(b): Json<ConfirmTotpBody>,
) -> Result<SecretJson<RecoveryCodes>, ApiError> {
    Ok(SecretJson(identity(&state)?.confirm_totp(&who, &b.code, &client).await?))
}

/// Remove the authenticator app (needs a step-up for `remove_factor`). Every session ends.
#[utoipa::path(delete, path = "/v1/me/factors/totp", tag = "identity",
    responses((status = 204), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn remove_totp(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.remove_totp(&who, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Begin adding a passkey (as for an app); answer with `navigator.credentials.create()`.
#[utoipa::path(post, path = "/v1/me/factors/passkeys", tag = "identity",
    responses((status = 201, body = PasskeyOptions), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
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
    responses((status = 201, body = PasskeyAdded), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope)))]
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
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Change the password (needs a step-up for `change_password` and the current password). Every
/// session ends, this one too.
#[utoipa::path(post, path = "/v1/me/password", tag = "identity", request_body = ChangePasswordBody,
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn change_password(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<ChangePasswordBody>,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.change_password(&who, &b.current_password, &b.new_password, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChangeBody {
    /// `email` or `phone`.
    pub channel: String,
    #[schema(min_length = 1, max_length = 254)]
    pub value: String,
}

/// Start changing the e-mail or phone (needs a step-up for `change_contact`): a code goes to the
/// new contact and the old one is told.
#[utoipa::path(post, path = "/v1/me/contacts", tag = "identity", request_body = ContactChangeBody,
    responses((status = 202), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)))]
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
    #[schema(min_length = 1, max_length = 16)]
    pub code: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ContactChanged {
    /// Money may not leave the wallet before this time (UTC ms): the cooling-off period.
    pub money_out_blocked_until_ms: i64,
}

/// Confirm a contact change with the code sent to the new contact.
#[utoipa::path(post, path = "/v1/me/contacts/confirmation", tag = "identity", request_body = ContactConfirmBody,
    responses((status = 200, body = ContactChanged), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn confirm_contact_change(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<ContactConfirmBody>,
) -> Result<Json<ContactChanged>, ApiError> {
    let until = identity(&state)?.confirm_contact_change(&who, &b.channel, &b.code, &client).await?;
    Ok(Json(ContactChanged { money_out_blocked_until_ms: until }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpBody {
    /// The one action the factor is for.
    pub action: StepUpAction,
}

/// Ask for a second factor before a sensitive action; SMS codes come from
/// `POST /v1/sessions/challenges/{id}/sms`.
#[utoipa::path(post, path = "/v1/me/step-up", tag = "identity", request_body = StepUpBody,
    responses((status = 200, body = LoginChallenge), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope)))]
pub async fn start_step_up(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<StepUpBody>,
) -> Result<Json<LoginChallenge>, ApiError> {
    Ok(Json(identity(&state)?.start_step_up(&who, b.action, &client).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpFactorBody {
    /// `passkey`, `totp`, `sms` or `recovery_code`.
    pub factor: String,
    #[serde(default)]
    #[schema(max_length = 64)]
    pub code: String,
    #[schema(value_type = Option<Object>)]
    pub passkey: Option<serde_json::Value>,
}

/// Give the factor: a grant for the challenge's one action, and a new session token.
#[utoipa::path(post, path = "/v1/me/step-up/{id}", tag = "identity", request_body = StepUpFactorBody,
    responses((status = 200, body = SteppedUp), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)))]
pub async fn complete_step_up(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<StepUpFactorBody>,
) -> Result<SecretJson<SteppedUp>, ApiError> {
    let proof = proof_of(&b.code, b.passkey.as_ref());
    Ok(SecretJson(identity(&state)?.complete_step_up(&who, &id, parse_factor(&b.factor)?, &proof, &client).await?))
}
