//! Customer-presented payments over real HTTP on SQLite and PostgreSQL: a wallet device's
//! one-time code, a signed POS request, the decision point, and one journal with its payment,
//! audit record and notice. Each test ends with the ledger and the audit chain verified.

mod common;

use anshin::ledger::{AccountKind, Currency};
use anshin::merchants::credentials::pos_signature;
use anshin::payments::codes;
use common::TestDb;
use common::identity_app::*;
use common::merchant_app::*;
use common::pay_app::*;
// The payment clock is signed seconds (codes carry i64); identity_app has its own u64 one.
use common::pay_app::now_secs;
use reqwest::StatusCode;
use serde_json::{Value, json};

// The whole sale: a code pays once, spending points then money; the till learns the outcome
// from the server; the customer and the merchant see the same confirmation number.
on_both!(a_customer_code_pays_once_from_points_then_money, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Kappa").await;
    let w = wallet(&a, "buyer@example.jp", "+819020000001", 10_000, 300).await;
    let code = codes::encode_qr(&w.secret, w.number, 1, now_secs());
    let (status, paid) = charge(&a, &shop, &code, 1_000).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(
        (paid["merchant_id"].as_str(), paid["store_id"].as_str()),
        (Some(shop.id.as_str()), Some(shop.store.as_str()))
    );
    assert_eq!((paid["points_minor"].as_i64(), paid["money_minor"].as_i64()), (Some(300), Some(700)));
    assert_eq!((paid["fee_minor"].as_i64(), paid["fee_tax_minor"].as_i64()), (Some(26), Some(2)));
    let id = paid["id"].as_str().unwrap().to_owned();
    let confirmation = paid["confirmation_code"].as_str().unwrap().to_owned();

    // The till retries (a new request, the same sale): the same payment, nothing more taken.
    let (status, again) = charge(&a, &shop, &code, 1_000).await;
    assert_eq!((status, again["id"].as_str()), (StatusCode::CREATED, Some(id.as_str())));
    // The same code for another sale: used.
    let (status, e) = charge(&a, &shop, &code, 999).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code_used")));
    let (_, balances) = a.get("/v1/me/balances", &w.token).await;
    assert_eq!(balances, json!({ "money_minor": 9_300, "lite_minor": 0, "points_minor": 0, "total_minor": 9_300 }));

    // The numeric form pays as well.
    let digits = codes::encode_digits(&w.secret, w.number, 2, now_secs());
    let (status, second) = charge(&a, &shop, &digits, 500).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");

    // The customer's view names the registered merchant and store, with the same number.
    let (status, mine) = a.get(&format!("/v1/me/payments/{id}"), &w.token).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!((mine["merchant_name"].as_str(), mine["store_name"].as_str()), (Some("Kappa"), Some("Kappa 本店")));
    assert_eq!(mine["confirmation_code"], confirmation.as_str());
    let other = a.register("other@example.jp", "+819020000002").await;
    assert_eq!(a.get(&format!("/v1/me/payments/{id}"), &other.token).await.0, StatusCode::NOT_FOUND);
    // The merchant's list and the POS read show the same number.
    let (_, list) = a.get(&format!("/v1/merchants/{}/payments", shop.id), &shop.owner).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(list.as_array().unwrap().iter().any(|p| p["confirmation_code"] == confirmation.as_str()));
    let path = format!("/v1/pos/payments/{id}");
    let (status, read) = pos_send(&a, &shop, "GET", &path, "", &nonce(), now_secs()).await;
    assert_eq!((status, read["status"].as_str()), (StatusCode::OK, Some("succeeded")), "{read}");
    a.deliver().await;
    let notices = a.messages_to("buyer@example.jp").await;
    assert!(
        notices.iter().any(|m| m.body.contains(&confirmation) && m.body.contains("¥1,000")),
        "the customer is told"
    );
    let receivable =
        anshin::merchants::store::merchant_by_id(&a.t.db, &shop.id).await.unwrap().unwrap().receivable_account_id;
    let account = a.payments.wallets().ledger().account(&receivable).await.unwrap();
    assert_eq!(account.balance_minor, 1_500, "the merchant's receivable holds both sales");
    assert_books_sound(&a).await;
});

