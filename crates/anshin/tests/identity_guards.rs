//! Guards that hold under concurrency and do not punish crowds, on SQLite and PostgreSQL: attempts
//! are counted before they are judged; hard limits key on (address, account), a known device
//! and (password, address); whole addresses and networks only ask for more proof; owners are
//! never locked out by someone who merely knows their address, and hear when their password is
//! known; a sign-up shed for lack of capacity costs nothing.

mod common;

use std::collections::BTreeMap;

use anshin::identity::IdentityConfig;
use common::TestDb;
use common::identity_app::*;
use reqwest::StatusCode;
use serde_json::json;

fn tally(statuses: &[u16]) -> BTreeMap<u16, usize> {
    let mut t = BTreeMap::new();
    for s in statuses {
        *t.entry(*s).or_default() += 1;
    }
    t
}

/// `n` wrong passwords against `email` from one address, all at once or one after another.
async fn guesses(a: &App, email: &str, n: usize, concurrent: bool) -> Vec<u16> {
    let one = |i: usize| {
        let body = json!({ "email": email, "password": format!("wrong guess number {i}") });
        async move { a.post("/v1/sessions", body, None).await.0.as_u16() }
    };
    if concurrent {
        futures::future::join_all((0..n).map(one)).await
    } else {
        let mut out = Vec::new();
        for i in 0..n {
            out.push(one(i).await);
        }
        out
    }
}

// Item 8: 64 concurrent guesses against one account get no more tries than 64 sequential ones.
on_both!(concurrent_guesses_get_no_more_tries_than_sequential_ones, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    a.register("serial@example.jp", "+819055550001").await;
    a.register("burst@example.jp", "+819055550002").await;
    let sequential = tally(&guesses(&a, "serial@example.jp", 64, false).await);
    let concurrent = tally(&guesses(&a, "burst@example.jp", 64, true).await);
    assert_eq!(sequential.get(&401), Some(&5), "five judged, then a delay: {sequential:?}");
    assert_eq!(concurrent.get(&401), sequential.get(&401), "a burst is judged no more often: {concurrent:?}");
    assert_eq!(concurrent.get(&429), Some(&59), "{concurrent:?}");
    let judged = a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'identity.login.failed'").await;
    assert_eq!(judged, 10, "only judged attempts reached the password check");
});

// Item 8: concurrent sign-in starts (from 16 addresses, so every one is admitted) leave one
// open challenge.
on_both!(concurrent_sign_in_starts_leave_one_open_challenge, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    a.register("race@example.jp", "+819055550003").await;
    let clients: Vec<reqwest::Client> = (0..16).map(|i| client_from(&format!("127.55.{i}.1"))).collect();
    let body = json!({ "email": "race@example.jp", "password": PASSWORD });
    let starts = clients.iter().map(|c| a.post_with(c, "/v1/sessions", body.clone(), None));
    let results = futures::future::join_all(starts).await;
    assert!(results.iter().all(|(s, _)| *s == StatusCode::OK), "{results:?}");
    let open =
        a.count("SELECT COUNT(*) FROM login_challenges WHERE purpose = 'login' AND completed_at_ms IS NULL").await;
    assert_eq!(open, 1);
});

