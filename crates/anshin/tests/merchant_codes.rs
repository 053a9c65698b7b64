//! Merchant-presented payments over real HTTP on SQLite and PostgreSQL: a store's static code
//! and a POS's dynamic code, signed by the platform; the wallet scans, sees the **registered**
//! names, confirms and pays through the same path as customer-presented payments. Forged,
//! re-signed, unsigned, foreign, expired, used, suspended-merchant, closed-store and
//! retired-key codes are refused. Each test ends with the ledger and audit chain verified.

mod common;

use anshin::payments::mpm_code::{self, CodeFields};
use base64::Engine;
use common::TestDb;
use common::identity_app::*;
use common::pay_app::now_secs;
use common::pay_app::*;
use emvqr::mpm::{self, Field, Value as MpmValue};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A real PromptPay payload (crates/emvqr golden tests): valid EMVCo, another platform.
const PROMPTPAY: &str = "00020101021129370016A000000677010111011300669245317755802TH54076000.00530376463049B3B";

async fn store_code(a: &App, shop: &Shop) -> String {
    let (status, body) = a.get(&format!("/v1/merchants/{}/stores/{}/qr", shop.id, shop.store), &shop.owner).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["payload"].as_str().unwrap().to_owned()
}

async fn scan(a: &App, token: &str, payload: &str) -> (StatusCode, Value) {
    a.post("/v1/me/scans", json!({ "payload": payload }), Some(token)).await
}

async fn pay(a: &App, token: &str, scan_id: &str, amount: Option<i64>) -> (StatusCode, Value) {
    let body = match amount {
        Some(a) => json!({ "amount_minor": a }),
        None => json!({}),
    };
    a.post(&format!("/v1/me/scans/{scan_id}/payment"), body, Some(token)).await
}

async fn payment_request(a: &App, shop: &Shop, amount: i64) -> Value {
    let body = json!({ "amount_minor": amount, "currency": "JPY", "terminal_id": "till-1", "reference": "order-7" });
    let (status, req) =
        pos_send(a, shop, "POST", "/v1/pos/payment-requests", &body.to_string(), &nonce(), now_secs()).await;
    assert_eq!(status, StatusCode::CREATED, "{req}");
    req
}

