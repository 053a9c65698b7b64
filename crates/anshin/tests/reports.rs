//! The regulatory report over HTTP on both engines: the unused prepaid (lite) balance and the
//! deposit it calls for past ¥10,000,000, the money held for transfer customers, as the books
//! stood at the end of a JST day; operators only, each reading audited.

mod common;

use anshin::ledger::{AccountFlags, AccountKind, Command, Currency, NewAccount, Posting};
use common::identity_app::{self, App};
use common::merchant_app::operator;
use common::pay_app::assert_books_sound;
use reqwest::StatusCode;

/// Credit `amount` to a new account of `kind` from the system account `from`.
async fn credit(a: &App, kind: AccountKind, from: AccountKind, amount: i64, n: usize) {
    let ledger = a.payments.wallets().ledger();
    let jpy = Currency::jpy();
    let owner = Some(format!("usr_report{n}"));
    let account = ledger
        .open_account(&NewAccount { kind, currency: jpy.clone(), flags: AccountFlags::NO_NEGATIVE, owner_ref: owner })
        .await
        .unwrap();
    let source = ledger.system_account(from, &jpy).await.unwrap();
    let command = Command::Post {
        key: format!("report-test-{n}"),
        kind: "test_credit".into(),
        description: "report test".into(),
        postings: vec![
            Posting { account_id: source, currency: jpy.clone(), amount_minor: -amount },
            Posting { account_id: account, currency: jpy, amount_minor: amount },
        ],
    };
    ledger.submit(command).await.unwrap();
}

on_both!(the_report_sums_prepaid_and_money_balances_as_of_a_day_for_operators_only, |t| async move {
    let a = identity_app::app(t, Default::default()).await;
    credit(&a, AccountKind::UserLite, AccountKind::CardFundingClearing, 7_000_000, 1).await;
    credit(&a, AccountKind::UserLite, AccountKind::CardFundingClearing, 5_000_001, 2).await;
    credit(&a, AccountKind::UserWallet, AccountKind::BankClearing, 500_000, 3).await;
    credit(&a, AccountKind::UserPoints, AccountKind::CampaignFunding, 1_200, 4).await;
    let (analyst, _) = operator(&a, "analyst@anshin.example", "analyst").await;
    let today = anshin::funding::jst_day(anshin::storage::now_ms());
    let (status, r) = a.get(&format!("/v1/ops/reports/regulatory?as_of={today}"), &analyst).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["unused_prepaid_minor"], 12_000_001);
    assert_eq!(r["prepaid_holders"], 2);
    assert_eq!(r["deposit_required_minor"], 6_000_001, "half, rounded up, past ¥10,000,000");
    assert_eq!(r["transfer_customers_money_minor"], 500_000);
    assert_eq!(r["guarantee_required_minor"], 500_000);
    assert_eq!(r["points_outstanding_minor"], 1_200);
    // As of a day before any of it: nothing was held then.
    let (status, before) = a.get("/v1/ops/reports/regulatory?as_of=2026-03-31", &analyst).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!((before["unused_prepaid_minor"].as_i64(), before["base_date"].as_bool()), (Some(0), Some(true)));
    assert_eq!(before["deposit_required_minor"], 0);
    // A day that has not begun, or no date at all: refused.
    let (status, _) = a.get("/v1/ops/reports/regulatory?as_of=2999-09-30", &analyst).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = a.get("/v1/ops/reports/regulatory?as_of=2026-02-30", &analyst).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Wallets may not read it.
    let wallet = a.registered("reader@example.jp", "+819011119999").await;
    let (status, _) = a.get("/v1/ops/reports/regulatory", &wallet).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The ops console shows the same figures.
    let page = common::page_client::page(&a, &format!("/ops/reports?as_of={today}"), &analyst).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"unused-prepaid\">¥12,000,001<"), "{}", page.body);
    assert!(page.body.contains("id=\"deposit-required\">¥6,000,001<"), "{}", page.body);
    let refused = common::page_client::page(&a, "/ops/reports", &wallet).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reports.regulatory.read'").await, 3);
    assert_books_sound(&a).await;
});
