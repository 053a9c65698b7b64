//! Server-rendered pages for the web wallet: registration, contact verification and adding an
//! authenticator app. Little markup, no JavaScript; forms carry a CSRF token (double-submit,
//! bound to a `__Host-` cookie) and the session lives in a `__Host-`, HttpOnly, Secure,
//! SameSite=Strict cookie.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::Form;
use super::identity::Caller;
use crate::identity::{Factor, LoginChallenge, NewRegistration, Principal, StepUpAction};
use crate::identity::{Identity, IdentityError};
use crate::storage::ids::random_hex_128;

pub const SESSION_COOKIE: &str = "__Host-anshin_session";
/// Identifies this browser as a known device of the account at the next sign-in.
pub const DEVICE_COOKIE: &str = "__Host-anshin_device";
pub const DEVICE_COOKIE_MAX_AGE_SECS: i64 = 400 * 86_400;
const CSRF_COOKIE: &str = "__Host-anshin_csrf";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/register", get(register_form).post(register))
        .route("/register/verify", post(verify))
        .route("/wallet/security", get(security))
        .route("/wallet/security/totp", post(start_totp))
        .route("/wallet/security/totp/confirm", post(confirm_totp))
        .route("/wallet/security/totp/remove", post(remove_totp))
        .route("/wallet/security/password", post(change_password))
        .route("/wallet/security/contact", post(start_contact_change))
        .route("/wallet/security/contact/confirm", post(confirm_contact_change))
        .route("/wallet/step-up", get(step_up_form).post(step_up_start))
        .route("/wallet/step-up/sms", post(step_up_sms))
        .route("/wallet/step-up/verify", post(step_up_verify))
}

pub fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Anshin" }
                style { (PreEscaped("body{font-family:system-ui,sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem;line-height:1.5}\
                    label{display:block;margin:.75rem 0 .25rem}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}\
                    button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}.error{color:#a00;border:1px solid #a00;padding:.5rem}\
                    .codes{font-family:monospace;font-size:1.1rem}")) }
            }
            body {
                header { strong { "Anshin 安心" } }
                main { h1 { (title) } (body) }
            }
        }
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub fn set_cookie(name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    // __Host-: Secure, Path=/ and no Domain, so no other host or path can set or read it.
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}"))
        .expect("cookie values are hex")
}

/// A page with a form: issue the CSRF token (reusing the cookie's if there is one).
pub fn with_csrf(headers: &HeaderMap, status: StatusCode, render: impl FnOnce(&str) -> Markup) -> Response {
    let token = cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 32).unwrap_or_else(random_hex_128);
    let mut response = (status, Html(render(&token).into_string())).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &token, 3600));
    response
}

pub fn csrf_ok(headers: &HeaderMap, submitted: &str) -> bool {
    cookie(headers, CSRF_COOKIE).is_some_and(|c| c.len() == 32 && bool::from(c.as_bytes().ct_eq(submitted.as_bytes())))
}

