//! Adding and removing second factors: an authenticator app (with recovery codes), passkeys.
//! Each change and its alert and audit record commit together; removing a factor ends every
//! session. Staff and operators can never be left without a strong factor.

use serde_json::json;

use super::model::{AccountKind, Client, Principal, RecoveryCodes, StepUpAction, TotpEnrolment};
use super::notices::Notice;
use super::proofs::recovery_hash;
use super::store::{Tx, factors, sessions, users};
use super::{Identity, IdentityError, Purpose, RECOVERY_CODES, guards, passkeys, totp};
use crate::storage::now_ms;

impl Identity {
    /// Begin adding an authenticator app (a grant for adding a factor, or a fresh sign-in).
    pub async fn start_totp(&self, who: &Principal) -> Result<TotpEnrolment, IdentityError> {
        self.may_add_factor(who).await?;
        if factors::totp(&self.db, &who.user_id, false).await?.is_some() {
            return Err(IdentityError::Conflict("an authenticator app is already set up; remove it first"));
        }
        let user = users::by_id(&self.db, &who.user_id).await?;
        let secret = totp::new_secret();
        let sealed = self.keys.seal(&secret, &who.user_id);
        factors::put_pending_totp(&self.db, &who.user_id, &sealed, now_ms()).await?;
        Ok(TotpEnrolment {
            secret: totp::secret_base32(&secret),
            otpauth_url: totp::enrolment_url(&secret, &user.email)
                .map_err(|e| IdentityError::Internal(e.to_string()))?,
        })
    }

    /// Confirm the app with a code from it. Returns fresh recovery codes (shown once). A wrong
    /// code feeds the device's guard like any wrong factor.
    pub async fn confirm_totp(
        &self,
        who: &Principal,
        code: &str,
        client: &Client,
    ) -> Result<RecoveryCodes, IdentityError> {
        let needs_grant = self.may_add_factor(who).await?;
        let (sealed, _) = factors::totp(&self.db, &who.user_id, true)
            .await?
            .ok_or(IdentityError::Conflict("start adding an authenticator app first"))?;
        let guard = [(guards::device_key(&who.device_id), guards::schedule_for(who.kind))];
        let admitted = self.admit(&guard).await?;
        let secret = self.keys.open(&sealed, &who.user_id).map_err(|e| IdentityError::Internal(e.to_string()))?;
        let now = now_ms();
        let Ok(step) = totp::verify(&secret, code, u64::try_from(now / 1000).unwrap_or(0), None) else {
            self.audit_failure(
                &who.user_id,
                "identity.factor.confirmation_failed",
                &who.user_id,
                client,
                json!({ "ip": client.ip, "factor": "totp" }),
            )
            .await?;
            return Err(IdentityError::CodeRejected { attempts_left: 1 });
        };
        self.give_back(admitted).await?;
        let recovery = new_recovery_codes();
        let mut tx = self.db.begin_write().await?;
        if needs_grant {
            self.consume_grant(&mut tx, who, StepUpAction::AddFactor, now).await?;
        }
        if !factors::activate_totp(&mut tx, &who.user_id, i64::try_from(step).unwrap_or(i64::MAX)).await? {
            return Err(IdentityError::Conflict("start adding an authenticator app first"));
        }
        let hashes: Vec<String> = recovery.iter().map(|c| recovery_hash(c)).collect();
        factors::replace_recovery_codes(&mut tx, &who.user_id, &hashes, now).await?;
        sessions::promote_enrolment(&mut tx, &who.session_id, now).await?;
        let user = users::lock(&self.db, &mut tx, &who.user_id).await?;
        self.mail_owner(&mut tx, &user, Notice::FactorAdded { factor: "totp" }).await?;
        let details = json!({ "factor": "totp", "ip": client.ip, "recovery_codes": RECOVERY_CODES });
        self.commit_with_audit(tx, &who.user_id, "identity.factor.added", &who.user_id, client, details).await?;
        Ok(RecoveryCodes { recovery_codes: recovery })
    }

    /// Remove the authenticator app (needs a grant for removing a factor). Every session ends.
    /// Staff and operators cannot remove their last strong factor.
    pub async fn remove_totp(&self, who: &Principal, client: &Client) -> Result<(), IdentityError> {
        self.require_grant(who, StepUpAction::RemoveFactor).await?;
        let factors_now = self.factors_for(&who.user_id, Purpose::Login).await?;
        if who.kind != AccountKind::Wallet && !factors_now.contains(&"passkey") {
            return Err(IdentityError::Conflict("staff and operators must keep a second factor: add a passkey first"));
        }
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        self.consume_grant(&mut tx, who, StepUpAction::RemoveFactor, now).await?;
        if !factors::delete_totp(&mut tx, &who.user_id).await? {
            return Err(IdentityError::Conflict("no authenticator app is set up"));
        }
        let revoked = self.end_everything(&mut tx, &who.user_id, now).await?;
        let user = users::lock(&self.db, &mut tx, &who.user_id).await?;
        self.mail_owner(&mut tx, &user, Notice::TotpRemoved).await?;
        let details = json!({ "factor": "totp", "ip": client.ip, "sessions_revoked": revoked });
        self.commit_with_audit(tx, &who.user_id, "identity.factor.removed", &who.user_id, client, details).await
    }

    /// Begin adding a passkey (a grant for adding a factor, or a fresh sign-in).
    pub async fn start_passkey_registration(&self, who: &Principal) -> Result<passkeys::PasskeyOptions, IdentityError> {
        self.may_add_factor(who).await?;
        let user = users::by_id(&self.db, &who.user_id).await?;
        passkeys::start_registration(&self.db, &self.rp, &who.user_id, &user.email).await
    }

    /// Store the new passkey with its alert and audit record in one transaction; an
    /// enrolment-only session becomes full.
    pub async fn finish_passkey_registration(
        &self,
        who: &Principal,
        challenge_id: &str,
        credential: &serde_json::Value,
        client: &Client,
    ) -> Result<String, IdentityError> {
        let needs_grant = self.may_add_factor(who).await?;
        let (credential_id, json) =
            passkeys::verify_registration(&self.db, &self.rp, &who.user_id, challenge_id, credential).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if needs_grant {
            self.consume_grant(&mut tx, who, StepUpAction::AddFactor, now).await?;
        }
        if !factors::spend_webauthn_state(&mut tx, challenge_id, now).await? {
            return Err(IdentityError::CodeDead);
        }
        factors::insert_passkey(&mut tx, &credential_id, &who.user_id, &json, now).await?;
        crate::faults::hit("passkey.before_commit");
        sessions::promote_enrolment(&mut tx, &who.session_id, now).await?;
        let user = users::lock(&self.db, &mut tx, &who.user_id).await?;
        self.mail_owner(&mut tx, &user, Notice::FactorAdded { factor: "passkey" }).await?;
        let details = json!({ "factor": "passkey", "ip": client.ip, "credential": credential_id });
        self.commit_with_audit(tx, &who.user_id, "identity.factor.added", &who.user_id, client, details).await?;
        Ok(credential_id)
    }

    /// Ten new recovery codes for a user inside `tx` (registration): returns them to show once.
    pub(crate) async fn issue_recovery_codes(
        &self,
        tx: &mut Tx,
        user_id: &str,
        now: i64,
    ) -> Result<Vec<String>, IdentityError> {
        let codes = new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
        factors::replace_recovery_codes(tx, user_id, &hashes, now).await?;
        Ok(codes)
    }
}

fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect()
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
