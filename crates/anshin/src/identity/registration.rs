//! Registration that proves both contacts: a code to the e-mail address and one to the phone,
//! both needed, under an opaque registration id (a later registration of the same address
//! cannot knock out a pending one). An address that already has an account gets the same
//! answer, but a warning instead of a code, so that registration can never complete.

use serde_json::json;

use super::guards;
use super::model::{Client, NewRegistration, Registered, RegistrationStarted};
use super::notices::Notice;
use super::password::{PasswordContext, PasswordProblem};
use super::proofs::{CodeCheck, Spend, spend_all};
use super::store::challenges;
use super::store::contacts::{self, PendingRegistration};
use super::store::users::{self, NewWallet};
use super::types::{BirthDate, Email, LegalName, Phone, today_utc};
use super::{Identity, IdentityError, codes};
use crate::notify::Channel;
use crate::storage::ids::{new_id, random_hex_128};
use crate::storage::now_ms;

/// A registration's input once parsed, checked and hashed.
struct Verified {
    email: Email,
    phone: Phone,
    name: LegalName,
    date_of_birth: String,
    password_hash: String,
}

impl Identity {
    /// Start a registration: both contacts get a code.
    pub async fn register(
        &self,
        input: NewRegistration,
        client: &Client,
    ) -> Result<RegistrationStarted, IdentityError> {
        let invalid = IdentityError::invalid;
        let email = Email::parse(&input.email).map_err(invalid("email_invalid", "email"))?;
        let phone = Phone::parse(&input.phone).map_err(invalid("phone_invalid", "phone"))?;
        let name = LegalName::parse(&input.legal_name).map_err(invalid("legal_name_invalid", "legal_name"))?;
        let dob = BirthDate::parse(&input.date_of_birth, today_utc())
            .map_err(invalid("date_of_birth_invalid", "date_of_birth"))?;
        let context = PasswordContext::new()
            .email(email.as_str())
            .name(name.as_str())
            .phone(phone.as_str())
            .birth_date(dob.year, dob.month, dob.day);
        // The hashing place first: a sign-up shed for lack of capacity charges no quota.
        let slot = self.hasher.reserve()?;
        // Every wallet account signs in with a second factor, so NIST's 8-character minimum applies.
        slot.check(&input.password, &context, true).await?.map_err(IdentityError::Password)?;
        self.check_breached(&input.password).await?;
        self.charge_sign_up(&email, &phone, client).await?;
        let password_hash = slot.hash(&input.password).await?;
        drop(slot);
        let verified = Verified { email, phone, name, date_of_birth: dob.to_iso(), password_hash };
        self.open_registration(verified, client).await
    }

    /// The registration row, its two code challenges and both messages, in one transaction.
    async fn open_registration(&self, v: Verified, client: &Client) -> Result<RegistrationStarted, IdentityError> {
        let owner = users::by_email(&self.db, v.email.as_str()).await?;
        let taken = owner.is_some();
        let address_busy = self.signup_address_busy(client).await?;
        let (reg_id, email_chl, sms_chl) = (new_id("reg"), new_id("chl"), new_id("chl"));
        let now = now_ms();
        let expires_at_ms = now + self.config.registration_ttl_secs * 1000;
        let mut tx = self.db.begin_write().await?;
        let new = contacts::NewRegistration {
            id: &reg_id,
            email: v.email.as_str(),
            phone: v.phone.as_str(),
            legal_name: v.name.as_str(),
            date_of_birth: &v.date_of_birth,
            password_hash: &v.password_hash,
            email_challenge_id: &email_chl,
            sms_challenge_id: &sms_chl,
            decoy: taken,
            expires_at_ms,
        };
        contacts::insert_registration(&mut tx, &new, now).await?;
        let key = &self.keys.code_hmac;
        let (email_code, sms_code) = (codes::issue(key, &email_chl), codes::issue(key, &sms_chl));
        // For a decoy the e-mail challenge holds a hash no code can match.
        let email_hash = if taken { random_hex_128() } else { email_code.hash };
        challenges::insert_code(
            &mut tx,
            &email_chl,
            "register_email",
            &reg_id,
            "email",
            &email_hash,
            expires_at_ms,
            now,
        )
        .await?;
        challenges::insert_code(
            &mut tx,
            &sms_chl,
            "register_phone",
            &reg_id,
            "sms",
            &sms_code.hash,
            expires_at_ms,
            now,
        )
        .await?;
        let minutes = self.config.registration_ttl_secs / 60;
        // The owner of an address that has an account is warned, in the owner's language.
        let email_message = match &owner {
            Some(owner) => Notice::RegistrationTaken.to(Channel::Email, &owner.email, &owner.locale),
            None => Notice::RegistrationCode { code: email_code.plain, minutes }.to(
                Channel::Email,
                v.email.as_str(),
                &client.locale,
            ),
        };
        let messages = [
            email_message,
            Notice::RegistrationSms { code: sms_code.plain }.to(Channel::Sms, v.phone.as_str(), &client.locale),
        ];
        self.send(&mut tx, &messages).await?;
        let details = json!({ "ip": client.ip, "email_taken": taken, "address_busy": address_busy });
        self.commit_with_audit(tx, "anonymous", "identity.registration.started", &reg_id, client, details).await?;
        Ok(RegistrationStarted {
            status: "verification_sent",
            registration_id: reg_id,
            expires_in_secs: self.config.registration_ttl_secs,
        })
    }

