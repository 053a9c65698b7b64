//! What the schema-driven fuzzer (`.ci/schemathesis.sh`) found, fixed and kept fixed, on SQLite
//! and PostgreSQL: the server refuses what the OpenAPI document refuses, and a refusal never
//! holds up the database.

mod common;

use std::time::{Duration, Instant};

use anshin::http::HttpConfig;
use anshin::identity::IdentityConfig;
use common::TestDb;
use common::identity_app::*;
use reqwest::StatusCode;
use serde_json::json;

/// Well under the time limit below: an answer that needs no hashing.
const QUICK: Duration = Duration::from_secs(2);

// Cancelling an unlock with a key that matches nothing audited the failure on a second write
// connection while its own transaction still held the first: on SQLite, whose one writer that
// was, the request waited for itself until the time limit (503), and every write waited with it.
on_both!(an_unknown_cancel_key_is_answered_at_once_and_audited, |t: TestDb| async move {
    let http = HttpConfig { request_timeout_secs: 5, ..HttpConfig::default() };
    let a = app_with(t, IdentityConfig::default(), http).await;
    for _ in 0..2 {
        let started = Instant::now();
        let (status, body) = a.post("/v1/account/unlock/cancellation", json!({ "key": "0".repeat(64) }), None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert!(started.elapsed() < QUICK, "answered after {:?}", started.elapsed());
    }
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'identity.account.unlock_cancel_failed'";
    assert_eq!(a.count(audited).await, 2);
    // Writes go on: a registration right after is not held up.
    let started = Instant::now();
    let (status, body) = a.post("/v1/registrations", registration("after@example.jp", "+819055550000"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(started.elapsed() < Duration::from_secs(4), "answered after {:?}", started.elapsed());
});

// The document says a cancel key is 1 to 128 characters and a reset needs an e-mail address;
// the server answered 202 to an empty key and to an empty or malformed address. Refusing what
// cannot be a key or an address says nothing about which keys or accounts exist.
on_both!(what_cannot_be_a_cancel_key_or_an_address_is_refused, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    for key in [String::new(), "k".repeat(129)] {
        let (status, body) = a.post("/v1/account/unlock/cancellation", json!({ "key": key }), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "cancel_key_invalid");
        assert_eq!(body["error"]["param"], "key");
    }
    let (status, _) = a.post("/v1/account/unlock/cancellation", json!({ "key": "k".repeat(128) }), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "a key of the longest length is looked up like any other");
    for email in ["", "   ", "not an address", "taro@"] {
        let (status, body) = a.post("/v1/password-resets", json!({ "email": email }), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{email:?}: {body}");
        assert_eq!(body["error"]["code"], "email_invalid");
        assert_eq!(body["error"]["param"], "email");
    }
    let (status, body) = a.post("/v1/password-resets", json!({ "email": "nobody@example.jp" }), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "an address without an account gets the usual answer");
    assert_eq!(body["status"], "sent_if_the_account_exists");
});
