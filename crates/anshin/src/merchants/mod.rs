//! Merchants: who may take payments, where, with which credentials, and who works there.
//!
//! One operator proposes a merchant and another approves it (four eyes); only then can it take
//! payments. Its staff are identity accounts (kind `merchant_staff`) whose `org_ref` is the
//! merchant's id, with a role: the owner controls where money goes and who works there, a
//! manager runs the stores, a cashier takes payments and nothing else. Credentials (POS keys,
//! one per store; webhook endpoints) are shown once and kept only sealed.
//!
//! One file per flow: `onboarding` (propose, review, suspend), `stores` (stores and staff),
//! `credentials` (POS keys and webhooks), `payout` (where the money goes). Every SQL statement
//! is in `store`, `store_credentials` and `store_payout`. A request walks downward: HTTP handler → flow → store.
//!
//! Staff reach only their own merchant: asking for another merchant's anything is answered as if
//! it did not exist (so ids cannot be probed) and audited as an authorization failure.

pub mod credentials;
pub mod model;
mod onboarding;
pub mod payout;
pub mod pos_cache;
pub mod store;
pub mod store_credentials;
pub mod store_payout;
pub mod stores;

use std::sync::Arc;

use serde_json::json;

pub use credentials::{NewPosKeyCreated, NewWebhookCreated, verify_pos_signature};
pub use model::*;
pub use onboarding::NewMerchant;
pub use store::{Merchant, StaffMember, Store};
pub use store_credentials::{PosKey, WebhookEndpoint};
pub use store_payout::PayoutAccount;

use crate::audit::{self, AuditEvent};
use crate::identity::{AccountKind, Client, Identity, Principal};
use crate::keys::Keys;
use crate::ledger::Ledger;
use crate::storage::Db;
use store::Tx;

/// Stores one merchant may open: a chain is a few thousand; the template's store level has four digits.
pub const MAX_STORES_PER_MERCHANT: i64 = 9_999;
/// Live POS keys per merchant: one per till is plenty; more is a leak waiting to happen.
pub const MAX_POS_KEYS_PER_MERCHANT: i64 = 200;
/// Enabled webhook endpoints per merchant.
pub const MAX_WEBHOOK_ENDPOINTS: i64 = 10;
/// Merchants an operator lists at once.
pub const MAX_MERCHANT_PAGE: i64 = 100;
/// Payout accounts awaiting a name review that operators see at once: the queue is worked
/// oldest first, and a longer one means more reviewers, not a longer page.
pub const MAX_PAYOUT_REVIEWS_LISTED: i64 = 100;

#[derive(Debug, Clone)]
pub struct MerchantsConfig {
    /// After a webhook secret is rotated, the old one keeps signing beside the new one this long.
    pub webhook_secret_overlap_secs: i64,
    /// Webhook URLs on loopback (`http://127.0.0.1:…`): for tests and local development only;
    /// otherwise every endpoint is `https://` on a public host name.
    pub allow_loopback_webhooks: bool,
    /// A new payout account replaces the old one only after this delay (the owner is told at once).
    pub payout_change_delay_secs: i64,
}

impl Default for MerchantsConfig {
    fn default() -> Self {
        MerchantsConfig {
            webhook_secret_overlap_secs: 24 * 3600,
            allow_loopback_webhooks: false,
            payout_change_delay_secs: 72 * 3600,
        }
    }
}

#[derive(Clone)]
pub struct Merchants {
    db: Db,
    keys: Keys,
    identity: Identity,
    ledger: Ledger,
    config: Arc<MerchantsConfig>,
    pos_cache: Arc<pos_cache::PosContextCache>,
}

/// Who is acting on a merchant, once authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Operator { admin: bool },
    Staff(StaffRole),
}

