//! Identity verification end to end: a wallet user submits a document through the real HTTP API
//! (step-up for `verify_identity`), the service asks `anshin sim ekyc` (started in-process, over
//! loopback HTTP) and acts on each of its outcomes; operators review what the provider or the
//! name check sent to them. Each test ends with the ledger and the audit chain verified.

mod common;

use std::time::Duration;

use anshin::http::{self, AppState, HttpConfig};
use anshin::identity::kyc::{EkycClient, Level};
use anshin::identity::password::{HashParams, PasswordHasher};
use anshin::identity::{Identity, IdentityConfig, IdentityError};
use anshin::ledger::Ledger;
use anshin::merchants::{Merchants, MerchantsConfig};
use anshin::payments::{Payments, PaymentsConfig};
use anshin::sim::ekyc::{EkycSimConfig, serve_ekyc_until};
use common::TestDb;
use common::identity_app::{App, PASSWORD};
use common::merchant_app::operator;
use common::pay_app::assert_books_sound;
use reqwest::StatusCode;
use serde_json::{Value, json};

const EKYC_KEY: &str = "test-ekyc-key-0123456789";
/// The simulator decides after this long; a check it never decides times out after `TIMEOUT_MS`.
const DECISION_DELAY_MS: u64 = 100;
const TIMEOUT_MS: i64 = 1_500;
/// Document numbers by their last digit (docs/EKYC-SIMULATOR.md): 0-4 verified, 5 face_mismatch,
/// 6 document_expired, 7 document_tampered, 8 review, 9 never decides.
const VERIFIED: &str = "D12345679010";
const SUBMIT: &str = "/v1/me/identity-verifications";
const MINE: &str = "/v1/me/identity-verification";

struct Setup {
    a: App,
    config: IdentityConfig,
}

fn config() -> IdentityConfig {
    IdentityConfig { ekyc_decision_timeout_ms: TIMEOUT_MS, ekyc_poll_interval_ms: 50, ..IdentityConfig::default() }
}

/// The service over `t`'s database, with the eKYC simulator unless `provider` is false, and the
/// verification worker when `worker`.
async fn setup(t: TestDb, provider: bool, worker: bool) -> Setup {
    let config = config();
    let (url, identity, merchants, payments) = serve(&t.db, &config, provider, worker).await;
    Setup { a: App { url, t, identity, merchants, payments }, config }
}

async fn serve(
    db: &anshin::storage::Db,
    config: &IdentityConfig,
    provider: bool,
    worker: bool,
) -> (String, Identity, Merchants, Payments) {
    let keys = db.keys().cloned().expect("test databases carry keys");
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 2, 64).unwrap();
    let mut identity = Identity::new(db.clone(), keys.clone(), hasher, config.clone()).unwrap();
    if provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ekyc_url = format!("http://{}", listener.local_addr().unwrap());
        let sim = EkycSimConfig { decision_delay_ms: DECISION_DELAY_MS, ..EkycSimConfig::new(EKYC_KEY) };
        tokio::spawn(serve_ekyc_until(listener, sim, std::future::pending()));
        identity = identity.with_ekyc(EkycClient::new(&ekyc_url, EKYC_KEY).unwrap());
    }
    if worker {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        std::mem::forget(stop_tx); // the worker runs as long as the test
        tokio::spawn(identity.clone().run_verification_worker(stop_rx));
    }
    let (ledger, _writer) = Ledger::start(db.clone());
    let merchants =
        Merchants::new(db.clone(), keys.clone(), identity.clone(), ledger.clone(), MerchantsConfig::default());
    let payments = Payments::new(db.clone(), keys, ledger.clone(), merchants.clone(), PaymentsConfig::default());
    let http_config = HttpConfig::default();
    let state = AppState::new(db.clone(), http_config.clone(), None, true, false)
        .with_identity(identity.clone())
        .with_ledger(ledger)
        .with_merchants(merchants.clone())
        .with_payments(payments.clone());
    let router = http::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { http::serve(listener, router, None, &http_config, std::future::pending()).await });
    (url, identity, merchants, payments)
}

/// A wallet user registered as `legal_name`, born 1990-04-15: (token, user id, recovery codes).
async fn wallet_user(a: &App, email: &str, phone: &str, legal_name: &str) -> (String, String, Vec<String>) {
    wallet_born(a, email, phone, legal_name, "1990-04-15").await
}

