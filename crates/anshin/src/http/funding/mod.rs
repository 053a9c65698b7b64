//! Funding endpoints: `wallet` for a user's bank accounts and top-ups, `ops` for link reviews and
//! campaign points. Handlers only parse, call `Funding` and map the result.

pub(super) mod ops;
pub(super) mod wallet;

use axum::Router;
use axum::http::StatusCode;

use super::AppState;
use super::error::ApiError;
use crate::funding::{Funding, FundingError};

pub fn routes() -> Router<AppState> {
    wallet::routes().merge(ops::routes())
}

/// Without a funding context (a server built without one) the answer is the same as without a
/// bank: nothing here can work.
fn funding(state: &AppState) -> Result<&Funding, ApiError> {
    state.funding.as_ref().ok_or_else(|| FundingError::BankUnavailable.into())
}

impl From<FundingError> for ApiError {
    fn from(e: FundingError) -> Self {
        let refused = |code, message: &str| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", code, message)
        };
        match e {
            FundingError::Invalid { code, message, param } => ApiError::invalid(code, message).param(param),
            FundingError::BankUnavailable => {
                let mut e = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "api_error",
                    "bank_unavailable",
                    "The bank cannot be reached now (or this server has no bank configured); try again later.",
                );
                e.retry_after_secs = Some(30);
                e
            }
            FundingError::NoSuchAccount => refused(
                "bank_account_not_found",
                "The bank has no such account: check the bank, branch, type and number.",
            ),
            FundingError::AccountClosed => refused("bank_account_closed", "The bank says this account is closed."),
            FundingError::NotLinked => refused(
                "bank_account_not_linked",
                "This bank account cannot be used yet: it is waiting for review, or was rejected or unlinked.",
            ),
            FundingError::Declined(reason) => ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment_error",
                reason,
                match reason {
                    "over_top_up_limit" => "Declined: the amount is over the limit for one top-up.",
                    "over_holding_cap" => "Declined: the wallet would hold more than its cap.",
                    "over_daily_limit" => "Declined: that is over today's top-up limit.",
                    "cooling_off" => {
                        "Declined: a contact change or password reset is cooling off; top up once it has ended."
                    }
                    _ => "Declined.",
                },
            ),
            FundingError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "invalid_request_error", "conflict", message)
            }
            FundingError::NotFound => ApiError::not_found(),
            FundingError::Identity(e) => e.into(),
        }
    }
}
