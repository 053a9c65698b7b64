//! Daily settlement and payouts over real HTTP and a real bank simulator, on SQLite and
//! PostgreSQL: a day's payments, refunds and fees netted into one settlement and journal, the
//! payout sent as a Zengin file (parsed back field by field) and paid or returned, settling twice
//! or from two servers at once settles once, the cut-off splits payments exactly, and another
//! merchant's staff read nothing. Each test ends with the ledger and the audit chain verified.

mod common;

use anshin::bank::BankClient;
use anshin::http::{self, AppState, HttpConfig};
use anshin::identity::password::{HashParams, PasswordHasher};
use anshin::identity::{Identity, IdentityConfig};
use anshin::ledger::{AccountKind, Currency, Ledger};
use anshin::merchants::{Merchants, MerchantsConfig};
use anshin::payments::{Payments, PaymentsConfig, codes};
use anshin::settlement::{BusinessDay, SettlementConfig, SettlementError, Settlements};
use anshin::sim::{BankSimConfig, serve_bank};
use anshin::storage::now_ms;
use common::TestDb;
use common::identity_app::*;
use common::merchant_app::*;
use common::pay_app::now_secs;
use common::pay_app::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const KEY: &str = "test-bank-key-0123456789";
/// The test merchants' legal name in kana (`merchant_app::merchant`) in Zengin form.
const HOLDER: &str = "ｶ)ﾃｽﾄ";

struct Env {
    a: App,
    s: Settlements,
    ledger: Ledger,
    sim_url: String,
}

/// The whole service with settlement (bank: a simulator that decides files at once) on a
/// loopback port, as `serve_all` builds it.
async fn env(t: TestDb) -> Env {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve_bank(listener, BankSimConfig { confirm_delay_ms: 0, ..BankSimConfig::new(KEY) }));
    let keys = t.db.keys().cloned().expect("test databases carry keys");
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 2, 64).unwrap();
    let identity = Identity::new(t.db.clone(), keys.clone(), hasher, IdentityConfig::default()).unwrap();
    let (ledger, _writer) = Ledger::start(t.db.clone());
    let merchants =
        Merchants::new(t.db.clone(), keys.clone(), identity.clone(), ledger.clone(), MerchantsConfig::default());
    let payments = Payments::new(t.db.clone(), keys, ledger.clone(), merchants.clone(), PaymentsConfig::default());
    let s = settlements(&t, &ledger, &merchants, &sim_url);
    let state = AppState::new(t.db.clone(), HttpConfig::default(), None, true, false)
        .with_identity(identity.clone())
        .with_ledger(ledger.clone())
        .with_merchants(merchants.clone())
        .with_payments(payments.clone())
        .with_settlements(s.clone());
    let router = http::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(
        async move { http::serve(listener, router, None, &HttpConfig::default(), std::future::pending()).await },
    );
    Env { a: App { url, t, identity, merchants, payments }, s, ledger, sim_url }
}

fn settlements(t: &TestDb, ledger: &Ledger, merchants: &Merchants, sim_url: &str) -> Settlements {
    let bank = BankClient::new(sim_url, KEY).unwrap();
    let config = SettlementConfig { grace_secs: 0, ..SettlementConfig::default() };
    Settlements::new(t.db.clone(), ledger.clone(), merchants.clone(), Some(bank), config)
}

