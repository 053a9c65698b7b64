//! Real merchant-presented payloads (tests/golden/mpm.txt, with their sources) decode to the
//! fields their sources state, with the warnings their national quirks deserve, and encode back
//! to the same characters.

mod support;

use emvqr::mpm::{self, DecodeError, Decoded, JPQR_GUID, JpqrTemplate, Warning};

fn decoded(name: &str) -> Decoded {
    mpm::decode(support::mpm(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_readable_golden_payload_encodes_back_to_the_same_characters() {
    for (name, payload) in support::entries(support::MPM) {
        let Ok(d) = mpm::decode(payload) else { continue };
        assert_eq!(mpm::encode(&d.payload).unwrap(), payload, "{name}");
    }
}

#[test]
fn mercaris_jpqr_sample_counts_characters_and_reads_the_jpqr_template() {
    let d = decoded("jpqr_mercari");
    let p = &d.payload;
    assert_eq!(d.crc, "DEE9");
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(p.sub_text("64", "01"), Some("メルペイ カフェ"));
    assert_eq!(p.sub_text("64", "00"), Some("JA"));
    let ids: Vec<&str> = p.fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["00", "60", "01", "29", "31", "26", "53", "59", "64", "52", "58", "61"], "order is kept");
    let jpqr = JpqrTemplate::from_fields(p.template("26").unwrap(), JPQR_GUID).unwrap();
    assert_eq!(jpqr.levels(), ["0000000000001", "0001", "000001", "000001"]);
    assert_eq!(p.sub_text("29", "05"), Some("A93FO3230Q"));
    assert_eq!((p.text("53"), p.text("58"), p.text("61")), (Some("392"), Some("JP"), Some("1066143")));
}

#[test]
fn the_emvco_example_reads_chinese_names_in_the_language_template() {
    let d = decoded("emvco_cn");
    let p = &d.payload;
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(p.sub_text("64", "01"), Some("最佳运输"));
    assert_eq!(p.sub_text("64", "02"), Some("北京"));
    assert_eq!((p.text("54"), p.text("53"), p.text("55")), (Some("23.72"), Some("156"), Some("01")));
    assert_eq!(p.sub_text("62", "07"), Some("A6008667"));
    assert_eq!(p.sub_text("91", "00"), Some("A011223344998877"), "80–99 split into sub-fields when they can");
}

#[test]
fn card_network_fields_02_to_25_stay_text() {
    let p = decoded("emvco_jp_networks").payload;
    assert_eq!(p.text("13"), Some("JCB1234567890"));
    assert_eq!(p.text("04"), Some("MASTER1234567890"));
    assert_eq!(p.sub_text("62", "05"), Some("fuga"));
}

#[test]
fn pix_codes_read_their_key_and_unreserved_template() {
    let p = decoded("pix_brcode").payload;
    assert_eq!(p.text("04"), Some("12345678901234"));
    assert_eq!(p.sub_text("26", "01"), Some("123e4567-e12b-12d1-a456-426655440000"));
    assert_eq!(p.sub_text("27", "00"), Some("BR.COM.OUTRO"));
    assert_eq!(p.sub_text("80", "01"), Some("0123.ABCD.3456.WXYZ"));
    assert_eq!(p.sub_text("62", "05"), Some("RP12345678-2019"));
    assert_eq!(
        (p.text("59"), p.text("60"), p.text("61")),
        (Some("NOME DO RECEBEDOR"), Some("BRASILIA"), Some("70074900"))
    );

    let p = decoded("pix_dynamic_url").payload;
    assert_eq!(p.sub_text("26", "25"), Some("bx.com.br/pix/8b3da2f3-9a41-40d1-a91a-bd93113bd441"));
    assert_eq!(p.text("01"), Some("12"));

    let d = decoded("pix_phone_key");
    assert_eq!(d.payload.get("01"), None, "tag 01 is optional");
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.payload.sub_text("26", "01"), Some("+5599981916389"));
}

#[test]
fn a_promptpay_code_without_name_or_city_is_read_with_warnings() {
    let d = decoded("promptpay_amount");
    assert_eq!(d.payload.sub_text("29", "00"), Some("A000000677010111"));
    assert_eq!(d.payload.sub_text("29", "01"), Some("0066924531775"));
    assert_eq!(d.payload.text("54"), Some("6000.00"));
    assert_eq!(
        d.warnings,
        [
            Warning::Missing { tag: "52", name: "merchant category code" },
            Warning::Missing { tag: "59", name: "merchant name" },
            Warning::Missing { tag: "60", name: "city" },
        ]
    );
    assert_eq!(d.warnings[1].to_string(), "tag 59 (merchant name) is missing; EMVCo requires it");

    let d = decoded("promptpay_odoo");
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.payload.sub_text("29", "01"), Some("0066810704060"));
}

#[test]
fn paynow_and_the_sgqr_sample_read_every_network() {
    let p = decoded("paynow_odoo").payload;
    assert_eq!(p.sub_text("26", "02"), Some("200002150HWCF"));
    assert_eq!(p.sub_text("62", "01"), Some("INV/TEST/0001"));

    let d = decoded("sgqr_spec");
    let p = &d.payload;
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(p.text("02"), Some("4761360000000*17"));
    assert_eq!(p.sub_text("33", "00"), Some("SG.COM.NETS"));
    assert_eq!(p.sub_text("36", "02"), Some("+621234567890123"));
    assert_eq!(p.sub_text("51", "01"), Some("180307510317"));
    assert_eq!(p.text("59"), Some("FOOD XYZ PTE LTD"));
    assert_eq!(
        p.sub_text("62", "50"),
        Some("0015SG.COM.DASH.WWW01100000055502"),
        "a template in a template stays text"
    );
    assert_eq!(p.fields.len(), 27);
}

#[test]
fn a_qris_sample_with_a_placeholder_crc_is_refused_precisely() {
    let err = mpm::decode(support::mpm("qris_placeholder_crc")).unwrap_err();
    assert_eq!(err, DecodeError::CrcNotHex { offset: 191, found: "M2B3".into() });
    assert_eq!(err.to_string(), "tag 63 (CRC) at character 191 must be four hex digits, found \"M2B3\"");
}

#[test]
fn khqr_qrph_and_a_nigerian_intent_decode() {
    let p = decoded("khqr").payload;
    assert_eq!(p.text("15"), Some("37210116372101160123456789ABCDE"));
    assert_eq!((p.text("59"), p.text("60")), (Some("Kuntheas Shop"), Some("Banteay Meanchey")));

    let p = decoded("qrph").payload;
    assert_eq!(p.sub_text("27", "05"), Some("+63-9178817912"));

    let p = decoded("qpi_ng").payload;
    assert_eq!(p.sub_text("36", "00"), Some("org.paycashless.qpi"));
    assert_eq!(p.sub_text("62", "06"), Some("customer@example.com"));
    assert_eq!(p.sub_text("80", "01"), Some("tok_neojvjkwPrrpr9e03hplcag2ig5gpua8"));
}
