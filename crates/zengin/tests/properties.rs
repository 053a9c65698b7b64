//! Properties over generated names and files.

use std::collections::HashMap;
use std::sync::LazyLock;

use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;
use zengin::{
    AccountType, CustomerReference, Designation, HOLDER_NAME_MAX_CHARS, HolderName, LineEnding, MAX_AMOUNT_YEN,
    NewCode, ResultFile, ResultRecord, TransferDate, TransferFile, TransferHeader, TransferRecord, TransferResult,
    encode_result_with, encode_with, holder_name, is_zengin_char, name_key, names_match, parse, parse_result,
    requester_name,
};

/// Full-width katakana to half-width, built from NFKC rather than from the crate's own table.
static HALF_WIDTH: LazyLock<HashMap<char, char>> =
    LazyLock::new(|| ('\u{FF66}'..='\u{FF9D}').map(|half| (half.to_string().nfkc().next().unwrap(), half)).collect());

fn half_width(text: &str) -> String {
    text.nfd()
        .map(|ch| match ch {
            '\u{3099}' => 'ﾞ',
            '\u{309A}' => 'ﾟ',
            _ => HALF_WIDTH.get(&ch).copied().unwrap_or(ch),
        })
        .collect()
}

fn hiragana(text: &str) -> String {
    text.chars()
        .map(|ch| if ('ァ'..='ヶ').contains(&ch) { char::from_u32(ch as u32 - 0x60).unwrap() } else { ch })
        .collect()
}

fn small(text: &str) -> String {
    let (large, small) = ("アイウエオツヤユヨワカケ", "ァィゥェォッャュョヮヵヶ");
    text.chars().map(|ch| large.chars().position(|l| l == ch).map_or(ch, |at| small.chars().nth(at).unwrap())).collect()
}

/// Katakana names with spaces, without ヰヱ (no half-width form) or ヷ-ヺ.
fn katakana_name() -> impl Strategy<Value = String> {
    "[ァ-ワヲンヴ ]{1,20}"
}

/// Mostly things people type into a name field, with the odd kanji, entity word and symbol.
fn typed_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ぁ-ゖァ-ヺｦ-ﾟ ー・a-zA-Z0-9ａ-ｚ（）()\\-./　]{0,40}",
        2 => "(株式会社|有限会社|カブシキガイシャ|ｶ\\)|\\(ｶ|\\(ｶ\\)|営業所|㈱| )?[ァ-ン ]{0,12}(株式会社|合同会社|\\(ｶ| )?[ァ-ン]{0,8}",
        1 => any::<String>(),
    ]
}

proptest! {
    #[test]
    fn a_holder_name_holds_only_zengin_characters_and_fits(input in typed_name()) {
        if let Ok(name) = holder_name(&input) {
            let text = name.as_str();
            prop_assert!(text.chars().all(is_zengin_char), "{text:?}");
            prop_assert!((1..=HOLDER_NAME_MAX_CHARS).contains(&text.chars().count()), "{text:?}");
            prop_assert!(!text.starts_with(' ') && !text.ends_with(' ') && !text.contains("  "), "{text:?}");
            prop_assert_eq!(holder_name(text), Ok(name.clone()), "formatting is idempotent");
            prop_assert_eq!(name_key(text), name_key(&input), "formatting keeps the key");
        }
    }

    #[test]
    fn names_never_panic_on_any_string(input in any::<String>(), other in any::<String>()) {
        let _ = holder_name(&input);
        let _ = requester_name(&input);
        let _ = name_key(&input);
        let _ = names_match(&input, &other);
    }

    #[test]
    fn the_key_ignores_width_and_kana_size(name in katakana_name()) {
        let key = name_key(&name);
        prop_assert_eq!(&name_key(&half_width(&name)), &key);
        prop_assert_eq!(&name_key(&hiragana(&name)), &key);
        prop_assert_eq!(&name_key(&small(&name)), &key);
        prop_assert_eq!(&name_key(&half_width(&small(&name))), &key);
        let key_of_key = name_key(key.as_str());
        prop_assert_eq!(key_of_key.as_str(), key.as_str(), "the key of a key is itself");
        if !key.as_str().is_empty() {
            prop_assert!(names_match(&name, &half_width(&hiragana(&name))).is_exact());
        }
    }
}

fn digits(len: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9]{{{len}}}")).unwrap()
}

/// Bank or branch names: up to 15 Zengin characters, no space at either end.
fn short_text() -> impl Strategy<Value = String> {
    prop_oneof!["", "[ｦｱ-ﾝA-Z0-9]([ｦｱ-ﾟA-Z0-9 ().\\-/]{0,13}[ｦｱ-ﾟA-Z0-9])?"]
}

