//! The OpenAPI document, generated from the handlers' annotations and served at `/openapi.json`,
//! and the sets of error answers the operations share.
//!
//! Every status an operation can return is listed on it. The answers that come from the layers
//! and extractors rather than from a flow are named once here and listed by name on each handler:
//! `Common` (every operation), `Post` / `PostJson` (the POSTs under `/v1/`, with the
//! `Idempotency-Key` layer and, for `PostJson`, the JSON body extractor), `Session` /
//! `FullSession` (the bearer-token extractors). A flow's own refusals are listed with the set
//! named for why they happen (`Invalid`, `WrongProof`, `Refused`, `Conflict`, `Throttled`).
//! Each status has one description, whichever set lists it. `.ci/schemathesis.sh` checks the
//! document against a live server on both engines.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, Required, Type};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi};

use super::cards::virtual_card;
use super::cards::wallet as cards_wallet;
use super::error::{ErrorBody, ErrorEnvelope};
use super::funding::{ops as funding_ops, wallet as funding_wallet};
use super::identity::{account, kyc, ops, signin};
use super::merchants::{ops as merchant_ops, portal};
use super::payments::{events as merchant_events, merchant as merchant_payments, ops as ops_payments, pos, qr, wallet};
use super::reports as regulatory_reports;
use super::routes;
use super::settlement;
use super::transfers as wallet_transfers;
use super::withdrawals as wallet_withdrawals;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Anshin API",
        description = "Secure cashless payments. Amounts are integers in minor units; errors use one envelope. \
            Every operation lists every status it can return; `503` (with `Retry-After`) can come from any of them \
            when the server sheds load, a request runs out of time or the database is unavailable."
    ),
    modifiers(&BearerAuth),
    paths(
        routes::healthz,
        routes::readyz,
        routes::mailbox_json,
        routes::send_test_message,
        signin::register,
        signin::verify_registration,
        signin::login,
        signin::send_sms,
        signin::send_email,
        signin::complete_login,
        signin::enrolment_session,
        signin::passkey_options,
        signin::request_reset,
        signin::send_reset_sms,
        signin::complete_reset,
        signin::start_lock,
        signin::complete_lock,
        signin::start_unlock,
        signin::complete_unlock,
        signin::cancel_unlock,
        account::me,
        account::logout,
        account::my_sessions,
        account::revoke_session,
        account::my_devices,
        account::revoke_device,
        account::start_totp,
        account::confirm_totp,
        account::remove_totp,
        account::start_passkey,
        account::finish_passkey,
        account::change_password,
        account::start_contact_change,
        account::confirm_contact_change,
        account::start_step_up,
        account::complete_step_up,
        ops::revoke_sessions,
        ops::unlock,
        ops::read_audit,
        ops::last_verification,
        ops::verify_now,
        kyc::submit,
        kyc::mine,
        kyc::list,
        kyc::decide,
        merchant_ops::propose,
        merchant_ops::review,
        merchant_ops::suspend,
        merchant_ops::reactivate,
        merchant_ops::list,
        merchant_ops::review_payout_account,
        portal::payout_accounts,
        portal::set_payout_account,
        portal::cancel_payout_change,
        portal::merchant,
        portal::stores,
        portal::add_store,
        portal::store_status,
        portal::staff,
        portal::add_staff,
        portal::pos_keys,
        portal::create_pos_key,
        portal::revoke_pos_key,
        portal::webhooks,
        portal::add_webhook,
        portal::rotate_webhook,
        portal::disable_webhook,
        merchant_payments::list,
        merchant_payments::export,
        merchant_payments::refund,
        pos::charge,
        pos::payment,
        pos::refund,
        wallet::provision_device,
        wallet::balances,
        wallet::payment,
        settlement::list,
        settlement::one,
        settlement::day,
        settlement::run,
        wallet::start_confirmation,
        wallet::confirm,
        wallet::cancel,
        pos::cancel,
        ops_payments::waiting,
        ops_payments::decide,
        wallet::payments_list,
        funding_wallet::link_bank_account,
        funding_wallet::bank_accounts,
        funding_wallet::unlink_bank_account,
        funding_wallet::top_up,
        funding_wallet::top_ups,
        funding_wallet::top_up_status,
        funding_ops::reviews,
        funding_ops::review,
        funding_ops::grant_points,
        funding_ops::point_grants,
        cards_wallet::add_card,
        cards_wallet::list_cards,
        cards_wallet::remove_card,
        cards_wallet::card_top_up,
        cards_wallet::card_top_ups,
        cards_wallet::card_top_up_status,
        // vcard (issue 8 item 8)
        virtual_card::show,
        virtual_card::issue,
        virtual_card::reveal,
        virtual_card::freeze,
        virtual_card::replace,
        virtual_card::limits,
        virtual_card::authorizations,
        regulatory_reports::regulatory,
        merchant_events::stream,
        qr::create_request,
        qr::read_request,
        qr::cancel_request,
        qr::scan,
        qr::read_scan,
        qr::pay,
        qr::store_code,
        qr::store_svg,
        qr::store_png,
        wallet_transfers::find_payee,
        wallet_transfers::send,
        wallet_transfers::list,
        wallet_transfers::one,
        wallet_transfers::create_request,
        wallet_transfers::requests,
        wallet_transfers::read_request,
        wallet_transfers::pay_request,
        wallet_transfers::cancel_request,
        wallet_withdrawals::request,
        wallet_withdrawals::list,
        wallet_withdrawals::one,
        wallet_withdrawals::reviews,
        wallet_withdrawals::review
    ),
    components(schemas(
        ErrorEnvelope,
        ErrorBody,
        routes::Health,
        routes::Readiness,
        routes::SendTestMessage,
        routes::Queued,
        crate::payments::events::MerchantEvent
    ))
)]
struct ApiDoc;

