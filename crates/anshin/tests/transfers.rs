//! Transfers between wallets and requests for money, end to end over loopback HTTP: verified
//! identities through `anshin sim ekyc`, money put in through the ledger, the payee's display
//! name before sending, a fresh second factor above the threshold, limits that hold under
//! concurrency, the payee's holding cap, the cooling-off after a contact change, and a request
//! for money paid once. Each test ends with the ledger and the audit chain verified.

mod common;

use anshin::ledger::{AccountKind, Command, Currency};
use anshin::transfers::{Licence, TransfersConfig};
use anshin::wallets::Wallets;
use common::funds_app::*;
use common::pay_app::assert_books_sound;
use reqwest::StatusCode;
use serde_json::json;

on_both!(a_transfer_moves_money_between_verified_wallets_after_the_payee_is_confirmed, |t| async move {
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    let hanako = verified(a, "hanako@example.jp", "+819011110002", "佐藤 花子", "サトウ ハナコ").await;
    fund(&s, &taro.id, 30_000).await;
    // The payee is shown by family name and initial, never the full legal name.
    let (token, name) = payee(a, &taro, "hanako@example.jp").await;
    assert_eq!(name, "佐藤 花.");
    let (status, sent) = a
        .post(
            "/v1/me/transfers",
            json!({ "payee_token": token, "amount_minor": 12_000, "message": "ランチ代" }),
            Some(&taro.token),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!((sent["direction"].as_str(), sent["counterparty"].as_str()), (Some("sent"), Some("佐藤 花.")));
    assert_eq!(balances(a, &taro.token).await["money_minor"], 18_000);
    assert_eq!(balances(a, &hanako.token).await["money_minor"], 12_000);
    let (_, received) = a.get("/v1/me/transfers", &hanako.token).await;
    assert_eq!(received[0]["direction"], "received");
    assert_eq!(
        (received[0]["counterparty"].as_str(), received[0]["message"].as_str()),
        (Some("山田 太."), Some("ランチ代"))
    );
    a.deliver().await;
    assert!(a.messages_to("taro@example.jp").await.iter().any(|m| m.subject.contains("You sent")));
    assert!(a.messages_to("hanako@example.jp").await.iter().any(|m| m.subject.contains("sent you")));
    // The token is the payer's own: another wallet cannot send with it, nor can a forged one.
    let (status, body) = send(a, &hanako, &token, 100).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "no_such_payee"), "{body}");
    let (status, body) = send(a, &taro, "forged-token", 100).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "no_such_payee"), "{body}");
    // Nobody, and your own address, look the same as any other address that cannot receive.
    for email in ["nobody@example.jp", "taro@example.jp"] {
        let (status, body) = a.post("/v1/me/transfers/payees", json!({ "email": email }), Some(&taro.token)).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "no_such_payee"), "{body}");
    }
    assert_eq!(a.count("SELECT COUNT(*) FROM transfers").await, 1);
    assert_books_sound(a).await;
});

on_both!(lite_and_points_are_never_sent_and_an_unverified_wallet_cannot_send, |t| async move {
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    let _hanako = verified(a, "hanako@example.jp", "+819011110002", "佐藤 花子", "サトウ ハナコ").await;
    let jiro = registered(a, "jiro@example.jp", "+819011110003", "サトウ ジロウ").await;
    // Lite (a card top-up's kind of money) cannot be sent.
    let wallets = Wallets::new(a.t.db.clone(), s.ledger.clone());
    let lite = wallets.accounts(&taro.id).await.unwrap().lite;
    let jpy = Currency::jpy();
    let clearing = s.ledger.system_account(AccountKind::CardFundingClearing, &jpy).await.unwrap();
    s.ledger.submit(Command::transfer("lite", &clearing, &lite, &jpy, 5_000, "card_top_up")).await.unwrap();
    let (token, _) = payee(a, &taro, "hanako@example.jp").await;
    let (status, body) = send(a, &taro, &token, 1_000).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYMENT_REQUIRED, "insufficient_money"), "{body}");
    // The unverified wallet can neither look a payee up nor send, nor ask for money.
    let (status, body) =
        a.post("/v1/me/transfers/payees", json!({ "email": "taro@example.jp" }), Some(&jiro.token)).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "identity_not_verified"), "{body}");
    fund(&s, &jiro.id, 10_000).await;
    let (status, body) = a.post("/v1/me/money-requests", json!({ "amount_minor": 500 }), Some(&jiro.token)).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "identity_not_verified"), "{body}");
    // Nor can it receive: to a verified payer it is nobody.
    let (status, body) =
        a.post("/v1/me/transfers/payees", json!({ "email": "jiro@example.jp" }), Some(&taro.token)).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "no_such_payee"), "{body}");
    assert_eq!(a.count("SELECT COUNT(*) FROM transfers").await, 0);
    assert_books_sound(a).await;
});

