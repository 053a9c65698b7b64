//! The decision point's waiting paths over real HTTP on SQLite and PostgreSQL: a challenged
//! payment waits for its customer's second factor (bound to that payment), a held one for an
//! analyst; the till may give up on either; nobody deciding in time voids it. Exactly one way out
//! wins, and the money either reaches the merchant or goes back to the parts it came from.

mod common;

use anshin::ledger::{AccountKind, Currency};
use anshin::payments::codes;
use common::TestDb;
use common::identity_app::*;
use common::merchant_app::*;
use common::pay_app::*;
// The payment clock is signed seconds (codes carry i64); identity_app has its own u64 one.
use common::pay_app::now_secs;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn receivable_of(a: &App, shop: &Shop) -> i64 {
    let merchant = anshin::merchants::store::merchant_by_id(&a.t.db, &shop.id).await.unwrap().unwrap();
    a.payments.wallets().ledger().account(&merchant.receivable_account_id).await.unwrap().balance_minor
}

async fn suspense(a: &App) -> i64 {
    let ledger = a.payments.wallets().ledger();
    let id = ledger.system_account(AccountKind::Suspense, &Currency::jpy()).await.unwrap();
    ledger.account(&id).await.unwrap().balance_minor
}

async fn spendable(a: &App, token: &str) -> i64 {
    let (status, balances) = a.get("/v1/me/balances", token).await;
    assert_eq!(status, StatusCode::OK, "{balances}");
    balances["total_minor"].as_i64().unwrap()
}

/// A payment that waits: its id (asserting its status).
async fn waiting_payment(a: &App, shop: &Shop, w: &Wallet, counter: i64, amount: i64, status: &str) -> String {
    let (code, paid) = charge(a, shop, &codes::encode_qr(&w.secret, w.number, counter, now_secs()), amount).await;
    assert_eq!(code, StatusCode::CREATED, "{paid}");
    assert_eq!(paid["status"], status, "{paid}");
    paid["id"].as_str().unwrap().to_owned()
}

