//! Sign-in pages shared by the web wallet, the merchant portal and the ops console, plus the
//! pages each lands on: sessions, the lost-phone lock, the ops console and the portal.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::error::Form;
use super::identity::Caller;
use super::pages::{
    DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECS, PageError, PageResult, SESSION_COOKIE, check_csrf, cookie, done_page,
    explain, factor_markup, full, identity, layout, problem_page, set_cookie, signed_in, with_csrf,
};
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
        .route("/merchant", get(merchant_portal))
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
            @if let Some(e) = error { p.error role="alert" { (e) } }
            p { (intro) }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                label for="email" { "E-mail address" }
                input #email name="email" type="email" autocomplete="username" required;
                label for="password" { "Password" }
                input #password name="password" type="password" autocomplete="current-password" required;
                button #sign-in type="submit" { "Continue" }
            }
            p { a href="/register" { "Create a wallet" } " · " a #forgot href="/reset" { "Forgot your password?" } " · "
                a href="/lock" { "Lost your phone? Lock your account" } " · " a href="/unlock" { "Unlock your account" } }
        },
    )
}

pub async fn login_form(headers: HeaderMap) -> Response {
    with_csrf(&headers, StatusCode::OK, |csrf| {
        login_markup(csrf, "/login", "Sign in", "Wallet users, merchant staff and operators all sign in here.", None)
    })
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
    let challenge = match password_step(&state, &headers, &client, &form, Purpose::Login, "/login", "Sign in").await? {
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
        Err(e) => {
            let status = if matches!(e, IdentityError::Throttled { .. }) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            Ok(Err(with_csrf(headers, status, |csrf| {
                login_markup(csrf, action, title, "Try again.", Some(&explain(&e)))
            })))
        }
    }
}

fn page_error(e: &IdentityError) -> PageError {
    problem_page(StatusCode::UNAUTHORIZED, "That did not work", &explain(e)).into()
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
    let note = if channel == Channel::Email {
        "We sent a code to your e-mail address."
    } else {
        "We sent a code to your phone."
    };
    if form.next == "/unlock" {
        return Ok(with_csrf(&headers, StatusCode::OK, |csrf| unlock_markup(csrf, &challenge, Some(note))));
    }
    let action = if form.next == "/lock/verify" { "/lock/verify" } else { "/login/verify" };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| factor_markup(csrf, action, "/login/sms", &challenge, Some(note))))
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
        .complete_login(
            &form.challenge_id,
            factor,
            &form.code,
            Some(&form.email_code).filter(|c| !c.is_empty()).map(String::as_str),
            device.as_deref(),
            &client,
        )
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
            "Signed-in devices",
            html! {
                p { "These are the sessions open on your account. End any you do not recognise, then change your password." }
                ul #sessions {
                    @for s in &list {
                        li {
                            (s.user_agent) " from " (s.ip)
                            @if s.current { " (this device)" } @else {
                                form method="post" action="/wallet/sessions" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="session_id" value=(s.session_id);
                                    button type="submit" { "Sign this session out" }
                                }
                            }
                        }
                    }
                }
                form method="post" action="/logout" { input type="hidden" name="csrf" value=(csrf); button #sign-out type="submit" { "Sign out" } }
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
    with_csrf(&headers, StatusCode::OK, |csrf| {
        login_markup(
            csrf,
            "/lock",
            "Lock your account",
            "Lost your phone? Lock your account from here: every session ends and no one can sign in or pay until it is unlocked.",
            None,
        )
    })
}

pub async fn lock_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let challenge =
        match password_step(&state, &headers, &client, &form, Purpose::Lock, "/lock", "Lock your account").await? {
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
    Ok(done_page(
        "Your account is locked",
        "Your account is locked. Every session was signed out; no one can sign in or pay. To unlock it you need your password and two of your second factors, or our support team.",
        ("/unlock", "Unlock your account"),
    ))
}

