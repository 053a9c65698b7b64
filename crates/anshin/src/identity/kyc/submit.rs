//! A wallet user submits a document and a selfie for verification, with a fresh second factor
//! (a step-up grant for `verify_identity`, spent with the attempt). The provider is asked
//! first, so nothing is stored for a check the provider never took; the attempt row then keeps
//! the document's last four characters only, never its number.

use serde::Deserialize;
use serde_json::json;

use super::client::{CheckRequest, EkycError};
use super::{Attempt, IdentityVerification, MAX_ATTEMPTS_PER_DAY, MAX_ATTEMPTS_PER_USER};
use crate::identity::model::{AccountKind, Client, Principal, StepUpAction};
use crate::identity::store::users;
use crate::identity::store::verification::{self, NewAttempt, PersonData};
use crate::identity::types::{BirthDate, LegalName, is_hidden, today_utc};
use crate::identity::{Identity, IdentityError};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// The document types the provider checks.
pub const DOCUMENT_TYPES: [&str; 3] = ["drivers_license", "my_number_card", "residence_card"];
const MAX_NAME_CHARS: usize = 100;
const MAX_ADDRESS_CHARS: usize = 200;
const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationRequest {
    /// The identity document photographed.
    #[schema(pattern = "^(drivers_license|my_number_card|residence_card)$")]
    pub document_type: String,
    /// The document's number, letters and digits. Sent to the provider once; only its last four
    /// characters are kept.
    #[schema(pattern = "^[A-Za-z0-9]{4,20}$")]
    pub document_number: String,
    /// The name as the document shows it.
    #[schema(min_length = 1, max_length = 100)]
    pub full_name: String,
    /// The name in katakana, as the document shows it; leave it out when the document has none
    /// (it is never guessed).
    #[schema(pattern = "^[\\u30A1-\\u30FA\\u30FB\\u30FC\\uFF66-\\uFF9F \\u3000]{1,100}$")]
    pub full_name_kana: Option<String>,
    /// YYYY-MM-DD, as the document shows it.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub date_of_birth: String,
    #[schema(min_length = 1, max_length = 200)]
    pub address: String,
    /// SHA-256 of the selfie the app uploaded to the provider, in lowercase hex.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub selfie_sha256: String,
}

/// A submission parsed once: every field within its rules.
struct Submission<'a> {
    document_type: &'a str,
    document_number: &'a str,
    person: PersonData,
    selfie_sha256: &'a str,
}

fn invalid(code: &'static str, param: &'static str, message: &str) -> IdentityError {
    IdentityError::Invalid { code, message: message.to_owned(), param }
}

/// Katakana (full or half width) and spaces, at least one kana.
fn is_kana(s: &str) -> bool {
    let kana = |c: char| matches!(c, '\u{30A1}'..='\u{30FC}' | '\u{FF66}'..='\u{FF9F}');
    (1..=MAX_NAME_CHARS).contains(&s.chars().count())
        && s.chars().all(|c| kana(c) || c == ' ' || c == '\u{3000}')
        && s.chars().any(kana)
}

/// Runs of spaces become one; the ends are trimmed.
fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A kana name as typed, or `kana_invalid` for `param`.
pub(super) fn parse_kana(s: &str, param: &'static str) -> Result<String, IdentityError> {
    if is_kana(s) {
        Ok(squeeze(s))
    } else {
        Err(invalid("kana_invalid", param, "write the name in katakana, as on the document"))
    }
}

