//! Sign-in pages shared by the web wallet, the merchant portal and the ops console, plus the
//! pages each lands on: sessions, the lost-phone lock, the ops console and the portal. Words come
//! from the message catalogs (`t`).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::error::Form;
use super::identity::Caller;
use super::lang::{gap, page_locale, t, t_args};
use super::pages::{
    DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECS, PageError, PageResult, SESSION_COOKIE, check_csrf, cookie, done_page,
    explain, factor_markup, factor_name, form_refused, full, identity, layout, problem_page, set_cookie, signed_in,
    with_csrf,
};
use crate::i18n::tokyo_date_time;
use crate::identity::IdentityError;
use crate::identity::{AccountKind, Client, Factor, LoginChallenge, Purpose};
use crate::notify::Channel;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/login/sms", post(login_sms))
        .route("/login/verify", post(login_verify))
        .route("/logout", post(logout))
        .route("/wallet/sessions", get(sessions).post(revoke_session))
        .route("/lock", get(lock_form).post(lock_start))
        .route("/lock/verify", post(lock_verify))
        .route("/ops", get(ops_console))
        .route("/ops/revoke-sessions", post(ops_revoke))
        .route("/ops/audit/verify", post(ops_verify_audit))
        .route("/reset", get(reset_form).post(reset_request))
        .route("/reset/sms", post(reset_sms))
        .route("/reset/complete", post(reset_complete))
        .route("/unlock", get(unlock_form).post(unlock_start))
        .route("/unlock/verify", post(unlock_verify))
        .route("/unlock/cancel", get(cancel_unlock_form).post(cancel_unlock))
}

fn login_markup(csrf: &str, action: &str, title: &str, intro: &str, error: Option<&str>) -> Markup {
    layout(
        title,
        html! {
            @if let Some(e) = error { p.notice.error role="alert" { (e) } }
            p { (intro) }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                label for="email" { (t("common-email")) }
                input #email name="email" type="email" autocomplete="username" required;
                label for="password" { (t("common-password")) }
                input #password name="password" type="password" autocomplete="current-password" required;
                button #sign-in type="submit" { (t("common-continue")) }
            }
            ul.links {
                li { a href="/register" { (t("login-register")) } }
                li { a #forgot href="/reset" { (t("login-forgot")) } }
                li { a href="/lock" { (t("security-lock-link")) } }
                li { a href="/unlock" { (t("login-unlock")) } }
            }
        },
    )
}

pub async fn login_form(headers: HeaderMap) -> Response {
    with_csrf(&headers, StatusCode::OK, |csrf| login_markup(csrf, "/login", &t("login-title"), &t("login-intro"), None))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn landing(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Operator => "/ops",
        AccountKind::MerchantStaff => "/merchant",
        AccountKind::Wallet => "/wallet/security",
    }
}

fn with_session(location: &str, token: &str, max_age_secs: i64) -> Response {
    let mut response = Redirect::to(location).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, token, max_age_secs));
    response
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let challenge =
        match password_step(&state, &headers, &client, &form, Purpose::Login, "/login", &t("login-title")).await? {
            Ok(c) => c,
            Err(page) => return Ok(page),
        };
    let identity = identity(&state)?;
    if challenge.enrolment_required {
        // Staff and operators without a factor: straight to setting one up, and nothing else.
        let session = identity.enrolment_session(&challenge.challenge_id, &client).await.map_err(|e| page_error(&e))?;
        return Ok(with_session("/wallet/security", &session.token, identity.config().session_absolute_secs));
    }
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| factor_markup(csrf, "/login/verify", "/login/sms", &challenge, None)))
}

/// The password step of sign-in, lock or unlock: the challenge, or the form again with the reason.
async fn password_step(
    state: &AppState,
    headers: &HeaderMap,
    client: &Client,
    form: &PasswordForm,
    purpose: Purpose,
    action: &str,
    title: &str,
) -> Result<Result<LoginChallenge, Response>, PageError> {
    check_csrf(headers, &form.csrf)?;
    // A browser that has completed a second factor before is a known device: failures made
    // elsewhere do not slow it, and it is not asked for extra proof.
    let device = cookie(headers, DEVICE_COOKIE);
    match identity(state)?.start_challenge(&form.email, &form.password, purpose, device.as_deref(), client).await {
        Ok(challenge) => Ok(Ok(challenge)),
        Err(e) => Ok(Err(form_refused(headers, &e, StatusCode::UNAUTHORIZED, |csrf| {
            login_markup(csrf, action, title, &t("login-try-again"), Some(&explain(&e)))
        }))),
    }
}

