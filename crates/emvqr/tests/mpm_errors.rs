//! Each way a merchant-presented payload can be broken is named precisely, and each departure
//! from EMVCo is a warning on a successful decode; the encoder refuses what the decoder would.

mod support;

use emvqr::crc::crc16_hex;
use emvqr::mpm::{
    self, DecodeError, EncodeError, Field, Initiation, JPQR_GUID, JpqrTemplate, MerchantPresented, Payload, Warning,
};

/// `body` (everything before `6304`) with a correct CRC appended.
fn with_crc(body: &str) -> String {
    let head = format!("{body}6304");
    let crc = crc16_hex(head.as_bytes());
    format!("{head}{crc}")
}

fn err(payload: &str) -> DecodeError {
    mpm::decode(payload).expect_err("should be refused")
}

#[test]
fn a_changed_character_is_a_crc_mismatch_naming_both_values() {
    let good = support::mpm("jpqr_mercari");
    let bad = good.replacen("DEE9", "DEE8", 1);
    assert_eq!(err(&bad), DecodeError::CrcMismatch { expected: "DEE9".into(), found: "DEE8".into() });
    let tampered = good.replacen("5802JP", "5802JQ", 1);
    let e = err(&tampered);
    assert!(matches!(&e, DecodeError::CrcMismatch { found, .. } if found == "DEE9"), "{e:?}");
    assert_eq!(err(&bad).to_string(), "CRC mismatch: the payload says DEE8 but its contents give DEE9");
}

#[test]
fn a_value_cut_short_is_truncated_with_its_tag_offset_and_counts() {
    let e = err("0002015910ABC");
    assert_eq!(e, DecodeError::Truncated { tag: "59".into(), offset: 6, declared_len: 10, remaining: 3 });
    assert_eq!(e.to_string(), "tag 59 at character 6 declares 10 characters but only 3 remain");
}

#[test]
fn multi_byte_characters_count_as_one_character_each() {
    // Three characters (nine bytes) remain where four were declared.
    let e = err("0002015904メルペ");
    assert_eq!(e, DecodeError::Truncated { tag: "59".into(), offset: 6, declared_len: 4, remaining: 3 });
    // Declared by characters, it reads; a byte-counting writer's 12 would swallow the CRC.
    let ok = with_crc("0002015904メルペイ");
    assert_eq!(mpm::decode(&ok).unwrap().payload.text("59"), Some("メルペイ"));
    let bytes_counted = ok.replacen("5904", "5912", 1);
    assert_eq!(err(&bytes_counted), DecodeError::MissingCrc);
}

#[test]
fn offsets_after_multi_byte_characters_are_in_characters() {
    let doubled = with_crc("0002015904メルペイ6002東京6002東京");
    assert_eq!(err(&doubled), DecodeError::DuplicateTag { tag: "60".into(), offset: 20, first_offset: 14 });
}

#[test]
fn a_repeated_tag_is_refused_at_the_top_level_and_inside_a_template() {
    let e = err(&with_crc("0002015902AB5902CD"));
    assert_eq!(e, DecodeError::DuplicateTag { tag: "59".into(), offset: 12, first_offset: 6 });
    assert_eq!(e.to_string(), "tag 59 appears twice, at characters 6 and 12");
    let e = err(&with_crc("00020162140503AB10503CD1"));
    assert_eq!(e, DecodeError::DuplicateTag { tag: "62/05".into(), offset: 17, first_offset: 10 });
}

#[test]
fn the_crc_must_be_last() {
    let p = with_crc("0002015902AB");
    let moved = format!("{p}6002XY");
    assert_eq!(err(&moved), DecodeError::NotLast { tag: "63".into(), offset: 12, following: "60".into() });
    assert_eq!(err(&moved).to_string(), "tag 63 (CRC) at character 12 must be last, but tag 60 follows it");
}

#[test]
fn the_format_indicator_must_be_first_and_01() {
    let e = err(&with_crc("5902AB000201"));
    assert_eq!(e, DecodeError::NotFirst { tag: "00".into(), found: "59".into() });
    assert_eq!(e.to_string(), "tag 00 (payload format indicator) must come first; the payload starts with tag 59");
    assert_eq!(err(&with_crc("0002025902AB")), DecodeError::FormatIndicator { found: "02".into() });
}

#[test]
fn ids_and_lengths_must_be_digits() {
    assert_eq!(err("0002015X02AB"), DecodeError::NonDigitId { offset: 6, found: "5X".into() });
    let e = err("00020159A2AB");
    assert_eq!(e, DecodeError::NonDigitLength { tag: "59".into(), offset: 6, found: "A2".into() });
    assert_eq!(e.to_string(), "tag 59 at character 6: expected a two-digit length, found \"A2\"");
    assert_eq!(err("00020159"), DecodeError::IncompleteHeader { offset: 6, remaining: 2 });
    let e = err(&with_crc("00020126050002A"));
    assert_eq!(e, DecodeError::Truncated { tag: "26/00".into(), offset: 10, declared_len: 2, remaining: 1 });
}

#[test]
fn the_crc_field_itself_is_checked() {
    assert_eq!(err("0002015902AB"), DecodeError::MissingCrc);
    assert_eq!(err("0002016303ABC"), DecodeError::CrcLength { offset: 6, declared_len: 3 });
    assert_eq!(err(""), DecodeError::Empty);
    let long = format!("000201{}", "5999".repeat(2000));
    assert_eq!(err(&long), DecodeError::TooLong { chars: 8006, max: 4096 });
}

