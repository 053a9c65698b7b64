//! The access control server's browser side: the challenge page the cardholder sees, the RReq
//! it sends the 3DS server when a challenge ends, and the CRes the browser carries back to the
//! merchant's `notificationURL`. These pages need no API key: the browser brings them a `creq`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::Network;
use super::book::{
    CHALLENGE_START_WINDOW_MS, ChallengeBehaviour, MAX_CHALLENGE_TRIES, TEST_CHALLENGE_CODE, TransStatus,
};
use crate::storage::now_ms;

/// `threeDSSessionData` is echoed back; EMV caps it at 1,024 characters.
const MAX_SESSION_DATA_CHARS: usize = 1024;
/// A `creq` is a few hundred bytes of base64url JSON.
const MAX_CREQ_CHARS: usize = 4096;
/// How long the ACS waits for the 3DS server to take its RReq.
const RREQ_TIMEOUT_MS: u64 = 3_000;

#[derive(Deserialize)]
pub(super) struct ChallengeForm {
    creq: String,
    #[serde(rename = "threeDSSessionData", default)]
    session_data: Option<String>,
}

#[derive(Deserialize)]
struct CReq {
    #[serde(rename = "threeDSServerTransID")]
    server_trans_id: String,
    #[serde(rename = "acsTransID")]
    acs_trans_id: String,
    #[serde(rename = "messageType")]
    message_type: String,
}

fn page(title: &str, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { (title) } }
                body { h1 { "Test Issuer ACS (simulator)" } (body) }
            }
        }
        .into_string(),
    )
}