// Codes that must not pay: forged, from another platform, expired, older than one used, after
// the device's session ended; and the answer never says which device numbers exist.
on_both!(forged_expired_stale_and_orphaned_codes_are_refused, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Lambda").await;
    let w = wallet(&a, "buyer2@example.jp", "+819020000003", 10_000, 0).await;
    let now = now_secs();
    let refused = |code: &'static str| {
        move |(status, e): (StatusCode, Value)| {
            assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{e}");
        }
    };
    refused("code_invalid")(
        charge(&a, &shop, &codes::encode_qr(b"forged secret of thirty-two byte", w.number, 1, now), 100).await,
    );
    refused("code_invalid")(charge(&a, &shop, &codes::encode_qr(&w.secret, w.number + 1000, 1, now), 100).await);
    refused("code_invalid")(charge(&a, &shop, "hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MWETTwegAAAAZmZmUAhQcm9kdWN0MmJJWggSNFZ4kBI0WF8gDkNBUkRIT0xERVIvRU1WXy0IcnVlc2RlZW5kIZ8QBwYBCgMAAACfJghYT9OF+iNLzJ82AgABnzcEbVjvEw==", 100).await);
    refused("code_expired")(charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 1, now - 61), 100).await);
    refused("code_invalid")(charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 1, now + 30), 100).await);
    // Counter 5 pays; 4 (made earlier, never used) is then too old.
    let four = codes::encode_qr(&w.secret, w.number, 4, now);
    assert_eq!(charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 5, now), 100).await.0, StatusCode::CREATED);
    refused("code_used")(charge(&a, &shop, &four, 100).await);
    // Over the limit, or more than the wallet holds: declined, nothing moves.
    let (status, e) = charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 6, now), 1_000_001).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "over the per-payment limit: {e}");
    let (status, e) = charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 7, now), 9_901).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("insufficient_funds")));
    // The device's session ends: its codes die with it.
    assert_eq!(a.delete("/v1/sessions/current", &w.token).await, StatusCode::NO_CONTENT);
    refused("code_invalid")(charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 8, now_secs()), 100).await);
    let accounts = a.payments.wallets().accounts(&w.user_id).await.unwrap();
    let left = a.payments.wallets().balances(&accounts).await.unwrap();
    assert_eq!(left.money_minor, 9_900, "only the one good code paid");
    assert_books_sound(&a).await;
});

