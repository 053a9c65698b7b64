//! A store's QR poster (its static code, signed by the platform) as PNG or SVG, downloaded from
//! the portal by the merchant's own staff; the same service call as the JSON API.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

use super::staff;
use crate::http::AppState;
use crate::http::identity::Caller;
use crate::http::lang::t;
use crate::http::pages::{PageError, PageResult, problem_page};
use crate::payments::{PaymentError, poster};

async fn code(
    state: &AppState,
    headers: &HeaderMap,
    client: &crate::identity::Client,
    store_id: &str,
) -> Result<String, PageError> {
    let s = staff(state, headers).await?;
    let payments = state.payments.as_ref().ok_or_else(|| {
        PageError::from(problem_page(StatusCode::NOT_FOUND, &t("problem-not-found-title"), &t("problem-not-found")))
    })?;
    let missing = |_: PaymentError| {
        PageError::from(problem_page(
            StatusCode::NOT_FOUND,
            &t("problem-not-found-title"),
            &t("error-resource-missing"),
        ))
    };
    Ok(payments.store_code_for(&s.who, s.merchant_id(), store_id, client).await.map_err(missing)?.0)
}

pub(super) async fn png(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Path(store_id): Path<String>,
) -> PageResult {
    let payload = code(&state, &headers, &client, &store_id).await?;
    let picture =
        poster::png(&payload).map_err(|_| PageError::from(StatusCode::INTERNAL_SERVER_ERROR.into_response()))?;
    Ok(crate::http::payments::download("image/png", &store_id, "png", picture).into_response())
}

pub(super) async fn svg(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Path(store_id): Path<String>,
) -> PageResult {
    let payload = code(&state, &headers, &client, &store_id).await?;
    let picture =
        poster::svg(&payload).map_err(|_| PageError::from(StatusCode::INTERNAL_SERVER_ERROR.into_response()))?;
    Ok(crate::http::payments::download("image/svg+xml", &store_id, "svg", picture.into_bytes()).into_response())
}
