//! Checking second factors without spending them, and spending them with their effect.
//!
//! Every check counts its attempt first (one atomic statement), so concurrent guesses share the
//! limits. A right proof is returned as a `Spend`, which the flow applies inside the transaction
//! that also performs the effect, writes its audit record and queues its notices: if that
//! transaction does not commit (a crash, a concurrent use, a second factor that was wrong), the
//! proof is still good; if it commits, the proof is used up.

use serde_json::json;
use webauthn_rs::prelude::{Passkey, PasskeyAuthentication, PublicKeyCredential};

use super::guards::{self, COUNT_ONLY, account_key};
use super::model::{AccountKind, Client, Factor, Purpose};
use super::notices::Notice;
use super::store::challenges::{self, Challenge};
use super::store::users::User;
use super::store::{Tx, factors, users};
use super::{Identity, IdentityError, codes, totp};
use crate::keys::token_hash;
use crate::notify::Channel;
use crate::storage::ids::new_id;
use crate::storage::now_ms;

const MAX_ATTEMPTS: i64 = codes::MAX_ATTEMPTS as i64;

/// Where a code goes.
pub(crate) struct Recipient<'a> {
    pub channel: Channel,
    pub address: &'a str,
    pub locale: &'a str,
}

/// What a right proof uses up when its effect commits.
#[derive(Debug, Clone)]
pub(crate) enum Spend {
    /// A one-time code sent by SMS or e-mail.
    Code(String),
    TotpStep {
        user_id: String,
        step: i64,
    },
    RecoveryCode {
        user_id: String,
        hash: String,
    },
    /// The WebAuthn state the assertion answered, and the passkeys with updated counters.
    Passkey {
        state_id: String,
        updated: Vec<(String, String)>,
    },
}

impl Spend {
    /// Use the proof up inside `tx`. A proof used concurrently makes the whole effect fail.
    pub(crate) async fn spend(&self, tx: &mut Tx, now: i64) -> Result<(), IdentityError> {
        let spent = match self {
            Spend::Code(id) => challenges::spend_code(tx, id, now).await?,
            Spend::TotpStep { user_id, step } => factors::spend_totp_step(tx, user_id, *step).await?,
            Spend::RecoveryCode { user_id, hash } => factors::spend_recovery_code(tx, user_id, hash, now).await?,
            Spend::Passkey { state_id, updated } => {
                let spent = factors::spend_webauthn_state(tx, state_id, now).await?;
                for (credential_id, json) in updated {
                    factors::update_passkey(tx, credential_id, json, now).await?;
                }
                spent
            }
        };
        if !spent {
            return Err(IdentityError::CodeDead);
        }
        Ok(())
    }
}

pub(crate) async fn spend_all(tx: &mut Tx, spends: &[Spend], now: i64) -> Result<(), IdentityError> {
    for s in spends {
        s.spend(tx, now).await?;
    }
    Ok(())
}

/// The outcome of checking a one-time code.
pub(crate) enum CodeCheck {
    Right(Spend),
    Wrong {
        attempts_left: i64,
    },
    /// Expired, used, or out of guesses.
    Dead,
}

impl CodeCheck {
    pub(crate) fn into_result(self) -> Result<Spend, IdentityError> {
        match self {
            CodeCheck::Right(s) => Ok(s),
            CodeCheck::Wrong { attempts_left } => Err(IdentityError::CodeRejected { attempts_left }),
            CodeCheck::Dead => Err(IdentityError::CodeDead),
        }
    }
}

fn normalize_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// How a recovery code is stored: the hash of its normalized form.
pub(crate) fn recovery_hash(code: &str) -> String {
    token_hash(&normalize_recovery(code))
}

impl Identity {
    /// Count a guess at a one-time code, then judge it (the sixth guess fails even when right).
    pub(crate) async fn check_code(&self, code_challenge_id: &str, guess: &str) -> Result<CodeCheck, IdentityError> {
        let now = now_ms();
        let Some(row) = challenges::count_code_attempt(&self.db, code_challenge_id, now, MAX_ATTEMPTS).await? else {
            return Ok(CodeCheck::Dead);
        };
        // The attempt is already counted: judge it as the state before this attempt.
        let challenge = codes::Challenge {
            id: code_challenge_id.to_owned(),
            code_hash: row.code_hash,
            expires_at_ms: row.expires_at_ms,
            attempts: u32::try_from(row.attempts - 1).unwrap_or(u32::MAX),
            used: false,
        };
        Ok(match codes::check(&self.keys.code_hmac, &challenge, guess, now) {
            codes::Check::Accepted => CodeCheck::Right(Spend::Code(code_challenge_id.to_owned())),
            codes::Check::Wrong { attempts_left } => CodeCheck::Wrong { attempts_left: i64::from(attempts_left) },
            codes::Check::Dead => CodeCheck::Dead,
        })
    }

