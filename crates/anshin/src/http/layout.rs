//! The frame of every page: language, stylesheet, the language switch, a skip link and one
//! `<h1>`; and the stylesheet itself, served from the binary.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use sha2::{Digest, Sha256};

use super::lang::{page_locale, switch_href, t};
use crate::i18n::Locale;

const STYLESHEET: &str = include_str!("../../static/anshin.css");

/// The stylesheet's address carries a hash of its content, so browsers may keep it for a year
/// and still fetch a new version the moment it changes.
static STYLESHEET_HREF: LazyLock<String> = LazyLock::new(|| {
    let digest = hex::encode(Sha256::digest(STYLESHEET.as_bytes()));
    format!("/static/anshin.css?v={}", &digest[..16])
});

pub fn stylesheet_href() -> &'static str {
    &STYLESHEET_HREF
}

/// `GET /static/anshin.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// A whole page in the request's language. Text comes from the catalogs (`t`); no inline styles
/// or scripts (the CSP allows neither).
pub fn layout(title: &str, body: Markup) -> Markup {
    let locale = page_locale();
    html! {
        (DOCTYPE)
        html lang=(locale.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Anshin" }
                link rel="stylesheet" href=(stylesheet_href());
            }
            body {
                a.skip-link href="#main" { (t("layout-skip")) }
                header.site {
                    a.brand href="/" { "Anshin" span.brand-mark lang="ja" { "安心" } }
                    (language_switch(locale))
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// Links, not a form: the switch works without JavaScript and from every page. Each name is
/// written in its own language (and marked so, for screen readers).
fn language_switch(current: Locale) -> Markup {
    html! {
        nav.lang-switch aria-label=(t("layout-language")) {
            ul {
                @for l in Locale::ALL {
                    li {
                        a href=(switch_href(l)) lang=(l.tag()) hreflang=(l.tag())
                            aria-current=[(l == current).then_some("true")] { (l.endonym()) }
                    }
                }
            }
        }
    }
}
