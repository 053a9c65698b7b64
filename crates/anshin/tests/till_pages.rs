//! The portal's till page over real HTTP on SQLite and PostgreSQL: a cashier takes a customer's
//! code and shows a code for the customer to scan, learning each outcome from the server; forms
//! need their CSRF token; another merchant's staff and wallet users get nothing.

mod common;

use anshin::payments::codes;
use common::TestDb;
use common::identity_app::*;
use common::merchant_app::*;
use common::page_client::*;
use common::pay_app::*;
// The payment clock is signed seconds (codes carry i64); identity_app has its own u64 one.
use common::pay_app::now_secs;
use reqwest::StatusCode;
use serde_json::json;

on_both!(a_cashier_takes_payments_both_ways_at_the_till_page_and_nobody_else_sees_them, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let rival = shop(&a, "Kiku").await;
    let shop = shop(&a, "Tsubaki").await;
    let (cashier, _) = staff(&a, &shop.id, "cashier@tsubaki.example.jp", "cashier").await;
    let w = wallet(&a, "till@example.jp", "+819020000501", 10_000, 0).await;

    let till = page(&a, "/merchant/till", &cashier).await;
    assert_eq!(till.status, StatusCode::OK, "{}", till.body);
    assert!(till.body.contains(&shop.store) && till.body.contains("customer_code"), "{}", till.body);
    assert_eq!(page(&a, "/merchant/till", &w.token).await.status, StatusCode::FORBIDDEN, "a wallet is not staff");
    // Another merchant's staff get no store code of this one, by the portal or through their own
    // merchant's API path.
    let poster = format!("/merchant/stores/{}/poster.png", shop.store);
    assert_eq!(page(&a, &poster, &rival.owner).await.status, StatusCode::NOT_FOUND);
    let qr = format!("/v1/merchants/{}/stores/{}/qr", rival.id, shop.store);
    assert_eq!(a.get(&qr, &rival.owner).await.0, StatusCode::NOT_FOUND);

    // The customer's code, typed at the till: refused without the CSRF cookie, paid with it.
    let digits = codes::encode_digits(&w.secret, w.number, 1, now_secs());
    let fields = [("store_id", shop.store.as_str()), ("amount_minor", "1500"), ("customer_code", digits.as_str())];
    assert_eq!(post(&a, "/merchant/till/charge", &cashier, None, &fields).await.status, StatusCode::FORBIDDEN);
    let taken = post(&a, "/merchant/till/charge", &cashier, Some(CSRF), &fields).await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.body);
    let payment_id = taken.location.rsplit('/').next().unwrap().to_owned();
    let outcome = page(&a, &taken.location, &cashier).await;
    assert!(outcome.body.contains("Paid."), "{}", outcome.body);
    let (_, mine) = a.get(&format!("/v1/me/payments/{payment_id}"), &w.token).await;
    let code = mine["confirmation_code"].as_str().unwrap();
    assert!(outcome.body.contains(code), "the till shows the customer's confirmation number {code}");
    assert_eq!(mine["terminal_id"], "web-till");
    // The same sale sent again (a double click) is the same payment; the code for another amount
    // is used up; another merchant's cashier cannot read the payment.
    let again = post(&a, "/merchant/till/charge", &cashier, Some(CSRF), &fields).await;
    assert_eq!((again.status, again.location.as_str()), (StatusCode::SEE_OTHER, taken.location.as_str()));
    let other = [("store_id", shop.store.as_str()), ("amount_minor", "1600"), ("customer_code", digits.as_str())];
    let used = post(&a, "/merchant/till/charge", &cashier, Some(CSRF), &other).await;
    assert_eq!(used.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", used.body);
    assert!(used.body.contains("already used"), "{}", used.body);
    assert_eq!(page(&a, &taken.location, &rival.owner).await.status, StatusCode::NOT_FOUND);

    // A code on the screen: the page reloads itself until the wallet pays it.
    let fields = [("store_id", shop.store.as_str()), ("amount_minor", "2000")];
    let shown = post(&a, "/merchant/till/requests", &cashier, Some(CSRF), &fields).await;
    assert_eq!(shown.status, StatusCode::SEE_OTHER, "{}", shown.body);
    let waiting = page(&a, &shown.location, &cashier).await;
    assert_eq!((waiting.status, waiting.refresh.as_str()), (StatusCode::OK, "2"), "{}", waiting.body);
    assert!(waiting.body.contains("till-qr"), "{}", waiting.body);
    assert_eq!(page(&a, &shown.location, &rival.owner).await.status, StatusCode::NOT_FOUND, "another merchant's");
    assert_eq!(page(&a, &format!("{}/qr.svg", shown.location), &rival.owner).await.status, StatusCode::NOT_FOUND);
    let svg = page(&a, &format!("{}/qr.svg", shown.location), &cashier).await;
    assert!(svg.status == StatusCode::OK && svg.body.starts_with("<?xml"), "{}", &svg.body[..60.min(svg.body.len())]);
    let request_id = shown.location.rsplit('/').next().unwrap();
    let payload: String = sqlx::query_scalar("SELECT payload FROM payment_requests WHERE id = $1")
        .bind(request_id)
        .fetch_one(a.t.db.read_pool())
        .await
        .unwrap();
    let (status, scan) = a.post("/v1/me/scans", json!({ "payload": payload }), Some(&w.token)).await;
    assert_eq!(status, StatusCode::CREATED, "{scan}");
    assert_eq!(scan["merchant_name"], "Tsubaki");
    let path = format!("/v1/me/scans/{}/payment", scan["id"].as_str().unwrap());
    let (status, paid) = a.post(&path, json!({}), Some(&w.token)).await;
    assert!(status.is_success(), "{status} {paid}");
    let done = page(&a, &shown.location, &cashier).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "a paid code leads to its payment");
    let outcome = page(&a, &done.location, &cashier).await;
    assert!(outcome.body.contains("Paid.") && outcome.body.contains(paid["confirmation_code"].as_str().unwrap()));
    assert!(outcome.refresh.is_empty(), "a decided payment stops reloading");
    assert_books_sound(&a).await;
});

