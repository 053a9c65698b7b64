//! Secrets stay with the client they were shown to, on SQLite and PostgreSQL: an
//! `Idempotency-Key` never replays a secret, nor anything to another caller, and after a full
//! identity run no table holds a token, TOTP secret, recovery code, one-time code or reset key
//! in the clear.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use anshin::http::HttpConfig;
use anshin::identity::IdentityConfig;
use anshin::notify::{self, OutboxWorker, Transport};
use common::TestDb;
use common::identity_app::serve;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "lantern harbour velvet 42";

struct App {
    url: String,
    t: TestDb,
    keys_sent: AtomicU64,
}

struct Answer {
    status: StatusCode,
    body: Value,
    replayed: bool,
}

async fn app(t: TestDb) -> App {
    let (url, _) = serve(&t, IdentityConfig::default(), HttpConfig::default()).await;
    App { url, t, keys_sent: AtomicU64::new(0) }
}

impl App {
    /// POST with the given `Idempotency-Key`.
    async fn post_keyed(&self, path: &str, body: &Value, token: Option<&str>, key: &str) -> Answer {
        let mut r =
            reqwest::Client::new().post(format!("{}{path}", self.url)).json(body).header("idempotency-key", key);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        let (status, replayed) = (resp.status(), resp.headers().contains_key("idempotent-replayed"));
        Answer { status, body: resp.json().await.unwrap_or(Value::Null), replayed }
    }

    /// POST with a fresh `Idempotency-Key`, as a careful client sends on every POST.
    async fn post(&self, path: &str, body: Value, token: Option<&str>) -> (StatusCode, Value) {
        let key = format!("key-{}", self.keys_sent.fetch_add(1, Ordering::SeqCst));
        let answer = self.post_keyed(path, &body, token, &key).await;
        (answer.status, answer.body)
    }

    /// Deliver the outbox and return the newest message's body to `recipient`.
    async fn newest_to(&self, recipient: &str) -> String {
        OutboxWorker::new(self.t.db.clone(), Transport::dev_mailbox(self.t.db.clone()), Default::default())
            .run_once()
            .await
            .unwrap();
        let mut messages = notify::mailbox(&self.t.db, Some(recipient), 200).await.unwrap();
        messages.sort_by(|a, b| b.outbox_id.cmp(&a.outbox_id));
        messages.first().unwrap_or_else(|| panic!("no message to {recipient}")).body.clone()
    }

    /// The code in the newest message to `recipient` that has one.
    async fn code_for(&self, recipient: &str) -> String {
        self.newest_to(recipient).await;
        let mut messages = notify::mailbox(&self.t.db, Some(recipient), 200).await.unwrap();
        messages.sort_by(|a, b| b.outbox_id.cmp(&a.outbox_id));
        messages.iter().find_map(|m| six_digits(&m.body)).unwrap_or_else(|| panic!("no code to {recipient}"))
    }

    /// Register and verify both contacts; returns the session answer and the two codes.
    async fn registered(&self, email: &str, phone: &str) -> (Value, [String; 2]) {
        let (status, started) = self.post("/v1/registrations", registration(email, phone), None).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let codes = [self.code_for(email).await, self.code_for(phone).await];
        let body =
            json!({ "registration_id": started["registration_id"], "email_code": codes[0], "sms_code": codes[1] });
        let (status, session) = self.post("/v1/registrations/verification", body, None).await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        (session, codes)
    }
}

fn registration(email: &str, phone: &str) -> Value {
    json!({ "email": email, "phone": phone, "password": PASSWORD, "legal_name": "Yamada Taro", "date_of_birth": "1990-04-15" })
}

fn six_digits(s: &str) -> Option<String> {
    s.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_owned)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap_or_else(|| panic!("no {field} in {v}"))
}