impl<'a> Submission<'a> {
    /// The raw lengths are checked before anything is trimmed, so the server never accepts what
    /// the published schema refuses.
    fn parse(r: &'a VerificationRequest) -> Result<Submission<'a>, IdentityError> {
        if !DOCUMENT_TYPES.contains(&r.document_type.as_str()) {
            let message = "document_type must be drivers_license, my_number_card or residence_card";
            return Err(invalid("document_type_invalid", "document_type", message));
        }
        let number = &r.document_number;
        if !(4..=20).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
            let message = "the document number is 4 to 20 letters and digits";
            return Err(invalid("document_number_invalid", "document_number", message));
        }
        let name_ok = (1..=MAX_NAME_CHARS).contains(&r.full_name.chars().count());
        let full_name = LegalName::parse(&r.full_name)
            .ok()
            .filter(|_| name_ok)
            .ok_or_else(|| invalid("legal_name_invalid", "full_name", "write the name as on the document"))?;
        let kana = r.full_name_kana.as_deref().map(|k| parse_kana(k, "full_name_kana")).transpose()?;
        let dob_shape = r.date_of_birth.len() == 10 && r.date_of_birth.bytes().all(|b| b.is_ascii_digit() || b == b'-');
        let dob = BirthDate::parse(&r.date_of_birth, today_utc())
            .ok()
            .filter(|_| dob_shape)
            .ok_or_else(|| invalid("date_of_birth_invalid", "date_of_birth", "the date of birth is YYYY-MM-DD"))?;
        let address_ok = (1..=MAX_ADDRESS_CHARS).contains(&r.address.chars().count())
            && !r.address.chars().any(is_hidden)
            && !r.address.trim().is_empty();
        if !address_ok {
            return Err(invalid("address_invalid", "address", "write the address as on the document"));
        }
        let selfie = &r.selfie_sha256;
        if selfie.len() != 64 || !selfie.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(invalid("selfie_invalid", "selfie_sha256", "selfie_sha256 is 64 lowercase hex digits"));
        }
        Ok(Submission {
            document_type: &r.document_type,
            document_number: number,
            person: PersonData {
                full_name: full_name.as_str().to_owned(),
                full_name_kana: kana.unwrap_or_default(),
                date_of_birth: dob.to_iso(),
                address: squeeze(&r.address),
            },
            selfie_sha256: selfie,
        })
    }

    fn last4(&self) -> &str {
        &self.document_number[self.document_number.len() - 4..]
    }
}

impl Identity {
    /// Submit a verification: the provider takes the check and the attempt is `pending`.
    pub async fn submit_verification(
        &self,
        who: &Principal,
        req: &VerificationRequest,
        client: &Client,
    ) -> Result<Attempt, IdentityError> {
        if who.kind != AccountKind::Wallet || !who.is_full() {
            return Err(self.denied(who, "identity.verification.submit", client).await);
        }
        let input = Submission::parse(req)?;
        let ekyc = self.ekyc()?;
        if verification::verified(&self.db, &who.user_id).await?.is_some() {
            return Err(IdentityError::Conflict("your identity is already verified"));
        }
        let now = now_ms();
        let (recent, total) = verification::attempts_since(self.db.read_pool(), &who.user_id, now - DAY_MS).await?;
        refuse_over_limits(recent, total)?;
        // Refused before the provider is asked: no check without a fresh second factor.
        self.require_grant(who, StepUpAction::VerifyIdentity).await?;
        let id = new_id("iv");
        let request = CheckRequest {
            reference: &id,
            document_type: input.document_type,
            document_number: input.document_number,
            full_name: &input.person.full_name,
            full_name_kana: Some(input.person.full_name_kana.as_str()).filter(|k| !k.is_empty()),
            date_of_birth: &input.person.date_of_birth,
            address: &input.person.address,
            selfie_sha256: input.selfie_sha256,
        };
        let check_id = ekyc.submit(&request).await.map_err(from_ekyc)?;
        // A crash from here on leaves a check at the provider that nothing refers to: harmless,
        // and better than an attempt waiting on a check that was never made.
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        users::lock(&self.db, &mut tx, &who.user_id).await?;
        let (recent, total) = verification::attempts_since(&mut *tx, &who.user_id, now - DAY_MS).await?;
        refuse_over_limits(recent, total)?;
        let row = NewAttempt {
            id: &id,
            user_id: &who.user_id,
            document_type: input.document_type,
            document_last4: input.last4(),
            submitted: &input.person,
            provider_check_id: &check_id,
            deadline_at_ms: now + self.config.ekyc_decision_timeout_ms,
        };
        if !verification::insert_attempt(&mut tx, &row, now).await? {
            return Err(IdentityError::Conflict("an identity verification is already in progress"));
        }
        self.consume_grant(&mut tx, who, StepUpAction::VerifyIdentity, now).await?;
        let details = json!({
            "ip": client.ip, "document_type": input.document_type, "document_last4": input.last4(),
            "provider_check_id": check_id,
        });
        self.commit_with_audit(tx, &who.user_id, "identity.verification.submitted", &id, client, details).await?;
        let attempt = verification::attempt_by_id(&self.db, &id).await?.ok_or(IdentityError::NotFound)?;
        Ok(Attempt::from(&attempt))
    }

