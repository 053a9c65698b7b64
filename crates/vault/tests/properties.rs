//! Properties over any number: the Luhn digit, sealing round trips, masking, and records that
//! never carry the digits.

use std::sync::LazyLock;

use proptest::prelude::*;
use vault::{CardNumber, Expiry, KeyRing, Vault, luhn};

static VAULT: LazyLock<Vault> = LazyLock::new(|| Vault::new(KeyRing::generate()));

/// Any valid number of an accepted brand: a BIN prefix, random digits, the Luhn check digit.
fn card_number() -> impl Strategy<Value = String> {
    const PREFIXES: &[&str] =
        &["4", "51", "55", "2221", "2720", "3528", "3589", "34", "37", "300", "305", "36", "38", "6011", "644", "65"];
    (proptest::sample::select(PREFIXES), 12usize..=19, proptest::collection::vec(0u8..10, 19)).prop_map(
        |(prefix, len, digits)| {
            let mut body: String = prefix.to_owned();
            body.extend(digits.iter().take(len - 1 - prefix.len()).map(|d| char::from(b'0' + d)));
            let check = luhn::check_digit(&body).unwrap();
            body.push(char::from(b'0' + check));
            body
        },
    )
}

fn expiry() -> Expiry {
    Expiry::parse("12", "2035", jiff::civil::date(2026, 1, 1)).unwrap()
}

proptest! {
    #[test]
    fn appending_the_check_digit_makes_any_digit_string_valid(digits in "[0-9]{0,30}") {
        let check = luhn::check_digit(&digits).unwrap();
        let valid = format!("{digits}{check}");
        prop_assert!(luhn::is_valid(&valid));
    }

    #[test]
    fn changing_any_one_digit_breaks_the_check(digits in "[0-9]{1,30}", at in any::<prop::sample::Index>(), by in 1u8..10) {
        let valid = format!("{digits}{}", luhn::check_digit(&digits).unwrap());
        let i = at.index(valid.len());
        let mut bytes = valid.into_bytes();
        bytes[i] = b'0' + (bytes[i] - b'0' + by) % 10;
        prop_assert!(!luhn::is_valid(std::str::from_utf8(&bytes).unwrap()));
    }

    #[test]
    fn any_valid_number_seals_and_opens_to_itself(number in card_number()) {
        let sealed = VAULT.seal(CardNumber::parse(&number).unwrap(), expiry());
        // `check` opens the record and compares the digits with its keyed fingerprint, BIN and
        // last four: only the same digits pass.
        prop_assert!(VAULT.check(&sealed).is_ok());
        prop_assert_eq!(&sealed.fingerprint, &VAULT.fingerprint(&CardNumber::parse(&number).unwrap()));
        prop_assert_eq!((&sealed.bin6[..], &sealed.last4[..]), (&number[..6], &number[number.len() - 4..]));
    }

    #[test]
    fn the_masked_debug_never_shows_a_middle_digit(number in card_number()) {
        let shown = format!("{:?}", CardNumber::parse(&number).unwrap());
        prop_assert_eq!(&shown[..6], &number[..6]);
        prop_assert_eq!(&shown[shown.len() - 4..], &number[number.len() - 4..]);
        prop_assert!(shown[6..shown.len() - 4].chars().all(|c| c == '*'));
        prop_assert_eq!(shown.len(), number.len());
    }

    #[test]
    fn a_sealed_record_never_holds_the_digits_in_decimal_or_hex(number in card_number()) {
        let sealed = VAULT.seal(CardNumber::parse(&number).unwrap(), expiry());
        let stored = serde_json::to_string(&sealed).unwrap().to_lowercase();
        let as_integer: u64 = number.parse().unwrap();
        let forms = [number.clone(), hex::encode(&number), format!("{as_integer:x}"), number[6..number.len() - 4].to_owned()];
        for form in forms {
            // The middle digits alone may turn up by chance in 128 hex characters only if short.
            if form.len() >= 6 {
                prop_assert!(!stored.contains(&form), "{} in {}", form, stored);
            }
        }
        let view = serde_json::to_string(&sealed.view()).unwrap();
        prop_assert!(!view.contains(&number));
    }
}
