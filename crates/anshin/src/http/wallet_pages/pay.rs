//! Showing a one-time code at a till. The page holds no secret: on first use in a browser its
//! script (`/static/wallet-pay.js`) asks `POST /wallet/pay/device` for a device key (the same
//! `Payments::provision_device` as `POST /v1/me/payment-devices`, CSRF-checked, never cached),
//! imports it with WebCrypto as a non-extractable HMAC key kept in IndexedDB and forgets the raw
//! bytes; from then on it makes codes itself, without the network. The page tells the script which
//! device key this session holds (`data-device`), and `GET /wallet/pay/device` says it again while
//! the page is open: a key the server has stopped (the session ended, the account was locked, a
//! newer key replaced it) is reported as such, with the offer to set up again.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Serialize;

use super::{customer, payments};
use crate::http::AppState;
use crate::http::error::{ApiError, Json};
use crate::http::identity::Caller;
use crate::http::lang::{t, t_args};
use crate::http::pages::{PageResult, SESSION_COOKIE, cookie, csrf_ok, layout, with_csrf};
use crate::identity::{AccountKind, IdentityError, Principal};
use crate::payments::{CODE_TTL_SECS, DeviceProvisioned};

const SCRIPT: &str = include_str!("../../../static/wallet-pay.js");
const QR_ENCODER: &str = include_str!("../../../static/vendor/qrcode.js");

/// A fresh code this often: well inside a code's life, so the one on screen always has at least
/// half its life left when a cashier scans it.
pub const REFRESH_SECS: i64 = CODE_TTL_SECS / 2;

pub async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], SCRIPT)
        .into_response()
}

/// qrcode-generator 2.0.4 (MIT), vendored unchanged: see `static/vendor/qrcode.LICENSE`.
pub async fn qr_encoder() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], QR_ENCODER)
        .into_response()
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = customer(&state, &headers).await?;
    let device =
        payments(&state)?.session_device(&who).await.map_err(|e| super::refused(&t("problem-failed-title"), e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("wallet-pay-title"),
            html! {
                // Every word the script may say, in the page's language; the script holds none.
                div #pay data-device=(device.map(|n| n.to_string()).unwrap_or_default())
                    data-refresh-secs=(REFRESH_SECS)
                    data-setup-why=(t("wallet-pay-setup-why"))
                    data-dead=(t("wallet-pay-dead"))
                    data-working=(t("wallet-pay-working"))
                    data-unsupported=(t("wallet-pay-unsupported"))
                    data-failed=(t("wallet-pay-failed"))
                    data-ready=(t("wallet-pay-ready"))
                    data-countdown=(t_args("wallet-pay-countdown", &[("seconds", "{s}".into())])) {
                    p #pay-status .notice.info role="status" aria-live="polite" {}
                    button #setup type="button" hidden data-csrf=(csrf) { (t("wallet-pay-setup")) }
                    div #code hidden {
                        div.qr { canvas #qr role="img" aria-label=(t("wallet-pay-qr-label")) width="264" height="264" {} }
                        p { (t("wallet-pay-digits")) }
                        p #digits .digits lang="en" {}
                        p #countdown .hint {}
                    }
                    noscript { p.notice.error { (t("wallet-pay-noscript")) } }
                }
                p { a #back href="/wallet" { (t("wallet-back")) } }
                script src="/static/vendor/qrcode.js" defer {}
                script src="/static/wallet-pay.js" defer {}
            },
        )
    }))
}

fn csrf_refused() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "invalid_request_error", "csrf_failed", "Reload the page and try again.")
}

/// The cookie session of a wallet holder, for the script's JSON calls.
async fn session(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let identity = state.identity.as_ref().ok_or_else(ApiError::not_found)?;
    let token = cookie(headers, SESSION_COOKIE).ok_or(IdentityError::Unauthenticated)?;
    let who = identity.authenticate(&token).await?;
    if who.kind != AccountKind::Wallet || !who.is_full() {
        return Err(IdentityError::Forbidden.into());
    }
    Ok(who)
}

/// `POST /wallet/pay/device`: a device key for this browser, the secret in this answer only.
pub async fn provision(State(state): State<AppState>, headers: HeaderMap, Caller(client): Caller) -> Response {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    let answer = async {
        if !csrf_ok(&headers, token) {
            return Err(csrf_refused());
        }
        let who = session(&state, &headers).await?;
        let p = state.payments.as_ref().ok_or_else(ApiError::not_found)?;
        Ok::<DeviceProvisioned, ApiError>(p.provision_device(&who, &client).await?)
    }
    .await;
    let mut response = match answer {
        Ok(device) => (StatusCode::CREATED, Json(device)).into_response(),
        Err(e) => e.into_response(),
    };
    // The secret must not outlive this answer anywhere: no cache, no back-forward cache.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Serialize)]
pub struct DeviceStatus {
    /// The number of the device key this session holds, or null when it has none that works.
    device_number: Option<i64>,
}

/// `GET /wallet/pay/device`: which device key of this session still works.
pub async fn device_status(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<DeviceStatus>, ApiError> {
    let who = session(&state, &headers).await?;
    let p = state.payments.as_ref().ok_or_else(ApiError::not_found)?;
    Ok(Json(DeviceStatus { device_number: p.session_device(&who).await? }))
}