    /// The user's level and latest attempt; a pending attempt is asked about first, so this
    /// also moves it on.
    pub async fn my_verification(&self, who: &Principal) -> Result<IdentityVerification, IdentityError> {
        let mut latest = verification::latest_of(&self.db, &who.user_id).await?;
        if let Some(attempt) = latest.as_ref().filter(|a| a.status == "pending" && self.has_ekyc()) {
            if let Err(e) = self.refresh_verification(attempt).await {
                tracing::warn!(error = %e, verification = %attempt.id, "a pending verification could not be moved on");
            }
            latest = verification::latest_of(&self.db, &who.user_id).await?;
        }
        let level = self.verification(&who.user_id).await?;
        Ok(IdentityVerification {
            level: level.level,
            verified: level.identity,
            latest_attempt: latest.as_ref().map(Attempt::from),
        })
    }
}

fn refuse_over_limits(recent: i64, total: i64) -> Result<(), IdentityError> {
    if total >= MAX_ATTEMPTS_PER_USER {
        return Err(IdentityError::Conflict("too many identity verification attempts; contact support"));
    }
    if recent >= MAX_ATTEMPTS_PER_DAY {
        return Err(IdentityError::Throttled { retry_after_secs: DAY_MS / 1000 });
    }
    Ok(())
}

/// What the provider's refusal means for the user. Nothing the request carried is repeated.
fn from_ekyc(e: EkycError) -> IdentityError {
    match e {
        EkycError::Refused(_) => invalid(
            "document_number_invalid",
            "document_number",
            "the identity checker cannot take this document; check the document number",
        ),
        other => {
            tracing::warn!(error = %other, "the eKYC provider could not take a check");
            IdentityError::EkycUnavailable
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> VerificationRequest {
        VerificationRequest {
            document_type: "drivers_license".into(),
            document_number: "123456789010".into(),
            full_name: "山田　太郎".into(),
            full_name_kana: Some("ヤマダ タロウ".into()),
            date_of_birth: "1990-04-15".into(),
            address: "東京都渋谷区  渋谷2-1-1".into(),
            selfie_sha256: "a".repeat(64),
        }
    }

    #[test]
    fn a_submission_is_parsed_once_and_keeps_only_the_last_four() {
        let r = request();
        let s = Submission::parse(&r).unwrap();
        assert_eq!(s.person.full_name, "山田 太郎");
        assert_eq!(s.person.address, "東京都渋谷区 渋谷2-1-1");
        assert_eq!(s.last4(), "9010");
        let no_kana = VerificationRequest { full_name_kana: None, ..request() };
        assert_eq!(Submission::parse(&no_kana).unwrap().person.full_name_kana, "", "missing kana stays missing");
    }

    #[test]
    fn what_the_schema_refuses_the_parser_refuses() {
        for bad in [
            VerificationRequest { document_type: "passport".into(), ..request() },
            VerificationRequest { document_number: "12-34".into(), ..request() },
            VerificationRequest { full_name: format!(" {} ", "山".repeat(99)), ..request() },
            VerificationRequest { full_name_kana: Some("やまだ".into()), ..request() },
            VerificationRequest { full_name_kana: Some(" ".into()), ..request() },
            VerificationRequest { date_of_birth: " 1990-04-15".into(), ..request() },
            VerificationRequest { date_of_birth: "1990-02-30".into(), ..request() },
            VerificationRequest { address: "\u{200B}".into(), ..request() },
            VerificationRequest { selfie_sha256: "A".repeat(64), ..request() },
        ] {
            assert!(Submission::parse(&bad).is_err());
        }
    }
}
