//! First start of several processes at once on one empty data directory: they must end with one
//! master key and one TLS certificate (with its own key), or codes queued by one process would
//! not verify on another and clients would see two certificates for one site.

mod common;

use std::sync::Arc;

use common::Server;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 request over TLS; returns the status, the JSON body and the certificate served.
async fn https(
    tls: &tokio_rustls::TlsConnector,
    url: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value, Vec<u8>) {
    let addr = url.trim_start_matches("https://");
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut stream = tls.connect(name, tcp).await.unwrap_or_else(|e| panic!("TLS handshake with {url}: {e}"));
    let served = stream.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let json = response.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
    (status, json, served)
}

/// Both servers of one round start at the same moment on the same empty directory (and, given
/// a URL, the same empty PostgreSQL database, so they also race to create the schema).
fn start_two(data_dir: &str, database_url: Option<&str>) -> (Server, Server) {
    let start = Arc::new(std::sync::Barrier::new(2));
    let spawn = || {
        let (data_dir, start, database_url) = (data_dir.to_owned(), start.clone(), database_url.map(str::to_owned));
        std::thread::spawn(move || {
            start.wait();
            let mut args =
                vec!["--data-dir", &data_dir, "--listen", "127.0.0.1:0", "--tls-self-signed", "--outbox-poll-ms", "50"];
            if let Some(url) = &database_url {
                args.extend(["--database-url", url]);
            }
            Server::start(&args, &[])
        })
    };
    let (a, b) = (spawn(), spawn());
    (a.join().expect("server A started"), b.join().expect("server B started"))
}

/// Poll `server`'s dev mailbox for the code sent to `recipient`.
async fn code_from(tls: &tokio_rustls::TlsConnector, server: &str, recipient: &str) -> String {
    let path = format!("/v1/dev/mailbox?recipient={}", recipient.replace('+', "%2B"));
    for _ in 0..200 {
        let (status, messages, _) = https(tls, server, "GET", &path, None).await;
        assert_eq!(status, 200, "{messages}");
        if let Some(body) = messages[0]["body"].as_str() {
            return body
                .split(|c: char| !c.is_ascii_digit())
                .find(|w| w.len() == 6)
                .unwrap_or_else(|| panic!("no code in {body:?}: sealed under another key?"))
                .to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no message to {recipient}");
}

/// An empty PostgreSQL database (no schema yet) and a way to drop it.
async fn empty_pg_database() -> (String, impl AsyncFnOnce()) {
    let admin_url = common::pg_admin_url();
    let name = format!("anshin_first_{}", &anshin::storage::ids::random_hex_128()[..12]);
    let admin = anshin::storage::Db::connect(&admin_url).await.expect("PostgreSQL is required for this test");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin.write_pool()).await.unwrap();
    let url = anshin::bench::replace_database(&admin_url, &name);
    let drop = async move || {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(admin.write_pool())
            .await;
        admin.close().await;
    };
    (url, drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_starting_together_share_one_key_and_one_certificate_sqlite() {
    for round in 0..10 {
        first_start_round(round, None).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_starting_together_share_one_key_and_one_certificate_postgres() {
    if common::pg_skipped() {
        return;
    }
    for round in 0..10 {
        let (url, drop) = empty_pg_database().await;
        first_start_round(round, Some(&url)).await;
        drop().await;
    }
}

async fn first_start_round(round: usize, database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let (a, b) = start_two(data_dir.to_str().unwrap(), database_url);
    let cert = std::fs::read(data_dir.join("dev-tls").join("cert.pem")).unwrap();
    let tls = common::tls_client_trusting(&cert);
    let der = rustls_pemfile::certs(&mut &cert[..]).next().unwrap().unwrap().to_vec();
    let (_, _, served_a) = https(&tls, &a.url, "GET", "/healthz", None).await;
    let (_, _, served_b) = https(&tls, &b.url, "GET", "/healthz", None).await;
    assert!(served_a == der && served_b == der, "round {round}: the two servers serve different certificates");

    // Register through one server and finish through the other: the codes were queued,
    // sealed, delivered and checked under keys from one master key, whichever process did each.
    let (email, phone) = (format!("race{round}@example.jp"), format!("+8190123400{round:02}"));
    let registration = json!({ "email": email, "phone": phone, "password": "lantern harbour velvet 42",
        "legal_name": "Yamada Taro", "date_of_birth": "1990-04-15" });
    let (status, body, _) = https(&tls, &a.url, "POST", "/v1/registrations", Some(&registration)).await;
    assert_eq!(status, 202, "round {round}: {body}");
    let codes = [code_from(&tls, &b.url, &email).await, code_from(&tls, &b.url, &phone).await];
    let verify = json!({ "registration_id": body["registration_id"], "email_code": codes[0], "sms_code": codes[1] });
    let (status, session, _) = https(&tls, &b.url, "POST", "/v1/registrations/verification", Some(&verify)).await;
    assert_eq!(status, 201, "round {round}: codes from one server must verify on the other: {session}");

    let mut names: Vec<String> =
        std::fs::read_dir(&data_dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.retain(|n| !n.starts_with("anshin.db"));
    names.sort();
    assert_eq!(names, ["dev-tls", "secret.key", "vault-keys.json"], "round {round}: no temporary file is left");
}
