//! Property tests: whatever the encoders accept, the decoders read back unchanged, and what the
//! decoders read, the encoders write back character for character.

use emvqr::cpm::{self, ConsumerCode, Tag, Tlv, TlvValue};
use emvqr::mpm::{self, Field, Payload, Value};
use proptest::prelude::*;

/// ASCII, Japanese, accented Latin and a symbol: lengths must count characters, not bytes.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![4 => proptest::char::range(' ', '~'), 1 => proptest::sample::select(vec!['メ', '東', '京', 'é', '€', 'ß'])],
        0..=max,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn id(n: u8) -> String {
    format!("{n:02}")
}

fn sub_fields(min: usize) -> impl Strategy<Value = Vec<Field>> {
    proptest::collection::btree_map(0u8..100, text(18), min..=4)
        .prop_map(|m| m.into_iter().map(|(k, v)| Field::text(id(k), v)).collect::<Vec<_>>())
        .prop_shuffle()
}

fn field(n: u8) -> BoxedStrategy<Field> {
    match n {
        26..=51 | 62 | 64 => sub_fields(0).prop_map(move |s| Field::template(id(n), s)).boxed(),
        80..=99 => sub_fields(1).prop_map(move |s| Field::template(id(n), s)).boxed(),
        _ => text(40).prop_map(move |t| Field::text(id(n), t)).boxed(),
    }
}

fn payload() -> impl Strategy<Value = Payload> {
    proptest::collection::btree_set((1u8..100).prop_filter("63 is the CRC", |n| *n != 63), 0..12)
        .prop_flat_map(|ids| ids.into_iter().map(field).collect::<Vec<_>>().prop_shuffle())
        .prop_map(|fields| {
            let mut all = vec![Field::text("00", "01")];
            all.extend(fields);
            Payload::new(all)
        })
}

fn tag(constructed: bool) -> impl Strategy<Value = Tag> {
    let bit = if constructed { 0x20 } else { 0 };
    prop_oneof![any::<u8>().prop_filter("low five bits set means more bytes", |b| b & 0x1F != 0x1F), Just(0x1F),]
        .prop_flat_map(move |first| {
            let first = (first & !0x20) | bit;
            if first & 0x1F == 0x1F {
                (Just(first), 0u8..0x80).prop_map(|(a, b)| Tag::new(&[a, b]).unwrap()).boxed()
            } else {
                Just(Tag::new(&[first]).unwrap()).boxed()
            }
        })
}

fn tlv() -> impl Strategy<Value = Tlv> {
    let leaf = (tag(false), proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(t, b)| Tlv::primitive(t, b));
    leaf.prop_recursive(4, 32, 4, |inner| {
        (tag(true), proptest::collection::vec(inner, 0..4)).prop_map(|(t, c)| Tlv::constructed(t, c))
    })
}

fn consumer_code() -> impl Strategy<Value = ConsumerCode> {
    (proptest::collection::vec(any::<u8>(), 0..8), proptest::collection::vec(tlv(), 0..4)).prop_map(|(format, rest)| {
        let mut tlvs = vec![Tlv::primitive(Tag::PAYLOAD_FORMAT, format)];
        tlvs.extend(rest);
        ConsumerCode { tlvs }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_merchant_payload_reads_back_as_written(p in payload()) {
        let text = mpm::encode(&p).unwrap();
        let d = mpm::decode(&text).unwrap();
        prop_assert_eq!(&d.payload, &p);
        prop_assert_eq!(mpm::encode(&d.payload).unwrap(), text);
    }

    #[test]
    fn text_in_80_to_99_that_does_not_split_stays_text(t in text(40)) {
        let p = Payload::new(vec![Field::text("00", "01"), Field::text("85", t)]);
        if let Ok(text) = mpm::encode(&p) {
            prop_assert_eq!(mpm::decode(&text).unwrap().payload, p);
        }
    }

    #[test]
    fn a_consumer_code_reads_back_as_written(code in consumer_code()) {
        let text = cpm::encode(&code).unwrap();
        let d = cpm::decode(&text).unwrap();
        prop_assert_eq!(&d.code, &code);
        prop_assert_eq!(cpm::encode(&d.code).unwrap(), text);
    }

    #[test]
    fn the_decoders_never_panic_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = mpm::decode(&s);
        let _ = cpm::decode(&s);
    }
}

#[test]
fn value_and_template_kinds_are_what_the_ids_say() {
    let d = mpm::decode(&mpm::encode(&Payload::new(vec![Field::text("85", "plain")])).unwrap()).unwrap();
    assert_eq!(d.payload.get("85").map(|f| &f.value), Some(&Value::Text("plain".into())));
    let bytes = cpm::encode_bytes(&ConsumerCode { tlvs: vec![Tlv::primitive(Tag::PAYLOAD_FORMAT, b"CPV01".to_vec())] });
    assert_eq!(bytes.unwrap(), b"\x85\x05CPV01");
    assert!(matches!(Tlv::constructed(Tag::APPLICATION_TEMPLATE, vec![]).value, TlvValue::Constructed(_)));
}