fn page_error(e: &IdentityError) -> PageError {
    problem_page(StatusCode::UNAUTHORIZED, &t("problem-failed-title"), &explain(e)).into()
}

/// The e-mail code of a factor form, when the challenge asked for one.
fn email_code(form: &ChallengeForm) -> Option<&str> {
    Some(form.email_code.as_str()).filter(|c| !c.is_empty())
}

#[derive(Deserialize)]
pub struct ChallengeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    challenge_id: String,
    #[serde(default)]
    factor: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    email_code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    channel: String,
}

/// Send a code (SMS, or e-mail for a lock or extra proof) for a challenge, then show its factor
/// step again, with the factors the service says the challenge accepts.
pub async fn login_sms(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ChallengeForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let identity = identity(&state)?;
    let channel = if form.channel == "email" { Channel::Email } else { Channel::Sms };
    identity.send_challenge_code(&form.challenge_id, channel, &client).await.map_err(|e| page_error(&e))?;
    let challenge = identity.challenge_info(&form.challenge_id).await.map_err(|e| page_error(&e))?;
    let note = if channel == Channel::Email { t("common-email-sent") } else { t("common-sms-sent") };
    if form.next == "/unlock" {
        return Ok(with_csrf(&headers, StatusCode::OK, |csrf| unlock_markup(csrf, &challenge, Some(&note))));
    }
    let action = if form.next == "/lock/verify" { "/lock/verify" } else { "/login/verify" };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| factor_markup(csrf, action, "/login/sms", &challenge, Some(&note))))
}

pub async fn login_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ChallengeForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let identity = identity(&state)?;
    let factor = Factor::parse(&form.factor).ok_or_else(|| page_error(&IdentityError::CodeDead))?;
    // The device cookie lets the next sign-in from this browser be recognised (no new-device alert).
    let device = cookie(&headers, DEVICE_COOKIE);
    let session = identity
        .complete_login(&form.challenge_id, factor, &form.code, email_code(&form), device.as_deref(), &client)
        .await
        .map_err(|e| page_error(&e))?;
    let who = identity.authenticate(&session.token).await.map_err(|e| page_error(&e))?;
    let mut response = with_session(landing(who.kind), &session.token, identity.config().session_absolute_secs);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(DEVICE_COOKIE, &session.device_token, DEVICE_COOKIE_MAX_AGE_SECS));
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    session_id: String,
    #[serde(default)]
    user_id: String,
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    if let Ok(who) = signed_in(&state, &headers).await {
        let _ = identity(&state)?.logout(&who, &client).await;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    Ok(response)
}

pub async fn sessions(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = full(&state, &headers).await?;
    let list = identity(&state)?.sessions(&who).await.map_err(|e| page_error(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("sessions-title"),
            html! {
                p { (t("sessions-intro")) }
                ul #sessions .sessions {
                    @for s in &list {
                        li {
                            (t_args("sessions-entry", &[("agent", (&s.user_agent).into()), ("ip", (&s.ip).into())]))
                            @if s.current { " " (t("sessions-this-device")) }
                            span.meta { (t_args("sessions-last-seen", &[("time", tokyo_date_time(s.last_seen_at_ms, page_locale()).into())])) }
                            @if !s.current {
                                form method="post" action="/wallet/sessions" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="session_id" value=(s.session_id);
                                    button.secondary type="submit" { (t("sessions-end")) }
                                }
                            }
                        }
                    }
                }
                form method="post" action="/logout" {
                    input type="hidden" name="csrf" value=(csrf);
                    button #sign-out type="submit" { (t("sessions-sign-out")) }
                }
            },
        )
    }))
}

pub async fn revoke_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    identity(&state)?.revoke(&who, &form.session_id, &client).await.map_err(|e| page_error(&e))?;
    Ok(Redirect::to("/wallet/sessions").into_response())
}

pub async fn lock_form(headers: HeaderMap) -> Response {
    with_csrf(&headers, StatusCode::OK, |csrf| login_markup(csrf, "/lock", &t("lock-title"), &t("lock-intro"), None))
}

pub async fn lock_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let challenge =
        match password_step(&state, &headers, &client, &form, Purpose::Lock, "/lock", &t("lock-title")).await? {
            Ok(c) => c,
            Err(page) => return Ok(page),
        };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| factor_markup(csrf, "/lock/verify", "/login/sms", &challenge, None)))
}

pub async fn lock_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ChallengeForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let factor = Factor::parse(&form.factor).ok_or_else(|| page_error(&IdentityError::CodeDead))?;
    identity(&state)?.lock(&form.challenge_id, factor, &form.code, &client).await.map_err(|e| page_error(&e))?;
    Ok(done_page(&t("locked-title"), &t("locked"), ("/unlock", &t("login-unlock"))))
}

