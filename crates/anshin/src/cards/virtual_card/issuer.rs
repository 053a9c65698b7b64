//! Anshin as the issuer of its virtual cards. The card network (`anshin sim card-network` in
//! development) sends an authorisation with the card's number; the vault reads it and hands over
//! everything but the digits, and the card is found by its fingerprint. Every message carries the
//! network's key (compared in constant time) and is idempotent on the network's reference.
//!
//! Approve: a ledger hold on the balance the purchase spends (lite when it covers the amount,
//! else money), written with the authorisation's row (only while the card is still active), the
//! ledger's audit record and the holder's notice, in one transaction. Decline: the row, an audit
//! record and the notice. A clearing captures the hold (up to the amount held) into
//! `card_issuing_settlement`; a reversal voids it; the sweep voids holds nobody cleared in time.

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::model::{Asked, Decline, EXPIRY_SWEEP_BATCH, LEDGER_HOLD_GRACE_SECS, VirtualCardAuthorization, judge};
use super::{VirtualCard, store};
use crate::audit::AuditEvent;
use crate::cards::{Cards, CardsError, jst_date};
use crate::ledger::{AccountKind, Command, Currency, LedgerError, Origin, Request};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// What the issuer answers the network: an HTTP status and a JSON body with an ISO 8583
/// response code (`00` approved) and nothing an attacker could learn a field from.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerAnswer {
    pub status: u16,
    pub body: Value,
}

