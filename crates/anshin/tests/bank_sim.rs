//! The bank simulator driven through the service's `BankClient`, over real HTTP on loopback.
//! No database: each test starts its own simulator in-process on a free port.

use std::time::Duration;

use anshin::bank::{
    AccountRef, AccountStatus, AccountType, BankClient, BankError, DebitRequest, DebitStatus, RefusalReason,
};
use anshin::sim::{BankSimConfig, serve_bank};
use serde_json::{Value, json};
use zengin::{TransferResult, names_match};

const KEY: &str = "test-bank-key-0123456789";
const YAMADA: (&str, &str, &str) = ("0001", "001", "1234567");
const MERCHANT: (&str, &str, &str) = ("0009", "200", "7654321");

struct Sim {
    url: String,
    bank: BankClient,
    http: reqwest::Client,
}

impl Sim {
    async fn start(confirm_delay_ms: u64) -> Sim {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let config = BankSimConfig { confirm_delay_ms, ..BankSimConfig::new(KEY) };
        tokio::spawn(serve_bank(listener, config));
        Sim { bank: BankClient::new(&url, KEY).unwrap(), url, http: reqwest::Client::new() }
    }

    /// A raw request with the right key, for what the client does not offer (test setup,
    /// balances) or refuses to send.
    async fn raw(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url)).bearer_auth(KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn balance(&self, (bank, branch, number): (&str, &str, &str)) -> i64 {
        let (status, body) =
            self.raw(reqwest::Method::GET, &format!("/v1/accounts/{bank}/{branch}/{number}"), None).await;
        assert_eq!(status, 200, "{body}");
        body["balance_minor"].as_i64().unwrap()
    }

    async fn add_account(&self, body: Value) -> (u16, Value) {
        self.raw(reqwest::Method::POST, "/v1/test/accounts", Some(body)).await
    }
}

fn account((bank, branch, number): (&str, &str, &str), kind: AccountType) -> AccountRef {
    AccountRef::parse(bank, branch, kind, number).unwrap()
}

fn ordinary(place: (&str, &str, &str)) -> AccountRef {
    account(place, AccountType::Ordinary)
}

#[tokio::test]
async fn each_documented_account_answers_an_inquiry_by_its_rule() {
    let sim = Sim::start(0).await;
    let yamada = sim.bank.inquire(&ordinary(YAMADA)).await.unwrap();
    assert_eq!((yamada.holder_name.as_str(), yamada.status), ("ﾔﾏﾀﾞ ﾀﾛｳ", AccountStatus::Open));
    assert!(names_match("ヤマダ タロウ", &yamada.holder_name).is_exact(), "the service's check passes");
    let merchant = sim.bank.inquire(&ordinary(MERCHANT)).await.unwrap();
    assert!(names_match("株式会社アンシン", &merchant.holder_name).is_exact(), "{merchant:?}");
    let unfunded = sim.bank.inquire(&ordinary(("0001", "001", "1234569"))).await.unwrap();
    assert_eq!((unfunded.holder_name.as_str(), unfunded.status), ("ｽｽﾞｷ ﾊﾅｺ", AccountStatus::Open));
    assert_eq!(sim.bank.inquire(&ordinary(("0001", "001", "1234568"))).await, Err(BankError::Closed));
    let closed_current = account(("0005", "001", "2345678"), AccountType::Current);
    assert_eq!(sim.bank.inquire(&closed_current).await, Err(BankError::Closed));
    assert_eq!(sim.bank.inquire(&ordinary(("0001", "001", "7777777"))).await, Err(BankError::NotFound));
    let wrong_type = account(YAMADA, AccountType::Savings);
    assert_eq!(sim.bank.inquire(&wrong_type).await, Err(BankError::NotFound), "a type that differs is no account");
}

