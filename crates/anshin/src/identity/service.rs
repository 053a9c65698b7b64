//! The identity flows: verified registration, password + second-factor sign-in, sessions and
//! TOTP enrolment. Every outcome that could tell an outsider whether an account exists looks
//! the same either way (same response, and the same password-hashing work).

use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::codes;
use super::password::{self, HashError, PasswordContext, PasswordHasher, PasswordProblem};
use super::throttle;
use super::totp;
use super::types::{BirthDate, Email, LegalName, Phone, today_utc};
use crate::audit::{self, AuditEvent};
use crate::keys::{Keys, token_hash};
use crate::notify::{self, Channel, OutboxMessage};
use crate::storage::ids::{new_id, random_hex_128};
use crate::storage::{Db, now_ms};

#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// Wallet sessions end after this long without use, and after `session_absolute_secs` in any case.
    pub session_idle_secs: i64,
    pub session_absolute_secs: i64,
    /// Merchant staff and operators: idle limit.
    pub staff_idle_secs: i64,
    /// Sensitive actions (adding a factor) need a factor used within this many seconds.
    pub fresh_factor_secs: i64,
    pub registration_ttl_secs: i64,
    pub login_challenge_ttl_secs: i64,
    /// Failed sign-ins (password or factor) from one address within `ip_window_secs` before it is refused.
    pub ip_failures_limit: i64,
    /// Failed sign-ins from one /24 (IPv4) or /48 (IPv6) network in the same window.
    pub network_failures_limit: i64,
    /// Failed sign-ins with one and the same password, across all accounts (password spraying).
    pub password_failures_limit: i64,
    pub ip_window_secs: i64,
    pub signups_per_ip_per_hour: i64,
    pub signups_per_email_per_hour: i64,
    pub signups_per_phone_per_day: i64,
    pub signups_per_device_per_day: i64,
    pub sms_per_account_per_hour: i64,
    pub reset_ttl_secs: i64,
    /// The site's public origin, which passkeys are bound to.
    pub public_url: String,
    pub resets_per_ip_per_hour: i64,
    pub resets_per_email_per_hour: i64,
    /// After an e-mail or phone change, money may not leave the wallet for this long.
    pub contact_change_cooling_off_secs: i64,
    /// Base URL of a k-anonymity breached-password range API (`{url}/range/{5 hex}`); off when None.
    pub breach_check_url: Option<String>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            staff_idle_secs: 15 * 60,
            fresh_factor_secs: 5 * 60,
            registration_ttl_secs: 30 * 60,
            login_challenge_ttl_secs: 10 * 60,
            ip_failures_limit: 30,
            network_failures_limit: 100,
            password_failures_limit: 10,
            ip_window_secs: 15 * 60,
            signups_per_ip_per_hour: 20,
            signups_per_email_per_hour: 5,
            signups_per_phone_per_day: 5,
            signups_per_device_per_day: 5,
            sms_per_account_per_hour: 5,
            reset_ttl_secs: 30 * 60,
            public_url: "http://localhost:8080".into(),
            contact_change_cooling_off_secs: 72 * 3600,
            breach_check_url: None,
            resets_per_ip_per_hour: 20,
            resets_per_email_per_hour: 10,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String, param: &'static str },
    #[error("{0}")]
    Password(PasswordProblem),
    /// Wrong e-mail or password, unknown account, or an account that may not sign in now: one answer.
    #[error("the e-mail or password is wrong, or the account cannot sign in right now")]
    LoginFailed,
    #[error("the code is wrong")]
    CodeRejected { attempts_left: i64 },
    /// Expired, used up, or never valid: start again.
    #[error("the code has expired or was used up; ask for a new one")]
    CodeDead,
    #[error("sign in first")]
    Unauthenticated,
    #[error("confirm it is you with a second factor first")]
    StepUpRequired,
    #[error("too many attempts; try again later")]
    Throttled { retry_after_secs: i64 },
    #[error("{0}")]
    Conflict(&'static str),
    #[error("not allowed")]
    Forbidden,
    #[error("the service is busy; try again shortly")]
    Busy,
    #[error("internal error")]
    Internal(String),
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        IdentityError::Internal(e.to_string())
    }
}

impl From<HashError> for IdentityError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => IdentityError::Busy,
            HashError::Internal(m) => IdentityError::Internal(m),
        }
    }
}

fn invalid(code: &'static str, param: &'static str) -> impl FnOnce(String) -> IdentityError {
    move |message| IdentityError::Invalid { code, message, param }
}

/// Where a request came from, for throttles, session records and audit.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
    pub request_id: String,
    /// The app's installation id (`X-Device-Id`), when the client sends one.
    pub device: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub email: String,
    pub phone: String,
    pub password: String,
    pub legal_name: String,
    pub date_of_birth: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegistrationStarted {
    /// Always `verification_sent`: the same whether or not the address already has an account.
    pub status: &'static str,
    pub expires_in_secs: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SteppedUp {
    /// The session's new bearer token; the previous one no longer works.
    pub token: String,
    pub session_id: String,
    /// The action the factor was given for.
    pub action: String,
    pub authenticated_at_ms: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResetRequested {
    /// Always `sent_if_the_account_exists`.
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionCreated {
    pub session_id: String,
    /// The bearer token. Shown once; only its hash is stored.
    pub token: String,
    /// Identifies this device at the next sign-in (so a new device can be told apart).
    pub device_token: String,
    pub user_id: String,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginChallenge {
    pub challenge_id: String,
    /// Second factors this account can use: `totp`, `sms`, `recovery_code`.
    pub factors: Vec<&'static str>,
    pub expires_in_secs: i64,
    /// Staff and operators without a factor yet: they get a session that can only enrol one
    /// (`POST /v1/sessions/challenges/{id}/enrolment`).
    pub enrolment_required: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TotpEnrolment {
    /// Base32 secret, for typing into an app that cannot scan.
    pub secret: String,
    /// `otpauth://` URL to show as a QR code.
    pub otpauth_url: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes, each 80 bits. Shown once.
    pub recovery_codes: Vec<String>,
}

/// The signed-in user behind a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub session_id: String,
    pub authenticated_at_ms: i64,
    /// `wallet`, `merchant_staff` or `operator`.
    pub kind: String,
    pub role: String,
    /// `full`, or `enrol`: a staff or operator session that may only set up its first factor.
    pub scope: String,
}

impl Principal {
    pub fn is_full(&self) -> bool {
        self.scope == "full"
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub user_id: String,
    pub email: String,
    pub phone: String,
    pub legal_name: String,
    pub date_of_birth: String,
    pub factors: Vec<&'static str>,
    /// While a contact change cools off, money may not leave the wallet before this (UTC ms; 0: no block).
    pub money_out_blocked_until_ms: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub session_id: String,
    pub device_id: String,
    pub created_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub ip: String,
    pub user_agent: String,
    pub current: bool,
}

/// Which second factor a sign-in uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Totp,
    Sms,
    RecoveryCode,
    Passkey,
}

impl Factor {
    pub fn parse(s: &str) -> Option<Factor> {
        match s {
            "totp" => Some(Factor::Totp),
            "sms" => Some(Factor::Sms),
            "recovery_code" => Some(Factor::RecoveryCode),
            "passkey" => Some(Factor::Passkey),
            _ => None,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Factor::Totp => "totp",
            Factor::Sms => "sms",
            Factor::RecoveryCode => "recovery_code",
            Factor::Passkey => "passkey",
        }
    }
}

/// What a password-then-factor challenge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Login,
    Lock,
    Unlock,
    StepUp,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Lock => "lock",
            Purpose::Unlock => "unlock",
            Purpose::StepUp => "step_up",
        }
    }
    /// Only a locked account can be unlocked; only an active one can sign in or be locked.
    fn required_status(self) -> &'static str {
        match self {
            Purpose::Unlock => "locked",
            Purpose::Login | Purpose::Lock | Purpose::StepUp => "active",
        }
    }
}

const RECOVERY_CODES: usize = 10;
/// NIST SP 800-63B: at most 100 consecutive failed attempts; after that only a password reset
/// (through the verified e-mail and a second factor) lets the account sign in again.
const MAX_CONSECUTIVE_FAILURES: i64 = 100;

#[derive(Clone)]
pub struct Identity {
    db: Db,
    keys: Keys,
    hasher: PasswordHasher,
    config: Arc<IdentityConfig>,
    /// The WebAuthn relying party for passkeys.
    rp: Arc<webauthn_rs::Webauthn>,
    breach: Option<super::breach::BreachCheck>,
}

impl Identity {
    /// Fails only if `config.public_url` cannot serve as a WebAuthn origin.
    pub fn new(db: Db, keys: Keys, hasher: PasswordHasher, config: IdentityConfig) -> Result<Identity, String> {
        let rp = Arc::new(super::passkeys::relying_party(&config.public_url)?);
        let breach = config.breach_check_url.as_deref().map(super::breach::BreachCheck::new).transpose()?;
        Ok(Identity { db, keys, hasher, config: Arc::new(config), rp, breach })
    }

    pub fn config(&self) -> &IdentityConfig {
        &self.config
    }

    // ---- registration -------------------------------------------------------------------

