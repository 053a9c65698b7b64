//! `anshin qr decode` and `anshin qr encode` on the emvqr golden payloads, through the built
//! binary. Needs no database: the qr commands start neither a runtime nor a pool.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const GOLDEN_MPM: &str = include_str!("../../emvqr/tests/golden/mpm.txt");
const GOLDEN_CPM: &str = include_str!("../../emvqr/tests/golden/cpm.txt");

fn golden(table: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    table.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).filter_map(|l| l.split_once('\t'))
}

fn golden_one(table: &'static str, name: &str) -> &'static str {
    golden(table).find(|(n, _)| *n == name).unwrap().1
}

fn anshin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anshin"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the anshin binary runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn decode_json(args: &[&str]) -> serde_json::Value {
    let out = anshin(args, "");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("qr decode prints JSON")
}

#[test]
fn every_readable_golden_payload_decodes_and_encodes_back_to_itself() {
    let mut checked = 0;
    for (name, payload) in golden(GOLDEN_MPM).filter(|(n, _)| *n != "qris_placeholder_crc") {
        let decoded = anshin(&["qr", "decode", payload], "");
        assert!(decoded.status.success(), "{name}: {}", String::from_utf8_lossy(&decoded.stderr));
        let json: serde_json::Value = serde_json::from_slice(&decoded.stdout).unwrap();
        assert_eq!(json["00"], "01", "{name}");
        assert_eq!(json["63"], payload[payload.len() - 4..], "{name}");
        assert!(json["warnings"].is_array(), "{name}");
        let encoded = anshin(&["qr", "encode"], std::str::from_utf8(&decoded.stdout).unwrap());
        assert!(encoded.status.success(), "{name}: {}", String::from_utf8_lossy(&encoded.stderr));
        assert_eq!(String::from_utf8(encoded.stdout).unwrap().trim_end(), payload, "{name}");
        checked += 1;
    }
    for (name, code) in golden(GOLDEN_CPM) {
        let decoded = anshin(&["qr", "decode", code], "");
        assert!(decoded.status.success(), "{name}: {}", String::from_utf8_lossy(&decoded.stderr));
        let encoded = anshin(&["qr", "encode", "--cpm"], std::str::from_utf8(&decoded.stdout).unwrap());
        assert!(encoded.status.success(), "{name}: {}", String::from_utf8_lossy(&encoded.stderr));
        assert_eq!(String::from_utf8(encoded.stdout).unwrap().trim_end(), code, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 15);
}

#[test]
fn a_jpqr_payload_prints_templates_as_objects_and_promptpay_its_warnings() {
    let json = decode_json(&["qr", "decode", golden_one(GOLDEN_MPM, "jpqr_mercari")]);
    assert_eq!(json["64"]["01"], "メルペイ カフェ");
    assert_eq!(json["26"]["00"], "jp.or.paymentsjapan");
    assert_eq!(json["26"]["01"], "0000000000001");
    assert_eq!(json["warnings"], serde_json::json!([]));

    let json = decode_json(&["qr", "decode", golden_one(GOLDEN_MPM, "promptpay_amount")]);
    assert_eq!(json["warnings"][1], "tag 59 (merchant name) is missing; EMVCo requires it");
}

#[test]
fn a_corrupted_crc_exits_2_with_the_precise_reason() {
    let bad = golden_one(GOLDEN_MPM, "jpqr_mercari").replace("DEE9", "DEE8");
    let out = anshin(&["qr", "decode", &bad], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end(), "error: CRC mismatch: the payload says DEE8 but its contents give DEE9");

    let out = anshin(&["qr", "decode", golden_one(GOLDEN_MPM, "qris_placeholder_crc")], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("must be four hex digits, found \"M2B3\""));
}

#[test]
fn a_consumer_code_prints_its_tree_keyed_by_hex_tags() {
    let json = decode_json(&["qr", "decode", golden_one(GOLDEN_CPM, "emv_two_apps")]);
    assert_eq!(json["85"], "4350563031");
    assert_eq!(json["61"][0]["4F"], "A0000000555555");
    assert_eq!(json["61"][1]["4F"], "A0000000666666");
    assert_eq!(json["62"]["64"]["9F26"], "584FD385FA234BCC");
    assert_eq!(json["62"]["64"]["9F36"], "0001");

    let out = anshin(&["qr", "decode", "--cpm", "hQVDUF*wMQ=="], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("invalid base64 at character 6"));
}

#[test]
fn encode_ignores_a_stale_crc_and_refuses_an_invalid_field() {
    let payload = golden_one(GOLDEN_MPM, "paynow_odoo");
    let mut json = decode_json(&["qr", "decode", payload]);
    json["63"] = "0000".into();
    let out = anshin(&["qr", "encode"], &json.to_string());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // serde_json::Value sorts keys, and this payload's tags are in ascending order anyway.
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), payload);

    let out = anshin(&["qr", "encode"], r#"{"00": "01", "59": {"00": "x"}}"#);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stderr).unwrap().trim_end(), "error: tag 59 holds text, not sub-fields");
}
