//! Server-rendered pages for the web wallet: registration, contact verification and adding an
//! authenticator app. Little markup, no JavaScript; forms carry a CSRF token (double-submit,
//! bound to a `__Host-` cookie) and the session lives in a `__Host-`, HttpOnly, Secure,
//! SameSite=Strict cookie. Every word comes from the message catalogs (`t`, in the request's
//! language) and every page is framed by `layout`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::Form;
use super::identity::Caller;
pub use super::lang::explain;
use super::lang::{gap, sentences, switch_back, t, t_args};
pub use super::layout::layout;
use crate::identity::{Identity, IdentityError};
use crate::identity::{LoginChallenge, NewRegistration, Principal};
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
        .merge(super::step_up_pages::routes())
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
    set_cookie_with(name, value, max_age_secs, "Strict")
}

pub fn set_cookie_with(name: &str, value: &str, max_age_secs: i64, same_site: &str) -> HeaderValue {
    // __Host-: Secure, Path=/ and no Domain, so no other host or path can set or read it.
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite={same_site}; Max-Age={max_age_secs}"
    ))
    .expect("cookie values are hex or language tags")
}

/// A page with a form: issue the CSRF token (reusing the cookie's if there is one).
pub fn with_csrf(headers: &HeaderMap, status: StatusCode, render: impl FnOnce(&str) -> Markup) -> Response {
    let token = cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 32).unwrap_or_else(random_hex_128);
    let mut response = (status, Html(render(&token).into_string())).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &token, 3600));
    response
}

