//! The web wallet's payment pages over real HTTP, on SQLite and PostgreSQL, without a browser:
//! balances and the customer's own payments (never another's), a payment's page with its
//! confirmation number, the page endpoint that provisions a device key (CSRF-checked, never
//! cached), and a challenged payment confirmed through a step-up bound to it, or canceled, from
//! the pages. The browser side (the key kept non-extractable, codes made in the page) is in
//! tests/browser.rs.

mod common;

use anshin::payments::codes;
use common::TestDb;
use common::identity_app::*;
use common::page_client::*;
use common::pay_app::*;
use reqwest::StatusCode;
use serde_json::Value;

/// The script's call: the CSRF token in `X-CSRF-Token`, no body.
async fn script_post(a: &App, path: &str, session: &str, csrf_cookie: Option<&str>, header: &str) -> Answer {
    let mut cookie = format!("__Host-anshin_session={session}");
    if let Some(c) = csrf_cookie {
        cookie.push_str(&format!("; __Host-anshin_csrf={c}"));
    }
    let resp = browser()
        .post(format!("{}{path}", a.url))
        .header("cookie", cookie)
        .header("x-csrf-token", header)
        .send()
        .await
        .unwrap();
    answer(resp).await
}

/// The value of the first `name="…" value="…"` hidden field in a page.
fn field(body: &str, name: &str) -> String {
    let at = body.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no field {name}: {body}"));
    let rest = &body[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn session_cookie(set_cookie: &[String]) -> String {
    let c = set_cookie.iter().find(|c| c.starts_with("__Host-anshin_session=")).expect("a new session cookie");
    c["__Host-anshin_session=".len()..c.find(';').unwrap()].to_owned()
}

async fn pay(a: &App, shop: &Shop, w: &Wallet, counter: i64, amount: i64) -> Value {
    let (status, paid) =
        charge(a, shop, &codes::encode_digits(&w.secret, w.number, counter, common::pay_app::now_secs()), amount).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    paid
}

/// As stored (the session's token changes at the step-up).
async fn status_of(a: &App, id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM payments WHERE id = $1")
        .bind(id)
        .fetch_one(a.t.db.read_pool())
        .await
        .unwrap()
}

on_both!(the_wallet_shows_its_balances_and_only_its_own_payments_newest_first, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let w = wallet(&a, "hanako@example.jp", "+819020000201", 10_000, 300).await;
    let other = wallet(&a, "taro@example.jp", "+819020000202", 5_000, 0).await;
    let first = pay(&a, &shop, &w, 1, 1_234).await;
    let second = pay(&a, &shop, &w, 2, 500).await;
    let theirs = pay(&a, &shop, &other, 1, 777).await;
    let (first_id, second_id, their_id) =
        (first["id"].as_str().unwrap(), second["id"].as_str().unwrap(), theirs["id"].as_str().unwrap());

    let home = page(&a, "/wallet", &w.token).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    // 10,000 + 300 - 1,234 - 500: points went first.
    assert!(home.body.contains("id=\"balance-total\">¥8,566<"), "{}", home.body);
    assert!(home.body.contains("id=\"balance-points\">¥0<"), "{}", home.body);
    assert!(home.body.contains("id=\"balance-money\">¥8,566<"), "{}", home.body);
    let (at_first, at_second) = (home.body.find(first_id).unwrap(), home.body.find(second_id).unwrap());
    assert!(at_second < at_first, "newest first");
    assert!(home.body.contains("¥1,234") && home.body.contains("Kappa 本店"), "{}", home.body);
    assert!(!home.body.contains(their_id), "another customer's payment is not listed");
    assert!(!home.body.contains("<script"), "the home page needs no script");

    // A payment's page: the registered names, amount, status, Japan time and the confirmation number.
    let (_, json_view) = a.get(&format!("/v1/me/payments/{first_id}"), &w.token).await;
    let detail = page(&a, &format!("/wallet/payments/{first_id}"), &w.token).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    let code = first["confirmation_code"].as_str().unwrap();
    assert!(detail.body.contains(&format!("id=\"confirmation-code\" lang=\"en\">{code}<")));
    assert!(detail.body.contains(json_view["merchant_name"].as_str().unwrap()), "{}", detail.body);
    assert!(detail.body.contains("id=\"store-name\">Kappa 本店<"), "{}", detail.body);
    assert!(detail.body.contains("id=\"amount\">¥1,234<") && detail.body.contains(">Paid<"));
    assert!(detail.body.contains(" JST<"), "the time is Japan's: {}", detail.body);
    assert!(!detail.body.contains("cancel-payment"), "a paid payment offers no decision");
    // Another customer's payment is not found, the same as one that never was.
    for id in [their_id, "pay_nothing"] {
        let got = page(&a, &format!("/wallet/payments/{id}"), &w.token).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{id}: {}", got.body);
        assert!(!got.body.contains("777"), "nothing of it shows");
    }
    // Signed out: the pages say so.
    assert_eq!(page(&a, "/wallet", "nope").await.status, StatusCode::UNAUTHORIZED);

    // The same list as JSON, with the cursor.
    let (status, list) = a.get("/v1/me/payments", &w.token).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [second_id, first_id]);
    assert_eq!(list[0]["store_name"], "Kappa 本店");
    assert!(list[0].get("customer_user_id").is_none());
    let next = format!(
        "/v1/me/payments?limit=1&before_ms={}&before_id={}",
        list[0]["created_at_ms"].as_i64().unwrap(),
        second_id
    );
    let (status, rest) = a.get(&next, &w.token).await;
    assert_eq!(status, StatusCode::OK, "{rest}");
    assert_eq!(rest.as_array().unwrap().len(), 1);
    assert_eq!(rest[0]["id"], first_id);
    for bad in ["limit=0", "limit=101", "before_ms=0", "colour=red"] {
        let (status, e) = a.get(&format!("/v1/me/payments?{bad}"), &w.token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    assert_books_sound(&a).await;
});

on_both!(the_pay_page_provisions_a_device_key_only_with_its_csrf_token_and_never_caches_it, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Lambda").await;
    let w = wallet(&a, "jiro@example.jp", "+819020000203", 3_000, 0).await;
    // A fresh session of the same person: its page has no device key yet.
    let session = a.sign_in_by_sms("jiro@example.jp", PASSWORD, "+819020000203").await;
    let session = session["token"].as_str().unwrap().to_owned();

    let pay_page = page(&a, "/wallet/pay", &session).await;
    assert_eq!(pay_page.status, StatusCode::OK, "{}", pay_page.body);
    assert!(pay_page.body.contains("data-device=\"\""), "{}", pay_page.body);
    assert!(pay_page.body.contains("<script src=\"/static/wallet-pay.js\" defer>"));
    assert!(!pay_page.body.contains("<script>") && !pay_page.body.contains("style="), "CSP-clean");
    let devices = "SELECT COUNT(*) FROM payment_devices";
    let before = a.count(devices).await;
    for (cookie, header) in [(None, CSRF), (Some(OTHER_CSRF), CSRF), (Some(CSRF), "")] {
        let got = script_post(&a, "/wallet/pay/device", &session, cookie, header).await;
        assert_eq!(got.status, StatusCode::FORBIDDEN, "{cookie:?}/{header}: {}", got.body);
    }
    assert_eq!(a.count(devices).await, before, "a refused call makes no key");

    let got = script_post(&a, "/wallet/pay/device", &session, Some(CSRF), CSRF).await;
    assert_eq!(got.status, StatusCode::CREATED, "{}", got.body);
    assert_eq!(got.cache_control, "no-store");
    let device: Value = serde_json::from_str(&got.body).unwrap();
    let number = device["device_number"].as_i64().unwrap();
    assert_ne!(number, w.number);
    use base64::Engine;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(device["secret"].as_str().unwrap()).unwrap();
    assert_eq!(secret.len(), 32);
    // The page now names this session's key, and so does the script's check.
    assert!(page(&a, "/wallet/pay", &session).await.body.contains(&format!("data-device=\"{number}\"")));
    let status = page(&a, "/wallet/pay/device", &session).await;
    assert_eq!(serde_json::from_str::<Value>(&status.body).unwrap()["device_number"], number);
    // Its codes pay; the other session's key is its own.
    let (code, paid) =
        charge(&a, &shop, &codes::encode_digits(&secret, number, 1, common::pay_app::now_secs()), 1_000).await;
    assert_eq!((code, paid["status"].as_str()), (StatusCode::CREATED, Some("succeeded")), "{paid}");

    // Setting up again replaces the key: the old one is dead, and the check says so.
    let again = script_post(&a, "/wallet/pay/device", &session, Some(CSRF), CSRF).await;
    let renewed: Value = serde_json::from_str(&again.body).unwrap();
    let status = page(&a, "/wallet/pay/device", &session).await;
    assert_eq!(serde_json::from_str::<Value>(&status.body).unwrap()["device_number"], renewed["device_number"]);
    let (code, e) =
        charge(&a, &shop, &codes::encode_digits(&secret, number, 2, common::pay_app::now_secs()), 1_000).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "the replaced key's codes no longer work: {e}");
    // Signed out: the check answers 401, which the script reads as "no longer works".
    let ended = page(&a, "/wallet/pay/device", "nope").await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED, "{}", ended.body);

    // The scripts are served by the binary, the QR encoder with its licence noted.
    let script = browser().get(format!("{}/static/wallet-pay.js", a.url)).send().await.unwrap();
    assert!(script.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(
        script.text().await.unwrap().contains("importKey(\"raw\", raw, { name: \"HMAC\", hash: \"SHA-256\" }, false")
    );
    let encoder = browser().get(format!("{}/static/vendor/qrcode.js", a.url)).send().await.unwrap();
    assert!(encoder.text().await.unwrap().contains("Licensed under the MIT license"));
    assert_books_sound(&a).await;
});