fn zengin_name(format: fn(&str) -> Result<HolderName, zengin::NameError>) -> impl Strategy<Value = HolderName> {
    // At most 13 kana (26 with voiced marks) and two abbreviations: always within 30 characters.
    "(株式会社)?[ァ-ンA-Z0-9][ァ-ンA-Z0-9 ]{0,12}(株式会社)?".prop_map(move |input| format(&input).unwrap())
}

fn account_type() -> impl Strategy<Value = AccountType> {
    prop_oneof![Just(AccountType::Ordinary), Just(AccountType::Current), Just(AccountType::Other)]
}

fn header() -> impl Strategy<Value = TransferHeader> {
    let date = (1u8..=12, 1u8..=28).prop_map(|(month, day)| TransferDate::new(month, day).unwrap());
    (
        digits(10),
        zengin_name(requester_name),
        date,
        digits(4),
        short_text(),
        digits(3),
        short_text(),
        account_type(),
        digits(7),
    )
        .prop_map(
            |(
                requester_code,
                requester_name,
                transfer_date,
                bank_code,
                bank_name,
                branch_code,
                branch_name,
                account_type,
                account_number,
            )| {
                TransferHeader {
                    requester_code,
                    requester_name,
                    transfer_date,
                    bank_code,
                    bank_name,
                    branch_code,
                    branch_name,
                    account_type,
                    account_number,
                }
            },
        )
}

fn customer() -> impl Strategy<Value = CustomerReference> {
    prop_oneof![
        Just(CustomerReference::None),
        (digits(10), prop_oneof![Just(String::new()), digits(10)])
            .prop_map(|(code1, code2)| CustomerReference::Codes { code1, code2 }),
        "[ｱ-ﾝA-Z0-9]{1,20}".prop_map(CustomerReference::Edi),
    ]
}

fn record() -> impl Strategy<Value = TransferRecord> {
    let ids = (digits(4), short_text(), digits(3), short_text(), prop_oneof![Just(String::new()), digits(4)]);
    let account = (prop_oneof![account_type(), Just(AccountType::Savings)], digits(7), zengin_name(holder_name));
    let new_code = prop_oneof![Just(NewCode::Other), Just(NewCode::FirstTransfer), Just(NewCode::Changed)];
    let designation = prop_oneof![Just(None), Just(Some(Designation::Telegraphic)), Just(Some(Designation::Document))];
    (ids, account, 1..=MAX_AMOUNT_YEN, new_code, customer(), designation).prop_map(
        |(
            (bank_code, bank_name, branch_code, branch_name, clearing_house),
            (account_type, account_number, recipient_name),
            amount_yen,
            new_code,
            customer,
            designation,
        )| {
            TransferRecord {
                bank_code,
                bank_name,
                branch_code,
                branch_name,
                clearing_house,
                account_type,
                account_number,
                recipient_name,
                amount_yen,
                new_code,
                customer,
                designation,
            }
        },
    )
}

fn line_ending() -> impl Strategy<Value = LineEnding> {
    prop_oneof![Just(LineEnding::CrLf), Just(LineEnding::None)]
}

fn result() -> impl Strategy<Value = TransferResult> {
    prop::sample::select([0, 1, 2, 3, 4, 9].map(|code| TransferResult::from_code(code).unwrap()).to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_transfer_file_reads_back_as_written(
        header in header(),
        records in prop::collection::vec(record(), 1..12),
        line_ending in line_ending(),
    ) {
        let file = TransferFile { header, records };
        let bytes = encode_with(&file, line_ending).unwrap();
        prop_assert_eq!(parse(&bytes).unwrap(), file);
    }

    #[test]
    fn a_result_file_reads_back_as_written(
        header in header(),
        records in prop::collection::vec((record(), result()), 1..12),
        line_ending in line_ending(),
    ) {
        let records = records.into_iter().map(|(transfer, result)| ResultRecord { transfer, result }).collect();
        let file = ResultFile { header, records };
        let bytes = encode_result_with(&file, line_ending).unwrap();
        prop_assert_eq!(parse_result(&bytes).unwrap(), file);
    }

    #[test]
    fn reading_never_panics_on_damaged_files(
        header in header(),
        records in prop::collection::vec(record(), 1..4),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = encode_with(&TransferFile { header, records }, LineEnding::CrLf).unwrap();
        for (at, byte) in damage {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        let _ = parse(&bytes);
        let _ = parse_result(&bytes);
        bytes.truncate(cut.index(bytes.len()));
        let _ = parse(&bytes);
    }

    #[test]
    fn reading_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let _ = parse(&bytes);
        let _ = parse_result(&bytes);
    }
}
