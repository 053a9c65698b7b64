//! The merchant portal and the ops console's merchant pages over real HTTP, on SQLite and
//! PostgreSQL, without a browser: every form needs its CSRF token, each role is offered only
//! what it may do and the service still refuses the rest, a change that needs a step-up goes
//! through the step-up page and back, and four eyes hold on the pages too.

mod common;

use common::TestDb;
use common::identity_app::*;
use common::merchant_app::*;
use common::page_client::*;
use reqwest::StatusCode;
use serde_json::json;

/// Everything a merchant form could change, counted.
async fn snapshot(a: &App) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM merchants",
        "SELECT COUNT(*) FROM merchants WHERE status = 'active'",
        "SELECT COUNT(*) FROM merchant_stores",
        "SELECT COUNT(*) FROM merchant_stores WHERE status = 'open'",
        "SELECT COUNT(*) FROM users",
        "SELECT COUNT(*) FROM pos_keys WHERE revoked_at_ms = 0",
        "SELECT COUNT(*) FROM webhook_endpoints WHERE status = 'enabled'",
        "SELECT COUNT(*) FROM webhook_secrets",
        "SELECT COUNT(*) FROM merchant_payout_accounts WHERE status IN ('active', 'pending')",
        "SELECT COUNT(*) FROM merchant_payout_accounts WHERE name_check = 'review'",
        "SELECT COUNT(*) FROM step_up_grants",
        "SELECT COUNT(*) FROM audit_log",
        "SELECT COUNT(*) FROM outbox",
    ] {
        counts.push((sql.to_owned(), a.count(sql).await));
    }
    counts
}

on_both!(every_merchant_form_refuses_a_missing_or_wrong_csrf_token_and_changes_nothing, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let (admin, _) = operator(&a, "ops@example.jp", "admin").await;
    let mine = merchant(&a, "Alpha").await;
    let (owner, _) = staff(&a, &mine, "owner@alpha.example.jp", "owner").await;
    let store = add_store(&a, &mine, &owner).await;
    let proposal = json!({ "legal_name": "株式会社ベータ", "legal_name_kana": "カブシキガイシャベータ", "mcc": "5812",
                           "contact_email": "beta@shop.example.jp" });
    let (status, pending) = a.post("/v1/ops/merchants", proposal, Some(&admin)).await;
    assert_eq!(status, StatusCode::CREATED, "{pending}");
    let pending = pending["id"].as_str().unwrap().to_owned();

    let ops_forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/ops/merchants/new",
            vec![
                ("legal_name", "株式会社ガンマ"),
                ("legal_name_kana", "カブシキガイシャガンマ"),
                ("mcc", "5812"),
                ("contact_email", "gamma@shop.example.jp"),
                ("fee_rate_bp", "260"),
            ],
        ),
        ("/ops/merchants/review", vec![("merchant_id", &pending), ("decision", "reject"), ("reason", "forged")]),
        ("/ops/merchants/suspension", vec![("merchant_id", &mine), ("suspend", "true"), ("reason", "forged")]),
        ("/ops/merchants/payout-review", vec![("merchant_id", &mine), ("account_id", "pa_x"), ("decision", "approve")]),
    ];
    let portal_forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/merchant/stores",
            vec![("name", "新宿店"), ("postal_code", "160-0022"), ("address", "東京都新宿区新宿3-1-1")],
        ),
        ("/merchant/stores/status", vec![("store_id", &store), ("open", "false")]),
        ("/merchant/staff", vec![("email", "new@alpha.example.jp"), ("legal_name", "New Person"), ("role", "manager")]),
        ("/merchant/pos-keys", vec![("store_id", &store), ("label", "till 1")]),
        ("/merchant/pos-keys/revoke", vec![("key_id", "pk_x")]),
        ("/merchant/webhooks", vec![("url", "https://hooks.example.com/anshin")]),
        ("/merchant/webhooks/rotate", vec![("endpoint_id", "we_x")]),
        ("/merchant/webhooks/disable", vec![("endpoint_id", "we_x")]),
        (
            "/merchant/payout-account",
            vec![
                ("bank_code", "0001"),
                ("branch_code", "001"),
                ("account_type", "ordinary"),
                ("account_number", "1234567"),
                ("holder_name", "カブシキガイシャテスト"),
            ],
        ),
        ("/merchant/payout-account/cancel", vec![]),
    ];
    let before = snapshot(&a).await;
    let forms = ops_forms.iter().map(|f| (f, &admin)).chain(portal_forms.iter().map(|f| (f, &owner)));
    for ((path, fields), session) in forms {
        // Cross-site: no CSRF cookie at all; or a cookie whose token is not the form's.
        for cookie in [None, Some(OTHER_CSRF)] {
            let got = post(&a, path, session, cookie, fields).await;
            assert_eq!(got.status, StatusCode::FORBIDDEN, "{path} with cookie {cookie:?}: {}", got.body);
            assert!(got.body.contains("did not come from this site"), "{path}: {}", got.body);
        }
    }
    assert_eq!(snapshot(&a).await, before, "a refused form changes nothing, not even the audit log");

    // The same session and fields with the right token do go through.
    let got = post(&a, portal_forms[0].0, &owner, Some(CSRF), &portal_forms[0].1).await;
    assert_eq!((got.status, got.location.as_str()), (StatusCode::SEE_OTHER, "/merchant"), "{}", got.body);
    assert_eq!(a.count("SELECT COUNT(*) FROM merchant_stores").await, 2);
});

