//! The lost-phone lock, which always wins. Locking needs the password and any one factor (a
//! recovery code, or a code sent to the verified e-mail, will do) and voids everything in
//! flight: sessions, sign-ins, step-ups and their grants, password resets, contact changes,
//! pending unlocks. Unlocking needs the password known before the lock plus two different
//! factors (or an operator after an identity check), and then waits out a cooling-off period
//! during which the owner is told on every contact and can cancel; a new lock cancels it too.
//! A thief holding the unlocked phone (mail, SMS, authenticator) therefore cannot undo a lock.

use serde_json::json;

use super::model::{Client, Factor, Principal, Purpose, StepUpAction, UnlockPending};
use super::notices::Notice;
use super::proofs::spend_all;
use super::store::challenges;
use super::store::{Tx, contacts, recovery, users};
use super::{AccountKind, Identity, IdentityError, new_token};
use crate::keys::token_hash;
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// Longer than any cancel key this server makes (64 hex characters), with room to change them.
pub const MAX_CANCEL_KEY_CHARS: usize = 128;

/// Due unlocks applied per sweep.
const UNLOCK_SWEEP_LIMIT: i64 = 100;

impl Identity {
    /// Lock the account (password already given for the challenge) with one factor. Every session
    /// ends and the account can neither sign in nor pay until it is unlocked.
    pub async fn lock(
        &self,
        challenge_id: &str,
        factor: Factor,
        proof: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let (_, user, spends) = self.prove(challenge_id, Purpose::Lock, &[(factor, proof)], None, client).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let current = users::lock(&self.db, &mut tx, &user.id).await?;
        if !challenges::complete(&mut tx, challenge_id, now).await? {
            return Err(IdentityError::CodeDead);
        }
        spend_all(&mut tx, &spends, now).await?;
        crate::faults::hit("lock.before_status");
        if current.status == "active" {
            users::set_status(&mut tx, &user.id, "active", "locked").await?;
        }
        let voided = self.void_in_flight(&mut tx, &user.id, now).await?;
        self.tell_owner(&mut tx, &current, Notice::Locked).await?;
        let details = json!({ "ip": client.ip, "factor": factor.as_str(), "voided": voided });
        self.commit_with_audit(tx, &user.id, "identity.account.locked", &user.id, client, details).await
    }

    /// Everything a lock voids. Returns counts for the audit record.
    async fn void_in_flight(&self, tx: &mut Tx, user_id: &str, now: i64) -> Result<serde_json::Value, IdentityError> {
        let sessions = self.end_everything(tx, user_id, now).await?;
        let resets = recovery::void_resets(tx, user_id, now).await?;
        let contact_changes = contacts::void_changes(tx, user_id, now).await?;
        let unlocks = recovery::cancel_unlocks(tx, user_id, now).await?;
        Ok(json!({ "sessions": sessions, "resets": resets, "contact_changes": contact_changes, "unlocks": unlocks }))
    }

    /// Ask to unlock (password already given) with two different factors, both spent together or
    /// neither (a wrong second factor leaves the first unused). The account stays locked until
    /// the cooling-off period is over; the owner is told on every contact with a cancel key.
    pub async fn unlock(
        &self,
        challenge_id: &str,
        proofs: &[(Factor, String)],
        client: &Client,
    ) -> Result<UnlockPending, IdentityError> {
        let two_different = matches!(proofs, [(a, _), (b, _)] if a != b && *a != Factor::Email && *b != Factor::Email);
        if !two_different {
            return Err(IdentityError::Invalid {
                code: "two_factors_required",
                message: "give two different second factors (an e-mail code does not count)".into(),
                param: "factors",
            });
        }
        let proofs: Vec<(Factor, &str)> = proofs.iter().map(|(f, p)| (*f, p.as_str())).collect();
        let (_, user, spends) = self.prove(challenge_id, Purpose::Unlock, &proofs, None, client).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        users::lock(&self.db, &mut tx, &user.id).await?;
        if !challenges::complete(&mut tx, challenge_id, now).await? {
            return Err(IdentityError::CodeDead);
        }
        spend_all(&mut tx, &spends, now).await?;
        let factors: Vec<&str> = proofs.iter().map(|(f, _)| f.as_str()).collect();
        self.request_unlock(tx, &user.id, "owner", client, json!({ "factors": factors })).await
    }