// Fifty tills sending one code at once make one payment.
on_both!(fifty_tills_sending_one_code_at_once_make_one_payment, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Mu").await;
    let w = wallet(&a, "buyer3@example.jp", "+819020000004", 100_000, 0).await;
    let code = codes::encode_qr(&w.secret, w.number, 1, now_secs());
    let mut tasks = Vec::new();
    let a = std::sync::Arc::new(a);
    let shop = std::sync::Arc::new(shop);
    for i in 0..50 {
        let (a, shop, code) = (a.clone(), shop.clone(), code.clone());
        // Half for this sale, half for other amounts (a thief's till racing the real one).
        let amount = if i % 2 == 0 { 1_000 } else { 1_000 + i };
        tasks.push(tokio::spawn(async move { charge(&a, &shop, &code, amount).await }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => {
                ids.insert(body["id"].as_str().unwrap().to_owned());
            }
            StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(body["error"]["code"], "code_used"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(ids.len(), 1, "one payment: {ids:?}");
    let payments = a.count("SELECT COUNT(*) FROM payments").await;
    let entries = a.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'payment'").await;
    assert_eq!((payments, entries), (1, 1));
    assert_books_sound(&a).await;
});

// Signed POS requests: a wrong signature, a stale timestamp, a reused nonce and a revoked key are
// refused; a suspended merchant takes nothing.
on_both!(pos_requests_must_be_signed_fresh_and_new_and_suspended_merchants_take_nothing, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Nu").await;
    let w = wallet(&a, "buyer4@example.jp", "+819020000005", 10_000, 0).await;
    let body = |counter: i64| {
        let code = codes::encode_qr(&w.secret, w.number, counter, now_secs());
        json!({ "customer_code": code, "amount_minor": 100, "currency": "JPY", "terminal_id": "t1" }).to_string()
    };
    let path = "/v1/pos/payments";
    let unauthenticated = |(status, e): (StatusCode, Value), code: &str| {
        assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some(code)), "{e}");
    };
    let n = nonce();
    let first = body(1);
    assert_eq!(pos_send(&a, &shop, "POST", path, &first, &n, now_secs()).await.0, StatusCode::CREATED);
    unauthenticated(pos_send(&a, &shop, "POST", path, &first, &n, now_secs()).await, "nonce_reused");
    unauthenticated(pos_send(&a, &shop, "POST", path, &body(2), &nonce(), now_secs() - 301).await, "timestamp_stale");
    // Signed over one body, sent with another.
    let ts = now_secs().to_string();
    let n = nonce();
    let signature = pos_signature(&shop.secret, "POST", path, &ts, &n, body(2).as_bytes());
    let resp = client()
        .post(format!("{}{path}", a.url))
        .header("content-type", "application/json")
        .header("Anshin-Key", &shop.key_id)
        .header("Anshin-Timestamp", ts)
        .header("Anshin-Nonce", n)
        .header("Anshin-Signature", signature)
        .body(body(3))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let (admin, _) = {
        let password = a.identity.create_operator("admin@example.jp", "Admin", "admin").await.unwrap();
        let token = a.enrolment_session("admin@example.jp", &password).await;
        (token.clone(), a.enrol_totp(&token).await)
    };
    let suspend = format!("/v1/ops/merchants/{}/suspension", shop.id);
    assert_eq!(a.post(&suspend, json!({ "reason": "test" }), Some(&admin)).await.0, StatusCode::OK);
    let (status, e) = pos_send(&a, &shop, "POST", path, &body(4), &nonce(), now_secs()).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_accepting_payments")));
    let reactivate = format!("/v1/ops/merchants/{}/reactivation", shop.id);
    assert_eq!(a.post(&reactivate, json!({ "reason": "ok" }), Some(&admin)).await.0, StatusCode::OK);
    assert_eq!(pos_send(&a, &shop, "POST", path, &body(5), &nonce(), now_secs()).await.0, StatusCode::CREATED);
    let revoke = format!("/v1/merchants/{}/pos-keys/{}/revocation", shop.id, shop.key_id);
    assert_eq!(a.post(&revoke, json!({}), Some(&shop.owner)).await.0, StatusCode::NO_CONTENT);
    unauthenticated(pos_send(&a, &shop, "POST", path, &body(6), &nonce(), now_secs()).await, "signature_invalid");
    assert_books_sound(&a).await;
});

// The payment path reuses a POS key's context read moments before (merchants::pos_cache); the
// payment's own transaction checks the key, merchant, store and fee rate again. Changes made
// straight in the database (as another server process would, whose changes this process's
// memory never hears of) are honoured at once: a new fee is charged, a suspended merchant and
// a revoked key take nothing.
on_both!(a_pos_context_read_moments_ago_never_outlives_a_change_in_the_database, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Omicron").await;
    let w = wallet(&a, "buyer-cache@example.jp", "+819020000099", 100_000, 0).await;
    let code = |counter: i64| codes::encode_qr(&w.secret, w.number, counter, now_secs());
    let sql = |q: &'static str| {
        let (db, id) = (a.t.db.clone(), shop.id.clone());
        async move { sqlx::query(q).bind(id).execute(db.write_pool()).await.unwrap() }
    };
    let (status, first) = charge(&a, &shop, &code(1), 10_000).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");

    sql("UPDATE merchants SET fee_rate_bp = fee_rate_bp + 100 WHERE id = $1").await;
    let (status, second) = charge(&a, &shop, &code(2), 10_000).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(
        second["fee_minor"].as_i64().unwrap(),
        first["fee_minor"].as_i64().unwrap() + 100,
        "the new fee: {second}"
    );

    sql("UPDATE merchants SET status = 'suspended' WHERE id = $1").await;
    let (status, e) = charge(&a, &shop, &code(3), 10_000).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_accepting_payments")), "{e}");

    sql("UPDATE merchants SET status = 'active' WHERE id = $1").await;
    let (status, third) = charge(&a, &shop, &code(4), 1_000).await;
    assert_eq!(status, StatusCode::CREATED, "{third}");
    sql("UPDATE pos_keys SET revoked_at_ms = 1 WHERE merchant_id = $1").await;
    let (status, e) = charge(&a, &shop, &code(5), 1_000).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("signature_invalid")), "{e}");

    assert_eq!(a.count("SELECT COUNT(*) FROM payments").await, 3, "the refused payments left nothing");
    assert_eq!(a.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'payment'").await, 3);
    assert_books_sound(&a).await;
});