on_both!(above_the_threshold_a_fresh_second_factor_is_spent_with_the_transfer, |t| async move {
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let mut taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    let _hanako = verified(a, "hanako@example.jp", "+819011110002", "佐藤 花子", "サトウ ハナコ").await;
    fund(&s, &taro.id, 500_000).await;
    let (token, _) = payee(a, &taro, "hanako@example.jp").await;
    assert_eq!(send(a, &taro, &token, 50_000).await.0, StatusCode::CREATED, "at the threshold no step-up");
    let (status, body) = send(a, &taro, &token, 50_001).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "step_up_required"), "{body}");
    taro.step_up(a, "send_money").await;
    let (status, body) = send(a, &taro, &token, 60_000).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["stepped_up"], true);
    // The grant was spent by that transfer.
    let (status, body) = send(a, &taro, &token, 60_000).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "step_up_required"), "{body}");
    assert_eq!(balances(a, &taro.token).await["money_minor"], 500_000 - 110_000);
    assert_books_sound(a).await;
});

on_both!(limits_hold_under_concurrent_transfers, |t| async move {
    let config = TransfersConfig { daily_limit_minor: 10_000, ..TransfersConfig::for_licence(Licence::Type3) };
    let s = setup(t, config).await;
    let a = &s.a;
    let taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    let hanako = verified(a, "hanako@example.jp", "+819011110002", "佐藤 花子", "サトウ ハナコ").await;
    fund(&s, &taro.id, 100_000).await;
    let (token, _) = payee(a, &taro, "hanako@example.jp").await;
    // The licence's cap (type 3: ¥50,000) is checked before the daily limit.
    let (status, body) = send(a, &taro, &token, 50_001).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYMENT_REQUIRED, "over_transfer_limit"), "{body}");
    // Under the cap but over the day's limit on its own, as the day's first transfer too.
    let (status, body) = send(a, &taro, &token, 20_000).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYMENT_REQUIRED, "over_daily_transfer_limit"), "{body}");
    // Twenty transfers of ¥1,000 at once against a daily limit of ¥10,000: exactly ten pass.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (url, token, session) = (a.url.clone(), token.clone(), taro.token.clone());
        tasks.push(tokio::spawn(async move {
            common::identity_app::client()
                .post(format!("{url}/v1/me/transfers"))
                .bearer_auth(session)
                .json(&json!({ "payee_token": token, "amount_minor": 1_000 }))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::PAYMENT_REQUIRED => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 10, "the daily limit let {created} through");
    assert_eq!(balances(a, &hanako.token).await["money_minor"], 10_000);
    let (status, body) = send(a, &taro, &token, 1).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYMENT_REQUIRED, "over_daily_transfer_limit"), "{body}");
    assert_eq!(a.count("SELECT COUNT(*) FROM transfers").await, 10);
    assert_books_sound(a).await;
});

