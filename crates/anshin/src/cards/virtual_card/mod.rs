//! Virtual cards: each wallet may issue one numberless prepaid card for online shops, spending
//! its balance (the answer to skimming and leaked numbers, THREATS.md). The number lives only in
//! the vault; everything here handles brand, last four, expiry, status and limits.
//!
//! - this file: the holder's side (issue, reveal after a fresh second factor, freeze, replace,
//!   limits, the list of authorisations).
//! - `issuer`: Anshin as the card's issuer: authorisations, clearings and reversals the card
//!   network sends, judged against the card's controls and the wallet's balance; an approval is
//!   a ledger hold that a clearing captures, a reversal voids, or the sweep expires.
//! - `model`: the types and the pure rule; `store`: every SQL statement.

pub mod issuer;
pub mod model;
pub mod store;

use serde_json::json;

pub use issuer::IssuerAnswer;
use model::{CARD_YEARS, DEFAULT_PER_TRANSACTION_LIMIT_MINOR, ISSUE_ATTEMPTS, MAX_PER_TRANSACTION_LIMIT_MINOR};
pub use model::{
    Category, FreezeRequest, NoFields, RevealedCard, VirtualCard, VirtualCardAuthorization, VirtualCardLimits,
    VirtualCardsConfig,
};

use super::{Cards, CardsError, jst_date};
use crate::audit::AuditEvent;
use crate::identity::{Client, Principal, StepUpAction};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

impl Cards {
    /// The wallet's live virtual card (active or frozen), if it has one.
    pub async fn virtual_card(&self, who: &Principal, client: &Client) -> Result<Option<VirtualCard>, CardsError> {
        self.require_wallet(who, "cards.virtual.read", client).await?;
        Ok(store::live_card(&self.db, &who.user_id).await?)
    }

    async fn live_virtual_card(&self, who: &Principal) -> Result<VirtualCard, CardsError> {
        store::live_card(&self.db, &who.user_id).await?.ok_or(CardsError::NotFound)
    }

    /// Issue the wallet's virtual card: a random number under the issuer BIN, sealed by the vault,
    /// valid `CARD_YEARS`. One live card per wallet (the unique index decides between two
    /// concurrent requests).
    pub async fn issue_virtual_card(&self, who: &Principal, client: &Client) -> Result<VirtualCard, CardsError> {
        self.require_wallet(who, "cards.virtual.issue", client).await?;
        if store::live_card(&self.db, &who.user_id).await?.is_some() {
            return Err(CardsError::Conflict("this wallet already has a virtual card"));
        }
        let limits = (DEFAULT_PER_TRANSACTION_LIMIT_MINOR, Vec::new());
        self.put_virtual_card(who, client, None, limits).await
    }

    /// A new number for the wallet's card, with its limits; the old number is dead in the same
    /// transaction, so an authorisation from that moment on is declined.
    pub async fn replace_virtual_card(&self, who: &Principal, client: &Client) -> Result<VirtualCard, CardsError> {
        self.require_wallet(who, "cards.virtual.replace", client).await?;
        let old = self.live_virtual_card(who).await?;
        let limits = (old.per_transaction_limit_minor, old.blocked_categories.clone());
        self.put_virtual_card(who, client, Some(&old), limits).await
    }

    /// Seal a fresh number and store the card (retiring `old` first, in the same transaction),
    /// retrying on the rare fingerprint collision.
    async fn put_virtual_card(
        &self,
        who: &Principal,
        client: &Client,
        old: Option<&VirtualCard>,
        limits: (i64, Vec<Category>),
    ) -> Result<VirtualCard, CardsError> {
        let expiry =
            vault::Expiry::years_after(jst_date(now_ms()), CARD_YEARS).map_err(|e| CardsError::Vault(e.to_string()))?;
        for attempt in 1..=ISSUE_ATTEMPTS {
            let sealed = self
                .vault
                .issue_virtual(&self.config.virtual_cards.issuer_bin, expiry)
                .map_err(|e| CardsError::Vault(e.to_string()))?;
            let now = now_ms();
            let card = VirtualCard {
                id: new_id("vc"),
                user_id: who.user_id.clone(),
                token: sealed.token.clone(),
                fingerprint: sealed.fingerprint.clone(),
                brand: super::store::enum_text(&sealed.brand),
                last4: sealed.last4.clone(),
                exp_month: i64::from(sealed.exp_month),
                exp_year: i64::from(sealed.exp_year),
                status: "active".into(),
                per_transaction_limit_minor: limits.0,
                blocked_categories: limits.1.clone(),
                created_at_ms: now,
            };
            let mut tx = self.db.begin_write().await?;
            if let Some(old) = old
                && !store::set_status(&mut tx, &old.id, &old.status, "replaced", now).await?
            {
                tx.rollback().await?;
                return Err(CardsError::Conflict("the card changed meanwhile; reload and try again"));
            }
            super::store::insert_sealed(&mut tx, &sealed, now).await?;
            let inserted = match store::insert_card(&mut tx, &card, old.map_or("", |o| o.id.as_str()), now).await {
                Ok(inserted) => inserted,
                Err(e)
                    if attempt < ISSUE_ATTEMPTS && e.as_database_error().is_some_and(|d| d.is_unique_violation()) =>
                {
                    tx.rollback().await?;
                    continue; // the random number is already a card's: draw another
                }
                Err(e) => return Err(e.into()),
            };
            if !inserted {
                tx.rollback().await?;
                return Err(CardsError::Conflict("this wallet already has a virtual card"));
            }
            let action = if old.is_some() { "cards.virtual.replaced" } else { "cards.virtual.issued" };
            let event = AuditEvent::new(&who.user_id, action, &card.id)
                .request_id(client.request_id.clone())
                .details(json!({ "last4": card.last4, "replaces": old.map(|o| o.id.clone()), "ip": client.ip }));
            crate::audit::append(&self.db, &mut tx, &[event]).await?;
            tx.commit().await?;
            return Ok(card);
        }
        Err(CardsError::Conflict("no free card number was found; try again"))
    }