/// A finished error page, returned early with `?` from page handlers.
pub struct PageError(Box<Response>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for PageError {
    fn from(r: Response) -> Self {
        PageError(Box::new(r))
    }
}

pub type PageResult = Result<Response, PageError>;

pub fn problem_page(status: StatusCode, title: &str, message: &str) -> Response {
    (
        status,
        Html(
            layout(title, html! { p.error role="alert" { (message) } p { a href="/register" { "Start again" } } })
                .into_string(),
        ),
    )
        .into_response()
}

fn csrf_failed() -> Response {
    problem_page(
        StatusCode::FORBIDDEN,
        "Please try again",
        "This form expired or did not come from this site. Reload the page and send it again.",
    )
}

pub fn identity(state: &AppState) -> Result<&Identity, PageError> {
    state.identity.as_ref().ok_or_else(|| problem_page(StatusCode::NOT_FOUND, "Not found", "No such page.").into())
}

pub fn check_csrf(headers: &HeaderMap, submitted: &str) -> Result<(), PageError> {
    if csrf_ok(headers, submitted) { Ok(()) } else { Err(csrf_failed().into()) }
}

pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Principal, PageError> {
    let identity = identity(state)?;
    let ended = || {
        PageError::from(problem_page(
            StatusCode::UNAUTHORIZED,
            "Please sign in",
            "Your session has ended. Sign in again.",
        ))
    };
    let token = cookie(headers, SESSION_COOKIE).ok_or_else(ended)?;
    identity.authenticate(&token).await.map_err(|_| ended())
}

/// What a person should read for an identity error on a page.
pub fn explain(e: &IdentityError) -> String {
    match e {
        IdentityError::Invalid { message, .. } => format!("Please check the form: {message}."),
        IdentityError::Password(p) => format!("Please choose another password: {p}."),
        IdentityError::Internal(_) => "Something went wrong on our side. Please try again.".into(),
        other => format!("{}.", capitalise(&other.to_string())),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    legal_name: String,
    #[serde(default)]
    date_of_birth: String,
}

fn register_markup(csrf: &str, form: &RegisterForm, error: Option<&str>) -> Markup {
    layout(
        "Create your wallet",
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            p { "We confirm both your e-mail address and your mobile number before your wallet can hold money." }
            form method="post" action="/register" {
                input type="hidden" name="csrf" value=(csrf);
                label for="email" { "E-mail address" }
                input #email name="email" type="email" autocomplete="email" required value=(form.email);
                label for="phone" { "Mobile number" }
                input #phone name="phone" type="tel" autocomplete="tel" placeholder="+81 90 1234 5678" required value=(form.phone);
                label for="legal_name" { "Legal name (as on your ID)" }
                input #legal_name name="legal_name" autocomplete="name" required value=(form.legal_name);
                label for="date_of_birth" { "Date of birth" }
                input #date_of_birth name="date_of_birth" type="date" required value=(form.date_of_birth);
                label for="password" { "Password (at least 8 characters; a passphrase is best)" }
                input #password name="password" type="password" autocomplete="new-password" required;
                button #register type="submit" { "Create wallet" }
            }
        },
    )
}

pub async fn register_form(headers: HeaderMap) -> Response {
    with_csrf(&headers, StatusCode::OK, |csrf| register_markup(csrf, &RegisterForm::default(), None))
}

pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<RegisterForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let input = NewRegistration {
        email: form.email.clone(),
        phone: form.phone.clone(),
        password: form.password.clone(),
        legal_name: form.legal_name.clone(),
        date_of_birth: form.date_of_birth.clone(),
    };
    let started = match identity(&state)?.register(input, &client).await {
        Ok(started) => started,
        Err(e) => {
            let status = if matches!(e, IdentityError::Throttled { .. }) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::BAD_REQUEST
            };
            return Ok(with_csrf(&headers, status, |csrf| register_markup(csrf, &form, Some(&explain(&e)))));
        }
    };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            "Check your e-mail and phone",
            html! {
                p { "We sent a 6-digit code to " strong { (form.email) } " and another to " strong { (form.phone) } ". They are valid for "
                    (started.expires_in_secs / 60) " minutes." }
                form method="post" action="/register/verify" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="registration_id" value=(started.registration_id);
                    label for="email_code" { "Code from the e-mail" }
                    input #email_code name="email_code" inputmode="numeric" autocomplete="one-time-code" required;
                    label for="sms_code" { "Code from the SMS" }
                    input #sms_code name="sms_code" inputmode="numeric" autocomplete="one-time-code" required;
                    button #verify type="submit" { "Confirm" }
                }
            },
        )
    }))
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    registration_id: String,
    #[serde(default)]
    email_code: String,
    #[serde(default)]
    sms_code: String,
}

pub async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<VerifyForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let identity = identity(&state)?;
    let registered =
        identity.verify_registration(&form.registration_id, &form.email_code, &form.sms_code, &client).await.map_err(
            |e| PageError::from(problem_page(StatusCode::UNAUTHORIZED, "Those codes did not work", &explain(&e))),
        )?;
    // The recovery codes are shown once, now: with the password, one of them locks the account
    // when the phone is lost.
    let page = layout(
        "Your wallet is ready",
        html! {
            p role="status" { "Both your e-mail address and your phone are confirmed." }
            h2 { "Keep these recovery codes" }
            p { "Write them down or print them, and keep them away from your phone. If your phone is lost or stolen, "
                "your password and one of these codes lock your account from any device. Each code works once. "
                "We will not show them again." }
            ol #recovery-codes .codes { @for c in &registered.recovery_codes { li { (c) } } }
            p { a #continue href="/wallet/security" { "I have kept them: continue" } }
        },
    );
    let mut response = (StatusCode::OK, Html(page.into_string())).into_response();
    let max_age = identity.config().session_absolute_secs;
    let session = &registered.session;
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &session.token, max_age));
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(DEVICE_COOKIE, &session.device_token, DEVICE_COOKIE_MAX_AGE_SECS));
    Ok(response)
}

