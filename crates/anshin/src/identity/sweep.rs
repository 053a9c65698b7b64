//! Background work of the identity context: unlocks whose cooling-off is over, owners to tell
//! that someone knows their password, and the purge of stale state so no table grows without bound.

use serde_json::json;

use super::notices::Notice;
use super::store::{challenges, guards, users};
use super::{Identity, IdentityError, codes};
use crate::storage::{Db, now_ms};

/// How often `Identity::sweep` runs.
pub const SWEEP_INTERVAL_SECS: u64 = 30;
/// Unanswered sign-ins looked at per sweep.
const ALERT_SWEEP_LIMIT: i64 = 200;
/// How long finished or expired sign-in state is kept before the purge removes it (the audit
/// chain keeps the record of what happened).
pub const STALE_STATE_RETENTION_SECS: i64 = 24 * 3600;

impl Identity {
    /// One round of background work. Safe to run from several processes at once: each step is
    /// claimed with a conditional update.
    pub async fn sweep(&self) -> Result<(), IdentityError> {
        self.apply_due_unlocks(None).await?;
        let now = now_ms();
        let max = i64::from(codes::MAX_ATTEMPTS);
        for (challenge_id, user_id) in challenges::unanswered_sign_ins(&self.db, now, max, ALERT_SWEEP_LIMIT).await? {
            self.alert_password_known(&challenge_id, &user_id).await?;
        }
        Ok(())
    }

    /// A correct password, then no second factor (abandoned, or failed), from an unknown device:
    /// tell the owner on every contact that the password is known, at most once a day.
    pub(crate) async fn alert_password_known(&self, challenge_id: &str, user_id: &str) -> Result<(), IdentityError> {
        if !challenges::mark_alerted(&self.db, challenge_id).await? {
            return Ok(()); // another process (or the failing request itself) got here first
        }
        let now = now_ms();
        let interval_ms = self.config.password_alert_interval_secs * 1000;
        if !users::claim_password_alert(&self.db, user_id, now, interval_ms).await? {
            return Ok(());
        }
        let user = users::by_id(&self.db, user_id).await?;
        let mut tx = self.db.begin_write().await?;
        self.tell_owner(&mut tx, &user, Notice::PasswordKnown).await?;
        let client = super::Client { request_id: "sweep".into(), ..Default::default() };
        self.commit_with_audit(
            tx,
            "system",
            "identity.password_known.alerted",
            user_id,
            &client,
            json!({ "challenge": challenge_id }),
        )
        .await
    }
}

/// Remove expired challenges, codes, WebAuthn states, registrations, resets, contact changes,
/// grants, finished unlock requests, old throttle windows and forgotten guards. Returns the
/// number of rows removed.
pub async fn purge_stale_state(db: &Db) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let cutoff = now - STALE_STATE_RETENTION_SECS * 1000;
    const STATEMENTS: [&str; 8] = [
        "DELETE FROM login_challenges WHERE expires_at_ms < $1",
        "DELETE FROM otp_challenges WHERE expires_at_ms < $1",
        "DELETE FROM webauthn_states WHERE expires_at_ms < $1",
        "DELETE FROM registrations WHERE expires_at_ms < $1",
        "DELETE FROM password_resets WHERE expires_at_ms < $1",
        "DELETE FROM contact_changes WHERE expires_at_ms < $1",
        "DELETE FROM step_up_grants WHERE expires_at_ms < $1",
        "DELETE FROM unlock_requests WHERE (applied_at_ms IS NOT NULL OR cancelled_at_ms IS NOT NULL) AND created_at_ms < $1",
    ];
    let mut removed = 0;
    for sql in STATEMENTS {
        removed += sqlx::query(sql).bind(cutoff).execute(db.write_pool()).await?.rows_affected();
    }
    removed += guards::purge(db, cutoff, now).await?;
    Ok(removed)
}
