//! Error messages by error code. Pages and the API share one entry per code (`error-<code>`,
//! underscores as hyphens), so a person reads the same explanation wherever they meet it.

use super::{Arg, Locale, catalog};

/// The catalog entry for an error code: `code_rejected` → `error-code-rejected`.
pub fn error_id(code: &str) -> String {
    format!("error-{}", code.replace('_', "-"))
}

/// Conflicts carry one code and an English sentence from the identity and merchant flows; each sentence has
/// its own entry. A sentence missing here still reads, through the generic `error-conflict`
/// (a test lists every sentence the flows use and fails on one without an entry).
const CONFLICTS: &[(&str, &str)] = &[
    ("an account with this e-mail address already exists", "error-conflict-email-taken"),
    ("an authenticator app is already set up; remove it first", "error-conflict-totp-exists"),
    ("no authenticator app is set up", "error-conflict-no-totp"),
    ("staff and operators must keep a second factor: add a passkey first", "error-conflict-keep-a-factor"),
    ("start adding an authenticator app first", "error-conflict-totp-not-started"),
    ("that account is not locked", "error-conflict-not-locked"),
    ("that address belongs to another account", "error-conflict-address-taken"),
    ("this account has no passkey", "error-conflict-no-passkey"),
    ("this account has no phone", "error-conflict-no-phone"),
    ("no such account", "error-conflict-no-such-account"),
    ("this merchant is not awaiting review", "error-conflict-not-awaiting-review"),
    ("only an active merchant can be suspended", "error-conflict-not-active"),
    ("only a suspended merchant can be reactivated", "error-conflict-not-suspended"),
    ("this merchant has as many stores as it may have", "error-conflict-store-limit"),
    ("this merchant has as many live POS keys as it may have", "error-conflict-pos-key-limit"),
    ("this merchant has as many webhook endpoints as it may have", "error-conflict-webhook-limit"),
    ("no payout account change is waiting", "error-conflict-no-payout-change"),
    ("this payout account is not awaiting review", "error-conflict-payout-not-awaiting-review"),
    ("a wallet holds at most five cards: remove one first", "error-conflict-card-limit"),
    ("this card cannot be added to this wallet", "error-conflict-card-unavailable"),
    ("this card is not active", "error-conflict-card-not-active"),
    ("your identity is already verified", "error-conflict-already-verified"),
    ("this user's identity is already verified", "error-conflict-user-already-verified"),
    ("an identity verification is already in progress", "error-conflict-verification-in-progress"),
    ("too many identity verification attempts; contact support", "error-conflict-too-many-verifications"),
    ("this identity verification is not awaiting review", "error-conflict-verification-not-in-review"),
    ("this request for money is no longer open", "error-conflict-money-request-closed"),
    ("too many requests for money are open; cancel one first", "error-conflict-too-many-money-requests"),
    ("this withdrawal is not awaiting review", "error-conflict-withdrawal-not-in-review"),
    ("this request is for another amount than the one shown", "error-conflict-money-request-amount"),
    // vcard (issue 8 item 8)
    ("this wallet already has a virtual card", "error-conflict-virtual-card-exists"),
    ("the card changed meanwhile; reload and try again", "error-conflict-virtual-card-changed"),
    ("no free card number was found; try again", "error-conflict-virtual-card-no-number"),
];

/// The entry for one of the identity flows' conflict sentences.
pub fn conflict_id(sentence: &str) -> Option<&'static str> {
    CONFLICTS.iter().find(|(s, _)| *s == sentence).map(|(_, id)| *id)
}

/// The `message` of an API error envelope in `locale`. English is the message the handler
/// wrote, unchanged (integrators may match on it). Otherwise the catalog's entry for the code,
/// with `args` and the English text as `$detail` (for entries that quote a parser's detail);
/// a code with no entry keeps the English text rather than say nothing.
pub fn localized_api_message(locale: Locale, code: &str, english: &str, args: &[(&str, i64)]) -> String {
    if locale == Locale::En {
        return english.to_owned();
    }
    let id = if code == "conflict" {
        conflict_id(english.trim_end_matches('.')).map_or_else(|| error_id(code), str::to_owned)
    } else {
        error_id(code)
    };
    if !catalog::has(locale, &id) {
        return english.to_owned();
    }
    let mut all: Vec<(&str, Arg<'_>)> = args.iter().map(|&(name, n)| (name, Arg::Number(n))).collect();
    all.push(("detail", Arg::from(english)));
    catalog::format(locale, &id, &all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_api_messages_are_left_exactly_as_written() {
        let english = "That code is not right. Attempts left: 2.";
        assert_eq!(localized_api_message(Locale::En, "code_rejected", english, &[("attempts", 2)]), english);
    }

    #[test]
    fn japanese_api_messages_come_from_the_catalog_with_their_numbers() {
        let ja = localized_api_message(Locale::Ja, "code_rejected", "That code is not right.", &[("attempts", 2)]);
        assert!(ja.contains('2') && ja.contains("コード"), "{ja}");
        let conflict = localized_api_message(Locale::Ja, "conflict", "no authenticator app is set up", &[]);
        assert!(conflict.contains("認証アプリ"), "{conflict}");
        let unknown = localized_api_message(Locale::Ja, "no_such_code_yet", "Plain English.", &[]);
        assert_eq!(unknown, "Plain English.", "an unknown code keeps its English text");
        let detail = localized_api_message(Locale::Ja, "body_invalid", "missing field `email`", &[]);
        assert!(detail.contains("missing field `email`"), "a parser's detail is quoted: {detail}");
    }

    /// Every conflict sentence the identity and merchant flows can send has its own entry in both
    /// languages. Reads the flows' source, so a new sentence fails here until it is translated.
    #[test]
    fn every_conflict_sentence_of_the_flows_is_translated() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut sentences = Vec::new();
        let mut files: Vec<std::path::PathBuf> =
            ["src/identity", "src/merchants"].iter().map(|d| std::path::Path::new(root).join(d)).collect();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                for piece in source.split("Conflict(\"").skip(1) {
                    sentences.push(piece.split('"').next().unwrap().to_owned());
                }
                // A conflict chosen between two sentences: `Conflict(if … { "…" } else { "…" })`.
                for piece in source.split("Conflict(if ").skip(1) {
                    let choice = piece.split("))").next().unwrap_or_default();
                    sentences.extend(choice.split('"').skip(1).step_by(2).map(str::to_owned));
                }
            }
        }
        assert!(sentences.len() >= 5, "the flows' conflicts were not found: {sentences:?}");
        for sentence in &sentences {
            let id = conflict_id(sentence).unwrap_or_else(|| panic!("no catalog entry for conflict {sentence:?}"));
            for locale in Locale::ALL {
                assert!(catalog::has(locale, id), "{id} missing in {locale:?}");
            }
        }
    }
}