/// Sign in, giving the e-mail code too when the challenge asks for more proof.
async fn sign_in(a: &App, client: &reqwest::Client, email: &str, password: &str, phone: &str) -> StatusCode {
    let (status, challenge) =
        a.post_with(client, "/v1/sessions", json!({ "email": email, "password": password }), None).await;
    if status != StatusCode::OK {
        return status;
    }
    let id = challenge["challenge_id"].as_str().unwrap();
    let seen = a.messages_to(phone).await.len();
    a.post_with(client, &format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await;
    let mut body = json!({ "factor": "sms", "code": a.new_code_for(phone, seen).await });
    if challenge["email_proof_required"] == true {
        let seen = a.messages_to(email).await.len();
        a.post_with(client, &format!("/v1/sessions/challenges/{id}/email"), json!({}), None).await;
        body["email_code"] = json!(a.new_code_for(email, seen).await);
    }
    a.post_with(client, &format!("/v1/sessions/challenges/{id}"), body, None).await.0
}

// Item 10: a crowd behind one carrier-grade NAT address signs up and in, while an attacker
// spraying a password from the same address is cut off.
on_both!(a_crowd_behind_one_address_signs_up_and_in_while_its_sprayer_is_cut_off, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let nat = client_from("127.0.0.1");
    let sprayer = async {
        let mut statuses = Vec::new();
        for i in 0..40 {
            let body = json!({ "email": format!("someone{i}@example.jp"), "password": "Autumn2026!everyone" });
            statuses.push(a.post_with(&nat, "/v1/sessions", body, None).await.0.as_u16());
        }
        // Then leaked pairs, one guess each: the address becomes a signal, not a wall.
        for i in 0..40 {
            let body = json!({ "email": format!("leaked{i}@example.jp"), "password": format!("leaked password {i}") });
            a.post_with(&nat, "/v1/sessions", body, None).await;
        }
        statuses
    };
    let crowd = async {
        let mut outcomes = Vec::new();
        for batch in 0..30 {
            let users = (0..10).map(|i| {
                let n = batch * 10 + i;
                let (email, phone) = (format!("crowd{n}@example.jp"), format!("+8180{n:08}"));
                let nat = nat.clone();
                let a = &a;
                async move {
                    // People pick their own passwords (one password shared by a crowd is what a
                    // sprayer looks like).
                    let password = format!("crowd member {n} passphrase");
                    let mut body = registration(&email, &phone);
                    body["password"] = json!(password);
                    let (status, started) = a.post_with(&nat, "/v1/registrations", body, None).await;
                    assert_eq!(status, StatusCode::ACCEPTED, "sign-up {n}: {started}");
                    let body = json!({ "registration_id": started["registration_id"], "email_code": a.code_for(&email).await,
                        "sms_code": a.code_for(&phone).await });
                    let (status, verified) = a.post_with(&nat, "/v1/registrations/verification", body, None).await;
                    assert_eq!(status, StatusCode::CREATED, "verification {n}: {verified}");
                    sign_in(a, &nat, &email, &password, &phone).await
                }
            });
            outcomes.extend(futures::future::join_all(users).await);
        }
        outcomes
    };
    let (spray, crowd) = tokio::join!(sprayer, crowd);
    assert_eq!(crowd.len(), 300);
    assert!(
        crowd.iter().all(|s| *s == StatusCode::CREATED),
        "every member of the crowd signed in: {:?}",
        tally(&crowd.iter().map(|s| s.as_u16()).collect::<Vec<_>>())
    );
    assert_eq!(&spray[..10], &[401; 10]);
    assert!(spray[10..].iter().all(|s| *s == 429), "the sprayer is cut off: {spray:?}");
    assert_eq!(a.count("SELECT COUNT(*) FROM users").await, 300);
    let asked = a
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'identity.login.password_accepted' AND details LIKE '%\"email_proof_required\":true%'")
        .await;
    assert!(asked > 0, "once the address was busy, the crowd was asked for more proof, not refused");
});

// Item 11: knowing someone's e-mail address is never enough to lock them out.
on_both!(failures_from_elsewhere_slow_the_source_not_the_owner, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("owner11@example.jp", "+819055550011");
    let owner = a.register(email, phone).await;
    // The attacker makes six wrong guesses from one address, then keeps going: delayed.
    let attacker = client_from("127.66.0.1");
    let mut statuses = Vec::new();
    for i in 0..8 {
        let body = json!({ "email": email, "password": format!("attacker guess {i}") });
        statuses.push(a.post_with(&attacker, "/v1/sessions", body, None).await.0.as_u16());
    }
    assert_eq!(&statuses[5..], &[429, 429, 429], "{statuses:?}");
    // The owner's known device (its device token) signs in with password and SMS, at once.
    let home = client_from("127.66.0.1");
    let (status, challenge) = a
        .post_with(
            &home,
            "/v1/sessions",
            json!({ "email": email, "password": PASSWORD, "device_token": owner.device_token }),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a known device is not slowed by the attacker behind the same address: {challenge}"
    );
    let id = challenge["challenge_id"].as_str().unwrap();
    a.post_with(&home, &format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await;
    let body = json!({ "factor": "sms", "code": a.code_for(phone).await, "device_token": owner.device_token });
    assert_eq!(a.post_with(&home, &format!("/v1/sessions/challenges/{id}"), body, None).await.0, StatusCode::CREATED);
    // From another network, even a new device signs in.
    assert_eq!(sign_in(&a, &client_from("127.67.0.1"), email, PASSWORD, phone).await, StatusCode::CREATED);
    // Users in the attacker's /24 after a fast stuffing run still sign in (asked for more proof).
    for i in 0..110 {
        let body = json!({ "email": format!("stuffed{i}@example.jp"), "password": format!("leaked-{i}") });
        a.post_with(&attacker, "/v1/sessions", body, None).await;
    }
    let neighbour = client_from("127.66.0.2");
    a.register("neighbour@example.jp", "+819055550012").await;
    assert_eq!(sign_in(&a, &neighbour, "neighbour@example.jp", PASSWORD, "+819055550012").await, StatusCode::CREATED);
});

