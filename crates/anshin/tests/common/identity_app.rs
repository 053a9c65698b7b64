//! An identity server on loopback for tests, with helpers that walk the flows over real HTTP.

use std::net::IpAddr;

use anshin::http::{self, AppState, HttpConfig};
use anshin::identity::password::{HashParams, PasswordHasher};
use anshin::identity::{Identity, IdentityConfig};
use anshin::ledger::Ledger;
use anshin::merchants::{Merchants, MerchantsConfig};
use anshin::notify::{self, OutboxWorker, Transport};
use anshin::payments::{Payments, PaymentsConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::TestDb;

pub const PASSWORD: &str = "lantern harbour velvet 42";

pub struct App {
    pub url: String,
    pub t: TestDb,
    pub identity: Identity,
    pub merchants: Merchants,
    pub payments: Payments,
}

/// What a completed registration gave the client.
pub struct Account {
    pub token: String,
    pub device_token: String,
    pub user_id: String,
    pub recovery_codes: Vec<String>,
}

pub async fn app(t: TestDb, config: IdentityConfig) -> App {
    app_with(t, config, HttpConfig::default()).await
}

pub async fn app_with(t: TestDb, config: IdentityConfig, http_config: HttpConfig) -> App {
    let (url, identity, merchants, payments) = serve_all(&t, config, http_config, hasher()).await;
    App { url, t, identity, merchants, payments }
}

/// The whole HTTP service (identity, pages, dev mailbox) on a loopback port over `t`'s database,
/// with the database's own keys; returns its URL and its `Identity`.
pub async fn serve(t: &TestDb, config: IdentityConfig, http_config: HttpConfig) -> (String, Identity) {
    serve_hashing_with(t, config, http_config, hasher()).await
}

fn hasher() -> PasswordHasher {
    PasswordHasher::new(HashParams::OWASP_MINIMUM, 2, 64).unwrap()
}

/// `serve` with a hashing pool of the test's choosing (a tight one to make sign-ups shed).
pub async fn serve_hashing_with(
    t: &TestDb,
    config: IdentityConfig,
    http_config: HttpConfig,
    hasher: PasswordHasher,
) -> (String, Identity) {
    let (url, identity, _, _) = serve_all(t, config, http_config, hasher).await;
    (url, identity)
}

/// Identity, the ledger and merchants behind one server.
pub async fn serve_all(
    t: &TestDb,
    config: IdentityConfig,
    http_config: HttpConfig,
    hasher: PasswordHasher,
) -> (String, Identity, Merchants, Payments) {
    let keys = t.db.keys().cloned().expect("test databases carry keys");
    let identity = Identity::new(t.db.clone(), keys.clone(), hasher, config).unwrap();
    let (ledger, _writer) = Ledger::start(t.db.clone());
    let merchants =
        Merchants::new(t.db.clone(), keys.clone(), identity.clone(), ledger.clone(), MerchantsConfig::default());
    let payments = Payments::new(t.db.clone(), keys, ledger.clone(), merchants.clone(), PaymentsConfig::default());
    let state = AppState::new(t.db.clone(), http_config.clone(), None, true, false)
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

/// A client whose requests come from `ip` (any 127.x.y.z address works on Linux loopback). Test
/// clients ask for English, so messages can be matched by their English subjects.
pub fn client_from(ip: &str) -> reqwest::Client {
    english().local_address(ip.parse::<IpAddr>().unwrap()).build().unwrap()
}

fn english() -> reqwest::ClientBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT_LANGUAGE, reqwest::header::HeaderValue::from_static("en"));
    reqwest::Client::builder().default_headers(headers)
}

pub fn client() -> reqwest::Client {
    english().build().unwrap()
}

impl App {
    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> (StatusCode, Value) {
        self.post_with(&client(), path, body, token).await
    }

