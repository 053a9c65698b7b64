//! Card endpoints: `wallet` for a user's cards and card top-ups (JSON), `threeds` for the
//! 3-D Secure traffic that is not the user's API (the network's RReq, the challenge page that hands
//! the browser to the issuer, and the page the browser comes back to). Handlers only parse, call
//! `Cards` and map the result.

mod pages;
pub(super) mod threeds;
pub(super) mod wallet;
// vcard (issue 8 item 8): the wallet's virtual card, its page, and Anshin as its issuer.
mod issuer;
pub(super) mod virtual_card;
mod virtual_card_pages;

use axum::Router;
use axum::http::StatusCode;

use super::AppState;
use super::error::ApiError;
use crate::cards::{Cards, CardsError};

pub fn routes() -> Router<AppState> {
    wallet::routes()
        .merge(threeds::routes())
        .merge(pages::routes())
        .merge(virtual_card::routes())
        .merge(virtual_card_pages::routes())
        .merge(issuer::routes())
}

/// Without a cards context (or a card network) nothing here can work.
fn cards(state: &AppState) -> Result<&Cards, ApiError> {
    state.cards.as_ref().ok_or_else(|| CardsError::NetworkUnavailable.into())
}

impl From<CardsError> for ApiError {
    fn from(e: CardsError) -> Self {
        match e {
            CardsError::Invalid { code, message, param } => ApiError::invalid(code, message).param(param),
            CardsError::Declined(reason) => ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment_error",
                reason,
                match reason {
                    // One answer for every card that does not check out: which field (or limit)
                    // it was is exactly what a card tester wants to learn.
                    "card_declined" => "The card could not be used. Check the details, or use another card.",
                    "authentication_failed" => "The card issuer did not confirm that this is you.",
                    "authentication_unavailable" => {
                        "The card issuer could not confirm this now (3-D Secure was not completed). Try again later."
                    }
                    "authentication_attempted_over_cap" => {
                        "This card's issuer does not take part in 3-D Secure: top up a smaller amount."
                    }
                    "over_top_up_limit" => "Declined: the amount is over the limit for one top-up.",
                    "over_daily_limit" => "Declined: that is over today's card top-up limit.",
                    "over_monthly_limit" => "Declined: that is over this month's card top-up limit.",
                    _ => "Declined.",
                },
            ),
            CardsError::NetworkUnavailable => {
                let mut e = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "api_error",
                    "card_network_unavailable",
                    "The card network cannot be reached now (or this server has none configured); try again later.",
                );
                e.retry_after_secs = Some(30);
                e
            }
            CardsError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "invalid_request_error", "conflict", message)
            }
            CardsError::NotFound => ApiError::not_found(),
            CardsError::Vault(message) => {
                tracing::error!(%message, "a card vault record did not open");
                ApiError::internal()
            }
            CardsError::Identity(e) => e.into(),
        }
    }
}
