//! The document's own rules, checked without a server: every operation lists the statuses its
//! layers and extractors can answer, and the schemas refuse what the server refuses. What a live
//! server really answers is checked by `.ci/schemathesis.sh`.

use proptest::prelude::*;
use serde_json::Value;

use crate::identity::types::Phone;

fn doc() -> Value {
    serde_json::from_str(&super::document()).expect("the document is JSON")
}

/// (method, path, operation) for every operation in the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    assert!(out.len() >= 40, "only {} operations documented", out.len());
    out
}

fn statuses(op: &Value) -> Vec<&str> {
    op["responses"].as_object().expect("responses").keys().map(String::as_str).collect()
}

fn schema<'a>(doc: &'a Value, reference: &Value) -> &'a Value {
    let name = reference["$ref"].as_str().expect("a $ref").trim_start_matches("#/components/schemas/");
    &doc["components"]["schemas"][name]
}

#[test]
fn every_operation_lists_what_its_layers_and_extractors_can_answer() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        let listed = statuses(&op);
        let needs = |status: &str, why: &str| {
            assert!(listed.contains(&status), "{method} {path} does not list {status} ({why}); it lists {listed:?}");
        };
        needs("400", "a NUL in the path or query string");
        if path != "/healthz" {
            needs("503", "admission control, the time limit and database outages");
        }
        if method == "post" && path.starts_with("/v1/") {
            needs("409", "the Idempotency-Key layer");
            needs("413", "the Idempotency-Key layer reads the body");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            assert!(
                params.iter().any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
                "{method} {path} does not document the Idempotency-Key header"
            );
        }
        if !op["requestBody"].is_null() {
            needs("413", "the body limit");
            needs("415", "the JSON extractor");
        }
        if op["security"].is_array() {
            needs("401", "the bearer-token extractor");
        }
        for (status, response) in op["responses"].as_object().expect("responses") {
            let description = response["description"].as_str().unwrap_or("");
            assert!(!description.is_empty(), "{method} {path} {status} has no description");
            if !status.starts_with('2') {
                let body = &response["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(body, "#/components/schemas/ErrorEnvelope", "{method} {path} {status}");
            }
        }
    }
}

#[test]
fn operations_that_take_a_session_say_so() {
    let doc = doc();
    assert_eq!(doc["components"]["securitySchemes"][super::BEARER]["scheme"], "bearer");
    for (method, path, op) in operations(&doc) {
        let session = path.starts_with("/v1/me") || path.starts_with("/v1/ops/") || path == "/v1/sessions/current";
        assert_eq!(op["security"].is_array(), session, "{method} {path}: security requirement");
    }
}

#[test]
fn request_bodies_refuse_unknown_fields_and_name_their_choices() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        let body = &op["requestBody"]["content"]["application/json"]["schema"];
        if body.is_null() {
            continue;
        }
        let body = schema(&doc, body);
        assert_eq!(body["additionalProperties"], false, "{method} {path}: unknown fields are refused with 400");
        for (name, property) in body["properties"].as_object().expect("properties") {
            if ["factor", "channel", "action"].contains(&name.as_str()) {
                let choices = if property["$ref"].is_string() { schema(&doc, property) } else { property };
                assert!(choices["enum"].is_array(), "{method} {path}: {name} lists its values");
            }
        }
    }
    for (name, param) in [("/v1/ops/audit", "limit"), ("/v1/dev/mailbox", "limit")] {
        let params = doc["paths"][name]["get"]["parameters"].as_array().expect("parameters").clone();
        let limit = params.iter().find(|p| p["name"] == param).expect("limit");
        assert_eq!(limit["schema"]["minimum"], 1, "{name}");
        assert_eq!(limit["schema"]["maximum"], 200, "{name}");
        assert_eq!(limit["schema"]["type"], "integer", "{name}: a query value is never null");
    }
}

fn phone_pattern() -> regex::Regex {
    let doc = doc();
    let pattern = doc["components"]["schemas"]["RegisterBody"]["properties"]["phone"]["pattern"].as_str().unwrap();
    regex::Regex::new(pattern).expect("the phone pattern compiles")
}

proptest! {
    /// A phone number the pattern allows is one the server accepts,
    /// and the other way round.
    #[test]
    fn the_phone_pattern_is_the_parsers_rule(typed in "[0-9+() -]{0,40}", digits in "[+0]?[0-9]{7,15}") {
        let pattern = phone_pattern();
        for s in [typed, digits] {
            prop_assert_eq!(pattern.is_match(&s), Phone::parse(&s).is_ok(), "{:?}", s);
        }
    }
}
