//! Languages over real loopback HTTP, on SQLite and PostgreSQL: pages in Japanese by default,
//! in English on request, the switch remembered; API error messages in the caller's language
//! with `type` and `code` unchanged; every page styled by our one stylesheet and nothing inline.

mod common;

use anshin::identity::IdentityConfig;
use anshin::merchants::NewMerchant;
use anshin::merchants::stores::NewStaff;
use anshin::notify::{self, OutboxWorker, Transport};
use common::TestDb;
use common::identity_app;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct App {
    url: String,
    /// The whole service, with its flows for setting up operators and merchants.
    full: identity_app::App,
    client: reqwest::Client,
}

async fn app(t: TestDb) -> App {
    let full = identity_app::app(t, IdentityConfig::default()).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    App { url: full.url.clone(), full, client }
}

impl App {
    /// A page's status and HTML, sent with these extra headers.
    async fn page(&self, path: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
        let mut r = self.client.get(format!("{}{path}", self.url));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    async fn post_json(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut r = self.client.post(format!("{}{path}", self.url)).json(&body);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().await.unwrap();
        (resp.status(), resp.json().await.unwrap_or(Value::Null))
    }

    async fn code_for(&self, recipient: &str) -> String {
        let db = &self.full.t.db;
        let worker = OutboxWorker::new(db.clone(), Transport::dev_mailbox(db.clone()), Default::default());
        worker.run_once().await.unwrap();
        let body = notify::mailbox(db, Some(recipient), 1).await.unwrap().remove(0).body;
        body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_owned()
    }

    /// Register through the API; the session token also works as the pages' session cookie.
    async fn registered(&self, email: &str, phone: &str) -> String {
        let input = json!({ "email": email, "phone": phone, "password": "lantern harbour velvet 42",
                            "legal_name": "Yamada Taro", "date_of_birth": "1990-04-15" });
        let (status, started) = self.post_json("/v1/registrations", input, &[]).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let codes = json!({ "registration_id": started["registration_id"], "email_code": self.code_for(email).await,
            "sms_code": self.code_for(phone).await });
        let (status, body) = self.post_json("/v1/registrations/verification", codes, &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }
}

fn html_lang(page: &str) -> &str {
    page.split("<html lang=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("")
}

on_both!(pages_speak_japanese_by_default_english_on_request_and_remember_the_switch, |t: TestDb| async move {
    let a = app(t).await;
    let (status, page) = a.page("/login", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html_lang(&page), "ja", "Japanese when the browser says nothing");
    assert!(page.contains("<h1>ログイン</h1>"), "{page}");
    let (_, page) = a.page("/login", &[("accept-language", "en-US,en;q=0.9")]).await;
    assert_eq!(html_lang(&page), "en");
    assert!(page.contains("<h1>Sign in</h1>"), "{page}");
    let (_, page) = a.page("/login", &[("accept-language", "fr-FR, ja;q=0.5")]).await;
    assert_eq!(html_lang(&page), "ja", "the first language we speak");

    // The switch is a plain link on the page that returns to it.
    assert!(page.contains("href=\"/lang/en?next=%2Flogin\""), "{page}");
    let resp = a.client.get(format!("{}/lang/en?next=%2Flogin", a.url)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/login");
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["__Host-anshin_lang=en", "Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age="] {
        assert!(set_cookie.contains(attribute), "{attribute} missing from {set_cookie}");
    }
    // Remembered: the choice wins over the browser's languages.
    let (_, page) = a.page("/register", &[("cookie", "__Host-anshin_lang=en"), ("accept-language", "ja")]).await;
    assert_eq!(html_lang(&page), "en");
    assert!(page.contains("Create your wallet"));
    let (_, page) = a.page("/register", &[("cookie", "__Host-anshin_lang=ja"), ("accept-language", "en")]).await;
    assert!(page.contains("ウォレットを作成する"));
    // A forged cookie value is ignored, and the switch never sends anyone to another site.
    let (_, page) = a.page("/login", &[("cookie", "__Host-anshin_lang=xx"), ("accept-language", "en")]).await;
    assert_eq!(html_lang(&page), "en");
    for next in ["//evil.example/", "https://evil.example/", "/%5Cevil.example"] {
        let resp = a.client.get(format!("{}/lang/ja?next={}", a.url, next.replace('/', "%2F"))).send().await.unwrap();
        assert_eq!(resp.headers()["location"], "/", "{next}");
    }
    assert_eq!(a.client.get(format!("{}/lang/fr", a.url)).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // A page that answers a form returns, after switching, to the start of its flow.
    let (status, page) = a.page("/wallet/security", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("ログインしてください") && page.contains("href=\"/login\""), "{page}");
});

on_both!(api_errors_speak_the_callers_language_with_type_and_code_unchanged, |t: TestDb| async move {
    let a = app(t).await;
    let bad = json!({ "email": "not-an-address", "phone": "+819012345678", "password": "lantern harbour velvet 42",
                      "legal_name": "Yamada Taro", "date_of_birth": "1990-04-15" });
    let (status, en) = a.post_json("/v1/registrations", bad.clone(), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, ja) = a.post_json("/v1/registrations", bad, &[("accept-language", "ja-JP,ja;q=0.9")]).await;
    assert_eq!(en["error"]["code"], "email_invalid");
    assert_eq!(ja["error"]["code"], en["error"]["code"], "codes never change");
    assert_eq!(ja["error"]["type"], en["error"]["type"], "types never change");
    assert_eq!(ja["error"]["param"], en["error"]["param"]);
    assert_eq!(en["error"]["message"], "enter a valid e-mail address", "English by default, as written");
    assert!(ja["error"]["message"].as_str().unwrap().contains("メールアドレス"), "{ja}");

    // Errors made outside the handlers (the router's 404 and 405) speak it too.
    let resp = a.client.get(format!("{}/v1/nothing-here", a.url)).header("accept-language", "ja").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "resource_missing");
    assert_eq!(body["error"]["message"], "指定されたものが見つかりません。");
    let resp = a.client.delete(format!("{}/healthz", a.url)).header("accept-language", "ja").send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    assert!(body["error"]["message"].as_str().unwrap().contains("HTTPメソッド"), "{body}");

    // Numbers in a message survive translation.
    let email = "tanaka@example.jp";
    let _ = a.registered(email, "+819012345679").await;
    let (_, challenge) =
        a.post_json("/v1/sessions", json!({ "email": email, "password": "lantern harbour velvet 42" }), &[]).await;
    let id = challenge["challenge_id"].as_str().unwrap();
    let path = format!("/v1/sessions/challenges/{id}/sms");
    assert_eq!(a.post_json(&path, json!({}), &[]).await.0, StatusCode::ACCEPTED);
    let wrong = json!({ "factor": "sms", "code": "000000" });
    let (status, body) =
        a.post_json(&format!("/v1/sessions/challenges/{id}"), wrong, &[("accept-language", "ja")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "code_rejected");
    assert_eq!(body["error"]["message"], "コードが正しくありません。あと4回入力できます。");
});

/// An operator or member of staff with a full session: (token, recovery codes).
async fn enrolled(a: &App, email: &str, password: &str) -> (String, Vec<String>) {
    let token = a.full.enrolment_session(email, password).await;
    let (_, codes) = a.full.enrol_totp(&token).await;
    (token, codes)
}

impl App {
    /// A form posted from a page of this site: the session, the CSRF cookie and its token.
    async fn post_form(&self, path: &str, session: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let csrf = "0123456789abcdef0123456789abcdef";
        let form: Vec<(&str, &str)> = fields.iter().copied().chain([("csrf", csrf)]).collect();
        let cookie = format!("__Host-anshin_session={session}; __Host-anshin_csrf={csrf}");
        let resp =
            self.client.post(format!("{}{path}", self.url)).header("cookie", cookie).form(&form).send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    /// The ops console's merchant pages and the merchant portal, with something on each, in both
    /// languages; and the pages that answer their forms (one shows a secret once).
    async fn merchant_pages(&self) -> Vec<(String, String)> {
        let operator = self.full.identity.create_operator("ops@example.jp", "Ops Person", "admin").await.unwrap();
        let (operator, _) = enrolled(self, "ops@example.jp", &operator).await;
        let proposal = json!({ "legal_name": "株式会社ベータ", "legal_name_kana": "カブシキガイシャベータ",
                               "mcc": "5812", "contact_email": "beta@shop.example.jp" });
        assert_eq!(self.full.post("/v1/ops/merchants", proposal, Some(&operator)).await.0, StatusCode::CREATED);
        let new = NewMerchant {
            legal_name: "株式会社アンシン".into(),
            legal_name_kana: "カブシキガイシャアンシン".into(),
            mcc: "5411".into(),
            contact_email: "contact@anshin.example.jp".into(),
            fee_rate_bp: None,
        };
        let merchant = self.full.merchants.create_active(&new).await.unwrap().id;
        let staff =
            NewStaff { email: "owner@anshin.example.jp".into(), legal_name: "Owner".into(), role: "owner".into() };
        let password = self.full.merchants.add_staff_cli(&merchant, &staff).await.unwrap();
        let (owner, codes) = enrolled(self, "owner@anshin.example.jp", &password).await;
        let store = json!({ "name": "渋谷店", "postal_code": "150-0002", "address": "東京都渋谷区渋谷2-1-1" });
        let (status, _) = self.full.post(&format!("/v1/merchants/{merchant}/stores"), store, Some(&owner)).await;
        assert_eq!(status, StatusCode::CREATED);

        let mut pages = Vec::new();
        for (path, session) in [("/ops/merchants", &operator), ("/ops/merchants/new", &operator), ("/merchant", &owner)]
        {
            for lang in ["ja", "en"] {
                let cookie = format!("__Host-anshin_session={session}");
                let (status, page) = self.page(path, &[("accept-language", lang), ("cookie", &cookie)]).await;
                assert_eq!(status, StatusCode::OK, "{path}: {page}");
                pages.push((path.to_owned(), page));
            }
        }
        let proposal = [
            ("legal_name", "株式会社ガンマ"),
            ("legal_name_kana", "カブシキガイシャガンマ"),
            ("mcc", "5812"),
            ("contact_email", "gamma@shop.example.jp"),
            ("fee_rate_bp", "260"),
        ];
        let (status, proposed) = self.post_form("/ops/merchants/new", &operator, &proposal).await;
        assert_eq!(status, StatusCode::OK, "{proposed}");
        pages.push(("/ops/merchants/new (proposed)".into(), proposed));
        let owner = self.full.step_up_by(&owner, "add_staff", "recovery_code", &codes[0]).await;
        let member = [("email", "cashier@anshin.example.jp"), ("legal_name", "Cashier"), ("role", "cashier")];
        let (status, added) = self.post_form("/merchant/staff", &owner, &member).await;
        assert!(status == StatusCode::OK && added.contains("id=\"initial-password\""), "{added}");
        pages.push(("/merchant/staff (added)".into(), added));
        pages
    }
}

on_both!(every_page_uses_our_stylesheet_and_nothing_inline, |t: TestDb| async move {
    let a = app(t).await;
    let token = a.registered("sato@example.jp", "+819012345670").await;
    let session = format!("__Host-anshin_session={token}");
    let mut pages = Vec::new();
    for path in ["/", "/login", "/register", "/reset", "/lock", "/unlock", "/dev/mailbox", "/ops"] {
        for lang in ["ja", "en"] {
            pages.push((path.to_owned(), a.page(path, &[("accept-language", lang)]).await.1));
        }
    }
    for path in ["/wallet/security", "/wallet/sessions"] {
        pages.push((path.to_owned(), a.page(path, &[("cookie", &session)]).await.1));
    }
    pages.extend(a.merchant_pages().await);
    // The authenticator-app page holds the QR code's SVG.
    let form = a.client.get(format!("{}/wallet/security", a.url)).header("cookie", &session).send().await.unwrap();
    let csrf = form.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let token_value = csrf.split_once('=').unwrap().1.to_owned();
    let qr = a
        .client
        .post(format!("{}/wallet/security/totp", a.url))
        .header("cookie", format!("{session}; {csrf}"))
        .form(&[("csrf", token_value.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), StatusCode::OK);
    pages.push(("/wallet/security/totp".into(), qr.text().await.unwrap()));
    assert!(pages.last().unwrap().1.contains("<svg"), "the QR code is on the page");

    let href = pages[0].1.split("rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    for (path, page) in &pages {
        assert!(page.contains(&format!("<link rel=\"stylesheet\" href=\"{href}\">")), "{path} has no stylesheet");
        assert!(!page.contains("<style"), "{path} has a <style> element");
        assert!(!page.contains(" style="), "{path} has a style attribute");
        assert!(page.contains("class=\"lang-switch\""), "{path} has no language switch");
        assert!(page.matches("<h1>").count() == 1, "{path} has not exactly one h1");
    }
    let css = a.client.get(format!("{}{href}", a.url)).send().await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    assert!(css.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let csp = css.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("style-src 'self';") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(css.text().await.unwrap().contains(":focus-visible"), "keyboard focus is styled");
});
