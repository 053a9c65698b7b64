//! Merchants over real HTTP on SQLite and PostgreSQL: four-eyes onboarding, staff who reach only
//! their own merchant and only what their role allows, credentials shown once and kept sealed,
//! webhook secrets rotated with an overlap, and suspension.

mod common;

use common::TestDb;
use common::identity_app::*;
use common::merchant_app::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn new_merchant(name: &str, kana: &str) -> Value {
    json!({ "legal_name": name, "legal_name_kana": kana, "mcc": "5812", "contact_email": "contact@shop.example.jp" })
}

/// A client that sends `Idempotency-Key: key` with every request.
fn keyed_client(key: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("Idempotency-Key", key.parse().unwrap());
    headers.insert(reqwest::header::ACCEPT_LANGUAGE, "en".parse().unwrap());
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

/// Every text column of every table, for a scan.
async fn all_text(a: &App) -> String {
    let tables = [
        "merchants",
        "merchant_stores",
        "pos_keys",
        "webhook_endpoints",
        "webhook_secrets",
        "audit_log",
        "http_idempotency",
        "outbox",
    ];
    let mut text = String::new();
    for table in tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(a.t.db.read_pool())
            .await
            .unwrap();
        for row in rows {
            use sqlx::{Column, Row};
            for (i, col) in row.columns().iter().enumerate() {
                if let Ok(s) = row.try_get::<String, _>(i) {
                    text.push_str(col.name());
                    text.push('=');
                    text.push_str(&s);
                    text.push('\n');
                }
            }
        }
    }
    text
}

