//! Sign-in: a password opens a challenge (for signing in, locking or unlocking); a second factor
//! completes it. A correct password never yields a session by itself.

use serde_json::json;

use super::guards::{self, COUNT_ONLY, MAX_CONSECUTIVE_FAILURES, account_key, device_key};
use super::model::{AccountKind, Client, Factor, LoginChallenge, Purpose, SessionCreated};
use super::notices::Notice;
use super::proofs::{Recipient, spend_all};
use super::store::challenges::{self, NewChallenge};
use super::store::guards::Schedule;
use super::store::{factors, sessions, users};
use super::types::Email;
use super::{Identity, IdentityError, codes, passkeys};
use crate::keys::token_hash;
use crate::notify::Channel;
use crate::storage::ids::new_id;
use crate::storage::now_ms;

const MAX_ATTEMPTS: i64 = codes::MAX_ATTEMPTS as i64;

/// What the password step learned about the source, for the challenge it opens.
struct Source {
    device_id: Option<String>,
    guard_key: String,
    email_proof_required: bool,
}

impl Identity {
    /// First step of sign-in.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        device_token: Option<&str>,
        client: &Client,
    ) -> Result<LoginChallenge, IdentityError> {
        self.start_challenge(email, password, Purpose::Login, device_token, client).await
    }

    /// Password, then a challenge for `purpose`. A hashing slot is reserved first (a shed
    /// request costs nothing), then the attempt is counted on the hard guards before the password
    /// is checked; unknown account, wrong password, or an account in the wrong state for the
    /// purpose get one answer after the same work.
    pub async fn start_challenge(
        &self,
        email: &str,
        password: &str,
        purpose: Purpose,
        device_token: Option<&str>,
        client: &Client,
    ) -> Result<LoginChallenge, IdentityError> {
        let slot = self.hasher.reserve()?;
        let mut user = match Email::parse(email) {
            Ok(e) => users::by_email(&self.db, e.as_str()).await?,
            Err(_) => None,
        };
        if let Some(u) = &user
            && u.status == "locked"
            && purpose == Purpose::Login
            && self.apply_due_unlocks(Some(&u.id)).await? > 0
        {
            user = Some(users::by_id(&self.db, &u.id).await?);
        }
        let kind = user.as_ref().map_or(AccountKind::Wallet, |u| AccountKind::parse(&u.kind));
        let device_id = match (&user, device_token) {
            (Some(u), Some(t)) => sessions::known_device(&self.db, &u.id, &token_hash(t)).await?,
            _ => None,
        };
        let guard_key = match &device_id {
            Some(id) => device_key(id),
            None => self.pair_key(&client.ip, email),
        };
        let mut hard: Vec<(String, Schedule)> = vec![
            (guard_key.clone(), guards::schedule_for(kind)),
            (self.password_key(&client.ip, password), self.spray_schedule()),
        ];
        if let (Some(u), None, false) = (&user, &device_id, kind == AccountKind::Wallet) {
            hard.push((account_key(&u.id), guards::STAFF));
        }
        let admitted = match self.admit(&hard).await {
            Ok(admitted) => admitted,
            Err(refused) => {
                // Refused unjudged, but still a failure of this source: it feeds the signals.
                self.count_source_failure(client).await?;
                return Err(refused);
            }
        };
        let verified = match &user {
            Some(u) => slot.verify(&u.password_hash, password).await?,
            None => slot.verify_dummy(password).await?, // the same work as for a real account
        };
        let user = match user {
            Some(u) if verified.ok => u,
            other => return Err(self.password_failed(other.as_ref(), device_id.is_some(), purpose, client).await?),
        };
        self.give_back(admitted).await?;
        if verified.needs_rehash {
            users::rehash(&self.db, &user.id, &slot.hash(password).await?).await?;
        }
        drop(slot);
        let failures = if device_id.is_none() { self.account_failures(&user.id).await? } else { 0 };
        let refusal = if !purpose.allows_status(&user.status) {
            Some("wrong_status")
        } else if failures >= MAX_CONSECUTIVE_FAILURES && purpose == Purpose::Login {
            Some("too_many_failures_reset_required")
        } else {
            None
        };
        if let Some(reason) = refusal {
            self.audit_login_failure(Some(&user.id), purpose, reason, client).await?;
            return Err(IdentityError::LoginFailed);
        }
        let busy = device_id.is_none()
            && purpose == Purpose::Login
            && (failures >= self.config.account_failures_signal || self.source_is_busy(client).await?);
        let source = Source { device_id, guard_key, email_proof_required: busy };
        self.open_challenge(&user.id, kind, purpose, &source, client).await
    }

    /// A wrong password (or an unknown account): already counted on the hard guards; now the
    /// signals, the account-wide count of a wallet user, and the audit.
    async fn password_failed(
        &self,
        user: Option<&super::store::users::User>,
        known_device: bool,
        purpose: Purpose,
        client: &Client,
    ) -> Result<IdentityError, IdentityError> {
        self.count_source_failure(client).await?;
        if let Some(u) = user
            && !known_device
            && u.kind == "wallet"
        {
            self.count_failure(&account_key(&u.id), &COUNT_ONLY).await?;
        }
        let reason = if user.is_some() { "wrong_password" } else { "unknown_account" };
        self.audit_login_failure(user.map(|u| u.id.as_str()), purpose, reason, client).await?;
        Ok(IdentityError::LoginFailed)
    }

    async fn audit_login_failure(
        &self,
        user_id: Option<&str>,
        purpose: Purpose,
        reason: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let details = json!({ "ip": client.ip, "reason": reason, "purpose": purpose.as_str() });
        let who = user_id.unwrap_or("anonymous");
        self.audit_failure(who, "identity.login.failed", user_id.unwrap_or("-"), client, details).await
    }

    /// Open the challenge: it replaces earlier open challenges of the same purpose only (a
    /// sign-in never closes a lock in progress). The account row is locked first, so concurrent
    /// starts leave exactly one open challenge.
    async fn open_challenge(
        &self,
        user_id: &str,
        kind: AccountKind,
        purpose: Purpose,
        source: &Source,
        client: &Client,
    ) -> Result<LoginChallenge, IdentityError> {
        let challenge_id = new_id("lgn");
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        users::lock(&self.db, &mut tx, user_id).await?;
        challenges::close_open(&mut tx, user_id, Some(purpose.as_str()), now).await?;
        let new = NewChallenge {
            id: &challenge_id,
            purpose: purpose.as_str(),
            user_id,
            session_id: None,
            action: None,
            device_id: source.device_id.as_deref(),
            guard_key: &source.guard_key,
            email_proof_required: source.email_proof_required,
            expires_at_ms: now + self.config.login_challenge_ttl_secs * 1000,
        };
        challenges::insert(&mut tx, &new, now).await?;
        let details = json!({ "ip": client.ip, "challenge": challenge_id, "known_device": source.device_id.is_some(),
            "email_proof_required": source.email_proof_required });
        let action = format!("identity.{}.password_accepted", purpose.as_str());
        self.commit_with_audit(tx, user_id, &action, user_id, client, details).await?;
        let factors = self.factors_for(user_id, purpose).await?;
        let enrolment_required =
            purpose == Purpose::Login && kind != AccountKind::Wallet && !has_strong_factor(&factors);
        Ok(LoginChallenge {
            challenge_id,
            factors,
            expires_in_secs: self.config.login_challenge_ttl_secs,
            enrolment_required,
            email_proof_required: source.email_proof_required,
        })
    }

    /// The factors an account can answer a challenge of `purpose` with, strongest first.
    pub(crate) async fn factors_for(
        &self,
        user_id: &str,
        purpose: Purpose,
    ) -> Result<Vec<&'static str>, IdentityError> {
        let s = factors::summary(&self.db, user_id).await?;
        let mut list = Vec::new();
        if s.passkeys > 0 {
            list.push("passkey");
        }
        if s.totp {
            list.push("totp");
        }
        // SMS is a restricted factor (NIST SP 800-63B-4): offered, but an app or passkey is better.
        if s.phone {
            list.push("sms");
        }
        if s.recovery_codes > 0 {
            list.push("recovery_code");
        }
        if purpose.accepts(Factor::Email) {
            list.push("email");
        }
        Ok(list)
    }

    /// What a page needs to show the factor step of an open challenge (never creates one).
    pub async fn challenge_info(&self, challenge_id: &str) -> Result<LoginChallenge, IdentityError> {
        let c =
            challenges::open(&self.db, challenge_id, now_ms(), MAX_ATTEMPTS).await?.ok_or(IdentityError::CodeDead)?;
        let purpose = Purpose::parse(&c.purpose).ok_or(IdentityError::CodeDead)?;
        Ok(LoginChallenge {
            factors: self.factors_for(&c.user_id, purpose).await?,
            challenge_id: c.id,
            expires_in_secs: self.config.login_challenge_ttl_secs,
            enrolment_required: false,
            email_proof_required: c.email_proof_required,
        })
    }

    /// Send a code by SMS (any challenge) or e-mail (a lock, or the extra proof of a sign-in) to
    /// the verified contact. A re-send does not reset the attempts, which belong to the challenge.
    /// The lock has budgets of its own, which sign-in and reset cannot use up.
    pub async fn send_challenge_code(
        &self,
        challenge_id: &str,
        channel: Channel,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let c =
            challenges::open(&self.db, challenge_id, now_ms(), MAX_ATTEMPTS).await?.ok_or(IdentityError::CodeDead)?;
        let purpose = Purpose::parse(&c.purpose).ok_or(IdentityError::CodeDead)?;
        let user = users::by_id(&self.db, &c.user_id).await?;
        let email = channel == Channel::Email;
        if email && !(purpose == Purpose::Lock || (purpose == Purpose::Login && c.email_proof_required)) {
            return Err(IdentityError::Invalid {
                code: "channel_not_allowed",
                message: "an e-mail code is only sent to lock an account or as extra proof".into(),
                param: "channel",
            });
        }
        if !email && user.phone.is_empty() {
            return Err(IdentityError::Conflict("this account has no phone"));
        }
        let (key, limit) = match (purpose, email) {
            (Purpose::Lock, true) => (format!("email:lock:{}", user.id), self.config.lock_emails_per_account_per_hour),
            (Purpose::Lock, false) => (format!("sms:lock:{}", user.id), self.config.lock_sms_per_account_per_hour),
            (_, true) => (format!("email:user:{}", user.id), self.config.sms_per_account_per_hour),
            (_, false) => (format!("sms:user:{}", user.id), self.config.sms_per_account_per_hour),
        };
        self.throttle(&key, 3600, limit).await?;
        let mut tx = self.db.begin_write().await?;
        let recipient = if email { &user.email } else { &user.phone };
        let notice = move |code| match (purpose, email) {
            (Purpose::Lock, true) => Notice::LockEmail { code },
            (Purpose::Lock, false) => Notice::LockSms { code },
            (_, true) => Notice::SignInEmail { code },
            (_, false) => Notice::SignInSms { code },
        };
        let code_id = self
            .issue_code(
                &mut tx,
                purpose.as_str(),
                &user.id,
                Recipient { channel, address: recipient, locale: &user.locale },
                notice,
            )
            .await?;
        challenges::set_code(&mut tx, challenge_id, email, &code_id).await?;
        let details = json!({ "ip": client.ip, "challenge": challenge_id, "purpose": purpose.as_str(), "channel": channel.as_str() });
        self.commit_with_audit(tx, &user.id, "identity.challenge.code_sent", &user.id, client, details).await
    }

    /// WebAuthn options to answer a challenge (sign-in, lock, unlock, step-up) with a passkey.
    pub async fn passkey_options(&self, challenge_id: &str) -> Result<passkeys::PasskeyOptions, IdentityError> {
        let c =
            challenges::open(&self.db, challenge_id, now_ms(), MAX_ATTEMPTS).await?.ok_or(IdentityError::CodeDead)?;
        passkeys::start_authentication(&self.db, &self.rp, &c.user_id, challenge_id).await
    }

    /// Second step of sign-in: the factor (and the e-mail code, when asked for) completes the
    /// challenge and opens a session, all in one transaction.
    pub async fn complete_login(
        &self,
        challenge_id: &str,
        factor: Factor,
        proof: &str,
        email_code: Option<&str>,
        device_token: Option<&str>,
        client: &Client,
    ) -> Result<SessionCreated, IdentityError> {
        let (challenge, user, spends) =
            self.prove(challenge_id, Purpose::Login, &[(factor, proof)], email_code, client).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if !challenges::complete(&mut tx, challenge_id, now).await? {
            return Err(IdentityError::CodeDead); // completed concurrently
        }
        spend_all(&mut tx, &spends, now).await?;
        let (session, new_device) = self.open_session(&mut tx, &user, device_token, client, now, "full").await?;
        if new_device {
            self.mail_owner(&mut tx, &user, Notice::NewDevice { ip: client.ip.clone() }).await?;
        }
        let details = json!({ "ip": client.ip, "factor": factor.as_str(), "new_device": new_device,
            "session": session.session_id, "email_proof": challenge.email_proof_required });
        self.commit_with_audit(tx, &user.id, "identity.login.succeeded", &user.id, client, details).await?;
        self.clear_guards(&[&challenge.guard_key, &account_key(&user.id)]).await?;
        Ok(session)
    }

    /// Staff and operators who have no factor yet (the first operator, a new cashier): after the
    /// password, a session that can do nothing but enrol an authenticator app or a passkey.
    pub async fn enrolment_session(
        &self,
        challenge_id: &str,
        client: &Client,
    ) -> Result<SessionCreated, IdentityError> {
        let now = now_ms();
        let c = challenges::open(&self.db, challenge_id, now, MAX_ATTEMPTS).await?.ok_or(IdentityError::CodeDead)?;
        let user = users::by_id(&self.db, &c.user_id).await?;
        let factors = self.factors_for(&user.id, Purpose::Login).await?;
        // Wallet users and enrolled staff answer with a factor; a wallet session from a password
        // alone would be exactly what 7pay gave away.
        if c.purpose != Purpose::Login.as_str() || user.kind == "wallet" || has_strong_factor(&factors) {
            return Err(IdentityError::CodeDead);
        }
        let mut tx = self.db.begin_write().await?;
        if !challenges::complete(&mut tx, challenge_id, now).await? {
            return Err(IdentityError::CodeDead);
        }
        let (session, _) = self.open_session(&mut tx, &user, None, client, now, "enrol").await?;
        let details = json!({ "ip": client.ip, "session": session.session_id });
        self.commit_with_audit(tx, &user.id, "identity.login.enrolment_session", &user.id, client, details).await?;
        Ok(session)
    }
}

/// An authenticator app or a passkey: what staff and operators must have.
pub(crate) fn has_strong_factor(factors: &[&str]) -> bool {
    factors.contains(&"totp") || factors.contains(&"passkey")
}
