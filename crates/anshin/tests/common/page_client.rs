//! Pages without a browser: what a browser that asks for English sees (status, where a redirect
//! points instead of following it, cookies set, caching and reload headers, the page), and forms
//! sent the way a signed-in page sends them (the double-submit CSRF cookie and token).

use reqwest::StatusCode;

use super::identity_app::App;

/// The double-submit token a page would have set; any 32 hex digits do.
pub const CSRF: &str = "0123456789abcdef0123456789abcdef";
pub const OTHER_CSRF: &str = "fedcba9876543210fedcba9876543210";

pub struct Answer {
    pub status: StatusCode,
    pub location: String,
    pub set_cookie: Vec<String>,
    pub cache_control: String,
    /// The `Refresh` header of a page that reloads itself while it waits.
    pub refresh: String,
    pub body: String,
}

/// Like a browser that asks for English, except that it shows where a redirect points.
pub fn browser() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT_LANGUAGE, "en".parse().unwrap());
    reqwest::Client::builder().default_headers(headers).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (location, cache_control, refresh) = (header("location"), header("cache-control"), header("refresh"));
    let set_cookie = resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    Answer { status, location, set_cookie, cache_control, refresh, body: resp.text().await.unwrap() }
}

pub async fn page(a: &App, path: &str, session: &str) -> Answer {
    let cookie = format!("__Host-anshin_session={session}");
    answer(browser().get(format!("{}{path}", a.url)).header("cookie", cookie).send().await.unwrap()).await
}

/// A form as a signed-in page sends it: the session, the CSRF cookie (`None`: a cross-site post,
/// which carries none) and the token in the form.
pub async fn post(a: &App, path: &str, session: &str, csrf_cookie: Option<&str>, fields: &[(&str, &str)]) -> Answer {
    let mut cookie = format!("__Host-anshin_session={session}");
    if let Some(c) = csrf_cookie {
        cookie.push_str(&format!("; __Host-anshin_csrf={c}"));
    }
    let form: Vec<(&str, &str)> = fields.iter().copied().chain([("csrf", CSRF)]).collect();
    let resp = browser().post(format!("{}{path}", a.url)).header("cookie", cookie).form(&form).send().await.unwrap();
    answer(resp).await
}
