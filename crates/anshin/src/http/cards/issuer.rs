//! Anshin as its virtual cards' issuer: what the card network sends (`POST /issuer/…`, with the
//! network's bearer key, like the RReq). Not part of the user's API, so not under `/v1/` and not
//! in the OpenAPI document; idempotent on the network's reference rather than `Idempotency-Key`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::cards;
use crate::cards::CardsError;
use crate::cards::virtual_card::IssuerAnswer;
use crate::http::AppState;
use crate::http::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/issuer/authorizations", post(authorize))
        .route("/issuer/clearings", post(clear))
        .route("/issuer/reversals", post(reverse))
}

fn answer(result: Result<IssuerAnswer, CardsError>) -> Response {
    match result {
        Ok(a) => {
            (StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_REQUEST), axum::Json(a.body)).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn authorize(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let bearer = crate::http::identity::bearer_token(&headers);
    match cards(&state) {
        Ok(c) => answer(c.issuer_authorize(bearer, &body).await),
        Err(e) => e.into_response(),
    }
}

async fn clear(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let bearer = crate::http::identity::bearer_token(&headers);
    match cards(&state) {
        Ok(c) => answer(c.issuer_clear(bearer, &body).await),
        Err(e) => e.into_response(),
    }
}

async fn reverse(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let bearer = crate::http::identity::bearer_token(&headers);
    match cards(&state) {
        Ok(c) => answer(c.issuer_reverse(bearer, &body).await),
        Err(e) => e.into_response(),
    }
}
