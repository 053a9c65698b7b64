//! Password reset and change. Reset: a key sent only to the address already verified on the account (whatever the
//! request says), then the key plus a second factor. Only an active account can be reset: a lock
//! voids every outstanding key, and a reset never undoes a lock.

use serde_json::json;

use super::guards::{self, account_key};
use super::model::{AccountKind, Client, Factor, Principal, ResetRequested, StepUpAction};
use super::notices::Notice;
use super::password::PasswordContext;
use super::proofs::{Recipient, Spend, spend_all};
use super::store::recovery::{self, Reset};
use super::store::users::{self, User};
use super::types::{BirthDate, Email, today_utc};
use super::{Identity, IdentityError, codes, new_token};
use crate::audit::{self, AuditEvent};
use crate::keys::token_hash;
use crate::notify::Channel;
use crate::storage::ids::new_id;
use crate::storage::now_ms;

const MAX_ATTEMPTS: i64 = codes::MAX_ATTEMPTS as i64;

/// What a person's new password must not be built from.
pub(crate) fn context_of(user: &User) -> PasswordContext {
    let mut context = PasswordContext::new().email(&user.email).name(&user.legal_name).phone(&user.phone);
    // Staff and operators have no birth date of record.
    if let Ok(dob) = BirthDate::parse(&user.date_of_birth, today_utc()) {
        context = context.birth_date(dob.year, dob.month, dob.day);
    }
    context
}

impl Identity {
    /// Ask for a reset. The answer is the same for unknown addresses, after the same durable write;
    /// only an address that cannot be one (which says nothing about accounts) is refused.
    pub async fn request_password_reset(&self, email: &str, client: &Client) -> Result<ResetRequested, IdentityError> {
        let answer = ResetRequested { status: "sent_if_the_account_exists" };
        let email = Email::parse(email).map_err(IdentityError::invalid("email_invalid", "email"))?;
        self.throttle(&format!("reset:email:{}", email.as_str()), 3600, self.config.resets_per_email_per_hour).await?;
        let user = users::by_email(&self.db, email.as_str()).await?.filter(|u| u.status == "active");
        let Some(user) = user else {
            let event = AuditEvent::new("anonymous", "identity.password_reset.unknown_address", "-")
                .request_id(client.request_id.clone())
                .details(json!({ "ip": client.ip }));
            audit::record(&self.db, event).await?;
            return Ok(answer);
        };
        let token = new_token();
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        recovery::insert_reset(
            &mut tx,
            &new_id("rst"),
            &user.id,
            &token_hash(&token),
            now + self.config.reset_ttl_secs * 1000,
            now,
        )
        .await?;
        let notice = Notice::ResetKey { key: token, minutes: self.config.reset_ttl_secs / 60 };
        self.mail_owner(&mut tx, &user, notice).await?;
        self.commit_with_audit(
            tx,
            &user.id,
            "identity.password_reset.requested",
            &user.id,
            client,
            json!({ "ip": client.ip }),
        )
        .await?;
        Ok(answer)
    }

    /// Send the reset's SMS code to the account's verified phone.
    pub async fn send_reset_sms(&self, token: &str, client: &Client) -> Result<(), IdentityError> {
        let reset = recovery::live_reset(&self.db, &token_hash(token), now_ms(), MAX_ATTEMPTS)
            .await?
            .ok_or(IdentityError::CodeDead)?;
        let user = users::by_id(&self.db, &reset.user_id).await?;
        if user.phone.is_empty() {
            return Err(IdentityError::Conflict("this account has no phone"));
        }
        self.throttle(&format!("sms:user:{}", user.id), 3600, self.config.sms_per_account_per_hour).await?;
        let mut tx = self.db.begin_write().await?;
        let to = Recipient { channel: Channel::Sms, address: &user.phone, locale: &user.locale };
        let code_id =
            self.issue_code(&mut tx, "password_reset", &user.id, to, |code| Notice::ResetSms { code }).await?;
        recovery::set_reset_sms(&mut tx, &reset.id, &code_id).await?;
        self.commit_with_audit(
            tx,
            &user.id,
            "identity.password_reset.sms_sent",
            &user.id,
            client,
            json!({ "ip": client.ip }),
        )
        .await
    }

    /// Set a new password with the e-mailed key and a second factor. Every session ends; the next
    /// sign-in still asks for a second factor. A weak new password is refused without using the factor.
    pub async fn complete_password_reset(
        &self,
        token: &str,
        new_password: &str,
        factor: Factor,
        proof: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let slot = self.hasher.reserve()?;
        let reset = recovery::count_reset_attempt(&self.db, &token_hash(token), now_ms(), MAX_ATTEMPTS)
            .await?
            .ok_or(IdentityError::CodeDead)?;
        let user = users::by_id(&self.db, &reset.user_id).await?;
        slot.check(new_password, &context_of(&user), true).await?.map_err(IdentityError::Password)?;
        self.check_breached(new_password).await?;
        let spend = self.check_reset_factor(&reset, &user, factor, proof, client).await?;
        let hash = slot.hash(new_password).await?;
        drop(slot);
        self.finish_reset(&reset, &user, &hash, &[spend], factor, client).await?;
        self.clear_guards(&[&account_key(&user.id)]).await
    }