on_both!(an_idempotency_key_never_replays_a_secret_nor_to_another_caller, |t: TestDb| async move {
    let a = app(t).await;
    let email = "ichiro@example.jp";
    let (_, started) = a.post("/v1/registrations", registration(email, "+819011110001"), None).await;
    let codes = [a.code_for(email).await, a.code_for("+819011110001").await];
    let verify = json!({ "registration_id": started["registration_id"], "email_code": codes[0], "sms_code": codes[1] });
    let first = a.post_keyed("/v1/registrations/verification", &verify, None, "verify-1").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let token_a = str_of(&first.body, "token").to_owned();
    // The same request again: the session's token was shown once and is not replayed.
    let again = a.post_keyed("/v1/registrations/verification", &verify, None, "verify-1").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(again.body["error"]["code"], "idempotency_secret_not_replayed");
    assert!(!again.body.to_string().contains(&token_a));

    let (session_b, _) = a.registered("jiro@example.jp", "+819011110002").await;
    let token_b = str_of(&session_b, "token").to_owned();
    // Two users, one key, one body: each gets an answer of their own.
    let totp_a = a.post_keyed("/v1/me/factors/totp", &json!({}), Some(&token_a), "same-key").await;
    let totp_b = a.post_keyed("/v1/me/factors/totp", &json!({}), Some(&token_b), "same-key").await;
    assert_eq!((totp_a.status, totp_b.status), (StatusCode::CREATED, StatusCode::CREATED), "{}", totp_b.body);
    assert!(!totp_b.replayed, "another caller's answer was replayed");
    assert_ne!(totp_a.body["secret"], totp_b.body["secret"], "B was given A's TOTP secret");
    let retry = a.post_keyed("/v1/me/factors/totp", &json!({}), Some(&token_a), "same-key").await;
    assert_eq!(retry.body["error"]["code"], "idempotency_secret_not_replayed", "{}", retry.body);

    // An answer without a secret is replayed, to its own caller only.
    let step = json!({ "action": "change_password" });
    let mine = a.post_keyed("/v1/me/step-up", &step, Some(&token_a), "step-1").await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    let mine_again = a.post_keyed("/v1/me/step-up", &step, Some(&token_a), "step-1").await;
    assert!(mine_again.replayed);
    assert_eq!(mine_again.body, mine.body);
    // The same caller's key with another request is refused.
    let reused = a.post_keyed("/v1/me/step-up", &json!({ "action": "change_contact" }), Some(&token_a), "step-1").await;
    assert_eq!(reused.status, StatusCode::CONFLICT);
    assert_eq!(reused.body["error"]["code"], "idempotency_key_reused");
    let theirs = a.post_keyed("/v1/me/step-up", &step, Some(&token_b), "step-1").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.replayed);
    assert_ne!(theirs.body["challenge_id"], mine.body["challenge_id"]);
    // Credentials that do not authenticate get a 401, never the stored answer.
    let stranger = a.post_keyed("/v1/me/step-up", &step, Some("not-a-session"), "step-1").await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
    assert!(!stranger.replayed);
    // Nor does an anonymous caller, or one whose session has ended.
    assert_eq!(a.post_keyed("/v1/me/step-up", &step, None, "step-1").await.status, StatusCode::UNAUTHORIZED);
    let request = reqwest::Client::new().delete(format!("{}/v1/sessions/current", a.url)).bearer_auth(&token_a);
    assert_eq!(request.send().await.unwrap().status(), StatusCode::NO_CONTENT);
    let ended = a.post_keyed("/v1/me/step-up", &step, Some(&token_a), "step-1").await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED);
    assert!(!ended.replayed);

    // The table names no key and holds neither token nor TOTP secret.
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT scope_key, body FROM http_idempotency").fetch_all(a.t.db.read_pool()).await.unwrap();
    for (scope, body) in &rows {
        for leak in ["same-key", "step-1", "verify-1", &token_a, &token_b, str_of(&totp_a.body, "secret")] {
            assert!(!scope.contains(leak) && !body.contains(leak), "{leak} stored in the clear: {scope} {body}");
        }
    }
});

/// Every secret the client saw during the run, and how to look for it.
#[derive(Default)]
struct Seen {
    /// High-entropy values: looked for anywhere, in any case.
    long: Vec<String>,
    /// Six-digit codes: looked for as a number on their own, not inside a longer run of digits
    /// or hex (where they would turn up by chance).
    codes: Vec<String>,
}

impl Seen {
    fn long(&mut self, v: &str) {
        assert!(v.len() >= 16, "{v} is not a long secret");
        self.long.push(v.to_owned());
    }
    fn code(&mut self, v: &str) {
        assert_eq!(v.len(), 6);
        self.codes.push(v.to_owned());
    }
    fn session(&mut self, answer: &Value) {
        self.long(str_of(answer, "token"));
        if let Some(device) = answer["device_token"].as_str() {
            self.long(device);
        }
    }