impl Env {
    async fn sim(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.sim_url)).bearer_auth(KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// An account at the bank (0001 みずほ, 001 東京営業部) held by `holder`.
    async fn bank_account(&self, number: &str, holder: &str) {
        let body = json!({ "bank_code": "0001", "branch_code": "001", "account_type": "ordinary",
                           "account_number": number, "holder_name": holder });
        let (status, answer) = self.sim(reqwest::Method::POST, "/v1/test/accounts", Some(body)).await;
        assert_eq!(status, 201, "{answer}");
    }

    async fn bank_balance(&self, number: &str) -> i64 {
        let (status, body) = self.sim(reqwest::Method::GET, &format!("/v1/accounts/0001/001/{number}"), None).await;
        assert_eq!(status, 200, "{body}");
        body["balance_minor"].as_i64().unwrap()
    }

    /// The owner sets the payout account (a step-up with a recovery code); the first applies at
    /// once. The account, and the owner's token after the step-up.
    async fn payout_account(&self, shop: &Shop, number: &str, holder: &str) -> (Value, String) {
        let owner = self.a.step_up_by(&shop.owner, "change_payout_account", "recovery_code", &shop.codes[0]).await;
        let body = json!({ "bank_code": "0001", "branch_code": "001", "account_type": "ordinary",
                           "account_number": number, "holder_name": holder });
        let (status, account) =
            self.a.post(&format!("/v1/merchants/{}/payout-accounts", shop.id), body, Some(&owner)).await;
        assert_eq!(status, StatusCode::CREATED, "{account}");
        (account, owner)
    }

    async fn balance(&self, account_id: &str) -> i64 {
        self.ledger.account(account_id).await.unwrap().balance_minor
    }

    async fn system_balance(&self, kind: AccountKind) -> i64 {
        let id = self.ledger.system_account(kind, &Currency::jpy()).await.unwrap();
        self.balance(&id).await
    }

    async fn receivable(&self, merchant_id: &str) -> i64 {
        let m = anshin::merchants::store::merchant_by_id(&self.a.t.db, merchant_id).await.unwrap().unwrap();
        self.balance(&m.receivable_account_id).await
    }

    async fn payable(&self, merchant_id: &str) -> i64 {
        let id = anshin::settlement::store::payable_account(&self.a.t.db, merchant_id).await.unwrap();
        match id {
            Some(id) => self.balance(&id).await,
            None => 0,
        }
    }
}

