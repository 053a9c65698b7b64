//! The catalogs are complete: the same entries and placeholders in every language, every id the
//! code asks for exists, and messages fit their channel.

use super::*;

#[test]
fn every_language_has_the_same_entries_with_the_same_placeholders() {
    let ja = message_ids(Locale::Ja);
    let en = message_ids(Locale::En);
    let missing_in_en: Vec<_> = ja.iter().filter(|id| !en.contains(id)).collect();
    let missing_in_ja: Vec<_> = en.iter().filter(|id| !ja.contains(id)).collect();
    assert!(
        missing_in_en.is_empty() && missing_in_ja.is_empty(),
        "ja only: {missing_in_en:?}; en only: {missing_in_ja:?}"
    );
    for id in &ja {
        assert_eq!(placeholders(Locale::Ja, id), placeholders(Locale::En, id), "placeholders of {id}");
    }
    let mut sorted = ja.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ja.len(), "an id is defined twice");
}

/// Sample values for every placeholder the catalogs use.
fn samples() -> Vec<(&'static str, Arg<'static>)> {
    vec![
        ("code", "123456".into()),
        ("minutes", 10i64.into()),
        ("ip", "203.0.113.7".into()),
        ("token", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into()),
        ("channel", "email".into()),
        ("attempts", 3i64.into()),
        ("min", 8i64.into()),
        ("max", 200i64.into()),
        ("detail", "missing field `email`".into()),
        ("agent", "Firefox".into()),
        ("time", "2026年4月1日 09:00".into()),
        ("count", 2i64.into()),
        ("n", 1i64.into()),
        ("hours", 24i64.into()),
        ("at", "2026年12月1日 09:00".into()),
        ("key", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into()),
        ("number", 12i64.into()),
        ("reason", "書類の確認が取れません".into()),
        ("name", "株式会社アンシン".into()),
        ("email", "tanaka@example.jp".into()),
        ("label", "2番レジ".into()),
        ("id", "pk_0123456789abcdef".into()),
        ("url", "https://shop.example.jp/anshin/events".into()),
        ("mcc", "5812".into()),
        ("rate", "2.60%".into()),
        ("digits", "567".into()),
        ("amount", "¥1,200".into()),
        ("store", "渋谷店".into()),
        ("merchant", "株式会社アンシン".into()),
        ("holder", "ｶ)ｱﾝｼﾝ".into()),
        ("last3", "321".into()),
        ("when", "2026年12月3日 18:00".into()),
        ("seconds", 30i64.into()),
        ("status", "partially_refunded".into()),
        ("payee", "佐藤 花.".into()),
        ("payer", "山田 太.".into()),
        ("note", "ランチ代".into()),
    ]
}

#[test]
fn every_entry_renders_with_all_placeholders_filled() {
    for locale in Locale::ALL {
        for id in message_ids(locale) {
            let text = message(locale, &id, &samples());
            assert!(!text.is_empty() && text != id, "{id} in {locale:?} did not render");
            assert!(!text.contains('{') && !text.contains('}'), "{id} in {locale:?} left a placeholder: {text}");
            assert!(!text.contains('\u{2068}') && !text.contains('\u{2069}'), "{id}: no isolation marks");
        }
    }
}

/// A Japanese SMS is sent as UCS-2: 70 characters fit one message. English fits in 160.
#[test]
fn sms_texts_fit_in_one_message() {
    for (locale, limit) in [(Locale::Ja, 70), (Locale::En, 160)] {
        for id in message_ids(locale).into_iter().filter(|id| id.starts_with("sms-")) {
            for channel in ["email", "phone"] {
                let mut args = samples();
                args.retain(|(name, _)| *name != "channel");
                args.push(("channel", channel.into()));
                let text = message(locale, &id, &args);
                assert!(
                    text.chars().count() <= limit,
                    "{id} in {locale:?} is {} characters: {text}",
                    text.chars().count()
                );
            }
        }
    }
}

#[test]
fn every_email_has_a_subject_and_a_body() {
    for id in message_ids(Locale::En) {
        if let Some(name) = id.strip_prefix("email-").and_then(|r| r.strip_suffix("-subject")) {
            // The old address gets the contact-change body under its own subject.
            let body = if name == "old-address-changed" {
                "email-contact-changed-body".to_owned()
            } else {
                format!("email-{name}-body")
            };
            assert!(has_message(Locale::En, &body), "{id} has no {body}");
        }
    }
}

#[test]
fn the_reset_mail_keeps_the_key_on_a_line_of_its_own() {
    for locale in Locale::ALL {
        let body = message(locale, "email-reset-body", &samples());
        assert!(
            body.lines().any(|l| l == "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
            "{body}"
        );
        assert!(body.contains("10"), "{body}");
    }
    let en = message(Locale::En, "email-reset-body", &samples());
    assert!(en.starts_with("Someone (we hope you) asked") && en.contains("It is valid for 10 minutes and"), "{en}");
}

/// Every catalog id written in the page code exists in both languages.
#[test]
fn every_id_the_pages_use_exists() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    let mut used = Vec::new();
    let mut paths = vec![std::path::PathBuf::from(dir)];
    while let Some(path) = paths.pop() {
        if path.is_dir() {
            paths.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for marker in ["t(\"", "t_args(\""] {
            for (at, _) in source.match_indices(marker) {
                // `t(` itself, not the end of another name such as `set(`.
                let before = source[..at].chars().next_back().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue;
                }
                let rest = &source[at + marker.len()..];
                used.push(rest.split('"').next().unwrap().to_owned());
            }
        }
    }
    assert!(used.len() > 100, "the pages' ids were not found ({})", used.len());
    for id in &used {
        for locale in Locale::ALL {
            assert!(has_message(locale, id), "{id} is used by a page but missing in {locale:?}");
        }
    }
}

/// The English e-mails read exactly as the identity flows write them today, so moving the flows
/// onto the catalog changes no English text.
#[test]
fn english_messages_match_what_the_flows_send_today() {
    let args = samples();
    assert_eq!(
        message(Locale::En, "email-registration-code-body", &args),
        "Your code to confirm this e-mail address is 123456. It is valid for 10 minutes.\n\
         If you did not just register at Anshin, ignore this message: without the code nothing happens."
    );
    assert_eq!(
        message(Locale::En, "email-reset-body", &args),
        "Someone (we hope you) asked to reset the password of your Anshin account.\n\
         Your reset key is:\n\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\n\
         It is valid for 10 minutes and also needs a code from your phone or authenticator app.\n\
         If you did not ask for this, ignore this message: your password stays as it is."
    );
    assert_eq!(
        message(Locale::En, "email-new-device-body", &args),
        "Your account was just signed in to from a device we had not seen before (address 203.0.113.7).\n\
         If this was you, nothing to do. If not: lock your account from the Anshin site, then reset your password."
    );
    assert_eq!(
        message(Locale::En, "sms-sign-in-code", &args),
        "Anshin code: 123456. If you did not just ask for it, someone knows your password: change it now."
    );
    assert_eq!(
        message(Locale::En, "email-contact-changing-body", &args),
        "Someone signed in to your account asked to change its e-mail address. Money cannot leave the wallet \
         for 72 hours after such a change.\n\
         If this was not you: lock your account from the Anshin site now and contact support."
    );
}