#[tokio::test]
async fn an_unknown_branch_is_refused_by_the_client_and_by_the_bank() {
    let sim = Sim::start(0).await;
    assert!(matches!(AccountRef::parse("0001", "999", AccountType::Ordinary, "1234567"), Err(BankError::Invalid(_))));
    let body =
        json!({"bank_code": "0001", "branch_code": "999", "account_type": "ordinary", "account_number": "1234567"});
    let (status, answer) = sim.raw(reqwest::Method::POST, "/v1/account-inquiries", Some(body)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("unknown_branch")), "{answer}");
    let body =
        json!({"bank_code": "9999", "branch_code": "001", "account_type": "ordinary", "account_number": "1234567"});
    let (status, answer) = sim.raw(reqwest::Method::POST, "/v1/account-inquiries", Some(body)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("unknown_branch")), "{answer}");
}

#[tokio::test]
async fn a_confirmed_debit_lowers_the_balance_once_the_delay_has_passed() {
    let sim = Sim::start(150).await;
    let request = DebitRequest::new("topup_1", ordinary(YAMADA), 12_345, "ヤマダ タロウ").unwrap();
    let first = sim.bank.debit(&request).await.unwrap();
    assert_eq!((first.status, first.decided_at_ms), (DebitStatus::Pending, None));
    assert_eq!(sim.bank.debit_status("topup_1").await.unwrap().status, DebitStatus::Pending);
    assert_eq!(sim.balance(YAMADA).await, 5_000_000, "nothing moves while pending");
    tokio::time::sleep(Duration::from_millis(250)).await;
    let later = sim.bank.debit_status("topup_1").await.unwrap();
    assert_eq!(later.status, DebitStatus::Confirmed);
    assert!(later.decided_at_ms.is_some());
    assert_eq!(later.amount_minor, 12_345);
    assert_eq!(sim.balance(YAMADA).await, 5_000_000 - 12_345);
    assert_eq!(sim.bank.debit_status("no_such").await, Err(BankError::NotFound));
}

#[tokio::test]
async fn debits_are_refused_for_funds_closure_name_limit_and_unknown_accounts() {
    let sim = Sim::start(0).await;
    let cases = [
        ("d1", ("0001", "001", "1234569"), 1_000, "ｽｽﾞｷ ﾊﾅｺ", RefusalReason::InsufficientFunds),
        ("d2", ("0001", "001", "1234568"), 1_000, "ｻﾄｳ ｼﾞﾛｳ", RefusalReason::AccountClosed),
        ("d3", YAMADA, 1_000, "ヤマダ ジロウ", RefusalReason::NameMismatch),
        ("d4", YAMADA, 1_000_001, "ヤマダ タロウ", RefusalReason::LimitExceeded),
        ("d5", ("0001", "001", "7777777"), 1_000, "ヤマダ タロウ", RefusalReason::NoSuchAccount),
    ];
    for (id, place, amount, name, reason) in cases {
        let request = DebitRequest::new(id, ordinary(place), amount, name).unwrap();
        let debit = sim.bank.debit(&request).await.unwrap();
        assert_eq!(debit.status, DebitStatus::Refused(reason), "{id}");
        assert!(debit.decided_at_ms.is_some(), "{id}: decided at once with no delay");
    }
    assert_eq!(sim.balance(YAMADA).await, 5_000_000, "no refused debit moved money");
    let limit = DebitRequest::new("d6", ordinary(YAMADA), 1_000_000, "ヤマダ タロウ").unwrap();
    assert_eq!(sim.bank.debit(&limit).await.unwrap().status, DebitStatus::Confirmed, "the limit itself is allowed");
}

#[tokio::test]
async fn one_debit_id_is_one_debit_even_when_sent_twenty_times_at_once() {
    let sim = Sim::start(0).await;
    let request = DebitRequest::new("topup_once", ordinary(YAMADA), 30_000, "ﾔﾏﾀﾞ ﾀﾛｳ").unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (bank, request) = (sim.bank.clone(), request.clone());
            tokio::spawn(async move { bank.debit(&request).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().status, DebitStatus::Confirmed);
    }
    let again = sim.bank.debit(&request).await.unwrap();
    assert_eq!(again.status, DebitStatus::Confirmed, "a retry reads the same debit");
    assert_eq!(sim.balance(YAMADA).await, 5_000_000 - 30_000, "debited once");
}