    /// Issue a code bound to a new code challenge (for `subject`, an account or registration),
    /// stored as a keyed hash, and queue it to `to`.
    pub(crate) async fn issue_code(
        &self,
        tx: &mut Tx,
        purpose: &str,
        subject: &str,
        to: Recipient<'_>,
        notice: impl FnOnce(String) -> Notice,
    ) -> Result<String, IdentityError> {
        let id = new_id("chl");
        let code = codes::issue(&self.keys.code_hmac, &id);
        let now = now_ms();
        let ttl_ms = codes::MAX_TTL_SECS * 1000;
        challenges::insert_code(tx, &id, purpose, subject, to.channel.as_str(), &code.hash, now + ttl_ms, now).await?;
        let message = notice(code.plain).to(to.channel, to.address, to.locale);
        self.send(tx, &[message]).await?;
        Ok(id)
    }

    /// Check one factor of `user_id` for `challenge` without spending it. None: wrong.
    async fn check_factor(
        &self,
        user_id: &str,
        factor: Factor,
        proof: &str,
        challenge: &Challenge,
    ) -> Result<Option<Spend>, IdentityError> {
        let code_id = match factor {
            Factor::Sms => challenge.sms_challenge_id.as_deref(),
            Factor::Email => challenge.email_challenge_id.as_deref(),
            Factor::Totp => return self.check_totp(user_id, proof).await,
            Factor::RecoveryCode => return self.check_recovery_code(user_id, proof).await,
            Factor::Passkey => return self.check_passkey(user_id, &challenge.id, proof).await,
        };
        let Some(code_id) = code_id else { return Ok(None) };
        Ok(match self.check_code(code_id, proof).await? {
            CodeCheck::Right(spend) => Some(spend),
            _ => None,
        })
    }

    pub(crate) async fn check_totp(&self, user_id: &str, code: &str) -> Result<Option<Spend>, IdentityError> {
        let Some((sealed, last)) = factors::totp(&self.db, user_id, false).await? else { return Ok(None) };
        let secret = self.keys.open(&sealed, user_id).map_err(|e| IdentityError::Internal(e.to_string()))?;
        let now_secs = u64::try_from(now_ms() / 1000).unwrap_or(0);
        let Ok(step) = totp::verify(&secret, code, now_secs, last.and_then(|l| u64::try_from(l).ok())) else {
            return Ok(None);
        };
        Ok(Some(Spend::TotpStep { user_id: user_id.to_owned(), step: i64::try_from(step).unwrap_or(i64::MAX) }))
    }

    pub(crate) async fn check_recovery_code(&self, user_id: &str, code: &str) -> Result<Option<Spend>, IdentityError> {
        let hash = recovery_hash(code);
        if !factors::recovery_code_unused(&self.db, user_id, &hash).await? {
            return Ok(None);
        }
        Ok(Some(Spend::RecoveryCode { user_id: user_id.to_owned(), hash }))
    }