    /// An operator (admin, with a fresh step-up for this action) starts unlocking an account
    /// after checking the owner's identity outside the system; the same cooling-off applies.
    pub async fn unlock_by_operator(
        &self,
        operator: &Principal,
        user_id: &str,
        client: &Client,
    ) -> Result<UnlockPending, IdentityError> {
        if operator.kind != AccountKind::Operator || operator.role != "admin" || !operator.is_full() {
            return Err(self.denied(operator, "ops.user.unlock", client).await);
        }
        self.require_grant(operator, StepUpAction::UnlockUser).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        self.consume_grant(&mut tx, operator, StepUpAction::UnlockUser, now).await?;
        let user =
            users::lock(&self.db, &mut tx, user_id).await.map_err(|_| IdentityError::Conflict("no such account"))?;
        if user.status != "locked" {
            return Err(IdentityError::Conflict("that account is not locked"));
        }
        self.request_unlock(tx, user_id, &operator.user_id, client, json!({ "operator_role": operator.role })).await
    }

    async fn request_unlock(
        &self,
        mut tx: Tx,
        user_id: &str,
        requested_by: &str,
        client: &Client,
        details: serde_json::Value,
    ) -> Result<UnlockPending, IdentityError> {
        let now = now_ms();
        let unlock_at_ms = now + self.config.unlock_cooling_off_secs * 1000;
        let cancel_key = new_token();
        recovery::cancel_unlocks(&mut tx, user_id, now).await?;
        let id = new_id("unl");
        recovery::insert_unlock(&mut tx, &id, user_id, requested_by, &token_hash(&cancel_key), unlock_at_ms, now)
            .await?;
        let user = users::lock(&self.db, &mut tx, user_id).await?;
        self.tell_owner(&mut tx, &user, Notice::UnlockRequested { unlock_at_ms, cancel_key }).await?;
        let details =
            json!({ "ip": client.ip, "request": id, "unlock_at_ms": unlock_at_ms, "by": requested_by, "how": details });
        self.commit_with_audit(tx, requested_by, "identity.account.unlock_requested", user_id, client, details).await?;
        Ok(UnlockPending { status: "unlock_pending", unlock_at_ms })
    }

    /// Cancel a pending unlock with the key sent to the owner. The same answer whether or not
    /// the key was live, so keys cannot be probed.
    pub async fn cancel_unlock(&self, key: &str, client: &Client) -> Result<(), IdentityError> {
        // Only what cannot be a key is refused, which says nothing about the keys that exist.
        if key.is_empty() || key.chars().count() > MAX_CANCEL_KEY_CHARS {
            return Err(IdentityError::Invalid {
                code: "cancel_key_invalid",
                message: "enter the cancel key from the unlock notice".into(),
                param: "key",
            });
        }
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let Some(user_id) = recovery::cancel_unlock_by_key(&mut tx, &token_hash(key), now).await? else {
            // Ended before the failure is audited on a connection of its own: on SQLite the one
            // writer is this transaction, and waiting for another would hang until time-out.
            tx.rollback().await?;
            self.audit_failure(
                "anonymous",
                "identity.account.unlock_cancel_failed",
                "-",
                client,
                json!({ "ip": client.ip }),
            )
            .await?;
            return Ok(());
        };
        let user = users::lock(&self.db, &mut tx, &user_id).await?;
        self.tell_owner(&mut tx, &user, Notice::UnlockCancelled).await?;
        self.commit_with_audit(
            tx,
            &user_id,
            "identity.account.unlock_cancelled",
            &user_id,
            client,
            json!({ "ip": client.ip }),
        )
        .await
    }

    /// Unlock the accounts (all, or one) whose cooling-off is over: from the sweep, and before a
    /// locked account's sign-in, so the owner need not wait for the next sweep.
    pub async fn apply_due_unlocks(&self, user_id: Option<&str>) -> Result<u64, IdentityError> {
        let now = now_ms();
        let mut applied = 0;
        for (id, user_id) in recovery::due_unlocks(&self.db, user_id, now, UNLOCK_SWEEP_LIMIT).await? {
            let mut tx = self.db.begin_write().await?;
            let user = users::lock(&self.db, &mut tx, &user_id).await?;
            if !recovery::apply_unlock(&mut tx, &id, now).await?
                || !users::set_status(&mut tx, &user_id, "locked", "active").await?
            {
                continue; // cancelled, applied elsewhere, or not locked any more
            }
            self.tell_owner(&mut tx, &user, Notice::Unlocked).await?;
            let client = Client { request_id: "sweep".into(), ..Client::default() };
            self.commit_with_audit(
                tx,
                "system",
                "identity.account.unlocked",
                &user_id,
                &client,
                json!({ "request": id }),
            )
            .await?;
            applied += 1;
        }
        Ok(applied)
    }
}