// The decision point's hold path: spending during a contact change's cooling-off is held (the
// money leaves the wallet for suspense, not for the merchant) for an analyst.
on_both!(a_payment_during_a_cooling_off_is_held_not_paid, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Xi").await;
    let w = wallet(&a, "buyer5@example.jp", "+819020000006", 10_000, 0).await;
    sqlx::query("UPDATE users SET money_out_blocked_until_ms = $1 WHERE id = $2")
        .bind(i64::MAX / 2)
        .bind(&w.user_id)
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    let (status, held) = charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 1, now_secs()), 2_000).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    assert_eq!((held["status"].as_str(), held["decision"].as_str()), (Some("held"), Some("hold")));
    assert_eq!(held["decision_reason"], "cooling_off");
    let receivable =
        anshin::merchants::store::merchant_by_id(&a.t.db, &shop.id).await.unwrap().unwrap().receivable_account_id;
    assert_eq!(a.payments.wallets().ledger().account(&receivable).await.unwrap().balance_minor, 0);
    let suspense = a.payments.wallets().ledger().system_account(AccountKind::Suspense, &Currency::jpy()).await.unwrap();
    assert_eq!(a.payments.wallets().ledger().account(&suspense).await.unwrap().balance_minor, 2_000);
    assert_books_sound(&a).await;
});

// A lock from another device (the phone was lost) kills the codes the phone can still make.
on_both!(a_lock_kills_the_codes_a_lost_phone_can_still_make, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Omicron").await;
    let w = wallet(&a, "buyer6@example.jp", "+819020000007", 10_000, 0).await;
    assert_eq!(
        charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 1, now_secs()), 100).await.0,
        StatusCode::CREATED
    );
    let (status, challenge) =
        a.post("/v1/account/lock", json!({ "email": "buyer6@example.jp", "password": PASSWORD }), None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    let path = format!("/v1/account/lock/{}", challenge["challenge_id"].as_str().unwrap());
    let body = json!({ "factor": "recovery_code", "code": w.recovery_codes[0] });
    assert_eq!(a.post(&path, body, None).await.0, StatusCode::OK);
    let (status, e) = charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 2, now_secs()), 100).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code_invalid")), "{e}");
    assert_books_sound(&a).await;
});

// A POS written from docs/POS-API.md alone (Python's standard library) takes a payment.
on_both!(a_pos_client_written_from_the_docs_takes_a_payment, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Pi").await;
    let w = wallet(&a, "buyer7@example.jp", "+819020000008", 10_000, 0).await;
    let code = codes::encode_digits(&w.secret, w.number, 1, now_secs());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pos_client.py");
    let (url, key_id, secret) = (a.url.clone(), shop.key_id.clone(), shop.secret.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3").args([script, &url, &key_id, &secret, &code, "1234"]).output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["status"], 201, "{result}");
    assert_eq!(result["payment"]["status"], "succeeded");
    assert_eq!(result["payment"]["reference"], "from the docs");
    assert_eq!(result["read"]["id"], result["payment"]["id"]);
    assert_eq!(result["read"]["confirmation_code"], result["payment"]["confirmation_code"]);
    assert_books_sound(&a).await;
});

