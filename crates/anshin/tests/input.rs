//! Bad input at the edge, on SQLite and PostgreSQL: a NUL character in a path, query, JSON string
//! or key, or form field is a 400 before anything is stored. PostgreSQL cannot store NUL in text,
//! so without the check the same request was a 400 on SQLite and a 500 on PostgreSQL.

mod common;

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
    client: reqwest::Client,
}

async fn app(t: TestDb) -> App {
    let (url, _) = serve(&t, IdentityConfig::default(), HttpConfig::default()).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    App { url, t, client }
}

impl App {
    /// Rows in every table but the migrations record: "nothing stored" means this does not move.
    async fn rows(&self) -> i64 {
        let pool = self.t.db.read_pool();
        let tables: Vec<String> = if self.t.url.starts_with("postgres") {
            sqlx::query_scalar("SELECT tablename::TEXT FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(pool)
                .await
                .unwrap()
        } else {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                .fetch_all(pool)
                .await
                .unwrap()
        };
        let mut total = 0;
        for table in tables.iter().filter(|t| *t != "schema_migrations") {
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(pool)
                .await
                .unwrap();
            total += n;
        }
        total
    }

    async fn send(&self, method: &str, path: &str, body: Option<&str>) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.url);
        let mut r = match method {
            "GET" => self.client.get(url),
            _ => self.client.post(url),
        };
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b.to_owned());
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Deliver the outbox and return the newest code sent to `recipient`.
    async fn code_for(&self, recipient: &str) -> String {
        let worker =
            OutboxWorker::new(self.t.db.clone(), Transport::dev_mailbox(self.t.db.clone()), Default::default());
        worker.run_once().await.unwrap();
        let messages = notify::mailbox(&self.t.db, Some(recipient), 1).await.unwrap();
        let body = &messages.first().unwrap_or_else(|| panic!("no message to {recipient}")).body;
        let digits: Vec<&str> = body.split(|c: char| !c.is_ascii_digit()).filter(|w| w.len() == 6).collect();
        digits.first().unwrap_or_else(|| panic!("no code in {body:?}")).to_string()
    }

    /// A fresh CSRF token and the cookie that carries it.
    async fn csrf(&self, page: &str) -> (String, String) {
        let form = self.client.get(format!("{}{page}", self.url)).send().await.unwrap();
        let set_cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
        let pair = set_cookie.split(';').next().unwrap().to_owned();
        let token = pair.split_once('=').unwrap().1.to_owned();
        (token, pair)
    }
}

fn registration(email: &str, legal_name: &str) -> Value {
    json!({ "email": email, "phone": "+819012345678", "password": PASSWORD, "legal_name": legal_name, "date_of_birth": "1990-04-15" })
}

