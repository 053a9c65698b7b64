//! The identity controls of issue 6, one behaviour per test, on SQLite and PostgreSQL. Each test
//! names the control it protects in a comment; each was checked to fail with that control removed.

mod common;

use anshin::identity::IdentityConfig;
use anshin::storage::now_ms;
use common::TestDb;
use common::identity_app::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "velvet canyon drum 93";

fn challenge_path(challenge: &Value) -> String {
    format!("/v1/sessions/challenges/{}", challenge["challenge_id"].as_str().expect("a challenge id"))
}

/// The password step of sign-in from `client`, on the device `device_token` names, if any.
async fn password_step(
    a: &App,
    client: &reqwest::Client,
    email: &str,
    device_token: Option<&str>,
) -> (StatusCode, Value) {
    let body = json!({ "email": email, "password": PASSWORD, "device_token": device_token });
    a.post_with(client, "/v1/sessions", body, None).await
}

/// Whether a correct password from `client` (an unknown device unless `device_token`) is asked for
/// an e-mail code besides the factor.
async fn asked_for_email(a: &App, client: &reqwest::Client, email: &str, device_token: Option<&str>) -> bool {
    let (status, challenge) = password_step(a, client, email, device_token).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    challenge["email_proof_required"].as_bool().unwrap()
}

/// `n` wrong passwords from `client`, each against another (unknown) account with another password,
/// so that only the address and network signals count them.
async fn fail_from(a: &App, client: &reqwest::Client, n: usize) {
    for i in 0..n {
        let body = json!({ "email": format!("nobody{i}@example.jp"), "password": format!("wrong guess {i}") });
        assert_eq!(a.post_with(client, "/v1/sessions", body, None).await.0, StatusCode::UNAUTHORIZED);
    }
}

/// Audit records of `action` with `outcome`.
async fn audited(a: &App, action: &str, outcome: &str) -> i64 {
    a.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND outcome = '{outcome}'")).await
}

/// The failures counted on the guards whose keys match `like` (at most one such guard is expected).
async fn guard_failures(a: &App, like: &str) -> i64 {
    a.count(&format!("SELECT COALESCE(MAX(failures), 0) FROM signin_guards WHERE key LIKE '{like}'")).await
}

async fn exec(a: &App, sql: &'static str) {
    sqlx::query(sql).execute(a.t.db.write_pool()).await.unwrap();
}

/// A code other than `code`.
fn other_than(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

fn refused_for_step_up((status, body): (StatusCode, Value)) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "step_up_required", "{body}");
}

// ---- 1. Enrolment sessions are for staff without a factor only ---------------------------------

// Control: the wallet check in `enrolment_session` (identity/signin.rs).
on_both!(the_enrolment_path_gives_a_wallet_password_no_session, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    a.registered("enrol@example.jp", "+819010000001").await;
    let (status, challenge) = password_step(&a, &reqwest::Client::new(), "enrol@example.jp", None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    assert_eq!(challenge["enrolment_required"], false);
    let (status, body) = a.post(&format!("{}/enrolment", challenge_path(&challenge)), json!({}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a password alone gave a wallet session: {body}");
    assert_eq!(a.count("SELECT COUNT(*) FROM sessions").await, 1, "only the session registration opened");
});

// ---- 2. The absolute session limit --------------------------------------------------------------

// Control: `session_absolute_secs` defaulting to 12 hours (identity/config.rs), used by `open_session`.
on_both!(a_new_session_expires_twelve_hours_after_sign_in_by_default, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("twelve@example.jp", "+819010000002");
    a.registered(email, phone).await;
    let before = now_ms();
    let session = a.sign_in_by_sms(email, PASSWORD, phone).await;
    let expires = session["expires_at_ms"].as_i64().unwrap();
    assert!(expires >= before + 12 * 3_600_000 && expires <= now_ms() + 12 * 3_600_000, "{session}");
    let stored = a.count("SELECT MAX(expires_at_ms - created_at_ms) FROM sessions").await;
    assert_eq!(stored, 12 * 3_600_000);
});

// Control: the absolute-limit check in `authenticate` (identity/sessions.rs).
on_both!(a_session_past_its_absolute_limit_is_refused_even_when_used_constantly, |t: TestDb| async move {
    let a = app(t, IdentityConfig { session_absolute_secs: 3, ..Default::default() }).await;
    let token = a.registered("absolute@example.jp", "+819010000012").await;
    let expires = a.count("SELECT expires_at_ms FROM sessions").await;
    // Used every 200 ms, so never idle; the absolute limit ends it anyway.
    while now_ms() < expires - 800 {
        assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let wait_ms = u64::try_from(expires + 100 - now_ms()).unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(wait_ms)).await;
    assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::UNAUTHORIZED, "past the absolute limit");
});