// Refunds: never more than was paid, even with 50 partial refunds at once; back to the parts the
// payment came from (money first); idempotent on the refund key; owners and managers with a
// step-up, or the store's POS; never a cashier, never another merchant.
on_both!(refunds_never_exceed_the_payment_and_go_back_where_the_money_came_from, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Rho").await;
    // Another customer's sale first, so the merchant's receivable could cover far more refunds
    // than this payment allows: only the payment's own bounds stop them.
    let rich = wallet(&a, "buyer9@example.jp", "+819020000010", 50_000, 0).await;
    let code = codes::encode_qr(&rich.secret, rich.number, 1, now_secs());
    assert_eq!(charge(&a, &shop, &code, 20_000).await.0, StatusCode::CREATED);
    let w = wallet(&a, "buyer8@example.jp", "+819020000009", 700, 300).await;
    let (status, paid) = charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 1, now_secs()), 1_000).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    let id = paid["id"].as_str().unwrap().to_owned();
    let pos_path = format!("/v1/pos/payments/{id}/refunds");
    let refund = |amount: i64, key: &str| json!({ "amount_minor": amount, "refund_key": key }).to_string();

    // The POS refunds 500: money first (the payment took 700 of money and 300 of points).
    let (status, r) = pos_send(&a, &shop, "POST", &pos_path, &refund(500, "refund-first"), &nonce(), now_secs()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!((r["money_minor"].as_i64(), r["points_minor"].as_i64()), (Some(500), Some(0)));
    let (status, again) =
        pos_send(&a, &shop, "POST", &pos_path, &refund(500, "refund-first"), &nonce(), now_secs()).await;
    assert_eq!(
        (status, again["id"].as_str()),
        (StatusCode::CREATED, r["id"].as_str()),
        "the same key, the same refund"
    );

    // Fifty refunds of 20 at once against the 500 left: exactly 25 succeed.
    let a = std::sync::Arc::new(a);
    let shop = std::sync::Arc::new(shop);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (a, shop, path, body) =
            (a.clone(), shop.clone(), pos_path.clone(), refund(20, &format!("refund-many-{i:02}")));
        tasks.push(tokio::spawn(async move { pos_send(&a, &shop, "POST", &path, &body, &nonce(), now_secs()).await }));
    }
    let mut ok = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => ok += 1,
            StatusCode::PAYMENT_REQUIRED => {
                assert!(
                    matches!(
                        body["error"]["code"].as_str(),
                        Some("refund_exceeds_payment" | "not_refundable" | "refund_busy")
                    ),
                    "{body}"
                )
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(ok, 25, "500 left, 20 each");
    let refunded = a.count(&format!("SELECT refunded_minor FROM payments WHERE id = '{id}'")).await;
    let total = a
        .count(&format!("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM refunds WHERE payment_id = '{id}'"))
        .await;
    assert_eq!((refunded, total), (1_000, 1_000));
    let (_, balances) = a.get("/v1/me/balances", &w.token).await;
    assert_eq!(balances["money_minor"], 700, "money back first");
    assert_eq!(balances["points_minor"], 300, "then points");
    let (_, mine) = a.get(&format!("/v1/me/payments/{id}"), &w.token).await;
    assert_eq!(mine["status"], "refunded");

    // A second payment: a cashier cannot refund; another merchant cannot see it; the owner needs
    // a step-up for it, spent by the refund.
    let (status, second) = charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 2, now_secs()), 600).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second = second["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/merchants/{}/payments/{second}/refunds", shop.id);
    let (cashier, _) = staff(&a, &shop.id, "cashier@rho.example.jp", "cashier").await;
    assert_eq!(
        a.post(&path, json!({ "amount_minor": 100, "refund_key": "cashier-try" }), Some(&cashier)).await.0,
        StatusCode::FORBIDDEN
    );
    let (other_id, other_owner, _) = merchant_with(&a, "Sigma", "owner@sigma.example.jp", "owner").await;
    let other_path = format!("/v1/merchants/{other_id}/payments/{second}/refunds");
    assert_eq!(
        a.post(&other_path, json!({ "amount_minor": 100, "refund_key": "other-try" }), Some(&other_owner)).await.0,
        StatusCode::NOT_FOUND
    );
    let body = json!({ "amount_minor": 600, "refund_key": "owner-refund" });
    let (status, e) = a.post(&path, body.clone(), Some(&shop.owner)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")), "{e}");
    let owner = a.step_up_by(&shop.owner, "refund", "recovery_code", &shop.codes[0]).await;
    let (status, r) = a.post(&path, body, Some(&owner)).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, e) = a.post(&path, json!({ "amount_minor": 1, "refund_key": "owner-again" }), Some(&owner)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the grant was spent: {e}");
    a.deliver().await;
    assert!(a.messages_to("buyer8@example.jp").await.iter().any(|m| m.body.contains("¥600")), "the customer is told");
    assert_books_sound(&a).await;
});