    fn found_in(&self, text: &str) -> Option<String> {
        let lower = text.to_lowercase();
        if let Some(s) = self.long.iter().find(|s| lower.contains(&s.to_lowercase())) {
            return Some(s.clone());
        }
        let standalone = |code: &str| {
            text.match_indices(code).any(|(i, _)| {
                let before = text[..i].chars().next_back();
                let after = text[i + code.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
            })
        };
        self.codes.iter().find(|c| standalone(c)).cloned()
    }
}

/// Register, verify both codes, add an app and get recovery codes, sign out, sign in with the
/// app, send an SMS code, reset the password with the e-mailed key and an SMS code.
async fn full_identity_run(a: &App) -> Seen {
    let mut seen = Seen::default();
    let (email, phone) = ("saburo@example.jp", "+819022223333");
    let (session, codes) = a.registered(email, phone).await;
    seen.session(&session);
    for c in session["recovery_codes"].as_array().unwrap() {
        seen.long(c.as_str().unwrap());
        seen.long(&c.as_str().unwrap().replace('-', ""));
    }
    codes.iter().for_each(|c| seen.code(c));
    let token = str_of(&session, "token").to_owned();

    let (status, enrol) = a.post("/v1/me/factors/totp", json!({}), Some(&token)).await;
    assert_eq!(status, StatusCode::CREATED, "{enrol}");
    let secret = str_of(&enrol, "secret").to_owned();
    seen.long(&secret);
    let now = now_secs();
    let code = anshin::identity::totp::code_from_base32(&secret, now).unwrap();
    let (status, recovery) = a.post("/v1/me/factors/totp/confirmation", json!({ "code": code }), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{recovery}");
    for c in recovery["recovery_codes"].as_array().unwrap() {
        let c = c.as_str().unwrap();
        seen.long(c);
        seen.long(&c.replace('-', ""));
    }
    let signed_out = reqwest::Client::new().delete(format!("{}/v1/sessions/current", a.url)).bearer_auth(&token);
    assert_eq!(signed_out.send().await.unwrap().status(), StatusCode::NO_CONTENT);

    let (_, challenge) = a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
    let path = format!("/v1/sessions/challenges/{}", str_of(&challenge, "challenge_id"));
    let next = anshin::identity::totp::code_from_base32(&secret, now + 30).unwrap();
    let body = json!({ "factor": "totp", "code": next, "device_token": session["device_token"] });
    let (status, signed_in) = a.post(&path, body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{signed_in}");
    seen.session(&signed_in);

    let (_, challenge) = a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
    let path = format!("/v1/sessions/challenges/{}/sms", str_of(&challenge, "challenge_id"));
    assert_eq!(a.post(&path, json!({}), None).await.0, StatusCode::ACCEPTED);
    seen.code(&a.code_for(phone).await);

    assert_eq!(a.post("/v1/password-resets", json!({ "email": email }), None).await.0, StatusCode::ACCEPTED);
    let mail = a.newest_to(email).await;
    let reset_key = mail.split_whitespace().find(|w| w.len() == 64).expect("reset key in the mail").to_owned();
    seen.long(&reset_key);
    assert_eq!(a.post("/v1/password-resets/sms", json!({ "token": reset_key }), None).await.0, StatusCode::ACCEPTED);
    let sms = a.code_for(phone).await;
    seen.code(&sms);
    let done = json!({ "token": reset_key, "new_password": "copper meadow lantern 77", "factor": "sms", "code": sms });
    let (status, body) = a.post("/v1/password-resets/confirmation", done, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    seen
}

/// Every text column of every table, as (table, column).
async fn text_columns(t: &TestDb) -> Vec<(String, String)> {
    let db = &t.db;
    match db.backend() {
        anshin::storage::Backend::Sqlite => {
            let tables: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                    .fetch_all(db.read_pool())
                    .await
                    .unwrap();
            let mut columns = Vec::new();
            for table in tables {
                let rows: Vec<(String, String)> =
                    sqlx::query_as("SELECT name, type FROM pragma_table_info($1)")
                        .bind(&table)
                        .fetch_all(db.read_pool())
                        .await
                        .unwrap();
                columns.extend(rows.into_iter().filter(|(_, ty)| ty.eq_ignore_ascii_case("TEXT")).map(|(c, _)| (table.clone(), c)));
            }
            columns
        }
        anshin::storage::Backend::Postgres => sqlx::query_as(
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')",
        )
        .fetch_all(db.read_pool())
        .await
        .unwrap(),
    }
}

on_both!(after_a_full_identity_run_no_table_holds_a_secret_in_the_clear, |t: TestDb| async move {
    let a = app(t).await;
    let seen = full_identity_run(&a).await;
    OutboxWorker::new(a.t.db.clone(), Transport::dev_mailbox(a.t.db.clone()), Default::default())
        .run_once()
        .await
        .unwrap();
    let columns = text_columns(&a.t).await;
    let tables: std::collections::BTreeSet<&str> = columns.iter().map(|(t, _)| t.as_str()).collect();
    for expected in ["http_idempotency", "outbox", "dev_mailbox", "sessions", "devices", "totp_factors", "audit_log"] {
        assert!(tables.contains(expected), "{expected} not scanned: {tables:?}");
    }
    let mut scanned = 0;
    for (table, column) in &columns {
        let sql = format!("SELECT CAST({column} AS TEXT) FROM {table}");
        let values: Vec<Option<String>> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(a.t.db.read_pool()).await.unwrap();
        for value in values.into_iter().flatten() {
            scanned += 1;
            if let Some(secret) = seen.found_in(&value) {
                panic!("{table}.{column} holds the secret {secret} in the clear: {value}");
            }
        }
    }
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM http_idempotency").fetch_one(a.t.db.read_pool()).await.unwrap();
    assert!(rows >= 10, "every POST sent a key: {rows} stored");
    assert!(scanned > 100, "only {scanned} values scanned");
});