pub fn document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".into())
}

/// The name operations use in `security(("bearer" = []))`.
pub const BEARER: &str = "bearer";

/// The session token scheme: `Authorization: Bearer <token>` from a sign-in or registration.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("The `token` of a session (registration, sign-in or step-up).".into());
        components.add_security_scheme(BEARER, SecurityScheme::Http(scheme));
    }
}

/// What one error status means, whichever operation answers it. The envelope's `code` says which
/// case it is.
fn describe(status: u16) -> &'static str {
    match status {
        400 => {
            "The request is not valid: a NUL character (`nul_byte`), a body that is not JSON or has an unknown \
             field or a wrong type, a malformed `Idempotency-Key`, or a value the operation refuses. \
             `error.param` names the field."
        }
        401 => {
            "Not signed in (`not_signed_in`), or a password, code, challenge or key that is wrong, used up or \
             expired (`login_failed`, `code_rejected`, `code_expired`); for a POS request, a signature that is \
             wrong, stale or replayed (`signature_invalid`, `timestamp_stale`, `nonce_reused`)."
        }
        403 => {
            "The session may not do this: it may only enrol a factor (`enrolment_required`), the action needs a \
             step-up grant (`step_up_required`), the role does not allow it (`forbidden`), or it needs a verified \
             identity (`identity_not_verified`); or the merchant or store cannot take payments now \
             (`not_accepting_payments`)."
        }
        409 => {
            "Conflicts with the current state (`conflict`), or the `Idempotency-Key` was used for another request, \
             is still in progress, or answered with a secret that is not replayed (`idempotency_error`)."
        }
        402 => {
            "Declined (`insufficient_funds`, `over_payment_limit`; for a top-up `over_top_up_limit`, \
             `over_daily_limit`, `over_holding_cap`, `cooling_off`; for a card top-up also `over_monthly_limit`, \
             `authentication_failed`, `authentication_unavailable`, `authentication_attempted_over_cap`; for a \
             card that does not check out, whichever field or limit it was, `card_declined`; for a transfer \
             `insufficient_money`, `over_transfer_limit`, `over_daily_transfer_limit`, `over_monthly_transfer_limit`, \
             `payee_over_holding_cap`, `money_out_cooling_off`, `own_wallet`, \
             `account_not_active`, `too_many_payee_lookups`): nothing moved."
        }
        422 => {
            "The customer's code cannot pay (`code_invalid`, `code_expired`, `code_used`): ask for a new code. \
             For funding, the bank account cannot be used (`bank_account_not_found`, `bank_account_closed`, \
             `bank_account_not_linked`)."
        }
        404 => {
            "No such resource, or one that belongs to someone else (`resource_missing`); for a transfer, no wallet \
             that can receive money answers to that address, or the payee token expired (`no_such_payee`)."
        }
        413 => "The request body is larger than the server accepts (`payload_too_large`).",
        415 => "The request body is not `application/json` (`unsupported_media_type`).",
        429 => "Too many attempts (`too_many_attempts`): retry after the seconds in `Retry-After`.",
        503 => {
            "The server is shedding load, the request ran out of time, the database is unavailable, or the bank, \
             card network or eKYC provider cannot be reached or is not configured (`overloaded`, `service_unavailable`, \
             `not_ready`, `bank_unavailable`, `card_network_unavailable`, `ekyc_unavailable`): retry after the \
             seconds in `Retry-After`."
        }
        _ => "An error; see `error.code`.",
    }
}