    /// Start a registration: both contacts get a code. If the e-mail already has an account, the
    /// answer is the same, but that address gets a warning instead of a code, so the
    /// registration can never complete.
    pub async fn register(
        &self,
        input: NewRegistration,
        client: &Client,
    ) -> Result<RegistrationStarted, IdentityError> {
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
        // Every wallet account signs in with a second factor, so NIST's 8-character minimum applies.
        self.check_new_password(&input.password, &context).await?;
        self.throttle(&format!("signup:ip:{}", client.ip), 3600, self.config.signups_per_ip_per_hour).await?;
        self.throttle(&format!("signup:email:{}", email.as_str()), 3600, self.config.signups_per_email_per_hour)
            .await?;
        self.throttle(&format!("signup:phone:{}", phone.as_str()), 86_400, self.config.signups_per_phone_per_day)
            .await?;
        if let Some(device) = &client.device {
            self.throttle(&format!("signup:device:{device}"), 86_400, self.config.signups_per_device_per_day).await?;
        }

        let password_hash = self.hasher.hash(&input.password).await?;
        let taken: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(self.db.read_pool())
            .await?;
        let now = now_ms();
        let reg_id = new_id("reg");
        let (email_chl, sms_chl) = (new_id("chl"), new_id("chl"));
        let email_code = issue_for(&self.keys, &email_chl);
        let sms_code = issue_for(&self.keys, &sms_chl);
        let ttl_ms = self.config.registration_ttl_secs * 1000;

        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO registrations (id, email, phone, legal_name, date_of_birth, password_hash, email_challenge_id,
                sms_challenge_id, decoy, expires_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&reg_id)
        .bind(email.as_str())
        .bind(phone.as_str())
        .bind(name.as_str())
        .bind(dob.to_iso())
        .bind(&password_hash)
        .bind(&email_chl)
        .bind(&sms_chl)
        .bind(i64::from(taken.is_some()))
        .bind(now + ttl_ms)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // For a decoy the e-mail challenge holds a hash no code can match.
        let email_hash = if taken.is_some() { random_hex_128() } else { email_code.hash.clone() };
        insert_challenge(&mut tx, &email_chl, "register_email", &reg_id, "email", &email_hash, now + ttl_ms).await?;
        insert_challenge(&mut tx, &sms_chl, "register_phone", &reg_id, "sms", &sms_code.hash, now + ttl_ms).await?;
        let email_message = if taken.is_some() {
            OutboxMessage::email(
                email.as_str(),
                "Someone tried to register this address at Anshin",
                "Somebody tried to create a new Anshin account with this e-mail address, which already has an account.\n\
                 If it was you: sign in instead, or reset your password from the sign-in page.\n\
                 If it was not you: nothing has changed and you need not do anything. We never ask for your password by e-mail.",
            )
        } else {
            OutboxMessage::email(
                email.as_str(),
                "Your Anshin verification code",
                format!(
                    "Your code to confirm this e-mail address is {}. It is valid for {} minutes.\n\
                     If you did not just register at Anshin, ignore this message: without the code nothing happens.",
                    email_code.plain,
                    self.config.registration_ttl_secs / 60
                ),
            )
        };
        let sms_message = OutboxMessage {
            channel: Channel::Sms,
            recipient: phone.as_str().to_owned(),
            subject: String::new(),
            body: format!(
                "Anshin: your code to confirm this phone is {}. Do not share it with anyone.",
                sms_code.plain
            ),
        };
        notify::enqueue(&self.db, &mut tx, &[email_message, sms_message]).await?;
        self.commit_with_audit(
            tx,
            "anonymous",
            "identity.registration.started",
            &reg_id,
            client,
            json!({ "ip": client.ip, "email_taken": taken.is_some() }),
        )
        .await?;
        Ok(RegistrationStarted { status: "verification_sent", expires_in_secs: self.config.registration_ttl_secs })
    }

