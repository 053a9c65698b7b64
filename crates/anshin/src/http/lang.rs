//! The language of each request, decided once by the `negotiate` middleware and read by the
//! pages and the error envelope while the request is handled:
//!
//! - pages: the language switch's cookie, else `Accept-Language`, else Japanese;
//! - API error messages: the same cookie (set only by a browser's switch), else
//!   `Accept-Language`, else English, so an integrator that sends nothing keeps English.
//!
//! It is request-scoped (a task-local around the handler) rather than a parameter of every page
//! function, so page code reads `t("login-title")` and handlers keep their signatures.

use axum::extract::{Path, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::{ApiError, Query};
use super::pages::{cookie, set_cookie_with};
use crate::i18n::{self, Arg, Locale};
use crate::identity::IdentityError;
use crate::identity::password::PasswordProblem;

/// Remembers the language chosen with the switch. Not a secret: only which language to show.
pub const LANG_COOKIE: &str = "__Host-anshin_lang";
/// As long as browsers keep a cookie (400 days), like the device cookie.
const LANG_COOKIE_MAX_AGE_SECS: i64 = 400 * 86_400;
/// A `next` longer than this is not one of our pages.
const MAX_NEXT_CHARS: usize = 512;

#[derive(Debug, Clone)]
struct RequestLang {
    page: Locale,
    api: Locale,
    /// Where the language switch returns to: this page if it can be fetched again, else the
    /// start of its flow (a form's answer cannot be re-posted).
    back: String,
}

tokio::task_local! {
    static REQUEST_LANG: RequestLang;
}

/// Middleware: decide the request's languages and keep them for the handler and the layers
/// inside this one.
pub async fn negotiate(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let chosen = cookie(headers, LANG_COOKIE).and_then(|tag| Locale::from_tag(&tag));
    let accepted =
        headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Locale::from_accept_language);
    let lang = RequestLang {
        page: chosen.or(accepted).unwrap_or(i18n::PAGE_DEFAULT),
        api: chosen.or(accepted).unwrap_or(i18n::API_DEFAULT),
        back: back_target(req.method(), req.uri().path(), req.uri().query()),
    };
    let mut response = REQUEST_LANG.scope(lang, next.run(req)).await;
    // Pages and error messages depend on these request headers: caches must not mix languages.
    let worded = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if worded {
        response.headers_mut().append(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    }
    response
}

fn current() -> Option<RequestLang> {
    REQUEST_LANG.try_with(Clone::clone).ok()
}

/// The language of the page being rendered (Japanese outside a request).
pub fn page_locale() -> Locale {
    current().map_or(i18n::PAGE_DEFAULT, |l| l.page)
}

/// The language of an API error message (English outside a request).
pub fn api_locale() -> Locale {
    current().map_or(i18n::API_DEFAULT, |l| l.api)
}

/// Where the language switch on this page returns to.
pub fn switch_back() -> String {
    current().map_or_else(|| "/".to_owned(), |l| l.back)
}

/// A catalog entry in the page's language.
pub fn t(id: &str) -> String {
    i18n::text(page_locale(), id)
}

/// A catalog entry with placeholders, in the page's language.
pub fn t_args(id: &str, args: &[(&str, Arg<'_>)]) -> String {
    i18n::message(page_locale(), id, args)
}

/// After a form's POST the same address cannot be fetched again: go back to the page the flow
/// starts from.
fn back_target(method: &Method, path: &str, query: Option<&str>) -> String {
    if method == Method::GET || method == Method::HEAD {
        return match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        };
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "wallet" if path.starts_with("/wallet/sessions") => "/wallet/sessions".into(),
        "wallet" => "/wallet/security".into(),
        "ops" if path.starts_with("/ops/merchants") => "/ops/merchants".into(),
        "logout" => "/login".into(),
        "register" | "login" | "lock" | "unlock" | "reset" | "ops" | "merchant" => format!("/{first}"),
        _ => "/".into(),
    }
}

/// The switch's link to `locale`, returning to this page.
pub fn switch_href(locale: Locale) -> String {
    let next: String = form_urlencoded::Serializer::new(String::new()).append_pair("next", &switch_back()).finish();
    format!("/lang/{}?{next}", locale.tag())
}

/// Only a path on this site: never `//host` or `/\host` (which browsers read as another host),
/// nothing with spaces or control characters.
fn local_path(next: Option<&str>) -> &str {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && n.len() <= MAX_NEXT_CHARS
            && n.bytes().all(|b| b.is_ascii_graphic())
    })
    .unwrap_or("/")
}

