//! Withdrawals end to end over loopback HTTP against `anshin sim bank`: paid to an account in the
//! verified name (Zengin key) through a total-transfer file, returned and credited back when the
//! bank sends it back, held for an operator's review when the holder is anyone else, refused for
//! an unverified wallet, without a fresh second factor, and during the cooling-off after a real
//! contact change. Each test ends with the ledger and the audit chain verified.

mod common;

use anshin::transfers::TransfersConfig;
use common::funds_app::*;
use common::identity_app::App;
use common::merchant_app::operator;
use common::pay_app::assert_books_sound;
use reqwest::StatusCode;
use serde_json::{Value, json};

const BANK_KEY: &str = "test-bank-key-0123456789";
/// ﾔﾏﾀﾞ ﾀﾛｳ's account at the simulator (¥5,000,000).
const YAMADA: &str = "1234567";

/// Link `number` at bank 0001 branch 001 for `u` (a `link_bank_account` step-up first).
async fn link(a: &App, u: &mut User, number: &str) -> Value {
    u.step_up(a, "link_bank_account").await;
    let body =
        json!({ "bank_code": "0001", "branch_code": "001", "account_type": "ordinary", "account_number": number });
    let (status, linked) = a.post("/v1/me/bank-accounts", body, Some(&u.token)).await;
    assert_eq!(status, StatusCode::CREATED, "{linked}");
    linked
}

async fn withdraw(a: &App, u: &mut User, account_id: &str, amount_minor: i64) -> (StatusCode, Value) {
    u.step_up(a, "withdraw").await;
    a.post("/v1/me/withdrawals", json!({ "bank_account_id": account_id, "amount_minor": amount_minor }), Some(&u.token))
        .await
}

/// The simulator's balance of account `number` at 0001-001.
async fn bank_balance(s: &Setup, number: &str) -> i64 {
    let v: Value = common::identity_app::client()
        .get(format!("{}/v1/accounts/0001/001/{number}", s.bank_url))
        .bearer_auth(BANK_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["balance_minor"].as_i64().unwrap()
}

/// Runs the payout worker's rounds until the withdrawal leaves `sent` (the bank decides after
/// its delay): its status then.
async fn settled(s: &Setup, u: &User, id: &str) -> String {
    for _ in 0..100 {
        s.withdrawals.run_payouts().await.unwrap();
        let (_, w) = s.a.get(&format!("/v1/me/withdrawals/{id}"), &u.token).await;
        let status = w["status"].as_str().unwrap().to_owned();
        if status != "queued" && status != "sent" {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    panic!("withdrawal {id} was never decided")
}

async fn verified_taro(s: &Setup) -> (User, String) {
    let a = &s.a;
    let mut taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    let linked = link(a, &mut taro, YAMADA).await;
    assert_eq!((linked["status"].as_str(), linked["name_check"].as_str()), (Some("linked"), Some("exact")), "{linked}");
    fund(s, &taro.id, 100_000).await;
    (taro, linked["id"].as_str().unwrap().to_owned())
}

on_both!(a_withdrawal_to_the_holder_s_own_account_is_paid_by_the_bank, |t| async move {
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let (mut taro, account) = verified_taro(&s).await;
    let before = bank_balance(&s, YAMADA).await;
    let (status, w) = withdraw(a, &mut taro, &account, 30_000).await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    assert_eq!((w["status"].as_str(), w["name_check"].as_str()), (Some("queued"), Some("exact")));
    assert_eq!(w["account_number_masked"], "***4567");
    assert_eq!(balances(a, &taro.token).await["money_minor"], 70_000, "the money left the wallet at once");
    let id = w["id"].as_str().unwrap();
    assert_eq!(settled(&s, &taro, id).await, "paid");
    assert_eq!(bank_balance(&s, YAMADA).await, before + 30_000);
    // Each withdrawal needs its own fresh second factor.
    let (status, body) = a
        .post("/v1/me/withdrawals", json!({ "bank_account_id": account, "amount_minor": 1_000 }), Some(&taro.token))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "step_up_required"), "{body}");
    // Lite is never withdrawable: past the money balance is refused.
    let (status, body) = withdraw(a, &mut taro, &account, 70_001).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYMENT_REQUIRED, "insufficient_money"), "{body}");
    a.deliver().await;
    assert!(a.messages_to("taro@example.jp").await.iter().any(|m| m.subject.contains("was paid to your bank")));
    assert_eq!(a.count("SELECT COUNT(*) FROM withdrawal_files WHERE status = 'decided'").await, 1);
    assert_books_sound(a).await;
});