// Four eyes: one operator proposes, another approves; the proposer cannot approve their own.
on_both!(
    a_merchant_proposed_by_one_operator_is_approved_by_another_and_gets_its_ledger_account,
    |t: TestDb| async move {
        let a = app(t, Default::default()).await;
        let (first, _) = operator(&a, "ops1@example.jp", "admin").await;
        let (second, _) = operator(&a, "ops2@example.jp", "admin").await;
        let (analyst, _) = operator(&a, "analyst@example.jp", "analyst").await;

        for (body, param) in [
            (
                json!({ "legal_name": "株式会社アンシン", "legal_name_kana": "株式会社安心", "mcc": "5812", "contact_email": "a@b.jp" }),
                "legal_name_kana",
            ),
            (
                json!({ "legal_name": "株式会社アンシン", "legal_name_kana": "アンシン", "mcc": "58", "contact_email": "a@b.jp" }),
                "mcc",
            ),
            (
                json!({ "legal_name": "\u{200b}", "legal_name_kana": "アンシン", "mcc": "5812", "contact_email": "a@b.jp" }),
                "legal_name",
            ),
            (
                json!({ "legal_name": "株式会社アンシン", "legal_name_kana": "アンシン", "mcc": "5812", "contact_email": "not-mail" }),
                "contact_email",
            ),
            (
                json!({ "legal_name": "株式会社アンシン", "legal_name_kana": "アンシン", "mcc": "5812", "contact_email": "a@b.jp", "fee_rate_bp": 5000 }),
                "fee_rate_bp",
            ),
        ] {
            let (status, e) = a.post("/v1/ops/merchants", body, Some(&first)).await;
            assert_eq!((status, e["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some(param)), "{e}");
        }

        let (status, m) = a
            .post("/v1/ops/merchants", new_merchant("株式会社アンシン", "カブシキガイシャアンシン"), Some(&first))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{m}");
        assert_eq!(m["status"], "pending_review");
        assert_eq!(m["fee_rate_bp"], 260, "2.6% by default");
        let id = m["id"].as_str().unwrap();
        let review = format!("/v1/ops/merchants/{id}/review");

        let (status, e) = a.post(&review, json!({ "approve": true }), Some(&first)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "the proposer cannot approve: {e}");
        let (status, _) = a.post(&review, json!({ "approve": true }), Some(&analyst)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "analysts do not decide");
        let (status, approved) =
            a.post(&review, json!({ "approve": true, "reason": "documents checked" }), Some(&second)).await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!(approved["status"], "active");
        let account = approved["receivable_account_id"].as_str().unwrap();
        let owner: String =
            sqlx::query_scalar("SELECT owner_ref FROM ledger_accounts WHERE id = $1 AND kind = 'merchant_receivable'")
                .bind(account)
                .fetch_one(a.t.db.read_pool())
                .await
                .unwrap();
        assert_eq!(owner, id);
        let (status, _) = a.post(&review, json!({ "approve": false }), Some(&second)).await;
        assert_eq!(status, StatusCode::CONFLICT, "decided once");

        let (status, list) = a.get("/v1/ops/merchants?status=active", &analyst).await;
        assert_eq!(status, StatusCode::OK);
        assert!(list.as_array().unwrap().iter().any(|m| m["id"] == id));
        let audited = a
            .count("SELECT COUNT(*) FROM audit_log WHERE action IN ('merchants.proposed', 'merchants.approved')")
            .await;
        assert_eq!(audited, 2);
        let refusals = a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'authz.denied'").await;
        assert!(refusals >= 2, "both refusals audited");
    }
);

// Staff reach only their own merchant (another's is "not found", and audited), and a cashier
// takes payments but changes nothing.
on_both!(staff_reach_only_their_own_merchant_and_a_cashier_changes_nothing, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let (mine, owner, _) = merchant_with(&a, "Alpha", "owner@alpha.example.jp", "owner").await;
    let (theirs, other_owner, _) = merchant_with(&a, "Beta", "owner@beta.example.jp", "owner").await;
    add_store(&a, &theirs, &other_owner).await;

    for path in [
        format!("/v1/merchants/{theirs}"),
        format!("/v1/merchants/{theirs}/stores"),
        format!("/v1/merchants/{theirs}/staff"),
        format!("/v1/merchants/{theirs}/pos-keys"),
        format!("/v1/merchants/{theirs}/webhooks"),
    ] {
        let (status, body) = a.get(&path, &owner).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let body = json!({ "name": "x", "postal_code": "1000001", "address": "x" });
    let (status, _) = a.post(&format!("/v1/merchants/{theirs}/stores"), body.clone(), Some(&owner)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let denied = a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'authz.denied'").await;
    assert!(denied >= 6, "every probe of another merchant is audited ({denied})");

    let store = add_store(&a, &mine, &owner).await;
    let (cashier, _) = staff(&a, &mine, "cashier@alpha.example.jp", "cashier").await;
    assert_eq!(a.get(&format!("/v1/merchants/{mine}/stores"), &cashier).await.0, StatusCode::OK);
    for (path, body) in [
        (format!("/v1/merchants/{mine}/stores"), body),
        (format!("/v1/merchants/{mine}/stores/{store}/status"), json!({ "open": false })),
        (format!("/v1/merchants/{mine}/pos-keys"), json!({ "store_id": store, "label": "till" })),
        (format!("/v1/merchants/{mine}/webhooks"), json!({ "url": "https://hooks.example.com/anshin" })),
        (
            format!("/v1/merchants/{mine}/staff"),
            json!({ "email": "x@alpha.example.jp", "legal_name": "X", "role": "cashier" }),
        ),
    ] {
        let (status, e) = a.post(&path, body, Some(&cashier)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {e}");
    }
    assert_eq!(a.get(&format!("/v1/merchants/{mine}/pos-keys"), &cashier).await.0, StatusCode::FORBIDDEN);
    // A wallet user is nobody's staff.
    let wallet = a.register("wallet@example.jp", "+819011112222").await;
    assert_eq!(a.get(&format!("/v1/merchants/{mine}"), &wallet.token).await.0, StatusCode::NOT_FOUND);
});

// A POS key needs a step-up for itself, is shown once, never replayed, and stored only sealed.
on_both!(a_pos_key_needs_a_step_up_is_shown_once_and_is_stored_only_sealed, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let (mine, owner, codes) = merchant_with(&a, "Gamma", "owner@gamma.example.jp", "owner").await;
    let store = add_store(&a, &mine, &owner).await;
    let path = format!("/v1/merchants/{mine}/pos-keys");
    let body = json!({ "store_id": store, "label": "till 1" });

    let (status, e) = a.post(&path, body.clone(), Some(&owner)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")), "{e}");
    let wrong_grant = a.step_up_by(&owner, "manage_webhooks", "recovery_code", &codes[0]).await;
    let (status, _) = a.post(&path, body.clone(), Some(&wrong_grant)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a grant for another action does not do");
    let owner = a.step_up_by(&wrong_grant, "create_pos_key", "recovery_code", &codes[1]).await;
    let keyed = keyed_client("pos-key-1");
    let (status, created) = a.post_with(&keyed, &path, body.clone(), Some(&owner)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ansk_") && secret.len() > 60);
    let key_id = created["key"]["id"].as_str().unwrap().to_owned();

    let (status, e) = a.post_with(&keyed, &path, body.clone(), Some(&owner)).await;
    assert_eq!(status, StatusCode::CONFLICT, "a retry never replays the secret: {e}");
    let (status, _) = a.post(&path, body.clone(), Some(&owner)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the grant was spent");

    let (_, list) = a.get(&path, &owner).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&secret));
    let text = all_text(&a).await;
    assert!(!text.contains(&secret), "the secret is nowhere in the clear");
    assert!(!text.contains(&secret[5..]), "not even without its prefix");
    let context = a.merchants.pos_context(&key_id, false).await.unwrap().unwrap();
    assert_eq!((context.key.store_id.as_str(), context.secret.as_str()), (store.as_str(), secret.as_str()));

    let (status, e) = a.post(&format!("{path}/{key_id}/revocation"), json!({}), Some(&owner)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    assert!(a.merchants.pos_context(&key_id, false).await.unwrap().is_none(), "revoked at once");
    let (status, _) = a.post(&format!("{path}/{key_id}/revocation"), json!({}), Some(&owner)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

// Webhook endpoints: public https only; a rotation keeps the old secret signing for the overlap.
on_both!(webhook_urls_must_be_public_https_and_secrets_rotate_with_an_overlap, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let (mine, owner, codes) = merchant_with(&a, "Delta", "owner@delta.example.jp", "owner").await;
    let path = format!("/v1/merchants/{mine}/webhooks");
    let owner = a.step_up_by(&owner, "manage_webhooks", "recovery_code", &codes[0]).await;
    for url in [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://10.0.0.8/x",
        "https://[::1]/x",
        "https://localhost/x",
        "https://user:pw@hooks.example.com/x",
        "https://metadata/x",
        "not a url",
    ] {
        let (status, e) = a.post(&path, json!({ "url": url }), Some(&owner)).await;
        assert_eq!((status, e["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some("url")), "{url}: {e}");
    }
    let (status, created) = a.post(&path, json!({ "url": "https://hooks.example.com/anshin" }), Some(&owner)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let first = created["secret"].as_str().unwrap().to_owned();
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
    assert_eq!(a.merchants.webhook_signing_secrets(&endpoint).await.unwrap(), vec![first.clone()]);

    let rotate = format!("{path}/{endpoint}/secret-rotation");
    let (status, _) = a.post(&rotate, json!({}), Some(&owner)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "each rotation needs its own grant");
    let owner = a.step_up_by(&owner, "manage_webhooks", "recovery_code", &codes[1]).await;
    let (status, rotated) = a.post(&rotate, json!({}), Some(&owner)).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let second = rotated["secret"].as_str().unwrap().to_owned();
    assert_eq!(rotated["endpoint"]["secret_version"], 2);
    assert_eq!(a.merchants.webhook_signing_secrets(&endpoint).await.unwrap(), vec![second.clone(), first.clone()]);
    // Once the overlap is over, only the new one signs.
    sqlx::query("UPDATE webhook_secrets SET retires_at_ms = 1 WHERE version = 1")
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    assert_eq!(a.merchants.webhook_signing_secrets(&endpoint).await.unwrap(), vec![second.clone()]);
    let text = all_text(&a).await;
    assert!(!text.contains(&first) && !text.contains(&second), "webhook secrets are stored only sealed");

    let (status, _) = a.post(&format!("{path}/{endpoint}/disabling"), json!({}), Some(&owner)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = a.get(&path, &owner).await;
    assert_eq!(list[0]["status"], "disabled");
});

// Suspension: the merchant can do nothing, its contact is told, and an admin brings it back.
on_both!(a_suspended_merchant_does_nothing_until_an_admin_reactivates_it, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let (mine, owner, _) = merchant_with(&a, "Epsilon", "owner@epsilon.example.jp", "owner").await;
    let (admin, _) = operator(&a, "admin@example.jp", "admin").await;
    let suspend = format!("/v1/ops/merchants/{mine}/suspension");
    let (status, _) = a.post(&suspend, json!({ "reason": "fraud report" }), Some(&owner)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "staff cannot lift or set suspensions");
    let (status, m) = a.post(&suspend, json!({ "reason": "fraud report" }), Some(&admin)).await;
    assert_eq!((status, m["status"].as_str()), (StatusCode::OK, Some("suspended")), "{m}");
    a.deliver().await;
    assert!(a.messages_to("contact@epsilon.example.jp").await.iter().any(|m| m.subject.contains("停止")));

    let body = json!({ "name": "x", "postal_code": "1000001", "address": "x" });
    let (status, e) = a.post(&format!("/v1/merchants/{mine}/stores"), body.clone(), Some(&owner)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("merchant_not_active")), "{e}");
    let (status, _) = a.post(&suspend, json!({ "reason": "again" }), Some(&admin)).await;
    assert_eq!(status, StatusCode::CONFLICT, "already suspended");

    let (status, m) =
        a.post(&format!("/v1/ops/merchants/{mine}/reactivation"), json!({ "reason": "cleared" }), Some(&admin)).await;
    assert_eq!((status, m["status"].as_str()), (StatusCode::OK, Some("active")));
    assert_eq!(a.post(&format!("/v1/merchants/{mine}/stores"), body, Some(&owner)).await.0, StatusCode::CREATED);
});

// Owners add anyone (with a step-up for it); managers add cashiers only.
on_both!(owners_add_staff_with_a_step_up_and_managers_add_only_cashiers, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let (mine, owner, codes) = merchant_with(&a, "Zeta", "owner@zeta.example.jp", "owner").await;
    let path = format!("/v1/merchants/{mine}/staff");
    let manager = json!({ "email": "manager@zeta.example.jp", "legal_name": "Mana Ger", "role": "manager" });
    let (status, e) = a.post(&path, manager.clone(), Some(&owner)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")));
    let owner = a.step_up_by(&owner, "add_staff", "recovery_code", &codes[0]).await;
    let (status, added) = a.post(&path, manager, Some(&owner)).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let password = added["initial_password"].as_str().unwrap();
    let manager_token = a.enrolment_session("manager@zeta.example.jp", password).await;
    let (_, manager_codes) = a.enrol_totp(&manager_token).await;
    let manager_token = a.step_up_by(&manager_token, "add_staff", "recovery_code", &manager_codes[0]).await;
    let owner_body = json!({ "email": "owner2@zeta.example.jp", "legal_name": "O Two", "role": "owner" });
    assert_eq!(a.post(&path, owner_body, Some(&manager_token)).await.0, StatusCode::FORBIDDEN);
    let cashier = json!({ "email": "cashier@zeta.example.jp", "legal_name": "Cash Ier", "role": "cashier" });
    assert_eq!(a.post(&path, cashier, Some(&manager_token)).await.0, StatusCode::CREATED);
    let (_, list) = a.get(&path, &owner).await;
    let roles: Vec<_> = list.as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap().to_owned()).collect();
    assert_eq!(roles, ["owner", "manager", "cashier"]);
    assert!(!all_text(&a).await.contains(password), "the initial password is nowhere in the clear");
});

// The payout account: real bank and branch codes, the holder in Zengin form matched against the
// legal name (a mismatch waits for an operator), a step-up for it, owners told, and a change
// that waits out its delay and can be cancelled meanwhile.
on_both!(a_payout_account_change_is_announced_and_waits_out_its_delay, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let (mine, owner, codes) = merchant_with(&a, "Eta", "owner@eta.example.jp", "owner").await;
    let (manager, _) = staff(&a, &mine, "manager@eta.example.jp", "manager").await;
    let path = format!("/v1/merchants/{mine}/payout-accounts");
    let account = |bank: &str, branch: &str, number: &str, holder: &str| {
        json!({ "bank_code": bank, "branch_code": branch, "account_type": "ordinary", "account_number": number,
                "holder_name": holder })
    };
    let good = account("0001", "001", "1234567", "カブシキガイシャテスト");
    assert_eq!(a.post(&path, good.clone(), Some(&manager)).await.0, StatusCode::FORBIDDEN, "owners only");
    let (status, e) = a.post(&path, good.clone(), Some(&owner)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")));
    let owner = a.step_up_by(&owner, "change_payout_account", "recovery_code", &codes[0]).await;
    for (body, param) in [
        (account("9998", "001", "1234567", "テスト"), "bank_code"),
        (account("0001", "999", "1234567", "テスト"), "branch_code"),
        (account("0001", "001", "123456", "テスト"), "account_number"),
        (account("0001", "001", "1234567", "株式会社山田"), "holder_name"),
    ] {
        let (status, e) = a.post(&path, body, Some(&owner)).await;
        assert_eq!((status, e["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some(param)), "{e}");
    }
    let (status, first) = a.post(&path, good, Some(&owner)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], "active", "the first account applies at once");
    assert_eq!(first["holder_name"], "ｶ)ﾃｽﾄ", "kept in Zengin form");
    assert_eq!(first["name_check"], "exact");
    let dest = a.merchants.payout_destination(&mine).await.unwrap().unwrap();
    assert_eq!(dest.id, first["id"].as_str().unwrap());

    // A change to someone else's account: announced, pending for 72 hours, sent to review.
    let owner = a.step_up_by(&owner, "change_payout_account", "recovery_code", &codes[1]).await;
    let before = a.messages_to("owner@eta.example.jp").await.len();
    let (status, change) = a.post(&path, account("0009", "001", "7654321", "ヤマダ タロウ"), Some(&owner)).await;
    assert_eq!(status, StatusCode::CREATED, "{change}");
    assert_eq!((change["status"].as_str(), change["name_check"].as_str()), (Some("pending"), Some("review")));
    let delay_ms = change["effective_at_ms"].as_i64().unwrap() - change["created_at_ms"].as_i64().unwrap();
    assert_eq!(delay_ms, 72 * 3600 * 1000);
    a.deliver().await;
    let told = a.messages_to("owner@eta.example.jp").await;
    assert_eq!(told.len(), before + 1, "the owner hears of it at once");
    assert!(told[0].body.contains("ﾔﾏﾀﾞ ﾀﾛｳ") && told[0].body.contains("末尾321"), "{}", told[0].body);
    assert!(!told[0].body.contains("7654321"), "never the whole account number");
    assert_eq!(a.merchants.payout_destination(&mine).await.unwrap().unwrap().id, dest.id, "still the old one");

    // The owner cancels it; a new change, once due, replaces the old account, but a name that
    // did not match gets no payouts until an operator approves it.
    let cancel = format!("{path}/pending/cancellation");
    assert_eq!(a.post(&cancel, json!({}), Some(&owner)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(a.post(&cancel, json!({}), Some(&owner)).await.0, StatusCode::CONFLICT);
    let owner = a.step_up_by(&owner, "change_payout_account", "recovery_code", &codes[2]).await;
    let (_, change) = a.post(&path, account("0009", "001", "7654321", "ヤマダ タロウ"), Some(&owner)).await;
    sqlx::query("UPDATE merchant_payout_accounts SET effective_at_ms = 1 WHERE status = 'pending'")
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    assert!(a.merchants.payout_destination(&mine).await.unwrap().is_none(), "replaced, but not matched");
    let (admin, _) = operator(&a, "admin@example.jp", "admin").await;
    let review = format!("/v1/ops/merchants/{mine}/payout-accounts/{}/review", change["id"].as_str().unwrap());
    assert_eq!(a.post(&review, json!({ "approve": true }), Some(&owner)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(a.post(&review, json!({ "approve": true }), Some(&admin)).await.0, StatusCode::NO_CONTENT);
    let dest = a.merchants.payout_destination(&mine).await.unwrap().unwrap();
    assert_eq!(dest.id, change["id"].as_str().unwrap());
    let (_, list) = a.get(&path, &owner).await;
    let statuses: Vec<_> = list.as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap().to_owned()).collect();
    assert_eq!(statuses, ["active", "cancelled", "replaced"]);
});