/// The customer's challenge for one payment, completed with a recovery code: the new token.
async fn confirm_factor(a: &App, token: &str, payment_id: &str, recovery_code: &str) -> String {
    let path = format!("/v1/me/payments/{payment_id}/confirmation-challenge");
    let (status, challenge) = a.post(&path, json!({}), Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    let path = format!("/v1/me/step-up/{}", challenge["challenge_id"].as_str().unwrap());
    let (status, stepped) =
        a.post(&path, json!({ "factor": "recovery_code", "code": recovery_code }), Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{stepped}");
    stepped["token"].as_str().unwrap().to_owned()
}

async fn pos_cancel(a: &App, shop: &Shop, payment_id: &str) -> (StatusCode, Value) {
    let path = format!("/v1/pos/payments/{payment_id}/cancel");
    pos_send(a, shop, "POST", &path, "{}", &nonce(), now_secs()).await
}

async fn hold_spending(a: &App, w: &Wallet) {
    sqlx::query("UPDATE users SET money_out_blocked_until_ms = $1 WHERE id = $2")
        .bind(i64::MAX / 2)
        .bind(&w.user_id)
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
}

// The challenge path: above the threshold the merchant is not paid until the customer gives a
// factor for this very payment. A factor given for payment A never confirms payment B.
on_both!(a_challenged_payment_is_paid_only_with_a_factor_given_for_it, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Sigma").await;
    let w = wallet(&a, "big@example.jp", "+819020000101", 200_000, 0).await;
    let first = waiting_payment(&a, &shop, &w, 1, 60_000, "requires_confirmation").await;
    let second = waiting_payment(&a, &shop, &w, 2, 70_000, "requires_confirmation").await;
    assert_eq!((receivable_of(&a, &shop).await, suspense(&a).await), (0, 130_000), "nobody is paid yet");
    assert_eq!(spendable(&a, &w.token).await, 70_000);
    let mail = a.messages_to("big@example.jp").await;
    assert!(
        mail.iter().any(|m| m.subject.contains("Confirm your payment")),
        "the customer is asked, not told it is paid"
    );

    // No factor: refused.
    let (status, e) = a.post(&format!("/v1/me/payments/{first}/confirmation"), json!({}), Some(&w.token)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")), "{e}");
    // A factor given for the first payment does not confirm the second.
    let token = confirm_factor(&a, &w.token, &first, &w.recovery_codes[0]).await;
    let (status, e) = a.post(&format!("/v1/me/payments/{second}/confirmation"), json!({}), Some(&token)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")), "{e}");
    let (status, done) = a.post(&format!("/v1/me/payments/{first}/confirmation"), json!({}), Some(&token)).await;
    assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("succeeded")), "{done}");
    // Confirming again changes nothing; the factor is spent.
    let (status, again) = a.post(&format!("/v1/me/payments/{first}/confirmation"), json!({}), Some(&token)).await;
    assert_eq!(again["status"], "succeeded", "{status} {again}");
    assert_eq!((receivable_of(&a, &shop).await, suspense(&a).await), (60_000, 70_000));

    // The second: the customer says no, and the money comes back.
    let (status, canceled) = a.post(&format!("/v1/me/payments/{second}/cancel"), json!({}), Some(&token)).await;
    assert_eq!((status, canceled["status"].as_str()), (StatusCode::OK, Some("canceled")), "{canceled}");
    assert_eq!((suspense(&a).await, spendable(&a, &token).await), (0, 140_000));
    // Another customer cannot see or touch it.
    let other = a.register("other@example.jp", "+819020000102").await;
    assert_eq!(
        a.post(&format!("/v1/me/payments/{first}/cancel"), json!({}), Some(&other.token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_books_sound(&a).await;
});

// The till may give up on a payment that waits, and only on one that waits, of its own merchant.
on_both!(a_till_cancels_only_a_waiting_payment_of_its_own_merchant, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let rival = shop(&a, "Upsilon").await;
    let shop = shop(&a, "Tau").await;
    let w = wallet(&a, "walkaway@example.jp", "+819020000103", 100_000, 500).await;
    let waiting = waiting_payment(&a, &shop, &w, 1, 51_000, "requires_confirmation").await;
    let paid = waiting_payment(&a, &shop, &w, 2, 1_000, "succeeded").await;
    assert_eq!(pos_cancel(&a, &rival, &waiting).await.0, StatusCode::NOT_FOUND, "another merchant's till");
    let (status, e) = pos_cancel(&a, &shop, &paid).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("not_pending")), "{e}");
    let (status, canceled) = pos_cancel(&a, &shop, &waiting).await;
    assert_eq!((status, canceled["status"].as_str()), (StatusCode::OK, Some("canceled")), "{canceled}");
    // The parts came back where they were taken from: the 500 points too.
    let (_, balances) = a.get("/v1/me/balances", &w.token).await;
    let parts = (balances["points_minor"].as_i64(), balances["money_minor"].as_i64());
    assert_eq!(parts, (Some(500), Some(99_000)), "{balances}");
    let (status, e) = pos_cancel(&a, &shop, &waiting).await;
    assert_eq!(e["status"], "canceled", "a retry of the same exit answers the same: {status} {e}");
    assert_eq!(receivable_of(&a, &shop).await, 1_000);
    assert_books_sound(&a).await;
});

// The hold path: an analyst releases or voids a held payment, saying why; nobody else can.
on_both!(an_analyst_releases_or_voids_a_held_payment_and_nobody_else_can, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Phi").await;
    let w = wallet(&a, "cooling@example.jp", "+819020000104", 10_000, 0).await;
    hold_spending(&a, &w).await;
    let first = waiting_payment(&a, &shop, &w, 1, 2_000, "held").await;
    let second = waiting_payment(&a, &shop, &w, 2, 3_000, "held").await;
    let (analyst, _) = operator(&a, "analyst@anshin.example.jp", "analyst").await;
    let decide = |id: &str| format!("/v1/ops/payments/{id}/decision");

    // The customer, the merchant's owner and the till are not analysts.
    for token in [&w.token, &shop.owner] {
        assert_eq!(a.get("/v1/ops/payments/waiting", token).await.0, StatusCode::NOT_FOUND);
        let body = json!({ "decision": "release", "reason": "looks fine" });
        assert_eq!(a.post(&decide(&first), body, Some(token)).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        pos_send(&a, &shop, "POST", &decide(&first), "{}", &nonce(), now_secs()).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (status, queue) = a.get("/v1/ops/payments/waiting", &analyst).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert_eq!(queue.as_array().unwrap().len(), 2, "{queue}");
    assert!(queue[0]["expires_at_ms"].as_i64().unwrap() > queue[0]["created_at_ms"].as_i64().unwrap());
    let (status, e) = a.post(&decide(&first), json!({ "decision": "release", "reason": " " }), Some(&analyst)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("reason_invalid")), "{e}");
    let body = json!({ "decision": "release", "reason": "the customer called from the registered phone" });
    let (status, released) = a.post(&decide(&first), body, Some(&analyst)).await;
    assert_eq!((status, released["status"].as_str()), (StatusCode::OK, Some("succeeded")), "{released}");
    let body = json!({ "decision": "void", "reason": "takeover pattern" });
    let (status, voided) = a.post(&decide(&second), body, Some(&analyst)).await;
    assert_eq!((status, voided["status"].as_str()), (StatusCode::OK, Some("voided")), "{voided}");
    let body = json!({ "decision": "release", "reason": "changed my mind" });
    let (status, e) = a.post(&decide(&second), body, Some(&analyst)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("not_pending")), "{e}");
    assert_eq!((receivable_of(&a, &shop).await, suspense(&a).await), (2_000, 0));
    let audited = a
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE details LIKE '%takeover pattern%' OR actor LIKE '%takeover pattern%'",
        )
        .await;
    assert!(audited >= 1, "the analyst's reason is in the audit chain");
    assert_books_sound(&a).await;
});