pub async fn ops_console(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = full(&state, &headers).await?;
    if who.kind != AccountKind::Operator {
        return Err(problem_page(StatusCode::FORBIDDEN, &t("problem-operators-title"), &t("problem-operators")).into());
    }
    // The last stored verification, never a walk of the whole chain per page view.
    let audit = identity(&state)?.last_audit_check(&who, &Client::default()).await.map_err(|e| page_error(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("ops-title"),
            html! {
                p { (t("ops-signed-in-role")) (gap()) strong #role { (who.role) } }
                h2 { (t("ops-audit")) }
                @match &audit {
                    None => { p #audit-status .notice.info { (t("ops-audit-none")) } }
                    Some(a) if a.ok => {
                        p #audit-status .notice.success { (t_args("ops-audit-ok", &[("count", a.records_checked.into())])) }
                    }
                    Some(a) => {
                        p #audit-status .notice.error role="alert" { (t_args("ops-audit-broken", &[("count", a.problems.len().into())])) }
                    }
                }
                @if let Some(a) = &audit {
                    p { (t("ops-audit-checked-at")) (gap()) (tokyo_date_time(a.at_ms, page_locale())) }
                }
                form method="post" action="/ops/audit/verify" {
                    input type="hidden" name="csrf" value=(csrf);
                    button #verify-audit .secondary type="submit" { (t("ops-audit-verify")) }
                }
                h2 { (t("ops-merchants-title")) }
                p { a #merchants-link href="/ops/merchants" { (t("ops-merchants-link")) } }
                p { a #funding-link href="/ops/funding" { (t("funding-ops-title")) } }
                p { a #reports-link href="/ops/reports" { (t("reports-title")) } }
                p { a #kyc-review-link href="/ops/identity-verifications" { (t("kyc-review-title")) } }
                p { a #withdrawals-review-link href="/ops/withdrawals" { (t("ops-withdrawals-link")) } }
                h2 { (t("ops-takeover")) }
                form method="post" action="/ops/revoke-sessions" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="user_id" { (t("ops-user-id")) }
                    input #user_id name="user_id" required;
                    button #revoke-all type="submit" { (t("ops-revoke-all")) }
                }
            },
        )
    }))
}

pub async fn ops_verify_audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let check = identity(&state)?.verify_audit_now(&who, &client).await.map_err(|e| page_error(&e))?;
    let message = if check.ok {
        t_args("ops-audit-ok", &[("count", check.records_checked.into())])
    } else {
        format!("{}{}{}", t("ops-audit-broken-detail"), gap(), check.problems.join("; "))
    };
    Ok(done_page(&t("ops-audit-verified-title"), &message, ("/ops", &t("common-back"))))
}

pub async fn ops_revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let n = identity(&state)?.revoke_all_for(&who, &form.user_id, &client).await.map_err(|e| page_error(&e))?;
    Ok(done_page(&t("ops-revoked-title"), &t_args("ops-revoked", &[("count", n.into())]), ("/ops", &t("common-back"))))
}

pub async fn reset_form(headers: HeaderMap) -> Response {
    with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("reset-title"),
            html! {
                p { (t("reset-intro")) }
                form method="post" action="/reset" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="email" { (t("reset-email")) }
                    input #email name="email" type="email" autocomplete="username" required;
                    button #request-reset type="submit" { (t("reset-request")) }
                }
            },
        )
    })
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    factor: String,
    #[serde(default)]
    code: String,
}

fn reset_complete_markup(csrf: &str, token: &str, note: Option<&str>) -> Markup {
    layout(
        &t("reset-new-title"),
        html! {
            @if let Some(n) = note { p.notice.info role="status" { (n) } }
            form method="post" action="/reset/complete" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { (t("reset-token")) }
                input #token name="token" autocomplete="off" required value=(token);
                label for="factor" { (t("common-second-factor")) }
                select #factor name="factor" {
                    @for f in ["sms", "totp", "recovery_code"] { option value=(f) { (factor_name(f)) } }
                }
                label for="code" { (t("common-code")) }
                input #code name="code" autocomplete="one-time-code" required;
                label for="new_password" { (t("common-new-password")) }
                input #new_password name="new_password" type="password" autocomplete="new-password" required;
                button #reset type="submit" { (t("reset-submit")) }
            }
            form method="post" action="/reset/sms" {
                input type="hidden" name="csrf" value=(csrf);
                label for="sms_token" { (t("reset-sms-label")) }
                input #sms_token name="token" autocomplete="off" value=(token);
                button #send-reset-sms .secondary type="submit" { (t("common-send-sms")) }
            }
        },
    )
}

