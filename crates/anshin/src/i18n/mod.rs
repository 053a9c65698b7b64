//! Languages: every text a person reads (pages, e-mails, SMS, API error messages) comes from a
//! message catalog, in Japanese and English. The first users are in Japan, so pages default to
//! Japanese; the API defaults to English for integrators.
//!
//! The catalogs are Project Fluent files, one folder per language (`ja/`, `en/`), embedded in the
//! binary: a translator edits `.ftl` text, never Rust. `message(locale, id, args)` renders one
//! entry; `{ $name }` placeholders take `args`. The module has no I/O and knows nothing of HTTP:
//! the HTTP layer decides the locale per request (`http::lang`).
//!
//! E-mail and SMS texts live here too (`ja/messages.ftl`), each as `email-…-subject` /
//! `email-…-body` or `sms-…`, so the identity flows can send them in the user's language.

mod catalog;
mod errors;
mod format;

use std::borrow::Cow;

pub use errors::{conflict_id, error_id, localized_api_message};
pub use format::{JST_OFFSET_HOURS, tokyo_date, tokyo_date_time, yen};

/// A language Anshin speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    Ja,
    En,
}

/// Pages (and e-mails with no better signal) speak Japanese unless asked otherwise.
pub const PAGE_DEFAULT: Locale = Locale::Ja;
/// API error messages stay English when a caller sends no Accept-Language (integrators).
pub const API_DEFAULT: Locale = Locale::En;

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Ja, Locale::En];

    /// The BCP 47 tag, for `<html lang>`, cookies and URLs.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }

    /// The language's own name, as the language switch shows it.
    pub fn endonym(self) -> &'static str {
        match self {
            Locale::Ja => "日本語",
            Locale::En => "English",
        }
    }

    /// Exactly a tag this module produced (a cookie or the switch's URL); nothing else.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        Locale::ALL.into_iter().find(|l| l.tag() == tag)
    }

    /// The caller's most preferred language that we speak, from an `Accept-Language` header:
    /// by quality value (RFC 9110 §12.5.4), `q=0` meaning "not this one", ties in header order.
    /// `ja-JP`, `ja-Jpan` and `ja` all mean Japanese. None when we speak none of them.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        // fluent-langneg's parser ignores quality values (so `ja;q=0` would still pick Japanese):
        // read them here, and let unic-langid parse the tags.
        let mut ranked: Vec<(u16, usize, Locale)> = header
            .split(',')
            .take(MAX_ACCEPT_LANGUAGE_ENTRIES)
            .enumerate()
            .filter_map(|(position, entry)| {
                let mut parts = entry.split(';').map(str::trim);
                let tag: unic_langid::LanguageIdentifier = parts.next()?.parse().ok()?;
                let quality = parts.find_map(|p| p.strip_prefix("q=")).map_or(Some(1000), parse_quality)?;
                let locale = Locale::from_tag(tag.language.as_str())?;
                (quality > 0).then_some((quality, position, locale))
            })
            .collect();
        ranked.sort_by_key(|&(quality, position, _)| (std::cmp::Reverse(quality), position));
        ranked.first().map(|&(_, _, locale)| locale)
    }
}

/// A header is read only this far: a hostile client cannot make us parse thousands of tags.
const MAX_ACCEPT_LANGUAGE_ENTRIES: usize = 16;

/// A quality value as thousandths (`0.9` → 900); None if malformed (the entry is then ignored).
fn parse_quality(q: &str) -> Option<u16> {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    if !matches!(whole, "0" | "1") || fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    let value = if whole == "1" { 1000 + thousandths } else { thousandths };
    (value <= 1000).then_some(value)
}

/// One placeholder value for a catalog entry.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    Text(Cow<'a, str>),
    /// Numbers pick plural forms in English (`{ $count -> [one] … *[other] … }`).
    Number(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Text(Cow::Owned(s))
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Number(n)
    }
}

impl From<u32> for Arg<'_> {
    fn from(n: u32) -> Self {
        Arg::Number(i64::from(n))
    }
}

impl From<u64> for Arg<'_> {
    fn from(n: u64) -> Self {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<usize> for Arg<'_> {
    fn from(n: usize) -> Self {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// Render catalog entry `id` in `locale` with its placeholders filled from `args`, e.g.
/// `message(Locale::Ja, "email-reset-body", &[("token", token.into()), ("minutes", 30.into())])`.
///
/// An id missing from the catalog renders as the id itself (and is logged), so a gap shows up
/// on screen instead of taking a page down; the catalog tests keep that from shipping.
pub fn message(locale: Locale, id: &str, args: &[(&str, Arg<'_>)]) -> String {
    catalog::format(locale, id, args)
}

/// An e-mail from the catalogs (`email-<name>-subject` and `email-<name>-body`) in the language
/// tagged `locale` (the page default for an unknown tag).
pub fn email(recipient: &str, locale: &str, name: &str, args: &[(&str, Arg<'_>)]) -> crate::notify::OutboxMessage {
    let locale = Locale::from_tag(locale).unwrap_or(PAGE_DEFAULT);
    crate::notify::OutboxMessage::email(
        recipient,
        message(locale, &format!("email-{name}-subject"), args),
        message(locale, &format!("email-{name}-body"), args),
    )
}

/// An entry with no placeholders.
pub fn text(locale: Locale, id: &str) -> String {
    catalog::format(locale, id, &[])
}

/// Whether the catalog of `locale` has entry `id`.
pub fn has_message(locale: Locale, id: &str) -> bool {
    catalog::has(locale, id)
}

/// Every entry id of a language's catalog (for tests and tooling).
pub fn message_ids(locale: Locale) -> Vec<String> {
    catalog::ids(locale)
}

/// The placeholder names entry `id` uses, sorted (for tests that compare the languages).
pub fn placeholders(locale: Locale, id: &str) -> Vec<String> {
    catalog::placeholders(locale, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_language_we_speak() {
        for (header, expected) in [
            ("ja", Some(Locale::Ja)),
            ("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", Some(Locale::Ja)),
            ("en-US,en;q=0.9,ja;q=0.8", Some(Locale::En)),
            ("en-GB", Some(Locale::En)),
            ("fr-FR,fr;q=0.9,ja;q=0.5", Some(Locale::Ja)),
            ("ja;q=0.2, en;q=0.8", Some(Locale::En)),
            ("ja;q=0, en;q=0.1", Some(Locale::En)),
            ("ja;q=0", None),
            ("ja;q=1.5", None),
            ("fr, de", None),
            ("*", None),
            ("", None),
            ("ja-Jpan-JP", Some(Locale::Ja)),
            ("en;q=0.5, ja;q=0.5", Some(Locale::En)),
        ] {
            assert_eq!(Locale::from_accept_language(header), expected, "{header:?}");
        }
    }

    #[test]
    fn only_our_own_tags_are_read_from_a_cookie_or_url() {
        assert_eq!(Locale::from_tag("ja"), Some(Locale::Ja));
        assert_eq!(Locale::from_tag("en"), Some(Locale::En));
        for bad in ["JA", "ja-JP", "fr", "", "en;"] {
            assert_eq!(Locale::from_tag(bad), None, "{bad:?}");
        }
    }
}

#[cfg(test)]
mod catalog_tests;