// Item 12: a correct password, then a failed or abandoned second factor from a new device,
// tells the owner (e-mail and SMS), at most once a day; a known device never triggers it.
on_both!(an_owner_hears_when_their_password_is_known_at_most_once_a_day, |t: TestDb| async move {
    let a = app(t, IdentityConfig { login_challenge_ttl_secs: 1, ..Default::default() }).await;
    let (email, phone) = ("told@example.jp", "+819055550021");
    let owner = a.register(email, phone).await;
    let alerts = |to: &'static str| {
        let a = &a;
        async move {
            a.messages_to(to).await.into_iter().filter(|m| m.subject.contains("knows your Anshin password")).count()
        }
    };
    // A known device that abandons its factor step: nothing.
    let (_, challenge) = a
        .post("/v1/sessions", json!({ "email": email, "password": PASSWORD, "device_token": owner.device_token }), None)
        .await;
    assert_eq!(challenge["email_proof_required"], false);
    // A new device fails its factor five times: told at once.
    let (_, challenge) = a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
    let id = challenge["challenge_id"].as_str().unwrap();
    for _ in 0..5 {
        a.post(&format!("/v1/sessions/challenges/{id}"), json!({ "factor": "sms", "code": "000000" }), None).await;
    }
    assert_eq!(alerts(email).await, 1, "told by e-mail");
    assert!(a.messages_to(phone).await.iter().any(|m| m.body.contains("password")), "and by SMS");
    // Another new device (elsewhere) abandons its challenge the same day: not told again.
    let (status, _) = a
        .post_with(&client_from("127.56.0.2"), "/v1/sessions", json!({ "email": email, "password": PASSWORD }), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    a.identity.sweep().await.unwrap();
    assert_eq!(alerts(email).await, 1, "at most once a day");
    // A day later, an abandoned challenge is reported by the sweep.
    sqlx::query("UPDATE users SET password_alert_at_ms = password_alert_at_ms - 86400001")
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    let elsewhere = client_from("127.56.0.3");
    let (status, _) =
        a.post_with(&elsewhere, "/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    a.identity.sweep().await.unwrap();
    assert_eq!(alerts(email).await, 2);
});

// Item 18: sign-ups shed because the hashing pool is full do not use up the caller's quota.
on_both!(sign_ups_shed_for_capacity_do_not_use_up_the_quota, |t: TestDb| async move {
    use anshin::identity::Identity;
    use anshin::identity::password::{HashParams, PasswordHasher};
    let a = app(t, IdentityConfig::default()).await;
    // One hashing worker and no waiting line: concurrent sign-ups beyond one are shed at once.
    let tight = PasswordHasher::new(HashParams::OWASP_MINIMUM, 1, 0).unwrap();
    let keys = a.t.db.keys().cloned().unwrap();
    let identity = Identity::new(a.t.db.clone(), keys, tight, IdentityConfig::default()).unwrap();
    let client =
        anshin::identity::Client { ip: "192.0.2.10".into(), device: Some("install-18".into()), ..Default::default() };
    let attempt = |i: usize| {
        let (identity, client) = (identity.clone(), client.clone());
        async move {
            let input = anshin::identity::NewRegistration {
                email: format!("shed{i}@example.jp"),
                phone: format!("+8190555{i:05}"),
                password: PASSWORD.into(),
                legal_name: "Shed Test".into(),
                date_of_birth: "1990-01-01".into(),
            };
            identity.register(input, &client).await
        }
    };
    let mut outcomes: BTreeMap<usize, Result<(), anshin::identity::IdentityError>> = BTreeMap::new();
    let first = futures::future::join_all((0..8).map(&attempt)).await;
    for (i, r) in first.into_iter().enumerate() {
        outcomes.insert(i, r.map(|_| ()));
    }
    let shed = outcomes.values().filter(|r| matches!(r, Err(anshin::identity::IdentityError::Busy))).count();
    assert!(shed >= 1, "the burst was partly shed: {outcomes:?}");
    // Retry the shed ones one at a time, as a client would after Retry-After.
    for (i, r) in outcomes.clone() {
        if matches!(r, Err(anshin::identity::IdentityError::Busy)) {
            outcomes.insert(i, attempt(i).await.map(|_| ()));
        }
    }
    let accepted = outcomes.values().filter(|r| r.is_ok()).count();
    assert_eq!(accepted, 5, "the device's five sign-ups a day, no fewer: {outcomes:?}");
});

// Item 20: a sign-up shed because the hashing line is full is answered after a one-second pause
// (a crowd retrying at once then cannot spin the cores), and the paused answer holds no place
// among the requests being worked on, so everybody else is still served meanwhile.
on_both!(shed_sign_ups_are_paced_without_crowding_out_others, |t: TestDb| async move {
    use anshin::identity::password::{HashParams, PasswordHasher};
    use std::time::{Duration, Instant};
    let http = anshin::http::HttpConfig { max_in_flight: 4, ..Default::default() };
    let tight = PasswordHasher::new(HashParams::OWASP_MINIMUM, 1, 0).unwrap();
    let (url, identity, merchants, payments) = serve_all(&t, IdentityConfig::default(), http, tight).await;
    let a = App { url, t, identity, merchants, payments };
    let token = a.register("bystander@example.jp", "+819055559001").await.token;
    let client = client();
    let sign_up = |i: usize| {
        let (client, url) = (client.clone(), a.url.clone());
        async move {
            let started = Instant::now();
            let body = registration(&format!("crowd{i}@example.jp"), &format!("+8190666{i:05}"));
            let r = client.post(format!("{url}/v1/registrations")).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.headers().get("retry-after").is_some(), started.elapsed())
        }
    };
    let bystander = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (status, _) = a.get("/v1/me", &token).await;
        status.as_u16()
    };
    let (crowd, me) = tokio::join!(futures::future::join_all((0..12).map(sign_up)), bystander);
    let shed: Vec<_> = crowd.iter().filter(|(status, _, _)| *status == 503).collect();
    assert!(shed.len() >= 8, "one hashing place: most of the burst is shed: {crowd:?}");
    for (_, retry_after, elapsed) in &shed {
        assert!(*retry_after, "a shed sign-up says when to come back");
        assert!(*elapsed >= Duration::from_millis(950), "shed, but answered at once: {elapsed:?}");
    }
    assert_eq!(me, 200, "paused refusals must not take the places of other requests");
});