impl IssuerAnswer {
    fn of(status: u16, body: Value) -> IssuerAnswer {
        IssuerAnswer { status, body }
    }
    fn refused(status: u16, response_code: &str) -> IssuerAnswer {
        IssuerAnswer::of(status, json!({ "response_code": response_code }))
    }
    fn authorization(a: &VirtualCardAuthorization) -> IssuerAnswer {
        let approved = a.status != "declined";
        let code = if approved { "00" } else { Decline::from_reason(&a.decline_reason).response_code() };
        let mut body = json!({ "network_ref": a.network_ref, "approved": approved, "response_code": code });
        if approved {
            body["auth_code"] = json!(a.auth_code);
        }
        IssuerAnswer::of(200, body)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Clearing {
    network_ref: uuid::Uuid,
    amount_minor: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reversal {
    network_ref: uuid::Uuid,
}

/// Six characters from an alphabet without look-alikes: the approval code the merchant prints.
fn auth_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..6).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

impl Cards {
    /// Whether `bearer` is the card network's key (none configured: nobody is).
    fn is_network(&self, bearer: Option<&str>) -> bool {
        let Some(network) = self.network.as_ref() else { return false };
        let presented: [u8; 32] = Sha256::digest(bearer.unwrap_or("").as_bytes()).into();
        let expected: [u8; 32] = Sha256::digest(network.api_key.as_bytes()).into();
        bearer.is_some_and(|b| !b.is_empty()) && bool::from(presented.ct_eq(&expected))
    }

    /// `POST /issuer/authorizations`: approve or decline a purchase with one of our cards.
    pub async fn issuer_authorize(&self, bearer: Option<&str>, body: &[u8]) -> Result<IssuerAnswer, CardsError> {
        if !self.is_network(bearer) {
            return Ok(IssuerAnswer::refused(401, "unauthorized"));
        }
        // 30: format error. The vault's own reason is kept back; it never repeats the body.
        let Ok(asked) = self.vault.read_issuer_authorization(body) else {
            return Ok(IssuerAnswer::refused(400, "30"));
        };
        let network_ref = asked.network_ref.to_string();
        let amount_minor = i64::try_from(asked.amount_minor).unwrap_or(i64::MAX);
        if let Some(seen) = store::authorization_by_ref(&self.db, &network_ref).await? {
            return Ok(replay(&seen, amount_minor));
        }
        let card = store::card_by_fingerprint(&self.db, &asked.fingerprint).await?;
        let now = now_ms();
        let mut row = VirtualCardAuthorization {
            id: new_id("vca"),
            network_ref,
            card_id: card.as_ref().map(|c| c.id.clone()).unwrap_or_default(),
            user_id: card.as_ref().map(|c| c.user_id.clone()).unwrap_or_default(),
            amount_minor,
            currency: asked.currency.clone(),
            merchant_name: asked.merchant_name.clone(),
            mcc: asked.mcc.clone(),
            status: "approved".into(),
            decline_reason: String::new(),
            hold_id: String::new(),
            balance: String::new(),
            auth_code: String::new(),
            settled_minor: 0,
            expires_at_ms: now + self.config.virtual_cards.hold_ttl_secs * 1000,
            created_at_ms: now,
        };
        let Some(card) = card else {
            return self.decline_authorization(row, Decline::InvalidCard, None).await;
        };
        let today = jst_date(now);
        let judged = judge(
            &card,
            &Asked {
                exp_month: i64::from(asked.expiry.month()),
                exp_year: i64::from(asked.expiry.year()),
                amount_minor,
                currency: &asked.currency,
                mcc: &asked.mcc,
                today: (i64::from(today.year()), i64::from(today.month())),
            },
        );
        if let Err(decline) = judged {
            return self.decline_authorization(row, decline, Some(&card)).await;
        }
        // Checked again in the hold's transaction (`approved_effect`).
        if store::money_out_blocked_until(&self.db, &card.user_id).await? > now {
            return self.decline_authorization(row, Decline::CoolingOff, Some(&card)).await;
        }
        let accounts = self.wallets.accounts(&card.user_id).await?;
        let available = self.ledger.available(&[accounts.lite.as_str(), accounts.money.as_str()]).await?;
        let Some(balance) = super::model::pick_balance(amount_minor, available[0], available[1]) else {
            return self.decline_authorization(row, Decline::InsufficientFunds, Some(&card)).await;
        };
        row.balance = balance.into();
        row.auth_code = auth_code();
        let debit = if balance == "lite" { accounts.lite } else { accounts.money };
        self.approve(row, &card, debit).await
    }

    /// The hold, the authorisation's row (only while the card is active) and the notice, in the
    /// ledger's one transaction. A hold the balance no longer covers, or a card frozen or replaced
    /// meanwhile, is declined instead.
    async fn approve(
        &self,
        row: VirtualCardAuthorization,
        card: &VirtualCard,
        debit: String,
    ) -> Result<IssuerAnswer, CardsError> {
        let jpy = Currency::jpy();
        let settlement = self.ledger.system_account(AccountKind::CardIssuingSettlement, &jpy).await?;
        let ttl_secs =
            (self.config.virtual_cards.hold_ttl_secs + LEDGER_HOLD_GRACE_SECS).min(crate::ledger::MAX_HOLD_TTL_SECS);
        let request = Request {
            command: Command::Hold {
                key: format!("vcauth:{}", row.network_ref),
                debit_account_id: debit,
                credit_account_id: settlement,
                currency: jpy,
                amount_minor: row.amount_minor,
                ttl_secs,
            },
            origin: Origin { actor: "card_network".into(), request_id: row.id.clone() },
            notify: self.usage_notice(&row, card, "approved").await?.into_iter().collect(),
            effects: vec![store::approved_effect(&row)],
        };
        match self.ledger.submit(request).await {
            Ok(_) => {}
            Err(LedgerError::InsufficientFunds(_)) => {
                return self.decline_authorization(row, Decline::InsufficientFunds, Some(card)).await;
            }
            Err(LedgerError::EffectRefused("virtual_card_not_active")) => {
                // Frozen or replaced since it was read, a cooling-off begun meanwhile, or the
                // same reference decided meanwhile.
                if let Some(seen) = store::authorization_by_ref(&self.db, &row.network_ref).await? {
                    return Ok(replay(&seen, row.amount_minor));
                }
                let now_dead = store::card_by_fingerprint(&self.db, &card.fingerprint).await?;
                let decline = match now_dead {
                    Some(c) if c.status == "frozen" => Decline::Frozen,
                    Some(c) if c.status == "active" => Decline::CoolingOff,
                    _ => Decline::InvalidCard,
                };
                return self.decline_authorization(row, decline, Some(card)).await;
            }
            Err(e) => return Err(e.into()),
        }
        let seen = store::authorization_by_ref(&self.db, &row.network_ref).await?.ok_or(CardsError::NotFound)?;
        Ok(replay(&seen, row.amount_minor))
    }

    async fn decline_authorization(
        &self,
        mut row: VirtualCardAuthorization,
        decline: Decline,
        card: Option<&VirtualCard>,
    ) -> Result<IssuerAnswer, CardsError> {
        row.status = "declined".into();
        row.decline_reason = decline.reason().into();
        row.balance.clear();
        row.auth_code.clear();
        let notice = match card {
            Some(card) => self.usage_notice(&row, card, "declined").await?,
            None => None,
        };
        let mut tx = self.db.begin_write().await?;
        if store::insert_declined(&mut tx, &row).await? {
            if let Some(notice) = notice {
                crate::notify::enqueue(&self.db, &mut tx, std::slice::from_ref(&notice)).await?;
            }
            let event = AuditEvent::new("card_network", "cards.virtual.authorization_declined", &row.id)
                .details(json!({ "card": row.card_id, "reason": row.decline_reason, "amount_minor": row.amount_minor,
                        "mcc": row.mcc, "network_ref": row.network_ref }));
            crate::audit::append(&self.db, &mut tx, &[event]).await?;
            tx.commit().await?;
        } else {
            tx.rollback().await?; // decided meanwhile; ended before the read below
        }
        let seen = store::authorization_by_ref(&self.db, &row.network_ref).await?.ok_or(CardsError::NotFound)?;
        Ok(replay(&seen, row.amount_minor))
    }

    /// The holder's e-mail for one authorisation: merchant, amount, last four, approved or not.
    async fn usage_notice(
        &self,
        row: &VirtualCardAuthorization,
        card: &VirtualCard,
        outcome: &str,
    ) -> Result<Option<crate::notify::OutboxMessage>, CardsError> {
        let Some(user) = crate::funding::store::user_facts(&self.db, &card.user_id).await? else { return Ok(None) };
        let amount = crate::i18n::yen(row.amount_minor);
        Ok(Some(crate::i18n::email(
            &user.email,
            &user.locale,
            &format!("virtual-card-{outcome}"),
            &[
                ("amount", amount.as_str().into()),
                ("digits", card.last4.as_str().into()),
                ("merchant", row.merchant_name.as_str().into()),
            ],
        )))
    }

    /// `POST /issuer/clearings`: the merchant's clearing settles the hold, up to the amount held.
    pub async fn issuer_clear(&self, bearer: Option<&str>, body: &[u8]) -> Result<IssuerAnswer, CardsError> {
        if !self.is_network(bearer) {
            return Ok(IssuerAnswer::refused(401, "unauthorized"));
        }
        let Ok(clearing) = serde_json::from_slice::<Clearing>(body) else {
            return Ok(IssuerAnswer::refused(400, "30"));
        };
        let Some(auth) = store::authorization_by_ref(&self.db, &clearing.network_ref.to_string()).await? else {
            return Ok(IssuerAnswer::refused(404, "25"));
        };
        let answer = |a: &VirtualCardAuthorization| {
            IssuerAnswer::of(
                200,
                json!({ "network_ref": a.network_ref, "status": a.status,
                                          "settled_minor": a.settled_minor }),
            )
        };
        if auth.status == "settled" && auth.settled_minor == clearing.amount_minor {
            return Ok(answer(&auth)); // a repeat
        }
        if auth.status != "approved" || now_ms() > auth.expires_at_ms {
            return Ok(IssuerAnswer::refused(409, "12"));
        }
        if clearing.amount_minor < 1 || clearing.amount_minor > auth.amount_minor {
            return Ok(IssuerAnswer::refused(400, "13"));
        }
        let request = Request {
            command: Command::Capture {
                key: format!("vcclear:{}", auth.network_ref),
                hold_id: auth.hold_id.clone(),
                amount_minor: clearing.amount_minor,
            },
            origin: Origin { actor: "card_network".into(), request_id: auth.id.clone() },
            notify: Vec::new(),
            effects: vec![store::resolved_effect(&auth.id, "settled", clearing.amount_minor, now_ms())],
        };
        match self.ledger.submit(request).await {
            Ok(_) | Err(LedgerError::EffectRefused(_)) => {}
            Err(LedgerError::HoldExpired(_) | LedgerError::HoldNotPending { .. }) => {
                return Ok(IssuerAnswer::refused(409, "12"));
            }
            Err(e) => return Err(e.into()),
        }
        let auth = store::authorization_by_ref(&self.db, &auth.network_ref).await?.ok_or(CardsError::NotFound)?;
        Ok(answer(&auth))
    }

    /// `POST /issuer/reversals`: the merchant cancelled; the hold is released at once.
    pub async fn issuer_reverse(&self, bearer: Option<&str>, body: &[u8]) -> Result<IssuerAnswer, CardsError> {
        if !self.is_network(bearer) {
            return Ok(IssuerAnswer::refused(401, "unauthorized"));
        }
        let Ok(reversal) = serde_json::from_slice::<Reversal>(body) else {
            return Ok(IssuerAnswer::refused(400, "30"));
        };
        let Some(auth) = store::authorization_by_ref(&self.db, &reversal.network_ref.to_string()).await? else {
            return Ok(IssuerAnswer::refused(404, "25"));
        };
        if auth.status == "approved" {
            self.release(&auth, "reversed", format!("vcrev:{}", auth.network_ref)).await?;
        }
        let auth = store::authorization_by_ref(&self.db, &auth.network_ref).await?.ok_or(CardsError::NotFound)?;
        if auth.status != "reversed" {
            return Ok(IssuerAnswer::refused(409, "12"));
        }
        Ok(IssuerAnswer::of(200, json!({ "network_ref": auth.network_ref, "status": auth.status })))
    }

    /// Void an approved authorisation's hold and move its row to `status`, together.
    async fn release(
        &self,
        auth: &VirtualCardAuthorization,
        status: &'static str,
        key: String,
    ) -> Result<(), CardsError> {
        let request = Request {
            command: Command::Void { key, hold_id: auth.hold_id.clone() },
            origin: Origin { actor: "card_network".into(), request_id: auth.id.clone() },
            notify: Vec::new(),
            effects: vec![store::resolved_effect(&auth.id, status, 0, now_ms())],
        };
        match self.ledger.submit(request).await {
            Ok(_) | Err(LedgerError::EffectRefused(_)) => Ok(()),
            // The ledger's own expiry got there first (the backstop): the row follows it.
            Err(LedgerError::HoldNotPending { status: held, .. }) if held == "expired" => {
                let mut tx = self.db.begin_write().await?;
                if store::mark_expired(&mut tx, &auth.id, now_ms()).await? {
                    let event = AuditEvent::new("system", "cards.virtual.authorization_expired", &auth.id)
                        .details(json!({ "hold": auth.hold_id }));
                    crate::audit::append(&self.db, &mut tx, &[event]).await?;
                    tx.commit().await?;
                } else {
                    tx.rollback().await?;
                }
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One round of the expiry sweep: approved holds past the issuer's expiry are voided and the
    /// balance returns. Returns how many.
    pub async fn expire_virtual_card_holds(&self) -> Result<usize, CardsError> {
        let due = store::expired_holds(&self.db, now_ms(), EXPIRY_SWEEP_BATCH).await?;
        for auth in &due {
            self.release(auth, "expired", format!("vcexp:{}", auth.network_ref)).await?;
        }
        Ok(due.len())
    }
}

/// The answer already given for a network reference, or a refusal when the repeat is not the
/// same purchase.
fn replay(seen: &VirtualCardAuthorization, amount_minor: i64) -> IssuerAnswer {
    if seen.amount_minor != amount_minor {
        return IssuerAnswer::refused(409, "94"); // 94: duplicate transmission
    }
    IssuerAnswer::authorization(seen)
}