// The merchant's list filters by status and store, and exports CSV that no spreadsheet runs as
// a formula; another merchant sees none of it, and the export is audited.
on_both!(a_merchant_filters_and_exports_its_payments_as_safe_csv, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Tau").await;
    let w = wallet(&a, "buyer10@example.jp", "+819020000011", 10_000, 0).await;
    let code = codes::encode_qr(&w.secret, w.number, 1, now_secs());
    let body = json!({ "customer_code": code, "amount_minor": 1_500, "currency": "JPY", "terminal_id": "t1",
                       "reference": "=HYPERLINK(\"http://evil.example\",\"x\")" });
    let (status, paid) = pos_send(&a, &shop, "POST", "/v1/pos/payments", &body.to_string(), &nonce(), now_secs()).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    assert_eq!(
        charge(&a, &shop, &codes::encode_qr(&w.secret, w.number, 2, now_secs()), 300).await.0,
        StatusCode::CREATED
    );

    let list = |query: String| {
        let (a, owner, id) = (&a, shop.owner.clone(), shop.id.clone());
        async move { a.get(&format!("/v1/merchants/{id}/payments{query}"), &owner).await }
    };
    assert_eq!(list(String::new()).await.1.as_array().unwrap().len(), 2);
    assert_eq!(list("?status=refunded".into()).await.1.as_array().unwrap().len(), 0);
    assert_eq!(list(format!("?store_id={}", shop.store)).await.1.as_array().unwrap().len(), 2);
    assert_eq!(list("?store_id=sto_other".into()).await.1.as_array().unwrap().len(), 0);
    assert_eq!(list("?status=nonsense".into()).await.0, StatusCode::BAD_REQUEST);

    let resp = client()
        .get(format!("{}/v1/merchants/{}/payments/export", a.url, shop.id))
        .bearer_auth(&shop.owner)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two payments: {csv}");
    assert!(lines[0].starts_with("id,created_at_ms,store_id"));
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""), "written as text: {csv}");
    assert!(!csv.contains(",=HYPERLINK"), "never a bare formula: {csv}");
    let (other_id, other_owner, _) = merchant_with(&a, "Upsilon", "owner@upsilon.example.jp", "owner").await;
    let _ = other_id;
    assert_eq!(a.get(&format!("/v1/merchants/{}/payments", shop.id), &other_owner).await.0, StatusCode::NOT_FOUND);
    let resp = client()
        .get(format!("{}/v1/merchants/{}/payments/export", a.url, shop.id))
        .bearer_auth(&other_owner)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payments.exported'").await, 1);
    assert_books_sound(&a).await;
});

// A fake completion: a till asking about a payment id that never succeeded here (unknown, or
// another merchant's) never reads as succeeded: it is not found.
on_both!(a_till_never_reads_another_merchants_or_an_unknown_payment_as_succeeded, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let ours = shop(&a, "Phi").await;
    let theirs = shop(&a, "Chi").await;
    let w = wallet(&a, "buyer11@example.jp", "+819020000012", 10_000, 0).await;
    let (status, paid) = charge(&a, &theirs, &codes::encode_qr(&w.secret, w.number, 1, now_secs()), 800).await;
    assert_eq!((status, paid["status"].as_str()), (StatusCode::CREATED, Some("succeeded")));
    let id = paid["id"].as_str().unwrap();
    for path in [format!("/v1/pos/payments/{id}"), "/v1/pos/payments/pay_00000000000000000000000000".to_owned()] {
        let (status, body) = pos_send(&a, &ours, "GET", &path, "", &nonce(), now_secs()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(body.get("status").is_none(), "nothing that reads as a payment: {body}");
    }
    let (status, _) = pos_send(&a, &theirs, "GET", &format!("/v1/pos/payments/{id}"), "", &nonce(), now_secs()).await;
    assert_eq!(status, StatusCode::OK, "its own merchant's till reads it");
    assert_books_sound(&a).await;
});
