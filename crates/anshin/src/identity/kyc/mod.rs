//! Identity verification (eKYC): the level a wallet user's legal identity is verified to, and
//! the flows that raise it. A user is `unverified` until a check at the eKYC provider (a
//! document and a selfie) or an operator's manual review verifies them; then `verified`, with
//! the legal name as the document shows it, its kana (what Zengin name matching compares with a
//! bank account's holder), date of birth and address, how it was decided and by whom.
//!
//! Unverified wallets top up from cards and pay in stores; sending and withdrawing call
//! `require_verified` first (THREATS M6: money leaves only to the verified owner). Missing data
//! stays missing: a field the document did not give is `None`, never a default (7pay filled
//! in 2019-01-01 for unknown birth dates), and kana is never guessed from kanji.
//!
//! Nothing passes on a near miss. The provider's verdict is accepted by itself only when the
//! document's name is the registered legal name on the Zengin key and its date of birth is the
//! registered one; anything else goes to an operator (`review`), as does a check the provider
//! never decides. One file per flow, all `impl Identity`: `submit` (the user's submission and
//! view), `poll` (asking the provider, and the worker), `review` (operators). The provider is
//! spoken to over HTTP by `client`; every SQL statement is in `store::verification`.

pub mod client;
mod poll;
mod review;
mod submit;

use serde::Serialize;

pub use client::{EkycClient, EkycError};
pub use review::{DecisionRequest, ReviewDecision};
pub use submit::VerificationRequest;

use super::store::verification::{self, AttemptRow, PersonData, VerifiedRow};
use super::{Identity, IdentityError};

/// A check the provider has not decided after this long goes to an operator (the provider may
/// never answer: the simulator's documents ending in 9 never do).
pub const DEFAULT_DECISION_TIMEOUT_MS: i64 = 10 * 60 * 1000;
/// How often the worker looks for pending checks.
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 1_000;
/// Pending checks asked about in one round of the worker; the rest wait for the next.
pub const POLL_BATCH: i64 = 100;
/// A pending check is asked about again after this long, growing with each poll up to the max.
pub const POLL_BACKOFF_MS: i64 = 500;
pub const POLL_BACKOFF_MAX_MS: i64 = 30_000;
/// Checks one user may submit per day: each costs money at a real provider, and trying document
/// after document is itself a fraud signal.
pub const MAX_ATTEMPTS_PER_DAY: i64 = 3;
/// Attempts one user may ever make before support must help (bounds the table per user).
pub const MAX_ATTEMPTS_PER_USER: i64 = 20;
/// Attempts an operator's list shows at once, oldest first.
pub const MAX_LISTED: i64 = 100;

/// How far a user's identity is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// No verified legal identity: top-ups from cards and store payments only.
    Unverified,
    /// Legal name, date of birth and address verified: may send and withdraw (within limits).
    Verified,
}

/// The verified identity, as the document shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VerifiedIdentity {
    pub legal_name: String,
    /// The name in kana, as the document (or the reviewing operator) gave it; `null` when neither
    /// did: then no bank account name can match it automatically.
    pub legal_name_kana: Option<String>,
    /// YYYY-MM-DD.
    pub date_of_birth: String,
    pub address: String,
    /// `ekyc` (the provider verified it) or `manual` (an operator approved it).
    #[schema(pattern = "^(ekyc|manual)$")]
    pub method: String,
    /// The provider's check, when there was one.
    pub provider_check_id: Option<String>,
    /// `system` for the provider's verdict, or the deciding operator's user id.
    pub decided_by: String,
    pub verified_at_ms: i64,
}

/// What later features ask: the level and, when verified, the verified fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub level: Level,
    pub identity: Option<VerifiedIdentity>,
}

