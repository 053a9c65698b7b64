//! The register-and-enrol flow through the real pages, in headless Chromium driven over the
//! W3C WebDriver protocol (Debian's chromium and chromium-driver; `.ci/run` installs them).

mod common;

use std::time::Duration;

use common::Server;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Just enough of WebDriver: open pages, fill fields, click, read text.
struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    _driver: std::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Option<Browser> {
        let chromium =
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| std::path::Path::new(p).exists());
        let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            // CI sets ANSHIN_REQUIRE_BROWSER so this test can never vanish silently there.
            assert!(
                std::env::var_os("ANSHIN_REQUIRE_BROWSER").is_none(),
                "chromium and chromium-driver are required here"
            );
            eprintln!("SKIPPING browser test: install chromium and chromium-driver");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=420,900", format!("--user-data-dir={}", profile.path().display())]
        }}}});
        let created: Value =
            http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_owned();
        Some(Browser { http, base, session, _driver: child, _profile: profile })
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.http.request(method.clone(), url);
        let request = if method == reqwest::Method::GET { request } else { request.json(&body) };
        let resp: Value = request.send().await.unwrap().json().await.unwrap();
        if resp["value"].get("error").is_some() {
            let src = self
                .http
                .get(format!("{}/session/{}/source", self.base, self.session))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap_or_default();
            panic!("WebDriver {path}: {resp}\npage: {}", src.chars().take(3000).collect::<String>());
        }
        resp["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", json!({ "url": url })).await;
    }

    async fn find(&self, css: &str) -> String {
        for _ in 0..50 {
            let url = format!("{}/session/{}/element", self.base, self.session);
            let resp: Value = self
                .http
                .post(url)
                .json(&json!({ "using": "css selector", "value": css }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(id) = resp["value"][ELEMENT].as_str() {
                return id.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let url = format!("{}/session/{}/element", self.base, self.session);
        let last: Value = self
            .http
            .post(url)
            .json(&json!({ "using": "css selector", "value": css }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        panic!("no element {css}: {last}; page: {}", self.source().await);
    }

    async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{el}/clear"), json!({})).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{el}/value"), json!({ "text": text })).await;
    }

    async fn click(&self, css: &str) {
        for _ in 0..50 {
            let el = self.find(css).await;
            let url = format!("{}/session/{}/element/{el}/click", self.base, self.session);
            let resp: Value = self.http.post(url).json(&json!({})).send().await.unwrap().json().await.unwrap();
            if resp["value"].get("error").is_none() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await; // stale after a reload: look again
        }
        panic!("{css} could not be clicked");
    }

    /// The element's text. A page that reloads under us (after a script's action) makes the
    /// element stale: look it up again.
    async fn text(&self, css: &str) -> String {
        for _ in 0..50 {
            let el = self.find(css).await;
            let url = format!("{}/session/{}/element/{el}/text", self.base, self.session);
            let resp: Value = self.http.get(url).send().await.unwrap().json().await.unwrap();
            if resp["value"].get("error").is_none() {
                return resp["value"].as_str().unwrap_or("").to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the text of {css} could not be read");
    }

    /// Wait until the page (after a form post) shows `needle` in `css`.
    async fn wait_for_text(&self, css: &str, needle: &str) {
        for _ in 0..50 {
            if self.source().await.contains(needle) {
                let _ = self.text(css).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{needle:?} never appeared in {css}");
    }

    async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", Value::Null).await.as_str().unwrap_or("").to_owned()
    }

    async fn screenshot(&self, name: &str) {
        use base64_like::decode;
        let png = self.cmd(reqwest::Method::GET, "/screenshot", Value::Null).await;
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), decode(png.as_str().unwrap_or(""))).unwrap();
    }

    async fn quit(&self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
    }
}

/// A small standard-base64 decoder for screenshots (no extra dependency for a test aid).
mod base64_like {
    pub fn decode(s: &str) -> Vec<u8> {
        let val = |c: u8| -> Option<u32> {
            Some(match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            } as u32)
        };
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0);
        for v in s.bytes().filter_map(val) {
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }
}

async fn newest_code(server: &str, recipient: &str) -> String {
    code_since(server, recipient, 0).await
}

/// The code in the newest message to `recipient` with a mailbox id above `since_id`: waits for a
/// message the last action caused, not an older one still at the top.
async fn code_since(server: &str, recipient: &str, since_id: i64) -> String {
    for _ in 0..100 {
        let list: Value =
            reqwest::get(format!("{server}/v1/dev/mailbox?recipient={}&limit=1", recipient.replace('+', "%2B")))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        if let (Some(id), Some(body)) = (list[0]["id"].as_i64(), list[0]["body"].as_str()) {
            let code = body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6);
            if let (true, Some(code)) = (id > since_id, code) {
                return code.to_owned();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no new code reached {recipient}");
}

/// The newest mailbox id, to wait for messages after it.
async fn last_mail_id(server: &str) -> i64 {
    let list: Value = reqwest::get(format!("{server}/v1/dev/mailbox?limit=1")).await.unwrap().json().await.unwrap();
    list[0]["id"].as_i64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_enrol_through_the_real_pages() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &["--data-dir", dir.path().to_str().unwrap(), "--listen", "127.0.0.1:0", "--outbox-poll-ms", "50"],
        &[],
    );
    let (email, phone) = ("browser@example.jp", "+819012345670");

    browser.goto(&format!("{}/register", server.url)).await;
    browser.fill("#email", email).await;
    browser.fill("#phone", phone).await;
    browser.fill("#legal_name", "Yamada Hanako").await;
    // A date input takes the date as typed in the browser's locale order; set its value directly instead.
    let dob = browser.find("#date_of_birth").await;
    browser
        .cmd(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": "arguments[0].value = '1991-07-07';", "args": [{ ELEMENT: dob }] }),
        )
        .await;
    browser.fill("#password", "password1").await;
    browser.click("#register").await;
    let error = browser.text("p.error").await;
    assert!(error.contains("common password"), "a common password is refused on the page: {error}");
    browser.fill("#password", "quiet river lantern 58").await;
    browser.click("#register").await;

    browser.fill("#email_code", &newest_code(&server.url, email).await).await;
    browser.fill("#sms_code", &newest_code(&server.url, phone).await).await;
    browser.screenshot("verify").await;
    browser.click("#verify").await;

    assert_eq!(browser.text("#account-email").await, email);
    assert_eq!(browser.text("#factors").await.trim(), "sms");
    browser.click("#add-totp").await;
    let secret = browser.text("#totp-secret").await;
    assert!(browser.source().await.contains("<svg"), "a QR code is shown");
    browser.screenshot("totp").await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    browser.fill("#code", &anshin::identity::totp::code_from_base32(&secret, now).unwrap()).await;
    browser.click("#confirm-totp").await;
    let codes = browser.text("#recovery-codes").await;
    assert_eq!(codes.lines().filter(|l| !l.trim().is_empty()).count(), 10, "{codes}");
    browser.screenshot("recovery-codes").await;

    browser.goto(&format!("{}/wallet/security", server.url)).await;
    let factors = browser.text("#factors").await;
    assert!(factors.contains("totp") && factors.contains("recovery_code"), "{factors}");

    // Sign out, then sign in again through the sign-in pages with the app.
    browser.click("#sessions-link").await;
    browser.click("#sign-out").await;
    browser.fill("#email", email).await;
    browser.fill("#password", "quiet river lantern 58").await;
    browser.click("#sign-in").await;
    // The code used to confirm the app is spent; the app's next code works (one step of drift).
    browser.fill("#code", &anshin::identity::totp::code_from_base32(&secret, now + 30).unwrap()).await;
    browser.click("#confirm").await;
    assert_eq!(browser.text("#account-email").await, email, "signed in again");
    browser.screenshot("signed-in-again").await;

    // A fresh factor (a recovery code), then a new e-mail address confirmed with a code sent to it.
    browser.click("#step-up-link").await;
    browser.click("#factor option[value=recovery_code]").await;
    let recovery = codes.lines().map(str::trim).find(|l| !l.is_empty()).unwrap().to_owned();
    browser.fill("#code", &recovery).await;
    browser.click("#confirm").await;
    browser.wait_for_text("h1", "Account security").await;
    let new_email = "browser.new@example.jp";
    browser.fill("#value", new_email).await;
    browser.click("#change-contact").await;
    browser.fill("#code", &newest_code(&server.url, new_email).await).await;
    browser.click("#confirm-contact").await;
    assert!(browser.text("#done").await.contains("72 hours"));
    let email = new_email;
    browser.goto(&format!("{}/wallet/security", server.url)).await;

    // Change the password on the security page: every session ends.
    browser.fill("#current_password", "quiet river lantern 58").await;
    browser.fill("#new_password", "harbor kite meadow 31").await;
    browser.click("#change-password").await;
    assert!(browser.text("#done").await.contains("password was changed"));
    browser.goto(&format!("{}/wallet/security", server.url)).await;
    assert!(browser.source().await.contains("Please sign in"), "signed out everywhere");

    // Forgot the password: reset through the pages with the e-mailed key and an SMS code.
    browser.goto(&format!("{}/login", server.url)).await;
    browser.click("#forgot").await;
    browser.wait_for_text("h1", "Reset your password").await;
    browser.fill("#email", email).await;
    browser.click("#request-reset").await;
    let key = newest_mail_line(&server.url, email, |l| l.len() == 64 && l.bytes().all(|b| b.is_ascii_hexdigit())).await;
    browser.fill("#sms_token", &key).await;
    let before = last_mail_id(&server.url).await;
    browser.click("#send-reset-sms").await;
    browser.wait_for_text("p[role=status]", "We sent a code").await;
    browser.fill("#code", &code_since(&server.url, phone, before).await).await;
    browser.fill("#new_password", "amber tide compass 64").await;
    browser.click("#reset").await;
    assert!(browser.text("#done").await.contains("password was changed"));
    browser.quit().await;
}

async fn newest_mail_line(server: &str, recipient: &str, wanted: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        let list: Value = reqwest::get(format!("{server}/v1/dev/mailbox?recipient={recipient}&limit=1"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(line) = list[0]["body"].as_str().and_then(|b| b.lines().map(str::trim).find(|l| wanted(l))) {
            return line.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no matching mail reached {recipient}");
}

/// The first operator: created from the command line, signs in through the pages, must set up an
/// authenticator app before anything else, then reaches the ops console.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_operator_enrols_and_reaches_the_ops_console() {
    let Some(browser) = Browser::start().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let out = std::process::Command::new(common::anshin_bin())
        .args(["--data-dir", data_dir, "admin", "create-operator", "--email", "ops@example.jp", "--name", "Ops One"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let password = stdout.lines().find_map(|l| l.strip_prefix("initial password (shown once): ")).unwrap().to_owned();
    let server = Server::start(&["--data-dir", data_dir, "--listen", "127.0.0.1:0"], &[]);

    browser.goto(&format!("{}/ops", server.url)).await;
    assert!(browser.source().await.contains("Please sign in"), "the console needs a session");
    browser.goto(&format!("{}/login", server.url)).await;
    browser.fill("#email", "ops@example.jp").await;
    browser.fill("#password", &password).await;
    browser.click("#sign-in").await;
    // Straight to setting up a factor; the console stays closed until then.
    browser.click("#add-totp").await;
    let secret = browser.text("#totp-secret").await;
    browser.goto(&format!("{}/ops", server.url)).await;
    assert!(browser.source().await.contains("Set up a second factor first"));
    browser.goto(&format!("{}/wallet/security", server.url)).await;
    browser.click("#add-totp").await;
    let secret2 = browser.text("#totp-secret").await;
    assert_ne!(secret, secret2, "a new enrolment replaces the pending one");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    browser.fill("#code", &anshin::identity::totp::code_from_base32(&secret2, now).unwrap()).await;
    browser.click("#confirm-totp").await;
    browser.text("#recovery-codes").await;
    browser.goto(&format!("{}/ops", server.url)).await;
    assert_eq!(browser.text("#role").await, "admin");
    assert!(browser.text("#audit-status").await.starts_with("Intact"), "{}", browser.source().await);
    browser.screenshot("ops-console").await;
    browser.quit().await;
}

/// Passkeys through the pages, with Chromium's virtual authenticator standing in for the phone's
/// or computer's built-in one: add a passkey, sign out, sign in with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkeys_through_the_pages_with_a_virtual_authenticator() {
    let Some(browser) = Browser::start().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &["--data-dir", dir.path().to_str().unwrap(), "--listen", "127.0.0.1:0", "--outbox-poll-ms", "50"],
        &[],
    );
    // WebAuthn binds passkeys to a domain name: use localhost, as the server's public URL does.
    let site = server.url.replace("127.0.0.1", "localhost");
    let (email, phone) = ("passkey@example.jp", "+819012345671");
    browser.goto(&format!("{site}/register")).await;
    browser.fill("#email", email).await;
    browser.fill("#phone", phone).await;
    browser.fill("#legal_name", "Suzuki Ichiro").await;
    let dob = browser.find("#date_of_birth").await;
    browser
        .cmd(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": "arguments[0].value = '1985-03-03';", "args": [{ ELEMENT: dob }] }),
        )
        .await;
    browser.fill("#password", "silver lantern orchard 12").await;
    browser.click("#register").await;
    browser.fill("#email_code", &newest_code(&server.url, email).await).await;
    browser.fill("#sms_code", &newest_code(&server.url, phone).await).await;
    browser.click("#verify").await;
    assert_eq!(browser.text("#account-email").await, email);

    let authenticator = json!({ "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
                                "hasUserVerification": true, "isUserVerified": true });
    browser.cmd(reqwest::Method::POST, "/webauthn/authenticator", authenticator).await;
    browser.click("#add-passkey").await;
    for _ in 0..50 {
        if browser.text("#factors").await.contains("passkey") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let factors = browser.text("#factors").await;
    assert!(factors.contains("passkey"), "{factors} / {}", browser.text("#passkey-status").await);

    browser.click("#sessions-link").await;
    browser.click("#sign-out").await;
    browser.fill("#email", email).await;
    browser.fill("#password", "silver lantern orchard 12").await;
    browser.click("#sign-in").await;
    browser.click("#use-passkey").await;
    assert_eq!(browser.text("#account-email").await, email, "signed in with the passkey");
    browser.screenshot("passkey-signed-in").await;
    browser.quit().await;
}