/// A form shown again with the reason it was refused, under the status the reason deserves
/// (`otherwise` for the form's own refusals). A full hashing line is paced like the API's
/// answer (`middleware::pace_refusals`), so a script posting the form gains nothing over the API.
pub fn form_refused(
    headers: &HeaderMap,
    e: &IdentityError,
    otherwise: StatusCode,
    render: impl FnOnce(&str) -> Markup,
) -> Response {
    let status = match e {
        IdentityError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        IdentityError::Busy | IdentityError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => otherwise,
    };
    let mut response = with_csrf(headers, status, render);
    if matches!(e, IdentityError::Busy) {
        response.extensions_mut().insert(super::error::Paced);
    }
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

/// A refused change as a page: the status the API answers for the same error, its message from
/// the catalog in the page's language, and the API's pacing (a full hashing line).
/// A wallet page's refused action: to the step-up page for `action` when a fresh second factor is
/// what is missing (it comes back here once confirmed), otherwise the refusal as a page.
pub fn refusal_or_step_up(api: super::error::ApiError, action: crate::identity::StepUpAction) -> PageError {
    if api.code == "step_up_required" {
        let to = format!("/wallet/step-up?action={}", action.as_str());
        return PageError::from(axum::response::Redirect::to(&to).into_response());
    }
    api_refusal(api)
}

pub fn api_refusal(api: super::error::ApiError) -> PageError {
    let message = crate::i18n::localized_api_message(super::lang::page_locale(), api.code, &api.message, &api.args);
    let mut response = problem_page(api.status, &t("problem-not-changed-title"), &message);
    if api.paced {
        response.extensions_mut().insert(super::error::Paced);
    }
    response.into()
}

/// A page saying what went wrong (`message`: what happened and what to do) with one way on:
/// sign in when the session is missing, else back to where the flow starts.
pub fn problem_page(status: StatusCode, title: &str, message: &str) -> Response {
    let back = switch_back();
    let (href, label) = if status == StatusCode::UNAUTHORIZED {
        ("/login".to_owned(), t("common-sign-in"))
    } else if back == "/" {
        (back, t("problem-link-home"))
    } else {
        (back, t("problem-link-retry"))
    };
    let page = layout(
        title,
        html! {
            p.notice.error role="alert" { (message) }
            p { a href=(href) { (label) } }
        },
    );
    (status, Html(page.into_string())).into_response()
}

fn csrf_failed() -> Response {
    problem_page(StatusCode::FORBIDDEN, &t("problem-csrf-title"), &t("problem-csrf"))
}

pub fn identity(state: &AppState) -> Result<&Identity, PageError> {
    state.identity.as_ref().ok_or_else(|| {
        problem_page(StatusCode::NOT_FOUND, &t("problem-not-found-title"), &t("problem-not-found")).into()
    })
}

pub fn check_csrf(headers: &HeaderMap, submitted: &str) -> Result<(), PageError> {
    if csrf_ok(headers, submitted) { Ok(()) } else { Err(csrf_failed().into()) }
}

pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Principal, PageError> {
    let identity = identity(state)?;
    let ended = || {
        PageError::from(problem_page(
            StatusCode::UNAUTHORIZED,
            &t("problem-signed-out-title"),
            &t("problem-signed-out"),
        ))
    };
    let token = cookie(headers, SESSION_COOKIE).ok_or_else(ended)?;
    identity.authenticate(&token).await.map_err(|_| ended())
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
        &t("register-title"),
        html! {
            @if let Some(e) = error { p.notice.error role="alert" { (e) } }
            p { (t("register-intro")) }
            form method="post" action="/register" {
                input type="hidden" name="csrf" value=(csrf);
                label for="email" { (t("common-email")) }
                input #email name="email" type="email" autocomplete="email" required value=(form.email);
                label for="phone" { (t("register-phone")) }
                input #phone name="phone" type="tel" autocomplete="tel" aria-describedby="phone-hint" required value=(form.phone);
                p #phone-hint .hint { (t("register-phone-hint")) }
                label for="legal_name" { (t("register-legal-name")) }
                input #legal_name name="legal_name" autocomplete="name" required value=(form.legal_name);
                label for="date_of_birth" { (t("register-date-of-birth")) }
                input #date_of_birth name="date_of_birth" type="date" autocomplete="bday" required value=(form.date_of_birth);
                label for="password" { (t("register-password")) }
                input #password name="password" type="password" autocomplete="new-password" required;
                button #register type="submit" { (t("register-submit")) }
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
            return Ok(form_refused(&headers, &e, StatusCode::BAD_REQUEST, |csrf| {
                register_markup(csrf, &form, Some(&explain(&e)))
            }));
        }
    };
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("register-sent-title"),
            html! {
                p.notice.info role="status" { (t_args("register-sent-intro", &[("minutes", (started.expires_in_secs / 60).into())])) }
                ul.sent-to {
                    li { (t("register-sent-email")) (gap()) strong { (form.email) } }
                    li { (t("register-sent-phone")) (gap()) strong { (form.phone) } }
                }
                form method="post" action="/register/verify" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="registration_id" value=(started.registration_id);
                    label for="email_code" { (t("register-email-code")) }
                    input #email_code name="email_code" inputmode="numeric" autocomplete="one-time-code" required;
                    label for="sms_code" { (t("register-sms-code")) }
                    input #sms_code name="sms_code" inputmode="numeric" autocomplete="one-time-code" required;
                    button #verify type="submit" { (t("common-confirm")) }
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
            |e| PageError::from(problem_page(StatusCode::UNAUTHORIZED, &t("problem-codes-title"), &explain(&e))),
        )?;
    // The recovery codes are shown once, now: with the password, one of them locks the account
    // when the phone is lost.
    let page = layout(
        &t("registered-title"),
        html! {
            p.notice.success role="status" { (t("registered-confirmed")) }
            h2 { (t("registered-codes-heading")) }
            p { (t("registered-codes-why")) }
            ol #recovery-codes .codes { @for c in &registered.recovery_codes { li { (c) } } }
            p { a #continue href="/wallet/security" { (t("registered-continue")) } }
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
        PageError::from(problem_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            &t("problem-internal-title"),
            &t("problem-internal"),
        ))
    })?;
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("security-title"),
            html! {
                p { (t("security-signed-in-as")) (gap()) strong #account-email { (profile.email) } }
                ul.links {
                    li { a #sessions-link href="/wallet/sessions" { (t("security-sessions-link")) } }
                    li { a href="/lock" { (t("security-lock-link")) } }
                    li { a #funding-link href="/wallet/funding" { (t("funding-title")) } }
                }
                h2 { (t("security-factors")) }
                ul #factors { @for f in &profile.factors { li data-factor=(f) { (factor_name(f)) } } }
                @if !profile.factors.contains(&"totp") {
                    p { (t("security-add-totp-why")) }
                    form method="post" action="/wallet/security/totp" {
                        input type="hidden" name="csrf" value=(csrf);
                        button #add-totp type="submit" { (t("security-add-totp")) }
                    }
                } @else if who.is_full() {
                    p { a #step-up-remove_factor href="/wallet/step-up?action=remove_factor" { (t("security-step-up-remove-factor")) } }
                    form method="post" action="/wallet/security/totp/remove" {
                        input type="hidden" name="csrf" value=(csrf);
                        button #remove-totp .secondary type="submit" { (t("security-remove-totp")) }
                    }
                }
                p { (t("security-passkey-why")) }
                button #add-passkey type="button" data-passkey="add" data-csrf=(csrf) { (t("security-add-passkey")) }
                (passkey_status())
                @if who.is_full() {
                    p { (t("security-step-up-why")) (gap()) a #step-up-add_factor href="/wallet/step-up?action=add_factor" { (t("security-step-up-add-factor")) } }
                    h2 { (t("security-password")) }
                    p { a #step-up-change_password href="/wallet/step-up?action=change_password" { (t("security-step-up-change-password")) } }
                    form method="post" action="/wallet/security/password" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="current_password" { (t("security-current-password")) }
                        input #current_password name="current_password" type="password" autocomplete="current-password" required;
                        label for="new_password" { (t("common-new-password")) }
                        input #new_password name="new_password" type="password" autocomplete="new-password" required;
                        button #change-password type="submit" { (t("security-change-password")) }
                    }
                    h2 { (t("security-contact")) }
                    p { (t("security-contact-why")) }
                    p { a #step-up-change_contact href="/wallet/step-up?action=change_contact" { (t("security-step-up-change-contact")) } }
                    form method="post" action="/wallet/security/contact" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="channel" { (t("security-contact-which")) }
                        select #channel name="channel" {
                            option value="email" { (t("common-email")) }
                            option value="phone" { (t("register-phone")) }
                        }
                        label for="value" { (t("security-contact-value")) }
                        input #value name="value" required;
                        button #change-contact type="submit" { (t("security-contact-submit")) }
                    }
                }
            },
        )
    }))
}

/// A second factor's name in the page's language (`totp` → "Authenticator app").
pub fn factor_name(factor: &str) -> String {
    t(&format!("factor-{}", factor.replace('_', "-")))
}

/// Where the passkey script reports, with its messages in the page's language (the script
/// itself holds no text).
pub fn passkey_status() -> Markup {
    html! {
        p #passkey-status .notice.info role="status"
            data-waiting=(t("passkey-waiting")) data-cancelled=(t("passkey-cancelled"))
            data-unsupported=(t("passkey-unsupported")) data-failed=(t("passkey-failed")) {}
        script src="/static/passkeys.js" defer {}
    }
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
        .map_err(|e| PageError::from(problem_page(StatusCode::FORBIDDEN, &t("problem-totp-title"), &explain(&e))))?;
    let qr = qrcode::QrCode::new(e.otpauth_url.as_bytes())
        .map(|c| c.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build())
        .unwrap_or_default();
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("totp-title"),
            html! {
                p { (t("totp-intro")) }
                div.qr role="img" aria-label=(t("totp-qr-label")) { (PreEscaped(qr)) }
                p { (t("totp-key")) (gap()) code #totp-secret { (e.secret) } }
                form method="post" action="/wallet/security/totp/confirm" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="code" { (t("totp-code")) }
                    input #code name="code" inputmode="numeric" autocomplete="one-time-code" required;
                    button #confirm-totp type="submit" { (t("common-confirm")) }
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
        .map_err(|e| PageError::from(problem_page(StatusCode::UNAUTHORIZED, &t("problem-code-title"), &explain(&e))))?;
    let page = layout(
        &t("totp-done-title"),
        html! {
            p.notice.success role="status" { (t("totp-recovery-intro")) }
            ol #recovery-codes .codes { @for c in &codes.recovery_codes { li { (c) } } }
            p { a href="/wallet/security" { (t("common-back-to-security")) } }
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
        &t("factor-title"),
        html! {
            @if let Some(n) = note { p.notice.info role="status" { (n) } }
            p { (t("factor-intro")) }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                label for="factor" { (t("common-second-factor")) }
                select #factor name="factor" {
                    @for f in &challenge.factors { @if *f != "passkey" { option value=(f) { (factor_name(f)) } } }
                }
                label for="code" { (t("common-code")) }
                input #code name="code" autocomplete="one-time-code" required;
                @if challenge.email_proof_required {
                    p.notice.info { (t("factor-email-proof-why")) }
                    label for="email_code" { (t("factor-email-code")) }
                    input #email_code name="email_code" inputmode="numeric" autocomplete="one-time-code" required;
                }
                button #confirm type="submit" { (t("common-confirm")) }
            }
            @if challenge.factors.contains(&"passkey") {
                form #passkey-form method="post" action=(action) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                    input type="hidden" name="factor" value="passkey";
                    input type="hidden" name="code" value="";
                    button #use-passkey type="button" data-passkey="use" { (t("factor-use-passkey")) }
                }
                (passkey_status())
            }
            @if challenge.factors.contains(&"sms") {
                form method="post" action=(sms_action) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                    input type="hidden" name="next" value=(action);
                    input type="hidden" name="channel" value="sms";
                    button #send-sms .secondary type="submit" { (t("common-send-sms")) }
                }
            }
            @if challenge.factors.contains(&"email") || challenge.email_proof_required {
                form method="post" action=(sms_action) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="challenge_id" value=(challenge.challenge_id);
                    input type="hidden" name="next" value=(action);
                    input type="hidden" name="channel" value="email";
                    button #send-email .secondary type="submit" { (t("common-send-email")) }
                }
            }
        },
    )
}