async fn pos_read(a: &App, shop: &Shop, path: &str) -> Value {
    let (status, body) = pos_send(a, shop, "GET", path, "", &nonce(), now_secs()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn refused(answer: &(StatusCode, Value), code: &str) {
    assert_eq!(
        (answer.0, answer.1["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
        "{}",
        answer.1
    );
    assert!(!answer.1["error"]["message"].as_str().unwrap_or_default().is_empty());
}

/// The payload with one top-level field changed (and the CRC recomputed).
fn with_field(payload: &str, id: &str, value: Option<MpmValue>) -> String {
    let mut p = mpm::decode(payload).unwrap().payload;
    p.fields.retain(|f| f.id != id && f.id != "63");
    if let Some(value) = value {
        p.fields.push(Field { id: id.into(), value });
        p.fields[1..].sort_by(|a, b| a.id.cmp(&b.id));
    }
    mpm::encode(&p).unwrap()
}

async fn fields_of(a: &App, shop: &Shop, display_name: &str, sale: Option<(i64, String)>) -> CodeFields {
    let m = anshin::merchants::store::merchant_by_id(&a.t.db, &shop.id).await.unwrap().unwrap();
    let s = anshin::merchants::store::store_by_id(&a.t.db, &shop.store).await.unwrap().unwrap();
    CodeFields {
        merchant_number: m.number,
        store_number: s.number,
        mcc: m.mcc,
        postal_code: s.postal_code,
        display_name: display_name.into(),
        store_name: s.name,
        sale,
    }
}

/// A `multipart/form-data` body as a browser's form sends it: text fields and a PNG `photo`.
fn multipart(fields: &[(&str, &str)], photo: Option<&[u8]>) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "----anshin-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    if let Some(photo) = photo {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"code.png\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .bytes(),
        );
        body.extend_from_slice(photo);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

fn attacker_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[42u8; 32])
}

// The static flow: the poster's code (text, PNG and SVG), a scan naming the registered merchant
// and store, the amount the customer enters, one payment that the merchant and customer see.
on_both!(a_store_code_pays_the_amount_the_customer_enters, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let w = wallet(&a, "buyer@example.jp", "+819020000001", 10_000, 0).await;
    let code = store_code(&a, &shop).await;
    assert!(code.starts_with("00020101021126") && code.contains("0009jp.anshin"), "{code}");
    assert!(mpm::decode(&code).is_ok() && code[code.len() - 8..].starts_with("6304"), "the CRC is last");

    // The poster downloads: the PNG reads back to the same payload.
    let url = format!("{}/v1/merchants/{}/stores/{}/qr.png", a.url, shop.id, shop.store);
    let png = client().get(&url).bearer_auth(&shop.owner).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let png = png.bytes().await.unwrap();
    assert_eq!(anshin::payments::poster::read_photo(&png).unwrap(), code);
    let svg = client().get(url.replace("qr.png", "qr.svg")).bearer_auth(&shop.owner).send().await.unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let stranger = a.registered("stranger@example.jp", "+819020000009").await;
    assert_eq!(client().get(&url).bearer_auth(&stranger).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    let (status, seen) = scan(&a, &w.token, &code).await;
    assert_eq!(status, StatusCode::CREATED, "{seen}");
    assert_eq!((seen["merchant_name"].as_str(), seen["store_name"].as_str()), (Some("Kappa"), Some("Kappa 本店")));
    assert_eq!((seen["kind"].as_str(), seen["amount_minor"].as_i64()), (Some("static"), None));
    let scan_id = seen["id"].as_str().unwrap();
    let (status, e) = pay(&a, &w.token, scan_id, None).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("amount_invalid")));
    let other = a.registered("other@example.jp", "+819020000002").await;
    assert_eq!(pay(&a, &other, scan_id, Some(100)).await.0, StatusCode::NOT_FOUND, "a scan is its scanner's");

    let (status, paid) = pay(&a, &w.token, scan_id, Some(1_200)).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    assert_eq!((paid["status"].as_str(), paid["method"].as_str()), (Some("succeeded"), Some("merchant_presented")));
    assert_eq!((paid["fee_minor"].as_i64(), paid["store_id"].as_str()), (Some(31), Some(shop.store.as_str())));
    let (status, again) = pay(&a, &w.token, scan_id, Some(1_200)).await;
    assert_eq!(
        (status, again["id"].as_str()),
        (StatusCode::CREATED, paid["id"].as_str()),
        "a retry is the same payment"
    );

    // A photo of the poster scans as well.
    let photo = base64::engine::general_purpose::STANDARD.encode(&png);
    let (status, by_photo) = a.post("/v1/me/scans", json!({ "image_base64": photo }), Some(&w.token)).await;
    assert_eq!((status, by_photo["store_name"].as_str()), (StatusCode::CREATED, Some("Kappa 本店")), "{by_photo}");
    refused(&a.post("/v1/me/scans", json!({ "image_base64": "aGVsbG8=" }), Some(&w.token)).await, "image_unreadable");

    let (_, balances) = a.get("/v1/me/balances", &w.token).await;
    assert_eq!(balances["total_minor"], 8_800);
    let (_, list) = a.get(&format!("/v1/merchants/{}/payments", shop.id), &shop.owner).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["confirmation_code"], paid["confirmation_code"]);
    a.deliver().await;
    let confirmation = paid["confirmation_code"].as_str().unwrap();
    assert!(a.messages_to("buyer@example.jp").await.iter().any(|m| m.body.contains(confirmation)));
    assert_books_sound(&a).await;
});