#[tokio::test]
async fn a_debit_id_reused_for_another_amount_is_refused() {
    let sim = Sim::start(0).await;
    let first = DebitRequest::new("topup_2", ordinary(YAMADA), 1_000, "ヤマダ タロウ").unwrap();
    sim.bank.debit(&first).await.unwrap();
    let other = DebitRequest::new("topup_2", ordinary(YAMADA), 2_000, "ヤマダ タロウ").unwrap();
    assert_eq!(sim.bank.debit(&other).await, Err(BankError::Refused { reason: "debit_id_reused".into() }));
    assert_eq!(sim.balance(YAMADA).await, 5_000_000 - 1_000);
}

fn record(place: (&str, &str, &str), name: &str, amount_yen: u64) -> zengin::TransferRecord {
    zengin::TransferRecord {
        bank_code: place.0.into(),
        bank_name: String::new(),
        branch_code: place.1.into(),
        branch_name: String::new(),
        clearing_house: String::new(),
        account_type: zengin::AccountType::Ordinary,
        account_number: place.2.into(),
        recipient_name: zengin::holder_name(name).unwrap(),
        amount_yen,
        new_code: zengin::NewCode::Other,
        customer: zengin::CustomerReference::None,
        designation: None,
    }
}

fn payout_file(records: Vec<zengin::TransferRecord>) -> Vec<u8> {
    let header = zengin::TransferHeader {
        requester_code: "0000000001".into(),
        requester_name: zengin::requester_name("ｱﾝｼﾝ ﾍﾟｲﾒﾝﾂ(ｶ").unwrap(),
        transfer_date: zengin::TransferDate::new(4, 25).unwrap(),
        bank_code: "0001".into(),
        bank_name: "ﾐｽﾞﾎ".into(),
        branch_code: "001".into(),
        branch_name: "ﾄｳｷﾖｳ".into(),
        account_type: zengin::AccountType::Ordinary,
        account_number: "0000001".into(),
    };
    zengin::encode(&zengin::TransferFile { header, records }).unwrap()
}

#[tokio::test]
async fn a_transfer_file_pays_the_good_record_and_returns_the_others_with_their_codes() {
    let sim = Sim::start(100).await;
    let bytes = payout_file(vec![
        record(MERCHANT, "ｶ)ｱﾝｼﾝ", 10_000),
        record(("0001", "001", "7777777"), "ﾀﾅｶ ｲﾁﾛｳ", 20_000),
        record(YAMADA, "ﾔﾏﾀﾞ ｼﾞﾛｳ", 30_000),
        record(("0001", "001", "1234568"), "ｻﾄｳ ｼﾞﾛｳ", 40_000),
    ]);
    let accepted = sim.bank.send_transfer_file(bytes.clone()).await.unwrap();
    assert_eq!((accepted.records, accepted.total_minor), (4, 100_000));
    assert_eq!(sim.bank.transfer_result(&accepted.file_id).await, Ok(None), "pending at first");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let result = sim.bank.transfer_result(&accepted.file_id).await.unwrap().expect("decided");
    let codes: Vec<_> = result.records.iter().map(|r| r.result).collect();
    assert_eq!(
        codes,
        [
            TransferResult::Paid,
            TransferResult::NoSuchAccount,
            TransferResult::NameMismatch,
            TransferResult::AccountClosed
        ]
    );
    assert_eq!(result.records[0].transfer.account_number, "7654321", "records come back in order, as sent");
    assert_eq!(sim.balance(MERCHANT).await, 10_000, "only the paid record was credited");
    assert_eq!(sim.balance(YAMADA).await, 5_000_000);

    let again = sim.bank.send_transfer_file(bytes).await.unwrap();
    assert_eq!(again.file_id, accepted.file_id, "the same bytes are the same file");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sim.bank.transfer_result(&again.file_id).await.unwrap().unwrap(), result);
    assert_eq!(sim.balance(MERCHANT).await, 10_000, "never paid twice");
    assert_eq!(sim.bank.transfer_result("tf_unknown").await, Err(BankError::NotFound));
}