    pub async fn post_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: Value,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut r = client.post(format!("{}{path}", self.url)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let resp = client().get(format!("{}{path}", self.url)).bearer_auth(token).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete(&self, path: &str, token: &str) -> StatusCode {
        self.delete_json(path, token).await.0
    }

    /// A DELETE whose answer body matters (an error code, a count).
    pub async fn delete_json(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let resp = client().delete(format!("{}{path}", self.url)).bearer_auth(token).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Deliver the outbox into the dev mailbox.
    pub async fn deliver(&self) {
        let worker =
            OutboxWorker::new(self.t.db.clone(), Transport::dev_mailbox(self.t.db.clone()), Default::default());
        while worker.run_once().await.unwrap() > 0 {}
    }

    /// Deliver the outbox and return the code in the newest message to `recipient` that has one.
    /// Polls a little: with tests running flows side by side, another task's worker may be
    /// delivering this very message.
    pub async fn code_for(&self, recipient: &str) -> String {
        for _ in 0..100 {
            if let Some(code) = self.messages_to(recipient).await.iter().find_map(|m| six_digits(&m.body)) {
                return code;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no code in any message to {recipient}")
    }

    /// The code in a message to `recipient` newer than the first `seen` messages (polls: the
    /// message may still be on its way).
    pub async fn new_code_for(&self, recipient: &str, seen: usize) -> String {
        for _ in 0..100 {
            let messages = self.messages_to(recipient).await;
            if messages.len() > seen
                && let Some(code) = messages.iter().find_map(|m| six_digits(&m.body))
            {
                return code;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no new code to {recipient}")
    }

    /// Messages delivered to `recipient`, newest first (by when they were queued: the worker
    /// delivers a batch concurrently, so delivery order is not queue order).
    pub async fn messages_to(&self, recipient: &str) -> Vec<notify::MailboxMessage> {
        self.deliver().await;
        let mut messages = notify::mailbox(&self.t.db, Some(recipient), 200).await.unwrap();
        messages.sort_by(|a, b| b.outbox_id.cmp(&a.outbox_id));
        messages
    }

    /// Register and verify both contacts.
    pub async fn register(&self, email: &str, phone: &str) -> Account {
        let (status, started) = self.post("/v1/registrations", registration(email, phone), None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{started}");
        let email_code = self.code_for(email).await;
        let sms_code = self.code_for(phone).await;
        let body =
            json!({ "registration_id": started["registration_id"], "email_code": email_code, "sms_code": sms_code });
        let (status, body) = self.post("/v1/registrations/verification", body, None).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Account {
            token: body["token"].as_str().unwrap().to_owned(),
            device_token: body["device_token"].as_str().unwrap().to_owned(),
            user_id: body["user_id"].as_str().unwrap().to_owned(),
            recovery_codes: body["recovery_codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect(),
        }
    }

    /// Register; returns the first session's token.
    pub async fn registered(&self, email: &str, phone: &str) -> String {
        self.register(email, phone).await.token
    }

    /// Sign in with the password and an SMS code; returns the session body.
    pub async fn sign_in_by_sms(&self, email: &str, password: &str, phone: &str) -> Value {
        self.sign_in_by_sms_on(email, password, phone, None).await
    }

    /// The same, on the device that `device_token` names (from an earlier session), if any.
    pub async fn sign_in_by_sms_on(
        &self,
        email: &str,
        password: &str,
        phone: &str,
        device_token: Option<&str>,
    ) -> Value {
        let (status, challenge) = self
            .post("/v1/sessions", json!({ "email": email, "password": password, "device_token": device_token }), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{challenge}");
        let id = challenge["challenge_id"].as_str().unwrap();
        assert_eq!(
            self.post(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await.0,
            StatusCode::ACCEPTED
        );
        let code = self.code_for(phone).await;
        let body = json!({ "factor": "sms", "code": code, "device_token": device_token });
        let (status, session) = self.post(&format!("/v1/sessions/challenges/{id}"), body, None).await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        session
    }

    /// Step up for `action` with an SMS code; returns the session's new token.
    pub async fn step_up(&self, token: &str, action: &str, phone: &str) -> String {
        let (status, challenge) = self.post("/v1/me/step-up", json!({ "action": action }), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{challenge}");
        let id = challenge["challenge_id"].as_str().unwrap();
        assert_eq!(
            self.post(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await.0,
            StatusCode::ACCEPTED
        );
        let code = self.code_for(phone).await;
        let (status, stepped) =
            self.post(&format!("/v1/me/step-up/{id}"), json!({ "factor": "sms", "code": code }), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{stepped}");
        assert_eq!(stepped["action"], action);
        stepped["token"].as_str().unwrap().to_owned()
    }

    /// Step up for `action` with a factor that needs no code sent (an app, a recovery code);
    /// returns the session's new token.
    pub async fn step_up_by(&self, token: &str, action: &str, factor: &str, code: &str) -> String {
        let (status, challenge) = self.post("/v1/me/step-up", json!({ "action": action }), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{challenge}");
        let path = format!("/v1/me/step-up/{}", challenge["challenge_id"].as_str().unwrap());
        let (status, stepped) = self.post(&path, json!({ "factor": factor, "code": code }), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{stepped}");
        stepped["token"].as_str().unwrap().to_owned()
    }

    /// First sign-in of staff or an operator without a factor: the password, an enrolment-only
    /// session, then an authenticator app, which makes the session full. Returns the token and
    /// the app's base32 secret.
    pub async fn enrol_staff(&self, email: &str, password: &str) -> (String, String) {
        let token = self.enrolment_session(email, password).await;
        let (secret, _) = self.enrol_totp(&token).await;
        (token, secret)
    }

    /// The password of staff or an operator without a factor: an enrolment-only session's token.
    pub async fn enrolment_session(&self, email: &str, password: &str) -> String {
        let (status, challenge) =
            self.post("/v1/sessions", json!({ "email": email, "password": password }), None).await;
        assert_eq!(status, StatusCode::OK, "{challenge}");
        assert_eq!(challenge["enrolment_required"], true, "{challenge}");
        let path = format!("/v1/sessions/challenges/{}/enrolment", challenge["challenge_id"].as_str().unwrap());
        let (status, session) = self.post(&path, json!({}), None).await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        session["token"].as_str().unwrap().to_owned()
    }

    /// Add an authenticator app (the session must be fresh or hold an `add_factor` grant);
    /// returns its base32 secret and the recovery codes.
    pub async fn enrol_totp(&self, token: &str) -> (String, Vec<String>) {
        let (status, enrol) = self.post("/v1/me/factors/totp", json!({}), Some(token)).await;
        assert_eq!(status, StatusCode::CREATED, "{enrol}");
        let secret = enrol["secret"].as_str().unwrap().to_owned();
        let code = anshin::identity::totp::code_from_base32(&secret, now_secs()).unwrap();
        let (status, body) = self.post("/v1/me/factors/totp/confirmation", json!({ "code": code }), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let codes = body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        (secret, codes)
    }

    /// The one integer `sql` selects (a count, a timestamp, a limit).
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(self.t.db.read_pool())
            .await
            .unwrap()
    }
}

pub fn six_digits(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    (0..bytes.len().saturating_sub(5))
        .find(|&i| {
            bytes[i..i + 6].iter().all(u8::is_ascii_digit)
                && (i + 6 == bytes.len() || !bytes[i + 6].is_ascii_digit())
                && (i == 0 || !bytes[i - 1].is_ascii_digit())
        })
        .map(|i| s[i..i + 6].to_owned())
}

pub fn registration(email: &str, phone: &str) -> Value {
    json!({ "email": email, "phone": phone, "password": PASSWORD, "legal_name": "Yamada Taro", "date_of_birth": "1990-04-15" })
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A TOTP code for `secret` that is newer than any used so far (the next time step).
pub fn totp_at(secret: &str, offset_steps: u64) -> String {
    anshin::identity::totp::code_from_base32(secret, now_secs() + 30 * offset_steps).unwrap()
}

/// A six-digit code that is none of the codes `secret` gives within two steps of now: a wrong
/// guess that cannot be right by chance.
pub fn totp_miss(secret: &str) -> String {
    let near: Vec<String> =
        (0..5).map(|i| anshin::identity::totp::code_from_base32(secret, now_secs() + 30 * i - 60).unwrap()).collect();
    (0..1_000_000u32).map(|n| format!("{n:06}")).find(|c| !near.contains(c)).unwrap()
}

/// The 64-hex-digit key in a reset or unlock message.
pub fn hex_key(body: &str) -> String {
    body.lines()
        .map(str::trim)
        .find(|l| l.len() == 64 && l.bytes().all(|b| b.is_ascii_hexdigit()))
        .expect("a key in the message")
        .to_owned()
}