// The dynamic flow: the POS asks for a code, the wallet pays its amount once, and the POS reads
// the request as paid with the payment's id; the code pays nobody else afterwards.
on_both!(a_dynamic_code_pays_once_and_the_pos_sees_it_paid, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let w = wallet(&a, "buyer@example.jp", "+819020000001", 5_000, 200).await;
    let request = payment_request(&a, &shop, 1_500).await;
    assert_eq!(request["status"], "open");
    let code = request["payload"].as_str().unwrap();
    assert!(code.starts_with("000201010212") && code.contains("54041500"), "{code}");
    let path = format!("/v1/pos/payment-requests/{}", request["id"].as_str().unwrap());

    let (status, seen) = scan(&a, &w.token, code).await;
    assert_eq!(status, StatusCode::CREATED, "{seen}");
    assert_eq!((seen["kind"].as_str(), seen["amount_minor"].as_i64()), (Some("dynamic"), Some(1_500)));
    let (status, e) = pay(&a, &w.token, seen["id"].as_str().unwrap(), Some(1)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("amount_invalid")));
    let (status, paid) = pay(&a, &w.token, seen["id"].as_str().unwrap(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    assert_eq!((paid["points_minor"].as_i64(), paid["money_minor"].as_i64()), (Some(200), Some(1_300)));
    assert_eq!(paid["reference"], "order-7");

    let read = pos_read(&a, &shop, &path).await;
    assert_eq!((read["status"].as_str(), read["payment_id"].as_str()), (Some("paid"), paid["id"].as_str()));
    let payment = pos_read(&a, &shop, &format!("/v1/pos/payments/{}", paid["id"].as_str().unwrap())).await;
    assert_eq!(payment["status"], "succeeded");
    assert_eq!(payment["confirmation_code"], paid["confirmation_code"]);

    let second = wallet(&a, "second@example.jp", "+819020000002", 5_000, 0).await;
    refused(&scan(&a, &second.token, code).await, "qr_used");
    let cancel = pos_send(&a, &shop, "POST", &format!("{path}/cancel"), "{}", &nonce(), now_secs()).await;
    assert_eq!((cancel.0, cancel.1["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("payment_request_paid")));
    assert_books_sound(&a).await;
});

// Codes that must not pay, each with a message a person acts on, and never a name taken from
// tag 59: forged (changed after signing), re-signed by another key, unsigned, another
// platform's, unreadable. A code we signed whose tag 59 says another shop shows our names.
on_both!(forged_resigned_unsigned_and_foreign_codes_are_refused_and_tag_59_is_never_shown, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let w = wallet(&a, "buyer@example.jp", "+819020000001", 5_000, 0).await;
    let code = store_code(&a, &shop).await;
    let evil = "EVIL SHOP";

    let forged = with_field(&code, "59", Some(MpmValue::Text(evil.into())));
    let answer = scan(&a, &w.token, &forged).await;
    refused(&answer, "qr_forged");
    assert!(!answer.1.to_string().contains(evil));

    let (key_id, _) = a.payments.qr_keys().signer().await.unwrap();
    let evil_fields = fields_of(&a, &shop, evil, None).await;
    for claimed_key in [key_id.as_str(), "kattacker"] {
        let resigned = mpm_code::encode_signed(&evil_fields, claimed_key, |m| {
            use ed25519_dalek::Signer;
            attacker_key().sign(m).to_bytes()
        })
        .unwrap();
        let answer = scan(&a, &w.token, &resigned).await;
        refused(&answer, "qr_forged");
        assert!(!answer.1.to_string().contains(evil));
    }

    let unsigned = with_field(&with_field(&code, "27", None), "28", None);
    refused(&scan(&a, &w.token, &unsigned).await, "qr_unsigned");
    refused(&scan(&a, &w.token, PROMPTPAY).await, "qr_foreign");
    refused(&scan(&a, &w.token, "https://example.com/pay").await, "qr_unreadable");

    // A dynamic code's amount changed after signing.
    let request = payment_request(&a, &shop, 1_500).await;
    let cheaper = with_field(request["payload"].as_str().unwrap(), "54", Some(MpmValue::Text("1".into())));
    refused(&scan(&a, &w.token, &cheaper).await, "qr_forged");

    // Signed by us (an old poster, say) with another name in tag 59: our registered names show.
    let (_, key) = a.payments.qr_keys().signer().await.unwrap();
    let ours = mpm_code::encode_signed(&evil_fields, &key_id, |m| {
        use ed25519_dalek::Signer;
        key.sign(m).to_bytes()
    })
    .unwrap();
    let (status, seen) = scan(&a, &w.token, &ours).await;
    assert_eq!(status, StatusCode::CREATED, "{seen}");
    assert_eq!((seen["merchant_name"].as_str(), seen["store_name"].as_str()), (Some("Kappa"), Some("Kappa 本店")));
    assert!(!seen.to_string().contains(evil));

    // The messages are in Japanese too.
    let resp = client()
        .post(format!("{}/v1/me/scans", a.url))
        .bearer_auth(&w.token)
        .header("accept-language", "ja")
        .json(&json!({ "payload": PROMPTPAY }))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("別の決済サービス"), "{body}");
    assert_books_sound(&a).await;
});

// A suspended merchant's and a closed store's codes are refused at the scan and at the payment
// (the merchant may be suspended between the two).
on_both!(suspended_merchants_and_closed_stores_refuse_their_codes, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let w = wallet(&a, "buyer@example.jp", "+819020000001", 5_000, 0).await;
    let code = store_code(&a, &shop).await;
    let (_, early) = scan(&a, &w.token, &code).await;

    let status_path = format!("/v1/merchants/{}/stores/{}/status", shop.id, shop.store);
    assert_eq!(a.post(&status_path, json!({ "open": false }), Some(&shop.owner)).await.0, StatusCode::OK);
    let answer = scan(&a, &w.token, &code).await;
    refused(&answer, "store_closed");
    refused(&pay(&a, &w.token, early["id"].as_str().unwrap(), Some(100)).await, "store_closed");
    assert_eq!(a.post(&status_path, json!({ "open": true }), Some(&shop.owner)).await.0, StatusCode::OK);

    let (admin, _) = {
        let password = a.identity.create_operator("admin@example.jp", "Admin", "admin").await.unwrap();
        let token = a.enrolment_session("admin@example.jp", &password).await;
        (token.clone(), a.enrol_totp(&token).await)
    };
    let suspend = format!("/v1/ops/merchants/{}/suspension", shop.id);
    assert_eq!(a.post(&suspend, json!({ "reason": "test" }), Some(&admin)).await.0, StatusCode::OK);
    let answer = scan(&a, &w.token, &code).await;
    refused(&answer, "merchant_suspended");
    assert!(!answer.1.to_string().contains("Kappa"), "a refusal names nobody");
    refused(&pay(&a, &w.token, early["id"].as_str().unwrap(), Some(100)).await, "merchant_suspended");
    let (_, balances) = a.get("/v1/me/balances", &w.token).await;
    assert_eq!(balances["total_minor"], 5_000);
    assert_books_sound(&a).await;
});