// Item 10: forwarding headers name the client only when the peer is a configured trusted proxy;
// the guards then key on the client behind it, not on the proxy.
on_both!(forwarded_addresses_count_only_from_trusted_proxies, |t: TestDb| async move {
    let http =
        anshin::http::HttpConfig { trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()], ..Default::default() };
    let a = app_with(t, IdentityConfig::default(), http).await;
    let guesses_from = |peer: &'static str, forwarded: &'static str| {
        let a = &a;
        async move {
            let client = client_from(peer);
            let mut last = 0;
            for i in 0..6 {
                let body = json!({ "email": "forwarded@example.jp", "password": format!("guess {i}") });
                let r = client.post(format!("{}/v1/sessions", a.url)).header("x-forwarded-for", forwarded).json(&body);
                last = r.send().await.unwrap().status().as_u16();
            }
            last
        }
    };
    // Behind the trusted proxy, two clients are two sources: each gets its own five tries.
    assert_eq!(guesses_from("127.0.0.1", "198.51.100.7").await, 429, "the sixth guess of one client");
    let (status, _) = a
        .post_with(
            &client_from("127.0.0.1"),
            "/v1/sessions",
            json!({ "email": "forwarded@example.jp", "password": "another client" }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the proxy's own address is not the one being slowed");
    let audited = a.count("SELECT COUNT(*) FROM audit_log WHERE details LIKE '%198.51.100.7%'").await;
    assert_eq!(audited, 5, "the forwarded client is the one recorded");
    // From an untrusted peer the header is ignored: the peer is the source.
    assert_eq!(guesses_from("127.9.0.1", "203.0.113.9").await, 429);
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log WHERE details LIKE '%203.0.113.9%'").await, 0);
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log WHERE details LIKE '%127.9.0.1%'").await, 5);
});