// ---- 3. The idle limits ---------------------------------------------------------------------------

// Control: the idle defaults (identity/config.rs) and the staff branch in `open_session`.
on_both!(wallet_sessions_idle_out_after_30_minutes_and_staff_after_15_by_default, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    a.registered("idle@example.jp", "+819010000003").await;
    let password = a.identity.create_operator("idle.ops@example.jp", "Ops Idle", "admin").await.unwrap();
    a.enrolment_session("idle.ops@example.jp", &password).await;
    let idle_of = |kind: &str| {
        format!(
            "SELECT MAX(s.idle_timeout_ms) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.kind = '{kind}'"
        )
    };
    assert_eq!(a.count(&idle_of("wallet")).await, 1_800_000);
    assert_eq!(a.count(&idle_of("operator")).await, 900_000);
});

// Control: the idle check in `authenticate` (identity/sessions.rs).
on_both!(a_session_idle_past_its_limit_is_refused, |t: TestDb| async move {
    let a = app(t, IdentityConfig { session_idle_secs: 2, staff_idle_secs: 2, ..Default::default() }).await;
    let wallet = a.registered("idle2@example.jp", "+819010000013").await;
    assert_eq!(a.get("/v1/me", &wallet).await.0, StatusCode::OK);
    let password = a.identity.create_operator("idle2.ops@example.jp", "Ops Idle", "admin").await.unwrap();
    let staff = a.enrolment_session("idle2.ops@example.jp", &password).await;
    assert_eq!(a.get("/v1/me", &staff).await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(a.get("/v1/me", &wallet).await.0, StatusCode::UNAUTHORIZED, "the wallet session idled out");
    assert_eq!(a.get("/v1/me", &staff).await.0, StatusCode::UNAUTHORIZED, "the staff session idled out");
});

// ---- 4. Step-up grants: one action, one use --------------------------------------------------------

// Controls: `require_grant` and `consume_grant` with each action's own name in `change_password`
// (identity/recovery.rs), `remove_totp` (enrolment.rs) and `start_contact_change` (contacts.rs).
on_both!(each_sensitive_change_needs_a_grant_for_itself_and_a_grant_works_once, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let phone = "+819010000004";
    let token = a.registered("grants@example.jp", phone).await;
    a.enrol_totp(&token).await;
    let password = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
    let contact = json!({ "channel": "email", "value": "grants.new@example.jp" });
    refused_for_step_up(a.post("/v1/me/password", password.clone(), Some(&token)).await);
    refused_for_step_up(a.delete_json("/v1/me/factors/totp", &token).await);
    refused_for_step_up(a.post("/v1/me/contacts", contact.clone(), Some(&token)).await);

    // A grant for one action does not do for another.
    let token = a.step_up(&token, "change_contact", phone).await;
    refused_for_step_up(a.post("/v1/me/password", password.clone(), Some(&token)).await);
    refused_for_step_up(a.delete_json("/v1/me/factors/totp", &token).await);
    let token = a.step_up(&token, "remove_factor", phone).await;
    refused_for_step_up(a.post("/v1/me/password", password.clone(), Some(&token)).await);
    // It does for its own action, once.
    assert_eq!(a.post("/v1/me/contacts", contact.clone(), Some(&token)).await.0, StatusCode::ACCEPTED);
    refused_for_step_up(a.post("/v1/me/contacts", contact, Some(&token)).await);

    // Two password changes sent at once with one grant: only one of them changes the password.
    let token = a.step_up(&token, "change_password", phone).await;
    let other = json!({ "current_password": PASSWORD, "new_password": "copper meadow lantern 77" });
    let (first, second) =
        tokio::join!(a.post("/v1/me/password", password, Some(&token)), a.post("/v1/me/password", other, Some(&token)));
    let changed = [&first, &second].iter().filter(|(s, _)| *s == StatusCode::NO_CONTENT).count();
    assert_eq!(changed, 1, "one grant, one change: {first:?} {second:?}");
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'identity.password.changed'").await, 1);
});

// ---- 5. CSRF on the password forms -------------------------------------------------------------------

/// A CSRF token issued by the sign-in page (its cookie's value).
async fn csrf_token(a: &App) -> String {
    let form = reqwest::Client::new().get(format!("{}/login", a.url)).send().await.unwrap();
    let set_cookie = form.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned()
}

/// Post a page form with the CSRF cookie `csrf_cookie` (and a session cookie, if any).
async fn form_post(
    a: &App,
    path: &str,
    fields: &[(&str, &str)],
    csrf_cookie: &str,
    session: Option<&str>,
) -> StatusCode {
    let mut cookie = format!("__Host-anshin_csrf={csrf_cookie}");
    if let Some(token) = session {
        cookie.push_str(&format!("; __Host-anshin_session={token}"));
    }
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    client.post(format!("{}{path}", a.url)).header("cookie", cookie).form(fields).send().await.unwrap().status()
}

