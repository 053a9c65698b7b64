//! Adding a card. The order matters: the card-testing limits are charged before anything is
//! judged; the number is sealed by the vault the moment it is parsed; the network checks number,
//! expiry and security code together (and the code is then gone); only then does 3-D Secure
//! authenticate the holder. A card is usable only once all of that passed.

use serde::Deserialize;
use serde_json::json;

use super::store::{self, Card};
use super::threeds::{Purpose, Started};
use super::{Cards, CardsError, MAX_CARDS_PER_USER};
use crate::identity::{Client, Principal};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// What the customer typed. `Debug` shows none of it.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCardRequest {
    /// The card number: 12 to 19 digits, spaces and hyphens allowed between them.
    #[schema(min_length = 12, max_length = 40)]
    pub number: String,
    #[schema(minimum = 1, maximum = 12)]
    pub exp_month: i64,
    /// Four digits (2030) or two (30).
    #[schema(minimum = 0, maximum = 9999)]
    pub exp_year: i64,
    /// Three digits (four on American Express). Sent to the card network once; never stored.
    #[schema(min_length = 3, max_length = 4)]
    pub security_code: String,
}

impl std::fmt::Debug for AddCardRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddCardRequest(…)")
    }
}

/// A card just added: `authenticating` with a `challenge_url` to open in the browser, `active`, or
/// (when 3-D Secure failed) `failed`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CardAdded {
    #[serde(flatten)]
    pub card: Card,
    /// Where the cardholder's browser completes the issuer's challenge, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_url: Option<String>,
}

/// The one answer to a card that did not check out, whichever field (or limit) it was.
const DECLINED: CardsError = CardsError::Declined("card_declined");

