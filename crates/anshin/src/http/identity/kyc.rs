//! Identity verification (eKYC): the wallet user's submission and level, and operators' review.
//! Handlers only parse, call `Identity` and map the result.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Caller, SignedIn, identity};
use crate::http::AppState;
use crate::http::error::{ApiError, Json, Query};
use crate::http::openapi::{
    Common, Conflict, FullSession, IdempotencyKey, Invalid, Missing, PostJson, Refused, Throttled,
};
use crate::identity::kyc::{Attempt, DecisionRequest, IdentityVerification, VerificationRequest, VerificationReview};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me/identity-verifications", post(submit))
        .route("/v1/me/identity-verification", get(mine))
        .route("/v1/ops/identity-verifications", get(list))
        .route("/v1/ops/identity-verifications/{id}/decision", post(decide))
}

/// Wallets, with a step-up for `verify_identity`: submit an identity document (and the digest of
/// the selfie sent to the provider) for verification. The answer is the attempt, `pending`: poll
/// `GET /v1/me/identity-verification`. 503 `ekyc_unavailable` when no eKYC provider can be reached.
#[utoipa::path(post, path = "/v1/me/identity-verifications", tag = "identity", request_body = VerificationRequest,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 202, description = "The attempt, pending at the provider.", body = Attempt), PostJson,
        FullSession, Invalid, Refused, Conflict, Throttled))]
pub async fn submit(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<VerificationRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::ACCEPTED, Json(identity(&state)?.submit_verification(&who, &b, &client).await?)))
}

/// The user's verification level (`unverified` or `verified`, with the verified fields) and the
/// latest attempt (the document number shows only its last four characters). A pending attempt is
/// asked about first, so this also moves it on.
#[utoipa::path(get, path = "/v1/me/identity-verification", tag = "identity", security(("bearer" = [])),
    responses((status = 200, description = "The level and the latest attempt.", body = IdentityVerification),
        Common, FullSession))]
pub async fn mine(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<IdentityVerification>, ApiError> {
    Ok(Json(identity(&state)?.my_verification(&who).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Attempts in this state (default `review`).
    #[param(pattern = "^(review|pending|verified|rejected)$", nullable = false)]
    pub status: Option<String>,
}

/// Analysts and admins: identity verifications in a state (default `review`: waiting for an
/// operator), oldest first, with the registered legal name, what the user typed and what the
/// provider read.
#[utoipa::path(get, path = "/v1/ops/identity-verifications", tag = "operations", params(ReviewQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "Attempts, oldest first.", body = Vec<VerificationReview>), Common,
        FullSession, Invalid))]
pub async fn list(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Query(q): Query<ReviewQuery>,
) -> Result<Json<Vec<VerificationReview>>, ApiError> {
    Ok(Json(identity(&state)?.verifications_in(&who, q.status.as_deref(), &client).await?))
}

/// Admins: approve (a manual verification; the user is told) or reject an attempt in review,
/// with the reason (audited). Nobody decides their own.
#[utoipa::path(post, path = "/v1/ops/identity-verifications/{id}/decision", tag = "operations",
    request_body = DecisionRequest, security(("bearer" = [])),
    params(("id" = String, Path, description = "The attempt's id."), IdempotencyKey),
    responses((status = 200, description = "The attempt after the decision.", body = VerificationReview), PostJson,
        FullSession, Invalid, Missing, Conflict))]
pub async fn decide(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<DecisionRequest>,
) -> Result<Json<VerificationReview>, ApiError> {
    Ok(Json(identity(&state)?.decide_verification(&who, &id, &b, &client).await?))
}