pub async fn ops_console(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = full(&state, &headers).await?;
    if who.kind != AccountKind::Operator {
        return Err(
            problem_page(StatusCode::FORBIDDEN, "Operators only", "This console is for Anshin operators.").into()
        );
    }
    // The last stored verification, never a walk of the whole chain per page view.
    let client = Client::default();
    let audit = identity(&state)?.last_audit_check(&who, &client).await.map_err(|e| page_error(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            "Ops console",
            html! {
                p { "Signed in as an operator (" strong #role { (who.role) } ")." }
                h2 { "Audit chain" }
                p #audit-status {
                    @match &audit {
                        None => { "Not verified yet." }
                        Some(a) if a.ok => { "Intact: " (a.records_checked) " records verified at " (a.at_ms) " (UTC ms)." }
                        Some(a) => { "BROKEN: " (a.problems.len()) " problems found at " (a.at_ms) ". Run anshin admin verify-audit." }
                    }
                }
                form method="post" action="/ops/audit/verify" {
                    input type="hidden" name="csrf" value=(csrf);
                    button #verify-audit type="submit" { "Verify the whole chain now" }
                }
                h2 { "Suspected takeover" }
                form method="post" action="/ops/revoke-sessions" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="user_id" { "User id (usr_…)" }
                    input #user_id name="user_id" required;
                    button #revoke-all type="submit" { "End every session of this user" }
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
        format!("The chain is intact: {} records verified.", check.records_checked)
    } else {
        format!("The chain is BROKEN: {}", check.problems.join("; "))
    };
    Ok(done_page("Audit chain verified", &message, ("/ops", "Back")))
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
    Ok(done_page("Sessions ended", &format!("{n} sessions ended."), ("/ops", "Back")))
}

pub async fn merchant_portal(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = full(&state, &headers).await?;
    if who.kind != AccountKind::MerchantStaff {
        return Err(
            problem_page(StatusCode::FORBIDDEN, "Merchant staff only", "This portal is for merchant staff.").into()
        );
    }
    Ok((StatusCode::OK, Html(layout("Merchant portal", html! {
        p { "Signed in as " strong { (who.role) } "." }
        p { a href="/wallet/security" { "Account security" } " · " a href="/wallet/sessions" { "Signed-in devices" } }
    }).into_string())).into_response())
}

pub async fn reset_form(headers: HeaderMap) -> Response {
    with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            "Reset your password",
            html! {
                p { "We send a reset key to the e-mail address already confirmed on your account, never to another one. You will also need your phone, authenticator app or a recovery code." }
                form method="post" action="/reset" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="email" { "E-mail address of your account" }
                    input #email name="email" type="email" autocomplete="username" required;
                    button #request-reset type="submit" { "Send the reset key" }
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
        "Choose a new password",
        html! {
            @if let Some(n) = note { p role="status" { (n) } }
            form method="post" action="/reset/complete" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { "Reset key from the e-mail" }
                input #token name="token" required value=(token);
                label for="factor" { "Second factor" }
                select #factor name="factor" { option value="sms" { "SMS code" } option value="totp" { "Authenticator app" } option value="recovery_code" { "Recovery code" } }
                label for="code" { "Code" }
                input #code name="code" autocomplete="one-time-code" required;
                label for="new_password" { "New password" }
                input #new_password name="new_password" type="password" autocomplete="new-password" required;
                button #reset type="submit" { "Set the new password" }
            }
            form method="post" action="/reset/sms" {
                input type="hidden" name="csrf" value=(csrf);
                label for="sms_token" { "Need an SMS code? Paste the key and ask for one:" }
                input #sms_token name="token" value=(token);
                button #send-reset-sms type="submit" { "Send me a code by SMS" }
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
    identity(&state)?.request_password_reset(&form.email, &client).await.map_err(|e| page_error(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        reset_complete_markup(
            csrf,
            "",
            Some("If that address has an account, we sent it a reset key. It is valid for 30 minutes."),
        )
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
        reset_complete_markup(csrf, &form.token, Some("We sent a code to your phone."))
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
    Ok(done_page(
        "Your password was changed",
        "Your password was changed and every session was signed out. You will still need your second factor to sign in.",
        ("/login", "Sign in"),
    ))
}

pub async fn unlock_form(headers: HeaderMap) -> Response {
    with_csrf(&headers, StatusCode::OK, |csrf| {
        login_markup(
            csrf,
            "/unlock",
            "Unlock your account",
            "To unlock, give your password and then two different second factors (or contact support).",
            None,
        )
    })
}

pub async fn unlock_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let challenge =
        match password_step(&state, &headers, &client, &form, Purpose::Unlock, "/unlock", "Unlock your account").await?
        {
            Ok(c) => c,
            Err(page) => return Ok(page),
        };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| unlock_markup(csrf, &challenge, None)))
}

fn unlock_markup(csrf: &str, challenge: &LoginChallenge, note: Option<&str>) -> Markup {
    layout(
        "Two second factors",
        html! {
            @if let Some(n) = note { p role="status" { (n) } }
            p { "Give two different second factors." }
            form method="post" action="/unlock/verify" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                @for i in ["1", "2"] {
                    label for={"factor" (i)} { "Factor " (i) }
                    select id={"factor" (i)} name={"factor" (i)} { @for f in &challenge.factors { @if *f != "passkey" { option value=(f) { (f) } } } }
                    label for={"code" (i)} { "Code " (i) }
                    input id={"code" (i)} name={"code" (i)} autocomplete="one-time-code" required;
                }
                button #unlock type="submit" { "Unlock" }
            }
            @if challenge.factors.contains(&"sms") {
                form method="post" action="/login/sms" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                    input type="hidden" name="next" value="/unlock";
                    button type="submit" { "Send me a code by SMS" }
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
    Ok(done_page(
        "Your account will be unlocked",
        &format!(
            "Your account stays locked for about {hours} more hours, then unlocks. We told you on every contact; \
             if it was not you, cancel with the key in that message, or lock the account again."
        ),
        ("/unlock/cancel", "Cancel an unlock"),
    ))
}

pub async fn cancel_unlock_form(headers: HeaderMap) -> Response {
    with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            "Cancel an unlock",
            html! {
                p { "Someone asked to unlock your account and it was not you? Paste the cancel key from the message we sent you." }
                form method="post" action="/unlock/cancel" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="key" { "Cancel key" }
                    input #key name="key" required autocomplete="off";
                    button #cancel-unlock type="submit" { "Cancel the unlock" }
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
    Ok(done_page(
        "Unlock cancelled",
        "If that key belonged to a pending unlock, it is cancelled and the account stays locked. We told the owner.",
        ("/login", "Back"),
    ))
}
