//! The web wallet's payment pages: balances and the customer's own payments (`home`), one payment
//! with its confirmation number and, when the decision point asked for it, Confirm and Cancel
//! (`payment`), and the one-time code shown at a till (`pay`, with its script
//! `/static/wallet-pay.js` and the vendored QR encoder). Every page calls the same `Payments`
//! function as the JSON API, for the signed-in customer only: another person's payment is
//! "not found", never shown.

mod decide;
mod home;
mod pay;
mod payment;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};

use super::AppState;
use super::lang::t;
use super::pages::{PageError, explain, full, problem_page};
use crate::identity::{AccountKind, Principal};
use crate::payments::{PaymentError, Payments};

pub(super) use decide::{confirming, start_confirmation};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wallet", get(home::page))
        .route("/wallet/payments", get(home::awaiting))
        .route("/wallet/payments/{id}", get(payment::page))
        .route("/wallet/payments/{id}/confirm", post(decide::confirm))
        .route("/wallet/payments/{id}/cancel", post(decide::cancel))
        .route("/wallet/pay", get(pay::page))
        .route("/wallet/pay/device", get(pay::device_status).post(pay::provision))
        .route("/static/wallet-pay.js", get(pay::script))
        .route("/static/vendor/qrcode.js", get(pay::qr_encoder))
}

fn payments(state: &AppState) -> Result<&Payments, PageError> {
    state.payments.as_ref().ok_or_else(|| {
        problem_page(StatusCode::NOT_FOUND, &t("problem-not-found-title"), &t("problem-not-found")).into()
    })
}

/// A wallet holder with a full session: staff and operators have no wallet.
async fn customer(state: &AppState, headers: &HeaderMap) -> Result<Principal, PageError> {
    let who = full(state, headers).await?;
    if who.kind != AccountKind::Wallet {
        return Err(problem_page(StatusCode::FORBIDDEN, &t("wallet-only-title"), &t("wallet-only")).into());
    }
    Ok(who)
}

/// A payment error as a page, under the status the API answers for it.
fn refused(title: &str, e: PaymentError) -> PageError {
    let message = explain_payment(&e);
    let status = super::error::ApiError::from(e).status;
    problem_page(status, title, &message).into()
}

/// What a person reads for a payment error, in the page's language.
fn explain_payment(e: &PaymentError) -> String {
    match e {
        PaymentError::NotFound => t("wallet-payment-missing"),
        PaymentError::Declined("not_pending") => t("wallet-not-pending"),
        PaymentError::Identity(e) => explain(e),
        PaymentError::Declined(reason) if *reason == "insufficient_funds" => t("wallet-declined-funds"),
        PaymentError::Declined(reason) if *reason == "over_payment_limit" => t("wallet-declined-limit"),
        PaymentError::Declined(_) => t("wallet-declined"),
        PaymentError::NotAccepting => t("wallet-not-accepting"),
        PaymentError::Invalid { .. }
        | PaymentError::CodeRefused(_)
        | PaymentError::PosUnauthenticated(_)
        | PaymentError::ScanRefused(_)
        | PaymentError::TooManyStreams => t("wallet-not-possible"),
    }
}

/// A payment's status in words (`wallet-status-{status}`).
fn status_name(status: &str) -> String {
    match status {
        "succeeded"
        | "requires_confirmation"
        | "held"
        | "failed"
        | "canceled"
        | "refunded"
        | "partially_refunded"
        | "pending"
        | "voided" => t(&format!("wallet-status-{}", status.replace('_', "-"))),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Locale, has_message};

    /// Ids built from a value escape the catalog test, which reads only literal ids.
    #[test]
    fn every_status_has_its_words() {
        for status in [
            "succeeded",
            "requires_confirmation",
            "held",
            "failed",
            "canceled",
            "refunded",
            "partially_refunded",
            "pending",
            "voided",
        ] {
            for locale in Locale::ALL {
                let id = format!("wallet-status-{}", status.replace('_', "-"));
                assert!(has_message(locale, &id), "{id} in {locale:?}");
            }
        }
    }
}
