//! A merchant's own endpoints, for its staff (and, to read, operators): the merchant, stores,
//! staff, POS keys and webhooks. Roles decide who may do what (`merchants::StaffRole`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::merchants;
use crate::http::AppState;
use crate::http::error::{ApiError, Json};
use crate::http::idempotency::SecretJson;
use crate::http::identity::{Caller, SignedIn};
use crate::http::openapi::{Common, Conflict, FullSession, IdempotencyKey, Invalid, Missing, Post, PostJson, Refused};
use crate::merchants::credentials::{NewPosKeyRequest, NewWebhookRequest};
use crate::merchants::payout::PayoutAccountRequest;
use crate::merchants::stores::{NewStaff, NewStore};
use crate::merchants::{
    Merchant, NewPosKeyCreated, NewWebhookCreated, PayoutAccount, PosKey, StaffMember, Store, WebhookEndpoint,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/merchants/{id}", get(merchant))
        .route("/v1/merchants/{id}/stores", get(stores).post(add_store))
        .route("/v1/merchants/{id}/stores/{store_id}/status", post(store_status))
        .route("/v1/merchants/{id}/staff", get(staff).post(add_staff))
        .route("/v1/merchants/{id}/pos-keys", get(pos_keys).post(create_pos_key))
        .route("/v1/merchants/{id}/pos-keys/{key_id}/revocation", post(revoke_pos_key))
        .route("/v1/merchants/{id}/payout-accounts", get(payout_accounts).post(set_payout_account))
        .route("/v1/merchants/{id}/payout-accounts/pending/cancellation", post(cancel_payout_change))
        .route("/v1/merchants/{id}/webhooks", get(webhooks).post(add_webhook))
        .route("/v1/merchants/{id}/webhooks/{endpoint_id}/secret-rotation", post(rotate_webhook))
        .route("/v1/merchants/{id}/webhooks/{endpoint_id}/disabling", post(disable_webhook))
}

/// The merchant, for its staff and operators.
#[utoipa::path(get, path = "/v1/merchants/{id}", tag = "merchants", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id.")),
    responses((status = 200, description = "The merchant.", body = Merchant), Common, FullSession, Missing))]
pub async fn merchant(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants(&state)?.get(&who, &id, &client).await?))
}

/// The merchant's stores.
#[utoipa::path(get, path = "/v1/merchants/{id}/stores", tag = "merchants", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id.")),
    responses((status = 200, description = "Stores, by number.", body = Vec<Store>), Common, FullSession, Missing))]
pub async fn stores(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<Store>>, ApiError> {
    Ok(Json(merchants(&state)?.stores(&who, &id, &client).await?))
}

/// Owners and managers: open a store.
#[utoipa::path(post, path = "/v1/merchants/{id}/stores", tag = "merchants", request_body = NewStore,
    security(("bearer" = [])), params(("id" = String, Path, description = "The merchant's id."), IdempotencyKey),
    responses((status = 201, description = "The new store.", body = Store), PostJson, FullSession, Invalid, Missing,
        Refused, Conflict))]
pub async fn add_store(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<NewStore>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(merchants(&state)?.add_store(&who, &id, &b, &client).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreStatusBody {
    /// False closes the store: its codes and keys take nothing until it reopens.
    pub open: bool,
}

/// Owners and managers: close or reopen a store.
#[utoipa::path(post, path = "/v1/merchants/{id}/stores/{store_id}/status", tag = "merchants",
    request_body = StoreStatusBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."), ("store_id" = String, Path, description = "The store's id."),
        IdempotencyKey),
    responses((status = 200, description = "The store.", body = Store), PostJson, FullSession, Missing, Refused))]
pub async fn store_status(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path((id, store_id)): Path<(String, String)>,
    Json(b): Json<StoreStatusBody>,
) -> Result<Json<Store>, ApiError> {
    Ok(Json(merchants(&state)?.set_store_open(&who, &id, &store_id, b.open, &client).await?))
}

/// Owners and managers (and operators): the merchant's staff.
#[utoipa::path(get, path = "/v1/merchants/{id}/staff", tag = "merchants", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id.")),
    responses((status = 200, description = "Staff.", body = Vec<StaffMember>), Common, FullSession, Missing, Refused))]
pub async fn staff(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<StaffMember>>, ApiError> {
    Ok(Json(merchants(&state)?.staff(&who, &id, &client).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffAdded {
    /// Shown once: hand it to the new member, who sets up an authenticator app at first sign-in.
    pub initial_password: String,
}

/// Owners (anyone) and managers (cashiers only), with a step-up for `add_staff`; admins may add
/// a merchant's first owner.
#[utoipa::path(post, path = "/v1/merchants/{id}/staff", tag = "merchants", request_body = NewStaff,
    security(("bearer" = [])), params(("id" = String, Path, description = "The merchant's id."), IdempotencyKey),
    responses((status = 201, description = "The new member's one-time initial password.", body = StaffAdded), PostJson,
        FullSession, Invalid, Missing, Refused, Conflict))]
pub async fn add_staff(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<NewStaff>,
) -> Result<impl IntoResponse, ApiError> {
    let initial_password = merchants(&state)?.add_staff(&who, &id, &b, &client).await?;
    Ok((StatusCode::CREATED, SecretJson(StaffAdded { initial_password })))
}

/// Owners and managers (and operators): POS keys, without their secrets.
#[utoipa::path(get, path = "/v1/merchants/{id}/pos-keys", tag = "merchants", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id.")),
    responses((status = 200, description = "POS keys, newest first.", body = Vec<PosKey>), Common, FullSession, Missing,
        Refused))]