    /// Finish a registration with the two codes; the account is created with both contacts
    /// verified, and the person is signed in (the codes just proved both contacts).
    pub async fn verify_registration(
        &self,
        email: &str,
        email_code: &str,
        sms_code: &str,
        client: &Client,
    ) -> Result<SessionCreated, IdentityError> {
        let email = Email::parse(email).map_err(|_| IdentityError::CodeDead)?;
        let now = now_ms();
        let row = sqlx::query(
            "SELECT id, phone, legal_name, date_of_birth, password_hash, email_challenge_id, sms_challenge_id
             FROM registrations WHERE email = $1 AND completed_at_ms IS NULL AND expires_at_ms > $2
             ORDER BY created_at_ms DESC LIMIT 1",
        )
        .bind(email.as_str())
        .bind(now)
        .fetch_optional(self.db.read_pool())
        .await?
        .ok_or(IdentityError::CodeDead)?;
        let reg_id: String = row.try_get("id")?;
        // Both codes are checked (and both attempts counted) before either result is revealed.
        let e = self.use_code(&row.try_get::<String, _>("email_challenge_id")?, email_code).await?;
        let s = self.use_code(&row.try_get::<String, _>("sms_challenge_id")?, sms_code).await?;
        match (e, s) {
            (CodeOutcome::Accepted, CodeOutcome::Accepted) => {}
            (CodeOutcome::Dead, _) | (_, CodeOutcome::Dead) => return Err(IdentityError::CodeDead),
            (CodeOutcome::Wrong(a), CodeOutcome::Wrong(b)) => {
                return Err(IdentityError::CodeRejected { attempts_left: a.min(b) });
            }
            (CodeOutcome::Wrong(a), _) | (_, CodeOutcome::Wrong(a)) => {
                return Err(IdentityError::CodeRejected { attempts_left: a });
            }
        }
        let user_id = new_id("usr");
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE registrations SET completed_at_ms = $1 WHERE id = $2 AND completed_at_ms IS NULL AND decoy = 0",
        )
        .bind(now)
        .bind(&reg_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(IdentityError::CodeDead);
        }
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, phone, legal_name, date_of_birth, password_hash, status, email_verified_at_ms,
                phone_verified_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7, $7)
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(&user_id)
        .bind(email.as_str())
        .bind(row.try_get::<String, _>("phone")?)
        .bind(row.try_get::<String, _>("legal_name")?)
        .bind(row.try_get::<String, _>("date_of_birth")?)
        .bind(row.try_get::<String, _>("password_hash")?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            return Err(IdentityError::CodeDead); // the address got an account meanwhile
        }
        let session = self.open_session(&mut tx, &user_id, None, client, now, "full").await?;
        self.commit_with_audit(
            tx,
            &user_id,
            "identity.user.registered",
            &user_id,
            client,
            json!({ "ip": client.ip, "registration": reg_id }),
        )
        .await?;
        Ok(session.0)
    }

    // ---- sign-in, lock, unlock ----------------------------------------------------------

    /// First step of sign-in. A correct password never yields a session by itself: it opens a
    /// challenge that only a second factor completes.
    pub async fn login(&self, email: &str, password: &str, client: &Client) -> Result<LoginChallenge, IdentityError> {
        self.start_challenge(email, password, Purpose::Login, client).await
    }

    /// Password, then a challenge for `purpose`. Unknown account, wrong password, a delay after
    /// failures, or an account in the wrong state for the purpose: one answer, the same work.
    pub async fn start_challenge(
        &self,
        email: &str,
        password: &str,
        purpose: Purpose,
        client: &Client,
    ) -> Result<LoginChallenge, IdentityError> {
        self.check_sources(client, Some(password)).await?;
        let user = match Email::parse(email) {
            Ok(email) => {
                sqlx::query(
                    "SELECT id, kind, password_hash, status, login_blocked_until_ms, failed_logins FROM users WHERE email = $1",
                )
                .bind(email.as_str())
                .fetch_optional(self.db.read_pool())
                .await?
            }
            Err(_) => None,
        };
        let Some(user) = user else {
            self.hasher.verify_dummy(password).await?; // the same work as for a real account
            self.record_failure(None, client, "unknown_account", Some(password)).await?;
            return Err(IdentityError::LoginFailed);
        };
        let user_id: String = user.try_get("id")?;
        let stored: String = user.try_get("password_hash")?;
        let verified = self.hasher.verify(&stored, password).await?;
        let blocked_until: i64 = user.try_get("login_blocked_until_ms")?;
        let status: String = user.try_get("status")?;
        let now = now_ms();
        let failures: i64 = user.try_get("failed_logins")?;
        let reason = if !verified.ok {
            Some("wrong_password")
        } else if blocked_until > now {
            Some("delayed")
        } else if failures >= MAX_CONSECUTIVE_FAILURES {
            Some("too_many_failures_reset_required")
        } else if status != purpose.required_status() {
            Some("wrong_status")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.record_failure(Some(&user_id), client, reason, Some(password)).await?;
            return Err(IdentityError::LoginFailed);
        }
        if verified.needs_rehash {
            let fresh = self.hasher.hash(password).await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(fresh)
                .bind(&user_id)
                .execute(self.db.write_pool())
                .await?;
        }
        let challenge_id = new_id("lgn");
        let mut tx = self.db.begin_write().await?;
        close_open_challenges(&mut tx, &user_id).await?;
        sqlx::query("INSERT INTO login_challenges (id, purpose, user_id, expires_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(&challenge_id)
            .bind(purpose.as_str())
            .bind(&user_id)
            .bind(now + self.config.login_challenge_ttl_secs * 1000)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.commit_with_audit(
            tx,
            &user_id,
            format!("identity.{}.password_accepted", purpose.as_str()),
            &user_id,
            client,
            json!({ "ip": client.ip, "challenge": challenge_id }),
        )
        .await?;
        let factors = self.factors_of(&user_id).await?;
        let kind: String = user.try_get("kind")?;
        let enrolment_required = purpose == Purpose::Login && kind != "wallet" && !has_strong_factor(&factors);
        Ok(LoginChallenge {
            challenge_id,
            factors,
            expires_in_secs: self.config.login_challenge_ttl_secs,
            enrolment_required,
        })
    }

    /// Staff and operators who have no factor yet (the first operator, a new cashier): after
    /// the password, a session that can do nothing but enrol an authenticator app.
    pub async fn enrolment_session(
        &self,
        challenge_id: &str,
        client: &Client,
    ) -> Result<SessionCreated, IdentityError> {
        let now = now_ms();
        let row = sqlx::query(
            "SELECT c.user_id, u.kind FROM login_challenges c JOIN users u ON u.id = c.user_id
             WHERE c.id = $1 AND c.purpose = 'login' AND c.completed_at_ms IS NULL AND c.expires_at_ms > $2",
        )
        .bind(challenge_id)
        .bind(now)
        .fetch_optional(self.db.read_pool())
        .await?
        .ok_or(IdentityError::CodeDead)?;
        let user_id: String = row.try_get("user_id")?;
        let kind: String = row.try_get("kind")?;
        if kind == "wallet" || has_strong_factor(&self.factors_of(&user_id).await?) {
            return Err(IdentityError::CodeDead); // wallet users and enrolled staff use a factor
        }
        let mut tx = self.db.begin_write().await?;
        self.complete_challenge(&mut tx, challenge_id).await?;
        let (session, _) = self.open_session(&mut tx, &user_id, None, client, now, "enrol").await?;
        self.commit_with_audit(
            tx,
            &user_id,
            "identity.login.enrolment_session",
            &user_id,
            client,
            json!({ "ip": client.ip, "session": session.session_id }),
        )
        .await?;
        Ok(session)
    }

    /// Create an operator (analyst or admin) from the command line. Returns a generated initial
    /// password, shown once; the operator must enrol an authenticator app at first sign-in.
    pub async fn create_operator(&self, email: &str, legal_name: &str, role: &str) -> Result<String, IdentityError> {
        if !matches!(role, "analyst" | "admin") {
            return Err(IdentityError::Invalid {
                code: "role_invalid",
                message: "role must be analyst or admin".into(),
                param: "role",
            });
        }
        self.create_staff("operator", "", email, legal_name, role).await
    }

    /// Create a merchant staff member (owner, manager or cashier) of merchant `org_ref`. Like an
    /// operator, they must set up an authenticator app before anything else.
    pub async fn create_merchant_staff(
        &self,
        org_ref: &str,
        email: &str,
        legal_name: &str,
        role: &str,
    ) -> Result<String, IdentityError> {
        if !matches!(role, "owner" | "manager" | "cashier") {
            return Err(IdentityError::Invalid {
                code: "role_invalid",
                message: "role must be owner, manager or cashier".into(),
                param: "role",
            });
        }
        if org_ref.is_empty()
            || org_ref.len() > 64
            || !org_ref.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(IdentityError::Invalid {
                code: "merchant_invalid",
                message: "merchant must be 1 to 64 of [A-Za-z0-9_-]".into(),
                param: "merchant",
            });
        }
        self.create_staff("merchant_staff", org_ref, email, legal_name, role).await
    }

    async fn create_staff(
        &self,
        kind: &str,
        org_ref: &str,
        email: &str,
        legal_name: &str,
        role: &str,
    ) -> Result<String, IdentityError> {
        let email = Email::parse(email).map_err(invalid("email_invalid", "email"))?;
        let name = LegalName::parse(legal_name).map_err(invalid("legal_name_invalid", "legal_name"))?;
        let password = new_initial_password();
        let hash = self.hasher.hash(&password).await?;
        let user_id = new_id("usr");
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, kind, org_ref, role, email, phone, legal_name, date_of_birth, password_hash, status,
                email_verified_at_ms, phone_verified_at_ms, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, '', $6, '', $7, 'active', $8, 0, $8) ON CONFLICT (email) DO NOTHING",
        )
        .bind(&user_id)
        .bind(kind)
        .bind(org_ref)
        .bind(role)
        .bind(email.as_str())
        .bind(name.as_str())
        .bind(&hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            return Err(IdentityError::Conflict("an account with this e-mail address already exists"));
        }
        let event = AuditEvent::new("cli", format!("identity.{kind}.created"), &user_id)
            .details(json!({ "role": role, "org": org_ref }));
        audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(password)
    }

    /// Send a code by SMS to the verified phone, for any challenge. A re-send does not reset the
    /// attempts, which belong to the challenge.
    pub async fn send_challenge_sms(&self, challenge_id: &str, client: &Client) -> Result<(), IdentityError> {
        let now = now_ms();
        let row = sqlx::query(
            "SELECT c.user_id, c.purpose, u.phone FROM login_challenges c JOIN users u ON u.id = c.user_id
             WHERE c.id = $1 AND c.completed_at_ms IS NULL AND c.expires_at_ms > $2 AND c.attempts < $3",
        )
        .bind(challenge_id)
        .bind(now)
        .bind(i64::from(codes::MAX_ATTEMPTS))
        .fetch_optional(self.db.read_pool())
        .await?
        .ok_or(IdentityError::CodeDead)?;
        let user_id: String = row.try_get("user_id")?;
        let purpose: String = row.try_get("purpose")?;
        // The message doubles as a breach alarm: only someone with the password can trigger it.
        let (mut tx, sms_chl) = self
            .queue_sms_code(&user_id, &purpose, &row.try_get::<String, _>("phone")?, |code| {
                format!(
                    "Anshin code: {code}. If you did not just ask for it, someone knows your password: change it now."
                )
            })
            .await?;
        sqlx::query("UPDATE login_challenges SET sms_challenge_id = $1 WHERE id = $2")
            .bind(&sms_chl)
            .bind(challenge_id)
            .execute(&mut *tx)
            .await?;
        self.commit_with_audit(
            tx,
            &user_id,
            "identity.challenge.sms_sent",
            &user_id,
            client,
            json!({ "ip": client.ip, "challenge": challenge_id, "purpose": purpose }),
        )
        .await?;
        Ok(())
    }

    /// Second step of sign-in. At most five factor attempts per challenge, whatever the factor.
    pub async fn complete_login(
        &self,
        challenge_id: &str,
        factor: Factor,
        code: &str,
        device_token: Option<&str>,
        client: &Client,
    ) -> Result<SessionCreated, IdentityError> {
        let user_id = self.prove_factor(challenge_id, Purpose::Login, factor, code, client).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        self.complete_challenge(&mut tx, challenge_id).await?;
        sqlx::query("UPDATE users SET failed_logins = 0, login_blocked_until_ms = 0 WHERE id = $1")
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        let (session, new_device) = self.open_session(&mut tx, &user_id, device_token, client, now, "full").await?;
        let mut messages = Vec::new();
        if new_device {
            messages.push(OutboxMessage::email(
                self.email_of(&mut tx, &user_id).await?,
                "New sign-in to your Anshin account",
                format!(
                    "Your account was just signed in to from a device we had not seen before (address {}).\n\
                     If this was you, nothing to do. If not: lock your account from the Anshin site, then reset your password.",
                    client.ip
                ),
            ));
        }
        notify::enqueue(&self.db, &mut tx, &messages).await?;
        self.commit_with_audit(tx, &user_id, "identity.login.succeeded", &user_id, client, json!({ "ip": client.ip, "factor": factor.as_str(), "new_device": new_device, "session": session.session_id })).await?;
        Ok(session)
    }

    /// Self-service lock (a lost phone): password plus any one factor, from any device. Every
    /// session ends and the account can neither sign in nor pay until it is unlocked.
    pub async fn lock(
        &self,
        challenge_id: &str,
        factor: Factor,
        code: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let user_id = self.prove_factor(challenge_id, Purpose::Lock, factor, code, client).await?;
        let mut tx = self.db.begin_write().await?;
        self.complete_challenge(&mut tx, challenge_id).await?;
        sqlx::query("UPDATE users SET status = 'locked' WHERE id = $1").bind(&user_id).execute(&mut *tx).await?;
        let revoked = revoke_all_sessions(&mut tx, &user_id).await?;
        close_open_challenges(&mut tx, &user_id).await?;
        let (email, phone) = self.contacts_of(&mut tx, &user_id).await?;
        let messages = [
            OutboxMessage::email(
                email,
                "Your Anshin account is locked",
                "Your account was locked: every session was signed out, and no one can sign in or pay with it.\n\
                 To unlock it you will need your password and two of your second factors (or our support team).\n\
                 If you did not lock it, someone has your password and a factor: contact support now.",
            ),
            OutboxMessage {
                channel: Channel::Sms,
                recipient: phone,
                subject: String::new(),
                body: "Anshin: your account was locked and every session signed out. If this was not you, contact support now.".into(),
            },
        ];
        notify::enqueue(&self.db, &mut tx, &messages).await?;
        self.commit_with_audit(
            tx,
            &user_id,
            "identity.account.locked",
            &user_id,
            client,
            json!({ "ip": client.ip, "factor": factor.as_str(), "sessions_revoked": revoked }),
        )
        .await?;
        Ok(())
    }

    /// Unlock: password plus two different factors (the person, not just one stolen device).
    pub async fn unlock(
        &self,
        challenge_id: &str,
        proofs: &[(Factor, String)],
        client: &Client,
    ) -> Result<(), IdentityError> {
        let [(f1, c1), (f2, c2)] = proofs else {
            return Err(IdentityError::Invalid {
                code: "two_factors_required",
                message: "give two different second factors".into(),
                param: "factors",
            });
        };
        if f1 == f2 {
            return Err(IdentityError::Invalid {
                code: "two_factors_required",
                message: "give two different second factors".into(),
                param: "factors",
            });
        }
        let user_id = self.prove_factor(challenge_id, Purpose::Unlock, *f1, c1, client).await?;
        let second = self.prove_factor(challenge_id, Purpose::Unlock, *f2, c2, client).await?;
        debug_assert_eq!(user_id, second);
        let mut tx = self.db.begin_write().await?;
        self.complete_challenge(&mut tx, challenge_id).await?;
        sqlx::query("UPDATE users SET status = 'active', failed_logins = 0, login_blocked_until_ms = 0 WHERE id = $1 AND status = 'locked'")
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        let alert = OutboxMessage::email(
            self.email_of(&mut tx, &user_id).await?,
            "Your Anshin account was unlocked",
            "Your account was unlocked with your password and two second factors. You can sign in again.\n\
             If you did not unlock it, lock it again now and contact support.",
        );
        notify::enqueue(&self.db, &mut tx, &[alert]).await?;
        self.commit_with_audit(
            tx,
            &user_id,
            "identity.account.unlocked",
            &user_id,
            client,
            json!({ "ip": client.ip, "factors": [f1.as_str(), f2.as_str()] }),
        )
        .await?;
        Ok(())
    }

    /// Count an attempt on the challenge (at most five, whatever the factor), then check one factor.
    async fn prove_factor(
        &self,
        challenge_id: &str,
        purpose: Purpose,
        factor: Factor,
        code: &str,
        client: &Client,
    ) -> Result<String, IdentityError> {
        let counted = sqlx::query(
            "UPDATE login_challenges SET attempts = attempts + 1
             WHERE id = $1 AND purpose = $2 AND completed_at_ms IS NULL AND expires_at_ms > $3 AND attempts < $4
             RETURNING user_id, attempts, sms_challenge_id",
        )
        .bind(challenge_id)
        .bind(purpose.as_str())
        .bind(now_ms())
        .bind(i64::from(codes::MAX_ATTEMPTS))
        .fetch_optional(self.db.write_pool())
        .await?
        .ok_or(IdentityError::CodeDead)?;
        let user_id: String = counted.try_get("user_id")?;
        let attempts: i64 = counted.try_get("attempts")?;
        // The account's delay and state, and the source's limits, bind factor guesses as they
        // bind password guesses: many open challenges must not multiply the attempts.
        self.check_sources(client, None).await?;
        let account = sqlx::query("SELECT status, login_blocked_until_ms FROM users WHERE id = $1")
            .bind(&user_id)
            .fetch_one(self.db.read_pool())
            .await?;
        let blocked_until: i64 = account.try_get("login_blocked_until_ms")?;
        if blocked_until > now_ms() || account.try_get::<String, _>("status")? != purpose.required_status() {
            return Err(IdentityError::CodeDead);
        }
        let sms_challenge: Option<String> = counted.try_get("sms_challenge_id")?;
        let accepted = self.check_factor(&user_id, factor, code, sms_challenge.as_deref(), Some(challenge_id)).await?;
        if accepted {
            return Ok(user_id);
        }
        self.record_failure(Some(&user_id), client, &format!("wrong_{}", factor.as_str()), None).await?;
        let left = i64::from(codes::MAX_ATTEMPTS) - attempts;
        Err(if left > 0 { IdentityError::CodeRejected { attempts_left: left } } else { IdentityError::CodeDead })
    }

    async fn complete_challenge(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        challenge_id: &str,
    ) -> Result<(), IdentityError> {
        let done =
            sqlx::query("UPDATE login_challenges SET completed_at_ms = $1 WHERE id = $2 AND completed_at_ms IS NULL")
                .bind(now_ms())
                .bind(challenge_id)
                .execute(&mut **tx)
                .await?;
        if done.rows_affected() != 1 {
            return Err(IdentityError::CodeDead); // completed concurrently
        }
        Ok(())
    }

    async fn email_of(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        user_id: &str,
    ) -> Result<String, IdentityError> {
        Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(user_id).fetch_one(&mut **tx).await?)
    }

    async fn contacts_of(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        user_id: &str,
    ) -> Result<(String, String), IdentityError> {
        let r = sqlx::query("SELECT email, phone FROM users WHERE id = $1").bind(user_id).fetch_one(&mut **tx).await?;
        Ok((r.try_get("email")?, r.try_get("phone")?))
    }

    // ---- passkeys -----------------------------------------------------------------------

    /// Begin adding a passkey (needs a recent factor, like any factor change).
    pub async fn start_passkey_registration(
        &self,
        who: &Principal,
    ) -> Result<super::passkeys::PasskeyOptions, IdentityError> {
        self.require_fresh(who)?;
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(&who.user_id)
            .fetch_one(self.db.read_pool())
            .await?;
        super::passkeys::start_registration(&self.db, &self.rp, &who.user_id, &email).await
    }

    /// Store the new passkey; the account is told, and an enrolment-only session becomes full.
    pub async fn finish_passkey_registration(
        &self,
        who: &Principal,
        challenge_id: &str,
        credential: &serde_json::Value,
        client: &Client,
    ) -> Result<String, IdentityError> {
        self.require_fresh(who)?;
        let credential_id =
            super::passkeys::finish_registration(&self.db, &self.rp, &who.user_id, challenge_id, credential).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE sessions SET scope = 'full', authenticated_at_ms = $1 WHERE id = $2 AND scope = 'enrol'")
            .bind(now)
            .bind(&who.session_id)
            .execute(&mut *tx)
            .await?;
        let alert = OutboxMessage::email(
            self.email_of(&mut tx, &who.user_id).await?,
            "A passkey was added to your Anshin account",
            "A passkey was just added as a second factor.\n\
             If this was not you: lock your account from the Anshin site now, then contact support.",
        );
        notify::enqueue(&self.db, &mut tx, &[alert]).await?;
        self.commit_with_audit(
            tx,
            &who.user_id,
            "identity.factor.added",
            &who.user_id,
            client,
            json!({ "factor": "passkey", "ip": client.ip }),
        )
        .await?;
        Ok(credential_id)
    }

    /// WebAuthn options to answer a sign-in (or lock, unlock) challenge with a passkey.
    pub async fn passkey_options(&self, challenge_id: &str) -> Result<super::passkeys::PasskeyOptions, IdentityError> {
        let user_id: String = sqlx::query_scalar(
            "SELECT user_id FROM login_challenges WHERE id = $1 AND completed_at_ms IS NULL AND expires_at_ms > $2 AND attempts < $3",
        )
        .bind(challenge_id)
        .bind(now_ms())
        .bind(i64::from(codes::MAX_ATTEMPTS))
        .fetch_optional(self.db.read_pool())
        .await?
        .ok_or(IdentityError::CodeDead)?;
        super::passkeys::start_authentication(&self.db, &self.rp, &user_id, challenge_id).await
    }

    // ---- step-up ------------------------------------------------------------------------

    /// Ask the signed-in user for a factor before `action` (adding a card, a large top-up, a
    /// transfer, a new payee, a contact or factor change). The challenge is bound to this session
    /// and this action.
    pub async fn start_step_up(
        &self,
        who: &Principal,
        action: &str,
        client: &Client,
    ) -> Result<LoginChallenge, IdentityError> {
        if action.is_empty() || action.len() > 100 || !action.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(IdentityError::Invalid {
                code: "action_invalid",
                message: "action must be 1 to 100 visible characters".into(),
                param: "action",
            });
        }
        let challenge_id = new_id("lgn");
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        close_open_challenges(&mut tx, &who.user_id).await?;
        sqlx::query(
            "INSERT INTO login_challenges (id, purpose, session_id, action, user_id, expires_at_ms, created_at_ms)
             VALUES ($1, 'step_up', $2, $3, $4, $5, $6)",
        )
        .bind(&challenge_id)
        .bind(&who.session_id)
        .bind(action)
        .bind(&who.user_id)
        .bind(now + self.config.login_challenge_ttl_secs * 1000)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.commit_with_audit(
            tx,
            &who.user_id,
            "identity.step_up.requested",
            &who.session_id,
            client,
            json!({ "ip": client.ip, "action": action, "challenge": challenge_id }),
        )
        .await?;
        Ok(LoginChallenge {
            challenge_id,
            factors: self.factors_of(&who.user_id).await?,
            expires_in_secs: self.config.login_challenge_ttl_secs,
            enrolment_required: false,
        })
    }

    /// Complete a step-up: the session's token is reissued (the old one stops working) and the
    /// session counts as freshly authenticated.
    pub async fn complete_step_up(
        &self,
        who: &Principal,
        challenge_id: &str,
        factor: Factor,
        code: &str,
        client: &Client,
    ) -> Result<SteppedUp, IdentityError> {
        let bound: Option<String> = sqlx::query_scalar(
            "SELECT action FROM login_challenges WHERE id = $1 AND session_id = $2 AND purpose = 'step_up'",
        )
        .bind(challenge_id)
        .bind(&who.session_id)
        .fetch_optional(self.db.read_pool())
        .await?;
        let action = bound.ok_or(IdentityError::CodeDead)?; // another session's challenge is no use here
        let user_id = self.prove_factor(challenge_id, Purpose::StepUp, factor, code, client).await?;
        debug_assert_eq!(user_id, who.user_id);
        let now = now_ms();
        let token = format!("{}{}", random_hex_128(), random_hex_128());
        let mut tx = self.db.begin_write().await?;
        self.complete_challenge(&mut tx, challenge_id).await?;
        let done = sqlx::query("UPDATE sessions SET token_hash = $1, authenticated_at_ms = $2, last_seen_at_ms = $2 WHERE id = $3 AND revoked_at_ms IS NULL")
            .bind(token_hash(&token))
            .bind(now)
            .bind(&who.session_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(IdentityError::Unauthenticated);
        }
        self.commit_with_audit(
            tx,
            &who.user_id,
            "identity.step_up.completed",
            &who.session_id,
            client,
            json!({ "ip": client.ip, "action": action, "factor": factor.as_str() }),
        )
        .await?;
        Ok(SteppedUp { token, session_id: who.session_id.clone(), action, authenticated_at_ms: now })
    }

    // ---- password reset -----------------------------------------------------------------

    /// Ask for a reset. The link goes only to the address already verified on the account
    /// (whatever else the request says), and the answer is the same for unknown addresses.
    pub async fn request_password_reset(&self, email: &str, client: &Client) -> Result<ResetRequested, IdentityError> {
        let answer = ResetRequested { status: "sent_if_the_account_exists" };
        self.throttle(&format!("reset:ip:{}", client.ip), 3600, self.config.resets_per_ip_per_hour).await?;
        let Ok(email) = Email::parse(email) else {
            return Ok(answer);
        };
        self.throttle(&format!("reset:email:{}", email.as_str()), 3600, self.config.resets_per_email_per_hour).await?;
        let user = sqlx::query("SELECT id, email FROM users WHERE email = $1 AND status = 'active'")
            .bind(email.as_str())
            .fetch_optional(self.db.read_pool())
            .await?;
        let Some(user) = user else {
            // The same durable write as for a real account, so timing does not tell them apart.
            let event = AuditEvent::new("anonymous", "identity.password_reset.unknown_address", "-")
                .request_id(client.request_id.clone())
                .details(json!({ "ip": client.ip }));
            audit::record(&self.db, event).await?;
            return Ok(answer);
        };
        let user_id: String = user.try_get("id")?;
        let verified_email: String = user.try_get("email")?;
        let token = format!("{}{}", random_hex_128(), random_hex_128());
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        sqlx::query("INSERT INTO password_resets (id, user_id, token_hash, expires_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(new_id("rst"))
            .bind(&user_id)
            .bind(token_hash(&token))
            .bind(now + self.config.reset_ttl_secs * 1000)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let mail = OutboxMessage::email(
            verified_email,
            "Reset your Anshin password",
            format!(
                "Someone (we hope you) asked to reset the password of your Anshin account.\n\
                 Your reset key is:\n\n{token}\n\n\
                 It is valid for {} minutes and also needs a code from your phone or authenticator app.\n\
                 If you did not ask for this, ignore this message: your password stays as it is.",
                self.config.reset_ttl_secs / 60
            ),
        );
        notify::enqueue(&self.db, &mut tx, &[mail]).await?;
        self.commit_with_audit(
            tx,
            &user_id,
            "identity.password_reset.requested",
            &user_id,
            client,
            json!({ "ip": client.ip }),
        )
        .await?;
        Ok(answer)
    }

    /// Send the reset's SMS code to the account's verified phone.
    pub async fn send_reset_sms(&self, token: &str, client: &Client) -> Result<(), IdentityError> {
        let now = now_ms();
        let row = sqlx::query(
            "SELECT r.id, r.user_id, u.phone FROM password_resets r JOIN users u ON u.id = r.user_id
             WHERE r.token_hash = $1 AND r.used_at_ms IS NULL AND r.expires_at_ms > $2 AND r.attempts < $3",
        )
        .bind(token_hash(token))
        .bind(now)
        .bind(i64::from(codes::MAX_ATTEMPTS))
        .fetch_optional(self.db.read_pool())
        .await?
        .ok_or(IdentityError::CodeDead)?;
        let user_id: String = row.try_get("user_id")?;
        let (mut tx, sms_chl) = self
            .queue_sms_code(&user_id, "password_reset", &row.try_get::<String, _>("phone")?, |code| {
                format!("Anshin password reset code: {code}. If you did not ask to reset your password, do not share it; contact support.")
            })
            .await?;
        sqlx::query("UPDATE password_resets SET sms_challenge_id = $1 WHERE id = $2")
            .bind(&sms_chl)
            .bind(row.try_get::<String, _>("id")?)
            .execute(&mut *tx)
            .await?;
        self.commit_with_audit(
            tx,
            &user_id,
            "identity.password_reset.sms_sent",
            &user_id,
            client,
            json!({ "ip": client.ip }),
        )
        .await?;
        Ok(())
    }

    /// Set a new password with the e-mailed key and a second factor. Every session ends; the
    /// next sign-in still asks for a second factor.
    pub async fn complete_password_reset(
        &self,
        token: &str,
        new_password: &str,
        factor: Factor,
        code: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let now = now_ms();
        let counted = sqlx::query(
            "UPDATE password_resets SET attempts = attempts + 1
             WHERE token_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $2 AND attempts < $3
             RETURNING id, user_id, attempts, sms_challenge_id",
        )
        .bind(token_hash(token))
        .bind(now)
        .bind(i64::from(codes::MAX_ATTEMPTS))
        .fetch_optional(self.db.write_pool())
        .await?
        .ok_or(IdentityError::CodeDead)?;
        let reset_id: String = counted.try_get("id")?;
        let user_id: String = counted.try_get("user_id")?;
        let attempts: i64 = counted.try_get("attempts")?;
        let user = sqlx::query("SELECT email, phone, legal_name, date_of_birth FROM users WHERE id = $1")
            .bind(&user_id)
            .fetch_one(self.db.read_pool())
            .await?;
        let mut context = PasswordContext::new()
            .email(&user.try_get::<String, _>("email")?)
            .name(&user.try_get::<String, _>("legal_name")?)
            .phone(&user.try_get::<String, _>("phone")?);
        // Staff and operators have no birth date of record.
        if let Ok(dob) = BirthDate::parse(&user.try_get::<String, _>("date_of_birth")?, today_utc()) {
            context = context.birth_date(dob.year, dob.month, dob.day);
        }
        self.check_new_password(new_password, &context).await?;
        let sms_challenge: Option<String> = counted.try_get("sms_challenge_id")?;
        // A reset's factors: SMS, app or recovery code (no passkey challenge is bound to a reset).
        let accepted = self.check_factor(&user_id, factor, code, sms_challenge.as_deref(), None).await?;
        if !accepted {
            let left = i64::from(codes::MAX_ATTEMPTS) - attempts;
            return Err(if left > 0 {
                IdentityError::CodeRejected { attempts_left: left }
            } else {
                IdentityError::CodeDead
            });
        }
        let hash = self.hasher.hash(new_password).await?;
        let mut tx = self.db.begin_write().await?;
        let used = sqlx::query("UPDATE password_resets SET used_at_ms = $1 WHERE id = $2 AND used_at_ms IS NULL")
            .bind(now)
            .bind(&reset_id)
            .execute(&mut *tx)
            .await?;
        if used.rows_affected() != 1 {
            return Err(IdentityError::CodeDead);
        }
        sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, login_blocked_until_ms = 0 WHERE id = $2")
            .bind(&hash)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        // Other outstanding reset keys die with the old password.
        sqlx::query("UPDATE password_resets SET used_at_ms = $1 WHERE user_id = $2 AND used_at_ms IS NULL")
            .bind(now)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        let revoked = revoke_all_sessions(&mut tx, &user_id).await?;
        close_open_challenges(&mut tx, &user_id).await?;
        let (email, phone) = self.contacts_of(&mut tx, &user_id).await?;
        let alerts = [
            OutboxMessage::email(
                email,
                "Your Anshin password was changed",
                "The password of your Anshin account was just changed, and every session was signed out.\n\
                 If this was not you: lock your account from the Anshin site now and contact support.",
            ),
            OutboxMessage {
                channel: Channel::Sms,
                recipient: phone,
                subject: String::new(),
                body:
                    "Anshin: your password was changed. If this was not you, lock your account now and contact support."
                        .into(),
            },
        ];
        notify::enqueue(&self.db, &mut tx, &alerts).await?;
        self.commit_with_audit(
            tx,
            &user_id,
            "identity.password_reset.completed",
            &user_id,
            client,
            json!({ "ip": client.ip, "factor": factor.as_str(), "sessions_revoked": revoked }),
        )
        .await?;
        Ok(())
    }

    // ---- account changes ----------------------------------------------------------------

    /// Change the password (needs a recent factor and the current password). Every session ends.
    pub async fn change_password(
        &self,
        who: &Principal,
        current: &str,
        new_password: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        self.require_fresh(who)?;
        let user =
            sqlx::query("SELECT kind, email, phone, legal_name, date_of_birth, password_hash FROM users WHERE id = $1")
                .bind(&who.user_id)
                .fetch_one(self.db.read_pool())
                .await?;
        if !self.hasher.verify(&user.try_get::<String, _>("password_hash")?, current).await?.ok {
            return Err(IdentityError::LoginFailed);
        }
        let mut context = PasswordContext::new()
            .email(&user.try_get::<String, _>("email")?)
            .name(&user.try_get::<String, _>("legal_name")?)
            .phone(&user.try_get::<String, _>("phone")?);
        if let Ok(dob) = BirthDate::parse(&user.try_get::<String, _>("date_of_birth")?, today_utc()) {
            context = context.birth_date(dob.year, dob.month, dob.day);
        }
        self.check_new_password(new_password, &context).await?;
        let hash = self.hasher.hash(new_password).await?;
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(&who.user_id)
            .execute(&mut *tx)
            .await?;
        let revoked = revoke_all_sessions(&mut tx, &who.user_id).await?;
        close_open_challenges(&mut tx, &who.user_id).await?;
        self.alert(
            &mut tx,
            &who.user_id,
            "Your Anshin password was changed",
            "The password of your Anshin account was just changed, and every session was signed out.",
        )
        .await?;
        self.commit_with_audit(
            tx,
            &who.user_id,
            "identity.password.changed",
            &who.user_id,
            client,
            json!({ "ip": client.ip, "sessions_revoked": revoked }),
        )
        .await?;
        Ok(())
    }

    /// Remove the authenticator app (needs a recent factor). Every session ends. Staff and
    /// operators cannot remove their last factor.
    pub async fn remove_totp(&self, who: &Principal, client: &Client) -> Result<(), IdentityError> {
        self.require_fresh(who)?;
        let factors = self.factors_of(&who.user_id).await?;
        if who.kind != "wallet" && !factors.contains(&"passkey") {
            return Err(IdentityError::Conflict("staff and operators must keep a second factor: add a passkey first"));
        }
        let mut tx = self.db.begin_write().await?;
        let removed =
            sqlx::query("DELETE FROM totp_factors WHERE user_id = $1").bind(&who.user_id).execute(&mut *tx).await?;
        if removed.rows_affected() == 0 {
            return Err(IdentityError::Conflict("no authenticator app is set up"));
        }
        let revoked = revoke_all_sessions(&mut tx, &who.user_id).await?;
        close_open_challenges(&mut tx, &who.user_id).await?;
        self.alert(
            &mut tx,
            &who.user_id,
            "An authenticator app was removed from your Anshin account",
            "The authenticator app was removed as a second factor, and every session was signed out.",
        )
        .await?;
        self.commit_with_audit(
            tx,
            &who.user_id,
            "identity.factor.removed",
            &who.user_id,
            client,
            json!({ "factor": "totp", "ip": client.ip, "sessions_revoked": revoked }),
        )
        .await?;
        Ok(())
    }

    /// Start changing the e-mail address or phone (needs a recent factor): a code goes to the new
    /// contact, and the old one is told at once.
    pub async fn start_contact_change(
        &self,
        who: &Principal,
        channel: &str,
        new_value: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        self.require_fresh(who)?;
        let (new_value, send_channel) = match channel {
            "email" => (
                Email::parse(new_value).map_err(invalid("email_invalid", "value"))?.as_str().to_owned(),
                Channel::Email,
            ),
            "phone" => {
                (Phone::parse(new_value).map_err(invalid("phone_invalid", "value"))?.as_str().to_owned(), Channel::Sms)
            }
            _ => {
                return Err(IdentityError::Invalid {
                    code: "channel_invalid",
                    message: "channel must be email or phone".into(),
                    param: "channel",
                });
            }
        };
        self.throttle(&format!("contact-change:user:{}", who.user_id), 3600, 5).await?;
        let now = now_ms();
        let challenge_id = new_id("chl");
        let code = issue_for(&self.keys, &challenge_id);
        let mut tx = self.db.begin_write().await?;
        insert_challenge(
            &mut tx,
            &challenge_id,
            &format!("change_{channel}"),
            &who.user_id,
            channel,
            &code.hash,
            now + codes::MAX_TTL_SECS * 1000,
        )
        .await?;
        sqlx::query(
            "INSERT INTO contact_changes (id, user_id, channel, new_value, challenge_id, expires_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id("cch"))
        .bind(&who.user_id)
        .bind(channel)
        .bind(&new_value)
        .bind(&challenge_id)
        .bind(now + codes::MAX_TTL_SECS * 1000)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let to_new = OutboxMessage {
            channel: send_channel,
            recipient: new_value.clone(),
            subject: "Confirm your new contact for Anshin".into(),
            body: format!(
                "Anshin: your code to confirm this {channel} is {}. If you did not ask for it, ignore this message.",
                code.plain
            ),
        };
        notify::enqueue(&self.db, &mut tx, &[to_new]).await?;
        self.alert(
            &mut tx,
            &who.user_id,
            "Your Anshin contact details are being changed",
            &format!("Someone signed in to your account asked to change its {channel}. Money cannot leave the wallet for 72 hours after such a change."),
        )
        .await?;
        self.commit_with_audit(
            tx,
            &who.user_id,
            "identity.contact_change.requested",
            &who.user_id,
            client,
            json!({ "channel": channel, "ip": client.ip }),
        )
        .await?;
        Ok(())
    }

    /// Confirm the change with the code sent to the new contact. Both contacts are told, and
    /// money may not leave the wallet during the cooling-off period.
    pub async fn confirm_contact_change(
        &self,
        who: &Principal,
        channel: &str,
        code: &str,
        client: &Client,
    ) -> Result<i64, IdentityError> {
        self.require_fresh(who)?;
        let now = now_ms();
        let row = sqlx::query(
            "SELECT id, new_value, challenge_id FROM contact_changes
             WHERE user_id = $1 AND channel = $2 AND completed_at_ms IS NULL AND expires_at_ms > $3 ORDER BY created_at_ms DESC LIMIT 1",
        )
        .bind(&who.user_id)
        .bind(channel)
        .bind(now)
        .fetch_optional(self.db.read_pool())
        .await?
        .ok_or(IdentityError::CodeDead)?;
        match self.use_code(&row.try_get::<String, _>("challenge_id")?, code).await? {
            CodeOutcome::Accepted => {}
            CodeOutcome::Wrong(left) => {
                return Err(IdentityError::CodeRejected { attempts_left: left });
            }
            CodeOutcome::Dead => return Err(IdentityError::CodeDead),
        }
        let new_value: String = row.try_get("new_value")?;
        let blocked_until = now + self.config.contact_change_cooling_off_secs * 1000;
        let (old_email, old_phone) = {
            let r = sqlx::query("SELECT email, phone FROM users WHERE id = $1")
                .bind(&who.user_id)
                .fetch_one(self.db.read_pool())
                .await?;
            (r.try_get::<String, _>("email")?, r.try_get::<String, _>("phone")?)
        };
        let mut tx = self.db.begin_write().await?;
        let column_sql = match channel {
            "email" => {
                "UPDATE users SET email = $1, email_verified_at_ms = $2, money_out_blocked_until_ms = $3 WHERE id = $4"
            }
            _ => {
                "UPDATE users SET phone = $1, phone_verified_at_ms = $2, money_out_blocked_until_ms = $3 WHERE id = $4"
            }
        };
        let updated = sqlx::query(column_sql)
            .bind(&new_value)
            .bind(now)
            .bind(blocked_until)
            .bind(&who.user_id)
            .execute(&mut *tx)
            .await;
        if let Err(e) = updated {
            return Err(if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                IdentityError::Conflict("that address belongs to another account")
            } else {
                e.into()
            });
        }
        sqlx::query("UPDATE contact_changes SET completed_at_ms = $1 WHERE id = $2")
            .bind(now)
            .bind(row.try_get::<String, _>("id")?)
            .execute(&mut *tx)
            .await?;
        let text = format!(
            "The {channel} of your Anshin account was changed. For 72 hours money cannot leave the wallet.\n\
             If this was not you: lock your account from the Anshin site now and contact support."
        );
        let old = if channel == "email" {
            OutboxMessage::email(old_email, "Your Anshin e-mail address was changed", text.clone())
        } else {
            OutboxMessage { channel: Channel::Sms, recipient: old_phone, subject: String::new(), body: text.clone() }
        };
        notify::enqueue(&self.db, &mut tx, &[old]).await?;
        self.alert(&mut tx, &who.user_id, "Your Anshin contact details were changed", &text).await?;
        self.commit_with_audit(
            tx,
            &who.user_id,
            "identity.contact_change.completed",
            &who.user_id,
            client,
            json!({ "channel": channel, "ip": client.ip, "money_out_blocked_until_ms": blocked_until }),
        )
        .await?;
        Ok(blocked_until)
    }

    /// An operator ends every session of a user (a suspected takeover).
    pub async fn revoke_all_for(
        &self,
        operator: &Principal,
        user_id: &str,
        client: &Client,
    ) -> Result<u64, IdentityError> {
        if operator.kind != "operator" || !operator.is_full() {
            return Err(IdentityError::Forbidden);
        }
        let mut tx = self.db.begin_write().await?;
        let revoked = revoke_all_sessions(&mut tx, user_id).await?;
        self.commit_with_audit(
            tx,
            &operator.user_id,
            "ops.user.sessions_revoked",
            user_id,
            client,
            json!({ "ip": client.ip, "sessions_revoked": revoked, "operator_role": operator.role }),
        )
        .await?;
        Ok(revoked)
    }

    /// An operator (admin) unlocks an account after reviewing the owner's identity outside the
    /// system (the owner's "operator review" path when two factors are not at hand).
    pub async fn unlock_by_operator(
        &self,
        operator: &Principal,
        user_id: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        if operator.kind != "operator" || operator.role != "admin" || !operator.is_full() {
            return Err(IdentityError::Forbidden);
        }
        self.require_fresh(operator)?;
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET status = 'active', failed_logins = 0, login_blocked_until_ms = 0 WHERE id = $1 AND status = 'locked'",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(IdentityError::Conflict("that account is not locked"));
        }
        self.alert(
            &mut tx,
            user_id,
            "Your Anshin account was unlocked by our support team",
            "Our support team unlocked your account after checking your identity.",
        )
        .await?;
        self.commit_with_audit(tx, &operator.user_id, "ops.user.unlocked", user_id, client, json!({ "ip": client.ip }))
            .await?;
        Ok(())
    }

    /// Check one factor's proof; each kind uses itself up (SMS code, TOTP step, recovery code,
    /// passkey assertion) so it cannot be replayed. `passkey_challenge` binds a passkey assertion.
    async fn check_factor(
        &self,
        user_id: &str,
        factor: Factor,
        code: &str,
        sms_challenge: Option<&str>,
        passkey_challenge: Option<&str>,
    ) -> Result<bool, IdentityError> {
        Ok(match (factor, sms_challenge, passkey_challenge) {
            (Factor::Totp, ..) => self.use_totp(user_id, code).await?,
            (Factor::Sms, Some(chl), _) => matches!(self.use_code(chl, code).await?, CodeOutcome::Accepted),
            (Factor::RecoveryCode, ..) => self.use_recovery_code(user_id, code).await?,
            (Factor::Passkey, _, Some(challenge_id)) => {
                super::passkeys::verify(&self.db, &self.rp, user_id, challenge_id, code).await?
            }
            (Factor::Sms, None, _) | (Factor::Passkey, _, None) => false,
        })
    }

    /// Within the account's SMS limit, issue a code bound to a new challenge and queue it to
    /// `phone`. Returns the open transaction, for the caller to link the challenge and commit
    /// with its audit record, and the challenge id.
    async fn queue_sms_code(
        &self,
        user_id: &str,
        purpose: &str,
        phone: &str,
        text: impl FnOnce(&str) -> String,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Any>, String), IdentityError> {
        self.throttle(&format!("sms:user:{user_id}"), 3600, self.config.sms_per_account_per_hour).await?;
        let challenge_id = new_id("chl");
        let code = issue_for(&self.keys, &challenge_id);
        let mut tx = self.db.begin_write().await?;
        let expires_at_ms = now_ms() + codes::MAX_TTL_SECS * 1000;
        insert_challenge(&mut tx, &challenge_id, purpose, user_id, "sms", &code.hash, expires_at_ms).await?;
        let sms = OutboxMessage {
            channel: Channel::Sms,
            recipient: phone.to_owned(),
            subject: String::new(),
            body: text(&code.plain),
        };
        notify::enqueue(&self.db, &mut tx, &[sms]).await?;
        Ok((tx, challenge_id))
    }

    /// Write the audit record of an identity event and commit the transaction it belongs to.
    async fn commit_with_audit(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        actor: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
        client: &Client,
        details: serde_json::Value,
    ) -> Result<(), IdentityError> {
        let event = AuditEvent::new(actor, action, target).request_id(client.request_id.clone()).details(details);
        audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A security alert to the account's e-mail address, saying what to do if it was not them.
    async fn alert(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        user_id: &str,
        subject: &str,
        what: &str,
    ) -> Result<(), IdentityError> {
        let email = self.email_of(tx, user_id).await?;
        let body =
            format!("{what}\nIf this was not you: lock your account from the Anshin site now and contact support.");
        notify::enqueue(&self.db, tx, &[OutboxMessage::email(email, subject, body)]).await?;
        Ok(())
    }

    // ---- sessions -----------------------------------------------------------------------

    /// The principal behind a bearer token, if the session is live. Sliding idle expiry.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, IdentityError> {
        let now = now_ms();
        let row = sqlx::query(
            "SELECT s.id, s.user_id, s.last_seen_at_ms, s.expires_at_ms, s.idle_timeout_ms, s.authenticated_at_ms, s.scope, u.kind, u.role
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.revoked_at_ms IS NULL AND u.status = 'active'",
        )
        .bind(token_hash(token))
        .fetch_optional(self.db.read_pool())
        .await?
        .ok_or(IdentityError::Unauthenticated)?;
        let last_seen: i64 = row.try_get("last_seen_at_ms")?;
        let idle: i64 = row.try_get("idle_timeout_ms")?;
        let expires: i64 = row.try_get("expires_at_ms")?;
        if now >= expires || now - last_seen >= idle {
            return Err(IdentityError::Unauthenticated);
        }
        let session_id: String = row.try_get("id")?;
        // Refresh "last seen" at most once a minute: a write per request would cost more than it tells.
        if now - last_seen > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at_ms = $1 WHERE id = $2")
                .bind(now)
                .bind(&session_id)
                .execute(self.db.write_pool())
                .await?;
        }
        Ok(Principal {
            user_id: row.try_get("user_id")?,
            session_id,
            authenticated_at_ms: row.try_get("authenticated_at_ms")?,
            kind: row.try_get("kind")?,
            role: row.try_get("role")?,
            scope: row.try_get("scope")?,
        })
    }

    pub async fn logout(&self, who: &Principal, client: &Client) -> Result<(), IdentityError> {
        self.revoke(who, &who.session_id, client).await
    }

    pub async fn sessions(&self, who: &Principal) -> Result<Vec<SessionInfo>, IdentityError> {
        let rows = sqlx::query(
            "SELECT id, device_id, created_at_ms, last_seen_at_ms, ip, user_agent FROM sessions
             WHERE user_id = $1 AND revoked_at_ms IS NULL AND expires_at_ms > $2 ORDER BY created_at_ms DESC LIMIT 100",
        )
        .bind(&who.user_id)
        .bind(now_ms())
        .fetch_all(self.db.read_pool())
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(SessionInfo {
                    current: id == who.session_id,
                    session_id: id,
                    device_id: r.try_get("device_id")?,
                    created_at_ms: r.try_get("created_at_ms")?,
                    last_seen_at_ms: r.try_get("last_seen_at_ms")?,
                    ip: r.try_get("ip")?,
                    user_agent: r.try_get("user_agent")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// End one of the user's own sessions (another device's, or this one).
    pub async fn revoke(&self, who: &Principal, session_id: &str, client: &Client) -> Result<(), IdentityError> {
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at_ms = $1 WHERE id = $2 AND user_id = $3 AND revoked_at_ms IS NULL",
        )
        .bind(now_ms())
        .bind(session_id)
        .bind(&who.user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(IdentityError::Invalid {
                code: "session_not_found",
                message: "no such session".into(),
                param: "session_id",
            });
        }
        self.commit_with_audit(
            tx,
            &who.user_id,
            "identity.session.revoked",
            session_id,
            client,
            json!({ "ip": client.ip, "by_session": who.session_id }),
        )
        .await?;
        Ok(())
    }

    pub async fn profile(&self, who: &Principal) -> Result<Profile, IdentityError> {
        let r = sqlx::query(
            "SELECT id, email, phone, legal_name, date_of_birth, money_out_blocked_until_ms FROM users WHERE id = $1",
        )
        .bind(&who.user_id)
        .fetch_one(self.db.read_pool())
        .await?;
        Ok(Profile {
            user_id: r.try_get("id")?,
            email: r.try_get("email")?,
            phone: r.try_get("phone")?,
            legal_name: r.try_get("legal_name")?,
            date_of_birth: r.try_get("date_of_birth")?,
            factors: self.factors_of(&who.user_id).await?,
            money_out_blocked_until_ms: r.try_get("money_out_blocked_until_ms")?,
        })
    }

    // ---- TOTP ---------------------------------------------------------------------------

    /// Begin adding an authenticator app. Needs a factor used in the last few minutes.
    pub async fn start_totp(&self, who: &Principal) -> Result<TotpEnrolment, IdentityError> {
        self.require_fresh(who)?;
        let active: Option<String> =
            sqlx::query_scalar("SELECT status FROM totp_factors WHERE user_id = $1 AND status = 'active'")
                .bind(&who.user_id)
                .fetch_optional(self.db.read_pool())
                .await?;
        if active.is_some() {
            return Err(IdentityError::Conflict("an authenticator app is already set up; remove it first"));
        }
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(&who.user_id)
            .fetch_one(self.db.read_pool())
            .await?;
        let secret = totp::new_secret();
        let sealed = self.keys.seal(&secret, &who.user_id);
        sqlx::query(
            "INSERT INTO totp_factors (user_id, secret_enc, status, created_at_ms) VALUES ($1, $2, 'pending', $3)
             ON CONFLICT (user_id) DO UPDATE SET secret_enc = $2, status = 'pending', last_used_step = NULL, created_at_ms = $3",
        )
        .bind(&who.user_id)
        .bind(sealed)
        .bind(now_ms())
        .execute(self.db.write_pool())
        .await?;
        Ok(TotpEnrolment {
            secret: totp::secret_base32(&secret),
            otpauth_url: totp::enrolment_url(&secret, &email).map_err(|e| IdentityError::Internal(e.to_string()))?,
        })
    }

    /// Confirm the app with a code from it. Returns fresh recovery codes (shown once).
    pub async fn confirm_totp(
        &self,
        who: &Principal,
        code: &str,
        client: &Client,
    ) -> Result<RecoveryCodes, IdentityError> {
        self.require_fresh(who)?;
        let sealed: String =
            sqlx::query_scalar("SELECT secret_enc FROM totp_factors WHERE user_id = $1 AND status = 'pending'")
                .bind(&who.user_id)
                .fetch_optional(self.db.read_pool())
                .await?
                .ok_or(IdentityError::Conflict("start adding an authenticator app first"))?;
        let secret = self.keys.open(&sealed, &who.user_id).map_err(|e| IdentityError::Internal(e.to_string()))?;
        let now = now_ms();
        let step = totp::verify(&secret, code, u64::try_from(now / 1000).unwrap_or(0), None)
            .map_err(|_| IdentityError::CodeRejected { attempts_left: 1 })?;
        let recovery: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(&who.user_id)
            .fetch_one(self.db.read_pool())
            .await?;
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "UPDATE totp_factors SET status = 'active', last_used_step = $1 WHERE user_id = $2 AND status = 'pending'",
        )
        .bind(i64::try_from(step).unwrap_or(i64::MAX))
        .bind(&who.user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(&who.user_id).execute(&mut *tx).await?;
        // An enrolment-only session has now proved a factor: it becomes a full one.
        sqlx::query("UPDATE sessions SET scope = 'full', authenticated_at_ms = $1 WHERE id = $2 AND scope = 'enrol'")
            .bind(now)
            .bind(&who.session_id)
            .execute(&mut *tx)
            .await?;
        for code in &recovery {
            sqlx::query("INSERT INTO recovery_codes (code_hash, user_id, created_at_ms) VALUES ($1, $2, $3)")
                .bind(token_hash(&normalize_recovery(code)))
                .bind(&who.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        let alert = OutboxMessage::email(
            email,
            "An authenticator app was added to your Anshin account",
            "An authenticator app was just added as a second factor, and new recovery codes were made.\n\
             If this was not you: lock your account from the Anshin site now, then contact support.",
        );
        notify::enqueue(&self.db, &mut tx, &[alert]).await?;
        self.commit_with_audit(
            tx,
            &who.user_id,
            "identity.factor.added",
            &who.user_id,
            client,
            json!({ "factor": "totp", "ip": client.ip, "recovery_codes": RECOVERY_CODES }),
        )
        .await?;
        Ok(RecoveryCodes { recovery_codes: recovery })
    }

    // ---- helpers ------------------------------------------------------------------------

    /// The local rules, then (if configured) the breach corpus. An unreachable breach service
    /// does not block the person: the local rules already refuse the common passwords.
    async fn check_new_password(&self, password: &str, context: &PasswordContext) -> Result<(), IdentityError> {
        password::check(password, context, true).map_err(IdentityError::Password)?;
        if let Some(breach) = &self.breach {
            match breach.is_breached(password).await {
                Ok(true) => return Err(IdentityError::Password(PasswordProblem::Breached)),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "breached-password check skipped"),
            }
        }
        Ok(())
    }

    fn require_fresh(&self, who: &Principal) -> Result<(), IdentityError> {
        if now_ms() - who.authenticated_at_ms > self.config.fresh_factor_secs * 1000 {
            return Err(IdentityError::StepUpRequired);
        }
        Ok(())
    }

    async fn throttle(&self, key: &str, window_secs: i64, limit: i64) -> Result<(), IdentityError> {
        if throttle::hit(&self.db, key, window_secs).await? > limit {
            return Err(IdentityError::Throttled { retry_after_secs: window_secs });
        }
        Ok(())
    }

    /// Count a failed sign-in against the address and (if known) the account, with a growing
    /// delay for the account: none for the first 4, then 30 s doubling up to an hour. Never a
    /// permanent lock, which would let anyone lock a victim out.
    async fn record_failure(
        &self,
        user_id: Option<&str>,
        client: &Client,
        reason: &str,
        password: Option<&str>,
    ) -> Result<(), IdentityError> {
        for key in self.source_keys(client, password) {
            throttle::hit(&self.db, &key.0, self.config.ip_window_secs).await?;
        }
        let mut tx = self.db.begin_write().await?;
        if let Some(user_id) = user_id {
            // Failures during an active delay neither count nor extend it: otherwise one guess an
            // hour would keep the owner out for ever.
            let row = sqlx::query(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 AND login_blocked_until_ms <= $2
                 RETURNING failed_logins, kind",
            )
            .bind(user_id)
            .bind(now_ms())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                let failures: i64 = row.try_get("failed_logins")?;
                let kind: String = row.try_get("kind")?;
                // Staff and operators: locked for 30 minutes after 10 failures (PCI DSS 8.3.4). Wallet
                // users: growing delays after 5, never a lockout that anyone could inflict on a victim.
                let delay_ms = if kind != "wallet" {
                    (failures >= 10).then_some(30 * 60_000)
                } else {
                    (failures >= 5).then(|| (30_000i64 << (failures - 5).min(7)).min(3_600_000))
                };
                if let Some(delay_ms) = delay_ms {
                    sqlx::query("UPDATE users SET login_blocked_until_ms = $1 WHERE id = $2")
                        .bind(now_ms() + delay_ms)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        let event = AuditEvent::new(user_id.unwrap_or("anonymous"), "identity.login.failed", user_id.unwrap_or("-"))
            .request_id(client.request_id.clone())
            .outcome("failure")
            .details(json!({ "ip": client.ip, "reason": reason }));
        audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The failure counters a sign-in attempt is judged by, with their limits: the address, its
    /// network (a /24 or /48: one attacker rarely has just one address), and the password itself
    /// (one password tried across many accounts is spraying). The password is keyed-hashed, so
    /// the counters never hold anything crackable.
    fn source_keys(&self, client: &Client, password: Option<&str>) -> Vec<(String, i64)> {
        let mut keys = vec![(format!("login-fail:ip:{}", client.ip), self.config.ip_failures_limit)];
        if let Ok(ip) = client.ip.parse::<std::net::IpAddr>() {
            let net = match ip {
                std::net::IpAddr::V4(v4) => {
                    let o = v4.octets();
                    format!("{}.{}.{}.0/24", o[0], o[1], o[2])
                }
                std::net::IpAddr::V6(v6) => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
                }
            };
            keys.push((format!("login-fail:net:{net}"), self.config.network_failures_limit));
        }
        if let Some(password) = password {
            let fingerprint =
                &codes::code_hash(&self.keys.code_hmac, "password-spray", &password::normalize(password))[..32];
            keys.push((format!("login-fail:pw:{fingerprint}"), self.config.password_failures_limit));
        }
        keys
    }

    /// Refuse at once (before any hashing) when a source or a sprayed password is over its limit.
    async fn check_sources(&self, client: &Client, password: Option<&str>) -> Result<(), IdentityError> {
        for (key, limit) in self.source_keys(client, password) {
            if throttle::peek(&self.db, &key, self.config.ip_window_secs).await? >= limit {
                return Err(IdentityError::Throttled { retry_after_secs: self.config.ip_window_secs });
            }
        }
        Ok(())
    }

    async fn factors_of(&self, user_id: &str) -> Result<Vec<&'static str>, IdentityError> {
        let totp: Option<String> =
            sqlx::query_scalar("SELECT status FROM totp_factors WHERE user_id = $1 AND status = 'active'")
                .bind(user_id)
                .fetch_optional(self.db.read_pool())
                .await?;
        let recovery: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at_ms IS NULL")
                .bind(user_id)
                .fetch_one(self.db.read_pool())
                .await?;
        let passkeys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(self.db.read_pool())
            .await?;
        let mut factors = Vec::new();
        if passkeys > 0 {
            factors.push("passkey");
        }
        if totp.is_some() {
            factors.push("totp");
        }
        // SMS is a restricted factor (NIST SP 800-63B-4): offered, but an app or passkey is better.
        let phone: String = sqlx::query_scalar("SELECT phone FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(self.db.read_pool())
            .await?;
        if !phone.is_empty() {
            factors.push("sms");
        }
        if recovery > 0 {
            factors.push("recovery_code");
        }
        Ok(factors)
    }

    /// Count an attempt on a one-time code challenge, then judge it; a right code is used up.
    async fn use_code(&self, challenge_id: &str, guess: &str) -> Result<CodeOutcome, IdentityError> {
        let now = now_ms();
        let row = sqlx::query(
            "UPDATE otp_challenges SET attempts = attempts + 1
             WHERE id = $1 AND used_at_ms IS NULL AND expires_at_ms > $2 AND attempts < $3
             RETURNING code_hash, attempts, expires_at_ms",
        )
        .bind(challenge_id)
        .bind(now)
        .bind(i64::from(codes::MAX_ATTEMPTS))
        .fetch_optional(self.db.write_pool())
        .await?;
        let Some(row) = row else {
            return Ok(CodeOutcome::Dead);
        };
        let attempts: i64 = row.try_get("attempts")?;
        // The attempt is already counted, so judge it as the state before this attempt.
        let challenge = codes::Challenge {
            id: challenge_id.to_owned(),
            code_hash: row.try_get("code_hash")?,
            expires_at_ms: row.try_get("expires_at_ms")?,
            attempts: u32::try_from(attempts - 1).unwrap_or(u32::MAX),
            used: false,
        };
        match codes::check(&self.keys.code_hmac, &challenge, guess, now) {
            codes::Check::Accepted => {
                let used =
                    sqlx::query("UPDATE otp_challenges SET used_at_ms = $1 WHERE id = $2 AND used_at_ms IS NULL")
                        .bind(now)
                        .bind(challenge_id)
                        .execute(self.db.write_pool())
                        .await?;
                Ok(if used.rows_affected() == 1 { CodeOutcome::Accepted } else { CodeOutcome::Dead })
            }
            codes::Check::Wrong { attempts_left } => Ok(CodeOutcome::Wrong(i64::from(attempts_left))),
            codes::Check::Dead => Ok(CodeOutcome::Dead),
        }
    }

    async fn use_totp(&self, user_id: &str, code: &str) -> Result<bool, IdentityError> {
        let row =
            sqlx::query("SELECT secret_enc, last_used_step FROM totp_factors WHERE user_id = $1 AND status = 'active'")
                .bind(user_id)
                .fetch_optional(self.db.read_pool())
                .await?;
        let Some(row) = row else { return Ok(false) };
        let secret = self
            .keys
            .open(&row.try_get::<String, _>("secret_enc")?, user_id)
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        let last: Option<i64> = row.try_get("last_used_step")?;
        let now_secs = u64::try_from(now_ms() / 1000).unwrap_or(0);
        let Ok(step) = totp::verify(&secret, code, now_secs, last.and_then(|l| u64::try_from(l).ok())) else {
            return Ok(false);
        };
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        // Conditional on the step we saw: two concurrent uses of one code cannot both succeed.
        let moved = sqlx::query(
            "UPDATE totp_factors SET last_used_step = $1 WHERE user_id = $2 AND (last_used_step IS NULL OR last_used_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(self.db.write_pool())
        .await?;
        Ok(moved.rows_affected() == 1)
    }

    async fn use_recovery_code(&self, user_id: &str, code: &str) -> Result<bool, IdentityError> {
        let used = sqlx::query(
            "UPDATE recovery_codes SET used_at_ms = $1 WHERE code_hash = $2 AND user_id = $3 AND used_at_ms IS NULL",
        )
        .bind(now_ms())
        .bind(token_hash(&normalize_recovery(code)))
        .bind(user_id)
        .execute(self.db.write_pool())
        .await?;
        Ok(used.rows_affected() == 1)
    }

    /// A new session (and, for an unknown device, a new device record). Returns whether the device was new.
    async fn open_session(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        user_id: &str,
        device_token: Option<&str>,
        client: &Client,
        now: i64,
        scope: &str,
    ) -> Result<(SessionCreated, bool), IdentityError> {
        // Staff and operators can do more harm with an unattended session: a shorter idle limit.
        let kind: String =
            sqlx::query_scalar("SELECT kind FROM users WHERE id = $1").bind(user_id).fetch_one(&mut **tx).await?;
        let idle_secs = if kind == "wallet" { self.config.session_idle_secs } else { self.config.staff_idle_secs };
        let known: Option<String> = match device_token {
            Some(t) => {
                sqlx::query_scalar(
                    "SELECT id FROM devices WHERE token_hash = $1 AND user_id = $2 AND revoked_at_ms IS NULL",
                )
                .bind(token_hash(t))
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?
            }
            None => None,
        };
        let (device_id, device_token, new_device) = match (known, device_token) {
            (Some(id), Some(t)) => {
                sqlx::query("UPDATE devices SET last_seen_at_ms = $1 WHERE id = $2")
                    .bind(now)
                    .bind(&id)
                    .execute(&mut **tx)
                    .await?;
                (id, t.to_owned(), false)
            }
            _ => {
                let (id, token) = (new_id("dev"), format!("{}{}", random_hex_128(), random_hex_128()));
                sqlx::query(
                    "INSERT INTO devices (id, user_id, token_hash, name, first_seen_at_ms, last_seen_at_ms) VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(&id)
                .bind(user_id)
                .bind(token_hash(&token))
                .bind(client.user_agent.chars().take(200).collect::<String>())
                .bind(now)
                .execute(&mut **tx)
                .await?;
                (id, token, true)
            }
        };
        let session_id = new_id("ses");
        // 256 random bits: far beyond guessing; only its hash is stored.
        let token = format!("{}{}", random_hex_128(), random_hex_128());
        let expires_at_ms = now + self.config.session_absolute_secs * 1000;
        sqlx::query(
            "INSERT INTO sessions (id, token_hash, scope, user_id, device_id, created_at_ms, last_seen_at_ms, expires_at_ms,
                idle_timeout_ms, authenticated_at_ms, ip, user_agent) VALUES ($1, $2, $10, $3, $4, $5, $5, $6, $7, $5, $8, $9)",
        )
        .bind(&session_id)
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(&device_id)
        .bind(now)
        .bind(expires_at_ms)
        .bind(idle_secs * 1000)
        .bind(&client.ip)
        .bind(client.user_agent.chars().take(200).collect::<String>())
        .bind(scope)
        .execute(&mut **tx)
        .await?;
        Ok((SessionCreated { session_id, token, device_token, user_id: user_id.to_owned(), expires_at_ms }, new_device))
    }
}

/// Close every unfinished challenge of a user: only the newest may be answered, and a lock or a
/// password change kills any sign-in in progress.
async fn close_open_challenges(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_challenges SET completed_at_ms = $1 WHERE user_id = $2 AND completed_at_ms IS NULL")
        .bind(now_ms())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An authenticator app or a passkey: what staff and operators must have.
fn has_strong_factor(factors: &[&str]) -> bool {
    factors.contains(&"totp") || factors.contains(&"passkey")
}

/// End every session of a user (lock, password change). Returns how many ended.
async fn revoke_all_sessions(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("UPDATE sessions SET revoked_at_ms = $1 WHERE user_id = $2 AND revoked_at_ms IS NULL")
        .bind(now_ms())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

enum CodeOutcome {
    Accepted,
    Wrong(i64),
    Dead,
}

fn issue_for(keys: &Keys, challenge_id: &str) -> codes::IssuedCode {
    codes::issue(&keys.code_hmac, challenge_id)
}

async fn insert_challenge(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    purpose: &str,
    subject: &str,
    channel: &str,
    code_hash: &str,
    expires_at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO otp_challenges (id, purpose, subject, channel, code_hash, expires_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(purpose)
    .bind(subject)
    .bind(channel)
    .bind(code_hash)
    .bind(expires_at_ms)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// 80 random bits as 16 Crockford-style base32 characters in four groups: `ABCD-EFGH-JKMN-PQRS`.
fn new_recovery_code() -> String {
    use rand::RngCore;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let chars: Vec<char> = (0..16).map(|i| ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// 20 characters from a 32-letter alphabet: 100 bits, shown once to whoever runs the command.
fn new_initial_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789-";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

fn normalize_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}