/// A finished page saying what happened, with a link on.
pub fn done_page(title: &str, message: &str, link: (&str, &str)) -> Response {
    let page =
        layout(title, html! { p #done .notice.success role="status" { (message) } p { a href=(link.0) { (link.1) } } });
    (StatusCode::OK, Html(page.into_string())).into_response()
}

/// Signed out everywhere: the session cookie goes too.
fn signed_out_page(title: &str, message: &str) -> Response {
    let mut response = done_page(title, message, ("/login", &t("common-sign-in-again")));
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    response
}

pub async fn full(state: &AppState, headers: &HeaderMap) -> Result<Principal, PageError> {
    let who = signed_in(state, headers).await?;
    if !who.is_full() {
        return Err(
            problem_page(StatusCode::FORBIDDEN, &t("problem-factor-first-title"), &t("problem-factor-first")).into()
        );
    }
    Ok(who)
}

pub(super) fn refused(e: &IdentityError) -> PageError {
    let status =
        if matches!(e, IdentityError::StepUpRequired) { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST };
    let mut message = explain(e);
    if matches!(e, IdentityError::StepUpRequired) {
        message = sentences(&message, &t("problem-step-up-hint"));
    }
    problem_page(status, &t("problem-not-changed-title"), &message).into()
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
    Ok(signed_out_page(&t("totp-removed-title"), &t("totp-removed")))
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
    Ok(signed_out_page(&t("password-changed-title"), &t("password-changed")))
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
            &t("contact-confirm-title"),
            html! {
                div.notice.info role="status" {
                    p { (t("contact-sent-to")) (gap()) strong { (form.value) } }
                    p { (t("contact-old-told")) }
                }
                form method="post" action="/wallet/security/contact/confirm" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="channel" value=(form.channel);
                    label for="code" { (t("common-code")) }
                    input #code name="code" inputmode="numeric" autocomplete="one-time-code" required;
                    button #confirm-contact type="submit" { (t("common-confirm")) }
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
        &t("contact-changed-title"),
        &t("contact-changed"),
        ("/wallet/security", &t("common-back-to-security")),
    ))
}