pub async fn pos_keys(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<PosKey>>, ApiError> {
    Ok(Json(merchants(&state)?.pos_keys(&who, &id, &client).await?))
}

/// Owners and managers, with a step-up for `create_pos_key`: a key for one store's tills. The
/// secret is in this answer only.
#[utoipa::path(post, path = "/v1/merchants/{id}/pos-keys", tag = "merchants", request_body = NewPosKeyRequest,
    security(("bearer" = [])), params(("id" = String, Path, description = "The merchant's id."), IdempotencyKey),
    responses((status = 201, description = "The key and its secret, shown once.", body = NewPosKeyCreated), PostJson,
        FullSession, Invalid, Missing, Refused, Conflict))]
pub async fn create_pos_key(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<NewPosKeyRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, SecretJson(merchants(&state)?.create_pos_key(&who, &id, &b, &client).await?)))
}

/// Owners and managers (and operators): revoke a POS key at once (no step-up: taking a
/// credential away is always safe).
#[utoipa::path(post, path = "/v1/merchants/{id}/pos-keys/{key_id}/revocation", tag = "merchants",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."), ("key_id" = String, Path, description = "The key's id."),
        IdempotencyKey),
    responses((status = 204, description = "Revoked."), Post, FullSession, Missing, Refused))]
pub async fn revoke_pos_key(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path((id, key_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    merchants(&state)?.revoke_pos_key(&who, &id, &key_id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Owners and managers (and operators): webhook endpoints, without their secrets.
#[utoipa::path(get, path = "/v1/merchants/{id}/webhooks", tag = "merchants", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id.")),
    responses((status = 200, description = "Endpoints, newest first.", body = Vec<WebhookEndpoint>), Common, FullSession,
        Missing, Refused))]
pub async fn webhooks(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<WebhookEndpoint>>, ApiError> {
    Ok(Json(merchants(&state)?.webhooks(&who, &id, &client).await?))
}

/// Owners and managers, with a step-up for `manage_webhooks`: add an endpoint. Its signing
/// secret is in this answer only.
#[utoipa::path(post, path = "/v1/merchants/{id}/webhooks", tag = "merchants", request_body = NewWebhookRequest,
    security(("bearer" = [])), params(("id" = String, Path, description = "The merchant's id."), IdempotencyKey),
    responses((status = 201, description = "The endpoint and its secret, shown once.", body = NewWebhookCreated),
        PostJson, FullSession, Invalid, Missing, Refused, Conflict))]
pub async fn add_webhook(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<NewWebhookRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, SecretJson(merchants(&state)?.add_webhook(&who, &id, &b, &client).await?)))
}

/// Owners and managers, with a step-up for `manage_webhooks`: a new secret; the old one keeps
/// signing beside it for a day, so the receiver can switch without missing an event.
#[utoipa::path(post, path = "/v1/merchants/{id}/webhooks/{endpoint_id}/secret-rotation", tag = "merchants",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."),
        ("endpoint_id" = String, Path, description = "The endpoint's id."), IdempotencyKey),
    responses((status = 200, description = "The endpoint and its new secret, shown once.", body = NewWebhookCreated),
        Post, FullSession, Missing, Refused))]
pub async fn rotate_webhook(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path((id, endpoint_id)): Path<(String, String)>,
) -> Result<SecretJson<NewWebhookCreated>, ApiError> {
    Ok(SecretJson(merchants(&state)?.rotate_webhook_secret(&who, &id, &endpoint_id, &client).await?))
}

/// Owners and managers (and operators): stop deliveries to an endpoint.
#[utoipa::path(post, path = "/v1/merchants/{id}/webhooks/{endpoint_id}/disabling", tag = "merchants",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."),
        ("endpoint_id" = String, Path, description = "The endpoint's id."), IdempotencyKey),
    responses((status = 204, description = "Disabled."), Post, FullSession, Missing, Refused))]
pub async fn disable_webhook(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path((id, endpoint_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    merchants(&state)?.disable_webhook(&who, &id, &endpoint_id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The owner (and operators): payout accounts, the active one, one waiting out its delay, and past ones.
#[utoipa::path(get, path = "/v1/merchants/{id}/payout-accounts", tag = "merchants", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id.")),
    responses((status = 200, description = "Payout accounts, newest first.", body = Vec<PayoutAccount>), Common,
        FullSession, Missing, Refused))]
pub async fn payout_accounts(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<PayoutAccount>>, ApiError> {
    Ok(Json(merchants(&state)?.payout_accounts(&who, &id, &client).await?))
}

/// The owner, with a step-up for `change_payout_account`: set where payouts go. The first account
/// applies at once; a change waits 72 hours (owners are e-mailed at once and can cancel it). A
/// holder name that does not match the legal name waits for an operator's review.
#[utoipa::path(post, path = "/v1/merchants/{id}/payout-accounts", tag = "merchants", request_body = PayoutAccountRequest,
    security(("bearer" = [])), params(("id" = String, Path, description = "The merchant's id."), IdempotencyKey),
    responses((status = 201, description = "The new account (active, or pending until `effective_at_ms`).",
        body = PayoutAccount), PostJson, FullSession, Invalid, Missing, Refused, Conflict))]
pub async fn set_payout_account(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<PayoutAccountRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(merchants(&state)?.set_payout_account(&who, &id, &b, &client).await?)))
}

/// The owner (or an admin): cancel a payout account change still waiting out its delay.
#[utoipa::path(post, path = "/v1/merchants/{id}/payout-accounts/pending/cancellation", tag = "merchants",
    security(("bearer" = [])), params(("id" = String, Path, description = "The merchant's id."), IdempotencyKey),
    responses((status = 204, description = "Cancelled."), Post, FullSession, Missing, Refused, Conflict))]
pub async fn cancel_payout_change(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    merchants(&state)?.cancel_payout_change(&who, &id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