async fn wallet_born(a: &App, email: &str, phone: &str, name: &str, born: &str) -> (String, String, Vec<String>) {
    let body =
        json!({ "email": email, "phone": phone, "password": PASSWORD, "legal_name": name, "date_of_birth": born });
    let (status, started) = a.post("/v1/registrations", body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let email_code = a.code_for(email).await;
    let sms_code = a.code_for(phone).await;
    let body = json!({ "registration_id": started["registration_id"], "email_code": email_code, "sms_code": sms_code });
    let (status, body) = a.post("/v1/registrations/verification", body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let codes = body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    (body["token"].as_str().unwrap().to_owned(), body["user_id"].as_str().unwrap().to_owned(), codes)
}

/// 山田 太郎's driver's licence with document number `number`.
fn document(number: &str) -> Value {
    json!({
        "document_type": "drivers_license",
        "document_number": number,
        "full_name": "山田 太郎",
        "full_name_kana": "ヤマダ タロウ",
        "date_of_birth": "1990-04-15",
        "address": "東京都渋谷区渋谷2-1-1",
        "selfie_sha256": "5f".repeat(32),
    })
}

/// Step up for `verify_identity` with a recovery code and submit `body`: (the session's new
/// token, status, answer).
async fn submit(a: &App, token: &str, code: &str, body: Value) -> (String, StatusCode, Value) {
    let token = a.step_up_by(token, "verify_identity", "recovery_code", code).await;
    let (status, answer) = a.post(SUBMIT, body, Some(&token)).await;
    (token, status, answer)
}

/// Reads the user's verification until the latest attempt is no longer pending.
async fn decided(a: &App, token: &str) -> Value {
    for _ in 0..200 {
        let (status, v) = a.get(MINE, token).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        if v["latest_attempt"]["status"] != "pending" {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the verification stayed pending")
}

async fn audits(a: &App, action: &str) -> i64 {
    a.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")).await
}

on_both!(a_verified_check_sets_the_level_and_the_kana, |t| async move {
    let s = setup(t, true, false).await;
    let a = &s.a;
    let (token, user_id, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    assert_eq!(a.identity.require_verified(&user_id).await.unwrap_err(), IdentityError::NotVerified);
    let (status, v) = a.get(MINE, &token).await;
    assert_eq!((status, v["level"].as_str()), (StatusCode::OK, Some("unverified")), "{v}");
    assert!(v["verified"].is_null() && v["latest_attempt"].is_null(), "{v}");
    let (token, status, attempt) = submit(a, &token, &codes[0], document(VERIFIED)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{attempt}");
    assert_eq!(
        (attempt["status"].as_str(), attempt["document_number_last4"].as_str()),
        (Some("pending"), Some("9010"))
    );
    let v = decided(a, &token).await;
    assert_eq!((v["level"].as_str(), v["latest_attempt"]["status"].as_str()), (Some("verified"), Some("verified")));
    let verified = &v["verified"];
    assert_eq!(verified["legal_name"], "山田 太郎", "the name as the document shows it");
    assert_eq!(verified["legal_name_kana"], "ヤマダ タロウ");
    assert_eq!((verified["date_of_birth"].as_str(), verified["method"].as_str()), (Some("1990-04-15"), Some("ekyc")));
    assert_eq!(
        (verified["address"].as_str(), verified["decided_by"].as_str()),
        (Some("東京都渋谷区渋谷2-1-1"), Some("system"))
    );
    let level = a.identity.verification(&user_id).await.unwrap();
    assert_eq!(level.level, Level::Verified);
    assert_eq!(a.identity.require_verified(&user_id).await.unwrap().legal_name_kana.as_deref(), Some("ヤマダ タロウ"));
    assert!(a.messages_to("taro@example.jp").await.iter().any(|m| m.subject.contains("identity is verified")));
    assert_eq!(audits(a, "identity.verification.submitted").await, 1);
    assert_eq!(audits(a, "identity.verification.verified").await, 1);
    // Verified once is verified: a second submission is a conflict, not a second check.
    let (_, status, body) = submit(a, &token, &codes[1], document("D12345679011")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{body}");
    // The document number went to the provider once and is nowhere else: not in an answer, a
    // table, the audit log or the outbox.
    assert!(!v.to_string().contains(VERIFIED), "{v}");
    let dump = common::dump_database(&a.t).await;
    assert!(!dump.contains(VERIFIED) && !dump.contains("D12345679011"), "a document number was stored");
    assert_books_sound(a).await;
});

on_both!(submitting_needs_a_fresh_second_factor_and_one_attempt_at_a_time, |t| async move {
    let s = setup(t, true, false).await;
    let a = &s.a;
    let (token, _, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (status, body) = a.post(SUBMIT, document("D12345679019"), Some(&token)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")));
    // A grant for another action does not do.
    let token = a.step_up_by(&token, "link_bank_account", "recovery_code", &codes[0]).await;
    assert_eq!(a.post(SUBMIT, document("D12345679019"), Some(&token)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(a.count("SELECT COUNT(*) FROM identity_verifications").await, 0);
    // With the grant it goes to the provider (a 9 never decides), and the grant is spent.
    let (token, status, body) = submit(a, &token, &codes[1], document("D12345679019")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(a.post(SUBMIT, document("D12345679010"), Some(&token)).await.0, StatusCode::FORBIDDEN);
    // While one is open, another is a conflict, even with a fresh grant.
    let (_, status, body) = submit(a, &token, &codes[2], document("D12345679010")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(a.count("SELECT COUNT(*) FROM identity_verifications").await, 1);
    // Staff and operators have no wallet to verify.
    let (ops, ops_codes) = operator(a, "admin@anshin.example", "admin").await;
    let ops = a.step_up_by(&ops, "verify_identity", "recovery_code", &ops_codes[0]).await;
    assert_eq!(a.post(SUBMIT, document("D12345679010"), Some(&ops)).await.0, StatusCode::FORBIDDEN);
    assert_books_sound(a).await;
});

on_both!(rejected_checks_stay_unverified_with_the_reason, |t| async move {
    let s = setup(t, true, true).await;
    let a = &s.a;
    let (mut token, user_id, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    for (i, (number, reason)) in
        [("D12345679015", "face_mismatch"), ("D12345679016", "document_expired"), ("D12345679017", "document_tampered")]
            .into_iter()
            .enumerate()
    {
        let (next, status, body) = submit(a, &token, &codes[i], document(number)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        token = next;
        let v = decided(a, &token).await;
        assert_eq!(v["latest_attempt"]["status"], "rejected", "{v}");
        assert_eq!(v["latest_attempt"]["reason"], reason, "{v}");
        assert_eq!((v["level"].as_str(), v["verified"].is_null()), (Some("unverified"), true), "{v}");
    }
    assert_eq!(a.identity.require_verified(&user_id).await.unwrap_err(), IdentityError::NotVerified);
    assert_eq!(audits(a, "identity.verification.rejected").await, 3);
    let mail = a.messages_to("taro@example.jp").await;
    assert_eq!(mail.iter().filter(|m| m.subject.contains("could not be verified")).count(), 3);
    // Three checks a day: trying document after document is refused before the provider is asked.
    let (_, status, body) = submit(a, &token, &codes[3], document(VERIFIED)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")));
    assert_eq!(a.count("SELECT COUNT(*) FROM identity_verifications").await, 3);
    assert_books_sound(a).await;
});

on_both!(a_check_in_review_waits_for_an_admin_who_approves_it, |t| async move {
    let s = setup(t, true, true).await;
    let a = &s.a;
    let (token, user_id, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (token, status, attempt) = submit(a, &token, &codes[0], document("D12345679018")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{attempt}");
    let id = attempt["id"].as_str().unwrap().to_owned();
    let v = decided(a, &token).await;
    assert_eq!(
        (v["latest_attempt"]["status"].as_str(), v["latest_attempt"]["reason"].as_str()),
        (Some("review"), Some("low_image_quality"))
    );
    assert_eq!(v["level"], "unverified", "review is not verified");
    assert!(a.messages_to("taro@example.jp").await.iter().any(|m| m.subject.contains("A person is checking")));
    // Analysts read the queue but may not decide; admins decide.
    let (analyst, _) = operator(a, "analyst@anshin.example", "analyst").await;
    let (status, queue) = a.get("/v1/ops/identity-verifications?status=review", &analyst).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert_eq!((queue[0]["id"].as_str(), queue[0]["user_id"].as_str()), (Some(id.as_str()), Some(user_id.as_str())));
    assert_eq!(queue[0]["registered_legal_name"], "ヤマダ タロウ");
    assert_eq!(queue[0]["submitted"]["full_name"], "山田 太郎");
    assert_eq!(queue[0]["document_number_last4"], "9018");
    assert!(!queue.to_string().contains("D12345679018"), "operators see the last four only: {queue}");
    let path = format!("/v1/ops/identity-verifications/{id}/decision");
    let approve = json!({ "decision": "approve", "reason": "Photo re-checked by hand: licence matches the selfie.",
                          "verified_legal_name_kana": "ヤマダ タロウ" });
    let (status, body) = a.post(&path, approve.clone(), Some(&analyst)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{body}");
    assert_eq!(a.identity.verification(&user_id).await.unwrap().level, Level::Unverified);
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let (status, body) = a.post(&path, json!({ "decision": "approve", "reason": "  " }), Some(&admin)).await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reason")),
        "a reason is required"
    );
    let (status, body) = a.post(&path, approve.clone(), Some(&admin)).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("verified")), "{body}");
    let admin_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = 'admin@anshin.example'")
        .fetch_one(a.t.db.read_pool())
        .await
        .unwrap();
    assert_eq!(body["decided_by"], admin_id.as_str());
    assert_eq!(a.post(&path, approve, Some(&admin)).await.0, StatusCode::CONFLICT, "decided once");
    let v = decided(a, &token).await;
    assert_eq!((v["level"].as_str(), v["verified"]["method"].as_str()), (Some("verified"), Some("manual")));
    assert_eq!(
        (v["verified"]["legal_name_kana"].as_str(), v["verified"]["decided_by"].as_str()),
        (Some("ヤマダ タロウ"), Some(admin_id.as_str()))
    );
    // The decision is audited with who made it and why; the analyst's refusal too.
    let approvals = a
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'identity.verification.approved' AND details LIKE '%re-checked by hand%'")
        .await;
    assert_eq!(approvals, 1);
    assert_eq!(
        a.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'identity.verification.approved' AND actor = '{admin_id}'"
        ))
        .await,
        1
    );
    assert_eq!(
        a.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'authz.denied' AND target = 'identity.verification.decide'"
        )
        .await,
        1
    );
    assert!(a.messages_to("taro@example.jp").await.iter().any(|m| m.subject.contains("identity is verified")));
    assert_books_sound(a).await;
});

on_both!(an_admin_can_reject_a_check_in_review, |t| async move {
    let s = setup(t, true, true).await;
    let a = &s.a;
    let (token, user_id, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (token, _, attempt) = submit(a, &token, &codes[0], document("D12345679018")).await;
    assert_eq!(decided(a, &token).await["latest_attempt"]["status"], "review");
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let path = format!("/v1/ops/identity-verifications/{}/decision", attempt["id"].as_str().unwrap());
    let body = json!({ "decision": "reject", "reason": "The photo is of a screen, not of the licence." });
    let (status, body) = a.post(&path, body, Some(&admin)).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("rejected")), "{body}");
    assert_eq!(body["reason"], "manual_review_rejected");
    let v = decided(a, &token).await;
    assert_eq!(
        (v["level"].as_str(), v["latest_attempt"]["reason"].as_str()),
        (Some("unverified"), Some("manual_review_rejected"))
    );
    assert_eq!(a.identity.require_verified(&user_id).await.unwrap_err(), IdentityError::NotVerified);
    assert_eq!(audits(a, "identity.verification.refused").await, 1);
    assert!(a.messages_to("taro@example.jp").await.iter().any(|m| m.subject.contains("could not be verified")));
    assert_books_sound(a).await;
});

on_both!(a_check_the_provider_never_decides_times_out_into_review, |t| async move {
    let s = setup(t, true, true).await;
    let a = &s.a;
    let (token, user_id, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (token, status, attempt) = submit(a, &token, &codes[0], document("D12345679019")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{attempt}");
    tokio::time::sleep(Duration::from_millis(DECISION_DELAY_MS * 3)).await;
    let (_, v) = a.get(MINE, &token).await;
    assert_eq!(v["latest_attempt"]["status"], "pending", "undecided before the deadline: {v}");
    // The worker sends it to review once the deadline passes.
    let v = decided(a, &token).await;
    assert_eq!(
        (v["latest_attempt"]["status"].as_str(), v["latest_attempt"]["reason"].as_str()),
        (Some("review"), Some("provider_timeout"))
    );
    assert!(s.config.ekyc_decision_timeout_ms == TIMEOUT_MS);
    assert_eq!(audits(a, "identity.verification.review").await, 1);
    // The provider read nothing: an approval verifies what the user typed from the document.
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let (_, queue) = a.get("/v1/ops/identity-verifications", &admin).await;
    assert!(queue[0]["read"].is_null(), "{queue}");
    let path = format!("/v1/ops/identity-verifications/{}/decision", attempt["id"].as_str().unwrap());
    let body = json!({ "decision": "approve", "reason": "Provider never answered; documents checked by video call." });
    assert_eq!(a.post(&path, body, Some(&admin)).await.0, StatusCode::OK);
    let verified = a.identity.require_verified(&user_id).await.unwrap();
    assert_eq!((verified.legal_name.as_str(), verified.method.as_str()), ("山田 太郎", "manual"));
    assert_eq!(verified.legal_name_kana.as_deref(), Some("ヤマダ タロウ"));
    assert_books_sound(a).await;
});

// The document is 山田 太郎's and genuine; the wallet was registered as someone else (or with
// another birthday). The provider's "verified" is about the document, not about this wallet.
on_both!(a_document_of_another_person_goes_to_review, |t| async move {
    let s = setup(t, true, true).await;
    let a = &s.a;
    let (token, user_id, codes) = wallet_user(a, "hanako@example.jp", "+819011110002", "サトウ ハナコ").await;
    let (token, _, _) = submit(a, &token, &codes[0], document(VERIFIED)).await;
    let v = decided(a, &token).await;
    assert_eq!(
        (v["latest_attempt"]["status"].as_str(), v["latest_attempt"]["reason"].as_str()),
        (Some("review"), Some("name_mismatch"))
    );
    assert_eq!(a.identity.verification(&user_id).await.unwrap().level, Level::Unverified);
    let (token, user_id, codes) =
        wallet_born(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ", "1991-04-15").await;
    let (token, _, _) = submit(a, &token, &codes[0], document(VERIFIED)).await;
    let v = decided(a, &token).await;
    assert_eq!(v["latest_attempt"]["reason"], "date_of_birth_mismatch", "{v}");
    assert_eq!(a.identity.verification(&user_id).await.unwrap().level, Level::Unverified);
    // The operator sees what the provider read beside the registered name.
    let (analyst, _) = operator(a, "analyst@anshin.example", "analyst").await;
    let (_, queue) = a.get("/v1/ops/identity-verifications?status=review", &analyst).await;
    assert_eq!(queue.as_array().unwrap().len(), 2, "{queue}");
    assert_eq!(
        (queue[0]["registered_legal_name"].as_str(), queue[0]["read"]["full_name"].as_str()),
        (Some("サトウ ハナコ"), Some("山田 太郎"))
    );
    assert_eq!(a.get("/v1/ops/identity-verifications?status=nope", &analyst).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.get("/v1/ops/identity-verifications", &token).await.0,
        StatusCode::FORBIDDEN,
        "wallets may not read it"
    );
    assert_books_sound(a).await;
});

// Four eyes: an operator's own verification (were one ever in review) is someone else's to decide.
on_both!(an_operator_may_not_decide_their_own_verification, |t| async move {
    let s = setup(t, true, false).await;
    let a = &s.a;
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let admin_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = 'admin@anshin.example'")
        .fetch_one(a.t.db.read_pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO identity_verifications (id, user_id, status, reason, document_type, document_last4,
             submitted_full_name, submitted_date_of_birth, submitted_address, created_at_ms, deadline_at_ms,
             next_poll_at_ms)
         VALUES ('iv_own', $1, 'review', 'name_mismatch', 'drivers_license', '9010', '山田 太郎', '1990-04-15',
             '東京都', 1, 1, 1)",
    )
    .bind(&admin_id)
    .execute(a.t.db.write_pool())
    .await
    .unwrap();
    let body = json!({ "decision": "approve", "reason": "It is me." });
    let (status, _) = a.post("/v1/ops/identity-verifications/iv_own/decision", body, Some(&admin)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(a.count("SELECT COUNT(*) FROM identity_verifications WHERE status = 'review'").await, 1);
    assert_eq!(a.count("SELECT COUNT(*) FROM identity_verified").await, 0);
    assert_books_sound(a).await;
});

on_both!(the_level_survives_a_restart, |t| async move {
    let s = setup(t, true, false).await;
    let a = &s.a;
    let (token, user_id, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (token, _, _) = submit(a, &token, &codes[0], document(VERIFIED)).await;
    assert_eq!(decided(a, &token).await["level"], "verified");
    // A new server over a new connection to the same database: nothing is carried over in memory.
    let db = anshin::storage::Db::open(&a.t.url).await.unwrap().with_keys(a.t.db.keys().cloned().unwrap());
    let (url, identity, _, _) = serve(&db, &s.config, false, false).await;
    let answer = common::identity_app::client().get(format!("{url}{MINE}")).bearer_auth(&token).send().await.unwrap();
    let v: Value = answer.json().await.unwrap();
    assert_eq!(
        (v["level"].as_str(), v["verified"]["legal_name_kana"].as_str()),
        (Some("verified"), Some("ヤマダ タロウ"))
    );
    assert_eq!(identity.require_verified(&user_id).await.unwrap().date_of_birth, "1990-04-15");
    assert_books_sound(a).await;
});

on_both!(without_a_provider_submissions_answer_503_and_reviews_still_work, |t| async move {
    let s = setup(t, false, true).await;
    let a = &s.a;
    let (token, user_id, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (_, status, body) = submit(a, &token, &codes[0], document(VERIFIED)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("ekyc_unavailable")));
    assert_eq!(a.count("SELECT COUNT(*) FROM identity_verifications").await, 0, "nothing is stored");
    // A check left in review while a provider was configured is still an operator's to decide.
    sqlx::query(
        "INSERT INTO identity_verifications (id, user_id, status, reason, document_type, document_last4,
             submitted_full_name, submitted_full_name_kana, submitted_date_of_birth, submitted_address, created_at_ms,
             deadline_at_ms, next_poll_at_ms)
         VALUES ('iv_left', $1, 'review', 'provider_timeout', 'residence_card', '9019', 'YAMADA TARO', '',
             '1990-04-15', '東京都', 1, 1, 1)",
    )
    .bind(&user_id)
    .execute(a.t.db.write_pool())
    .await
    .unwrap();
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let body = json!({ "decision": "approve", "reason": "Residence card checked at the counter." });
    let (status, body) = a.post("/v1/ops/identity-verifications/iv_left/decision", body, Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The card gave no kana and the operator gave none: it stays missing, never guessed.
    let verified = a.identity.require_verified(&user_id).await.unwrap();
    assert_eq!((verified.legal_name.as_str(), verified.legal_name_kana), ("YAMADA TARO", None));
    assert_books_sound(a).await;
});

on_both!(an_admin_decides_a_check_in_review_on_the_ops_console_page, |t| async move {
    use common::page_client::{CSRF, page, post};
    let s = setup(t, true, true).await;
    let a = &s.a;
    let (token, user_id, codes) = wallet_user(a, "taro@example.jp", "+819011110001", "ヤマダ タロウ").await;
    let (token, status, attempt) = submit(a, &token, &codes[0], document("D12345679018")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{attempt}");
    let id = attempt["id"].as_str().unwrap().to_owned();
    assert_eq!(decided(a, &token).await["latest_attempt"]["status"], "review");
    // An analyst sees the queue, without the decision form; the number shows its last four only.
    let (analyst, _) = operator(a, "analyst@anshin.example", "analyst").await;
    let queue = page(a, "/ops/identity-verifications", &analyst).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.body.contains(&format!("data-attempt=\"{id}\"")), "{}", queue.body);
    assert!(queue.body.contains("ヤマダ タロウ") && queue.body.contains("••••9018"), "{}", queue.body);
    assert!(!queue.body.contains("D12345679018"));
    assert!(!queue.body.contains(&format!("approve-{id}")), "analysts do not decide");
    let fields = [("id", id.as_str()), ("decision", "approve"), ("reason", "checked"), ("kana", "")];
    let refused = post(a, "/ops/identity-verifications/decide", &analyst, Some(CSRF), &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // A wallet may not even look.
    assert_eq!(page(a, "/ops/identity-verifications", &token).await.status, StatusCode::FORBIDDEN);
    // An admin approves with a reason and the kana; a forged cross-site post (no CSRF cookie) does nothing.
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let fields = [
        ("id", id.as_str()),
        ("decision", "approve"),
        ("reason", "Licence re-checked by hand."),
        ("kana", "ヤマダ タロウ"),
    ];
    let forged = post(a, "/ops/identity-verifications/decide", &admin, None, &fields).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(a.identity.verification(&user_id).await.unwrap().level, Level::Unverified);
    let done = post(a, "/ops/identity-verifications/decide", &admin, Some(CSRF), &fields).await;
    assert_eq!(
        (done.status, done.location.as_str()),
        (StatusCode::SEE_OTHER, "/ops/identity-verifications"),
        "{}",
        done.body
    );
    assert_eq!(a.identity.verification(&user_id).await.unwrap().level, Level::Verified);
    let after = page(a, "/ops/identity-verifications", &admin).await;
    assert!(after.body.contains("id=\"kyc-review-none\""), "{}", after.body);
    assert_eq!(audits(a, "identity.verification.approved").await, 1);
    assert_books_sound(a).await;
});
