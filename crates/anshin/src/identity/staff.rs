//! Operators and merchant staff: created from the command line with a one-time initial password,
//! and made to enrol a strong factor at first sign-in. Operators' powers over other accounts
//! (ending sessions, reading the audit log) are audited, and so is every refusal.

use serde_json::json;

use super::model::{AccountKind, Client, Principal, StepUpAction};
use super::store::{sessions, users};
use super::types::{Email, LegalName};
use super::{Identity, IdentityError};
use crate::audit::{self, AuditEvent, AuditRecord};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// Audit records an operator may read at once.
pub const MAX_AUDIT_PAGE: i64 = 200;

impl Identity {
    /// Create an operator (analyst or admin). Returns a generated initial password, shown once.
    pub async fn create_operator(&self, email: &str, legal_name: &str, role: &str) -> Result<String, IdentityError> {
        if !matches!(role, "analyst" | "admin") {
            return Err(IdentityError::Invalid {
                code: "role_invalid",
                message: "role must be analyst or admin".into(),
                param: "role",
            });
        }
        self.create_staff(None, AccountKind::Operator, "", email, legal_name, role).await
    }

    /// Create a merchant staff member (owner, manager or cashier) of merchant `org_ref` (whose
    /// existence the merchants context has checked). `by`: the signed-in staff member or operator
    /// adding them, whose `add_staff` grant is spent with the new account; `None` from the command line.
    pub async fn create_merchant_staff(
        &self,
        by: Option<&Principal>,
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
        let valid_ref = !org_ref.is_empty()
            && org_ref.len() <= 64
            && org_ref.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid_ref {
            return Err(IdentityError::Invalid {
                code: "merchant_invalid",
                message: "merchant must be 1 to 64 of [A-Za-z0-9_-]".into(),
                param: "merchant",
            });
        }
        self.create_staff(by, AccountKind::MerchantStaff, org_ref, email, legal_name, role).await
    }

    async fn create_staff(
        &self,
        by: Option<&Principal>,
        kind: AccountKind,
        org_ref: &str,
        email: &str,
        legal_name: &str,
        role: &str,
    ) -> Result<String, IdentityError> {
        let email = Email::parse(email).map_err(IdentityError::invalid("email_invalid", "email"))?;
        let name = LegalName::parse(legal_name).map_err(IdentityError::invalid("legal_name_invalid", "legal_name"))?;
        if let Some(who) = by {
            self.require_grant(who, StepUpAction::AddStaff).await?;
        }
        let password = new_initial_password();
        let hash = self.hasher.hash(&password).await?;
        let user_id = new_id("usr");
        let mut tx = self.db.begin_write().await?;
        let inserted = users::insert_staff(
            &mut tx,
            &user_id,
            kind.as_str(),
            org_ref,
            role,
            email.as_str(),
            name.as_str(),
            &hash,
            now_ms(),
        )
        .await?;
        if !inserted {
            return Err(IdentityError::Conflict("an account with this e-mail address already exists"));
        }
        if let Some(who) = by {
            self.consume_grant(&mut tx, who, StepUpAction::AddStaff, now_ms()).await?;
        }
        let actor = by.map(|w| w.user_id.as_str()).unwrap_or("cli");
        let event = AuditEvent::new(actor, format!("identity.{}.created", kind.as_str()), &user_id)
            .details(json!({ "role": role, "org": org_ref }));
        audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(password)
    }

    /// An operator ends every session of a user (a suspected takeover).
    pub async fn revoke_all_for(
        &self,
        operator: &Principal,
        user_id: &str,
        client: &Client,
    ) -> Result<u64, IdentityError> {
        if operator.kind != AccountKind::Operator || !operator.is_full() {
            return Err(self.denied(operator, "ops.user.sessions_revoked", client).await);
        }
        let mut tx = self.db.begin_write().await?;
        let revoked = sessions::revoke_all(&mut tx, user_id, now_ms()).await?;
        let details = json!({ "ip": client.ip, "sessions_revoked": revoked, "operator_role": operator.role });
        self.commit_with_audit(tx, &operator.user_id, "ops.user.sessions_revoked", user_id, client, details).await?;
        Ok(revoked)
    }

    /// Operators read the audit log, newest first; the read itself is audited (in the same
    /// transaction as nothing else, before the records are returned).
    pub async fn read_audit(
        &self,
        operator: &Principal,
        before_seq: Option<i64>,
        limit: i64,
        client: &Client,
    ) -> Result<Vec<AuditRecord>, IdentityError> {
        if operator.kind != AccountKind::Operator || !operator.is_full() {
            return Err(self.denied(operator, "ops.audit.read", client).await);
        }
        let limit = limit.clamp(1, MAX_AUDIT_PAGE);
        let event = AuditEvent::new(&operator.user_id, "ops.audit.read", "audit_log")
            .request_id(client.request_id.clone())
            .details(json!({ "ip": client.ip, "before_seq": before_seq, "limit": limit }));
        audit::record(&self.db, event).await?;
        Ok(audit::read_recent(&self.db, before_seq, limit).await?)
    }

    /// Operators ask for a verification of the whole chain now; its result is stored and shown.
    pub async fn verify_audit_now(
        &self,
        operator: &Principal,
        client: &Client,
    ) -> Result<audit::AuditCheck, IdentityError> {
        if operator.kind != AccountKind::Operator || !operator.is_full() {
            return Err(self.denied(operator, "ops.audit.verify", client).await);
        }
        Ok(audit::check_and_record(&self.db, &operator.user_id).await?)
    }
}

/// 20 characters from a 32-letter alphabet: 100 bits, shown once to whoever runs the command.
fn new_initial_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789-";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

impl Identity {
    /// Operators see the newest stored verification of the audit chain.
    pub async fn last_audit_check(
        &self,
        operator: &Principal,
        client: &Client,
    ) -> Result<Option<audit::AuditCheck>, IdentityError> {
        if operator.kind != AccountKind::Operator || !operator.is_full() {
            return Err(self.denied(operator, "ops.audit.verification", client).await);
        }
        Ok(audit::last_check(&self.db).await?)
    }
}