pub async fn reset_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ResetForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let identity = identity(&state)?;
    identity.request_password_reset(&form.email, &client).await.map_err(|e| page_error(&e))?;
    let minutes = identity.config().reset_ttl_secs / 60;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        reset_complete_markup(csrf, "", Some(&t_args("reset-sent", &[("minutes", minutes.into())])))
    }))
}

pub async fn reset_sms(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ResetForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    identity(&state)?.send_reset_sms(&form.token, &client).await.map_err(|e| page_error(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        reset_complete_markup(csrf, &form.token, Some(&t("common-sms-sent")))
    }))
}

pub async fn reset_complete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ResetForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let factor = Factor::parse(&form.factor).ok_or_else(|| page_error(&IdentityError::CodeDead))?;
    identity(&state)?
        .complete_password_reset(&form.token, &form.new_password, factor, &form.code, &client)
        .await
        .map_err(|e| page_error(&e))?;
    Ok(done_page(&t("reset-done-title"), &t("reset-done"), ("/login", &t("common-sign-in"))))
}

pub async fn unlock_form(headers: HeaderMap) -> Response {
    with_csrf(&headers, StatusCode::OK, |csrf| {
        login_markup(csrf, "/unlock", &t("unlock-title"), &t("unlock-intro"), None)
    })
}

pub async fn unlock_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let challenge =
        match password_step(&state, &headers, &client, &form, Purpose::Unlock, "/unlock", &t("unlock-title")).await? {
            Ok(c) => c,
            Err(page) => return Ok(page),
        };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| unlock_markup(csrf, &challenge, None)))
}

fn unlock_markup(csrf: &str, challenge: &LoginChallenge, note: Option<&str>) -> Markup {
    layout(
        &t("unlock-factors-title"),
        html! {
            @if let Some(n) = note { p.notice.info role="status" { (n) } }
            p { (t("unlock-factors-intro")) }
            form method="post" action="/unlock/verify" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                @for i in [1i64, 2] {
                    label for={"factor" (i)} { (t_args("unlock-factor", &[("n", i.into())])) }
                    select id={"factor" (i)} name={"factor" (i)} { @for f in &challenge.factors { @if *f != "passkey" { option value=(f) { (factor_name(f)) } } } }
                    label for={"code" (i)} { (t_args("unlock-code", &[("n", i.into())])) }
                    input id={"code" (i)} name={"code" (i)} autocomplete="one-time-code" required;
                }
                button #unlock type="submit" { (t("unlock-submit")) }
            }
            @if challenge.factors.contains(&"sms") {
                form method="post" action="/login/sms" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                    input type="hidden" name="next" value="/unlock";
                    button.secondary type="submit" { (t("common-send-sms")) }
                }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct UnlockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    challenge_id: String,
    #[serde(default)]
    factor1: String,
    #[serde(default)]
    code1: String,
    #[serde(default)]
    factor2: String,
    #[serde(default)]
    code2: String,
}

pub async fn unlock_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<UnlockForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let parse = |f: &str| Factor::parse(f).ok_or_else(|| page_error(&IdentityError::CodeDead));
    let proofs = [(parse(&form.factor1)?, form.code1.clone()), (parse(&form.factor2)?, form.code2.clone())];
    let pending = identity(&state)?.unlock(&form.challenge_id, &proofs, &client).await.map_err(|e| page_error(&e))?;
    let hours = (pending.unlock_at_ms - crate::storage::now_ms()).div_euclid(3_600_000).max(0);
    let message = t_args("unlocked", &[("hours", hours.into())]);
    Ok(done_page(&t("unlocked-title"), &message, ("/unlock/cancel", &t("unlock-cancel-link"))))
}

pub async fn cancel_unlock_form(headers: HeaderMap) -> Response {
    with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("unlock-cancel-title"),
            html! {
                p { (t("unlock-cancel-intro")) }
                form method="post" action="/unlock/cancel" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="key" { (t("unlock-cancel-key")) }
                    input #key name="key" required autocomplete="off";
                    button #cancel-unlock type="submit" { (t("unlock-cancel-submit")) }
                }
            },
        )
    })
}

#[derive(Deserialize)]
pub struct CancelUnlockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
}

pub async fn cancel_unlock(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CancelUnlockForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    identity(&state)?.cancel_unlock(&form.key, &client).await.map_err(|e| page_error(&e))?;
    Ok(done_page(&t("unlock-cancelled-title"), &t("unlock-cancelled"), ("/login", &t("common-back"))))
}