pub async fn security(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = signed_in(&state, &headers).await?;
    let profile = identity(&state)?.profile(&who).await.map_err(|_| {
        PageError::from(problem_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again."))
    })?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            "Account security",
            html! {
                p { "Signed in as " strong #account-email { (profile.email) } "." }
                p { a #sessions-link href="/wallet/sessions" { "Signed-in devices" } " · " a href="/lock" { "Lost your phone? Lock your account" } }
            h2 { "Second factors" }
                ul #factors { @for f in &profile.factors { li { (f) } } }
                @if !profile.factors.contains(&"totp") {
                    p { "Add an authenticator app: it works without signal and cannot be intercepted like an SMS." }
                    form method="post" action="/wallet/security/totp" {
                        input type="hidden" name="csrf" value=(csrf);
                        button #add-totp type="submit" { "Add an authenticator app" }
                    }
                } @else if who.is_full() {
                    p { a #step-up-remove_factor href="/wallet/step-up?action=remove_factor" { "Confirm it is you to remove a factor" } }
                    form method="post" action="/wallet/security/totp/remove" {
                        input type="hidden" name="csrf" value=(csrf);
                        button #remove-totp type="submit" { "Remove the authenticator app (signs out everywhere)" }
                    }
                }
                p { "A passkey (your phone's or computer's lock) is the strongest second factor: it cannot be phished." }
                button #add-passkey type="button" data-passkey="add" data-csrf=(csrf) { "Add a passkey" }
                p #passkey-status role="status" {}
                script src="/static/passkeys.js" defer {}
                @if who.is_full() {
                    p { "Changing your password, e-mail, phone or factors needs a second factor given for that change, "
                        "a few minutes before. Adding a factor more than a few minutes after signing in needs one too: "
                        a #step-up-add_factor href="/wallet/step-up?action=add_factor" { "confirm it is you to add a factor" } "." }
                    h2 { "Password" }
                    p { a #step-up-change_password href="/wallet/step-up?action=change_password" { "Confirm it is you to change your password" } }
                    form method="post" action="/wallet/security/password" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="current_password" { "Current password" }
                        input #current_password name="current_password" type="password" autocomplete="current-password" required;
                        label for="new_password" { "New password" }
                        input #new_password name="new_password" type="password" autocomplete="new-password" required;
                        button #change-password type="submit" { "Change password (signs out everywhere)" }
                    }
                    h2 { "E-mail and phone" }
                    p { "After a change, money cannot leave your wallet for 72 hours, and the old contact is told." }
                    p { a #step-up-change_contact href="/wallet/step-up?action=change_contact" { "Confirm it is you to change your e-mail or phone" } }
                    form method="post" action="/wallet/security/contact" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="channel" { "Which" }
                        select #channel name="channel" { option value="email" { "E-mail address" } option value="phone" { "Mobile number" } }
                        label for="value" { "New value" }
                        input #value name="value" required;
                        button #change-contact type="submit" { "Send a code to the new contact" }
                    }
                }
            },
        )
    }))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn start_totp(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<CsrfOnly>) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = signed_in(&state, &headers).await?;
    let e = identity(&state)?
        .start_totp(&who)
        .await
        .map_err(|e| PageError::from(problem_page(StatusCode::FORBIDDEN, "Cannot add an app now", &explain(&e))))?;
    let qr = qrcode::QrCode::new(e.otpauth_url.as_bytes())
        .map(|c| c.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build())
        .unwrap_or_default();
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            "Add an authenticator app",
            html! {
                p { "Scan this code with your authenticator app, or type the key below into it." }
                div role="img" aria-label="QR code for your authenticator app" { (PreEscaped(qr)) }
                p { "Key: " code #totp-secret { (e.secret) } }
                form method="post" action="/wallet/security/totp/confirm" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="code" { "The 6-digit code your app shows now" }
                    input #code name="code" inputmode="numeric" autocomplete="one-time-code" required;
                    button #confirm-totp type="submit" { "Confirm" }
                }
            },
        )
    }))
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