impl Merchants {
    pub fn new(db: Db, keys: Keys, identity: Identity, ledger: Ledger, config: MerchantsConfig) -> Merchants {
        Merchants { db, keys, identity, ledger, config: Arc::new(config), pos_cache: Default::default() }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// How long an old webhook secret keeps signing after a rotation (pages tell the owner).
    pub fn webhook_secret_overlap_secs(&self) -> i64 {
        self.config.webhook_secret_overlap_secs
    }

    /// How long a payout account change waits before it applies (pages tell the owner).
    pub fn payout_change_delay_secs(&self) -> i64 {
        self.config.payout_change_delay_secs
    }

    /// The merchant `merchant_id` as `who` may see it for `permission`: one of its staff whose
    /// role allows it, or an operator when `operators` says they may. Everything else is audited;
    /// staff of another merchant (or of none) are told it does not exist.
    async fn authorize(
        &self,
        who: &Principal,
        merchant_id: &str,
        permission: Permission,
        operators: bool,
        client: &Client,
    ) -> Result<(Merchant, Actor), MerchantError> {
        let what = format!("merchants.{merchant_id}.{permission:?}");
        let actor = match who.kind {
            AccountKind::Operator if who.is_full() && operators => Some(Actor::Operator { admin: is_admin(who) }),
            AccountKind::MerchantStaff if who.is_full() && who.org_ref == merchant_id => {
                StaffRole::parse(&who.role).map(Actor::Staff)
            }
            _ => None,
        };
        let merchant = store::merchant_by_id(&self.db, merchant_id).await?;
        match (actor, merchant) {
            (Some(Actor::Staff(role)), Some(m)) if !role.may(permission) => {
                let _ = m;
                Err(self.identity.denied(who, &what, client).await.into())
            }
            (Some(actor), Some(m)) => Ok((m, actor)),
            (_, _) => {
                self.identity.denied(who, &what, client).await;
                Err(MerchantError::NotFound)
            }
        }
    }

    /// Operators only (admins when `admin_only`); anyone else is refused and audited.
    async fn require_operator(
        &self,
        who: &Principal,
        admin_only: bool,
        what: &str,
        client: &Client,
    ) -> Result<(), MerchantError> {
        let ok = who.kind == AccountKind::Operator && who.is_full() && (!admin_only || is_admin(who));
        if ok { Ok(()) } else { Err(self.identity.denied(who, what, client).await.into()) }
    }

    /// Write the audit record of a merchant event and commit the transaction it belongs to.
    async fn commit_with_audit(
        &self,
        mut tx: Tx,
        actor: &str,
        action: &str,
        target: &str,
        client: &Client,
        details: serde_json::Value,
    ) -> Result<(), MerchantError> {
        let mut details = details;
        details["ip"] = json!(client.ip);
        let event = AuditEvent::new(actor, action, target).request_id(client.request_id.clone()).details(details);
        audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        // Keys, stores, endpoints, fees and statuses change only here: the payment path reads
        // them afresh from now on.
        self.pos_cache.forget_all();
        Ok(())
    }
}

/// Operators who decide (reviews, suspensions, payout-name reviews): admins, never analysts.
/// Pages ask this to offer only what the operator may do; the flows ask it to refuse the rest.
pub fn is_admin(who: &Principal) -> bool {
    who.kind == AccountKind::Operator && who.is_full() && who.role == "admin"
}

/// Staff may only act while their merchant is active, or set it up while it awaits review.
fn require_usable(m: &Merchant) -> Result<(), MerchantError> {
    match m.status {
        MerchantStatus::Active | MerchantStatus::PendingReview => Ok(()),
        other => Err(MerchantError::NotActive(other.as_str())),
    }
}

impl Merchants {
    /// The merchant, if `who` is one of its staff whose role may refund (owner or manager).
    pub async fn for_refunds(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<Merchant, MerchantError> {
        Ok(self.authorize(who, merchant_id, Permission::Refund, false, client).await?.0)
    }

    /// The merchant, if `who` may see its payments (its staff, or an operator).
    pub async fn for_payments(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<Merchant, MerchantError> {
        Ok(self.authorize(who, merchant_id, Permission::ViewPayments, true, client).await?.0)
    }

    /// The merchant, if `who` is one of its staff who may take payments (a cashier or above).
    pub async fn for_taking_payments(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<Merchant, MerchantError> {
        Ok(self.authorize(who, merchant_id, Permission::TakePayments, false, client).await?.0)
    }
}

impl Merchants {
    /// The merchant, if `who` may see its settlements and payouts (owners, managers, operators).
    pub async fn for_settlements(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<Merchant, MerchantError> {
        Ok(self.authorize(who, merchant_id, Permission::ViewSettlements, true, client).await?.0)
    }
}