// Every form this issue added refuses a post without its CSRF cookie (a cross-site post), before
// it does anything: nothing is written, not even an audit record.
/// A form's fields, as (name, value).
type Fields<'a> = Vec<(&'a str, &'a str)>;

on_both!(the_pay_and_funding_forms_refuse_a_cross_site_post_and_change_nothing, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Hinoki").await;
    let (cashier, _) = staff(&a, &shop.id, "cashier@hinoki.example.jp", "cashier").await;
    let w = wallet(&a, "forms@example.jp", "+819020000701", 10_000, 0).await;
    let (operator, _) = operator(&a, "forms-ops@anshin.example.jp", "admin").await;
    let digits = codes::encode_digits(&w.secret, w.number, 1, now_secs());
    let fields = [("store_id", shop.store.as_str()), ("amount_minor", "700"), ("customer_code", digits.as_str())];
    let paid = post(&a, "/merchant/till/charge", &cashier, Some(CSRF), &fields).await;
    let payment = paid.location.rsplit('/').next().unwrap().to_owned();
    let refund = format!("/merchant/payments/{payment}/refund");
    let forms: Vec<(&str, &str, Fields)> = vec![
        ("/merchant/till/charge", &cashier, fields.to_vec()),
        ("/merchant/till/requests", &cashier, vec![("store_id", shop.store.as_str()), ("amount_minor", "700")]),
        (refund.as_str(), &shop.owner, vec![("amount_minor", "100"), ("refund_key", "cross-site-1"), ("reason", "x")]),
        (
            "/wallet/bank-accounts",
            &w.token,
            vec![("bank_code", "0001"), ("branch_code", "001"), ("account_number", "1234567")],
        ),
        ("/wallet/bank-accounts/unlink", &w.token, vec![("id", "ba_x")]),
        ("/wallet/top-ups", &w.token, vec![("bank_account_id", "ba_x"), ("amount_minor", "1000")]),
        ("/ops/funding/review", &operator, vec![("id", "ba_x"), ("decision", "approve")]),
        (
            "/ops/funding/points",
            &operator,
            vec![("user_id", w.user_id.as_str()), ("amount_minor", "100"), ("campaign", "x")],
        ),
    ];
    let audit = a.count("SELECT COUNT(*) FROM audit_log").await;
    for (path, session, fields) in forms {
        let refused = post(&a, path, session, None, &fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}: {}", refused.body);
    }
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log").await, audit, "nothing was done");
    assert_eq!(a.count("SELECT COUNT(*) FROM payments").await, 1);
    assert_eq!(a.count("SELECT COUNT(*) FROM payment_requests").await, 0);
    assert_books_sound(&a).await;
});