    /// The breach corpus, if configured. An unreachable breach service does not block the
    /// person: the local rules already refuse the common passwords.
    pub(crate) async fn check_breached(&self, password: &str) -> Result<(), IdentityError> {
        if let Some(breach) = &self.breach {
            match breach.is_breached(password).await {
                Ok(true) => return Err(IdentityError::Password(PasswordProblem::Breached)),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "breached-password check skipped"),
            }
        }
        Ok(())
    }

    /// Hard sign-up limits keyed on what a sign-up consumes: an e-mail address, a phone, a device.
    async fn charge_sign_up(&self, email: &Email, phone: &Phone, client: &Client) -> Result<(), IdentityError> {
        let c = &self.config;
        self.throttle(&format!("signup:email:{}", email.as_str()), 3600, c.signups_per_email_per_hour).await?;
        self.throttle(&format!("signup:phone:{}", phone.as_str()), 86_400, c.signups_per_phone_per_day).await?;
        if let Some(device) = &client.device {
            self.throttle(&format!("signup:device:{device}"), 86_400, c.signups_per_device_per_day).await?;
        }
        Ok(())
    }

    /// Many sign-ups from one address is a signal (recorded for the risk engine), not a refusal:
    /// a whole carrier-grade NAT may sit behind one address on launch day.
    async fn signup_address_busy(&self, client: &Client) -> Result<bool, IdentityError> {
        let count = super::store::guards::hit(&self.db, &format!("signup:ip:{}", client.ip), 3600, now_ms()).await?;
        Ok(count > self.config.signups_per_ip_signal_per_hour)
    }

    /// Finish a registration with the two codes. Both are checked (and both attempts counted)
    /// before either result is revealed; neither is spent unless the account is created, in the
    /// same transaction as the account, its recovery codes and its first session.
    pub async fn verify_registration(
        &self,
        registration_id: &str,
        email_code: &str,
        sms_code: &str,
        client: &Client,
    ) -> Result<Registered, IdentityError> {
        let now = now_ms();
        let reg =
            contacts::pending_registration(&self.db, registration_id, now).await?.ok_or(IdentityError::CodeDead)?;
        let guard = [(self.pair_key(&client.ip, &reg.email), guards::WALLET)];
        let admitted = self.admit(&guard).await?;
        let e = self.check_code(&reg.email_challenge_id, email_code).await?;
        let s = self.check_code(&reg.sms_challenge_id, sms_code).await?;
        let spends = match (e, s) {
            (CodeCheck::Right(a), CodeCheck::Right(b)) => vec![a, b],
            (e, s) => return Err(self.registration_code_failed(&reg, e, s, client).await?),
        };
        self.give_back(admitted).await?;
        self.create_wallet(&reg, &spends, client).await
    }

    async fn registration_code_failed(
        &self,
        reg: &PendingRegistration,
        e: CodeCheck,
        s: CodeCheck,
        client: &Client,
    ) -> Result<IdentityError, IdentityError> {
        self.count_source_failure(client).await?;
        let details = json!({ "ip": client.ip, "email_code": outcome(&e), "sms_code": outcome(&s) });
        self.audit_failure("anonymous", "identity.registration.code_failed", &reg.id, client, details).await?;
        Ok(match (e, s) {
            (CodeCheck::Dead, _) | (_, CodeCheck::Dead) => IdentityError::CodeDead,
            (CodeCheck::Wrong { attempts_left: a }, CodeCheck::Wrong { attempts_left: b }) => {
                IdentityError::CodeRejected { attempts_left: a.min(b) }
            }
            (CodeCheck::Wrong { attempts_left }, _) | (_, CodeCheck::Wrong { attempts_left }) => {
                IdentityError::CodeRejected { attempts_left }
            }
            _ => IdentityError::CodeDead,
        })
    }

    async fn create_wallet(
        &self,
        reg: &PendingRegistration,
        spends: &[Spend],
        client: &Client,
    ) -> Result<Registered, IdentityError> {
        let user_id = new_id("usr");
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if !contacts::complete_registration(&mut tx, &reg.id, now).await? {
            return Err(IdentityError::CodeDead); // a decoy, or completed concurrently
        }
        spend_all(&mut tx, spends, now).await?;
        let new = NewWallet {
            id: &user_id,
            email: &reg.email,
            phone: &reg.phone,
            legal_name: &reg.legal_name,
            date_of_birth: &reg.date_of_birth,
            password_hash: &reg.password_hash,
            locale: &client.locale,
        };
        if !users::insert_wallet(&mut tx, &new, now).await? {
            return Err(IdentityError::CodeDead); // the address got an account meanwhile
        }
        let recovery_codes = self.issue_recovery_codes(&mut tx, &user_id, now).await?;
        let user = users::lock(&self.db, &mut tx, &user_id).await?;
        let (session, _) = self.open_session(&mut tx, &user, None, client, now, "full").await?;
        crate::faults::hit("registration.before_commit");
        let details = json!({ "ip": client.ip, "registration": reg.id, "recovery_codes": recovery_codes.len() });
        self.commit_with_audit(tx, &user_id, "identity.user.registered", &user_id, client, details).await?;
        Ok(Registered { session, recovery_codes })
    }
}

fn outcome(c: &CodeCheck) -> &'static str {
    match c {
        CodeCheck::Right(_) => "right",
        CodeCheck::Wrong { .. } => "wrong",
        CodeCheck::Dead => "dead",
    }
}