/// The error response for `status`: the envelope, and `Retry-After` where the server sends it.
pub fn error_response(status: u16) -> (String, RefOr<Response>) {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorEnvelope"))).build();
    let mut response = ResponseBuilder::new().description(describe(status)).content("application/json", content);
    if matches!(status, 429 | 503) {
        let seconds = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1));
        let header =
            HeaderBuilder::new().schema(Some(seconds)).description(Some("Seconds to wait before trying again."));
        response = response.header("Retry-After", header.build());
    }
    (status.to_string(), RefOr::T(response.build()))
}

/// A named set of error statuses, for `responses(...)` in `#[utoipa::path]`.
macro_rules! error_set {
    ($($(#[$doc:meta])* $name:ident: [$($status:literal),+];)+) => {$(
        $(#[$doc])*
        pub struct $name;
        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                [$($status),+].into_iter().map(error_response).collect()
            }
        }
    )+};
}

error_set! {
    /// Every operation: a NUL in the path or query string (400, before anything parses it), and
    /// 503 from admission control, the time limit or an unavailable database.
    Common: [400, 503];
    /// A POST under `/v1/`: as `Common`, and the `Idempotency-Key` layer (a malformed key: 400; a
    /// reused, in-progress or secret-bearing key: 409; a body over the limit, read to key it: 413).
    Post: [400, 409, 413, 503];
    /// A POST under `/v1/` with a JSON body: as `Post`, and the body extractor (not JSON, an
    /// unknown field, a wrong type, a NUL: 400; not `application/json`: 415).
    PostJson: [400, 409, 413, 415, 503];
    /// Any live session, an enrolment-only one included: 401 without a valid bearer token.
    Session: [401];
    /// A full session: 401 without a valid token, 403 for an enrolment-only session.
    FullSession: [401, 403];
    /// The flow refuses a value (`error.param` names it).
    Invalid: [400];
    /// A password, code, challenge or key that is wrong, used up or expired.
    WrongProof: [401];
    /// A step-up grant is needed, or the role does not allow it.
    Refused: [403];
    /// The account's state does not allow it now.
    Conflict: [409];
    /// No such resource, or one the caller may not see (the same answer, so ids cannot be probed).
    Missing: [404];
    /// A POS request: not signed right, stale, replayed or an unknown key (401); a merchant or
    /// store that cannot take payments now (403).
    PosSigned: [401, 403];
    /// The payment was declined.
    Declined: [402];
    /// The customer's code cannot pay.
    CodeRefused: [422];
    /// A guard or quota refused the attempt.
    Throttled: [429];
    /// The bank account cannot be used: unknown or closed at the bank, or not linked.
    BankRefused: [422];
}

/// The `Idempotency-Key` header every POST under `/v1/` accepts.
pub struct IdempotencyKey;

impl IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let key = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(super::idempotency::MAX_KEY_CHARS))
            .pattern(Some("^[!-~]+$"));
        vec![
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Makes a retry safe: the first answer for a key is replayed for the same request, and the same \
                     key with another request is a 409. Answers that carry a secret are never stored.",
                ))
                .schema(Some(key))
                .build(),
        ]
    }
}

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod tests;
