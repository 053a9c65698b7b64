//! Operators' endpoints: ending a user's sessions, unlocking after an identity check, reading
//! and verifying the audit log. Every use, and every refusal, is audited.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Caller, SignedIn, identity};
use crate::audit::{AuditCheck, AuditRecord};
use crate::http::AppState;
use crate::http::error::{ApiError, Json, Query};
use crate::http::openapi::{Common, Conflict, FullSession, IdempotencyKey, Post};
use crate::identity::UnlockPending;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/ops/users/{id}/sessions/revocation", post(revoke_sessions))
        .route("/v1/ops/users/{id}/unlock", post(unlock))
        .route("/v1/ops/audit", get(read_audit))
        .route("/v1/ops/audit/verification", get(last_verification).post(verify_now))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Revoked {
    pub sessions_revoked: u64,
}

/// Operators: end every session of a user (a suspected takeover).
#[utoipa::path(post, path = "/v1/ops/users/{id}/sessions/revocation", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's `user_id`."), IdempotencyKey),
    responses((status = 200, description = "How many sessions ended.", body = Revoked), Post, FullSession))]
pub async fn revoke_sessions(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Revoked>, ApiError> {
    let sessions_revoked = identity(&state)?.revoke_all_for(&who, &id, &client).await?;
    Ok(Json(Revoked { sessions_revoked }))
}

/// Operators (admin, with a step-up for `unlock_user`): start unlocking an account after checking
/// the owner's identity outside the system. The same cooling-off as the owner's own unlock applies.
#[utoipa::path(post, path = "/v1/ops/users/{id}/unlock", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's `user_id`."), IdempotencyKey),
    responses((status = 202, description = "The unlock waits out its cooling-off period.", body = UnlockPending), Post,
        FullSession, Conflict))]
pub async fn unlock(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::ACCEPTED, Json(identity(&state)?.unlock_by_operator(&who, &id, &client).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Records before this sequence number (default: the newest).
    #[param(minimum = 1, nullable = false)]
    pub before_seq: Option<i64>,
    /// At most this many, newest first (1 to 200; default 50).
    #[param(minimum = 1, maximum = 200, nullable = false)]
    pub limit: Option<i64>,
}

/// Operators: read the audit log, newest first. The read is itself audited.
#[utoipa::path(get, path = "/v1/ops/audit", tag = "operations", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, description = "Audit records, newest first.", body = Vec<AuditRecord>), Common,
        FullSession))]
pub async fn read_audit(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditRecord>>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=crate::identity::MAX_AUDIT_PAGE).contains(&limit) || q.before_seq.is_some_and(|s| s < 1) {
        return Err(
            ApiError::invalid("limit_invalid", "limit must be 1 to 200 and before_seq at least 1").param("limit")
        );
    }
    Ok(Json(identity(&state)?.read_audit(&who, q.before_seq, limit, &client).await?))
}

/// Operators: the last verification of the audit chain (background job or on demand).
#[utoipa::path(get, path = "/v1/ops/audit/verification", tag = "operations", security(("bearer" = [])),
    responses(
        (status = 200, description = "The newest verification, or `null` before the first.", body = Option<AuditCheck>),
        Common, FullSession))]
pub async fn last_verification(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<Json<Option<AuditCheck>>, ApiError> {
    Ok(Json(identity(&state)?.last_audit_check(&who, &client).await?))
}

/// Operators: verify the whole audit chain now; the result is stored and returned.
#[utoipa::path(post, path = "/v1/ops/audit/verification", tag = "operations", security(("bearer" = [])),
    params(IdempotencyKey),
    responses((status = 200, description = "The verification just made.", body = AuditCheck), Post, FullSession))]
pub async fn verify_now(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<Json<AuditCheck>, ApiError> {
    Ok(Json(identity(&state)?.verify_audit_now(&who, &client).await?))
}
