//! Payment endpoints: `pos` for signed POS requests, `wallet` for the customer's own device keys,
//! balances and payments, `merchant` for a merchant's list of payments. Handlers only parse, call
//! `Payments` and map the result.

pub(super) mod events;
pub(super) mod merchant;
pub(super) mod ops;
pub(super) mod pos;
pub(super) mod qr;

pub(crate) use qr::download;
pub(super) mod wallet;

use axum::Router;
use axum::http::StatusCode;

use super::AppState;
use super::error::ApiError;
use crate::payments::{PaymentError, Payments};

pub fn routes() -> Router<AppState> {
    pos::routes()
        .merge(wallet::routes())
        .merge(merchant::routes())
        .merge(ops::routes())
        .merge(events::routes())
        .merge(qr::routes())
}

fn payments(state: &AppState) -> Result<&Payments, ApiError> {
    state.payments.as_ref().ok_or_else(ApiError::not_found)
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::Invalid { code, message, param } => ApiError::invalid(code, message).param(param),
            PaymentError::PosUnauthenticated(code) => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                code,
                "The POS request is not signed right, is too old or was sent before, or its key is not valid (see docs/POS-API.md).",
            ),
            PaymentError::CodeRefused(code) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "payment_error",
                code,
                match code {
                    "code_expired" => "The customer's code has expired: ask them to show a new one.",
                    "code_used" => "The customer's code was already used: ask them to show a new one.",
                    _ => "That is not a valid customer code: ask the customer to show it again.",
                },
            ),
            // The catalog's English entry is the message; other languages come from theirs.
            PaymentError::ScanRefused(code) => ApiError::new(
                if code == "image_too_large" {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
                "payment_error",
                code,
                crate::i18n::text(crate::i18n::Locale::En, &crate::i18n::error_id(code)),
            ),
            PaymentError::Declined(reason) => ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment_error",
                reason,
                match reason {
                    "insufficient_funds" => "Declined: the wallet does not hold enough.",
                    "over_payment_limit" => "Declined: the amount is over the limit for one payment.",
                    "refund_exceeds_payment" => "Refused: that is more than the payment has left to refund.",
                    "not_refundable" => {
                        "Refused: this payment cannot be refunded (it did not succeed, or is refunded)."
                    }
                    "merchant_balance_insufficient" => "Refused: the merchant's balance cannot cover this refund now.",
                    "refund_busy" => "Refused: other refunds of this payment are in progress; try again.",
                    "not_pending" => "Refused: this payment is not waiting for a decision (it was already decided).",
                    _ => "Declined.",
                },
            ),
            PaymentError::NotAccepting => ApiError::new(
                StatusCode::FORBIDDEN,
                "permission_error",
                "not_accepting_payments",
                "This merchant or store cannot take payments now.",
            ),
            PaymentError::NotFound => ApiError::not_found(),
            PaymentError::TooManyStreams => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "too_many_streams",
                "Too many live feeds are open for this session: close another page first.",
            ),
            PaymentError::Identity(e) => e.into(),
        }
    }
}
