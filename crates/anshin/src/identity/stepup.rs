//! Step-up: a second factor given inside a session for one named action. It yields a grant for
//! that action only, for a short time, consumed by the action in its own transaction; a grant for
//! one action never authorises another. The session's token is reissued at each step-up.

use serde_json::json;

use super::model::{Client, Factor, LoginChallenge, Principal, Purpose, StepUpAction, SteppedUp};
use super::proofs::spend_all;
use super::store::challenges::{self, NewChallenge};
use super::store::{Tx, grants, sessions};
use super::{Identity, IdentityError, new_token};
use crate::keys::token_hash;
use crate::storage::ids::new_id;
use crate::storage::now_ms;

impl Identity {
    /// Ask the signed-in user for a factor before `action`. The challenge is bound to this
    /// session and this action, and replaces only earlier step-ups of this session.
    pub async fn start_step_up(
        &self,
        who: &Principal,
        action: StepUpAction,
        client: &Client,
    ) -> Result<LoginChallenge, IdentityError> {
        let challenge_id = new_id("lgn");
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        super::store::users::lock(&self.db, &mut tx, &who.user_id).await?;
        challenges::close_open(&mut tx, &who.user_id, Some(Purpose::StepUp.as_str()), now).await?;
        let guard_key = super::guards::device_key(&who.device_id);
        let new = NewChallenge {
            id: &challenge_id,
            purpose: Purpose::StepUp.as_str(),
            user_id: &who.user_id,
            session_id: Some(&who.session_id),
            action: Some(action.as_str()),
            device_id: Some(&who.device_id),
            guard_key: &guard_key,
            email_proof_required: false,
            expires_at_ms: now + self.config.login_challenge_ttl_secs * 1000,
        };
        challenges::insert(&mut tx, &new, now).await?;
        let details = json!({ "ip": client.ip, "action": action.as_str(), "challenge": challenge_id });
        self.commit_with_audit(tx, &who.user_id, "identity.step_up.requested", &who.session_id, client, details)
            .await?;
        Ok(LoginChallenge {
            challenge_id,
            factors: self.factors_for(&who.user_id, Purpose::StepUp).await?,
            expires_in_secs: self.config.login_challenge_ttl_secs,
            enrolment_required: false,
            email_proof_required: false,
        })
    }

    /// Complete a step-up: the grant for its action is written, the factor spent and the
    /// session's token reissued (the old one stops working), in one transaction.
    pub async fn complete_step_up(
        &self,
        who: &Principal,
        challenge_id: &str,
        factor: Factor,
        proof: &str,
        client: &Client,
    ) -> Result<SteppedUp, IdentityError> {
        let (challenge, _, spends) =
            self.prove(challenge_id, Purpose::StepUp, &[(factor, proof)], None, client).await?;
        // Another session's challenge is no use here.
        if challenge.session_id.as_deref() != Some(who.session_id.as_str()) {
            return Err(IdentityError::CodeDead);
        }
        let action = challenge.action.as_deref().and_then(StepUpAction::parse).ok_or(IdentityError::CodeDead)?;
        let now = now_ms();
        let expires_at_ms = now + self.config.fresh_factor_secs * 1000;
        let token = new_token();
        let mut tx = self.db.begin_write().await?;
        if !challenges::complete(&mut tx, challenge_id, now).await? {
            return Err(IdentityError::CodeDead);
        }
        spend_all(&mut tx, &spends, now).await?;
        crate::faults::hit("step_up.before_commit");
        let grant_id = new_id("grt");
        grants::insert(
            &mut tx,
            &grant_id,
            &who.session_id,
            &who.user_id,
            action.as_str(),
            factor.as_str(),
            expires_at_ms,
            now,
        )
        .await?;
        if !sessions::reissue_token(&mut tx, &who.session_id, &token_hash(&token), now).await? {
            return Err(IdentityError::Unauthenticated);
        }
        let details =
            json!({ "ip": client.ip, "action": action.as_str(), "factor": factor.as_str(), "grant": grant_id });
        self.commit_with_audit(tx, &who.user_id, "identity.step_up.completed", &who.session_id, client, details)
            .await?;
        Ok(SteppedUp { token, session_id: who.session_id.clone(), action, expires_at_ms })
    }

    /// Refuse early, before any costly work, when the session holds no grant for `action`.
    pub(crate) async fn require_grant(&self, who: &Principal, action: StepUpAction) -> Result<(), IdentityError> {
        if grants::held(&self.db, &who.session_id, action.as_str(), now_ms()).await? {
            Ok(())
        } else {
            Err(IdentityError::StepUpRequired)
        }
    }

    /// The grant for `action`, spent by a ledger command's `Effect` (money movements commit in
    /// the ledger's batch, not in a transaction of identity's).
    pub(crate) fn grant_effect(&self, who: &Principal, action: StepUpAction) -> crate::ledger::Effect {
        grants::consume_effect(&who.session_id, action.as_str(), now_ms())
    }

    /// Consume the grant for `action` inside the action's transaction.
    pub(crate) async fn consume_grant(
        &self,
        tx: &mut Tx,
        who: &Principal,
        action: StepUpAction,
        now: i64,
    ) -> Result<(), IdentityError> {
        if grants::consume(tx, &who.session_id, action.as_str(), now).await? {
            Ok(())
        } else {
            Err(IdentityError::StepUpRequired)
        }
    }

    /// Adding a factor needs a grant for it, except within a few minutes of the sign-in (or
    /// registration) that proved a factor, and for a staff session that must enrol its first one:
    /// adding is what a new user does first, and it is announced to the owner. Returns whether a
    /// grant must be consumed.
    pub(crate) async fn may_add_factor(&self, who: &Principal) -> Result<bool, IdentityError> {
        let fresh = now_ms() - who.authenticated_at_ms <= self.config.fresh_factor_secs * 1000;
        if !who.is_full() || fresh {
            return Ok(false);
        }
        self.require_grant(who, StepUpAction::AddFactor).await?;
        Ok(true)
    }
}
