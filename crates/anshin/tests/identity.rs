//! Identity end to end over real loopback HTTP, on SQLite and PostgreSQL: registration with both
//! contacts verified, TOTP enrolment, sign-in on a new device, sessions, and the attacks the
//! controls exist for. Lock, guards, step-up and crash tests have files of their own.

mod common;

use std::net::IpAddr;

use anshin::identity::IdentityConfig;
use anshin::notify;
use common::TestDb;
use common::identity_app::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both!(register_verify_enrol_totp_and_sign_in_on_a_new_device, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let email = "taro@example.jp";
    let token = a.registered(email, "+819012345678").await;
    let (status, me) = a.get("/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], email);
    assert_eq!(me["date_of_birth"], "1990-04-15");
    assert_eq!(me["factors"], json!(["sms", "recovery_code"]), "recovery codes are issued at registration");

    let (status, enrol) = a.post("/v1/me/factors/totp", json!({}), Some(&token)).await;
    assert_eq!(status, StatusCode::CREATED, "{enrol}");
    assert!(enrol["otpauth_url"].as_str().unwrap().starts_with("otpauth://totp/Anshin:"));
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let now = now_secs();
    let code = anshin::identity::totp::code_from_base32(&secret, now).unwrap();
    let (status, recovery) = a.post("/v1/me/factors/totp/confirmation", json!({ "code": code }), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{recovery}");
    assert_eq!(recovery["recovery_codes"].as_array().unwrap().len(), 10);
    assert!(a.messages_to(email).await.iter().any(|m| m.subject.contains("was added to your Anshin account")));

    assert_eq!(a.delete("/v1/sessions/current", &token).await, StatusCode::NO_CONTENT);
    assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::UNAUTHORIZED, "a logged-out token is dead");

    let (status, challenge) = a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    assert_eq!(challenge["factors"], json!(["totp", "sms", "recovery_code"]));
    let path = format!("/v1/sessions/challenges/{}", challenge["challenge_id"].as_str().unwrap());
    // The code already used to confirm the app is refused a second time.
    let (status, body) = a.post(&path, json!({ "factor": "totp", "code": code }), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "code_rejected");
    let next = anshin::identity::totp::code_from_base32(&secret, now + 30).unwrap();
    let (status, session) = a.post(&path, json!({ "factor": "totp", "code": next }), None).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token2 = session["token"].as_str().unwrap();
    assert_eq!(a.get("/v1/me", token2).await.0, StatusCode::OK);
    assert!(a.messages_to(email).await.iter().any(|m| m.subject.contains("New sign-in")), "new-device alert");
    assert!(anshin::audit::verify(&a.t.db).await.unwrap().ok());
});