    /// A reset's factor: SMS (bound to this reset), app or recovery code. A wrong one feeds the
    /// same guards as a wrong password and is audited.
    async fn check_reset_factor(
        &self,
        reset: &Reset,
        user: &User,
        factor: Factor,
        proof: &str,
        client: &Client,
    ) -> Result<Spend, IdentityError> {
        let guard_key = self.pair_key(&client.ip, &user.email);
        let kind = AccountKind::parse(&user.kind);
        let admitted = self.admit(&[(guard_key, guards::schedule_for(kind))]).await?;
        let checked = match factor {
            Factor::Totp => self.check_totp(&user.id, proof).await?,
            Factor::RecoveryCode => self.check_recovery_code(&user.id, proof).await?,
            Factor::Sms => match &reset.sms_challenge_id {
                Some(id) => self.check_code(id, proof).await?.into_result().ok(),
                None => None,
            },
            Factor::Passkey | Factor::Email => None,
        };
        if let Some(spend) = checked {
            self.give_back(admitted).await?;
            return Ok(spend);
        }
        self.count_source_failure(client).await?;
        let details = json!({ "ip": client.ip, "factor": factor.as_str() });
        self.audit_failure(&user.id, "identity.password_reset.factor_failed", &user.id, client, details).await?;
        let left = MAX_ATTEMPTS - reset.attempts;
        Err(if left > 0 { IdentityError::CodeRejected { attempts_left: left } } else { IdentityError::CodeDead })
    }

    /// The new password, with the key and factor spent, every other key voided, every session
    /// ended and the owner told, in one transaction; only while the account is active.
    async fn finish_reset(
        &self,
        reset: &Reset,
        user: &User,
        hash: &str,
        spends: &[Spend],
        factor: Factor,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let current = users::lock(&self.db, &mut tx, &user.id).await?;
        if current.status != "active" || !recovery::use_reset(&mut tx, &reset.id, now).await? {
            return Err(IdentityError::CodeDead); // locked or used meanwhile: the lock wins
        }
        spend_all(&mut tx, spends, now).await?;
        crate::faults::hit("reset.before_password");
        users::set_password_hash(&mut tx, &user.id, hash).await?;
        recovery::void_resets(&mut tx, &user.id, now).await?;
        let revoked = self.end_everything(&mut tx, &user.id, now).await?;
        self.tell_owner(&mut tx, &current, Notice::PasswordChanged).await?;
        let details = json!({ "ip": client.ip, "factor": factor.as_str(), "sessions_revoked": revoked });
        self.commit_with_audit(tx, &user.id, "identity.password_reset.completed", &user.id, client, details).await
    }
}

impl Identity {
    /// Change the password: a step-up for this action, and the current password (a wrong one
    /// feeds the device's guard and is audited). Every session ends and old reset keys die.
    pub async fn change_password(
        &self,
        who: &Principal,
        current: &str,
        new_password: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        self.require_grant(who, StepUpAction::ChangePassword).await?;
        let slot = self.hasher.reserve()?;
        let user = users::by_id(&self.db, &who.user_id).await?;
        let admitted = self.admit(&[(guards::device_key(&who.device_id), guards::schedule_for(who.kind))]).await?;
        if !slot.verify(&user.password_hash, current).await?.ok {
            self.count_source_failure(client).await?;
            let details = json!({ "ip": client.ip, "reason": "wrong_current_password" });
            self.audit_failure(&user.id, "identity.password.change_failed", &user.id, client, details).await?;
            return Err(IdentityError::LoginFailed);
        }
        self.give_back(admitted).await?;
        slot.check(new_password, &context_of(&user), true).await?.map_err(IdentityError::Password)?;
        self.check_breached(new_password).await?;
        let hash = slot.hash(new_password).await?;
        drop(slot);
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        self.consume_grant(&mut tx, who, StepUpAction::ChangePassword, now).await?;
        users::set_password_hash(&mut tx, &user.id, &hash).await?;
        recovery::void_resets(&mut tx, &user.id, now).await?;
        let revoked = self.end_everything(&mut tx, &user.id, now).await?;
        self.tell_owner(&mut tx, &user, Notice::PasswordChanged).await?;
        let details = json!({ "ip": client.ip, "sessions_revoked": revoked });
        self.commit_with_audit(tx, &user.id, "identity.password.changed", &user.id, client, details).await
    }
}
