//! Crashes never spend a code for nothing, on SQLite and PostgreSQL. A real `anshin serve` is
//! made to abort (like `kill -9`) right after a flow has spent its codes or factor inside its
//! transaction, before the effect commits; after a restart the same codes must still work, and
//! nothing half-done may be left behind. Without one transaction per effect, the codes would be
//! gone and the account, reset, lock, grant, contact or passkey missing.

mod common;

use anshin::keys::Keys;
use anshin::notify;
use anshin::storage::Db;
use common::identity_app::{PASSWORD, registration, six_digits};
use common::{Server, TestDb};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One database and data directory, and the server of the moment (restarted with or without a
/// failpoint).
struct Crashy {
    t: TestDb,
    dir: tempfile::TempDir,
    server: Option<Server>,
    db: Option<Db>,
    http: reqwest::Client,
}

impl Crashy {
    fn new(t: TestDb) -> Crashy {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, reqwest::header::HeaderValue::from_static("en"));
        let http = reqwest::Client::builder().default_headers(headers).build().unwrap();
        Crashy { t, dir: tempfile::tempdir().unwrap(), server: None, db: None, http }
    }

    /// (Re)start the server; `failpoint` makes it abort there.
    async fn start(&mut self, failpoint: &str) {
        if let Some(old) = self.server.take() {
            old.crash();
        }
        let dir = self.dir.path().to_str().unwrap().to_owned();
        let args = ["--listen", "127.0.0.1:0", "--data-dir", &dir, "--outbox-poll-ms", "20"];
        let envs = [("DATABASE_URL", self.t.url.as_str()), ("ANSHIN_FAILPOINTS", failpoint)];
        self.server = Some(Server::start(&args, &envs));
        if self.db.is_none() {
            let keys = Keys::load(self.dir.path()).unwrap();
            self.db = Some(Db::connect(&self.t.url).await.unwrap().with_keys(keys));
        }
    }

    fn url(&self) -> &str {
        &self.server.as_ref().unwrap().url
    }

    /// A request; Err when the server died answering it.
    async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Result<(StatusCode, Value), reqwest::Error> {
        let mut r = self.http.post(format!("{}{path}", self.url())).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await?;
        let status = resp.status();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }

    async fn ok(&self, path: &str, body: Value, token: Option<&str>) -> Value {
        let (status, body) = self.post(path, body, token).await.expect("the server answers");
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// The server must die answering this request (its failpoint).
    async fn crashes(&mut self, path: &str, body: Value, token: Option<&str>) {
        assert!(self.post(path, body, token).await.is_err(), "{path} should have crashed the server");
        let mut server = self.server.take().unwrap();
        let status = server.child.wait().unwrap();
        assert!(!status.success(), "aborted");
    }

    /// The newest code sent to `recipient` after `after` messages (the server's worker delivers
    /// into the dev mailbox).
    async fn code_for(&self, recipient: &str, after: usize) -> String {
        let db = self.db.as_ref().unwrap();
        for _ in 0..200 {
            let mut messages = notify::mailbox(db, Some(recipient), 200).await.unwrap();
            if messages.len() > after {
                messages.sort_by(|a, b| b.outbox_id.cmp(&a.outbox_id));
                if let Some(code) = messages.iter().find_map(|m| six_digits(&m.body)) {
                    return code;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no new code for {recipient}");
    }

    async fn messages(&self, recipient: &str) -> usize {
        notify::mailbox(self.db.as_ref().unwrap(), Some(recipient), 200).await.unwrap().len()
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(self.db.as_ref().unwrap().read_pool())
            .await
            .unwrap()
    }
}

const EMAIL: &str = "crash@example.jp";
const PHONE: &str = "+819066660000";

/// Registration crashes after spending both codes: no account, both codes still good.
async fn register(c: &mut Crashy) -> String {
    c.start("registration.before_commit").await;
    let started = c.ok("/v1/registrations", registration(EMAIL, PHONE), None).await;
    let (email_code, sms_code) = (c.code_for(EMAIL, 0).await, c.code_for(PHONE, 0).await);
    let verify =
        json!({ "registration_id": started["registration_id"], "email_code": email_code, "sms_code": sms_code });
    c.crashes("/v1/registrations/verification", verify.clone(), None).await;
    assert_eq!(c.count("SELECT COUNT(*) FROM users").await, 0, "no account");
    assert_eq!(c.count("SELECT COUNT(*) FROM otp_challenges WHERE used_at_ms IS NOT NULL").await, 0, "no code spent");
    c.start("").await;
    let registered = c.ok("/v1/registrations/verification", verify, None).await;
    registered["token"].as_str().unwrap().to_owned()
}

/// A step-up crashes after spending its SMS code: no grant, and the same code completes it.
async fn step_up(c: &mut Crashy, token: &str, action: &str) -> String {
    c.start("step_up.before_commit").await;
    let challenge = c.ok("/v1/me/step-up", json!({ "action": action }), Some(token)).await;
    let id = challenge["challenge_id"].as_str().unwrap().to_owned();
    let seen = c.messages(PHONE).await;
    c.ok(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await;
    let code = c.code_for(PHONE, seen).await;
    c.crashes(&format!("/v1/me/step-up/{id}"), json!({ "factor": "sms", "code": code }), Some(token)).await;
    assert_eq!(c.count("SELECT COUNT(*) FROM step_up_grants").await, 0, "no grant");
    c.start("").await;
    let stepped = c.ok(&format!("/v1/me/step-up/{id}"), json!({ "factor": "sms", "code": code }), Some(token)).await;
    stepped["token"].as_str().unwrap().to_owned()
}

/// A contact change crashes after spending the new contact's code: unchanged, code still good.
async fn change_contact(c: &mut Crashy, token: &str) {
    c.start("").await;
    c.ok("/v1/me/contacts", json!({ "channel": "email", "value": "crash.new@example.jp" }), Some(token)).await;
    let code = c.code_for("crash.new@example.jp", 0).await;
    c.start("contact_change.before_commit").await;
    let confirm = json!({ "channel": "email", "code": code });
    c.crashes("/v1/me/contacts/confirmation", confirm.clone(), Some(token)).await;
    assert_eq!(c.count("SELECT COUNT(*) FROM users WHERE email = 'crash@example.jp'").await, 1, "unchanged");
    c.start("").await;
    c.ok("/v1/me/contacts/confirmation", confirm, Some(token)).await;
    assert_eq!(c.count("SELECT COUNT(*) FROM users WHERE email = 'crash.new@example.jp'").await, 1);
}

/// A reset crashes after spending the key and the SMS code: old password, both still good.
async fn reset(c: &mut Crashy, email: &str) {
    c.start("reset.before_password").await;
    c.ok("/v1/password-resets", json!({ "email": email }), None).await;
    let key = wait_for_key(c, email).await;
    let seen = c.messages(PHONE).await;
    c.ok("/v1/password-resets/sms", json!({ "token": key }), None).await;
    let code = c.code_for(PHONE, seen).await;
    let body = json!({ "token": key, "new_password": "after the crash 2026 ok", "factor": "sms", "code": code });
    c.crashes("/v1/password-resets/confirmation", body.clone(), None).await;
    c.start("").await;
    assert_eq!(
        c.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.unwrap().0,
        StatusCode::OK
    );
    let (status, answer) = c.post("/v1/password-resets/confirmation", body, None).await.unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let new_login = json!({ "email": email, "password": "after the crash 2026 ok" });
    assert_eq!(c.post("/v1/sessions", new_login, None).await.unwrap().0, StatusCode::OK);
}

async fn wait_for_key(c: &Crashy, email: &str) -> String {
    for _ in 0..200 {
        let messages = notify::mailbox(c.db.as_ref().unwrap(), Some(email), 50).await.unwrap();
        if let Some(m) = messages.iter().find(|m| m.subject.contains("Reset your")) {
            return common::identity_app::hex_key(&m.body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no reset key");
}

/// A lock crashes after spending its SMS code: still active, the code still locks.
async fn lock(c: &mut Crashy, email: &str, password: &str) {
    c.start("lock.before_status").await;
    let challenge = c.ok("/v1/account/lock", json!({ "email": email, "password": password }), None).await;
    let id = challenge["challenge_id"].as_str().unwrap().to_owned();
    let seen = c.messages(PHONE).await;
    c.ok(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await;
    let code = c.code_for(PHONE, seen).await;
    c.crashes(&format!("/v1/account/lock/{id}"), json!({ "factor": "sms", "code": code }), None).await;
    assert_eq!(c.count("SELECT COUNT(*) FROM users WHERE status = 'active'").await, 1, "not locked by half");
    c.start("").await;
    c.ok(&format!("/v1/account/lock/{id}"), json!({ "factor": "sms", "code": code }), None).await;
    assert_eq!(c.count("SELECT COUNT(*) FROM users WHERE status = 'locked'").await, 1);
}

on_both!(a_crash_after_spending_codes_spends_nothing_in_every_flow, |t: TestDb| async move {
    let mut c = Crashy::new(t);
    let token = register(&mut c).await;
    let token = step_up(&mut c, &token, "change_contact").await;
    change_contact(&mut c, &token).await;
    reset(&mut c, "crash.new@example.jp").await;
    lock(&mut c, "crash.new@example.jp", "after the crash 2026 ok").await;
    c.start("").await;
    let db = c.db.clone().unwrap();
    assert!(anshin::audit::verify(&db).await.unwrap().ok());
});

// Item 22: a passkey, its alert and its audit record commit together.
on_both!(a_crash_while_adding_a_passkey_leaves_no_passkey_without_its_alert, |t: TestDb| async move {
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    use webauthn_authenticator_rs::softpasskey::SoftPasskey;
    use webauthn_rs::prelude::{CreationChallengeResponse, Url};
    let mut c = Crashy::new(t);
    let token = register(&mut c).await;
    c.start("passkey.before_commit").await;
    let start = c.ok("/v1/me/factors/passkeys", json!({}), Some(&token)).await;
    let options: CreationChallengeResponse = serde_json::from_value(start["options"].clone()).unwrap();
    let port = c.url().rsplit(':').next().unwrap().to_owned();
    let origin = Url::parse(&format!("http://localhost:{port}")).unwrap();
    let credential = SoftPasskey::new(true).do_registration(origin, options).expect("the authenticator registers");
    let path = format!("/v1/me/factors/passkeys/{}", start["challenge_id"].as_str().unwrap());
    c.crashes(&path, json!({ "credential": credential }), Some(&token)).await;
    let passkeys = c.count("SELECT COUNT(*) FROM passkeys").await;
    let alerts = c.count("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%was added to your Anshin account%'").await;
    let audited = c.count("SELECT COUNT(*) FROM audit_log WHERE action = 'identity.factor.added'").await;
    assert_eq!((passkeys, alerts, audited), (0, 0, 0), "nothing of it, or all of it");
    c.start("").await;
    let (status, body) = c.post(&path, json!({ "credential": credential }), Some(&token)).await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let passkeys = c.count("SELECT COUNT(*) FROM passkeys").await;
    let audited = c.count("SELECT COUNT(*) FROM audit_log WHERE action = 'identity.factor.added'").await;
    assert_eq!((passkeys, audited), (1, 1));
});