    /// A passkey assertion for `challenge_id` (`{"state_id", "credential"}`), verified by
    /// webauthn-rs against a state made for that challenge.
    async fn check_passkey(
        &self,
        user_id: &str,
        challenge_id: &str,
        answer: &str,
    ) -> Result<Option<Spend>, IdentityError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            state_id: String,
            credential: serde_json::Value,
        }
        let Ok(answer) = serde_json::from_str::<Answer>(answer) else { return Ok(None) };
        if !answer.state_id.starts_with(&format!("{challenge_id}:")) {
            return Ok(None); // an assertion made for another challenge
        }
        let now = now_ms();
        let Some(state) = factors::webauthn_state(&self.db, &answer.state_id, user_id, "authenticate", now).await?
        else {
            return Ok(None);
        };
        let (Ok(state), Ok(credential)) = (
            serde_json::from_str::<PasskeyAuthentication>(&state),
            serde_json::from_value::<PublicKeyCredential>(answer.credential),
        ) else {
            return Ok(None);
        };
        let Ok(result) = self.rp.finish_passkey_authentication(&credential, &state) else { return Ok(None) };
        let mut updated = Vec::new();
        for (credential_id, json) in factors::passkeys(&self.db, user_id).await? {
            let mut passkey: Passkey =
                serde_json::from_str(&json).map_err(|e| IdentityError::Internal(e.to_string()))?;
            if passkey.update_credential(&result).is_some() {
                let json = serde_json::to_string(&passkey).map_err(|e| IdentityError::Internal(e.to_string()))?;
                updated.push((credential_id, json));
            }
        }
        Ok(Some(Spend::Passkey { state_id: answer.state_id, updated }))
    }

    /// The factor step of a challenge. Counts the attempt (at most five per challenge, whatever
    /// the factor), refuses while the source is slowed, checks that the account may still do
    /// `purpose`, then checks each proof (and the e-mail code a busy source was asked for)
    /// without spending any. Wrong proofs feed the same guards as wrong passwords and are audited.
    pub(crate) async fn prove(
        &self,
        challenge_id: &str,
        purpose: Purpose,
        proofs: &[(Factor, &str)],
        email_code: Option<&str>,
        client: &Client,
    ) -> Result<(Challenge, User, Vec<Spend>), IdentityError> {
        let challenge = challenges::count_attempt(&self.db, challenge_id, purpose.as_str(), now_ms(), MAX_ATTEMPTS)
            .await?
            .ok_or(IdentityError::CodeDead)?;
        self.check_guard(&challenge.guard_key).await?;
        let user = users::by_id(&self.db, &challenge.user_id).await?;
        if !purpose.allows_status(&user.status) {
            return Err(IdentityError::CodeDead);
        }
        let mut spends = Vec::new();
        let mut wrong = Vec::new();
        for (factor, proof) in proofs {
            let checked = if purpose.accepts(*factor) {
                self.check_factor(&user.id, *factor, proof, &challenge).await?
            } else {
                None
            };
            match checked {
                Some(spend) => spends.push(spend),
                None => wrong.push(factor.as_str()),
            }
        }
        // A passkey cannot be stuffed or phished: it needs no extra proof.
        let passkey = proofs.iter().any(|(f, _)| *f == Factor::Passkey);
        if challenge.email_proof_required && purpose == Purpose::Login && !passkey {
            let code_id = challenge.email_challenge_id.as_deref().unwrap_or("");
            match (email_code, code_id.is_empty()) {
                (Some(code), false) => match self.check_code(code_id, code).await? {
                    CodeCheck::Right(spend) => spends.push(spend),
                    _ => wrong.push("email_code"),
                },
                _ => wrong.push("email_code"),
            }
        }
        if wrong.is_empty() {
            return Ok((challenge, user, spends));
        }
        Err(self.wrong_factor(&challenge, &user, purpose, &wrong, client).await?)
    }

    /// A wrong factor: count it where a wrong password would count, audit it, and after the last
    /// attempt of a sign-in from an unknown device tell the owner that the password is known.
    async fn wrong_factor(
        &self,
        challenge: &Challenge,
        user: &User,
        purpose: Purpose,
        wrong: &[&str],
        client: &Client,
    ) -> Result<IdentityError, IdentityError> {
        let kind = AccountKind::parse(&user.kind);
        self.count_failure(&challenge.guard_key, &guards::schedule_for(kind)).await?;
        if challenge.device_id.is_none() {
            let schedule = if kind == AccountKind::Wallet { COUNT_ONLY } else { guards::STAFF };
            self.count_failure(&account_key(&user.id), &schedule).await?;
        }
        self.count_source_failure(client).await?;
        let details =
            json!({ "ip": client.ip, "purpose": purpose.as_str(), "wrong": wrong, "challenge": challenge.id });
        self.audit_failure(&user.id, "identity.factor.failed", &user.id, client, details).await?;
        let left = MAX_ATTEMPTS - challenge.attempts;
        if left <= 0 && purpose == Purpose::Login && challenge.device_id.is_none() {
            self.alert_password_known(&challenge.id, &user.id).await?;
        }
        Ok(if left > 0 { IdentityError::CodeRejected { attempts_left: left } } else { IdentityError::CodeDead })
    }
}
