//! Consumer-presented codes: real samples decode to what their sources state, every malformed
//! form is named with its tag and byte offset, and the typed builder writes what the decoder reads.

mod support;

use emvqr::cpm::{
    self, Application, CommonData, ConsumerCode, DecodeError, EncodeError, JPQR_FORMAT, Tag, Tlv, Warning,
};

fn decoded(name: &str) -> ConsumerCode {
    let d = cpm::decode(support::cpm(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(d.warnings.is_empty(), "{name}: {:?}", d.warnings);
    d.code
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn every_golden_code_encodes_back_to_the_same_text() {
    for (name, text) in support::entries(support::CPM) {
        let d = cpm::decode(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(cpm::encode(&d.code).unwrap(), text, "{name}");
    }
}

#[test]
fn the_emvco_sample_reads_two_applications_and_the_dynamic_data() {
    let code = decoded("emv_two_apps");
    assert_eq!(code.payload_format(), Some(&b"CPV01"[..]));
    let apps = code.applications();
    assert_eq!(apps.len(), 2);
    assert_eq!(apps[0].aid, hex("A0000000555555"));
    assert_eq!(apps[0].label.as_deref(), Some(&b"Product1"[..]));
    assert_eq!(apps[1].aid, hex("A0000000666666"));
    let common = code.common_data().unwrap();
    assert_eq!(common.pan, Some(hex("1234567890123458")));
    assert_eq!(common.cardholder_name.as_deref(), Some(&b"CARDHOLDER/EMV"[..]));
    assert_eq!(common.language.as_deref(), Some(&b"ruesdeen"[..]));
    assert_eq!(common.issuer_application_data, Some(hex("06010A03000000")));
    assert_eq!(common.cryptogram, Some(hex("584FD385FA234BCC")));
    assert_eq!(common.atc, Some(hex("0001")));
    assert_eq!(common.unpredictable_number, Some(hex("6D58EF13")));
    let path = [Tag::COMMON_DATA_TRANSPARENT, Tag::APPLICATION_CRYPTOGRAM];
    assert_eq!(code.tlvs[3].find(&path), Some(&hex("584FD385FA234BCC")[..]));
}

#[test]
fn a_track2_code_reads_the_track2_equivalent() {
    let code = decoded("emv_track2");
    let apps = code.applications();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].track2, Some(hex("1234567890123458D191220112345F")));
    assert_eq!(code.common_data(), None);
}

#[test]
fn a_jpqr_code_built_from_typed_parts_reads_back() {
    let mut app = Application::new(b"ANSHIN01".to_vec());
    app.track2 = Some(b"0123456789012345".to_vec());
    app.extra.push(Tlv::primitive(Tag::from_hex("99").unwrap(), b"free".to_vec()));
    let common = CommonData {
        cryptogram: Some(hex("0102030405060708")),
        atc: Some(hex("002A")),
        unpredictable_number: Some(hex("CAFEBABE")),
        ..Default::default()
    };
    let code = ConsumerCode::new(JPQR_FORMAT, &[app.clone()], Some(&common));
    let text = code.encode().unwrap();
    assert!(text.starts_with("hQVKUFFS"), "JPQR codes start so: {text}");
    let d = cpm::decode(&text).unwrap();
    assert_eq!(d.code, code);
    assert_eq!(d.code.applications(), [app]);
    assert_eq!(d.code.common_data(), Some(common));
}

#[test]
fn invalid_base64_is_named_by_character() {
    let e = cpm::decode("hQVDUF*wMQ==").unwrap_err();
    assert_eq!(e, DecodeError::Base64At { offset: 6, reason: "'*' is not a base64 character".into() });
    assert_eq!(e.to_string(), "invalid base64 at character 6: '*' is not a base64 character");
    assert!(matches!(cpm::decode("hQVDUFYwMQ").unwrap_err(), DecodeError::Base64 { .. }));
}

#[test]
fn lengths_must_be_definite_and_within_the_code() {
    let err = |h: &str| cpm::decode_bytes(&hex(h)).unwrap_err();
    assert_eq!(err("85054350563031618000"), DecodeError::IndefiniteLength { tag: "61".into(), offset: 7 });
    let e = err("8505435056303161054F03A000");
    assert_eq!(e, DecodeError::Overrun { tag: "61".into(), offset: 7, declared_len: 5, remaining: 4 });
    assert_eq!(e.to_string(), "tag 61 at byte 7 declares 5 bytes but only 4 remain");
    let e = err("8505435056303161044F05A000");
    assert_eq!(e, DecodeError::Overrun { tag: "61/4F".into(), offset: 9, declared_len: 5, remaining: 2 });
    assert_eq!(err("850543505630316183000001"), DecodeError::LengthForm { tag: "61".into(), offset: 7, found: 0x83 });
    assert_eq!(err("85054350563031618201"), DecodeError::TruncatedLength { tag: "61".into(), offset: 7 });
    assert_eq!(err("850543505630319F"), DecodeError::BadTag { offset: 7 });
    assert_eq!(err("8505435056303161"), DecodeError::MissingLength { tag: "61".into(), offset: 7 });
}

#[test]
fn long_form_lengths_are_read_and_written() {
    let label = vec![b'x'; 200];
    let code = ConsumerCode::new(
        b"CPV01",
        &[Application { label: Some(label.clone()), ..Application::new(vec![0xA0]) }],
        None,
    );
    let bytes = cpm::encode_bytes(&code).unwrap();
    assert_eq!(&bytes[7..10], [0x61, 0x81, 0xCE], "61 in the 0x81 form: 3 + 3 + 200 bytes");
    assert_eq!(cpm::decode_bytes(&bytes).unwrap().code, code);
    let mut two_byte = hex("850543505630316182000B4F01A0");
    two_byte.extend(hex("5006"));
    two_byte.extend(b"Label1");
    assert_eq!(cpm::decode_bytes(&two_byte).unwrap().code.applications()[0].label.as_deref(), Some(&b"Label1"[..]));
}

#[test]
fn the_format_indicator_must_come_first_and_unknown_ones_are_warned() {
    let e = cpm::decode(&b64(&hex("61034F01A0"))).unwrap_err();
    assert_eq!(e, DecodeError::FormatNotFirst { found: "61".into() });
    let d = cpm::decode(&b64(&hex("850358595A"))).unwrap();
    assert_eq!(d.warnings, [Warning::UnknownFormat { found: b"XYZ".to_vec() }, Warning::NoApplication]);
}

#[test]
fn nesting_is_bounded() {
    let mut bytes = vec![0x4F, 0x00];
    for _ in 0..9 {
        let mut outer = vec![0x61, bytes.len() as u8];
        outer.extend(bytes);
        bytes = outer;
    }
    let mut code = hex("85054350563031");
    code.extend(bytes);
    let e = cpm::decode_bytes(&code).unwrap_err();
    assert!(matches!(e, DecodeError::TooDeep { max: 8, .. }), "{e:?}");
}

#[test]
fn the_encoder_refuses_what_would_not_read_back() {
    let t61 = Tag::APPLICATION_TEMPLATE;
    let code = ConsumerCode { tlvs: vec![Tlv::primitive(t61, vec![1])] };
    assert_eq!(code.encode().unwrap_err(), EncodeError::FormatNotFirst);
    let code = ConsumerCode {
        tlvs: vec![Tlv::primitive(Tag::PAYLOAD_FORMAT, b"CPV01".to_vec()), Tlv::primitive(t61, vec![1])],
    };
    assert_eq!(code.encode().unwrap_err(), EncodeError::ChildrenExpected { tag: "61".into() });
    let code = ConsumerCode {
        tlvs: vec![Tlv::primitive(Tag::PAYLOAD_FORMAT, b"CPV01".to_vec()), Tlv::constructed(Tag::PAN, vec![])],
    };
    assert_eq!(code.encode().unwrap_err(), EncodeError::BytesExpected { tag: "5A".into() });
}
