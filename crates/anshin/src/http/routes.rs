//! Thin handlers: parse, call one service function, map the result.

use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use serde::{Deserialize, Serialize};
use serde_json::json;

use std::sync::atomic::Ordering;

use super::AppState;
use super::error::{ApiError, Json, Query};
use super::lang::{gap, t};
use super::layout::layout;
use super::middleware::RequestId;
use super::openapi::{Common, IdempotencyKey, Invalid, PostJson};
use crate::audit::{self, AuditEvent};
use crate::notify::{self, Channel, MailboxMessage, OutboxMessage};
use crate::storage::NotReady;

const READY_RETRY_AFTER_SECS: u64 = 5;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(value_type = String, pattern = "^ok$")]
    pub status: &'static str,
}

/// Liveness: the process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up.", body = Health), Invalid))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Always `ready`.
    #[schema(value_type = String, pattern = "^ready$")]
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    #[schema(value_type = String, pattern = "^(sqlite|postgres)$")]
    pub database: &'static str,
    pub schema_version: i64,
}

/// A successful readiness check is reused for this long, so a flood of probes cannot turn into a
/// flood of durable writes; a failed one is never reused, so recovery shows at once.
const READY_REUSE_MS: i64 = 1_000;

/// Readiness: the database answers, the schema is exactly the one this binary knows, a real write
/// commits (a full disk is "not ready"), and the ledger writer runs.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready for traffic.", body = Readiness), Common))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let not_ready = |message: &'static str| {
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "api_error", "not_ready", message);
        e.retry_after_secs = Some(READY_RETRY_AFTER_SECS);
        e
    };
    if state.ledger.as_ref().is_some_and(|l| !l.is_running()) {
        return Err(not_ready("The ledger has stopped."));
    }
    let now = crate::storage::now_ms();
    if now >= state.ready_until_ms.load(Ordering::Acquire) {
        state.db.check_ready().await.map_err(|e| {
            tracing::warn!(error = %e, "readiness check failed");
            match e {
                NotReady::Query(_) => not_ready("The database is not reachable."),
                NotReady::SchemaVersion { .. } => not_ready("The database schema is not the one this server expects."),
                NotReady::WriteFailed(_) => not_ready("The database does not accept writes."),
            }
        })?;
        state.ready_until_ms.store(now + READY_REUSE_MS, Ordering::Release);
    }
    Ok(Json(Readiness {
        status: "ready",
        database: state.db.engine_name(),
        schema_version: crate::storage::known_schema_version(),
    }))
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

pub async fn openapi() -> Response {
    let doc = super::openapi::document();
    ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
}

pub async fn index(State(state): State<AppState>) -> Html<String> {
    let page = layout(
        &t("index-title"),
        html! {
            p { (t("index-intro")) }
            ul {
                li { a href="/register" { (t("index-register")) } }
                li { a href="/login" { (t("index-sign-in")) } (gap()) (t("index-sign-in-note")) }
                li { a href="/healthz" { (t("index-health")) } }
                li { a href="/openapi.json" { (t("index-openapi")) } }
                @if state.dev_mailbox { li { a href="/dev/mailbox" { (t("index-dev-mailbox")) } } }
            }
        },
    );
    Html(page.into_string())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MailboxQuery {
    /// Only messages to this recipient.
    #[param(nullable = false)]
    pub recipient: Option<String>,
    /// At most this many, newest first (1 to 200; default 50).
    #[param(minimum = 1, maximum = 200, nullable = false)]
    pub limit: Option<i64>,
}

/// Messages delivered to the local dev mailbox (only when no SMTP server is configured and the
/// server listens on loopback).
#[utoipa::path(get, path = "/v1/dev/mailbox", tag = "development", params(MailboxQuery),
    responses((status = 200, description = "Messages, newest first.", body = Vec<MailboxMessage>), Common))]
pub async fn mailbox_json(
    State(state): State<AppState>,
    Query(q): Query<MailboxQuery>,
) -> Result<Json<Vec<MailboxMessage>>, ApiError> {
    let limit = crate::http::error::page_limit(q.limit, 50, notify::MAX_MAILBOX_PAGE)?;
    Ok(Json(notify::mailbox(&state.db, q.recipient.as_deref(), limit).await?))
}

pub async fn mailbox_page(
    State(state): State<AppState>,
    Query(q): Query<MailboxQuery>,
) -> Result<Html<String>, ApiError> {
    let limit = crate::http::error::page_limit(q.limit, 50, notify::MAX_MAILBOX_PAGE)?;
    let messages = notify::mailbox(&state.db, q.recipient.as_deref(), limit).await?;
    let page = layout(
        &t("mailbox-title"),
        html! {
            p { (t("mailbox-intro")) }
            @if messages.is_empty() { p.notice.info { (t("mailbox-empty")) } }
            @for m in &messages {
                article {
                    h2 { (m.subject) }
                    p {
                        (t("mailbox-to")) ": " strong { (m.recipient) } " · "
                        (t("mailbox-channel")) ": " (m.channel) " · "
                        (t("mailbox-id")) ": " code { (m.outbox_id) }
                    }
                    pre { (m.body) }
                }
            }
        },
    );
    Ok(Html(page.into_string()))
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendTestMessage {
    #[schema(value_type = TestChannel)]
    pub channel: String,
    /// Not blank; no control characters.
    #[schema(
        min_length = 1,
        max_length = 320,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub recipient: String,
    /// No control characters.
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub subject: String,
    #[schema(max_length = 20000)]
    pub body: String,
}

/// The channels a test message may use (for the schema; the body keeps the string).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TestChannel {
    Email,
    Sms,
    InApp,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Queued {
    pub id: String,
    /// Always `queued`.
    #[schema(value_type = String, pattern = "^queued$")]
    pub status: &'static str,
}

/// Queue a test message through the outbox (development only). Accepts `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/dev/messages", tag = "development", request_body = SendTestMessage,
    params(IdempotencyKey), responses((status = 201, description = "The message is queued.", body = Queued), PostJson))]
pub async fn send_test_message(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
    Json(input): Json<SendTestMessage>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let channel = Channel::parse(&input.channel)
        .filter(|c| *c != Channel::Webhook)
        .ok_or_else(|| ApiError::invalid("channel_invalid", "channel must be email, sms or in_app").param("channel"))?;
    let message = OutboxMessage { channel, recipient: input.recipient, subject: input.subject, body: input.body };
    message.validate().map_err(|m| ApiError::invalid("message_invalid", m))?;
    let mut tx = state.db.begin_write().await?;
    let ids = notify::enqueue(&state.db, &mut tx, std::slice::from_ref(&message)).await?;
    let id = ids.into_iter().next().ok_or_else(ApiError::internal)?;
    let event = AuditEvent::new("anonymous", "dev.message.queued", &id)
        .request_id(request_id.0)
        .details(json!({ "channel": channel.as_str() }));
    audit::append(&state.db, &mut tx, &[event]).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(Queued { id, status: "queued" })))
}

pub async fn not_found() -> ApiError {
    ApiError::not_found()
}