    /// Freeze (every authorisation declined) or unfreeze the wallet's card.
    pub async fn freeze_virtual_card(
        &self,
        who: &Principal,
        frozen: bool,
        client: &Client,
    ) -> Result<VirtualCard, CardsError> {
        self.require_wallet(who, "cards.virtual.freeze", client).await?;
        let card = self.live_virtual_card(who).await?;
        let (from, to) = if frozen { ("active", "frozen") } else { ("frozen", "active") };
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if store::set_status(&mut tx, &card.id, from, to, now).await? {
            let action = if frozen { "cards.virtual.frozen" } else { "cards.virtual.unfrozen" };
            let event = AuditEvent::new(&who.user_id, action, &card.id).request_id(client.request_id.clone());
            crate::audit::append(&self.db, &mut tx, &[event]).await?;
            tx.commit().await?;
        } else {
            // Already so. A transaction is always ended before the next query: a dropped one
            // kept SQLite's one write connection until the request timed out.
            tx.rollback().await?;
        }
        self.live_virtual_card(who).await
    }

    /// Set the card's cap per purchase and the merchant categories it declines.
    pub async fn set_virtual_card_limits(
        &self,
        who: &Principal,
        limits: &VirtualCardLimits,
        client: &Client,
    ) -> Result<VirtualCard, CardsError> {
        self.require_wallet(who, "cards.virtual.limits", client).await?;
        if !(1..=MAX_PER_TRANSACTION_LIMIT_MINOR).contains(&limits.per_transaction_limit_minor) {
            let message = format!("the limit per purchase is 1 to {MAX_PER_TRANSACTION_LIMIT_MINOR} yen");
            return Err(CardsError::Invalid {
                code: "per_transaction_limit_invalid",
                message,
                param: "per_transaction_limit_minor",
            });
        }
        if limits.blocked_categories.len() > Category::ALL.len() {
            let message = format!("at most {} categories", Category::ALL.len());
            return Err(CardsError::Invalid { code: "categories_invalid", message, param: "blocked_categories" });
        }
        let mut blocked = limits.blocked_categories.clone();
        blocked.sort_by_key(|c| c.as_str());
        blocked.dedup();
        let card = self.live_virtual_card(who).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if !store::set_limits(&mut tx, &card.id, limits.per_transaction_limit_minor, &blocked, now).await? {
            tx.rollback().await?;
            return Err(CardsError::NotFound);
        }
        let event = AuditEvent::new(&who.user_id, "cards.virtual.limits_set", &card.id)
            .request_id(client.request_id.clone())
            .details(json!({ "per_transaction_limit_minor": limits.per_transaction_limit_minor,
                             "blocked_categories": store::categories_text(&blocked) }));
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        self.live_virtual_card(who).await
    }

    /// The card's number for its holder, after a fresh second factor: the `reveal_card` grant is
    /// spent in the same transaction as the audit record of the reveal (which holds no digits).
    /// The caller renders the number once and keeps it nowhere.
    pub async fn reveal_virtual_card(
        &self,
        who: &Principal,
        client: &Client,
    ) -> Result<(VirtualCard, vault::RevealedNumber), CardsError> {
        self.require_wallet(who, "cards.virtual.reveal", client).await?;
        self.identity.require_grant(who, StepUpAction::RevealCard).await?;
        let card = self.live_virtual_card(who).await?;
        let sealed = super::store::sealed(&self.db, &card.token).await?.ok_or(CardsError::NotFound)?;
        let revealed = self.vault.reveal_to_cardholder(&sealed).map_err(|e| CardsError::Vault(e.to_string()))?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        self.identity.consume_grant(&mut tx, who, StepUpAction::RevealCard, now).await?;
        let event = AuditEvent::new(&who.user_id, "cards.virtual.revealed", &card.id)
            .request_id(client.request_id.clone())
            .details(json!({ "last4": card.last4, "ip": client.ip, "user_agent": client.user_agent }));
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        // The holder hears of every reveal: one they did not make means a session is not theirs.
        if let Some(user) = crate::funding::store::user_facts(&self.db, &who.user_id).await? {
            let when = crate::i18n::tokyo_date_time(
                now,
                crate::i18n::Locale::from_tag(&user.locale).unwrap_or(crate::i18n::PAGE_DEFAULT),
            );
            let args = [("digits", card.last4.as_str().into()), ("when", when.as_str().into())];
            let notice = crate::i18n::email(&user.email, &user.locale, "virtual-card-revealed", &args);
            crate::notify::enqueue(&self.db, &mut tx, std::slice::from_ref(&notice)).await?;
        }
        tx.commit().await?;
        Ok((card, revealed))
    }

    /// The wallet's virtual card authorisations, newest first.
    pub async fn virtual_card_authorizations(
        &self,
        who: &Principal,
        client: &Client,
    ) -> Result<Vec<VirtualCardAuthorization>, CardsError> {
        self.require_wallet(who, "cards.virtual.read", client).await?;
        Ok(store::authorizations_of(&self.db, &who.user_id, model::MAX_LISTED_AUTHORIZATIONS).await?)
    }
}
