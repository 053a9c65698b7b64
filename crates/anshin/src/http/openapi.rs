//! The OpenAPI document, generated from the handlers' annotations and served at `/openapi.json`.

use utoipa::OpenApi;

use super::error::{ErrorBody, ErrorEnvelope};
use super::{identity, routes};

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
        identity::register,
        identity::verify_registration,
        identity::login,
        identity::send_login_sms,
        identity::complete_login,
        identity::logout,
        identity::me,
        identity::my_sessions,
        identity::revoke_session,
        identity::start_totp,
        identity::confirm_totp,
        identity::request_reset,
        identity::send_reset_sms,
        identity::complete_reset,
        identity::start_lock,
        identity::complete_lock,
        identity::start_unlock,
        identity::complete_unlock,
        identity::start_step_up,
        identity::complete_step_up,
        identity::enrolment_session,
        identity::passkey_options,
        identity::start_passkey,
        identity::finish_passkey,
        identity::change_password,
        identity::remove_totp,
        identity::start_contact_change,
        identity::confirm_contact_change,
        identity::ops_revoke_sessions,
        identity::ops_unlock
    ),
    components(schemas(
        ErrorEnvelope,
        ErrorBody,
        routes::Health,
        routes::Readiness,
        routes::SendTestMessage,
        routes::Queued,
        crate::notify::MailboxMessage,
        identity::RegisterBody,
        identity::VerifyRegistrationBody,
        identity::LoginBody,
        identity::CompleteLoginBody,
        identity::ConfirmTotpBody,
        identity::ResetBody,
        identity::ResetTokenBody,
        identity::CompleteResetBody,
        identity::FactorBody,
        identity::UnlockBody,
        identity::AccountStatus,
        identity::StepUpBody,
        identity::PasskeyCredentialBody,
        identity::PasskeyAdded,
        identity::ChangePasswordBody,
        identity::ContactChangeBody,
        identity::ContactConfirmBody,
        identity::ContactChanged,
        identity::Revoked
    ))
)]
struct ApiDoc;

pub fn document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".into())
}