// A dynamic code past its time, canceled by the POS, or already paid is refused.
on_both!(expired_canceled_and_reused_dynamic_codes_are_refused, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let w = wallet(&a, "buyer@example.jp", "+819020000001", 5_000, 0).await;

    let late = payment_request(&a, &shop, 700).await;
    let (_, seen) = scan(&a, &w.token, late["payload"].as_str().unwrap()).await;
    sqlx::query("UPDATE payment_requests SET expires_at_ms = 1 WHERE id = $1")
        .bind(late["id"].as_str().unwrap())
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    refused(&scan(&a, &w.token, late["payload"].as_str().unwrap()).await, "qr_expired");
    refused(&pay(&a, &w.token, seen["id"].as_str().unwrap(), None).await, "qr_expired");
    let read = pos_read(&a, &shop, &format!("/v1/pos/payment-requests/{}", late["id"].as_str().unwrap())).await;
    assert_eq!(read["status"], "expired");

    let canceled = payment_request(&a, &shop, 800).await;
    let path = format!("/v1/pos/payment-requests/{}/cancel", canceled["id"].as_str().unwrap());
    let (status, body) = pos_send(&a, &shop, "POST", &path, "{}", &nonce(), now_secs()).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("canceled")), "{body}");
    refused(&scan(&a, &w.token, canceled["payload"].as_str().unwrap()).await, "qr_canceled");

    let used = payment_request(&a, &shop, 900).await;
    let (_, first) = scan(&a, &w.token, used["payload"].as_str().unwrap()).await;
    let (_, second) = scan(&a, &w.token, used["payload"].as_str().unwrap()).await;
    assert_eq!(pay(&a, &w.token, first["id"].as_str().unwrap(), None).await.0, StatusCode::CREATED);
    let other = wallet(&a, "other@example.jp", "+819020000002", 5_000, 0).await;
    refused(&scan(&a, &other.token, used["payload"].as_str().unwrap()).await, "qr_used");
    // The same customer's second scan of a paid code answers with their one payment.
    let (status, again) = pay(&a, &w.token, second["id"].as_str().unwrap(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    let (_, balances) = a.get("/v1/me/balances", &w.token).await;
    assert_eq!(balances["total_minor"], 4_100, "paid once");
    assert_books_sound(&a).await;
});

