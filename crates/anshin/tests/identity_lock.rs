//! The lost-phone lock always wins, on SQLite and PostgreSQL: a thief holding the owner's unlocked
//! phone (mail, SMS, authenticator) cannot undo it; sign-in never closes a lock in progress; the
//! lock has its own code budget; every account can lock itself from the first minute.

mod common;

use anshin::identity::IdentityConfig;
use common::TestDb;
use common::identity_app::*;
use reqwest::StatusCode;
use serde_json::json;

/// Start a lock with the password; returns the challenge id.
async fn start_lock(a: &App, email: &str) -> String {
    let (status, challenge) = a.post("/v1/account/lock", json!({ "email": email, "password": PASSWORD }), None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    challenge["challenge_id"].as_str().unwrap().to_owned()
}

// Item 4: the exact sequence that gave a thief the account after the owner's lock.
on_both!(a_thief_with_the_unlocked_phone_cannot_undo_the_owners_lock, |t: TestDb| async move {
    let a = app(t, IdentityConfig { unlock_cooling_off_secs: 2, ..Default::default() }).await;
    let (email, phone) = ("owner@example.jp", "+819044440000");
    let owner = a.register(email, phone).await;
    // Adding the app replaces the recovery codes; the owner keeps the new ones, away from the phone.
    let (secret, recovery_codes) = a.enrol_totp(&owner.token).await;

    // The thief holds the phone: the mailbox, the SMS and the authenticator app. They ask for a
    // password reset and get both the e-mailed key and the SMS code.
    assert_eq!(a.post("/v1/password-resets", json!({ "email": email }), None).await.0, StatusCode::ACCEPTED);
    let mail = a.messages_to(email).await;
    let key = hex_key(&mail.iter().find(|m| m.subject.contains("Reset your")).unwrap().body);
    assert_eq!(a.post("/v1/password-resets/sms", json!({ "token": key }), None).await.0, StatusCode::ACCEPTED);
    let reset_sms = a.code_for(phone).await;

    // The owner, on another device, locks the account with the password and a recovery code.
    let id = start_lock(&a, email).await;
    let (status, body) = a
        .post(&format!("/v1/account/lock/{id}"), json!({ "factor": "recovery_code", "code": recovery_codes[0] }), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The thief completes the reset: refused, the key died with the lock.
    let new_password = "thief chosen passphrase 99";
    let body = json!({ "token": key, "new_password": new_password, "factor": "sms", "code": reset_sms });
    let (status, answer) = a.post("/v1/password-resets/confirmation", body, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    // A fresh reset cannot even start for a locked account (and says nothing about it).
    assert_eq!(a.post("/v1/password-resets", json!({ "email": email }), None).await.0, StatusCode::ACCEPTED);
    assert!(!a.messages_to(email).await.iter().any(|m| m.subject.contains("Reset your") && !m.body.contains(&key)));

    // The thief tries to unlock with the phone's SMS and app: the password is needed first.
    for password in [new_password, "some guess at it 1"] {
        let (status, _) = a.post("/v1/account/unlock", json!({ "email": email, "password": password }), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // And sign-in does nothing either.
    assert_eq!(
        a.post("/v1/sessions", json!({ "email": email, "password": new_password }), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Even a thief who also knew the password only starts a cooling-off that the owner is told
    // about on every contact and can cancel with the key in the notice.
    let (status, challenge) = a.post("/v1/account/unlock", json!({ "email": email, "password": PASSWORD }), None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    let id = challenge["challenge_id"].as_str().unwrap();
    assert_eq!(a.post(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await.0, StatusCode::ACCEPTED);
    let sms = a.code_for(phone).await;
    let factors =
        json!({ "factors": [{ "factor": "sms", "code": sms }, { "factor": "totp", "code": totp_at(&secret, 1) }] });
    let (status, pending) = a.post(&format!("/v1/account/unlock/{id}"), factors, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    assert_eq!(pending["status"], "unlock_pending");
    assert_eq!(
        a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let notices: Vec<_> =
        a.messages_to(email).await.into_iter().filter(|m| m.subject.contains("will be unlocked")).collect();
    assert_eq!(notices.len(), 1);
    let sms_notice = a.messages_to(phone).await.into_iter().any(|m| m.body.contains("unlock"));
    assert!(sms_notice, "the phone is told too");
    let cancel_key = hex_key(&notices[0].body);
    assert_eq!(
        a.post("/v1/account/unlock/cancellation", json!({ "key": cancel_key }), None).await.0,
        StatusCode::ACCEPTED
    );
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    a.identity.sweep().await.unwrap();
    assert_eq!(
        a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.0,
        StatusCode::UNAUTHORIZED,
        "a cancelled unlock never happens"
    );
    assert_eq!(a.get("/v1/me", &owner.token).await.0, StatusCode::UNAUTHORIZED, "the owner's old sessions ended");
    assert!(anshin::audit::verify(&a.t.db).await.unwrap().ok());
});

on_both!(an_unlock_takes_effect_only_after_its_cooling_off_and_a_new_lock_cancels_it, |t: TestDb| async move {
    let a = app(t, IdentityConfig { unlock_cooling_off_secs: 2, ..Default::default() }).await;
    let (email, phone) = ("wait@example.jp", "+819044441111");
    let owner = a.register(email, phone).await;
    let codes = owner.recovery_codes.clone();
    let lock = |code: String| {
        let a = &a;
        async move {
            let id = start_lock(a, email).await;
            let body = json!({ "factor": "recovery_code", "code": code });
            assert_eq!(a.post(&format!("/v1/account/lock/{id}"), body, None).await.0, StatusCode::OK);
        }
    };
    let unlock = |code: String| {
        let a = &a;
        async move {
            let (_, challenge) =
                a.post("/v1/account/unlock", json!({ "email": email, "password": PASSWORD }), None).await;
            let id = challenge["challenge_id"].as_str().unwrap().to_owned();
            a.post(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await;
            let sms = a.code_for(phone).await;
            let body =
                json!({ "factors": [{ "factor": "sms", "code": sms }, { "factor": "recovery_code", "code": code }] });
            assert_eq!(a.post(&format!("/v1/account/unlock/{id}"), body, None).await.0, StatusCode::ACCEPTED);
        }
    };
    lock(codes[0].clone()).await;
    unlock(codes[1].clone()).await;
    // Locking again during the cooling-off cancels the pending unlock.
    lock(codes[2].clone()).await;
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(
        a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    // An unlock nobody cancels takes effect once the cooling-off is over (not before).
    unlock(codes[3].clone()).await;
    assert_eq!(
        a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.0, StatusCode::OK);
    assert!(a.messages_to(email).await.iter().any(|m| m.subject.contains("was unlocked")));
});

// Item 4 (continued): a lock voids a contact change in progress and every grant.
on_both!(a_lock_voids_contact_changes_and_step_up_grants_in_progress, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("voids@example.jp", "+819044442222");
    let owner = a.register(email, phone).await;
    let token = a.step_up(&owner.token, "change_contact", phone).await;
    let change = json!({ "channel": "email", "value": "thief@example.jp" });
    assert_eq!(a.post("/v1/me/contacts", change, Some(&token)).await.0, StatusCode::ACCEPTED);
    let code = a.code_for("thief@example.jp").await;
    let id = start_lock(&a, email).await;
    let body = json!({ "factor": "recovery_code", "code": owner.recovery_codes[0] });
    assert_eq!(a.post(&format!("/v1/account/lock/{id}"), body, None).await.0, StatusCode::OK);
    assert_eq!(a.count("SELECT COUNT(*) FROM contact_changes WHERE voided_at_ms IS NULL").await, 0);
    assert_eq!(a.count("SELECT COUNT(*) FROM step_up_grants WHERE used_at_ms IS NULL").await, 0);
    assert_eq!(a.count("SELECT COUNT(*) FROM login_challenges WHERE completed_at_ms IS NULL").await, 0);
    let confirm = json!({ "channel": "email", "code": code });
    assert_eq!(a.post("/v1/me/contacts/confirmation", confirm, Some(&token)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(a.count("SELECT COUNT(*) FROM users WHERE email = 'voids@example.jp'").await, 1);
});

// Item 5: sign-in and step-up close only challenges of their own purpose; the lock has its own
// SMS budget; a GET page never creates a challenge.
on_both!(a_sign_in_never_closes_a_lock_in_progress_nor_uses_up_its_codes, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("budget@example.jp", "+819044443333");
    let owner = a.register(email, phone).await;
    let lock_id = start_lock(&a, email).await;
    // A thief with the password starts sign-ins and spends the whole sign-in SMS budget.
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        let (_, challenge) = a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
        let id = challenge["challenge_id"].as_str().unwrap();
        last = a.post(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "the sign-in budget is spent");
    // Step-ups by a session do not close it either.
    a.post("/v1/me/step-up", json!({ "action": "change_password" }), Some(&owner.token)).await;
    // The owner's lock still gets its code and completes.
    assert_eq!(
        a.post(&format!("/v1/sessions/challenges/{lock_id}/sms"), json!({}), None).await.0,
        StatusCode::ACCEPTED
    );
    let code = a.code_for(phone).await;
    let (status, body) =
        a.post(&format!("/v1/account/lock/{lock_id}"), json!({ "factor": "sms", "code": code }), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
});

#[tokio::test]
async fn a_get_page_never_creates_a_challenge() {
    let a = app(TestDb::sqlite().await, IdentityConfig::default()).await;
    let owner = a.register("pages@example.jp", "+819044444444").await;
    let before = a.count("SELECT COUNT(*) FROM login_challenges").await;
    for path in
        ["/wallet/step-up?action=change_password", "/wallet/security", "/login", "/lock", "/unlock", "/wallet/sessions"]
    {
        let resp = reqwest::Client::new()
            .get(format!("{}{path}", a.url))
            .header("cookie", format!("__Host-anshin_session={}", owner.token))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
    }
    assert_eq!(a.count("SELECT COUNT(*) FROM login_challenges").await, before);
}

// Item 6: every account can lock itself from the first minute: recovery codes come with the
// registration, and a code sent to the verified e-mail locks (and only locks).
on_both!(an_email_code_locks_the_account_but_never_signs_in_or_unlocks, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("mailock@example.jp", "+819044445555");
    let owner = a.register(email, phone).await;
    assert_eq!(owner.recovery_codes.len(), 10, "recovery codes are issued at registration");
    // Not for a sign-in: no code is sent, and an e-mail "factor" is refused.
    let (_, challenge) = a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await;
    assert!(!challenge["factors"].as_array().unwrap().contains(&json!("email")));
    let id = challenge["challenge_id"].as_str().unwrap();
    let (status, body) = a.post(&format!("/v1/sessions/challenges/{id}/email"), json!({}), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // For a lock it is offered and works.
    let lock_id = start_lock(&a, email).await;
    assert_eq!(
        a.post(&format!("/v1/sessions/challenges/{lock_id}/email"), json!({}), None).await.0,
        StatusCode::ACCEPTED
    );
    let code = a.code_for(email).await;
    let (status, _) =
        a.post(&format!("/v1/sessions/challenges/{id}"), json!({ "factor": "email", "code": code }), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the lock's e-mail code does not sign in");
    let (status, body) =
        a.post(&format!("/v1/account/lock/{lock_id}"), json!({ "factor": "email", "code": code }), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Not for an unlock either.
    let (_, challenge) = a.post("/v1/account/unlock", json!({ "email": email, "password": PASSWORD }), None).await;
    let id = challenge["challenge_id"].as_str().unwrap();
    let factors = json!({ "factors": [{ "factor": "email", "code": "123456" }, { "factor": "recovery_code", "code": owner.recovery_codes[0] }] });
    let (status, body) = a.post(&format!("/v1/account/unlock/{id}"), factors, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
});

// Item 7: a wrong second factor leaves the first one unspent.
on_both!(an_unlock_with_a_wrong_second_factor_spends_neither, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("halves@example.jp", "+819044446666");
    let owner = a.register(email, phone).await;
    let id = start_lock(&a, email).await;
    let body = json!({ "factor": "recovery_code", "code": owner.recovery_codes[0] });
    assert_eq!(a.post(&format!("/v1/account/lock/{id}"), body, None).await.0, StatusCode::OK);
    let (_, challenge) = a.post("/v1/account/unlock", json!({ "email": email, "password": PASSWORD }), None).await;
    let id = challenge["challenge_id"].as_str().unwrap();
    let good = owner.recovery_codes[1].clone();
    let wrong =
        json!({ "factors": [{ "factor": "recovery_code", "code": good }, { "factor": "sms", "code": "000000" }] });
    assert_eq!(a.post(&format!("/v1/account/unlock/{id}"), wrong, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.count("SELECT COUNT(*) FROM recovery_codes WHERE used_at_ms IS NOT NULL").await,
        1,
        "only the lock's code is used"
    );
    assert_eq!(a.post(&format!("/v1/sessions/challenges/{id}/sms"), json!({}), None).await.0, StatusCode::ACCEPTED);
    let sms = a.code_for(phone).await;
    let right = json!({ "factors": [{ "factor": "recovery_code", "code": good }, { "factor": "sms", "code": sms }] });
    let (status, body) = a.post(&format!("/v1/account/unlock/{id}"), right, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "the first factor still works: {body}");
    assert_eq!(a.count("SELECT COUNT(*) FROM recovery_codes WHERE used_at_ms IS NOT NULL").await, 2);
});

// Item 14: a pending sign-up cannot be knocked out by registering the same address again.
on_both!(registering_an_address_again_does_not_knock_out_its_pending_sign_up, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let email = "pending@example.jp";
    let (status, first) = a.post("/v1/registrations", registration(email, "+819044447777"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let email_code = a.code_for(email).await;
    let sms_code = a.code_for("+819044447777").await;
    // Someone registers the same address with their own phone in between.
    let (status, second) = a.post("/v1/registrations", registration(email, "+819044448888"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_ne!(first["registration_id"], second["registration_id"]);
    let body = json!({ "registration_id": first["registration_id"], "email_code": email_code, "sms_code": sms_code });
    let (status, body) = a.post("/v1/registrations/verification", body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, me) = a.get("/v1/me", body["token"].as_str().unwrap()).await;
    assert_eq!(me["phone"], "+819044447777");
});

// Item 4: completing a reset needs an active account, whatever froze it.
on_both!(a_reset_never_completes_on_an_account_that_is_not_active, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("frozen@example.jp", "+819044449999");
    a.register(email, phone).await;
    assert_eq!(a.post("/v1/password-resets", json!({ "email": email }), None).await.0, StatusCode::ACCEPTED);
    let key = hex_key(&a.messages_to(email).await.iter().find(|m| m.subject.contains("Reset your")).unwrap().body);
    assert_eq!(a.post("/v1/password-resets/sms", json!({ "token": key }), None).await.0, StatusCode::ACCEPTED);
    let code = a.code_for(phone).await;
    // Locked behind the reset's back (no voiding): the key alone must still not complete.
    sqlx::query("UPDATE users SET status = 'locked' WHERE email = $1")
        .bind(email)
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    let body = json!({ "token": key, "new_password": "another long passphrase 7", "factor": "sms", "code": code });
    assert_eq!(a.post("/v1/password-resets/confirmation", body, None).await.0, StatusCode::UNAUTHORIZED);
    sqlx::query("UPDATE users SET status = 'active' WHERE email = $1")
        .bind(email)
        .execute(a.t.db.write_pool())
        .await
        .unwrap();
    assert_eq!(
        a.post("/v1/sessions", json!({ "email": email, "password": PASSWORD }), None).await.0,
        StatusCode::OK,
        "unchanged"
    );
});

// Item 4: a lock voids outstanding reset keys, and so does a password change.
on_both!(a_lock_and_a_password_change_each_void_outstanding_reset_keys, |t: TestDb| async move {
    let a = app(t, IdentityConfig::default()).await;
    let (email, phone) = ("keys@example.jp", "+819044440101");
    let owner = a.register(email, phone).await;
    let live = || async { a.count("SELECT COUNT(*) FROM password_resets WHERE used_at_ms IS NULL").await };
    assert_eq!(a.post("/v1/password-resets", json!({ "email": email }), None).await.0, StatusCode::ACCEPTED);
    assert_eq!(live().await, 1);
    let token = a.step_up(&owner.token, "change_password", phone).await;
    let change = json!({ "current_password": PASSWORD, "new_password": "second long passphrase 8" });
    assert_eq!(a.post("/v1/me/password", change, Some(&token)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(live().await, 0, "a password change voids the reset keys");
    assert_eq!(a.post("/v1/password-resets", json!({ "email": email }), None).await.0, StatusCode::ACCEPTED);
    assert_eq!(live().await, 1);
    let (status, challenge) =
        a.post("/v1/account/lock", json!({ "email": email, "password": "second long passphrase 8" }), None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    let id = challenge["challenge_id"].as_str().unwrap();
    let body = json!({ "factor": "recovery_code", "code": owner.recovery_codes[0] });
    assert_eq!(a.post(&format!("/v1/account/lock/{id}"), body, None).await.0, StatusCode::OK);
    assert_eq!(live().await, 0, "a lock voids the reset keys");
});