on_both!(a_returned_withdrawal_is_credited_back, |t| async move {
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let (mut taro, account) = verified_taro(&s).await;
    let (status, w) = withdraw(a, &mut taro, &account, 40_000).await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    // The account closes before the bank pays: the transfer comes back with code 3.
    let closed = common::identity_app::client()
        .post(format!("{}/v1/test/accounts/0001/001/{YAMADA}/close", s.bank_url))
        .bearer_auth(BANK_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::OK);
    let id = w["id"].as_str().unwrap();
    assert_eq!(settled(&s, &taro, id).await, "returned");
    let (_, w) = a.get(&format!("/v1/me/withdrawals/{id}"), &taro.token).await;
    assert_eq!(w["result_code"], 3);
    assert_eq!(balances(a, &taro.token).await["money_minor"], 100_000, "credited back in full");
    a.deliver().await;
    assert!(a.messages_to("taro@example.jp").await.iter().any(|m| m.subject.contains("came back")));
    // Another run decides nothing twice.
    s.withdrawals.run_payouts().await.unwrap();
    assert_eq!(balances(a, &taro.token).await["money_minor"], 100_000);
    assert_books_sound(a).await;
});

on_both!(a_withdrawal_to_an_account_in_another_name_is_held_for_review_never_paid_by_itself, |t| async move {
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let mut taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    fund(&s, &taro.id, 100_000).await;
    // A family member's account: the link itself waited for an operator, who approved it.
    let added = common::identity_app::client()
        .post(format!("{}/v1/test/accounts", s.bank_url))
        .bearer_auth(BANK_KEY)
        .json(&json!({ "bank_code": "0001", "branch_code": "001", "account_type": "ordinary",
                       "account_number": "7777771", "holder_name": "ヤマダ ハナコ" }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let linked = link(a, &mut taro, "7777771").await;
    assert_eq!(linked["status"], "review", "{linked}");
    let account = linked["id"].as_str().unwrap().to_owned();
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let (status, body) =
        a.post(&format!("/v1/ops/bank-accounts/{account}/review"), json!({ "approve": true }), Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The withdrawal is not paid: the money is held and an operator decides.
    let (status, w) = withdraw(a, &mut taro, &account, 25_000).await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    assert_eq!((w["status"].as_str(), w["name_check"].as_str()), (Some("review"), Some("mismatch")), "{w}");
    assert_eq!(balances(a, &taro.token).await["money_minor"], 75_000, "held, so it cannot be spent meanwhile");
    let run = s.withdrawals.run_payouts().await.unwrap();
    assert!(run.sent.is_empty(), "nothing in review is ever sent: {run:?}");
    assert_eq!(bank_balance(&s, "7777771").await, 0);
    let (status, reviews) = a.get("/v1/ops/withdrawals/reviews", &admin).await;
    assert_eq!(status, StatusCode::OK, "{reviews}");
    assert_eq!(
        (reviews[0]["holder_name"].as_str(), reviews[0]["verified_kana"].as_str()),
        (Some("ﾔﾏﾀﾞ ﾊﾅｺ"), Some("ヤマダ タロウ"))
    );
    // A wallet user cannot read the queue or decide.
    assert_eq!(a.get("/v1/ops/withdrawals/reviews", &taro.token).await.0, StatusCode::FORBIDDEN);
    let id = w["id"].as_str().unwrap();
    let review = format!("/v1/ops/withdrawals/{id}/review");
    let (status, rejected) = a.post(&review, json!({ "approve": false, "note": "not the holder" }), Some(&admin)).await;
    assert_eq!((status, rejected["status"].as_str()), (StatusCode::OK, Some("rejected")), "{rejected}");
    assert_eq!(balances(a, &taro.token).await["money_minor"], 100_000, "the hold is released");
    assert_eq!(a.post(&review, json!({ "approve": true }), Some(&admin)).await.0, StatusCode::CONFLICT, "decided once");
    // Approved, it is paid like any other.
    let (_, w) = withdraw(a, &mut taro, &account, 10_000).await;
    let id = w["id"].as_str().unwrap();
    let (status, approved) =
        a.post(&format!("/v1/ops/withdrawals/{id}/review"), json!({ "approve": true }), Some(&admin)).await;
    assert_eq!((status, approved["status"].as_str()), (StatusCode::OK, Some("queued")), "{approved}");
    assert_eq!(settled(&s, &taro, id).await, "paid");
    assert_eq!(bank_balance(&s, "7777771").await, 10_000);
    assert_eq!(balances(a, &taro.token).await["money_minor"], 90_000);
    assert_books_sound(a).await;
});

on_both!(an_unverified_wallet_cannot_withdraw_nor_anyone_while_a_contact_change_cools_off, |t| async move {
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let mut jiro = registered(a, "jiro@example.jp", "+819011110003", "サトウ ジロウ").await;
    fund(&s, &jiro.id, 10_000).await;
    let (status, body) = withdraw(a, &mut jiro, "ba_none", 1_000).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "identity_not_verified"), "{body}");
    let (mut taro, account) = verified_taro(&s).await;
    // A real e-mail change (step-up, code to the new address) starts the cooling-off.
    taro.step_up(a, "change_contact").await;
    let (status, body) = a
        .post("/v1/me/contacts", json!({ "channel": "email", "value": "taro.new@example.jp" }), Some(&taro.token))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let new_code = a.code_for("taro.new@example.jp").await;
    let (status, body) = a
        .post("/v1/me/contacts/confirmation", json!({ "channel": "email", "code": new_code }), Some(&taro.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = withdraw(a, &mut taro, &account, 1_000).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYMENT_REQUIRED, "money_out_cooling_off"), "{body}");
    // Sending is refused the same way.
    let _hanako = verified(a, "hanako@example.jp", "+819011110002", "佐藤 花子", "サトウ ハナコ").await;
    let (token, _) = payee(a, &taro, "hanako@example.jp").await;
    let (status, body) = send(a, &taro, &token, 1_000).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYMENT_REQUIRED, "money_out_cooling_off"), "{body}");
    assert_eq!(a.count("SELECT COUNT(*) FROM withdrawals").await, 0);
    assert_eq!(balances(a, &taro.token).await["money_minor"], 100_000);
    assert_books_sound(a).await;
});