pub async fn confirm_totp(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CodeForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = signed_in(&state, &headers).await?;
    let codes = identity(&state)?
        .confirm_totp(&who, &form.code, &client)
        .await
        .map_err(|e| PageError::from(problem_page(StatusCode::UNAUTHORIZED, "That code did not work", &explain(&e))))?;
    let page = layout(
        "Your authenticator app is set up",
        html! {
            p { "Keep these recovery codes somewhere safe, away from your phone. Each works once, if you lose the app." }
            ol #recovery-codes .codes { @for c in &codes.recovery_codes { li { (c) } } }
            p { a href="/wallet/security" { "Back to account security" } }
        },
    );
    Ok((StatusCode::OK, Html(page.into_string())).into_response())
}

/// The factor step, for sign-in, the lost-phone lock and step-up alike. `sms_action` is where
/// the "send me a code" button posts; `next` tells it which step to come back to.
pub fn factor_markup(
    csrf: &str,
    action: &str,
    sms_action: &str,
    challenge: &LoginChallenge,
    note: Option<&str>,
) -> Markup {
    layout(
        "Confirm it is you",
        html! {
            @if let Some(n) = note { p role="status" { (n) } }
            p { "Enter a code from your authenticator app or an SMS, or one of your recovery codes." }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                label for="factor" { "Second factor" }
                select #factor name="factor" {
                    @for f in &challenge.factors { @if *f != "passkey" { option value=(f) { (f) } } }
                }
                label for="code" { "Code" }
                input #code name="code" autocomplete="one-time-code" required;
                @if challenge.email_proof_required {
                    p { "Many failed sign-ins came from your network, so we also need the code we send to your e-mail address." }
                    label for="email_code" { "Code from the e-mail" }
                    input #email_code name="email_code" inputmode="numeric" autocomplete="one-time-code" required;
                }
                button #confirm type="submit" { "Confirm" }
            }
            @if challenge.factors.contains(&"passkey") {
                form #passkey-form method="post" action=(action) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                    input type="hidden" name="factor" value="passkey";
                    input type="hidden" name="code" value="";
                    button #use-passkey type="button" data-passkey="use" { "Use a passkey" }
                }
                p #passkey-status role="status" {}
                script src="/static/passkeys.js" defer {}
            }
            @if challenge.factors.contains(&"sms") {
                form method="post" action=(sms_action) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                    input type="hidden" name="next" value=(action);
                    input type="hidden" name="channel" value="sms";
                    button #send-sms type="submit" { "Send me a code by SMS" }
                }
            }
            @if challenge.factors.contains(&"email") || challenge.email_proof_required {
                form method="post" action=(sms_action) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                    input type="hidden" name="next" value=(action);
                    input type="hidden" name="channel" value="email";
                    button #send-email type="submit" { "Send me a code by e-mail" }
                }
            }
        },
    )
}

/// A finished page saying what happened, with a link on.
pub fn done_page(title: &str, message: &str, link: (&str, &str)) -> Response {
    let page = layout(title, html! { p #done role="status" { (message) } p { a href=(link.0) { (link.1) } } });
    (StatusCode::OK, Html(page.into_string())).into_response()
}

/// Signed out everywhere: the session cookie goes too.
fn signed_out_page(title: &str, message: &str) -> Response {
    let mut response = done_page(title, message, ("/login", "Sign in again"));
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    response
}

pub async fn full(state: &AppState, headers: &HeaderMap) -> Result<Principal, PageError> {
    let who = signed_in(state, headers).await?;
    if !who.is_full() {
        return Err(problem_page(
            StatusCode::FORBIDDEN,
            "Set up a second factor first",
            "Add an authenticator app on the account security page.",
        )
        .into());
    }
    Ok(who)
}

fn refused(e: &IdentityError) -> PageError {
    let status =
        if matches!(e, IdentityError::StepUpRequired) { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST };
    let mut message = explain(e);
    if matches!(e, IdentityError::StepUpRequired) {
        message.push_str(" Use the \"Confirm it is you\" link next to it on the account security page first.");
    }
    problem_page(status, "That was not changed", &message).into()
}

pub async fn remove_totp(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    identity(&state)?.remove_totp(&who, &client).await.map_err(|e| refused(&e))?;
    Ok(signed_out_page("Authenticator app removed", "The app was removed and every session was signed out."))
}

#[derive(Deserialize)]
pub struct PasswordChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PasswordChangeForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    identity(&state)?
        .change_password(&who, &form.current_password, &form.new_password, &client)
        .await
        .map_err(|e| refused(&e))?;
    Ok(signed_out_page("Password changed", "Your password was changed and every session was signed out."))
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    code: String,
}

pub async fn start_contact_change(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ContactForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    identity(&state)?.start_contact_change(&who, &form.channel, &form.value, &client).await.map_err(|e| refused(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            "Confirm the new contact",
            html! {
                p { "We sent a code to " strong { (form.value) } ". Your current contact was told about the change." }
                form method="post" action="/wallet/security/contact/confirm" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="channel" value=(form.channel);
                    label for="code" { "Code" }
                    input #code name="code" inputmode="numeric" autocomplete="one-time-code" required;
                    button #confirm-contact type="submit" { "Confirm" }
                }
            },
        )
    }))
}