on_both!(a_challenged_payment_is_confirmed_or_canceled_from_the_pages, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Mu").await;
    let w = wallet(&a, "large@example.jp", "+819020000204", 200_000, 0).await;
    let first = pay(&a, &shop, &w, 1, 60_000).await;
    let second = pay(&a, &shop, &w, 2, 70_000).await;
    let (first, second) = (first["id"].as_str().unwrap().to_owned(), second["id"].as_str().unwrap().to_owned());
    assert_eq!(status_of(&a, &first).await, "requires_confirmation");

    let detail = page(&a, &format!("/wallet/payments/{first}"), &w.token).await;
    assert!(detail.body.contains("id=\"confirm-payment\"") && detail.body.contains("id=\"cancel-payment\""));
    assert!(detail.body.contains(">Waiting for your confirmation<"), "{}", detail.body);

    // Without the CSRF token nothing moves; without a step-up, confirming goes to the step-up.
    for cookie in [None, Some(OTHER_CSRF)] {
        for action in ["confirm", "cancel"] {
            let got = post(&a, &format!("/wallet/payments/{first}/{action}"), &w.token, cookie, &[]).await;
            assert_eq!(got.status, StatusCode::FORBIDDEN, "{action} {cookie:?}: {}", got.body);
        }
    }
    let got = post(&a, &format!("/wallet/payments/{first}/confirm"), &w.token, Some(CSRF), &[]).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    assert_eq!(got.location, format!("/wallet/step-up?action=confirm_payment&payment={first}"));
    assert_eq!(status_of(&a, &first).await, "requires_confirmation");

    // The step-up, started for this payment: the challenge is bound to it.
    let form = page(&a, &got.location, &w.token).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert_eq!(field(&form.body, "payment"), first);
    assert!(form.body.contains("id=\"amount\">¥60,000<") && form.body.contains("id=\"store-name\">Mu 本店<"));
    // No step-up for a payment that is not named, or not this customer's: no unbound factor.
    let nosy = a.register("peek@example.jp", "+819020000206").await;
    assert_eq!(page(&a, "/wallet/step-up?action=confirm_payment", &w.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page(&a, &got.location, &nosy.token).await.status, StatusCode::NOT_FOUND);
    for (session, payment) in [(&w.token, ""), (&nosy.token, first.as_str())] {
        let fields = [("action", "confirm_payment"), ("payment", payment)];
        let refused = post(&a, "/wallet/step-up", session, Some(CSRF), &fields).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{payment}: {}", refused.body);
    }
    let fields = [("action", "confirm_payment"), ("payment", first.as_str())];
    let factor = post(&a, "/wallet/step-up", &w.token, Some(CSRF), &fields).await;
    assert_eq!(factor.status, StatusCode::OK, "{}", factor.body);
    let challenge = field(&factor.body, "challenge_id");
    let fields = [("challenge_id", challenge.as_str()), ("factor", "recovery_code"), ("code", &w.recovery_codes[0])];
    let verified = post(&a, "/wallet/step-up/verify", &w.token, Some(CSRF), &fields).await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.body);
    assert_eq!(verified.location, "/wallet/payments?confirmed=confirm_payment");
    let token = session_cookie(&verified.set_cookie);
    // Two payments wait: the page lists both; the step-up confirmed only the first.
    let waiting = page(&a, &verified.location, &token).await;
    assert!(waiting.body.contains(&first) && waiting.body.contains(&second), "{}", waiting.body);
    let got = post(&a, &format!("/wallet/payments/{second}/confirm"), &token, Some(CSRF), &[]).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "a factor for the first never confirms the second");
    assert_eq!(status_of(&a, &second).await, "requires_confirmation");
    let done = post(&a, &format!("/wallet/payments/{first}/confirm"), &token, Some(CSRF), &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("The payment is made"), "{}", done.body);
    assert_eq!(status_of(&a, &first).await, "succeeded");

    // Another customer can neither see nor cancel the second; its customer cancels it.
    let got = post(&a, &format!("/wallet/payments/{second}/cancel"), &nosy.token, Some(CSRF), &[]).await;
    assert_eq!(got.status, StatusCode::NOT_FOUND, "{}", got.body);
    let canceled = post(&a, &format!("/wallet/payments/{second}/cancel"), &token, Some(CSRF), &[]).await;
    assert_eq!(canceled.status, StatusCode::OK, "{}", canceled.body);
    assert!(canceled.body.contains("money is back in your wallet"), "{}", canceled.body);
    assert_eq!(status_of(&a, &second).await, "canceled");
    // The same decision again answers the same; another one finds it decided.
    let again = post(&a, &format!("/wallet/payments/{second}/cancel"), &token, Some(CSRF), &[]).await;
    assert!(again.body.contains("money is back in your wallet"), "{}", again.body);
    let other_way = post(&a, &format!("/wallet/payments/{second}/confirm"), &token, Some(CSRF), &[]).await;
    assert_eq!(other_way.status, StatusCode::CONFLICT, "{}", other_way.body);
    assert!(other_way.body.contains("no longer waits"), "{}", other_way.body);
    assert_eq!(status_of(&a, &second).await, "canceled");
    let (_, balances) = a.get("/v1/me/balances", &token).await;
    assert_eq!(balances["total_minor"], 140_000, "{balances}");
    assert_books_sound(&a).await;
});