// Controls: `check_csrf` in the password-change page (http/pages.rs) and in `password_step`
// (http/signin_pages.rs), which serves /login, /lock and /unlock.
on_both!(password_forms_without_the_right_csrf_token_change_nothing, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("csrf@example.jp", "+819010000005");
    let token = a.registered(email, phone).await;
    let token = a.step_up(&token, "change_password", phone).await;
    let csrf = csrf_token(&a).await;
    let state = || async {
        let challenges = a.count("SELECT COUNT(*) FROM login_challenges").await;
        let audit = a.count("SELECT COUNT(*) FROM audit_log").await;
        let guards = a.count("SELECT COUNT(*) FROM signin_guards").await;
        let grants = a.count("SELECT COUNT(*) FROM step_up_grants WHERE used_at_ms IS NULL").await;
        (challenges, audit, guards, grants)
    };
    let before = state().await;
    for submitted in [None, Some("0123456789abcdef0123456789abcdef")] {
        let with_token = |mut fields: Vec<(&'static str, &'static str)>| {
            fields.extend(submitted.map(|s| ("csrf", s)));
            fields
        };
        for path in ["/login", "/lock", "/unlock"] {
            let fields = with_token(vec![("email", email), ("password", PASSWORD)]);
            assert_eq!(form_post(&a, path, &fields, &csrf, None).await, StatusCode::FORBIDDEN, "{path} {submitted:?}");
        }
        let fields = with_token(vec![("current_password", PASSWORD), ("new_password", NEW_PASSWORD)]);
        let status = form_post(&a, "/wallet/security/password", &fields, &csrf, Some(&token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{submitted:?}");
    }
    assert_eq!(state().await, before, "no challenge, no password check audited, no count, the grant unused");
    assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::OK, "the password was not changed");

    // With the right token the same forms go through.
    let fields = [("email", email), ("password", PASSWORD), ("csrf", csrf.as_str())];
    assert_eq!(form_post(&a, "/login", &fields, &csrf, None).await, StatusCode::OK);
    assert_eq!(a.count("SELECT COUNT(*) FROM login_challenges").await, before.0 + 1);
    let fields = [("current_password", PASSWORD), ("new_password", NEW_PASSWORD), ("csrf", csrf.as_str())];
    assert_eq!(form_post(&a, "/wallet/security/password", &fields, &csrf, Some(&token)).await, StatusCode::OK);
    assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::UNAUTHORIZED, "changed: every session ended");
});

// ---- 6. The address and network signals -----------------------------------------------------------