pub async fn confirm_contact_change(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<ContactForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    identity(&state)?
        .confirm_contact_change(&who, &form.channel, &form.code, &client)
        .await
        .map_err(|e| refused(&e))?;
    Ok(done_page(
        "Contact changed",
        "Your contact was changed. For 72 hours money cannot leave your wallet; both contacts were told.",
        ("/wallet/security", "Back to account security"),
    ))
}

#[derive(Deserialize)]
pub struct StepUpQuery {
    #[serde(default)]
    action: String,
}

fn step_up_action(s: &str) -> Result<StepUpAction, PageError> {
    StepUpAction::parse(s).ok_or_else(|| {
        problem_page(StatusCode::BAD_REQUEST, "Nothing to confirm", "That is not an action that needs confirming.")
            .into()
    })
}

/// What a step-up is for, said to a person.
fn action_words(action: StepUpAction) -> &'static str {
    match action {
        StepUpAction::ChangePassword => "change your password",
        StepUpAction::ChangeContact => "change your e-mail address or phone",
        StepUpAction::AddFactor => "add a second factor",
        StepUpAction::RemoveFactor => "remove a second factor",
        StepUpAction::RevokeDevice => "remove a device",
        StepUpAction::UnlockUser => "unlock a user's account",
    }
}

/// The step-up page only explains and offers a button: a `GET` never creates a challenge.
pub async fn step_up_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<StepUpQuery>,
) -> PageResult {
    full(&state, &headers).await?;
    let action = step_up_action(&q.action)?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            "Confirm it is you",
            html! {
                p { "To " (action_words(action)) ", confirm it is you with a second factor. The confirmation is good for this one change, for a few minutes." }
                form method="post" action="/wallet/step-up" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="action" value=(action.as_str());
                    button #start-step-up type="submit" { "Continue" }
                }
            },
        )
    }))
}

#[derive(Deserialize)]
pub struct StepUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    challenge_id: String,
    #[serde(default)]
    factor: String,
    #[serde(default)]
    code: String,
}

/// Start the step-up for one action and show the factor form.
pub async fn step_up_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<StepUpForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let action = step_up_action(&form.action)?;
    let challenge = identity(&state)?.start_step_up(&who, action, &client).await.map_err(|e| refused(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        factor_markup(csrf, "/wallet/step-up/verify", "/wallet/step-up/sms", &challenge, None)
    }))
}

/// Send the step-up's SMS code, then the same factor form again.
pub async fn step_up_sms(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<StepUpForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    full(&state, &headers).await?;
    let identity = identity(&state)?;
    identity
        .send_challenge_code(&form.challenge_id, crate::notify::Channel::Sms, &client)
        .await
        .map_err(|e| refused(&e))?;
    let challenge = identity.challenge_info(&form.challenge_id).await.map_err(|e| refused(&e))?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        factor_markup(
            csrf,
            "/wallet/step-up/verify",
            "/wallet/step-up/sms",
            &challenge,
            Some("We sent a code to your phone."),
        )
    }))
}

pub async fn step_up_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<StepUpForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let identity = identity(&state)?;
    let factor = Factor::parse(&form.factor).ok_or_else(|| refused(&IdentityError::CodeDead))?;
    let stepped = identity
        .complete_step_up(&who, &form.challenge_id, factor, &form.code, &client)
        .await
        .map_err(|e| refused(&e))?;
    // The token is reissued at step-up: the cookie follows.
    let mut response = Redirect::to(&format!("/wallet/security?confirmed={}", stepped.action.as_str())).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &stepped.token, identity.config().session_absolute_secs),
    );
    Ok(response)
}