on_both!(a_nul_in_the_path_query_or_json_is_refused_before_storage, |t: TestDb| async move {
    let a = app(t).await;
    let before = a.rows().await;
    // JSON written by hand: `\u0000` is how a NUL travels in JSON, in a value or in a key.
    let with_nul_key = format!(
        r#"{{"email":"taro@example.jp","phone":"+819012345678","password":"{PASSWORD}","legal_name\u0000":"Yamada Taro","date_of_birth":"1990-04-15"}}"#
    );
    let requests: Vec<(&str, String, Option<String>)> = vec![
        ("POST", "/v1/registrations".into(), Some(registration("taro\u{0}@example.jp", "Yamada Taro").to_string())),
        ("POST", "/v1/registrations".into(), Some(registration("taro@example.jp", "Yamada\u{0}Taro").to_string())),
        ("POST", "/v1/registrations".into(), Some(with_nul_key)),
        (
            "POST",
            "/v1/registrations/verification".into(),
            Some(json!({ "email": "taro@example.jp", "email_code": "123\u{0}456", "sms_code": "123456" }).to_string()),
        ),
        (
            "POST",
            "/v1/sessions".into(),
            Some(json!({ "email": "taro\u{0}@example.jp", "password": PASSWORD }).to_string()),
        ),
        (
            "POST",
            "/v1/sessions".into(),
            Some(json!({ "email": "taro@example.jp", "password": "pass\u{0}word" }).to_string()),
        ),
        ("POST", "/v1/password-resets".into(), Some(json!({ "email": "taro\u{0}@example.jp" }).to_string())),
        (
            "POST",
            "/v1/sessions/challenges/lgn_%00".into(),
            Some(json!({ "factor": "sms", "code": "123456" }).to_string()),
        ),
        ("POST", "/v1/sessions/challenges/lgn_%00/sms".into(), None),
        ("GET", "/v1/dev/mailbox?recipient=taro%00@example.jp".into(), None),
        ("GET", "/dev/mailbox?recipient=%00".into(), None),
        ("GET", "/login?next=%00".into(), None),
        ("GET", "/no/such/route/%00".into(), None),
    ];
    for (method, path, body) in &requests {
        let (status, answer) = a.send(method, path, body.as_deref()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path} {body:?}: {answer}");
        assert_eq!(answer["error"]["code"], "nul_byte", "{method} {path} {body:?}: {answer}");
    }
    assert_eq!(a.rows().await, before, "nothing was stored");
    // The same endpoints without the NUL get past the check.
    let (status, _) = a.send("GET", "/v1/dev/mailbox?recipient=taro@example.jp", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) =
        a.send("POST", "/v1/sessions/challenges/lgn_x", Some(r#"{"factor":"sms","code":"1"}"#)).await;
    assert_ne!(answer["error"]["code"], "nul_byte", "{status} {answer}");
    // `\\u0000` is a backslash and the text u0000, not a NUL: accepted as far as the check goes.
    let (_, answer) =
        a.send("POST", "/v1/sessions", Some(r#"{"email":"taro@example.jp","password":"a\\u0000b"}"#)).await;
    assert_ne!(answer["error"]["code"], "nul_byte", "{answer}");
});

on_both!(a_page_form_with_a_nul_field_is_a_400_page, |t: TestDb| async move {
    let a = app(t).await;
    let before = a.rows().await;
    let (token, cookie) = a.csrf("/register").await;
    let register = [
        ("csrf", token.as_str()),
        ("email", "nul@example.jp"),
        ("phone", "+819055550000"),
        ("password", PASSWORD),
        ("legal_name", "Nul\u{0}Test"),
        ("date_of_birth", "1990-01-01"),
    ];
    let sign_in = [("csrf", token.as_str()), ("email", "nul\u{0}@example.jp"), ("password", PASSWORD)];
    for (page, form) in [("/register", &register[..]), ("/login", &sign_in[..])] {
        let resp = a.client.post(format!("{}{page}", a.url)).header("cookie", &cookie).form(form).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{page}");
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/html"), "{page}: {content_type}");
        assert!(resp.text().await.unwrap().contains("NUL"), "{page}");
    }
    assert_eq!(a.rows().await, before, "nothing was stored");
});

on_both!(an_idn_address_is_stored_in_ascii_and_invisible_characters_are_refused, |t: TestDb| async move {
    let a = app(t).await;
    let before = a.rows().await;
    for (field, value, code) in [
        ("email", "taro@exa\u{200b}mple.jp", "email_invalid"),
        ("email", "\u{feff}taro@example.jp", "email_invalid"),
        ("email", "taro@exa\u{ad}mple.jp", "email_invalid"),
        ("email", "<taro>@example.jp", "email_invalid"),
        ("legal_name", "Yamada\u{200d}Taro", "legal_name_invalid"),
        ("legal_name", "\u{202e}oraT adamaY", "legal_name_invalid"),
        ("legal_name", "\u{3164}", "legal_name_invalid"),
    ] {
        let mut body = registration("hanako@example.jp", "Yamada Hanako");
        body[field] = json!(value);
        let (status, answer) = a.send("POST", "/v1/registrations", Some(&body.to_string())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field} {value:?}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{field} {value:?}: {answer}");
    }
    assert_eq!(a.rows().await, before, "nothing was stored");

    // Typed in Unicode, stored and written to in ASCII; either spelling signs in.
    let body = registration("Taro@例え.JP", "山田　太郎");
    let (status, answer) = a.send("POST", "/v1/registrations", Some(&body.to_string())).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let stored = "taro@xn--r8jz45g.jp";
    let email_code = a.code_for(stored).await;
    let sms_code = a.code_for("+819012345678").await;
    let verify =
        json!({ "registration_id": answer["registration_id"], "email_code": email_code, "sms_code": sms_code });
    let (status, session) = a.send("POST", "/v1/registrations/verification", Some(&verify.to_string())).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let me = a
        .client
        .get(format!("{}/v1/me", a.url))
        .bearer_auth(session["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(me["email"], stored);
    assert_eq!(me["legal_name"], "山田 太郎", "the full-width space is one plain space");
    for spelling in ["taro@例え.jp", stored] {
        let sign_in = json!({ "email": spelling, "password": PASSWORD });
        let (status, answer) = a.send("POST", "/v1/sessions", Some(&sign_in.to_string())).await;
        assert_eq!(status, StatusCode::OK, "{spelling}: {answer}");
    }
});