impl Cards {
    pub async fn add_card(
        &self,
        who: &Principal,
        req: &AddCardRequest,
        client: &Client,
    ) -> Result<CardAdded, CardsError> {
        self.require_wallet(who, "cards.add", client).await?;
        let network = self.network()?.clone();
        if store::live_cards(&self.db, &who.user_id).await? >= MAX_CARDS_PER_USER {
            return Err(CardsError::Conflict("a wallet holds at most five cards: remove one first"));
        }
        let testing = &self.config.testing;
        if !testing.admit(&self.db, &who.user_id, client).await? {
            self.audit_refusal(who, client, "limit").await?;
            return Err(DECLINED);
        }
        let digits: String = req.number.chars().filter(char::is_ascii_digit).collect();
        let bin6 = digits.get(..6);
        let now = now_ms();
        let parsed = vault::CardNumber::parse(&req.number).and_then(|number| {
            let expiry =
                vault::Expiry::parse(&req.exp_month.to_string(), &req.exp_year.to_string(), super::jst_date(now))?;
            let code = vault::SecurityCode::parse(&req.security_code, number.brand())?;
            Ok((number, expiry, code))
        });
        let (number, expiry, code) = match parsed {
            Ok(parsed) => parsed,
            Err(e) if is_shape_error(e) => return Err(shape_error(e)),
            Err(_) => {
                // A wrong check digit, an unknown BIN or a past date: a failed card check like
                // any other, counted against every scope.
                let (within, _) = testing.charge(&self.db, &who.user_id, client, bin6, None).await?;
                self.audit_refusal(who, client, if within { "card_checks" } else { "limit" }).await?;
                return Err(DECLINED);
            }
        };
        let fingerprint = self.vault.fingerprint(&number);
        let (within, charged) = testing.charge(&self.db, &who.user_id, client, bin6, Some(&fingerprint)).await?;
        if !within {
            self.audit_refusal(who, client, "limit").await?;
            return Err(DECLINED);
        }
        // Another process may have rotated the key-encryption key: a new card goes under the
        // active one (card additions are rare, so reading the key file each time costs nothing).
        if let Err(e) = self.vault.reload_keys() {
            tracing::warn!(error = %e, "the vault's key file could not be re-read; sealing under the key in memory");
        }
        let sealed = self.vault.seal(number, expiry);
        let verification = match network.client.verify(&self.vault, &sealed, code).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "card verification did not complete");
                testing.give_back(&self.db, charged).await?;
                return Err(CardsError::NetworkUnavailable);
            }
        };
        if verification.outcome != vault::Outcome::Approved {
            self.audit_refusal(who, client, "network").await?;
            return Err(DECLINED);
        }
        testing.give_back(&self.db, charged).await?;
        let card = Card {
            id: new_id("cd"),
            user_id: who.user_id.clone(),
            token: sealed.token.clone(),
            brand: store::enum_text(&sealed.brand),
            bin6: sealed.bin6.clone(),
            last4: sealed.last4.clone(),
            exp_month: i64::from(sealed.exp_month),
            exp_year: i64::from(sealed.exp_year),
            status: "authenticating".into(),
            failure_reason: String::new(),
            created_at_ms: now,
        };
        let mut tx = self.db.begin_write().await?;
        store::insert_sealed(&mut tx, &sealed, now).await?;
        if !store::insert_card(&mut tx, &card, &sealed.fingerprint).await? {
            return Err(CardsError::Conflict("this card cannot be added to this wallet"));
        }
        let details = json!({ "card": card.id, "brand": card.brand, "last4": card.last4, "ip": client.ip });
        let event = crate::audit::AuditEvent::new(&who.user_id, "cards.card.verified", &card.id)
            .request_id(client.request_id.clone())
            .details(details);
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        let started = self.authenticate(&card, &sealed, Purpose::Registration, None, 0, true).await?;
        let challenge_url = match started {
            Started::Challenge(url) => Some(url),
            Started::Waiting => None,
            Started::Final(status) => {
                self.settle_registration(&card.id, &status).await?;
                None
            }
        };
        let card = store::card(&self.db, &card.id).await?.ok_or(CardsError::NotFound)?;
        Ok(CardAdded { card, challenge_url })
    }

    /// Registration's 3-D Secure ended with `status`: Y or A activate the card; anything else
    /// fails it. Idempotent: only an `authenticating` card moves.
    pub(super) async fn settle_registration(&self, card_id: &str, status: &str) -> Result<(), CardsError> {
        let (to, reason) = match status {
            "Y" | "A" => ("active", ""),
            "N" | "R" => ("failed", "authentication_failed"),
            _ => ("failed", "authentication_unavailable"),
        };
        let now = now_ms();
        let card = store::card(&self.db, card_id).await?.ok_or(CardsError::NotFound)?;
        let mut tx = self.db.begin_write().await?;
        if !store::decide_card(&mut tx, card_id, "authenticating", to, reason, now).await? {
            return Ok(());
        }
        if to == "active"
            && let Some(user) = crate::funding::store::user_facts(&self.db, &card.user_id).await?
        {
            let notice =
                crate::i18n::email(&user.email, &user.locale, "card-added", &[("digits", card.last4.as_str().into())]);
            crate::notify::enqueue(&self.db, &mut tx, std::slice::from_ref(&notice)).await?;
        }
        let action = if to == "active" { "cards.card.added" } else { "cards.card.failed" };
        let event = crate::audit::AuditEvent::new("system", action, card_id)
            .details(json!({ "trans_status": status, "reason": reason, "user": card.user_id }));
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_card(&self, who: &Principal, id: &str, client: &Client) -> Result<(), CardsError> {
        self.require_wallet(who, "cards.remove", client).await?;
        let card = store::card(&self.db, id).await?.filter(|c| c.user_id == who.user_id).ok_or(CardsError::NotFound)?;
        let mut tx = self.db.begin_write().await?;
        let moved = store::decide_card(&mut tx, &card.id, &card.status, "removed", "", now_ms()).await?;
        if !moved || card.status == "removed" {
            return Err(CardsError::NotFound);
        }
        let event = crate::audit::AuditEvent::new(&who.user_id, "cards.card.removed", &card.id)
            .request_id(client.request_id.clone())
            .details(json!({ "ip": client.ip }));
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A refused card check is an audit event (PCI DSS 10.2: card-data access), with why in the
    /// record and nothing of the card.
    async fn audit_refusal(&self, who: &Principal, client: &Client, why: &str) -> Result<(), CardsError> {
        let mut tx = self.db.begin_write().await?;
        let event = crate::audit::AuditEvent::new(&who.user_id, "cards.card.declined", &who.user_id)
            .request_id(client.request_id.clone())
            .details(json!({ "why": why, "ip": client.ip }));
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Input that is not shaped like a card at all (letters, too few digits, a month 13, a code of
/// the wrong length) is a form error, said plainly; it reveals nothing about any real card.
fn is_shape_error(e: vault::CardError) -> bool {
    use vault::CardError as E;
    matches!(e, E::NumberCharacters | E::NumberLength | E::ExpiryFormat | E::ExpiryTooFar | E::SecurityCodeFormat)
}

fn shape_error(e: vault::CardError) -> CardsError {
    use vault::CardError as E;
    let (code, param) = match e {
        E::NumberCharacters | E::NumberLength => ("card_number_invalid", "number"),
        E::SecurityCodeFormat => ("security_code_invalid", "security_code"),
        _ => ("expiry_invalid", "exp_month"),
    };
    CardsError::Invalid { code, message: e.to_string(), param }
}
