//! `anshin serve --demo` as a newcomer runs it: the real binary on an empty data directory, its
//! printed accounts used as printed, a payment taken at the till page from the demo wallet's code.
//! The time from the command to a paid sale is printed (measured, not asserted).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

const CSRF: &str = "0123456789abcdef0123456789abcdef";

/// `email / password` and the spare recovery code printed for `who`.
fn account(printed: &[String], who: &str) -> (String, String, String) {
    let at = printed
        .iter()
        .position(|l| l.trim_start().starts_with(&format!("{who} ")))
        .unwrap_or_else(|| panic!("{who}: {printed:?}"));
    let (_, login) = printed[at].split_once(" as ").unwrap();
    let (email, password) = login.split_once(" / ").unwrap();
    let spare = printed[at + 2].rsplit(' ').next().unwrap();
    (email.trim().to_owned(), password.trim().to_owned(), spare.to_owned())
}

async fn sign_in(http: &reqwest::Client, base: &str, email: &str, password: &str, recovery: &str) -> String {
    let started: Value = http
        .post(format!("{base}/v1/sessions"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("{base}/v1/sessions/challenges/{}", started["challenge_id"].as_str().unwrap());
    let session: Value = http
        .post(path)
        .json(&json!({ "factor": "recovery_code", "code": recovery }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session["token"].as_str().unwrap_or_else(|| panic!("{session}")).to_owned()
}

#[tokio::test]
async fn a_newcomer_takes_a_payment_with_what_serve_demo_prints() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_anshin"))
        .args(["--data-dir", dir.path().to_str().unwrap(), "serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let printed = tokio::time::timeout(Duration::from_secs(60), async {
        let mut printed = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            let last = line.contains("settle a finished business day");
            printed.push(line);
            if last {
                return printed;
            }
        }
        panic!("the server stopped before the demo was seeded: {printed:?}");
    })
    .await
    .expect("the demo accounts within 60 s");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // The wallet, as printed: its balance arrives once the test bank confirms the first top-up.
    let (email, password, spare) = account(&printed, "wallet");
    let wallet = sign_in(&http, &base, &email, &password, &spare).await;
    let mut total = 0;
    for _ in 0..100 {
        let balances: Value =
            http.get(format!("{base}/v1/me/balances")).bearer_auth(&wallet).send().await.unwrap().json().await.unwrap();
        total = balances["total_minor"].as_i64().unwrap_or(0);
        if total > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(total, 20_000, "the demo wallet is funded from the test bank");
    let device: Value = http
        .post(format!("{base}/v1/me/payment-devices"))
        .bearer_auth(&wallet)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    use base64::Engine;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(device["secret"].as_str().unwrap()).unwrap();
    let now =
        i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap();
    let digits = anshin::payments::codes::encode_digits(&secret, device["device_number"].as_i64().unwrap(), 1, now);

    // The cashier, as printed, takes it at the till page.
    let (email, password, spare) = account(&printed, "cashier");
    let cashier = sign_in(&http, &base, &email, &password, &spare).await;
    let cookie = format!("__Host-anshin_session={cashier}; __Host-anshin_csrf={CSRF}");
    let till =
        http.get(format!("{base}/merchant/till")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    let store = till.split("option value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    let form =
        [("csrf", CSRF), ("store_id", store.as_str()), ("amount_minor", "980"), ("customer_code", digits.as_str())];
    let taken =
        http.post(format!("{base}/merchant/till/charge")).header("cookie", &cookie).form(&form).send().await.unwrap();
    assert_eq!(taken.status(), reqwest::StatusCode::SEE_OTHER);
    let location = taken.headers()["location"].to_str().unwrap().to_owned();
    let outcome =
        http.get(format!("{base}{location}")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(outcome.contains("data-status=\"succeeded\""), "{outcome}");
    println!("from `anshin serve --demo` to a paid sale: {:.1} s", started.elapsed().as_secs_f64());

    // Beyond loopback, even with TLS, the demo (which prints passwords) is refused.
    child.kill().await.unwrap();
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_anshin"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "serve",
            "--demo",
            "--tls-self-signed",
            "--listen",
            "0.0.0.0:0",
        ])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!again.status.success(), "--demo beyond loopback is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("--demo"), "{}", String::from_utf8_lossy(&again.stderr));
}
