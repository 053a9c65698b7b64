//! Merchant endpoints. Handlers only parse, call `Merchants` and map the result; the rules live
//! in `crate::merchants`. `ops` is for operators (onboarding, review, suspension), `portal` for
//! a merchant's staff (stores, staff, POS keys, webhooks).

pub(super) mod ops;
pub(super) mod portal;

use axum::Router;
use axum::http::StatusCode;

use super::AppState;
use super::error::ApiError;
use crate::merchants::{MerchantError, Merchants};

pub fn routes() -> Router<AppState> {
    ops::routes().merge(portal::routes())
}

fn merchants(state: &AppState) -> Result<&Merchants, ApiError> {
    state.merchants.as_ref().ok_or_else(ApiError::not_found)
}

impl From<MerchantError> for ApiError {
    fn from(e: MerchantError) -> Self {
        match e {
            MerchantError::Invalid { code, message, param } => ApiError::invalid(code, message).param(param),
            MerchantError::NotFound => ApiError::not_found(),
            MerchantError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "permission_error", "forbidden", "You may not do this.")
            }
            MerchantError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "invalid_request_error", "conflict", message)
            }
            MerchantError::NotActive(status) => ApiError::new(
                StatusCode::CONFLICT,
                "invalid_request_error",
                "merchant_not_active",
                format!("The merchant is {status}: it can do nothing until an operator makes it active."),
            ),
            MerchantError::Identity(e) => e.into(),
        }
    }
}
