//! The signed-in user's own account: profile, sessions and devices, factors, password, contacts,
//! and step-up grants for the sensitive ones.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use serde::Deserialize;

use super::{AnySession, Caller, ContactChannel, SignInFactor, SignedIn, identity, parse_factor, proof_of};
use crate::http::AppState;
use crate::http::error::{ApiError, Json};
use crate::http::idempotency::SecretJson;
use crate::http::openapi::{
    Common, Conflict, FullSession, IdempotencyKey, Invalid, Post, PostJson, Refused, Session, Throttled, WrongProof,
};
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

#[utoipa::path(get, path = "/v1/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, description = "The account.", body = Profile), Common, Session))]
pub async fn me(State(state): State<AppState>, AnySession(who): AnySession) -> Result<Json<Profile>, ApiError> {
    Ok(Json(identity(&state)?.profile(&who).await?))
}

#[utoipa::path(delete, path = "/v1/sessions/current", tag = "identity", security(("bearer" = [])),
    responses((status = 204, description = "This session has ended."), Common, Session))]
pub async fn logout(
    State(state): State<AppState>,
    Caller(client): Caller,
    AnySession(who): AnySession,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.logout(&who, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/me/sessions", tag = "identity", security(("bearer" = [])),
    responses((status = 200, description = "The account's live sessions.", body = Vec<SessionInfo>), Common,
        FullSession))]
pub async fn my_sessions(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    Ok(Json(identity(&state)?.sessions(&who).await?))
}

#[utoipa::path(delete, path = "/v1/me/sessions/{id}", tag = "identity", security(("bearer" = [])),
    params(("id" = String, Path, description = "The `session_id` to end.")),
    responses((status = 204, description = "That session has ended."), Common, FullSession, Invalid))]
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
#[utoipa::path(get, path = "/v1/me/devices", tag = "identity", security(("bearer" = [])),
    responses((status = 200, description = "The account's known devices.", body = Vec<DeviceInfo>), Common,
        FullSession))]
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
#[utoipa::path(delete, path = "/v1/me/devices/{id}", tag = "identity", security(("bearer" = [])),
    params(("id" = String, Path, description = "The `device_id` to forget.")),
    responses(
        (status = 200, description = "The device is forgotten and its sessions have ended.", body = DeviceRevoked),
        Common, FullSession, Invalid, Refused))]
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
#[utoipa::path(post, path = "/v1/me/factors/totp", tag = "identity", security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 201, description = "The secret to put into the app.", body = TotpEnrolment), Post, Session,
        Refused, Conflict))]
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
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 200, description = "The app is set up; new recovery codes.", body = RecoveryCodes), PostJson,
        Session, WrongProof, Refused, Conflict, Throttled))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    Caller(client): Caller,
    AnySession(who): AnySession,
    Json(b): Json<ConfirmTotpBody>,
) -> Result<SecretJson<RecoveryCodes>, ApiError> {
    Ok(SecretJson(identity(&state)?.confirm_totp(&who, &b.code, &client).await?))
}

/// Remove the authenticator app (needs a step-up for `remove_factor`). Every session ends.
#[utoipa::path(delete, path = "/v1/me/factors/totp", tag = "identity", security(("bearer" = [])),
    responses((status = 204, description = "The app is removed and every session has ended."), Common, FullSession,
        Refused, Conflict))]
pub async fn remove_totp(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<StatusCode, ApiError> {
    identity(&state)?.remove_totp(&who, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Begin adding a passkey (as for an app); answer with `navigator.credentials.create()`.
#[utoipa::path(post, path = "/v1/me/factors/passkeys", tag = "identity", security(("bearer" = [])),
    params(IdempotencyKey),
    responses((status = 201, description = "Options for `navigator.credentials.create()`.", body = PasskeyOptions),
        Post, Session, Refused))]
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
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The `challenge_id` of `POST /v1/me/factors/passkeys`."),
        IdempotencyKey),
    responses((status = 201, description = "The passkey is added.", body = PasskeyAdded), PostJson, Session, WrongProof,
        Refused))]
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
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 204, description = "The password is changed and every session has ended."), PostJson,
        FullSession, Invalid, WrongProof, Refused, Throttled))]
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
    #[schema(value_type = ContactChannel)]
    pub channel: String,
    #[schema(min_length = 1, max_length = 254)]
    pub value: String,
}

/// Start changing the e-mail or phone (needs a step-up for `change_contact`): a code goes to the
/// new contact and the old one is told.
#[utoipa::path(post, path = "/v1/me/contacts", tag = "identity", request_body = ContactChangeBody,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 202, description = "A code is on its way to the new contact."), PostJson, FullSession, Invalid,
        Refused, Throttled))]
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
    #[schema(value_type = ContactChannel)]
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
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 200, description = "The contact is changed.", body = ContactChanged), PostJson, FullSession,
        WrongProof, Conflict, Throttled))]
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
#[utoipa::path(post, path = "/v1/me/step-up", tag = "identity", request_body = StepUpBody, security(("bearer" = [])),
    params(IdempotencyKey),
    responses(
        (status = 200, description = "A challenge for a second factor, for this action only.", body = LoginChallenge),
        PostJson, FullSession))]
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
    #[schema(value_type = SignInFactor)]
    pub factor: String,
    #[serde(default)]
    #[schema(max_length = 64)]
    pub code: String,
    #[schema(value_type = Option<Object>)]
    pub passkey: Option<serde_json::Value>,
}

/// Give the factor: a grant for the challenge's one action, and a new session token.
#[utoipa::path(post, path = "/v1/me/step-up/{id}", tag = "identity", request_body = StepUpFactorBody,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The `challenge_id` from `POST /v1/me/step-up`."), IdempotencyKey),
    responses((status = 200, description = "A grant for the action, and this session's new token.", body = SteppedUp),
        PostJson, FullSession, WrongProof, Throttled))]
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