// Whoever comes first decides: twenty exits at once (tills canceling, analysts releasing and
// voiding) leave exactly one journal, and the money is in exactly one place.
on_both!(racing_exits_of_one_held_payment_decide_it_once, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Chi").await;
    let w = wallet(&a, "race@example.jp", "+819020000105", 10_000, 0).await;
    hold_spending(&a, &w).await;
    let id = waiting_payment(&a, &shop, &w, 1, 4_000, "held").await;
    let (analyst, _) = operator(&a, "analyst2@anshin.example.jp", "analyst").await;
    let mut tasks = Vec::new();
    let (a, shop) = (std::sync::Arc::new(a), std::sync::Arc::new(shop));
    for i in 0..20 {
        let (a, shop, id, analyst) = (a.clone(), shop.clone(), id.clone(), analyst.clone());
        tasks.push(tokio::spawn(async move {
            match i % 3 {
                0 => pos_cancel(&a, &shop, &id).await,
                1 => {
                    let body = json!({ "decision": "release", "reason": "ok" });
                    a.post(&format!("/v1/ops/payments/{id}/decision"), body, Some(&analyst)).await
                }
                _ => {
                    let body = json!({ "decision": "void", "reason": "no" });
                    a.post(&format!("/v1/ops/payments/{id}/decision"), body, Some(&analyst)).await
                }
            }
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert!(status == StatusCode::OK || status == StatusCode::PAYMENT_REQUIRED, "{status} {body}");
        if status == StatusCode::OK {
            outcomes.push(body["status"].as_str().unwrap().to_owned());
        }
    }
    outcomes.dedup();
    assert_eq!(outcomes.len(), 1, "every success reports the one exit that won: {outcomes:?}");
    let entries = a.count(&format!("SELECT COUNT(*) FROM ledger_entries WHERE idempotency_key = 'pending:{id}'")).await;
    assert_eq!(entries, 1);
    let (receivable, back) = (receivable_of(&a, &shop).await, spendable(&a, &w.token).await);
    match outcomes[0].as_str() {
        "succeeded" => assert_eq!((receivable, back), (4_000, 6_000)),
        _ => assert_eq!((receivable, back), (0, 10_000)),
    }
    assert_eq!(suspense(&a).await, 0);
    assert_books_sound(&a).await;
});

// Nobody decided in time: the sweep voids it, and a late confirmation finds nothing to confirm.
on_both!(a_waiting_payment_nobody_decides_expires_to_a_void, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let shop = shop(&a, "Psi").await;
    let w = wallet(&a, "late@example.jp", "+819020000106", 100_000, 0).await;
    let id = waiting_payment(&a, &shop, &w, 1, 80_000, "requires_confirmation").await;
    let token = confirm_factor(&a, &w.token, &id, &w.recovery_codes[0]).await;
    assert_eq!(a.payments.expire_waiting().await.unwrap(), 0, "not yet due");
    // Five minutes and a second later.
    sqlx::query("UPDATE payments SET created_at_ms = created_at_ms - 301000 WHERE id = $1")
        .bind(&id)
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    assert_eq!(a.payments.expire_waiting().await.unwrap(), 1);
    let (status, e) = a.post(&format!("/v1/me/payments/{id}/confirmation"), json!({}), Some(&token)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("not_pending")), "{e}");
    let (_, seen) = a.get(&format!("/v1/me/payments/{id}"), &token).await;
    assert_eq!(seen["status"], "voided");
    assert_eq!((spendable(&a, &token).await, suspense(&a).await, receivable_of(&a, &shop).await), (100_000, 0, 0));
    assert!(a.messages_to("late@example.jp").await.iter().any(|m| m.subject.contains("was not made")));
    assert_books_sound(&a).await;
});