// Controls: the `fail:ip:` signal (`source_keys`, identity/guards.rs); the e-mail proof in `prove`
// (identity/proofs.rs); the known-device exemption in `start_challenge` (identity/signin.rs).
on_both!(failures_from_one_address_make_it_prove_the_email_but_not_its_neighbours, |t: TestDb| async move {
    let config = IdentityConfig { address_failures_signal: 3, network_failures_signal: 1_000, ..Default::default() };
    let a = app(t, config).await;
    let (email, phone) = ("signal@example.jp", "+819010000006");
    let account = a.register(email, phone).await;
    let busy = client_from("127.60.1.1");
    fail_from(&a, &busy, 3).await;
    assert!(!asked_for_email(&a, &client_from("127.60.1.2"), email, None).await, "another address, same /24");
    assert!(!asked_for_email(&a, &client_from("127.61.1.1"), email, None).await, "another network");
    assert!(!asked_for_email(&a, &busy, email, Some(&account.device_token)).await, "a known device");

    let (status, challenge) = password_step(&a, &busy, email, None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    assert_eq!(challenge["email_proof_required"], true, "an unknown device at the busy address");
    let path = challenge_path(&challenge);
    assert_eq!(a.post_with(&busy, &format!("{path}/sms"), json!({}), None).await.0, StatusCode::ACCEPTED);
    let sms = a.code_for(phone).await;
    let (status, body) = a.post_with(&busy, &path, json!({ "factor": "sms", "code": sms }), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the factor alone is not enough: {body}");
    assert_eq!(a.post_with(&busy, &format!("{path}/email"), json!({}), None).await.0, StatusCode::ACCEPTED);
    let email_code = a.code_for(email).await;
    let body = json!({ "factor": "sms", "code": sms, "email_code": email_code });
    let (status, session) = a.post_with(&busy, &path, body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
});

// Control: the `fail:net:` signal (`source_keys`, identity/guards.rs).
on_both!(failures_from_one_network_make_its_other_addresses_prove_the_email, |t: TestDb| async move {
    let config = IdentityConfig { address_failures_signal: 1_000, network_failures_signal: 3, ..Default::default() };
    let a = app(t, config).await;
    let email = "network@example.jp";
    a.registered(email, "+819010000016").await;
    fail_from(&a, &client_from("127.62.5.1"), 3).await;
    assert!(!asked_for_email(&a, &client_from("127.63.5.1"), email, None).await, "another network");
    assert!(asked_for_email(&a, &client_from("127.62.5.2"), email, None).await, "another address in the /24");
});

// ---- 7. Five guesses per challenge and per code ----------------------------------------------------------

// Control: the attempt limit on sign-in challenges (`count_attempt` with MAX_ATTEMPTS in `prove`).
on_both!(staff_get_five_factor_guesses_per_sign_in_before_their_account_guard_acts, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let email = "guesses.ops@example.jp";
    let password = a.identity.create_operator(email, "Ops Guess", "admin").await.unwrap();
    let (_, secret) = a.enrol_staff(email, &password).await;
    let (status, challenge) = a.post("/v1/sessions", json!({ "email": email, "password": password }), None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    let path = challenge_path(&challenge);
    let wrong = totp_miss(&secret);
    for _ in 0..5 {
        let (status, body) = a.post(&path, json!({ "factor": "totp", "code": wrong }), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    assert!(a.count("SELECT MAX(blocked_until_ms) FROM signin_guards").await < now_ms(), "no guard delays yet");
    let (status, body) = a.post(&path, json!({ "factor": "totp", "code": totp_at(&secret, 1) }), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the sixth guess fails even when right: {body}");
    assert_eq!(body["error"]["code"], "code_expired");
});

// Control: the attempt limit on one-time codes (`count_code_attempt` and `codes::check`).
on_both!(the_sixth_guess_at_a_registration_code_fails_even_when_right, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("sixth@example.jp", "+819010000007");
    let (status, started) = a.post("/v1/registrations", registration(email, phone), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let (email_code, sms_code) = (a.code_for(email).await, a.code_for(phone).await);
    let verify =
        |e: &str, s: &str| json!({ "registration_id": started["registration_id"], "email_code": e, "sms_code": s });
    for _ in 0..5 {
        let body = verify(other_than(&email_code), other_than(&sms_code));
        assert_eq!(a.post("/v1/registrations/verification", body, None).await.0, StatusCode::UNAUTHORIZED);
    }
    // The address's own delay would answer first (429); this is about the codes' limit.
    exec(&a, "DELETE FROM signin_guards").await;
    let (status, body) = a.post("/v1/registrations/verification", verify(&email_code, &sms_code), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "code_expired");
});

// Control: the attempt limit on one-time codes (`count_code_attempt` and `codes::check`).
on_both!(the_sixth_guess_at_a_contact_change_code_fails_even_when_right, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let phone = "+819010000017";
    let token = a.registered("sixth.contact@example.jp", phone).await;
    let token = a.step_up(&token, "change_contact", phone).await;
    let change = json!({ "channel": "email", "value": "sixth.new@example.jp" });
    assert_eq!(a.post("/v1/me/contacts", change, Some(&token)).await.0, StatusCode::ACCEPTED);
    let code = a.code_for("sixth.new@example.jp").await;
    let confirm = |code: &str| json!({ "channel": "email", "code": code });
    for _ in 0..5 {
        let status = a.post("/v1/me/contacts/confirmation", confirm(other_than(&code)), Some(&token)).await.0;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    exec(&a, "DELETE FROM signin_guards").await; // the device's delay, likewise
    let (status, body) = a.post("/v1/me/contacts/confirmation", confirm(&code), Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "code_expired");
});

// ---- 8. The audit hash covers every field ------------------------------------------------------------------

// Control: the fields `record_hash` covers (audit/mod.rs).
on_both!(changing_an_audit_records_target_action_request_id_or_time_is_detected, |t: TestDb| async move {
    use anshin::audit::{self, AuditEvent, AuditProblem};
    for i in 0..6 {
        let event = AuditEvent::new("usr_owner", "identity.login.succeeded", format!("usr_{i}"))
            .request_id(format!("req_{i}"))
            .details(json!({ "ip": "192.0.2.1" }));
        audit::record(&t.db, event).await.unwrap();
    }
    assert!(audit::verify(&t.db).await.unwrap().ok());
    for sql in [
        "UPDATE audit_log SET target = 'usr_other' WHERE seq = 2",
        "UPDATE audit_log SET action = 'identity.login.failed' WHERE seq = 3",
        "UPDATE audit_log SET request_id = 'req_forged' WHERE seq = 4",
        "UPDATE audit_log SET at_ms = at_ms - 86400000 WHERE seq = 5",
    ] {
        sqlx::query(sql).execute(t.db.write_pool()).await.unwrap();
    }
    let problems = audit::verify(&t.db).await.unwrap().problems;
    let altered: Vec<AuditProblem> = (2..=5).map(|seq| AuditProblem::Altered { seq }).collect();
    assert_eq!(problems, altered);
});

// ---- 9. A refused ledger command sends nothing -------------------------------------------------------------

// Control: a command's messages join its batch's outbox only after it applied (`apply_request`,
// ledger/engine.rs).
on_both!(a_refused_ledger_command_queues_no_message, |t: TestDb| async move {
    use anshin::ledger::*;
    use anshin::notify::OutboxMessage;
    let (ledger, _task) = Ledger::start(t.db.clone());
    let jpy = Currency::jpy();
    let source = ledger.system_account(AccountKind::CardFundingClearing, &jpy).await.unwrap();
    let kind = AccountKind::UserWallet;
    let new = NewAccount { kind, currency: jpy.clone(), flags: kind.default_flags(), owner_ref: None };
    let (rich, poor, shop) = (
        ledger.open_account(&new).await.unwrap(),
        ledger.open_account(&new).await.unwrap(),
        ledger.open_account(&new).await.unwrap(),
    );
    ledger.submit(Command::transfer("fund", &source, &rich, &jpy, 1_000, "transfer")).await.unwrap();
    let outbox = |subject: &'static str| {
        let db = t.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE subject = $1")
                .bind(subject)
                .fetch_one(db.read_pool())
                .await
                .unwrap()
        }
    };
    let pay = |key: String, from: &str, subject: &str| Request {
        command: Command::transfer(key, from, &shop, &jpy, 10, "transfer"),
        origin: Origin::default(),
        notify: vec![OutboxMessage::email("payer@example.jp", subject, "A payment.")],
        effects: Vec::new(),
    };
    let refused = ledger.submit(pay("alone".into(), &poor, "refused")).await.unwrap_err();
    assert_eq!(refused, LedgerError::InsufficientFunds(poor.clone()));
    assert_eq!(outbox("refused").await, 0);
    // Refused and accepted commands sharing batches: only the accepted ones' messages are queued.
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (from, subject) = if i % 2 == 0 { (&rich, "accepted") } else { (&poor, "refused") };
            let request = pay(format!("pay-{i}"), from, subject);
            let ledger = ledger.clone();
            tokio::spawn(async move { ledger.submit(request).await.is_ok() })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        accepted += i64::from(task.await.unwrap());
    }
    assert_eq!(accepted, 20);
    assert_eq!((outbox("accepted").await, outbox("refused").await), (20, 0));
});

// ---- 10. The 100-consecutive-failure cap ---------------------------------------------------------------------

// Controls: the MAX_CONSECUTIVE_FAILURES refusal in `start_challenge` and its known-device exemption
// (identity/signin.rs); the reset clearing the account's guard (`complete_password_reset`).
on_both!(a_hundred_failures_stop_unknown_devices_until_a_password_reset, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("hundred@example.jp", "+819010000010");
    let account = a.register(email, phone).await;
    let set_account_failures = |n: i64| {
        let (db, key) = (a.t.db.clone(), format!("acct:{}", account.user_id));
        async move {
            sqlx::query("DELETE FROM signin_guards WHERE key = $1").bind(&key).execute(db.write_pool()).await.unwrap();
            sqlx::query(
                "INSERT INTO signin_guards (key, failures, blocked_until_ms, updated_at_ms) VALUES ($1, $2, 0, $3)",
            )
            .bind(&key)
            .bind(n)
            .bind(now_ms())
            .execute(db.write_pool())
            .await
            .unwrap();
        }
    };
    let unknown = reqwest::Client::new();
    set_account_failures(99).await;
    let wrong = json!({ "email": email, "password": "not the password at all" });
    assert_eq!(a.post("/v1/sessions", wrong, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(guard_failures(&a, "acct:%").await, 100);
    let (status, body) = password_step(&a, &unknown, email, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the right password from an unknown device: {body}");
    assert_eq!(body["error"]["code"], "login_failed");
    // The owner's known device still signs in.
    a.sign_in_by_sms_on(email, PASSWORD, phone, Some(&account.device_token)).await;

    // A password reset through the verified e-mail and a second factor clears it.
    set_account_failures(100).await;
    assert_eq!(password_step(&a, &unknown, email, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(a.post("/v1/password-resets", json!({ "email": email }), None).await.0, StatusCode::ACCEPTED);
    let mail = a.messages_to(email).await;
    let key = hex_key(&mail.iter().find(|m| m.subject.contains("Reset your")).expect("a reset mail").body);
    let body = json!({ "token": key, "new_password": NEW_PASSWORD, "factor": "recovery_code",
        "code": account.recovery_codes[0] });
    let (status, body) = a.post("/v1/password-resets/confirmation", body, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let body = json!({ "email": email, "password": NEW_PASSWORD });
    assert_eq!(a.post_with(&unknown, "/v1/sessions", body, None).await.0, StatusCode::OK);
});

// ---- 11. The last strong factor of staff --------------------------------------------------------------------

// Control: the strong-factor check in `remove_totp` (identity/enrolment.rs).
on_both!(staff_cannot_remove_their_last_strong_factor_but_wallet_users_can, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let email = "last.ops@example.jp";
    let password = a.identity.create_operator(email, "Ops Last", "admin").await.unwrap();
    let (token, secret) = a.enrol_staff(email, &password).await;
    let token = a.step_up_by(&token, "remove_factor", "totp", &totp_at(&secret, 1)).await;
    let (status, body) = a.delete_json("/v1/me/factors/totp", &token).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(a.get("/v1/me", &token).await.1["factors"].as_array().unwrap().contains(&json!("totp")));

    let phone = "+819010000011";
    let token = a.registered("last.wallet@example.jp", phone).await;
    a.enrol_totp(&token).await;
    let token = a.step_up(&token, "remove_factor", phone).await;
    assert_eq!(a.delete("/v1/me/factors/totp", &token).await, StatusCode::NO_CONTENT);
});

// ---- 12. Recovery codes work once ----------------------------------------------------------------------

// Control: spending a recovery code with the effect it authorises (`Spend::RecoveryCode`,
// identity/proofs.rs and store/factors.rs).
on_both!(a_recovery_code_works_once_at_sign_in_and_at_lock, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let email = "recovery@example.jp";
    let account = a.register(email, "+819010000020").await;
    let (first, second) = (&account.recovery_codes[0], &account.recovery_codes[1]);
    for expected in [StatusCode::CREATED, StatusCode::UNAUTHORIZED] {
        let (_, challenge) = password_step(&a, &reqwest::Client::new(), email, None).await;
        let body = json!({ "factor": "recovery_code", "code": first });
        assert_eq!(a.post(&challenge_path(&challenge), body, None).await.0, expected);
    }
    let credentials = json!({ "email": email, "password": PASSWORD });
    let (_, lock) = a.post("/v1/account/lock", credentials.clone(), None).await;
    let path = format!("/v1/account/lock/{}", lock["challenge_id"].as_str().unwrap());
    let with = |code: &str| json!({ "factor": "recovery_code", "code": code });
    assert_eq!(a.post(&path, with(first), None).await.0, StatusCode::UNAUTHORIZED, "used at sign-in");
    assert_eq!(a.post(&path, with(second), None).await.0, StatusCode::OK);
    let (_, lock) = a.post("/v1/account/lock", credentials, None).await;
    let path = format!("/v1/account/lock/{}", lock["challenge_id"].as_str().unwrap());
    assert_eq!(a.post(&path, with(second), None).await.0, StatusCode::UNAUTHORIZED, "used at the lock");
});

// ---- 13. Merchant staff enrol at first sign-in -------------------------------------------------------------

// Controls: enrolment-only sessions (`SignedIn` refuses them, http/identity/mod.rs) and
// `enrolment_session` for staff without a factor (identity/signin.rs).
on_both!(merchant_staff_must_enrol_an_app_before_doing_anything_else, |t: TestDb| async move {
    let dir = tempfile::tempdir().unwrap();
    let email = "cashier@example.jp";
    let merchant = create_merchant(&t.url, dir.path()).await;
    let out = std::process::Command::new(common::anshin_bin())
        .args(["--database-url", &t.url, "--data-dir", dir.path().to_str().unwrap()])
        .args(["admin", "create-merchant-staff", "--merchant", &merchant, "--email", email])
        .args(["--name", "Kato Hana", "--role", "cashier"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password =
        stdout.lines().find_map(|l| l.strip_prefix("initial password (shown once): ")).expect("a password").to_owned();
    let a = app(t, IdentityConfig::default()).await;
    let token = a.enrolment_session(email, &password).await;
    let (status, body) = a.get("/v1/me/sessions", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an enrolment session can do nothing else: {body}");
    assert_eq!(body["error"]["code"], "enrolment_required");
    a.enrol_totp(&token).await;
    assert_eq!(a.get("/v1/me/sessions", &token).await.0, StatusCode::OK, "full once the app is set up");
    let (_, challenge) = a.post("/v1/sessions", json!({ "email": email, "password": password }), None).await;
    assert_eq!(challenge["enrolment_required"], false);
    assert_eq!(challenge["factors"], json!(["totp", "recovery_code"]));
});

/// `anshin admin create-merchant`: the new merchant's id.
async fn create_merchant(url: &str, data_dir: &std::path::Path) -> String {
    let out = std::process::Command::new(common::anshin_bin())
        .args(["--database-url", url, "--data-dir", data_dir.to_str().unwrap()])
        .args(["admin", "create-merchant", "--legal-name", "Shop 13", "--kana", "シヨツプ", "--mcc", "5411"])
        .args(["--email", "shop13@example.jp"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.split_whitespace().find(|w| w.starts_with("mer_")).expect("a merchant id").to_owned()
}

// ---- 14. Devices are revocable ---------------------------------------------------------------------------

// Control: `revoke_device` (identity/sessions.rs, store/sessions.rs): its grant, the end of the
// device's sessions, and the device being forgotten (`known_device` skips revoked devices).
on_both!(a_revoked_device_loses_its_sessions_and_is_new_at_its_next_sign_in, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("devices@example.jp", "+819010000014");
    let first = a.register(email, phone).await;
    let second = a.sign_in_by_sms(email, PASSWORD, phone).await;
    let new_device_alerts =
        || async { a.messages_to(email).await.iter().filter(|m| m.subject.contains("New sign-in")).count() };
    assert_eq!(new_device_alerts().await, 1);
    let (status, devices) = a.get("/v1/me/devices", &first.token).await;
    assert_eq!(status, StatusCode::OK, "{devices}");
    let devices = devices.as_array().unwrap();
    assert_eq!(devices.len(), 2);
    let other = devices.iter().find(|d| d["current"] == false).unwrap()["device_id"].as_str().unwrap().to_owned();
    let path = format!("/v1/me/devices/{other}");
    refused_for_step_up(a.delete_json(&path, &first.token).await);
    let token = a.step_up(&first.token, "revoke_device", phone).await;
    let (status, body) = a.delete_json(&path, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sessions_revoked"], 1);
    assert_eq!(a.get("/v1/me", second["token"].as_str().unwrap()).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::OK);
    assert_eq!(a.get("/v1/me/devices", &token).await.1.as_array().unwrap().len(), 1);
    // Its device token is unknown now: its next sign-in is a new device, announced again.
    let old_device_token = second["device_token"].as_str().unwrap();
    let again = a.sign_in_by_sms_on(email, PASSWORD, phone, Some(old_device_token)).await;
    assert_ne!(again["device_token"], old_device_token);
    assert_eq!(new_device_alerts().await, 2);
});

// ---- 15. Other failures count, feed the same delays and are audited -----------------------------------

// Controls: the guard counted and the audit record in `check_reset_factor` (identity/recovery.rs).
on_both!(wrong_reset_factors_feed_the_sign_in_delay_and_are_audited, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let email = "reset.fail@example.jp";
    a.registered(email, "+819010000015").await;
    assert_eq!(a.post("/v1/password-resets", json!({ "email": email }), None).await.0, StatusCode::ACCEPTED);
    let mail = a.messages_to(email).await;
    let key = hex_key(&mail.iter().find(|m| m.subject.contains("Reset your")).expect("a reset mail").body);
    let guess = json!({ "token": key, "new_password": NEW_PASSWORD, "factor": "recovery_code",
        "code": "AAAA-BBBB-CCCC-DDDD" });
    for _ in 0..5 {
        let (status, body) = a.post("/v1/password-resets/confirmation", guess.clone(), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    assert_eq!(guard_failures(&a, "pair:127.0.0.1:%").await, 5);
    assert_eq!(audited(&a, "identity.password_reset.factor_failed", "failure").await, 5);
    // The same delay as five wrong passwords: the right one from this address now waits.
    let (status, body) = password_step(&a, &reqwest::Client::new(), email, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
});

// Controls: the device guard counted and the audit record in `change_password`
// (identity/recovery.rs), `confirm_totp` (enrolment.rs) and `confirm_contact_change` (contacts.rs).
on_both!(
    wrong_passwords_app_codes_and_contact_codes_in_a_session_feed_one_delay_and_are_audited,
    |t: TestDb| async move {
        let a = app(t, IdentityConfig::default()).await;
        let phone = "+819010000025";
        let token = a.registered("session.fail@example.jp", phone).await;
        let (status, enrol) = a.post("/v1/me/factors/totp", json!({}), Some(&token)).await;
        assert_eq!(status, StatusCode::CREATED, "{enrol}");
        let wrong_app_code = totp_miss(enrol["secret"].as_str().unwrap());
        let (status, body) =
            a.post("/v1/me/factors/totp/confirmation", json!({ "code": wrong_app_code }), Some(&token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

        let token = a.step_up(&token, "change_password", phone).await;
        let wrong_current = json!({ "current_password": "not my password", "new_password": NEW_PASSWORD });
        assert_eq!(a.post("/v1/me/password", wrong_current.clone(), Some(&token)).await.0, StatusCode::UNAUTHORIZED);

        let token = a.step_up(&token, "change_contact", phone).await;
        let change = json!({ "channel": "email", "value": "session.new@example.jp" });
        assert_eq!(a.post("/v1/me/contacts", change, Some(&token)).await.0, StatusCode::ACCEPTED);
        let code = a.code_for("session.new@example.jp").await;
        let confirm = json!({ "channel": "email", "code": other_than(&code) });
        assert_eq!(a.post("/v1/me/contacts/confirmation", confirm, Some(&token)).await.0, StatusCode::UNAUTHORIZED);

        assert_eq!(guard_failures(&a, "device:%").await, 3, "all three count on the device's guard");
        for action in [
            "identity.factor.confirmation_failed",
            "identity.password.change_failed",
            "identity.contact_change.code_failed",
        ] {
            assert_eq!(audited(&a, action, "failure").await, 1, "{action}");
        }
        // Two more wrong passwords make five: then even the right one waits.
        for _ in 0..2 {
            assert_eq!(
                a.post("/v1/me/password", wrong_current.clone(), Some(&token)).await.0,
                StatusCode::UNAUTHORIZED
            );
        }
        let right = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
        assert_eq!(a.post("/v1/me/password", right, Some(&token)).await.0, StatusCode::TOO_MANY_REQUESTS);
    }
);

// Controls: the guard counted and the audit record in `verify_registration`/`registration_code_failed`
// (identity/registration.rs).
on_both!(wrong_registration_codes_feed_the_sign_in_delay_and_are_audited, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("reg.fail@example.jp", "+819010000035");
    let (status, started) = a.post("/v1/registrations", registration(email, phone), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let (email_code, sms_code) = (a.code_for(email).await, a.code_for(phone).await);
    let body = json!({ "registration_id": started["registration_id"], "email_code": email_code,
        "sms_code": other_than(&sms_code) });
    for _ in 0..5 {
        assert_eq!(a.post("/v1/registrations/verification", body.clone(), None).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(guard_failures(&a, "pair:127.0.0.1:%").await, 5);
    assert_eq!(audited(&a, "identity.registration.code_failed", "failure").await, 5);
    let (status, body) = password_step(&a, &reqwest::Client::new(), email, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the same delay as wrong passwords: {body}");
});

// Controls: the audit records in `Identity::denied` (identity/mod.rs) and `read_audit` (identity/staff.rs).
on_both!(authorization_failures_and_operators_audit_reads_are_audited, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let wallet = a.register("authz@example.jp", "+819010000045").await;
    let (status, body) = a.get("/v1/ops/audit", &wallet.token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let denied = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'authz.denied' AND outcome = 'failure' AND actor = '{}' AND target = 'ops.audit.read'",
        wallet.user_id
    );
    assert_eq!(a.count(&denied).await, 1);

    let email = "reader.ops@example.jp";
    let password = a.identity.create_operator(email, "Ops Reader", "analyst").await.unwrap();
    let (token, _) = a.enrol_staff(email, &password).await;
    let (status, records) = a.get("/v1/ops/audit", &token).await;
    assert_eq!(status, StatusCode::OK, "{records}");
    assert_eq!(records[0]["action"], "ops.audit.read", "the read is recorded before the records are returned");
    assert_eq!(audited(&a, "ops.audit.read", "success").await, 1);
});

// Item 23: the audit chain is verified in the background or on an operator's request, never by
// looking at the result: reads return the stored verification and add none.
on_both!(reading_the_audit_verification_never_runs_one, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let email = "checker.ops@example.jp";
    let password = a.identity.create_operator(email, "Ops Checker", "analyst").await.unwrap();
    let (token, _) = a.enrol_staff(email, &password).await;
    let checks = "SELECT COUNT(*) FROM audit_checks";
    for _ in 0..3 {
        let (status, last) = a.get("/v1/ops/audit/verification", &token).await;
        assert_eq!((status, &last), (StatusCode::OK, &serde_json::Value::Null), "none made yet");
    }
    assert_eq!(a.count(checks).await, 0, "looking is not verifying");
    let (status, made) = a.post("/v1/ops/audit/verification", json!({}), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    assert_eq!(made["ok"], true, "{made}");
    assert!(made["records_checked"].as_i64().unwrap() > 0, "{made}");
    for _ in 0..3 {
        let (_, last) = a.get("/v1/ops/audit/verification", &token).await;
        assert_eq!(last, made, "the stored result, as made");
    }
    assert_eq!(a.count(checks).await, 1);
});