/// One attempt as its owner sees it: the document number shows only its last four characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    pub id: String,
    /// `pending` (the provider is checking), `review` (a person at Anshin decides), `verified`
    /// or `rejected`.
    #[schema(pattern = "^(pending|review|verified|rejected)$")]
    pub status: String,
    /// Why it was rejected or sent to review (`face_mismatch`, `document_expired`,
    /// `document_tampered`, `low_image_quality`, `name_mismatch`, `date_of_birth_mismatch`,
    /// `incomplete_data`, `provider_timeout`, `manual_review_rejected`).
    pub reason: Option<String>,
    #[schema(pattern = "^(drivers_license|my_number_card|residence_card)$")]
    pub document_type: String,
    pub document_number_last4: String,
    pub created_at_ms: i64,
    pub decided_at_ms: Option<i64>,
}

/// `GET /v1/me/identity-verification`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IdentityVerification {
    pub level: Level,
    pub verified: Option<VerifiedIdentity>,
    pub latest_attempt: Option<Attempt>,
}

/// A person's data as a form or a document gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub full_name: String,
    pub full_name_kana: Option<String>,
    pub date_of_birth: String,
    pub address: String,
}

/// An attempt as an operator reviews it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerificationReview {
    #[serde(flatten)]
    pub attempt: Attempt,
    pub user_id: String,
    /// The legal name the user registered with, to compare with the document's.
    pub registered_legal_name: String,
    /// What the user typed.
    pub submitted: PersonView,
    /// What the provider read from the document, when it said.
    pub read: Option<PersonView>,
    pub provider_check_id: Option<String>,
    /// `system`, or the deciding operator's user id, once decided.
    pub decided_by: Option<String>,
    /// The deciding operator's reason.
    pub decision_note: Option<String>,
}

fn some(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

impl From<&PersonData> for PersonView {
    fn from(p: &PersonData) -> Self {
        PersonView {
            full_name: p.full_name.clone(),
            full_name_kana: some(&p.full_name_kana),
            date_of_birth: p.date_of_birth.clone(),
            address: p.address.clone(),
        }
    }
}

impl From<&AttemptRow> for Attempt {
    fn from(a: &AttemptRow) -> Self {
        Attempt {
            id: a.id.clone(),
            status: a.status.clone(),
            reason: some(&a.reason),
            document_type: a.document_type.clone(),
            document_number_last4: a.document_last4.clone(),
            created_at_ms: a.created_at_ms,
            decided_at_ms: (a.decided_at_ms > 0).then_some(a.decided_at_ms),
        }
    }
}

impl From<VerifiedRow> for VerifiedIdentity {
    fn from(v: VerifiedRow) -> Self {
        VerifiedIdentity {
            legal_name: v.data.full_name,
            legal_name_kana: some(&v.data.full_name_kana),
            date_of_birth: v.data.date_of_birth,
            address: v.data.address,
            method: v.method,
            provider_check_id: some(&v.provider_check_id),
            decided_by: v.decided_by,
            verified_at_ms: v.verified_at_ms,
        }
    }
}

impl Identity {
    /// The user's verification level and, when verified, the verified fields. Read from the
    /// database each time, so a verification is seen the moment it commits, by every server.
    pub async fn verification(&self, user_id: &str) -> Result<Verification, IdentityError> {
        Ok(match verification::verified(&self.db, user_id).await? {
            Some(row) => Verification { level: Level::Verified, identity: Some(row.into()) },
            None => Verification { level: Level::Unverified, identity: None },
        })
    }

    /// For flows that move money out (sending, withdrawing): `IdentityNotVerified` unless the
    /// user's legal identity is verified.
    pub async fn require_verified(&self, user_id: &str) -> Result<VerifiedIdentity, IdentityError> {
        self.verification(user_id).await?.identity.ok_or(IdentityError::NotVerified)
    }

    pub fn has_ekyc(&self) -> bool {
        self.ekyc.is_some()
    }

    fn ekyc(&self) -> Result<&EkycClient, IdentityError> {
        self.ekyc.as_deref().ok_or(IdentityError::EkycUnavailable)
    }
}