on_both!(the_payee_s_holding_cap_and_a_cooling_off_stop_a_transfer, |t| async move {
    let config = TransfersConfig { holding_cap_minor: 20_000, ..TransfersConfig::default() };
    let s = setup(t, config).await;
    let a = &s.a;
    let taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    let hanako = verified(a, "hanako@example.jp", "+819011110002", "佐藤 花子", "サトウ ハナコ").await;
    fund(&s, &taro.id, 40_000).await;
    fund(&s, &hanako.id, 15_000).await;
    let (token, _) = payee(a, &taro, "hanako@example.jp").await;
    // A contact change starts a cooling-off: no money leaves the wallet meanwhile.
    let set_blocked_until = |until: i64| {
        let (db, id) = (a.t.db.clone(), taro.id.clone());
        async move {
            sqlx::query("UPDATE users SET money_out_blocked_until_ms = $1 WHERE id = $2")
                .bind(until)
                .bind(id)
                .execute(db.write_pool())
                .await
                .unwrap();
        }
    };
    set_blocked_until(anshin::storage::now_ms() + 3_600_000).await;
    let (status, body) = send(a, &taro, &token, 100).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYMENT_REQUIRED, "money_out_cooling_off"), "{body}");
    set_blocked_until(0).await;
    // The payee's cap counts what it holds already.
    let (status, body) = send(a, &taro, &token, 5_001).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYMENT_REQUIRED, "payee_over_holding_cap"), "{body}");
    assert_eq!(send(a, &taro, &token, 5_000).await.0, StatusCode::CREATED, "up to the cap exactly");
    assert_eq!(balances(a, &taro.token).await["money_minor"], 35_000);
    assert_books_sound(a).await;
});

on_both!(a_request_for_money_is_paid_once_however_many_press_pay, |t| async move {
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    let hanako = verified(a, "hanako@example.jp", "+819011110002", "佐藤 花子", "サトウ ハナコ").await;
    fund(&s, &taro.id, 10_000).await;
    let (status, request) = a
        .post("/v1/me/money-requests", json!({ "amount_minor": 2_500, "message": "チケット代" }), Some(&hanako.token))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_str().unwrap().to_owned();
    assert_eq!(request["pay_path"], format!("/wallet/requests/{id}"));
    // The payer reads who asks, how much, and why before paying.
    let (status, seen) = a.get(&format!("/v1/me/money-requests/{id}"), &taro.token).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!((seen["requester"].as_str(), seen["amount_minor"].as_i64()), (Some("佐藤 花."), Some(2_500)));
    // The requester cannot pay it to themselves.
    let (status, body) = a.post(&format!("/v1/me/money-requests/{id}/pay"), json!({}), Some(&hanako.token)).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYMENT_REQUIRED, "own_wallet"), "{body}");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (url, session, id) = (a.url.clone(), taro.token.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            common::identity_app::client()
                .post(format!("{url}/v1/me/money-requests/{id}/pay"))
                .bearer_auth(session)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut paid = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::CREATED => paid += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(paid, 1, "a request was paid {paid} times");
    assert_eq!(balances(a, &hanako.token).await["money_minor"], 2_500);
    let (_, seen) = a.get(&format!("/v1/me/money-requests/{id}"), &taro.token).await;
    assert_eq!(seen["status"], "paid");
    // A canceled request cannot be paid.
    let (_, request) = a.post("/v1/me/money-requests", json!({ "amount_minor": 100 }), Some(&hanako.token)).await;
    let other = request["id"].as_str().unwrap();
    assert_eq!(
        a.post(&format!("/v1/me/money-requests/{other}/cancel"), json!({}), Some(&hanako.token)).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = a.post(&format!("/v1/me/money-requests/{other}/pay"), json!({}), Some(&taro.token)).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "conflict"), "{body}");
    assert_books_sound(a).await;
});