/// Pay `amounts` at `shop` from `w` (codes counted from `first_counter`): the payment ids.
async fn pay(a: &App, shop: &Shop, w: &Wallet, first_counter: i64, amounts: &[i64]) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, amount) in amounts.iter().enumerate() {
        let code = codes::encode_qr(&w.secret, w.number, first_counter + i as i64, now_secs());
        let (status, paid) = charge(a, shop, &code, *amount).await;
        assert_eq!((status, paid["status"].as_str()), (StatusCode::CREATED, Some("succeeded")), "{paid}");
        ids.push(paid["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// The double-submit token a page would have set; any 32 hex digits do.
const CSRF: &str = "0123456789abcdef0123456789abcdef";

fn browser() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT_LANGUAGE, "en".parse().unwrap());
    reqwest::Client::builder().default_headers(headers).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A page as the signed-in browser of `session` sees it: status and HTML.
async fn page(a: &App, path: &str, session: &str) -> (StatusCode, String) {
    let cookie = format!("__Host-anshin_session={session}");
    let resp = browser().get(format!("{}{path}", a.url)).header("cookie", cookie).send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

/// A form post with the session and (or not) the CSRF cookie: the status.
async fn post(a: &App, path: &str, session: &str, csrf_cookie: Option<&str>, form: &[(&str, &str)]) -> StatusCode {
    let mut cookie = format!("__Host-anshin_session={session}");
    if let Some(c) = csrf_cookie {
        cookie.push_str(&format!("; __Host-anshin_csrf={c}"));
    }
    browser().post(format!("{}{path}", a.url)).header("cookie", cookie).form(form).send().await.unwrap().status()
}

fn day(s: &str) -> BusinessDay {
    BusinessDay::parse(s).unwrap()
}

/// A cut-off between what came before and what comes after (ms are the payments' clock).
async fn cut_off() -> i64 {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let end = now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    end
}

// A day of three payments and a partial refund: every figure checked by hand, the journal moves
// exactly the net, the Zengin file sent is read back field by field, the bank pays it, and the
// reports show it to the owner and manager but not to a cashier or another merchant's staff.
on_both!(a_day_with_payments_and_a_refund_settles_to_the_exact_net_and_is_paid, |t: TestDb| async move {
    let e = env(t).await;
    let a = &e.a;
    let shop = shop(a, "Sigma").await;
    e.bank_account("2222221", "カブシキガイシャテスト").await;
    let (_, owner) = e.payout_account(&shop, "2222221", "カブシキガイシャテスト").await;
    let w = wallet(a, "buyer@example.jp", "+819020000001", 50_000, 0).await;
    let ids = pay(a, &shop, &w, 1, &[10_000, 3_850, 39]).await;
    let body = json!({ "amount_minor": 1_000, "refund_key": "refund-0001" }).to_string();
    let path = format!("/v1/pos/payments/{}/refunds", ids[0]);
    let (status, refund) = pos_send(a, &shop, "POST", &path, &body, &nonce(), now_secs()).await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");
    let end = cut_off().await;

    let run = e.s.settle_day_ending(day("2026-01-05"), end, "test").await.unwrap();
    assert!(run.failed.is_empty(), "{:?}", run.failed);
    assert_eq!(run.settlements.len(), 1);
    let s = &run.settlements[0];
    // By hand: gross 10,000 + 3,850 + 39 = 13,889. Fees at 2.6%, each rounded down:
    // 260 + ⌊100.1⌋ + ⌊1.014⌋ = 361. Tax once on the day's fees: ⌊36.1⌋ = 36.
    // Net: 13,889 − 1,000 − 361 − 36 = 12,492.
    assert_eq!(
        (s.payments_count, s.refunds_count, s.gross_minor, s.refunds_minor, s.fee_minor, s.fee_tax_minor, s.net_minor),
        (3, 1, 13_889, 1_000, 361, 36, 12_492)
    );
    assert_eq!((s.status.as_str(), s.business_day.as_str(), s.cutoff_ms), ("settled", "2026-01-05", end));
    assert_eq!(e.receivable(&shop.id).await, 0, "the receivable is emptied");
    assert_eq!(e.payable(&shop.id).await, 12_492);
    assert_eq!(e.system_balance(AccountKind::PlatformFeeIncome).await, 361);
    assert_eq!(e.system_balance(AccountKind::ConsumptionTaxPayable).await, 36);
    let taken = a.count(&format!("SELECT COUNT(*) FROM payments WHERE settlement_id = '{}'", s.id)).await;
    assert_eq!(taken, 3);

    let payouts = e.s.run_payouts("test").await.unwrap();
    assert_eq!((payouts.sent.len(), payouts.paid.len(), payouts.returned.len()), (1, 1, 0), "{payouts:?}");
    // The file as sent, read back by the Zengin parser.
    let contents: String =
        sqlx::query_scalar("SELECT contents_hex FROM payout_files").fetch_one(a.t.db.read_pool()).await.unwrap();
    let file = zengin::parse(&hex::decode(contents).unwrap()).unwrap();
    assert_eq!(file.header.requester_code, "0000000001");
    assert_eq!(file.header.requester_name.as_str(), "ｱﾝｼﾝ(ｶ");
    assert_eq!((file.header.bank_code.as_str(), file.header.branch_code.as_str()), ("0009", "200"));
    assert_eq!(file.records.len(), 1);
    let r = &file.records[0];
    assert_eq!((r.bank_code.as_str(), r.bank_name.as_str()), ("0001", "ﾐｽﾞﾎ"));
    assert_eq!((r.branch_code.as_str(), r.branch_name.as_str()), ("001", "ﾄｳｷﾖｳ"));
    assert_eq!((r.account_type, r.account_number.as_str()), (zengin::AccountType::Ordinary, "2222221"));
    assert_eq!(r.recipient_name.as_str(), HOLDER);
    assert_eq!(r.amount_yen, 12_492);
    assert_eq!(e.bank_balance("2222221").await, 12_492, "the bank paid exactly the net");
    assert_eq!(e.payable(&shop.id).await, 0);
    assert_eq!(e.system_balance(AccountKind::PayoutClearing).await, 0);

    // Reports: owner and manager; not a cashier; another merchant's owner is told it does not exist.
    let list_path = format!("/v1/merchants/{}/settlements", shop.id);
    let (status, list) = a.get(&list_path, &owner).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let first = &list[0];
    assert_eq!(
        (first["settlement"]["net_minor"].as_i64(), first["payout"]["status"].as_str()),
        (Some(12_492), Some("paid"))
    );
    let (status, one) = a.get(&format!("{list_path}/{}", s.id), &owner).await;
    assert_eq!((status, one["settlement"]["payments_count"].as_i64()), (StatusCode::OK, Some(3)));
    let (manager, _) = staff(a, &shop.id, "manager@sigma.example.jp", "manager").await;
    assert_eq!(a.get(&list_path, &manager).await.0, StatusCode::OK);
    let (cashier, _) = staff(a, &shop.id, "cashier@sigma.example.jp", "cashier").await;
    assert_eq!(a.get(&list_path, &cashier).await.0, StatusCode::FORBIDDEN);
    let (other_id, other_owner, _) = merchant_with(a, "Tau", "owner@tau.example.jp", "owner").await;
    assert_eq!(a.get(&list_path, &other_owner).await.0, StatusCode::NOT_FOUND);
    assert_eq!(a.get(&format!("{list_path}/{}", s.id), &other_owner).await.0, StatusCode::NOT_FOUND);
    // Nor through its own merchant's path.
    let (status, none) = a.get(&format!("/v1/merchants/{other_id}/settlements/{}", s.id), &other_owner).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{none}");
    assert_books_sound(a).await;
});

// A payout to a closed account (number ending 8) comes back with result code 3: the money
// returns to the merchant's payable and the owner hears of it.
on_both!(a_returned_payout_credits_the_merchant_back_and_tells_the_owner, |t: TestDb| async move {
    let e = env(t).await;
    let a = &e.a;
    let shop = shop(a, "Upsilon").await;
    e.bank_account("3333338", "カブシキガイシャテスト").await;
    let (_, owner) = e.payout_account(&shop, "3333338", "カブシキガイシャテスト").await;
    let w = wallet(a, "buyer@example.jp", "+819020000001", 50_000, 0).await;
    pay(a, &shop, &w, 1, &[20_000]).await;
    let end = cut_off().await;
    let run = e.s.settle_day_ending(day("2026-01-05"), end, "test").await.unwrap();
    // 20,000 − 520 − 52.
    assert_eq!(run.settlements[0].net_minor, 19_428);
    let payouts = e.s.run_payouts("test").await.unwrap();
    assert_eq!((payouts.sent.len(), payouts.paid.len(), payouts.returned.len()), (1, 0, 1), "{payouts:?}");
    let report = e.s.run_payouts("test").await.unwrap();
    assert!(report.sent.is_empty() && report.returned.is_empty(), "decided once: {report:?}");
    let (_, list) = a.get(&format!("/v1/merchants/{}/settlements", shop.id), &owner).await;
    let payout = &list[0]["payout"];
    assert_eq!((payout["status"].as_str(), payout["result_code"].as_i64()), (Some("returned"), Some(3)));
    assert_eq!(e.payable(&shop.id).await, 19_428, "the money is back with the merchant");
    assert_eq!(e.system_balance(AccountKind::PayoutClearing).await, 0);
    assert_eq!(e.bank_balance("3333338").await, 0);
    let told = a.messages_to("owner@upsilon.example.jp").await;
    assert!(told.iter().any(|m| m.subject.contains("came back") || m.subject.contains("組み戻")), "{told:?}");
    assert_books_sound(a).await;
});

// Settling a day again, and from two servers at once (two ledger writers on one database), makes
// one settlement, one journal and one payout: the bank pays the net once.
on_both!(settling_twice_and_from_two_servers_at_once_settles_once, |t: TestDb| async move {
    let e = env(t).await;
    let a = &e.a;
    let shop = shop(a, "Phi").await;
    e.bank_account("4444441", "カブシキガイシャテスト").await;
    e.payout_account(&shop, "4444441", "カブシキガイシャテスト").await;
    let w = wallet(a, "buyer@example.jp", "+819020000001", 50_000, 0).await;
    pay(a, &shop, &w, 1, &[1_000, 2_000]).await;
    let end = cut_off().await;
    let (second_ledger, _writer) = Ledger::start(a.t.db.clone());
    let other = settlements(&a.t, &second_ledger, &a.merchants, &e.sim_url);
    let d = day("2026-01-05");
    let (one, two) =
        tokio::join!(e.s.settle_day_ending(d, end, "server-1"), other.settle_day_ending(d, end, "server-2"));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert!(one.failed.is_empty() && two.failed.is_empty(), "{one:?} {two:?}");
    assert_eq!(one.settlements[0].id, two.settlements[0].id);
    let again = e.s.settle_day_ending(d, end, "server-1").await.unwrap();
    assert_eq!(again.settlements[0].id, one.settlements[0].id);
    // 3,000 − 78 − 7.
    assert_eq!(one.settlements[0].net_minor, 2_915);
    assert_eq!(a.count("SELECT COUNT(*) FROM settlements").await, 1);
    assert_eq!(a.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'settlement'").await, 1);
    assert_eq!(e.payable(&shop.id).await, 2_915);
    let (p1, p2) = tokio::join!(e.s.run_payouts("server-1"), other.run_payouts("server-2"));
    let (p1, p2) = (p1.unwrap(), p2.unwrap());
    assert_eq!(p1.sent.len() + p2.sent.len(), 1, "{p1:?} {p2:?}");
    e.s.run_payouts("server-1").await.unwrap();
    assert_eq!(a.count("SELECT COUNT(*) FROM payouts").await, 1);
    assert_eq!(a.count("SELECT COUNT(*) FROM payouts WHERE status = 'paid'").await, 1);
    assert_eq!(e.bank_balance("4444441").await, 2_915, "paid once");
    // The legal name changes: the account's holder no longer matches it, so the next payout is held.
    sqlx::query("UPDATE merchants SET legal_name_kana = 'カブシキガイシャベツメイ' WHERE id = $1")
        .bind(&shop.id)
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    pay(a, &shop, &w, 3, &[500]).await;
    e.s.settle_day_ending(day("2026-01-06"), cut_off().await, "server-1").await.unwrap();
    let run = e.s.run_payouts("server-1").await.unwrap();
    assert_eq!((run.sent.len(), run.held[0].reason.as_str()), (0, "holder_name_mismatch"), "{run:?}");
    assert_eq!(e.bank_balance("4444441").await, 2_915);
    assert_books_sound(a).await;
});

// The cut-off splits payments made a moment apart: one before it is in that day, one after is
// not; the next day takes the later one (and never the earlier one again).
on_both!(a_payment_before_the_cut_off_is_in_its_day_and_one_after_in_the_next, |t: TestDb| async move {
    let e = env(t).await;
    let a = &e.a;
    let shop = shop(a, "Chi").await;
    let w = wallet(a, "buyer@example.jp", "+819020000001", 50_000, 0).await;
    let before = pay(a, &shop, &w, 1, &[1_000]).await;
    // A payment held by the decision point (a cooling-off) waits in suspense: never settled.
    let cooling = wallet(a, "cooling@example.jp", "+819020000002", 10_000, 0).await;
    sqlx::query("UPDATE users SET money_out_blocked_until_ms = $1 WHERE id = $2")
        .bind(i64::MAX / 2)
        .bind(&cooling.user_id)
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    let code = codes::encode_qr(&cooling.secret, cooling.number, 1, now_secs());
    let (status, held) = charge(a, &shop, &code, 5_000).await;
    assert_eq!((status, held["status"].as_str()), (StatusCode::CREATED, Some("held")), "{held}");
    let first_end = cut_off().await;
    let after = pay(a, &shop, &w, 2, &[2_000]).await;
    let first = e.s.settle_day_ending(day("2026-01-05"), first_end, "test").await.unwrap();
    assert_eq!((first.settlements[0].payments_count, first.settlements[0].gross_minor), (1, 1_000));
    let settled_in =
        |id: &str| format!("SELECT COUNT(*) FROM payments WHERE id = '{id}' AND settlement_id IS NOT NULL");
    assert_eq!(a.count(&settled_in(&after[0])).await, 0, "after the cut-off: not in that day");
    let second_end = cut_off().await;
    let second = e.s.settle_day_ending(day("2026-01-06"), second_end, "test").await.unwrap();
    assert_eq!((second.settlements[0].payments_count, second.settlements[0].gross_minor), (1, 2_000));
    assert_ne!(first.settlements[0].id, second.settlements[0].id);
    assert_eq!(a.count(&settled_in(&before[0])).await, 1);
    assert_eq!(a.count(&settled_in(&after[0])).await, 1);
    assert_eq!(a.count(&settled_in(held["id"].as_str().unwrap())).await, 0, "held: not settled");
    // A day with nothing left has no settlement; a day not over yet is refused.
    let third = e.s.settle_day_ending(day("2026-01-07"), cut_off().await, "test").await.unwrap();
    assert!(third.settlements.is_empty());
    let today = BusinessDay::containing(now_ms(), e.s.config().cutoff);
    assert!(matches!(e.s.settle_day(today, "test").await, Err(SettlementError::DayNotOver(_))));
    // No payout account: the payouts are held, the money stays in the payable.
    let held = e.s.run_payouts("test").await.unwrap();
    assert_eq!(held.held.len(), 2, "{held:?}");
    assert!(held.held.iter().all(|h| h.reason == "no_payout_account"));
    assert_eq!(e.payable(&shop.id).await, 2_915);
    assert_books_sound(a).await;
});

// A payout account whose holder is not the merchant's legal name goes to review and nothing is
// paid there; a suspended merchant's payout is held too. Once an admin approves the account and
// the merchant is active, the held payout goes out.
on_both!(a_payout_waits_for_a_matching_name_and_an_active_merchant, |t: TestDb| async move {
    let e = env(t).await;
    let a = &e.a;
    let shop = shop(a, "Psi").await;
    // The account of the owner in person: not the merchant's legal name.
    e.bank_account("5555551", "ヤマダ タロウ").await;
    let (account, owner) = e.payout_account(&shop, "5555551", "ヤマダ タロウ").await;
    assert_eq!(account["name_check"], "review");
    let w = wallet(a, "buyer@example.jp", "+819020000001", 50_000, 0).await;
    pay(a, &shop, &w, 1, &[10_000]).await;
    let end = cut_off().await;
    e.s.settle_day_ending(day("2026-01-05"), end, "test").await.unwrap();
    let run = e.s.run_payouts("test").await.unwrap();
    assert_eq!((run.sent.len(), run.held[0].reason.as_str()), (0, "no_payout_account"), "{run:?}");
    // An admin approves the name; the merchant is suspended meanwhile: still held.
    let (admin, _) = operator(a, "admin@example.jp", "admin").await;
    let review = format!("/v1/ops/merchants/{}/payout-accounts/{}/review", shop.id, account["id"].as_str().unwrap());
    assert_eq!(a.post(&review, json!({ "approve": true }), Some(&admin)).await.0, StatusCode::NO_CONTENT);
    let suspend = format!("/v1/ops/merchants/{}/suspension", shop.id);
    let (status, body) = a.post(&suspend, json!({ "reason": "checking documents" }), Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let run = e.s.run_payouts("test").await.unwrap();
    assert_eq!((run.sent.len(), run.held[0].reason.as_str()), (0, "merchant_not_active"), "{run:?}");
    assert_eq!(e.payable(&shop.id).await, 9_714);
    let reactivate = format!("/v1/ops/merchants/{}/reactivation", shop.id);
    let (status, body) = a.post(&reactivate, json!({ "reason": "documents checked" }), Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let run = e.s.run_payouts("test").await.unwrap();
    assert_eq!((run.sent.len(), run.paid.len()), (1, 1), "{run:?}");
    assert_eq!(e.bank_balance("5555551").await, 9_714);
    // The operators' run of a day: admins only; a day not over is refused.
    let today = BusinessDay::containing(now_ms(), e.s.config().cutoff);
    let run_path = |d: &str| format!("/v1/ops/settlements/{d}/run");
    let (status, body) = a.post(&run_path(&today.to_string()), json!({}), Some(&admin)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("day_not_over")), "{body}");
    assert_eq!(a.post(&run_path("2026-01-04"), json!({}), Some(&owner)).await.0, StatusCode::FORBIDDEN);
    let (status, body) = a.post(&run_path("2026-01-04"), json!({}), Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, day_list) = a.get("/v1/ops/settlements/2026-01-05", &admin).await;
    assert_eq!((status, day_list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{day_list}");
    assert_eq!(a.get("/v1/ops/settlements/2026-01-05", &owner).await.0, StatusCode::FORBIDDEN);

    // The same on the pages: the portal's settlements for the owner, the ops console's day with
    // its run button for admins (a form that needs its CSRF token).
    let (status, body) = page(a, "/merchant/settlements", &owner).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("¥9,714") && body.contains("data-payout=\"paid\""), "{body}");
    let (status, body) = page(a, "/ops/settlements?day=2026-01-05", &admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(&shop.id) && body.contains("run-settlement"), "{body}");
    assert_eq!(page(a, "/ops/settlements?day=2026-01-05", &owner).await.0, StatusCode::FORBIDDEN);
    let form = [("day", "2026-01-04"), ("csrf", CSRF)];
    assert_eq!(post(a, "/ops/settlements/run", &admin, None, &form).await, StatusCode::FORBIDDEN, "no CSRF cookie");
    assert_eq!(post(a, "/ops/settlements/run", &admin, Some(CSRF), &form).await, StatusCode::SEE_OTHER);
    assert_books_sound(a).await;
});

// A day whose refunds and fees reach its gross moves nothing: its settlement is carried over and
// its payments and refunds are netted with the next day's.
on_both!(a_day_whose_net_is_not_positive_carries_over_to_the_next, |t: TestDb| async move {
    let e = env(t).await;
    let a = &e.a;
    let shop = shop(a, "Omega").await;
    let w = wallet(a, "buyer@example.jp", "+819020000001", 50_000, 0).await;
    let ids = pay(a, &shop, &w, 1, &[100]).await;
    let body = json!({ "amount_minor": 100, "refund_key": "refund-0001" }).to_string();
    let path = format!("/v1/pos/payments/{}/refunds", ids[0]);
    assert_eq!(pos_send(a, &shop, "POST", &path, &body, &nonce(), now_secs()).await.0, StatusCode::CREATED);
    let first = e.s.settle_day_ending(day("2026-01-05"), cut_off().await, "test").await.unwrap();
    let s = &first.settlements[0];
    // 100 − 100 − ⌊2.6⌋ − ⌊0.2⌋ = −2.
    assert_eq!((s.status.as_str(), s.net_minor), ("carried_over", -2));
    assert_eq!(a.count("SELECT COUNT(*) FROM payments WHERE settlement_id IS NOT NULL").await, 0);
    assert_eq!(a.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'settlement'").await, 0);
    pay(a, &shop, &w, 2, &[1_000]).await;
    let second = e.s.settle_day_ending(day("2026-01-06"), cut_off().await, "test").await.unwrap();
    let s = &second.settlements[0];
    // Gross 100 + 1,000; refunds 100; fees 2 + 26 = 28; tax ⌊2.8⌋ = 2; net 1,100 − 100 − 28 − 2 = 970.
    assert_eq!(
        (
            s.status.as_str(),
            s.payments_count,
            s.refunds_count,
            s.gross_minor,
            s.fee_minor,
            s.fee_tax_minor,
            s.net_minor
        ),
        ("settled", 2, 1, 1_100, 28, 2, 970)
    );
    assert_eq!((e.receivable(&shop.id).await, e.payable(&shop.id).await), (0, 970));
    let held = e.s.run_payouts("test").await.unwrap();
    assert_eq!(held.held.len(), 1, "one payout, for the settled day only: {held:?}");
    assert_books_sound(a).await;
});
