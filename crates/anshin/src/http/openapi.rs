//! The OpenAPI document, generated from the handlers' annotations and served at `/openapi.json`.

use utoipa::OpenApi;

use super::error::{ErrorBody, ErrorEnvelope};
use super::identity::{account, ops, signin};
use super::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Anshin API",
        description = "Secure cashless payments. Amounts are integers in minor units; errors use one envelope."
    ),
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
        ops::verify_now
    ),
    components(schemas(
        ErrorEnvelope,
        ErrorBody,
        routes::Health,
        routes::Readiness,
        routes::SendTestMessage,
        routes::Queued
    ))
)]
struct ApiDoc;

pub fn document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".into())
}