on_both!(concurrent_transfers_never_overdraw_the_money_balance, |t| async move {
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    let hanako = verified(a, "hanako@example.jp", "+819011110002", "佐藤 花子", "サトウ ハナコ").await;
    fund(&s, &taro.id, 45_000).await;
    let (token, _) = payee(a, &taro, "hanako@example.jp").await;
    // Sixteen transfers of ¥5,000 at once from ¥45,000: nine pass, the rest find too little.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (url, token, session) = (a.url.clone(), token.clone(), taro.token.clone());
        tasks.push(tokio::spawn(async move {
            let answer = common::identity_app::client()
                .post(format!("{url}/v1/me/transfers"))
                .bearer_auth(session)
                .json(&json!({ "payee_token": token, "amount_minor": 5_000 }))
                .send()
                .await
                .unwrap();
            let status = answer.status();
            (status, answer.json::<serde_json::Value>().await.unwrap())
        }));
    }
    let mut sent = 0;
    for task in tasks {
        match task.await.unwrap() {
            (StatusCode::CREATED, _) => sent += 1,
            (StatusCode::PAYMENT_REQUIRED, body) => assert_eq!(code(&body), "insufficient_money", "{body}"),
            (other, body) => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(sent, 9);
    assert_eq!(balances(a, &taro.token).await["money_minor"], 0);
    assert_eq!(balances(a, &hanako.token).await["money_minor"], 45_000);
    assert_books_sound(a).await;
});

// The transfer's own conditions, checked in the ledger's transaction, hold in a batch too: two
// transfers submitted at once (one batch, one statement per condition) where one payer is
// cooling off and one payee would pass the holding cap. Only the third goes through. The
// checks before the journal would stop these first; this is the check that stops a reset or a
// credit that commits in between, and its batched form is the one a busy server runs.
on_both!(the_in_transaction_conditions_refuse_only_their_own_transfer_in_a_batch, |t| async move {
    use anshin::ledger::{LedgerError, Origin, Request};
    use anshin::transfers::store::{NewTransfer, insert_transfer, not_cooling_off, payee_cap};
    let s = setup(t, TransfersConfig::default()).await;
    let a = &s.a;
    let taro = verified(a, "taro@example.jp", "+819011110001", "山田 太郎", "ヤマダ タロウ").await;
    let hanako = verified(a, "hanako@example.jp", "+819011110002", "佐藤 花子", "サトウ ハナコ").await;
    let jiro = verified(a, "jiro@example.jp", "+819011110003", "鈴木 次郎", "スズキ ジロウ").await;
    for user in [&taro, &hanako, &jiro] {
        fund(&s, &user.id, 10_000).await;
    }
    sqlx::query("UPDATE users SET money_out_blocked_until_ms = $1 WHERE id = $2")
        .bind(i64::MAX / 2)
        .bind(&jiro.id)
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    let wallets = Wallets::new(a.t.db.clone(), s.ledger.clone());
    let now = anshin::storage::now_ms();
    // (id, payer, payee, payee's holding cap)
    let cases = [
        ("tr_ok", &taro, &hanako, 1_000_000),
        ("tr_cool", &jiro, &hanako, 1_000_000),
        ("tr_cap", &hanako, &taro, 9_500),
    ];
    let mut submits = Vec::new();
    for (id, payer, payee, cap) in cases {
        let (from, to) =
            (wallets.accounts(&payer.id).await.unwrap().money, wallets.accounts(&payee.id).await.unwrap().money);
        let row = NewTransfer {
            id,
            payer_user_id: &payer.id,
            payee_user_id: &payee.id,
            amount_minor: 1_000,
            message: "",
            money_request_id: "",
            near_cap: false,
            stepped_up: false,
            now_ms: now,
        };
        let jpy = Currency::jpy();
        let request = Request {
            command: Command::transfer(format!("transfer:{id}"), &from, &to, &jpy, 1_000, "transfer"),
            origin: Origin { actor: payer.id.clone(), request_id: String::new() },
            notify: Vec::new(),
            effects: vec![insert_transfer(&row), payee_cap(id, &to, cap), not_cooling_off(id, &payer.id, now)],
        };
        let ledger = s.ledger.clone();
        submits.push(async move { ledger.submit(request).await });
    }
    let outcomes = futures::future::join_all(submits).await;
    assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
    assert!(matches!(outcomes[1], Err(LedgerError::EffectRefused("money_out_cooling_off"))), "{:?}", outcomes[1]);
    assert!(matches!(outcomes[2], Err(LedgerError::EffectRefused("payee_over_holding_cap"))), "{:?}", outcomes[2]);
    assert_eq!(a.count("SELECT COUNT(*) FROM transfers").await, 1);
    assert_eq!(balances(a, &jiro.token).await["money_minor"], 10_000);
    assert_eq!(
        balances(a, &taro.token).await["money_minor"],
        9_000,
        "sent ¥1,000, and the ¥1,000 over the cap never came"
    );
    assert_eq!(balances(a, &hanako.token).await["money_minor"], 11_000);
    assert_books_sound(a).await;
});
