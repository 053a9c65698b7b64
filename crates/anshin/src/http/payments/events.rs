//! The merchant's live feed as server-sent events, for its staff (any role) on an open portal
//! page (session cookie, as `EventSource` sends it) or a program (bearer token). Each event's
//! `id:` is its number, so a browser that reconnects sends `Last-Event-ID` and is replayed what it
//! missed (`payments::feed` bounds it). Comments keep idle proxies from closing the connection.
//! A connection ends after `MAX_STREAM_SECS` (the browser reconnects at once, authenticated
//! afresh) and as soon as the server begins to stop, so open feeds never hold up a shutdown.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::payments;
use crate::http::AppState;
use crate::http::connections::Stopping;
use crate::http::error::{ApiError, Query};
use crate::http::identity::Caller;
use crate::http::openapi::{Common, FullSession, Invalid, Missing, Throttled};
use crate::identity::{IdentityError, Principal};
use crate::payments::feed::{FeedItem, MAX_STREAM_SECS, Subscription};

/// A comment this often keeps the connection open through proxies and finds clients gone.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How soon a browser reconnects after a connection ends.
const RETRY: Duration = Duration::from_millis(1_000);

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/merchants/{id}/events", get(stream))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Start after this event number (what `Last-Event-ID` says; the header wins). Without
    /// either, only events from now on.
    #[param(minimum = 0, nullable = false)]
    pub after: Option<i64>,
}

/// The merchant's payment events as they happen (`text/event-stream`): each `data:` is one
/// event as webhooks post it (see docs/WEBHOOKS.md), its `id:` the event's number. Resumes after
/// `Last-Event-ID` (at most 500 missed events are replayed; past that an `event: reset` says to
/// reload). A session may hold 4 feeds open at once (one per open page); more get 429.
#[utoipa::path(get, path = "/v1/merchants/{id}/events", tag = "merchants", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."), EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The last event number received.")),
    responses((status = 200, description = "A stream of server-sent events.", content_type = "text/event-stream",
        body = String), Common, FullSession, Invalid, Missing, Throttled))]
pub async fn stream(
    State(state): State<AppState>,
    Caller(client): Caller,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
    stopping: Option<axum::Extension<Stopping>>,
) -> Result<Response, ApiError> {
    let who = watcher(&state, &headers).await?;
    let after = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::invalid("last_event_id_invalid", "Last-Event-ID is an event number"))?,
        ),
        None => match q.after {
            Some(n) if n < 0 => return Err(ApiError::invalid("after_invalid", "after is at least 0").param("after")),
            other => other,
        },
    };
    let sub = payments(&state)?.live_events(&who, &id, after, &client).await?;
    let open = Open {
        sub,
        stopping: stopping.map(|s| s.0),
        until: tokio::time::Instant::now() + Duration::from_secs(MAX_STREAM_SECS),
        greeted: false,
    };
    let events = futures::stream::unfold(open, next_event);
    let mut response = Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response();
    // Proxies that buffer would hold events back until their buffer fills.
    response.headers_mut().insert("x-accel-buffering", header::HeaderValue::from_static("no"));
    Ok(response)
}

/// The bearer token if there is one, else the portal's session cookie; a full session either way.
async fn watcher(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let identity = state.identity.as_ref().ok_or_else(ApiError::not_found)?;
    let who = match headers.get(header::AUTHORIZATION) {
        Some(value) => {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .filter(|t| !t.is_empty() && t.len() <= 128)
                .ok_or(IdentityError::Unauthenticated)?;
            identity.authenticate(token).await?
        }
        None => crate::http::pages::signed_in(state, headers).await.map_err(|_| IdentityError::Unauthenticated)?,
    };
    if !who.is_full() {
        return Err(IdentityError::Forbidden.into());
    }
    Ok(who)
}

struct Open {
    sub: Subscription,
    stopping: Option<Stopping>,
    until: tokio::time::Instant,
    greeted: bool,
}

async fn next_event(mut o: Open) -> Option<(Result<Event, Infallible>, Open)> {
    if !o.greeted {
        o.greeted = true;
        let hello = Event::default().retry(RETRY).comment(format!("anshin live feed after {}", o.sub.cursor()));
        return Some((Ok(hello), o));
    }
    let item = tokio::select! {
        item = o.sub.next() => item,
        _ = stopped(&mut o.stopping) => return None,
        _ = tokio::time::sleep_until(o.until) => return None,
    };
    let event = match item {
        Ok(FeedItem::Event(e)) => {
            let data = serde_json::to_string(&e).expect("an event serializes");
            Event::default().id(e.seq.unwrap_or_default().to_string()).data(data)
        }
        Ok(FeedItem::Reset) => Event::default().event("reset").data("{}"),
        Err(e) => {
            // The browser reconnects with Last-Event-ID and loses nothing.
            tracing::warn!(error = %e, "reading the live feed failed");
            return None;
        }
    };
    Some((Ok(event), o))
}

async fn stopped(stopping: &mut Option<Stopping>) {
    match stopping {
        Some(s) => s.wait().await,
        None => std::future::pending().await,
    }
}