// Fifty submissions of one dynamic code at once, from five wallets: one payment, one debit.
on_both!(fifty_concurrent_payments_of_one_dynamic_code_make_one_payment, |t: TestDb| async move {
    const WALLETS: usize = 5;
    const SCANS_EACH: usize = 10;
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let request = payment_request(&a, &shop, 1_000).await;
    let code = request["payload"].as_str().unwrap().to_owned();
    let mut wallets = Vec::new();
    for i in 0..WALLETS {
        wallets.push(wallet(&a, &format!("w{i}@example.jp"), &format!("+8190200001{i:02}"), 5_000, 0).await);
    }
    let mut scans = Vec::new();
    for w in &wallets {
        for _ in 0..SCANS_EACH {
            let (status, seen) = scan(&a, &w.token, &code).await;
            assert_eq!(status, StatusCode::CREATED, "{seen}");
            scans.push((w.token.clone(), seen["id"].as_str().unwrap().to_owned()));
        }
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(scans.len()));
    let tasks: Vec<_> = scans
        .into_iter()
        .map(|(token, id)| {
            let (url, start) = (a.url.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let resp = client()
                    .post(format!("{url}/v1/me/scans/{id}/payment"))
                    .bearer_auth(token)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status();
                (status, resp.json::<Value>().await.unwrap_or(Value::Null))
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => {
                ids.insert(body["id"].as_str().unwrap().to_owned());
            }
            StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(body["error"]["code"], "qr_used", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ids.len(), 1, "exactly one payment: {ids:?}");
    let payments = a.count("SELECT COUNT(*) FROM payments WHERE method = 'merchant_presented'").await;
    assert_eq!(payments, 1);
    let mut total = 0;
    for w in &wallets {
        total += a.get("/v1/me/balances", &w.token).await.1["total_minor"].as_i64().unwrap();
    }
    assert_eq!(total, 5_000 * WALLETS as i64 - 1_000, "one debit");
    assert_books_sound(&a).await;
});

// Rotation: the new key signs new codes and the old key's codes still pay; once the old key is
// retired its codes are refused, at the scan and at the payment. Key changes are audited.
on_both!(a_rotated_key_still_verifies_and_a_retired_key_does_not, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let w = wallet(&a, "buyer@example.jp", "+819020000001", 5_000, 0).await;
    let old_code = store_code(&a, &shop).await;
    let (old_key, _) = a.payments.qr_keys().signer().await.unwrap();
    let new_key = a.payments.qr_keys().rotate("test-operator").await.unwrap();
    assert_ne!(old_key, new_key);
    let new_code = store_code(&a, &shop).await;
    assert_ne!(old_code, new_code);
    assert!(new_code.contains(&new_key));

    let (status, seen) = scan(&a, &w.token, &old_code).await;
    assert_eq!(status, StatusCode::CREATED, "a rotated key's codes still work: {seen}");
    assert_eq!(pay(&a, &w.token, seen["id"].as_str().unwrap(), Some(100)).await.0, StatusCode::CREATED);
    let (_, pending) = scan(&a, &w.token, &old_code).await;

    assert!(a.payments.qr_keys().retire(&new_key, "test-operator").await.is_err(), "the active key cannot retire");
    a.payments.qr_keys().retire(&old_key, "test-operator").await.unwrap();
    refused(&scan(&a, &w.token, &old_code).await, "qr_retired");
    refused(&pay(&a, &w.token, pending["id"].as_str().unwrap(), Some(100)).await, "qr_retired");
    let (status, _) = scan(&a, &w.token, &new_code).await;
    assert_eq!(status, StatusCode::CREATED);
    let audited = a
        .count("SELECT COUNT(*) FROM audit_log WHERE action IN ('qr_key.created', 'qr_key.rotated', 'qr_key.retired')")
        .await;
    assert_eq!(audited, 3);
    let sealed: Vec<String> =
        sqlx::query_scalar("SELECT sealed_seed FROM qr_signing_keys").fetch_all(a.t.db.read_pool()).await.unwrap();
    assert!(sealed.iter().all(|s| s.starts_with("v1:") && s.len() > 100), "seeds are sealed");
    assert_books_sound(&a).await;
});

// Servers starting together on an empty table end with one active key.
on_both!(signers_racing_on_an_empty_table_agree_on_one_key, |t: TestDb| async move {
    let keys = t.db.keys().unwrap().clone();
    anshin::storage::migrate(&t.db).await.unwrap();
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let q = anshin::payments::qr_keys::QrKeys::new(t.db.clone(), keys.clone());
            tokio::spawn(async move { q.signer().await.map(|(id, _)| id).map_err(|e| e.to_string()) })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for r in racers {
        ids.insert(r.await.unwrap().unwrap());
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    let active: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM qr_signing_keys WHERE status = 'active'")
        .fetch_one(t.db.read_pool())
        .await
        .unwrap();
    assert_eq!(active, 1);
});

// The wallet's pages: scan (the code's text or a photo), confirm the registered names, pay, and
// see the confirmation code; the portal offers the poster. Forms need their CSRF token.
on_both!(the_wallet_pays_a_store_code_through_the_pages, |t: TestDb| async move {
    const CSRF: &str = "0123456789abcdef0123456789abcdef";
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let w = wallet(&a, "buyer@example.jp", "+819020000001", 5_000, 0).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT_LANGUAGE, "en".parse().unwrap());
    let browser = reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = format!("__Host-anshin_session={}; __Host-anshin_csrf={CSRF}", w.token);

    let scan_page = browser.get(format!("{}/wallet/scan", a.url)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(scan_page.status(), StatusCode::OK);
    let body = scan_page.text().await.unwrap();
    assert!(body.contains("type=\"file\"") && body.contains("name=\"payload\""), "{body}");
    assert!(body.contains("src=\"/static/scan.js\""), "the camera reader is a served file");
    let script = browser.get(format!("{}/static/scan.js", a.url)).send().await.unwrap();
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(script.text().await.unwrap().contains("BarcodeDetector"));

    // The poster from the portal, as a PNG photo of the code.
    let owner_cookie = format!("__Host-anshin_session={}", shop.owner);
    let portal = browser.get(format!("{}/merchant", a.url)).header("cookie", &owner_cookie).send().await.unwrap();
    let portal = portal.text().await.unwrap();
    let poster_path = format!("/merchant/stores/{}/poster.png", shop.store);
    assert!(portal.contains(&poster_path), "the portal links the poster");
    let poster = browser.get(format!("{}{poster_path}", a.url)).header("cookie", &owner_cookie).send().await.unwrap();
    assert_eq!(poster.status(), StatusCode::OK);
    let photo = poster.bytes().await.unwrap().to_vec();

    let (content_type, form) = multipart(&[("csrf", CSRF), ("payload", "")], Some(&photo));
    let scanned = browser
        .post(format!("{}/wallet/scan/submit", a.url))
        .header("cookie", &cookie)
        .header("content-type", &content_type)
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(scanned.status(), StatusCode::SEE_OTHER, "{}", scanned.text().await.unwrap());
    let confirm_path = scanned.headers()["location"].to_str().unwrap().to_owned();
    let confirm = browser.get(format!("{}{confirm_path}", a.url)).header("cookie", &cookie).send().await.unwrap();
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("Kappa 本店") && confirm.contains("id=\"merchant-name\""), "{confirm}");

    let no_csrf = browser
        .post(format!("{}{confirm_path}/pay", a.url))
        .header("cookie", format!("__Host-anshin_session={}", w.token))
        .form(&[("csrf", CSRF), ("amount_minor", "500")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    let done = browser
        .post(format!("{}{confirm_path}/pay", a.url))
        .header("cookie", &cookie)
        .form(&[("csrf", CSRF), ("amount_minor", "500")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let done = done.text().await.unwrap();
    let (_, list) = a.get(&format!("/v1/merchants/{}/payments", shop.id), &shop.owner).await;
    let confirmation = list[0]["confirmation_code"].as_str().unwrap();
    assert!(done.contains(confirmation), "{done}");

    // A forged code through the page: a page that says what to do, and no payment.
    let (content_type, form) = multipart(&[("csrf", CSRF), ("payload", PROMPTPAY)], None);
    let refused = browser
        .post(format!("{}/wallet/scan/submit", a.url))
        .header("cookie", &cookie)
        .header("content-type", &content_type)
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("another payment service"));
    assert_books_sound(&a).await;
});

// A scanned payment the decision point challenges is not "paid" on the wallet's page: the page
// sends the customer to the payment's own page, which asks for the second factor bound to it.
on_both!(a_challenged_scan_payment_leads_the_wallet_to_its_confirmation, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let w = wallet(&a, "large@example.jp", "+819020000611", 100_000, 0).await;
    let (status, view) = scan(&a, &w.token, &store_code(&a, &shop).await).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let csrf = common::page_client::CSRF;
    let cookie = format!("__Host-anshin_session={}; __Host-anshin_csrf={csrf}", w.token);
    let paid = common::page_client::browser()
        .post(format!("{}/wallet/scan/{}/pay", a.url, view["id"].as_str().unwrap()))
        .header("cookie", cookie)
        .form(&[("csrf", csrf), ("amount_minor", "60000")])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    let location = paid.headers()["location"].to_str().unwrap().to_owned();
    let (_, list) = a.get(&format!("/v1/merchants/{}/payments", shop.id), &shop.owner).await;
    assert_eq!(list[0]["status"], "requires_confirmation", "{list}");
    assert_eq!(location, format!("/wallet/payments/{}", list[0]["id"].as_str().unwrap()));
    assert_books_sound(&a).await;
});