fn error_page(message: &str) -> Response {
    (axum::http::StatusCode::BAD_REQUEST, page("Challenge error", html! { p #error { (message) } })).into_response()
}

/// The browser's form post with `creq`: starts the challenge, or ends it at once for cards whose
/// challenge passes or fails by itself.
pub(super) async fn challenge(State(network): State<Arc<Network>>, form: axum::Form<ChallengeForm>) -> Response {
    let form = form.0;
    if form.creq.len() > MAX_CREQ_CHARS || form.session_data.as_ref().is_some_and(|s| s.len() > MAX_SESSION_DATA_CHARS)
    {
        return error_page("creq or threeDSSessionData is too long");
    }
    let Some(creq) = URL_SAFE_NO_PAD
        .decode(form.creq.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<CReq>(&bytes).ok())
    else {
        return error_page("creq is not base64url JSON");
    };
    let behaviour = {
        let Ok(mut book) = network.book() else { return error_page("the simulator failed a check") };
        let Some(auth) = book.by_acs(&creq.acs_trans_id) else { return error_page("no such transaction") };
        if creq.message_type != "CReq" || auth.server_trans_id != creq.server_trans_id {
            return error_page("the CReq does not belong to this transaction");
        }
        if auth.ares_status != TransStatus::C || auth.completed {
            return error_page("this transaction has no challenge to run");
        }
        if !auth.challenge_started && now_ms() - auth.ares_at_ms > CHALLENGE_START_WINDOW_MS {
            auth.finish(TransStatus::N, Some("14"));
            return error_page("the challenge did not start within 30 seconds of the ARes");
        }
        auth.challenge_started = true;
        auth.card.challenge
    };
    let session_data = form.session_data.unwrap_or_default();
    match behaviour {
        ChallengeBehaviour::Manual => code_page(&creq.acs_trans_id, &session_data, None).into_response(),
        ChallengeBehaviour::AutoPass => complete(&network, &creq.acs_trans_id, TransStatus::Y, &session_data).await,
        ChallengeBehaviour::AutoFail => complete(&network, &creq.acs_trans_id, TransStatus::N, &session_data).await,
    }
}

fn code_page(acs_trans_id: &str, session_data: &str, error: Option<&str>) -> Html<String> {
    page(
        "Verify it is you",
        html! {
            p { "Enter the one-time code sent to your phone. (Simulator: the code is " code { (TEST_CHALLENGE_CODE) } ".)" }
            @if let Some(error) = error { p #error { (error) } }
            form method="post" action={ "/acs/challenge/" (acs_trans_id) "/answer" } {
                input type="hidden" name="threeDSSessionData" value=(session_data);
                label { "One-time code " input #code name="code" autocomplete="one-time-code" inputmode="numeric"; }
                button #submit type="submit" name="action" value="submit" { "Submit" }
                button #cancel type="submit" name="action" value="cancel" { "Cancel" }
            }
        },
    )
}

#[derive(Deserialize)]
pub(super) struct AnswerForm {
    #[serde(default)]
    code: String,
    action: String,
    #[serde(rename = "threeDSSessionData", default)]
    session_data: String,
}

pub(super) async fn answer(
    State(network): State<Arc<Network>>,
    Path(acs_trans_id): Path<String>,
    form: axum::Form<AnswerForm>,
) -> Response {
    let form = form.0;
    if form.session_data.len() > MAX_SESSION_DATA_CHARS {
        return error_page("threeDSSessionData is too long");
    }
    let outcome = {
        let Ok(mut book) = network.book() else { return error_page("the simulator failed a check") };
        let Some(auth) = book.by_acs(&acs_trans_id) else { return error_page("no such transaction") };
        if !auth.challenge_started || auth.completed {
            return error_page("this challenge is not running");
        }
        if form.action == "cancel" {
            Some(TransStatus::N)
        } else if bool::from(form.code.trim().as_bytes().ct_eq(TEST_CHALLENGE_CODE.as_bytes())) {
            Some(TransStatus::Y)
        } else {
            auth.challenge_tries += 1;
            (auth.challenge_tries >= MAX_CHALLENGE_TRIES).then_some(TransStatus::N)
        }
    };
    match outcome {
        Some(status) => complete(&network, &acs_trans_id, status, &form.session_data).await,
        None => {
            code_page(&acs_trans_id, &form.session_data, Some("That code is not right. Try again.")).into_response()
        }
    }
}

/// Ends the challenge with `status`, tells the 3DS server (RReq), and hands the browser a form
/// that carries the CRes to the merchant's `notificationURL`.
async fn complete(network: &Arc<Network>, acs_trans_id: &str, status: TransStatus, session_data: &str) -> Response {
    let Some((notification_url, cres)) = finish_and_report(network, acs_trans_id, Some(status)).await else {
        return error_page("this transaction cannot be completed");
    };
    let Some(notification_url) = notification_url else {
        return error_page("this transaction has no notificationURL");
    };
    page(
        "Returning to the merchant",
        html! {
            p { "Authentication finished. Returning you to the merchant…" }
            form #cres-form method="post" action=(notification_url) {
                input type="hidden" name="cres" value=(cres);
                input type="hidden" name="threeDSSessionData" value=(session_data);
                button #continue type="submit" { "Continue" }
            }
            script { (maud::PreEscaped("document.getElementById('cres-form').submit();")) }
        },
    )
    .into_response()
}

/// Records the final result (`status`, or Y for a decoupled approval), sends the RReq to the 3DS
/// server, and returns the notification URL with the encoded final CRes.
pub(super) async fn finish_and_report(
    network: &Arc<Network>,
    acs_trans_id: &str,
    status: Option<TransStatus>,
) -> Option<(Option<String>, String)> {
    let (rreq, server_url, notification_url, cres) = {
        let mut book = network.book().ok()?;
        let auth = book.by_acs(acs_trans_id)?;
        if auth.completed {
            return None;
        }
        let status = status.unwrap_or(match auth.card.challenge {
            ChallengeBehaviour::AutoFail => TransStatus::N,
            _ => TransStatus::Y,
        });
        auth.finish(status, (status == TransStatus::N).then_some("01"));
        let mut rreq = json!({
            "messageType": "RReq",
            "messageVersion": auth.message_version,
            "messageCategory": "01",
            "threeDSServerTransID": auth.server_trans_id,
            "dsTransID": auth.ds_trans_id,
            "acsTransID": auth.acs_trans_id,
            "transStatus": status.as_str(),
            "interactionCounter": format!("{:02}", auth.challenge_tries + 1),
        });
        if let Some(reason) = auth.reason {
            rreq["transStatusReason"] = json!(reason);
        }
        if let (Some(eci), Some(value)) = (auth.eci, &auth.authentication_value) {
            rreq["eci"] = json!(eci);
            rreq["authenticationValue"] = json!(value);
        }
        let cres = json!({
            "messageType": "CRes",
            "messageVersion": auth.message_version,
            "threeDSServerTransID": auth.server_trans_id,
            "acsTransID": auth.acs_trans_id,
            "transStatus": status.as_str(),
            "challengeCompletionInd": "Y",
        });
        (rreq, auth.server_url.clone(), auth.notification_url.clone(), URL_SAFE_NO_PAD.encode(cres.to_string()))
    };
    let sent = network
        .http
        .post(&server_url)
        .bearer_auth(&network.config.api_key)
        .timeout(std::time::Duration::from_millis(RREQ_TIMEOUT_MS))
        .json(&rreq)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => {}
        Ok(response) => tracing::warn!(status = %response.status(), "the 3DS server refused the RReq"),
        Err(error) => tracing::warn!(%error, "the RReq did not reach the 3DS server"),
    }
    Some((notification_url, cres))
}