on_both!(a_correct_password_alone_never_gives_a_session, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    a.registered("hanako@example.jp", "+819011112222").await;
    let (status, challenge) =
        a.post("/v1/sessions", json!({ "email": "hanako@example.jp", "password": PASSWORD }), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(challenge.get("token").is_none(), "{challenge}");
    // A forged factor does not complete it.
    let path = format!("/v1/sessions/challenges/{}", challenge["challenge_id"].as_str().unwrap());
    let (status, _) = a.post(&path, json!({ "factor": "recovery_code", "code": "AAAA-BBBB-CCCC-DDDD" }), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE revoked_at_ms IS NULL")
        .fetch_one(a.t.db.read_pool())
        .await
        .unwrap();
    assert_eq!(sessions, 1, "only the session registration opened");
});

on_both!(the_sixth_guess_at_an_sms_code_fails_even_when_right, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let phone = "+819033334444";
    a.registered("jiro@example.jp", phone).await;
    let (_, challenge) =
        a.post("/v1/sessions", json!({ "email": "jiro@example.jp", "password": PASSWORD }), None).await;
    let id = challenge["challenge_id"].as_str().unwrap();
    let path = format!("/v1/sessions/challenges/{id}");
    assert_eq!(a.post(&format!("{path}/sms"), json!({}), None).await.0, StatusCode::ACCEPTED);
    let first_code = a.code_for(phone).await;
    let wrong = if first_code == "000000" { "111111" } else { "000000" };
    for left in [4, 3, 2] {
        let (status, body) = a.post(&path, json!({ "factor": "sms", "code": wrong }), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["message"], format!("That code is not right. Attempts left: {left}."));
    }
    // A re-send does not reset the count.
    assert_eq!(a.post(&format!("{path}/sms"), json!({}), None).await.0, StatusCode::ACCEPTED);
    let code = a.code_for(phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..2 {
        assert_eq!(a.post(&path, json!({ "factor": "sms", "code": wrong }), None).await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = a.post(&path, json!({ "factor": "sms", "code": code }), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the sixth guess fails even when right: {body}");
    assert_eq!(body["error"]["code"], "code_expired");
    // The code from the first SMS is bound to its own (superseded) request and does not work either.
    let (status, _) = a.post(&path, json!({ "factor": "sms", "code": first_code }), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

on_both!(existing_and_unknown_accounts_get_byte_identical_answers, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    a.registered("known@example.jp", "+819055556666").await;
    let raw = |path: &'static str, body: Value| {
        let url = format!("{}{path}", a.url);
        async move {
            let resp = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
            let status = resp.status();
            let mut headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .filter(|(k, _)| *k != "x-request-id" && *k != "date")
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
                .collect();
            headers.sort();
            // The registration id is random by design; everything else must match byte for byte.
            let mut body: Value = resp.json().await.unwrap();
            if body.get("registration_id").is_some() {
                body["registration_id"] = json!("reg_…");
            }
            (status, headers, body.to_string())
        }
    };
    let known = raw("/v1/sessions", json!({ "email": "known@example.jp", "password": "wrong password here" })).await;
    let unknown = raw("/v1/sessions", json!({ "email": "nobody@example.jp", "password": "wrong password here" })).await;
    assert_eq!(known.0, StatusCode::UNAUTHORIZED);
    assert_eq!(known, unknown, "login answers differ between existing and unknown accounts");
    let known = raw("/v1/registrations", registration("known@example.jp", "+819077778888")).await;
    let unknown = raw("/v1/registrations", registration("fresh@example.jp", "+819077778889")).await;
    assert_eq!(known.0, StatusCode::ACCEPTED);
    assert_eq!(known, unknown, "registration answers differ between existing and unknown addresses");
    // The owner of the existing address is told, and gets no code.
    let mail = a.messages_to("known@example.jp").await;
    assert!(mail.iter().any(|m| m.subject.contains("Someone tried to register")));
});

on_both!(sessions_can_be_listed_and_revoked, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let phone = "+819099990000";
    let first = a.registered("saburo@example.jp", phone).await;
    let (_, challenge) =
        a.post("/v1/sessions", json!({ "email": "saburo@example.jp", "password": PASSWORD }), None).await;
    let path = format!("/v1/sessions/challenges/{}", challenge["challenge_id"].as_str().unwrap());
    a.post(&format!("{path}/sms"), json!({}), None).await;
    let code = a.code_for(phone).await;
    let (status, second) = a.post(&path, json!({ "factor": "sms", "code": code }), None).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second_token = second["token"].as_str().unwrap();
    let (_, list) = a.get("/v1/me/sessions", &first).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let other = list.as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(a.delete(&format!("/v1/me/sessions/{other}"), &first).await, StatusCode::NO_CONTENT);
    assert_eq!(a.get("/v1/me", second_token).await.0, StatusCode::UNAUTHORIZED, "the revoked session is dead");
    assert_eq!(a.get("/v1/me", &first).await.0, StatusCode::OK);
    assert_eq!(a.delete("/v1/me/sessions/ses_nope", &first).await, StatusCode::BAD_REQUEST);
});

on_both!(sensitive_changes_need_a_fresh_factor_and_sessions_expire_when_idle, |t: TestDb| async move {
    let a = app(t, IdentityConfig { fresh_factor_secs: 0, session_idle_secs: 1, ..Default::default() }).await;
    let token = a.registered("shiro@example.jp", "+819012340000").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (status, body) = a.post("/v1/me/factors/totp", json!({}), Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "step_up_required");
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::UNAUTHORIZED, "idle sessions end");
});

on_both!(registration_refuses_bad_input_with_the_field_named, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let base = registration("goro@example.jp", "+819012349999");
    for (field, value, code) in [
        ("email", json!("not-an-address"), "email_invalid"),
        ("phone", json!("12345"), "phone_invalid"),
        ("date_of_birth", json!(""), "date_of_birth_invalid"),
        ("date_of_birth", json!("2019-02-30"), "date_of_birth_invalid"),
        ("legal_name", json!(""), "legal_name_invalid"),
        ("password", json!("password1"), "password_common"),
        ("password", json!("short"), "password_too_short"),
        ("password", json!("goro@example.jp"), "password_personal"),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let (status, err) = a.post("/v1/registrations", body, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {err}");
        assert_eq!(err["error"]["code"], code, "{field}: {err}");
    }
    let outbox: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(a.t.db.read_pool()).await.unwrap();
    assert_eq!(outbox, 0, "nothing was sent for refused registrations");
});

// Credential stuffing: 1,000 leaked pairs, 100 of them right, from 20 addresses. No session
// results, and each of the 100 owners whose password was confirmed hears of it once.
on_both!(credential_stuffing_yields_no_session_and_tells_the_owners, |t: TestDb| async move {
    use anshin::identity::password::{HashParams, PasswordHasher};
    let t = t;
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 1, 8).unwrap();
    let hash = hasher.hash(PASSWORD).await.unwrap();
    for i in 0..100 {
        sqlx::query(
            "INSERT INTO users (id, email, phone, legal_name, date_of_birth, password_hash, status, email_verified_at_ms,
                phone_verified_at_ms, created_at_ms, locale) VALUES ($1, $2, $3, 'Victim', '1980-01-01', $4, 'active', 1, 1, 1, 'en')",
        )
        .bind(format!("usr_victim{i}"))
        .bind(format!("victim{i}@example.jp"))
        .bind(format!("+8190000{i:05}"))
        .bind(&hash)
        .execute(t.db.write_pool())
        .await
        .unwrap();
    }
    let a = app(t, IdentityConfig { login_challenge_ttl_secs: 2, ..Default::default() }).await;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut tasks = Vec::new();
    for source in 0..20u8 {
        let url = a.url.clone();
        tasks.push(tokio::spawn(async move {
            let ip: IpAddr = format!("127.0.1.{}", source + 1).parse().unwrap();
            let client = reqwest::Client::builder().local_address(ip).build().unwrap();
            let mut seen = Vec::new();
            for n in 0..50usize {
                let pair = usize::from(source) * 50 + n;
                // Every tenth pair is right; the rest are wrong passwords or unknown accounts.
                let (email, password) = if pair % 10 == 0 {
                    (format!("victim{}@example.jp", pair / 10), PASSWORD.to_owned())
                } else {
                    (format!("victim{}@example.jp", pair % 150), format!("leaked-{pair}"))
                };
                let resp = client
                    .post(format!("{url}/v1/sessions"))
                    .json(&json!({ "email": email, "password": password }))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                if status == 200 {
                    // The attacker has the password but not the phone or app: guess a factor.
                    let body: Value = resp.json().await.unwrap();
                    let path = format!("{url}/v1/sessions/challenges/{}", body["challenge_id"].as_str().unwrap());
                    let r = client.post(path).json(&json!({ "factor": "sms", "code": "123456" })).send().await.unwrap();
                    assert_ne!(r.status().as_u16(), 201);
                }
                seen.push(status);
            }
            seen
        }));
    }
    for task in tasks {
        for s in task.await.unwrap() {
            *statuses.entry(s).or_default() += 1;
        }
    }
    let sessions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(a.t.db.read_pool()).await.unwrap();
    assert_eq!(sessions, 0, "credential stuffing produced a session; statuses {statuses:?}");
    assert_eq!(statuses.get(&200).copied(), Some(100), "every right password opened a challenge: {statuses:?}");
    // The challenges are abandoned after one wrong guess: once they expire, the sweep tells each
    // owner (e-mail and SMS) that the password is known, once.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    a.identity.sweep().await.unwrap();
    a.identity.sweep().await.unwrap();
    a.deliver().await;
    let alerts = notify::mailbox(&a.t.db, None, 200).await.unwrap();
    let told: std::collections::BTreeSet<String> = alerts
        .iter()
        .filter(|m| m.subject.contains("knows your Anshin password"))
        .map(|m| m.recipient.clone())
        .collect();
    assert_eq!(told.len(), 100, "each confirmed password's owner is told by e-mail, once");
    assert!(anshin::audit::verify(&a.t.db).await.unwrap().ok());
});

fn reset_key(body: &str) -> String {
    hex_key(body)
}

on_both!(password_reset_by_email_and_sms_ends_every_session, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("rokuro@example.jp", "+819012121212");
    let old_session = a.registered(email, phone).await;
    let (status, body) = a.post("/v1/password-resets", json!({ "email": "  ROKURO@example.jp " }), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let mail = a.messages_to(email).await;
    let key = reset_key(&mail.iter().find(|m| m.subject.contains("Reset your")).expect("reset mail").body);
    assert_eq!(a.post("/v1/password-resets/sms", json!({ "token": key }), None).await.0, StatusCode::ACCEPTED);
    let code = a.code_for(phone).await;
    let new_password = "copper meadow lantern 77";
    // A weak new password is refused without using up the code.
    let (status, body) = a
        .post(
            "/v1/password-resets/confirmation",
            json!({ "token": key, "new_password": "password1", "factor": "sms", "code": code }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = a
        .post(
            "/v1/password-resets/confirmation",
            json!({ "token": key, "new_password": new_password, "factor": "sms", "code": code }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(a.get("/v1/me", &old_session).await.0, StatusCode::UNAUTHORIZED, "every session ended");
    assert!(a.messages_to(email).await.iter().any(|m| m.subject.contains("password was changed")));
    // The key is single use.
    let (status, _) = a
        .post(
            "/v1/password-resets/confirmation",
            json!({ "token": key, "new_password": "another fresh passphrase", "factor": "sms", "code": code }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The old password is dead; the new one works, and the next sign-in still asks for a factor.
    assert_eq!(
        a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, challenge) = a.post("/v1/sessions", json!({ "email": email, "password": new_password }), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(challenge.get("token").is_none(), "a reset never bypasses the second factor");
});

on_both!(a_reset_cannot_be_sent_to_a_contact_not_verified_on_the_account, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    a.registered("victim@example.jp", "+819034343434").await;
    // Extra or substituted contact fields are refused outright; nothing is sent anywhere.
    for body in [
        json!({ "email": "victim@example.jp", "send_to": "attacker@evil.example" }),
        json!({ "email": "victim@example.jp", "phone": "+819099999999" }),
        json!({ "email": ["victim@example.jp", "attacker@evil.example"] }),
        json!({ "email": "victim@example.jp,attacker@evil.example" }),
        json!({ "email": "victim@example.jp\r\nBcc: attacker@evil.example" }),
    ] {
        let (status, _) = a.post("/v1/password-resets", body.clone(), None).await;
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::ACCEPTED, "{body}: {status}");
    }
    let (status, _) = a.post("/v1/password-resets", json!({ "email": "victim@example.jp" }), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    a.deliver().await;
    let all = notify::mailbox(&a.t.db, None, 200).await.unwrap();
    let resets: Vec<_> = all.iter().filter(|m| m.subject.contains("Reset your")).collect();
    assert_eq!(resets.len(), 1, "exactly one reset mail");
    assert_eq!(resets[0].recipient, "victim@example.jp", "only to the verified address");
    assert!(all.iter().all(|m| !m.recipient.contains("attacker") && m.recipient != "+819099999999"), "{all:?}");
    // Unknown addresses get the same answer and no mail.
    let (status, body) = a.post("/v1/password-resets", json!({ "email": "nobody@example.jp" }), None).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, json!({ "status": "sent_if_the_account_exists" })));
});

on_both!(lock_with_one_factor_and_unlock_with_two, |t: TestDb| async move {
    // No cooling-off here (its own tests are in identity_lock.rs): the unlock is due at once.
    let a = app(t, IdentityConfig { unlock_cooling_off_secs: 0, ..Default::default() }).await;
    let (email, phone) = ("nana@example.jp", "+819056565656");
    let token = a.registered(email, phone).await;
    // Enrol an app so two different factors exist.
    let (_, enrol) = a.post("/v1/me/factors/totp", json!({}), Some(&token)).await;
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let now = now_secs();
    let code = anshin::identity::totp::code_from_base32(&secret, now).unwrap();
    let (_, recovery) = a.post("/v1/me/factors/totp/confirmation", json!({ "code": code }), Some(&token)).await;
    let recovery_code = recovery["recovery_codes"][0].as_str().unwrap().to_owned();

    // The phone is lost: lock from another device with password + SMS.
    let (status, challenge) = a.post("/v1/account/lock", json!({ "email": email, "password": PASSWORD }), None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    let id = challenge["challenge_id"].as_str().unwrap();
    assert_eq!(a.post(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await.0, StatusCode::ACCEPTED);
    let sms = a.code_for(phone).await;
    let (status, body) = a.post(&format!("/v1/account/lock/{id}"), json!({ "factor": "sms", "code": sms }), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "locked");
    assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::UNAUTHORIZED, "all sessions died");
    assert_eq!(
        a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.0,
        StatusCode::UNAUTHORIZED,
        "no sign-in while locked"
    );
    assert!(a.messages_to(email).await.iter().any(|m| m.subject.contains("is locked")));

    // Unlock needs two different factors: one is not enough.
    let (status, challenge) = a.post("/v1/account/unlock", json!({ "email": email, "password": PASSWORD }), None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    let path = format!("/v1/account/unlock/{}", challenge["challenge_id"].as_str().unwrap());
    let totp_code = anshin::identity::totp::code_from_base32(&secret, now + 30).unwrap();
    let (status, _) = a.post(&path, json!({ "factors": [{ "factor": "totp", "code": totp_code }] }), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = a
        .post(
            &path,
            json!({ "factors": [{ "factor": "totp", "code": totp_code }, { "factor": "totp", "code": totp_code }] }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the same factor twice is one factor");
    let (status, body) = a
        .post(&path, json!({ "factors": [{ "factor": "totp", "code": totp_code }, { "factor": "recovery_code", "code": recovery_code }] }), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "unlock_pending");
    assert_eq!(a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.0, StatusCode::OK);
    assert!(a.messages_to(email).await.iter().any(|m| m.subject.contains("was unlocked")));
    assert!(anshin::audit::verify(&a.t.db).await.unwrap().ok());
});

// Password spraying: one password tried against many accounts from one address is cut off after
// ten failures; the same password from another network (its real owner) is not.
on_both!(one_password_sprayed_across_many_accounts_is_cut_off_at_its_source_only, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    // The sprayed password is the real password of one account, whose owner signs in elsewhere.
    let sprayed = "velvet summer orchard 88";
    let mut body = registration("target@example.jp", "+819011223344");
    body["password"] = json!(sprayed);
    let (status, started) = a.post("/v1/registrations", body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let sprayer = client_from("127.10.0.1");
    let mut statuses = Vec::new();
    for i in 0..14u8 {
        let body = json!({ "email": format!("user{i}@example.jp"), "password": sprayed });
        statuses.push(a.post_with(&sprayer, "/v1/sessions", body, None).await.0.as_u16());
    }
    assert_eq!(&statuses[..10], &[401; 10], "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == 429), "the sprayed password is cut off at its source: {statuses:?}");
    // The owner of that very password, elsewhere, is not affected while the sprayer keeps trying.
    let codes = json!({ "registration_id": started["registration_id"], "email_code": a.code_for("target@example.jp").await,
        "sms_code": a.code_for("+819011223344").await });
    assert_eq!(a.post("/v1/registrations/verification", codes, None).await.0, StatusCode::CREATED);
    let owner = client_from("127.50.0.1");
    let (status, _) =
        a.post_with(&owner, "/v1/sessions", json!({ "email": "target@example.jp", "password": sprayed }), None).await;
    assert_eq!(status, StatusCode::OK);
});

on_both!(a_stale_session_steps_up_with_a_factor_and_gets_a_new_token, |t: TestDb| async move {
    let a = app(t, IdentityConfig { fresh_factor_secs: 1, ..Default::default() }).await;
    let phone = "+819087654321";
    let token = a.registered("hachiro@example.jp", phone).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (status, _) = a.post("/v1/me/factors/totp", json!({}), Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "adding a factor needs a fresh one");
    let (status, challenge) = a.post("/v1/me/step-up", json!({ "action": "add_factor" }), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    let id = challenge["challenge_id"].as_str().unwrap();
    assert_eq!(a.post(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await.0, StatusCode::ACCEPTED);
    let code = a.code_for(phone).await;
    let (status, stepped) =
        a.post(&format!("/v1/me/step-up/{id}"), json!({ "factor": "sms", "code": code }), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{stepped}");
    assert_eq!(stepped["action"], "add_factor");
    let fresh = stepped["token"].as_str().unwrap();
    assert_ne!(fresh, token, "the token is reissued at step-up");
    assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::UNAUTHORIZED, "the old token is dead");
    assert_eq!(a.post("/v1/me/factors/totp", json!({}), Some(fresh)).await.0, StatusCode::CREATED);
    // The same challenge cannot be completed twice, nor from another session.
    let (status, _) =
        a.post(&format!("/v1/me/step-up/{id}"), json!({ "factor": "sms", "code": code }), Some(fresh)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

on_both!(the_first_operator_must_enrol_a_factor_and_is_locked_out_after_ten_failures, |t: TestDb| async move {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::anshin_bin())
        .args(["--database-url", &t.url, "--data-dir", dir.path().to_str().unwrap()])
        .args(["admin", "create-operator", "--email", "ops@example.jp", "--name", "Ops One", "--role", "admin"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("initial password (shown once): "))
        .expect("password printed")
        .to_owned();
    let a = app(t, IdentityConfig::default()).await;

    let (status, challenge) =
        a.post("/v1/sessions", json!({ "email": "ops@example.jp", "password": password }), None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    assert_eq!(challenge["enrolment_required"], true);
    assert_eq!(challenge["factors"], json!([]), "no SMS for an operator without a phone");
    let id = challenge["challenge_id"].as_str().unwrap();
    let (status, session) = a.post(&format!("/v1/sessions/challenges/{id}/enrolment"), json!({}), None).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap().to_owned();
    let (status, body) = a.get("/v1/me/sessions", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an enrolment session can do nothing else: {body}");
    assert_eq!(body["error"]["code"], "enrolment_required");
    let (status, enrol) = a.post("/v1/me/factors/totp", json!({}), Some(&token)).await;
    assert_eq!(status, StatusCode::CREATED, "{enrol}");
    let code = anshin::identity::totp::code_from_base32(enrol["secret"].as_str().unwrap(), now_secs()).unwrap();
    assert_eq!(
        a.post("/v1/me/factors/totp/confirmation", json!({ "code": code }), Some(&token)).await.0,
        StatusCode::OK
    );
    assert_eq!(a.get("/v1/me/sessions", &token).await.0, StatusCode::OK, "the session is full once a factor is set up");
    // The enrolment path is closed now that a factor exists.
    let (_, challenge) = a.post("/v1/sessions", json!({ "email": "ops@example.jp", "password": password }), None).await;
    assert_eq!(challenge["enrolment_required"], false);
    let id = challenge["challenge_id"].as_str().unwrap();
    assert_eq!(
        a.post(&format!("/v1/sessions/challenges/{id}/enrolment"), json!({}), None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Ten wrong passwords (from ten addresses) lock an operator out of unknown devices for 30
    // minutes (PCI DSS 8.3.4): then even the right one fails, from anywhere new.
    for i in 0..10 {
        let guesser = client_from(&format!("127.77.{i}.1"));
        let body = json!({ "email": "ops@example.jp", "password": format!("not the password {i}") });
        assert_eq!(a.post_with(&guesser, "/v1/sessions", body, None).await.0, StatusCode::UNAUTHORIZED);
    }
    let user_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = 'ops@example.jp'")
        .fetch_one(a.t.db.read_pool())
        .await
        .unwrap();
    let blocked: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT blocked_until_ms FROM signin_guards WHERE key = 'acct:{user_id}'"
    )))
    .fetch_one(a.t.db.read_pool())
    .await
    .unwrap();
    let now_ms = anshin::storage::now_ms();
    assert!(blocked > now_ms + 29 * 60_000 && blocked <= now_ms + 30 * 60_000, "locked for 30 minutes");
    let elsewhere = client_from("127.78.0.1");
    let (status, _) =
        a.post_with(&elsewhere, "/v1/sessions", json!({ "email": "ops@example.jp", "password": password }), None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the right password waits out the lockout too");
});

// Passkeys with a software authenticator (webauthn-authenticator-rs): registration, then a
// sign-in whose second factor is the passkey; an assertion cannot be replayed.
on_both!(passkey_registration_and_sign_in_with_a_software_authenticator, |t: TestDb| async move {
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    use webauthn_authenticator_rs::softpasskey::SoftPasskey;
    use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};
    let a = app(t, IdentityConfig::default()).await;
    let email = "kuro@example.jp";
    let token = a.registered(email, "+819013572468").await;
    let origin = Url::parse("http://localhost:8080").unwrap();
    let mut authenticator = SoftPasskey::new(true);

    let (status, start) = a.post("/v1/me/factors/passkeys", json!({}), Some(&token)).await;
    assert_eq!(status, StatusCode::CREATED, "{start}");
    let options: CreationChallengeResponse = serde_json::from_value(start["options"].clone()).unwrap();
    let credential = authenticator.do_registration(origin.clone(), options).expect("the authenticator registers");
    let path = format!("/v1/me/factors/passkeys/{}", start["challenge_id"].as_str().unwrap());
    let (status, added) = a.post(&path, json!({ "credential": credential }), Some(&token)).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let (_, me) = a.get("/v1/me", &token).await;
    assert_eq!(me["factors"], json!(["passkey", "sms", "recovery_code"]));
    assert!(
        a.messages_to(email)
            .await
            .iter()
            .any(|m| m.subject.contains("was added to your Anshin account") && m.body.contains("passkey"))
    );

    let (_, challenge) = a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
    let id = challenge["challenge_id"].as_str().unwrap().to_owned();
    let (status, request) = a.post(&format!("/v1/sessions/challenges/{id}/passkey"), json!({}), None).await;
    assert_eq!(status, StatusCode::OK, "{request}");
    let options: RequestChallengeResponse = serde_json::from_value(request["options"].clone()).unwrap();
    let assertion = authenticator.do_authentication(origin.clone(), options).expect("the authenticator signs");
    let answer = json!({ "state_id": request["challenge_id"], "credential": assertion });
    let (status, session) =
        a.post(&format!("/v1/sessions/challenges/{id}"), json!({ "factor": "passkey", "passkey": answer }), None).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(a.get("/v1/me", session["token"].as_str().unwrap()).await.0, StatusCode::OK);

    // The same assertion is worthless for the next sign-in.
    let (_, next) = a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
    let next_id = next["challenge_id"].as_str().unwrap();
    let (status, _) = a
        .post(&format!("/v1/sessions/challenges/{next_id}"), json!({ "factor": "passkey", "passkey": answer }), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(anshin::audit::verify(&a.t.db).await.unwrap().ok());
});

on_both!(password_change_factor_removal_and_contact_change_alert_and_end_sessions, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("juro@example.jp", "+819024682468");
    let token = a.registered(email, phone).await;
    let (_, enrol) = a.post("/v1/me/factors/totp", json!({}), Some(&token)).await;
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let code = anshin::identity::totp::code_from_base32(&secret, now_secs()).unwrap();
    assert_eq!(
        a.post("/v1/me/factors/totp/confirmation", json!({ "code": code }), Some(&token)).await.0,
        StatusCode::OK
    );

    // Contact change: a step-up for it, a code to the new address, a warning to the old one, then
    // a cooling-off.
    let (status, body) =
        a.post("/v1/me/contacts", json!({ "channel": "email", "value": "juro.new@example.jp" }), Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no grant for this action: {body}");
    assert_eq!(body["error"]["code"], "step_up_required");
    let token = a.step_up(&token, "change_contact", phone).await;
    let (status, body) =
        a.post("/v1/me/contacts", json!({ "channel": "email", "value": "juro.new@example.jp" }), Some(&token)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(
        a.messages_to(email).await.iter().any(|m| m.subject.contains("being changed")),
        "the old address is told at once"
    );
    let new_code = a.code_for("juro.new@example.jp").await;
    let (status, changed) =
        a.post("/v1/me/contacts/confirmation", json!({ "channel": "email", "code": new_code }), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let until = changed["money_out_blocked_until_ms"].as_i64().unwrap();
    assert!(until > anshin::storage::now_ms() + 71 * 3_600_000, "72 hours of cooling-off");
    let (_, me) = a.get("/v1/me", &token).await;
    assert_eq!(me["email"], "juro.new@example.jp");
    assert_eq!(me["money_out_blocked_until_ms"], until);
    assert!(
        a.messages_to(email).await.iter().any(|m| m.subject.contains("e-mail address was changed")),
        "the old address is told"
    );

    // Removing the app needs a grant for that, and ends every session.
    assert_eq!(a.delete("/v1/me/factors/totp", &token).await, StatusCode::FORBIDDEN);
    let token = a.step_up(&token, "remove_factor", phone).await;
    assert_eq!(a.delete("/v1/me/factors/totp", &token).await, StatusCode::NO_CONTENT);
    assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::UNAUTHORIZED);

    // Password change: needs the current password; ends every session; alerts.
    let (_, challenge) =
        a.post("/v1/sessions", json!({ "email": "juro.new@example.jp", "password": PASSWORD }), None).await;
    let id = challenge["challenge_id"].as_str().unwrap();
    a.post(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await;
    let sms = a.code_for(phone).await;
    let (_, session) =
        a.post(&format!("/v1/sessions/challenges/{id}"), json!({ "factor": "sms", "code": sms }), None).await;
    let token = session["token"].as_str().unwrap().to_owned();
    let token = a.step_up(&token, "change_password", phone).await;
    let (status, _) = a
        .post(
            "/v1/me/password",
            json!({ "current_password": "wrong one", "new_password": "velvet canyon drum 93" }),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = a
        .post(
            "/v1/me/password",
            json!({ "current_password": PASSWORD, "new_password": "velvet canyon drum 93" }),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(a.get("/v1/me", &token).await.0, StatusCode::UNAUTHORIZED);
    assert!(a.messages_to("juro.new@example.jp").await.iter().any(|m| m.subject.contains("password was changed")));
    assert!(anshin::audit::verify(&a.t.db).await.unwrap().ok());
});

on_both!(only_operators_can_revoke_another_users_sessions_and_refusals_are_audited, |t: TestDb| async move {
    let a = app(t, IdentityConfig { unlock_cooling_off_secs: 0, ..Default::default() }).await;
    let victim = a.registered("victim2@example.jp", "+819000001111").await;
    let user_id = a.get("/v1/me", &victim).await.1["user_id"].as_str().unwrap().to_owned();
    let other = a.registered("other@example.jp", "+819000002222").await;
    let (status, _) = a.post(&format!("/v1/ops/users/{user_id}/sessions/revocation"), json!({}), Some(&other)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a wallet user cannot");
    assert_eq!(a.get("/v1/me", &victim).await.0, StatusCode::OK);
    assert_eq!(
        a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'authz.denied'").await,
        1,
        "the refusal is audited"
    );
    // An operator can.
    sqlx::query("UPDATE users SET kind = 'operator', role = 'analyst' WHERE email = 'other@example.jp'")
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    let (status, body) = a.post(&format!("/v1/ops/users/{user_id}/sessions/revocation"), json!({}), Some(&other)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sessions_revoked"], 1);
    assert_eq!(a.get("/v1/me", &victim).await.0, StatusCode::UNAUTHORIZED);
    // Unlocking after review needs an admin, and a locked account.
    let (status, _) = a.post(&format!("/v1/ops/users/{user_id}/unlock"), json!({}), Some(&other)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "analysts cannot unlock");
    sqlx::query("UPDATE users SET role = 'admin' WHERE email = 'other@example.jp'")
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    let (status, body) = a.post(&format!("/v1/ops/users/{user_id}/unlock"), json!({}), Some(&other)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an admin needs a step-up for this action: {body}");
    assert_eq!(body["error"]["code"], "step_up_required");
    let other = a.step_up(&other, "unlock_user", "+819000002222").await;
    let (status, _) = a.post(&format!("/v1/ops/users/{user_id}/unlock"), json!({}), Some(&other)).await;
    assert_eq!(status, StatusCode::CONFLICT, "not locked");
    let other = a.step_up(&other, "unlock_user", "+819000002222").await;
    sqlx::query("UPDATE users SET status = 'locked' WHERE id = $1")
        .bind(&user_id)
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    let (status, body) = a.post(&format!("/v1/ops/users/{user_id}/unlock"), json!({}), Some(&other)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "unlock_pending");
    assert_eq!(
        a.post("/v1/sessions", json!({ "email": "victim2@example.jp", "password": PASSWORD }), None).await.0,
        StatusCode::OK
    );
});

// The optional breached-password check, against a local stand-in speaking the k-anonymity range
// API: only a 5-digit prefix is sent, and a listed password is refused.
on_both!(breached_passwords_are_refused_through_the_range_api, |t: TestDb| async move {
    use sha1::{Digest, Sha1};
    let leaked = "marble orchid tandem 17";
    let digest = hex::encode_upper(Sha1::digest(leaked.as_bytes()));
    let (prefix, suffix) = (digest[..5].to_owned(), digest[5..].to_owned());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stand_in = {
        let (seen, prefix, suffix) = (seen.clone(), prefix.clone(), suffix.clone());
        axum::Router::new().route(
            "/range/{p}",
            axum::routing::get(move |axum::extract::Path(p): axum::extract::Path<String>| {
                let (seen, prefix, suffix) = (seen.clone(), prefix.clone(), suffix.clone());
                async move {
                    seen.lock().unwrap().push(p.clone());
                    let listed = if p == prefix { format!("{suffix}:52\r\n") } else { String::new() };
                    format!("0000000000000000000000000000000000A:0\r\n{listed}")
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, stand_in).await });
    let a = app(t, IdentityConfig { breach_check_url: Some(base), ..Default::default() }).await;
    let mut body = registration("pwned@example.jp", "+819011110000");
    body["password"] = json!(leaked);
    let (status, err) = a.post("/v1/registrations", body.clone(), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"]["code"], "password_breached");
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        std::slice::from_ref(&prefix),
        "only the 5-character prefix left the server"
    );
    body["password"] = json!("quiet river lantern 58");
    assert_eq!(a.post("/v1/registrations", body, None).await.0, StatusCode::ACCEPTED);
    assert!(seen.lock().unwrap().iter().all(|p| p.len() == 5));
});

on_both!(sign_ups_are_limited_per_device, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..7 {
        let resp = client
            .post(format!("{}/v1/registrations", a.url))
            .header("x-device-id", "install-1234")
            .json(&registration(&format!("dev{i}@example.jp"), &format!("+81901234{i:04}")))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429, 429]);
});

on_both!(a_lock_kills_a_sign_in_in_progress_and_only_the_newest_challenge_counts, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("ichi@example.jp", "+819076543210");
    a.registered(email, phone).await;
    // A thief with the password starts a sign-in.
    let (_, thief) = a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
    let thief_id = thief["challenge_id"].as_str().unwrap().to_owned();
    // A newer challenge makes the older one useless.
    let (_, newer) = a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
    let newer_id = newer["challenge_id"].as_str().unwrap().to_owned();
    assert_eq!(
        a.post(&format!("/v1/sessions/challenges/{thief_id}/sms"), json!({}), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The owner locks the account; the sign-in in progress dies with it.
    let (_, lock) = a.post("/v1/account/lock", json!({ "email": email, "password": PASSWORD }), None).await;
    let lock_id = lock["challenge_id"].as_str().unwrap();
    a.post(&format!("/v1/sessions/challenges/{lock_id}/sms"), json!({}), None).await;
    let code = a.code_for(phone).await;
    assert_eq!(
        a.post(&format!("/v1/account/lock/{lock_id}"), json!({ "factor": "sms", "code": code }), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        a.post(&format!("/v1/sessions/challenges/{newer_id}/sms"), json!({}), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) =
        a.post(&format!("/v1/sessions/challenges/{newer_id}"), json!({ "factor": "sms", "code": code }), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no session for a locked account");
});

on_both!(failures_during_a_delay_do_not_extend_it, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    a.registered("niro@example.jp", "+819011119999").await;
    for i in 0..5 {
        let body = json!({ "email": "niro@example.jp", "password": format!("bad guess number {i}") });
        assert_eq!(a.post("/v1/sessions", body, None).await.0, StatusCode::UNAUTHORIZED);
    }
    let read = || async {
        let r = sqlx::query("SELECT failures, blocked_until_ms FROM signin_guards WHERE key LIKE 'pair:%'")
            .fetch_one(a.t.db.read_pool())
            .await
            .unwrap();
        use sqlx::Row;
        (r.try_get::<i64, _>("failures").unwrap(), r.try_get::<i64, _>("blocked_until_ms").unwrap())
    };
    let (failures, blocked) = read().await;
    assert_eq!(failures, 5);
    assert!(blocked > anshin::storage::now_ms(), "a delay after five failures");
    for i in 0..3 {
        let body = json!({ "email": "niro@example.jp", "password": format!("bad guess number two {i}") });
        let (status, _) = a.post("/v1/sessions", body, None).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "refused unjudged during the delay");
    }
    assert_eq!(read().await, (failures, blocked), "guesses during the delay neither count nor extend it");
});

on_both!(stale_sign_in_state_is_purged_and_live_state_kept, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    a.registered("purge@example.jp", "+819012300000").await;
    let (_, live) = a.post("/v1/sessions", json!({ "email": "purge@example.jp", "password": PASSWORD }), None).await;
    let day_ago = anshin::storage::now_ms() - 2 * 86_400_000;
    // Age everything but the live challenge.
    for sql in [
        "UPDATE otp_challenges SET expires_at_ms = $1",
        "UPDATE registrations SET expires_at_ms = $1",
        "UPDATE throttles SET window_start_ms = $1",
    ] {
        sqlx::query(sql).bind(day_ago).execute(a.t.db.write_pool()).await.unwrap();
    }
    let removed = anshin::identity::purge_stale_state(&a.t.db).await.unwrap();
    assert!(removed >= 3, "{removed}");
    let db = a.t.db.clone();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(db.read_pool()).await.unwrap() }
    };
    assert_eq!(count("SELECT COUNT(*) FROM otp_challenges").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM registrations").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM throttles").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM users").await, 1, "accounts are never purged");
    let id = live["challenge_id"].as_str().unwrap();
    assert_eq!(
        a.post(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await.0,
        StatusCode::ACCEPTED,
        "live state stays"
    );
});

// The pages' cookies and CSRF protection: `__Host-`, HttpOnly, Secure, SameSite=Strict; a form
// or script request without the matching token changes nothing.
on_both!(page_cookies_are_strict_and_forms_need_the_csrf_token, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = client.get(format!("{}/register", a.url)).send().await.unwrap();
    let set_cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["__Host-anshin_csrf=", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(set_cookie.contains(attribute), "{attribute} missing from {set_cookie}");
    }
    assert!(!set_cookie.contains("Domain="), "__Host- cookies carry no Domain");
    let token = set_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    let fields = [
        ("email", "csrf@example.jp"),
        ("phone", "+819055550000"),
        ("password", PASSWORD),
        ("legal_name", "Csrf Test"),
        ("date_of_birth", "1990-01-01"),
    ];
    // A cross-site form post carries no cookie (SameSite) or a wrong token: refused, nothing sent.
    let forged: Vec<(&str, &str)> =
        fields.iter().copied().chain([("csrf", "0123456789abcdef0123456789abcdef")]).collect();
    for cookie in [None, Some(format!("__Host-anshin_csrf={token}"))] {
        let mut r = client.post(format!("{}/register", a.url)).form(&forged);
        if let Some(c) = &cookie {
            r = r.header("cookie", c);
        }
        assert_eq!(r.send().await.unwrap().status(), StatusCode::FORBIDDEN, "cookie {cookie:?}");
    }
    let outbox: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(a.t.db.read_pool()).await.unwrap();
    assert_eq!(outbox, 0, "a refused form sends nothing");
    // With the matching token the same form goes through.
    let genuine: Vec<(&str, &str)> = fields.iter().copied().chain([("csrf", token.as_str())]).collect();
    let ok = client
        .post(format!("{}/register", a.url))
        .header("cookie", format!("__Host-anshin_csrf={token}"))
        .form(&genuine)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    // The passkey script's endpoints check the token in X-CSRF-Token the same way.
    let resp = client
        .post(format!("{}/login/passkey/options", a.url))
        .header("cookie", format!("__Host-anshin_csrf={token}"))
        .header("x-csrf-token", "ffffffffffffffffffffffffffffffff")
        .json(&json!({ "challenge_id": "lgn_x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
});