on_both!(the_ops_console_shows_both_names_and_only_admins_decide, |t| async move {
    use common::page_client::{CSRF, page, post};
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let mut taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    fund(&s, &taro.id, 50_000).await;
    let added = common::identity_app::client()
        .post(format!("{}/v1/test/accounts", s.bank_url))
        .bearer_auth(BANK_KEY)
        .json(&json!({ "bank_code": "0001", "branch_code": "001", "account_type": "ordinary",
                       "account_number": "7777772", "holder_name": "ヤマダ ジロウ" }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let account = link(a, &mut taro, "7777772").await["id"].as_str().unwrap().to_owned();
    let (admin, _) = operator(a, "admin@anshin.example", "admin").await;
    let (analyst, _) = operator(a, "analyst@anshin.example", "analyst").await;
    a.post(&format!("/v1/ops/bank-accounts/{account}/review"), json!({ "approve": true }), Some(&admin)).await;
    let (_, w) = withdraw(a, &mut taro, &account, 20_000).await;
    let id = w["id"].as_str().unwrap().to_owned();
    let queue = page(a, "/ops/withdrawals", &analyst).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.body.contains("ﾔﾏﾀﾞ ｼﾞﾛｳ") && queue.body.contains("ヤマダ タロウ"), "both names side by side");
    assert!(!queue.body.contains(&format!("approve-{id}")), "an analyst is not offered the decision");
    let fields = [("id", id.as_str()), ("decision", "approve"), ("note", "family account, checked by phone")];
    let refused = post(a, "/ops/withdrawals/review", &analyst, Some(CSRF), &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(page(a, "/ops/withdrawals", &taro.token).await.status, StatusCode::FORBIDDEN, "not for wallets");
    let forged = post(a, "/ops/withdrawals/review", &admin, None, &fields).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "a cross-site post carries no CSRF cookie");
    let done = post(a, "/ops/withdrawals/review", &admin, Some(CSRF), &fields).await;
    assert_eq!((done.status, done.location.as_str()), (StatusCode::SEE_OTHER, "/ops/withdrawals"), "{}", done.body);
    let (_, w) = a.get(&format!("/v1/me/withdrawals/{id}"), &taro.token).await;
    assert_eq!(w["status"], "queued");
    let reviewed = a
        .count(&format!(
            "SELECT COUNT(*) FROM withdrawals WHERE id = '{id}' AND review_note = 'family account, checked by phone'"
        ))
        .await;
    assert_eq!(reviewed, 1, "the note is kept with the decision");
    assert_books_sound(a).await;
});