#[derive(Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// `GET /lang/{ja|en}?next=/page`: remember the language and go back. A plain link, so the switch
/// works without JavaScript; choosing a language changes nothing else, so it needs no CSRF token.
pub async fn switch(Path(tag): Path<String>, Query(q): Query<SwitchQuery>) -> Result<Response, ApiError> {
    let locale = Locale::from_tag(&tag).ok_or_else(ApiError::not_found)?;
    let mut response = Redirect::to(local_path(q.next.as_deref())).into_response();
    // Lax, not Strict: a person following a link from an e-mail should still see their language.
    let cookie = set_cookie_with(LANG_COOKIE, locale.tag(), LANG_COOKIE_MAX_AGE_SECS, "Lax");
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

/// What a person should read on a page for an identity error, in the page's language: what
/// happened and what to do next. A new error variant must be given its words here.
pub fn explain(e: &IdentityError) -> String {
    match e {
        IdentityError::Invalid { code, message, .. } => {
            let id = i18n::error_id(code);
            if i18n::has_message(page_locale(), &id) {
                t(&id)
            } else {
                t_args("error-invalid", &[("detail", message.into())])
            }
        }
        IdentityError::Password(PasswordProblem::TooShort { min }) => {
            t_args("error-password-too-short", &[("min", (*min).into())])
        }
        IdentityError::Password(PasswordProblem::TooLong { max }) => {
            t_args("error-password-too-long", &[("max", (*max).into())])
        }
        IdentityError::Password(p) => t(&i18n::error_id(p.code())),
        IdentityError::LoginFailed => t("error-login-failed"),
        IdentityError::CodeRejected { attempts_left } => {
            t_args("error-code-rejected", &[("attempts", (*attempts_left).into())])
        }
        IdentityError::CodeDead => t("error-code-expired"),
        IdentityError::Unauthenticated => t("error-not-signed-in"),
        IdentityError::StepUpRequired => t("error-step-up-required"),
        IdentityError::Throttled { .. } => t("error-too-many-attempts"),
        IdentityError::Conflict(sentence) => match i18n::conflict_id(sentence) {
            Some(id) => t(id),
            None => t_args("error-conflict", &[("detail", (*sentence).into())]),
        },
        IdentityError::Forbidden => t("error-forbidden"),
        IdentityError::NotVerified => t("error-identity-not-verified"),
        IdentityError::EkycUnavailable => t("error-ekyc-unavailable"),
        IdentityError::NotFound => t("error-resource-missing"),
        IdentityError::Busy => t("error-overloaded"),
        IdentityError::Unavailable => t("error-service-unavailable"),
        IdentityError::Internal(_) => t("error-internal-error"),
    }
}

/// The space between a label ending in a colon (or a sentence) and what follows: Japanese
/// sets none after "：" or "。".
pub fn gap() -> &'static str {
    match page_locale() {
        Locale::Ja => "",
        Locale::En => " ",
    }
}

/// Two sentences as one paragraph.
pub fn sentences(first: &str, second: &str) -> String {
    format!("{first}{}{second}", gap())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_a_post_the_switch_returns_to_the_start_of_the_flow() {
        let post = Method::POST;
        for (path, back) in [
            ("/login/verify", "/login"),
            ("/register/verify", "/register"),
            ("/wallet/security/password", "/wallet/security"),
            ("/wallet/step-up/verify", "/wallet/security"),
            ("/wallet/sessions", "/wallet/sessions"),
            ("/logout", "/login"),
            ("/reset/complete", "/reset"),
            ("/ops/merchants/review", "/ops/merchants"),
            ("/ops/revoke-sessions", "/ops"),
            ("/merchant/pos-keys", "/merchant"),
            ("/v1/sessions", "/"),
        ] {
            assert_eq!(back_target(&post, path, None), back, "{path}");
        }
        assert_eq!(back_target(&Method::GET, "/dev/mailbox", Some("limit=5")), "/dev/mailbox?limit=5");
    }

    #[test]
    fn the_switch_only_returns_to_this_site() {
        for (next, to) in [
            (Some("/login"), "/login"),
            (Some("/dev/mailbox?limit=5"), "/dev/mailbox?limit=5"),
            (Some("//evil.example/"), "/"),
            (Some("/\\evil.example/"), "/"),
            (Some("https://evil.example/"), "/"),
            (Some("/a b"), "/"),
            (Some("/\r\nSet-Cookie:x"), "/"),
            (None, "/"),
        ] {
            assert_eq!(local_path(next), to, "{next:?}");
        }
    }
}
