//! Identity: who may act. Registration that proves both contacts, a password and a second factor
//! at every sign-in, sessions, step-up grants bound to one action, the lost-phone lock that
//! always wins, recovery, and the guards that slow attackers without locking owners out.
//!
//! One file per flow, all `impl Identity`: `registration`, `signin`, `proofs` (checking and
//! spending factors), `enrolment` (adding and removing factors), `stepup`, `recovery` (password
//! reset), `lock` (lock and unlock), `contacts`, `sessions`, `staff` (operators and merchant staff),
//! `guards` (failure counters), `sweep` (background work), and `kyc` (identity verification
//! levels and the eKYC provider). Every SQL statement is in `store/`.
//! Notices (e-mail and SMS) are in `notices`. A request walks downward: HTTP handler → flow →
//! store, never back up.
//!
//! Two rules hold everywhere. An answer that could tell an outsider whether an account exists
//! looks the same either way. A code, factor or grant is spent in the same transaction as the
//! effect it authorises, with its audit record and notices, so a crash never spends one for
//! nothing and never lets one work twice.

pub mod breach;
pub mod codes;
mod config;
mod contacts;
mod enrolment;
mod error;
pub(crate) mod guards;
pub mod kyc;
mod lock;
pub mod model;
mod notices;
pub mod passkeys;
pub mod password;
mod proofs;
mod recovery;
mod registration;
mod sessions;
mod signin;
mod staff;
mod stepup;
pub mod store;
mod sweep;
pub mod totp;
pub mod types;

use std::sync::Arc;

use serde_json::json;

pub use config::IdentityConfig;
pub use error::IdentityError;
pub use model::*;
pub use staff::MAX_AUDIT_PAGE;
pub use sweep::{SWEEP_INTERVAL_SECS, purge_stale_state};

use crate::audit::{self, AuditEvent};
use crate::keys::Keys;
use crate::notify::{self, Channel, OutboxMessage};
use crate::storage::Db;
use notices::Notice;
use password::PasswordHasher;
use store::Tx;
use store::users::User;

/// Recovery codes issued at a time (registration, adding an app).
const RECOVERY_CODES: usize = 10;

#[derive(Clone)]
pub struct Identity {
    db: Db,
    keys: Keys,
    hasher: PasswordHasher,
    config: Arc<IdentityConfig>,
    /// The WebAuthn relying party for passkeys.
    rp: Arc<webauthn_rs::Webauthn>,
    breach: Option<breach::BreachCheck>,
    /// The eKYC provider; without it, submissions answer `EkycUnavailable` (reviews still work).
    ekyc: Option<Arc<kyc::EkycClient>>,
}

impl Identity {
    /// Fails only if `config.public_url` cannot serve as a WebAuthn origin.
    pub fn new(db: Db, keys: Keys, hasher: PasswordHasher, config: IdentityConfig) -> Result<Identity, String> {
        let rp = Arc::new(passkeys::relying_party(&config.public_url)?);
        let breach = config.breach_check_url.as_deref().map(breach::BreachCheck::new).transpose()?;
        Ok(Identity { db, keys, hasher, config: Arc::new(config), rp, breach, ekyc: None })
    }

    /// With an eKYC provider: set before the service is cloned into the others.
    pub fn with_ekyc(mut self, client: kyc::EkycClient) -> Self {
        self.ekyc = Some(Arc::new(client));
        self
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn config(&self) -> &IdentityConfig {
        &self.config
    }

    /// Write the audit record of an identity event and commit the transaction it belongs to.
    async fn commit_with_audit(
        &self,
        mut tx: Tx,
        actor: &str,
        action: &str,
        target: &str,
        client: &Client,
        details: serde_json::Value,
    ) -> Result<(), IdentityError> {
        let event = AuditEvent::new(actor, action, target).request_id(client.request_id.clone()).details(details);
        audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A failure or refusal, audited on its own (nothing else commits with it).
    async fn audit_failure(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        client: &Client,
        details: serde_json::Value,
    ) -> Result<(), IdentityError> {
        let event = AuditEvent::new(actor, action, target)
            .request_id(client.request_id.clone())
            .outcome("failure")
            .details(details);
        audit::record(&self.db, event).await?;
        Ok(())
    }

    /// Queue messages inside the transaction of the event that causes them.
    async fn send(&self, tx: &mut Tx, messages: &[OutboxMessage]) -> Result<(), IdentityError> {
        notify::enqueue(&self.db, tx, messages).await?;
        Ok(())
    }

    /// Tell the owner on every verified contact (e-mail, and SMS when there is a phone).
    async fn tell_owner(&self, tx: &mut Tx, user: &User, notice: Notice) -> Result<(), IdentityError> {
        let mut messages = vec![notice.to(Channel::Email, &user.email, &user.locale)];
        if !user.phone.is_empty() {
            messages.push(notice.to(Channel::Sms, &user.phone, &user.locale));
        }
        self.send(tx, &messages).await
    }

    /// Tell the owner by e-mail only (routine confirmations).
    async fn mail_owner(&self, tx: &mut Tx, user: &User, notice: Notice) -> Result<(), IdentityError> {
        self.send(tx, &[notice.to(Channel::Email, &user.email, &user.locale)]).await
    }

    /// Audit an authorization failure: a signed-in principal asked for something it may not do.
    pub async fn denied(&self, who: &Principal, what: &str, client: &Client) -> IdentityError {
        let details = json!({ "ip": client.ip, "what": what, "kind": who.kind.as_str(), "role": who.role });
        if let Err(e) = self.audit_failure(&who.user_id, "authz.denied", what, client, details).await {
            return e;
        }
        IdentityError::Forbidden
    }
}

/// 256 random bits as hex: session, device and reset tokens (only their hashes are stored).
fn new_token() -> String {
    format!("{}{}", crate::storage::ids::random_hex_128(), crate::storage::ids::random_hex_128())
}