#[tokio::test]
async fn a_transfer_file_that_does_not_parse_is_refused_with_the_parser_s_words() {
    let sim = Sim::start(0).await;
    let mut bytes = payout_file(vec![record(MERCHANT, "ｶ)ｱﾝｼﾝ", 10_000)]);
    bytes[0] = b'7';
    match sim.bank.send_transfer_file(bytes).await {
        Err(BankError::Invalid(message)) => {
            assert!(message.starts_with("invalid_file: "), "{message}");
            assert!(message.contains("data_type at byte 0"), "the parser's position is kept: {message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_api_key_is_refused_and_never_echoed() {
    let sim = Sim::start(0).await;
    let secret = "wrong-key-SECRET-987654321";
    let client = BankClient::new(&sim.url, secret).unwrap();
    let refused = client.inquire(&ordinary(YAMADA)).await.unwrap_err();
    assert_eq!(refused, BankError::Refused { reason: "unauthorized".into() });
    for shown in [refused.to_string(), format!("{refused:?}"), format!("{client:?}")] {
        assert!(!shown.contains("SECRET") && !shown.contains(KEY), "{shown}");
    }
    let response =
        reqwest::Client::new().get(format!("{}/v1/accounts/0001/001/1234567", sim.url)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401, "no key at all");
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn accounts_added_for_a_test_follow_the_last_digit_rules() {
    let sim = Sim::start(0).await;
    let place = ("0005", "001", "4444449");
    let body = json!({"bank_code": "0005", "branch_code": "001", "account_type": "ordinary",
        "account_number": "4444449", "holder_name": "タナカ ハナコ", "balance_minor": 100_000});
    let (status, added) = sim.add_account(body.clone()).await;
    assert_eq!((status, added["holder_name"].as_str()), (201, Some("ﾀﾅｶ ﾊﾅｺ")), "{added}");
    assert_eq!(sim.add_account(body).await.0, 409, "one account per number");
    let request = DebitRequest::new("t1", ordinary(place), 1_000, "タナカ ハナコ").unwrap();
    let debit = sim.bank.debit(&request).await.unwrap();
    assert_eq!(debit.status, DebitStatus::Refused(RefusalReason::InsufficientFunds), "ends in 9, whatever the balance");

    let body = json!({"bank_code": "0005", "branch_code": "001", "account_type": "ordinary",
        "account_number": "4444448", "holder_name": "タナカ ハナコ", "status": "open"});
    let (status, added) = sim.add_account(body).await;
    assert_eq!((status, added["status"].as_str()), (201, Some("closed")), "ends in 8: closed");
    let body = json!({"bank_code": "0005", "branch_code": "001", "account_type": "ordinary",
        "account_number": "4444447", "holder_name": "田中"});
    let (status, refused) = sim.add_account(body).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (400, Some("invalid_holder_name")), "{refused}");
}

#[tokio::test]
async fn the_command_prints_its_url_and_serves_the_documented_accounts() {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_anshin"))
        .args(["sim", "bank", "--listen", "127.0.0.1:0", "--confirm-delay-ms", "0"])
        .env("ANSHIN_BANK_API_KEY", KEY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            printed.push(line.clone());
            if let Some(rest) = line.split_once("listening on ").map(|(_, rest)| rest.trim().to_owned()) {
                return rest;
            }
        }
        panic!("the simulator stopped before it printed its URL: {printed:?}");
    })
    .await
    .expect("the URL within 30 s");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        let mut rest = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            let last = line.contains("Ctrl-C");
            rest.push(line);
            if last {
                break;
            }
        }
        rest
    })
    .await
    .unwrap();
    assert!(rest.iter().any(|l| l.contains("1234567") && l.contains("ﾔﾏﾀﾞ ﾀﾛｳ")), "the test accounts: {rest:?}");
    assert!(!rest.iter().any(|l| l.contains(KEY)), "the key is never printed: {rest:?}");
    let bank = BankClient::new(&url, KEY).unwrap();
    assert_eq!(bank.inquire(&ordinary(YAMADA)).await.unwrap().holder_name, "ﾔﾏﾀﾞ ﾀﾛｳ");
    child.kill().await.unwrap();
}

#[test]
fn the_command_refuses_to_listen_beyond_loopback_unless_told() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_anshin"))
        .args(["sim", "bank", "--listen", "0.0.0.0:0"])
        .env("ANSHIN_BANK_API_KEY", KEY)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--allow-remote"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