on_both!(each_role_is_offered_only_what_it_may_do_and_the_service_still_refuses_the_rest, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let mine = merchant(&a, "Alpha").await;
    let (owner, _) = staff(&a, &mine, "owner@alpha.example.jp", "owner").await;
    let (manager, _) = staff(&a, &mine, "manager@alpha.example.jp", "manager").await;
    let (cashier, _) = staff(&a, &mine, "cashier@alpha.example.jp", "cashier").await;
    add_store(&a, &mine, &owner).await;

    let owner_page = page(&a, "/merchant", &owner).await;
    assert_eq!(owner_page.status, StatusCode::OK);
    for action in
        ["/merchant/stores", "/merchant/staff", "/merchant/pos-keys", "/merchant/webhooks", "/merchant/payout-account"]
    {
        assert!(owner_page.body.contains(&format!("action=\"{action}\"")), "the owner may use {action}");
    }
    for role in ["owner", "manager", "cashier"] {
        assert!(owner_page.body.contains(&format!("<option value=\"{role}\">")), "an owner adds a {role}");
    }
    let manager_page = page(&a, "/merchant", &manager).await;
    assert!(manager_page.body.contains("<option value=\"cashier\">"), "a manager adds cashiers");
    assert!(
        !manager_page.body.contains("<option value=\"manager\">")
            && !manager_page.body.contains("<option value=\"owner\">")
    );
    assert!(!manager_page.body.contains("payout"), "where the money goes is the owner's alone");

    let cashier_page = page(&a, "/merchant", &cashier).await;
    assert_eq!(cashier_page.status, StatusCode::OK);
    assert!(cashier_page.body.contains("渋谷店"), "a cashier sees the stores");
    assert!(!cashier_page.body.contains("action=\"/merchant/"), "and nothing to change: {}", cashier_page.body);
    assert!(!cashier_page.body.contains("id=\"staff\"") && !cashier_page.body.contains("id=\"pos-keys\""));

    // A cashier who forges the form anyway is refused by the service, and it is audited.
    let denied = a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'authz.denied'").await;
    let fields = [("name", "新宿店"), ("postal_code", "160-0022"), ("address", "東京都新宿区新宿3-1-1")];
    let got = post(&a, "/merchant/stores", &cashier, Some(CSRF), &fields).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "{}", got.body);
    assert!(got.body.contains("You may not do this."), "{}", got.body);
    assert_eq!(a.count("SELECT COUNT(*) FROM merchant_stores").await, 1);
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'authz.denied'").await, denied + 1);

    // Each side keeps to its own pages.
    let (admin, _) = operator(&a, "ops@example.jp", "admin").await;
    assert_eq!(page(&a, "/merchant", &admin).await.status, StatusCode::FORBIDDEN);
    assert_eq!(page(&a, "/ops/merchants", &cashier).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        post(
            &a,
            "/ops/merchants/suspension",
            &owner,
            Some(CSRF),
            &[("merchant_id", &mine), ("suspend", "true"), ("reason", "x")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
});

on_both!(a_change_that_needs_a_step_up_goes_through_the_step_up_page_and_back, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let mine = merchant(&a, "Alpha").await;
    let (owner, codes) = staff(&a, &mine, "owner@alpha.example.jp", "owner").await;
    let store = add_store(&a, &mine, &owner).await;
    let fields = [("store_id", store.as_str()), ("label", "till 1")];

    let got = post(&a, "/merchant/pos-keys", &owner, Some(CSRF), &fields).await;
    assert_eq!((got.status, got.location.as_str()), (StatusCode::SEE_OTHER, "/wallet/step-up?action=create_pos_key"));
    assert_eq!(a.count("SELECT COUNT(*) FROM pos_keys").await, 0);

    // The step-up pages: explain, start, give a recovery code, and come back to the portal.
    let explained = page(&a, "/wallet/step-up?action=create_pos_key", &owner).await;
    assert!(explained.body.contains("To create a POS key"), "{}", explained.body);
    let factor = post(&a, "/wallet/step-up", &owner, Some(CSRF), &[("action", "create_pos_key")]).await;
    assert_eq!(factor.status, StatusCode::OK, "{}", factor.body);
    let challenge = factor.body.split("name=\"challenge_id\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let verify = [("challenge_id", challenge), ("factor", "recovery_code"), ("code", codes[0].as_str())];
    let back = post(&a, "/wallet/step-up/verify", &owner, Some(CSRF), &verify).await;
    assert_eq!((back.status, back.location.as_str()), (StatusCode::SEE_OTHER, "/merchant?confirmed=create_pos_key"));
    let session = back.set_cookie.iter().find_map(|c| c.strip_prefix("__Host-anshin_session=")).unwrap();
    let owner = session.split(';').next().unwrap().to_owned();
    assert!(page(&a, "/merchant?confirmed=create_pos_key", &owner).await.body.contains("id=\"confirmed\""));

    let created = post(&a, "/merchant/pos-keys", &owner, Some(CSRF), &fields).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let secret = created.body.split("id=\"pos-secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("ansk_"), "{secret}");
    assert!(created.body.contains("shown only this once"));
    assert!(created.set_cookie.iter().all(|c| !c.contains(&secret)));
    let portal = page(&a, "/merchant", &owner).await;
    assert!(portal.body.contains("till 1") && !portal.body.contains(&secret), "listed, without its secret");

    // The grant was spent with the key: the next one needs its own step-up.
    let again = post(&a, "/merchant/pos-keys", &owner, Some(CSRF), &fields).await;
    assert_eq!(again.location, "/wallet/step-up?action=create_pos_key");
    let key_id = portal.body.split("data-key=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let revoked = post(&a, "/merchant/pos-keys/revoke", &owner, Some(CSRF), &[("key_id", &key_id)]).await;
    assert_eq!(
        (revoked.status, revoked.location.as_str()),
        (StatusCode::SEE_OTHER, "/merchant"),
        "revoking needs no step-up"
    );
    assert!(a.merchants.pos_context(&key_id, false).await.unwrap().is_none());
});

on_both!(four_eyes_hold_on_the_ops_pages_and_analysts_only_read, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let (first, _) = operator(&a, "ops1@example.jp", "admin").await;
    let (second, _) = operator(&a, "ops2@example.jp", "admin").await;
    let (analyst, _) = operator(&a, "analyst@example.jp", "analyst").await;
    let proposal = [
        ("legal_name", "株式会社アンシン"),
        ("legal_name_kana", "カブシキガイシャアンシン"),
        ("mcc", "58"),
        ("contact_email", "contact@anshin.example.jp"),
        ("fee_rate_bp", "260"),
    ];

    let refused = post(&a, "/ops/merchants/new", &first, Some(CSRF), &proposal).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("four digits") && refused.body.contains("value=\"株式会社アンシン\""),
        "kept: {}",
        refused.body
    );
    let mut proposal = proposal.to_vec();
    proposal[2] = ("mcc", "5812");
    let proposed = post(&a, "/ops/merchants/new", &first, Some(CSRF), &proposal).await;
    assert_eq!(proposed.status, StatusCode::OK, "{}", proposed.body);
    let id = proposed.body.split("id=\"merchant-id\">").nth(1).unwrap().split('<').next().unwrap().to_owned();

    let list = page(&a, "/ops/merchants", &first).await;
    let pending = list.body.split("id=\"merchants-pending_review\"").nth(1).unwrap().split("</ul>").next().unwrap();
    assert!(pending.contains(&id) && pending.contains(&format!("id=\"approve-{id}\"")), "{}", list.body);
    let read_only = page(&a, "/ops/merchants", &analyst).await;
    assert!(read_only.body.contains(&id) && !read_only.body.contains("approve-"), "analysts see, and decide nothing");

    let review = [("merchant_id", id.as_str()), ("decision", "approve"), ("reason", "documents checked")];
    let own = post(&a, "/ops/merchants/review", &first, Some(CSRF), &review).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert!(own.body.contains("other than the operator who proposed it"), "{}", own.body);
    assert_eq!(post(&a, "/ops/merchants/review", &analyst, Some(CSRF), &review).await.status, StatusCode::FORBIDDEN);
    let garbled =
        post(&a, "/ops/merchants/review", &second, Some(CSRF), &[("merchant_id", &id), ("decision", "yes")]).await;
    assert_eq!(garbled.status, StatusCode::BAD_REQUEST);
    let approved = post(&a, "/ops/merchants/review", &second, Some(CSRF), &review).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert!(approved.body.contains("is approved and active"));
    let again = post(&a, "/ops/merchants/review", &second, Some(CSRF), &review).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("not awaiting review"), "{}", again.body);

    let suspend = [("merchant_id", id.as_str()), ("suspend", "true"), ("reason", "chargebacks")];
    let suspended = post(&a, "/ops/merchants/suspension", &second, Some(CSRF), &suspend).await;
    assert!(suspended.status == StatusCode::OK && suspended.body.contains("is suspended"), "{}", suspended.body);
    let list = page(&a, "/ops/merchants", &second).await;
    assert!(list.body.contains(&format!("id=\"reactivate-{id}\"")) && list.body.contains("chargebacks"));
    let reactivate = [("merchant_id", id.as_str()), ("suspend", "false"), ("reason", "resolved")];
    assert_eq!(post(&a, "/ops/merchants/suspension", &first, Some(CSRF), &reactivate).await.status, StatusCode::OK);

    // An owner sets an account in another name: it waits for an admin, who approves it on the page.
    let (owner, codes) = staff(&a, &id, "owner@anshin.example.jp", "owner").await;
    let owner = a.step_up_by(&owner, "change_payout_account", "recovery_code", &codes[0]).await;
    let account = [
        ("bank_code", "0001"),
        ("branch_code", "001"),
        ("account_type", "ordinary"),
        ("account_number", "7654321"),
        ("holder_name", "ヤマダ タロウ"),
    ];
    let set = post(&a, "/merchant/payout-account", &owner, Some(CSRF), &account).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let list = page(&a, "/ops/merchants", &second).await;
    let reviews = list.body.split("id=\"payout-reviews\"").nth(1).unwrap();
    let account_id = reviews.split("data-account=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert!(reviews.contains("ﾔﾏﾀﾞ ﾀﾛｳ") && reviews.contains("カブシキガイシャアンシン"), "beside the legal name");
    let decide = [("merchant_id", id.as_str()), ("account_id", account_id.as_str()), ("decision", "approve")];
    assert_eq!(post(&a, "/ops/merchants/payout-review", &second, Some(CSRF), &decide).await.status, StatusCode::OK);
    assert_eq!(a.merchants.payout_destination(&id).await.unwrap().unwrap().id, account_id);
    assert!(!page(&a, "/ops/merchants", &second).await.body.contains(&account_id), "decided, so no longer listed");
});

on_both!(stores_webhooks_and_a_payout_change_are_run_from_the_portal, |t: TestDb| async move {
    let a = app(t, Default::default()).await;
    let mine = merchant(&a, "Alpha").await;
    let (owner, codes) = staff(&a, &mine, "owner@alpha.example.jp", "owner").await;
    let store = add_store(&a, &mine, &owner).await;

    let closed =
        post(&a, "/merchant/stores/status", &owner, Some(CSRF), &[("store_id", &store), ("open", "false")]).await;
    assert_eq!(closed.location, "/merchant");
    let portal = page(&a, "/merchant", &owner).await;
    assert!(portal.body.contains("data-status=\"closed\"") && portal.body.contains("Reopen this store"));
    assert!(portal.body.contains("add or reopen a store first"), "no POS key for a closed store");
    post(&a, "/merchant/stores/status", &owner, Some(CSRF), &[("store_id", &store), ("open", "true")]).await;

    // Webhooks: each secret shown once, the rotation saying how long the old one still works.
    let owner = a.step_up_by(&owner, "manage_webhooks", "recovery_code", &codes[0]).await;
    let added =
        post(&a, "/merchant/webhooks", &owner, Some(CSRF), &[("url", "https://hooks.example.com/anshin")]).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let first = added.body.split("id=\"webhook-secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(first.starts_with("whsec_"));
    let portal = page(&a, "/merchant", &owner).await;
    let endpoint = portal.body.split("data-endpoint=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert!(!portal.body.contains(&first));
    let rotate = [("endpoint_id", endpoint.as_str())];
    let needs = post(&a, "/merchant/webhooks/rotate", &owner, Some(CSRF), &rotate).await;
    assert_eq!(needs.location, "/wallet/step-up?action=manage_webhooks", "the grant was spent on the endpoint");
    let owner = a.step_up_by(&owner, "manage_webhooks", "recovery_code", &codes[1]).await;
    let rotated = post(&a, "/merchant/webhooks/rotate", &owner, Some(CSRF), &rotate).await;
    assert!(rotated.body.contains("keeps working for 24 hours"), "{}", rotated.body);
    assert_eq!(a.merchants.webhook_signing_secrets(&endpoint).await.unwrap().len(), 2, "both sign for a day");
    let disabled = post(&a, "/merchant/webhooks/disable", &owner, Some(CSRF), &rotate).await;
    assert_eq!(disabled.location, "/merchant");
    assert!(page(&a, "/merchant", &owner).await.body.contains("data-status=\"disabled\""));

    // The first payout account applies at once; a change waits, with its time in Japan time, and
    // can be cancelled from the portal.
    let account = |number: &'static str| {
        [
            ("bank_code", "0001"),
            ("branch_code", "001"),
            ("account_type", "ordinary"),
            ("account_number", number),
            ("holder_name", "カブシキガイシャテスト"),
        ]
    };
    let owner = a.step_up_by(&owner, "change_payout_account", "recovery_code", &codes[2]).await;
    let set = post(&a, "/merchant/payout-account", &owner, Some(CSRF), &account("1234567")).await;
    assert!(set.body.contains("Payouts now go to this account"), "{}", set.body);
    let owner = a.step_up_by(&owner, "change_payout_account", "recovery_code", &codes[3]).await;
    let change = post(&a, "/merchant/payout-account", &owner, Some(CSRF), &account("7654321")).await;
    assert!(change.body.contains("Payouts move to this account at") && change.body.contains("JST"), "{}", change.body);
    let portal = page(&a, "/merchant", &owner).await;
    let pending = portal.body.split("id=\"payout-pending\"").nth(1).unwrap();
    assert!(pending.contains("ending 321") && pending.contains("JST") && !portal.body.contains("7654321"));
    let cancelled = post(&a, "/merchant/payout-account/cancel", &owner, Some(CSRF), &[]).await;
    assert_eq!(cancelled.location, "/merchant");
    let portal = page(&a, "/merchant", &owner).await;
    assert!(!portal.body.contains("id=\"payout-pending\"") && portal.body.contains("ending 567"));
    let again = post(&a, "/merchant/payout-account/cancel", &owner, Some(CSRF), &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("No payout account change is waiting"), "{}", again.body);
});
