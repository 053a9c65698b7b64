//! Operators' funding endpoints: bank-account links in review, and campaign points.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::funding;
use crate::funding::store::LinkReview;
use crate::funding::{BankAccount, PointGrant, PointGrantRequest};
use crate::http::AppState;
use crate::http::error::{ApiError, Json};
use crate::http::identity::{Caller, SignedIn};
use crate::http::openapi::{Common, Conflict, FullSession, IdempotencyKey, Invalid, Missing, PostJson};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/ops/bank-accounts/reviews", get(reviews))
        .route("/v1/ops/bank-accounts/{id}/review", post(review))
        .route("/v1/ops/point-grants", get(point_grants).post(grant_points))
}

/// Admins: bank-account links whose holder name did not match the user's legal name, oldest first.
#[utoipa::path(get, path = "/v1/ops/bank-accounts/reviews", tag = "funding", security(("bearer" = [])),
    responses((status = 200, description = "Links in review.", body = Vec<LinkReview>), Common, FullSession))]
pub async fn reviews(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<LinkReview>>, ApiError> {
    Ok(Json(funding(&state)?.links_awaiting_review(&who, &client).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkReviewBody {
    /// True links the account (its owner is told); false rejects it.
    pub approve: bool,
}

/// Admins: approve or reject a link in review (audited).
#[utoipa::path(post, path = "/v1/ops/bank-accounts/{id}/review", tag = "funding", request_body = LinkReviewBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "The account's id."), IdempotencyKey),
    responses((status = 200, description = "The account after the decision.", body = BankAccount), PostJson,
        FullSession, Missing, Conflict))]
pub async fn review(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(b): Json<LinkReviewBody>,
) -> Result<Json<BankAccount>, ApiError> {
    Ok(Json(funding(&state)?.review_link(&who, &id, b.approve, &client).await?))
}

/// Admins: grant campaign points to a wallet (CampaignFunding → points; audited; the user is
/// told). The same `reference` for the same user returns the first grant.
#[utoipa::path(post, path = "/v1/ops/point-grants", tag = "funding", request_body = PointGrantRequest,
    security(("bearer" = [])), params(IdempotencyKey),
    responses((status = 201, description = "The grant.", body = PointGrant), PostJson, FullSession, Invalid, Missing,
        Conflict))]
pub async fn grant_points(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Json(b): Json<PointGrantRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(funding(&state)?.grant_points(&who, &b, &client).await?)))
}

/// Admins: the latest point grants, newest first.
#[utoipa::path(get, path = "/v1/ops/point-grants", tag = "funding", security(("bearer" = [])),
    responses((status = 200, description = "Grants.", body = Vec<PointGrant>), Common, FullSession))]
pub async fn point_grants(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<PointGrant>>, ApiError> {
    Ok(Json(funding(&state)?.recent_point_grants(&who, &client).await?))
}
