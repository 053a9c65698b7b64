//! Asking the provider about pending checks (from the worker, and from any `GET` of the user's
//! verification), and acting on its answer. Every decision is a conditional update from
//! `pending`, so however many pollers see the same answer, it is recorded, audited and mailed
//! once. A check the provider has not decided by its deadline goes to an operator.

use serde_json::json;

use super::client::{CheckStatus, EkycError};
use super::{POLL_BACKOFF_MAX_MS, POLL_BACKOFF_MS, POLL_BATCH};
use crate::identity::model::Client;
use crate::identity::store::verification::{self, AttemptRow, Decision, PersonData, VerifiedRow};
use crate::identity::store::{Tx, users};
use crate::identity::{Identity, IdentityError};
use crate::storage::now_ms;

/// Who decided, in the attempt and the audit log, when it was the provider.
pub(super) const SYSTEM: &str = "system";

impl Identity {
    /// One round of the worker: ask the provider about every pending check that is due.
    pub async fn poll_verifications(&self) -> Result<usize, IdentityError> {
        let ids = verification::due(&self.db, now_ms(), POLL_BATCH).await?;
        for id in &ids {
            if let Some(attempt) = verification::attempt_by_id(&self.db, id).await?.filter(|a| a.status == "pending")
                && let Err(e) = self.refresh_verification(&attempt).await
            {
                tracing::warn!(error = %e, verification = %id, "a pending verification could not be moved on");
            }
        }
        Ok(ids.len())
    }

    /// The worker: until `stop`, poll pending checks every `ekyc_poll_interval_ms`. It runs
    /// without a provider too, so checks left pending when one was removed still time out.
    pub async fn run_verification_worker(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let every = std::time::Duration::from_millis(self.config.ekyc_poll_interval_ms.max(50));
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = self.poll_verifications().await {
                        tracing::warn!(error = %e, "polling pending verifications failed");
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }

    /// Ask the provider about one pending check and act on the answer.
    pub(super) async fn refresh_verification(&self, a: &AttemptRow) -> Result<(), IdentityError> {
        let answer = match &self.ekyc {
            Some(ekyc) => ekyc.check(&a.provider_check_id).await,
            None => Err(EkycError::Unavailable("no eKYC provider is configured".into())),
        };
        let past_deadline = now_ms() >= a.deadline_at_ms;
        match answer {
            Ok(CheckStatus::Verified(read)) => self.provider_verified(a, read).await,
            Ok(CheckStatus::Rejected(reason)) => self.provider_decided(a, "rejected", &reason, None).await,
            Ok(CheckStatus::Review(reason)) => self.provider_decided(a, "review", &reason, None).await,
            // Undecided past the deadline, or no answer at all by then: a person decides.
            Ok(CheckStatus::Pending) | Err(_) if past_deadline => {
                self.provider_decided(a, "review", "provider_timeout", None).await
            }
            Ok(CheckStatus::Pending) => Ok(self.postpone_verification(a).await?),
            Err(e) => {
                tracing::warn!(error = %e, verification = %a.id, "the eKYC provider gave no answer about a check");
                self.postpone_verification(a).await?;
                Ok(())
            }
        }
    }

    async fn postpone_verification(&self, a: &AttemptRow) -> Result<(), sqlx::Error> {
        verification::postpone(&self.db, &a.id, now_ms(), POLL_BACKOFF_MS, POLL_BACKOFF_MAX_MS).await
    }

    /// The provider verified the document. Its verdict stands by itself only when what it read
    /// is complete and is the person who registered: the same legal name on the Zengin key (the
    /// document's name or its kana) and the same date of birth. Anything else is for a person.
    async fn provider_verified(&self, a: &AttemptRow, read: PersonData) -> Result<(), IdentityError> {
        let user = users::by_id(&self.db, &a.user_id).await?;
        let complete = !read.full_name.is_empty() && !read.date_of_birth.is_empty() && !read.address.is_empty();
        let same_name = zengin::names_match(&user.legal_name, &read.full_name).is_exact()
            || (!read.full_name_kana.is_empty()
                && zengin::names_match(&user.legal_name, &read.full_name_kana).is_exact());
        let problem = if !complete {
            Some("incomplete_data")
        } else if !same_name {
            Some("name_mismatch")
        } else if read.date_of_birth != user.date_of_birth {
            Some("date_of_birth_mismatch")
        } else {
            None
        };
        if let Some(reason) = problem {
            return self.provider_decided(a, "review", reason, Some(&read)).await;
        }
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let decision = Decision {
            id: &a.id,
            from: "pending",
            to: "verified",
            reason: "",
            decided_by: SYSTEM,
            note: "",
            read: Some(&read),
        };
        if !verification::decide(&mut tx, &decision, now).await? {
            return Ok(()); // another poller recorded it first
        }
        self.record_verified(&mut tx, a, &read, "ekyc", SYSTEM, now).await?;
        let details = json!({ "user": a.user_id, "method": "ekyc", "provider_check_id": a.provider_check_id });
        let client = Client { request_id: a.id.clone(), ..Client::default() };
        self.commit_with_audit(tx, SYSTEM, "identity.verification.verified", &a.id, &client, details).await
    }

    /// The provider rejected the check, or it goes to review: recorded from `pending` only, the
    /// user told, audited.
    async fn provider_decided(
        &self,
        a: &AttemptRow,
        to: &'static str,
        reason: &str,
        read: Option<&PersonData>,
    ) -> Result<(), IdentityError> {
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let decision = Decision { id: &a.id, from: "pending", to, reason, decided_by: SYSTEM, note: "", read };
        if !verification::decide(&mut tx, &decision, now).await? {
            return Ok(());
        }
        let notice = if to == "rejected" { "identity-verification-rejected" } else { "identity-verification-review" };
        self.mail_user(&mut tx, &a.user_id, notice).await?;
        let details = json!({ "user": a.user_id, "reason": reason, "provider_check_id": a.provider_check_id });
        let client = Client { request_id: a.id.clone(), ..Client::default() };
        let action = if to == "rejected" { "identity.verification.rejected" } else { "identity.verification.review" };
        self.commit_with_audit(tx, SYSTEM, action, &a.id, &client, details).await
    }

    /// The verified identity, written with the decision that made it, and the user told. A user
    /// verified already keeps the first verification (the open-attempt index allows one at a time).
    pub(super) async fn record_verified(
        &self,
        tx: &mut Tx,
        a: &AttemptRow,
        data: &PersonData,
        method: &str,
        decided_by: &str,
        now: i64,
    ) -> Result<(), IdentityError> {
        let row = VerifiedRow {
            user_id: a.user_id.clone(),
            data: data.clone(),
            method: method.to_owned(),
            verification_id: a.id.clone(),
            provider_check_id: a.provider_check_id.clone(),
            decided_by: decided_by.to_owned(),
            verified_at_ms: now,
        };
        if !verification::insert_verified(tx, &row).await? {
            return Err(IdentityError::Conflict("this user's identity is already verified"));
        }
        self.mail_user(tx, &a.user_id, "identity-verified").await
    }

    /// An e-mail about the user's verification, in their language, queued with the decision.
    pub(super) async fn mail_user(&self, tx: &mut Tx, user_id: &str, name: &str) -> Result<(), IdentityError> {
        let user = users::by_id(&self.db, user_id).await?;
        let notice = crate::i18n::email(&user.email, &user.locale, name, &[]);
        self.send(tx, std::slice::from_ref(&notice)).await
    }
}
