//! The OpenAPI document, generated from the handlers' annotations and served at `/openapi.json`.

use utoipa::OpenApi;

use super::error::{ErrorBody, ErrorEnvelope};
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
        routes::send_test_message
    ),
    components(schemas(
        ErrorEnvelope,
        ErrorBody,
        routes::Health,
        routes::Readiness,
        routes::SendTestMessage,
        routes::Queued,
        crate::notify::MailboxMessage
    ))
)]
struct ApiDoc;

pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into())
}
