//! Operators and the verifications in review: analysts and admins read them, admins decide.
//! An approval is a manual verification (method `manual`): the legal name, date of birth and
//! address are what the provider read from the document, or, when it read nothing (it never
//! decided, or asked for a person), what the user typed from it; the kana is the operator's when
//! given. Nobody decides their own verification. Each decision is audited with its reason.

use serde::Deserialize;
use serde_json::json;

use super::submit::parse_kana;
use super::{MAX_LISTED, PersonView, VerificationReview};
use crate::identity::model::{AccountKind, Client, Principal};
use crate::identity::store::verification::{self, AttemptRow, Decision};
use crate::identity::{Identity, IdentityError};
use crate::storage::now_ms;

/// The states an operator's list can be filtered by.
pub const LISTABLE: [&str; 4] = ["review", "pending", "verified", "rejected"];
/// An operator's reason is a sentence or two.
const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approve,
    Reject,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: ReviewDecision,
    /// Why: what the operator checked, or what was wrong. Audited.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// Approvals: the legal name in katakana, when the document showed it and the record lacks
    /// it or has it wrong.
    #[schema(pattern = "^[\\u30A1-\\u30FA\\u30FB\\u30FC\\uFF66-\\uFF9F \\u3000]{1,100}$")]
    pub verified_legal_name_kana: Option<String>,
}

impl Identity {
    /// Analysts and admins: attempts in `status` (default `review`), oldest first.
    pub async fn verifications_in(
        &self,
        who: &Principal,
        status: Option<&str>,
        client: &Client,
    ) -> Result<Vec<VerificationReview>, IdentityError> {
        if who.kind != AccountKind::Operator || !who.is_full() {
            return Err(self.denied(who, "identity.verifications.list", client).await);
        }
        let status = status.unwrap_or("review");
        if !LISTABLE.contains(&status) {
            let message = "status must be review, pending, verified or rejected".to_owned();
            return Err(IdentityError::Invalid { code: "status_invalid", message, param: "status" });
        }
        let rows = verification::in_status(&self.db, status, MAX_LISTED).await?;
        Ok(rows.iter().map(|(a, registered)| review_view(a, registered)).collect())
    }

    /// Admins: approve or reject an attempt in review.
    pub async fn decide_verification(
        &self,
        who: &Principal,
        id: &str,
        req: &DecisionRequest,
        client: &Client,
    ) -> Result<VerificationReview, IdentityError> {
        if !crate::merchants::is_admin(who) {
            return Err(self.denied(who, "identity.verification.decide", client).await);
        }
        let reason = req.reason.trim();
        if req.reason.chars().count() > MAX_REASON_CHARS || reason.is_empty() || reason.chars().any(char::is_control) {
            let message = format!("give the reason in 1 to {MAX_REASON_CHARS} characters");
            return Err(IdentityError::Invalid { code: "reason_invalid", message, param: "reason" });
        }
        let kana = match (&req.verified_legal_name_kana, req.decision) {
            (Some(k), ReviewDecision::Approve) => Some(parse_kana(k, "verified_legal_name_kana")?),
            (Some(_), ReviewDecision::Reject) => {
                let message = "verified_legal_name_kana goes with an approval only".to_owned();
                return Err(IdentityError::Invalid {
                    code: "kana_invalid",
                    message,
                    param: "verified_legal_name_kana",
                });
            }
            (None, _) => None,
        };
        let attempt = verification::attempt_by_id(&self.db, id).await?.ok_or(IdentityError::NotFound)?;
        // Four eyes: an operator never raises (or refuses) their own level.
        if attempt.user_id == who.user_id {
            return Err(self.denied(who, "identity.verification.decide_own", client).await);
        }
        let approve = req.decision == ReviewDecision::Approve;
        let to = if approve { "verified" } else { "rejected" };
        let code = if approve { "" } else { "manual_review_rejected" };
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let decision =
            Decision { id, from: "review", to, reason: code, decided_by: &who.user_id, note: reason, read: None };
        if !verification::decide(&mut tx, &decision, now).await? {
            return Err(IdentityError::Conflict("this identity verification is not awaiting review"));
        }
        if approve {
            let mut data = if attempt.read.is_empty() { attempt.submitted.clone() } else { attempt.read.clone() };
            if let Some(kana) = &kana {
                data.full_name_kana.clone_from(kana);
            }
            self.record_verified(&mut tx, &attempt, &data, "manual", &who.user_id, now).await?;
        } else {
            self.mail_user(&mut tx, &attempt.user_id, "identity-verification-rejected").await?;
        }
        let details = json!({
            "ip": client.ip, "user": attempt.user_id, "decision": to, "reason": reason,
            "previous_reason": attempt.reason, "kana_given": kana.is_some(),
        });
        let action = if approve { "identity.verification.approved" } else { "identity.verification.refused" };
        self.commit_with_audit(tx, &who.user_id, action, id, client, details).await?;
        let attempt = verification::attempt_by_id(&self.db, id).await?.ok_or(IdentityError::NotFound)?;
        let user = crate::identity::store::users::by_id(&self.db, &attempt.user_id).await?;
        Ok(review_view(&attempt, &user.legal_name))
    }
}

fn review_view(a: &AttemptRow, registered_legal_name: &str) -> VerificationReview {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    VerificationReview {
        attempt: a.into(),
        user_id: a.user_id.clone(),
        registered_legal_name: registered_legal_name.to_owned(),
        submitted: PersonView::from(&a.submitted),
        read: (!a.read.is_empty()).then(|| PersonView::from(&a.read)),
        provider_check_id: some(&a.provider_check_id),
        decided_by: some(&a.decided_by),
        decision_note: some(&a.decision_note),
    }
}