#[test]
fn national_departures_are_warnings_not_errors() {
    let good = support::mpm("paynow_odoo");
    let lower = good.replacen("16C8", "16c8", 1);
    let d = mpm::decode(&lower).unwrap();
    assert_eq!(d.warnings, [Warning::LowercaseCrc { found: "16c8".into() }]);

    let body = "00020101021352045812530339254041.2.5802jp5903ABC6003XYZ";
    let d = mpm::decode(&with_crc(body)).unwrap();
    assert_eq!(
        d.warnings,
        [
            Warning::PointOfInitiation { found: "13".into() },
            Warning::Format {
                tag: "54".into(),
                expected: "an amount: up to 13 characters, digits with at most one '.'",
                found: "1.2.".into()
            },
            Warning::Format { tag: "58".into(), expected: "2 uppercase letters (ISO 3166-1)", found: "jp".into() },
        ]
    );
    assert_eq!(
        d.warnings[0].to_string(),
        "tag 01 (point of initiation) is \"13\"; EMVCo knows 11 (static) and 12 (dynamic)"
    );
}

#[test]
fn a_jpqr_template_with_wrong_widths_is_a_warning() {
    let good = support::mpm("jpqr_mercari");
    let mut p = mpm::decode(good).unwrap().payload;
    let t = p.fields.iter_mut().find(|f| f.id == "26").unwrap();
    t.value = mpm::Value::Template(vec![
        Field::text("00", JPQR_GUID),
        Field::text("01", "123"),
        Field::text("02", "0001"),
        Field::text("03", "00000A"),
    ]);
    let d = mpm::decode(&p.encode().unwrap()).unwrap();
    assert_eq!(
        d.warnings,
        [
            Warning::JpqrWidth { tag: "26/01".into(), expected: 13, found: "123".into() },
            Warning::JpqrWidth { tag: "26/03".into(), expected: 6, found: "00000A".into() },
            Warning::JpqrMissing { tag: "26/04".into() },
        ]
    );
}

#[test]
fn the_encoder_refuses_what_would_not_read_back() {
    let enc = |fields: Vec<Field>| Payload::new(fields).encode().unwrap_err();
    assert_eq!(enc(vec![Field::text("5", "x")]), EncodeError::InvalidId { id: "5".into() });
    assert_eq!(
        enc(vec![Field::text("59", "x".repeat(100))]),
        EncodeError::ValueTooLong { tag: "59".into(), chars: 100 }
    );
    let sub = |n: usize| vec![Field::template("62", vec![Field::text("05", "x".repeat(n))])];
    assert_eq!(enc(sub(100)), EncodeError::ValueTooLong { tag: "62/05".into(), chars: 100 });
    // The sub-field fits, but the template around it (four more characters) does not.
    assert_eq!(enc(sub(96)), EncodeError::ValueTooLong { tag: "62".into(), chars: 100 });
    assert_eq!(
        enc(vec![Field::text("59", "a"), Field::text("59", "b")]),
        EncodeError::DuplicateTag { tag: "59".into() }
    );
    assert_eq!(enc(vec![Field::text("63", "ABCD")]), EncodeError::CrcGiven);
    assert_eq!(enc(vec![Field::text("26", "0002AB")]), EncodeError::TemplateExpected { tag: "26".into() });
    assert_eq!(enc(vec![Field::template("59", vec![])]), EncodeError::TextExpected { tag: "59".into() });
    assert_eq!(enc(vec![Field::text("80", "0002AB")]), EncodeError::Ambiguous { tag: "80".into() });
    assert_eq!(
        enc(vec![Field::template("26", vec![Field::template("01", vec![])])]),
        EncodeError::NestedTemplate { tag: "26/01".into() }
    );
}

#[test]
fn the_builder_writes_00_first_sorted_fields_and_the_crc_last() {
    let jpqr = JpqrTemplate::new("jp.anshin", ["0000000000001", "0001", "000001", "000001"])
        .unwrap()
        .with("05", "k1")
        .unwrap()
        .with("06", "c2lnbmF0dXJl")
        .unwrap();
    let code = MerchantPresented::new(Initiation::Dynamic)
        .jpqr("26", &jpqr)
        .merchant_category("5812")
        .currency("392")
        .amount("1500")
        .country("JP")
        .merchant_name("ANSHIN CAFE")
        .merchant_city("TOKYO")
        .postal_code("1000001")
        .reference_label("R-1")
        .language("JA", "安心カフェ", None)
        .encode()
        .unwrap();
    assert!(code.starts_with("000201010212268"), "{code}");
    let d = mpm::decode(&code).unwrap();
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert!(mpm::jpqr_template_warnings("26", d.payload.template("26").unwrap(), "jp.anshin").is_empty());
    let back = JpqrTemplate::from_fields(d.payload.template("26").unwrap(), "jp.anshin").unwrap();
    assert_eq!(back, jpqr);
    assert_eq!(back.extra_text("06"), Some("c2lnbmF0dXJl"));
    assert_eq!(d.payload.sub_text("64", "01"), Some("安心カフェ"));
    assert_eq!(d.payload.sub_text("62", "05"), Some("R-1"));
    assert_eq!(&code[code.len() - 8..code.len() - 4], "6304");
}

#[test]
fn the_jpqr_helper_refuses_wrong_widths_and_taken_sub_tags() {
    let e = JpqrTemplate::new("jp.anshin", ["1", "0001", "000001", "000001"]).unwrap_err();
    assert_eq!(e, EncodeError::FixedWidth { tag: "01".into(), expected: 13, found: "1".into() });
    let t = JpqrTemplate::new("jp.anshin", ["0000000000001", "0001", "000001", "000001"]).unwrap();
    assert!(matches!(t.with("03", "x"), Err(EncodeError::ReservedSubTag { .. })));
}
