//! 3-D Secure traffic that is not the user's JSON API: the network's RReq (`POST /3ds/rreq`, with
//! the network's key), the challenge page that posts the CReq to the issuer's ACS from the
//! cardholder's browser (`GET /3ds/challenge/{id}`), and the page the ACS sends the browser back
//! to with the CRes (`POST /3ds/notify`). That last one arrives from another site: it changes
//! nothing and only shows the outcome the RReq decided.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use super::cards;
use crate::http::AppState;
use crate::http::lang::t;
use crate::http::layout::layout;
use crate::http::pages::problem_page;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/3ds/rreq", post(rreq))
        .route("/3ds/challenge/{id}", get(challenge_page))
        .route("/3ds/notify", post(notify))
        .route("/static/threeds.js", get(script))
}

const SCRIPT: &str = include_str!("../../../static/threeds.js");

/// `GET /static/threeds.js`: submits the challenge form on load (the CSP allows no inline script).
async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        SCRIPT,
    )
        .into_response()
}

async fn rreq(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let bearer = crate::http::identity::bearer_token(&headers);
    let cards = match cards(&state) {
        Ok(cards) => cards,
        Err(e) => return e.into_response(),
    };
    match cards.take_rreq(bearer, &body).await {
        Ok(answer) => (StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST), axum::Json(answer.body))
            .into_response(),
        Err(e) => crate::http::error::ApiError::from(e).into_response(),
    }
}

fn not_found() -> Response {
    problem_page(StatusCode::NOT_FOUND, &t("problem-not-found-title"), &t("problem-not-found"))
}

/// A form that posts the CReq to the ACS, submitted by `threeds.js` (or the button without
/// scripts). The page's CSP lets forms go to this one ACS origin besides our own.
async fn challenge_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(cards) = cards(&state) else { return not_found() };
    let Ok(challenge) = cards.challenge(&id).await else { return not_found() };
    let Some(origin) = url::Url::parse(&challenge.acs_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.origin().ascii_serialization())
    else {
        return not_found();
    };
    let page = layout(
        &t("threeds-challenge-title"),
        html! {
            p { (t("threeds-challenge-lead")) }
            form #threeds-form method="post" action=(challenge.acs_url) {
                input type="hidden" name="creq" value=(challenge.creq);
                button #threeds-continue type="submit" { (t("threeds-continue")) }
            }
            script src="/static/threeds.js" {}
        },
    );
    let mut response = Html(page.into_string()).into_response();
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
         form-action 'self' {origin}; base-uri 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

#[derive(Deserialize)]
struct NotifyForm {
    cres: String,
    #[serde(rename = "threeDSSessionData", default)]
    _session_data: String,
}

async fn notify(State(state): State<AppState>, form: axum::Form<NotifyForm>) -> Response {
    let Ok(cards) = cards(&state) else { return not_found() };
    let Ok(auth) = cards.notified(&form.cres).await else { return not_found() };
    let message = match (auth.purpose.as_str(), auth.state.as_str()) {
        (_, state) if state != "final" => t("threeds-pending"),
        ("registration", _) if matches!(auth.trans_status.as_str(), "Y" | "A") => t("threeds-card-active"),
        ("registration", _) => t("threeds-card-failed"),
        _ => match crate::cards::store::top_up(cards.db(), &auth.top_up_id).await {
            Ok(Some(top_up)) if top_up.status == "credited" => t("threeds-top-up-credited"),
            Ok(Some(top_up)) if top_up.status == "declined" => t("threeds-top-up-declined"),
            _ => t("threeds-pending"),
        },
    };
    let page = layout(
        &t("threeds-result-title"),
        html! {
            p #threeds-result { (message) }
            p { a href="/wallet" { (t("threeds-back")) } }
        },
    );
    Html(page.into_string()).into_response()
}
