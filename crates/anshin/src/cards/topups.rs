//! Card top-ups. The row, the limits it counts against and its authentication are written
//! before the network hears of it; then 3-D Secure; then an authorisation that carries the
//! authentication's proof; then the ledger credits the lite balance (never money: card funds are
//! prepaid value, PAYMENTS-DOMAIN.md §9). Each step moves the row from one state to the next in
//! one guarded statement, so a retried RReq, a sweep and a browser arriving together act once.

use serde::Deserialize;
use serde_json::json;

use super::store::{self, CardTopUp};
use super::threeds::{Purpose, Started, new_authentication};
use super::{CHALLENGE_ABANDONED_AFTER_MS, Cards, CardsError, MAX_LISTED, SWEEP_BATCH, jst_month};
use crate::identity::store::guards;
use crate::identity::{Client, Principal};
use crate::ledger::{AccountKind, Command, Currency, LedgerError, Origin, Posting, Request};
use crate::risk::{self, CardTopUpFacts, Decision};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// An authorisation whose answer was lost is asked again (same idempotency key) after this long.
const AUTHORISATION_RETRY_AFTER_MS: i64 = 30_000;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardTopUpRequest {
    /// A registered, active card (`cd_…`).
    #[schema(min_length = 1, max_length = 64)]
    pub card_id: String,
    /// In yen.
    #[schema(minimum = 1, maximum = 1000000)]
    pub amount_minor: i64,
}

/// A top-up as requested: its state, and the challenge URL when the issuer wants one.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CardTopUpStarted {
    #[serde(flatten)]
    pub top_up: CardTopUp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_url: Option<String>,
}

impl Cards {
    pub async fn request_top_up(
        &self,
        who: &Principal,
        req: &CardTopUpRequest,
        client: &Client,
    ) -> Result<CardTopUpStarted, CardsError> {
        self.require_wallet(who, "cards.top_up.request", client).await?;
        if req.amount_minor < 1 {
            let message = "the amount is a positive number of yen".into();
            return Err(CardsError::Invalid { code: "amount_invalid", message, param: "amount_minor" });
        }
        self.network()?;
        let card = store::card(&self.db, &req.card_id)
            .await?
            .filter(|c| c.user_id == who.user_id)
            .ok_or(CardsError::NotFound)?;
        if card.status != "active" {
            return Err(CardsError::Conflict("this card is not active"));
        }
        let sealed = store::sealed(&self.db, &card.token).await?.ok_or(CardsError::NotFound)?;
        let now = now_ms();
        let user = crate::funding::store::user_facts(&self.db, &who.user_id).await?.ok_or(CardsError::NotFound)?;
        let recent = guards::hit(&self.db, &format!("card:topup:user:{}", who.user_id), 60, now).await?;
        let facts = CardTopUpFacts {
            amount_minor: req.amount_minor,
            per_top_up_limit_minor: self.config.per_top_up_limit_minor,
            top_ups_last_minute: recent,
            top_ups_per_minute_signal: self.config.top_ups_per_minute_signal,
            money_out_blocked_until_ms: user.money_out_blocked_until_ms,
            now_ms: now,
        };
        let decision = risk::decide_card_top_up(&facts);
        let mandate_challenge = match decision {
            Decision::Allow => false,
            Decision::Challenge(_) => true,
            Decision::Hold(reason) | Decision::Deny(reason) => return Err(CardsError::Declined(reason)),
        };
        let day = crate::funding::jst_day(now);
        let top_up = CardTopUp {
            id: new_id("ct"),
            user_id: who.user_id.clone(),
            card_id: card.id.clone(),
            amount_minor: req.amount_minor,
            status: "authenticating".into(),
            decline_reason: String::new(),
            authentication_id: String::new(),
            month: jst_month(now),
            day,
            created_at_ms: now,
            decided_at_ms: 0,
        };
        let auth = new_authentication(&card, Purpose::TopUp, &top_up.id, top_up.amount_minor);
        let top_up = CardTopUp { authentication_id: auth.id.clone(), ..top_up };
        let mut tx = self.db.begin_write().await?;
        for (scope, period, limit, refusal) in self.totals(&top_up) {
            if !store::reserve_total(&mut tx, &scope, &period, top_up.amount_minor, limit).await? {
                return Err(CardsError::Declined(refusal));
            }
        }
        store::insert_top_up(&mut tx, &top_up).await?;
        store::insert_authentication(&mut tx, &auth).await?;
        let details = json!({ "card": card.id, "amount_minor": top_up.amount_minor, "decision": decision.name(),
                              "ip": client.ip });
        let event = crate::audit::AuditEvent::new(&who.user_id, "cards.top_up.requested", &top_up.id)
            .request_id(client.request_id.clone())
            .details(details);
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        let challenge_url = match self.run_authentication(auth, &sealed, Purpose::TopUp, mandate_challenge).await? {
            Started::Challenge(url) => Some(url),
            Started::Waiting => None,
            Started::Final(_) => {
                self.continue_top_up(&top_up.id).await?;
                None
            }
        };
        let top_up = store::top_up(&self.db, &top_up.id).await?.ok_or(CardsError::NotFound)?;
        Ok(CardTopUpStarted { top_up, challenge_url })
    }

    /// The limits a top-up counts against: (scope, period, limit, the refusal past it).
    fn totals(&self, t: &CardTopUp) -> [(String, String, i64, &'static str); 4] {
        let c = &self.config;
        [
            (format!("user:{}", t.user_id), format!("d:{}", t.day), c.daily_limit_per_user_minor, "over_daily_limit"),
            (
                format!("user:{}", t.user_id),
                format!("m:{}", t.month),
                c.monthly_limit_per_user_minor,
                "over_monthly_limit",
            ),
            (format!("card:{}", t.card_id), format!("d:{}", t.day), c.daily_limit_per_card_minor, "over_daily_limit"),
            (
                format!("card:{}", t.card_id),
                format!("m:{}", t.month),
                c.monthly_limit_per_card_minor,
                "over_monthly_limit",
            ),
        ]
    }

    pub async fn top_up(&self, who: &Principal, id: &str) -> Result<CardTopUp, CardsError> {
        store::top_up(&self.db, id).await?.filter(|t| t.user_id == who.user_id).ok_or(CardsError::NotFound)
    }

    pub async fn top_ups(&self, who: &Principal) -> Result<Vec<CardTopUp>, CardsError> {
        Ok(store::top_ups_of(&self.db, &who.user_id, MAX_LISTED).await?)
    }

    /// Move a top-up on from its authentication's final result: Y (and A under the cap) go to
    /// the network for authorisation; everything else is declined. Safe to call any number of
    /// times from anywhere: only the first caller claims the row.
    pub(super) async fn continue_top_up(&self, top_up_id: &str) -> Result<(), CardsError> {
        let top_up = store::top_up(&self.db, top_up_id).await?.ok_or(CardsError::NotFound)?;
        if top_up.status != "authenticating" {
            return Ok(());
        }
        let auth = store::authentication(&self.db, &top_up.authentication_id).await?.ok_or(CardsError::NotFound)?;
        if auth.state != "final" {
            return Ok(());
        }
        match auth.trans_status.as_str() {
            "Y" => {}
            "A" if top_up.amount_minor <= self.config.attempted_cap_minor => {}
            "A" => return self.decline(&top_up, "authentication_attempted_over_cap").await,
            "N" | "R" => return self.decline(&top_up, "authentication_failed").await,
            // U, I, a DS timeout or error: authentication was not performed. Never a pass.
            _ => return self.decline(&top_up, "authentication_unavailable").await,
        }
        if !store::claim_for_authorisation(&self.db, &top_up.id).await? {
            return Ok(());
        }
        self.authorise(&top_up, &auth).await
    }

    /// Ask the network to charge the card with the authentication's proof, then credit.
    async fn authorise(&self, top_up: &CardTopUp, auth: &store::Authentication) -> Result<(), CardsError> {
        let network = self.network()?;
        let card = store::card(&self.db, &top_up.card_id).await?.ok_or(CardsError::NotFound)?;
        let sealed = store::sealed(&self.db, &card.token).await?.ok_or(CardsError::NotFound)?;
        let value = self
            .keys
            .open(&auth.sealed_authentication_value, &auth.id)
            .map_err(|e| CardsError::Vault(format!("the authentication value does not open: {e}")))?;
        let proof = vault::ThreeDsProof {
            eci: auth.eci.clone(),
            authentication_value: String::from_utf8(value).map_err(|e| CardsError::Vault(e.to_string()))?,
            ds_trans_id: uuid::Uuid::parse_str(&auth.ds_trans_id).map_err(|e| CardsError::Vault(e.to_string()))?,
            message_version: auth.message_version.clone(),
        };
        let request = vault::AuthorizationRequest {
            amount_minor: u64::try_from(top_up.amount_minor).unwrap_or(0),
            idempotency_key: top_up.id.clone(),
            three_ds: Some(proof),
        };
        match network.client.authorize(&self.vault, &sealed, request).await {
            Ok(a) if a.outcome == vault::Outcome::Approved => {
                self.credit(top_up, &card, a.auth_code.as_deref().unwrap_or(""), &a.network_ref.to_string()).await
            }
            Ok(_) => self.decline(top_up, "card_declined").await,
            // No answer: the charge may or may not exist. The row stays `authorising` and the
            // sweep asks again with the same idempotency key.
            Err(e) => {
                tracing::warn!(error = %e, top_up = %top_up.id, "a card authorisation gave no answer");
                Err(CardsError::NetworkUnavailable)
            }
        }
    }

    /// CardFundingClearing → the wallet's lite balance, with the row moved to `credited` in the
    /// same transaction.
    async fn credit(
        &self,
        top_up: &CardTopUp,
        card: &store::Card,
        auth_code: &str,
        network_ref: &str,
    ) -> Result<(), CardsError> {
        let jpy = Currency::jpy();
        let accounts = self.wallets.accounts(&top_up.user_id).await?;
        let clearing = self.ledger.system_account(AccountKind::CardFundingClearing, &jpy).await?;
        let user = crate::funding::store::user_facts(&self.db, &top_up.user_id).await?.ok_or(CardsError::NotFound)?;
        let amount = crate::i18n::yen(top_up.amount_minor);
        let notice = crate::i18n::email(
            &user.email,
            &user.locale,
            "card-top-up-credited",
            &[("amount", amount.as_str().into()), ("digits", card.last4.as_str().into())],
        );
        let request = Request {
            command: Command::Post {
                key: format!("cardtopup:{}", top_up.id),
                kind: "card_top_up".into(),
                description: top_up.id.clone(),
                postings: vec![
                    Posting { account_id: clearing, currency: jpy.clone(), amount_minor: -top_up.amount_minor },
                    Posting { account_id: accounts.lite.clone(), currency: jpy, amount_minor: top_up.amount_minor },
                ],
            },
            origin: Origin { actor: "system".into(), request_id: top_up.id.clone() },
            notify: vec![notice],
            effects: vec![store::credited_effect(&top_up.id, auth_code, network_ref, now_ms())],
        };
        match self.ledger.submit(request).await {
            Ok(_) | Err(LedgerError::EffectRefused("card_top_up_settled")) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Nothing is charged: the limits get the amount back, the user is told.
    async fn decline(&self, top_up: &CardTopUp, reason: &'static str) -> Result<(), CardsError> {
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if !store::decline_top_up(&mut tx, &top_up.id, reason, now).await? {
            return Ok(());
        }
        for (scope, period, _, _) in self.totals(top_up) {
            store::release_total(&mut tx, &scope, &period, top_up.amount_minor).await?;
        }
        if let Some(user) = crate::funding::store::user_facts(&self.db, &top_up.user_id).await?
            && let Some(card) = store::card(&self.db, &top_up.card_id).await?
        {
            let amount = crate::i18n::yen(top_up.amount_minor);
            let notice = crate::i18n::email(
                &user.email,
                &user.locale,
                "card-top-up-declined",
                &[("amount", amount.as_str().into()), ("digits", card.last4.as_str().into())],
            );
            crate::notify::enqueue(&self.db, &mut tx, std::slice::from_ref(&notice)).await?;
        }
        let event = crate::audit::AuditEvent::new("system", "cards.top_up.declined", &top_up.id)
            .details(json!({ "reason": reason, "amount_minor": top_up.amount_minor, "user": top_up.user_id }));
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One round of the sweep: authorisations whose answer was lost are asked again; challenges
    /// nobody finished are declined, and so are cards whose registration challenge was abandoned;
    /// virtual card holds nobody cleared in time are voided.
    pub async fn sweep(&self) -> Result<usize, CardsError> {
        let now = now_ms();
        let mut moved = 0;
        for id in store::stale_top_ups(&self.db, "authorising", now - AUTHORISATION_RETRY_AFTER_MS, SWEEP_BATCH).await?
        {
            let Some(top_up) = store::top_up(&self.db, &id).await? else { continue };
            let Some(auth) = store::authentication(&self.db, &top_up.authentication_id).await? else { continue };
            if self.authorise(&top_up, &auth).await.is_ok() {
                moved += 1;
            }
        }
        for id in
            store::stale_top_ups(&self.db, "authenticating", now - CHALLENGE_ABANDONED_AFTER_MS, SWEEP_BATCH).await?
        {
            if let Some(top_up) = store::top_up(&self.db, &id).await? {
                self.decline(&top_up, "authentication_abandoned").await?;
                moved += 1;
            }
        }
        for card_id in store::stale_cards(&self.db, now - CHALLENGE_ABANDONED_AFTER_MS, SWEEP_BATCH).await? {
            self.settle_registration(&card_id, "abandoned").await?;
            moved += 1;
        }
        moved += self.expire_virtual_card_holds().await?;
        Ok(moved)
    }

    /// The sweep, every `interval_ms`, until `stop`.
    pub async fn run_worker(self, interval_ms: u64, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(interval_ms.max(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = self.sweep().await {
                        tracing::warn!(error = %e, "the card sweep failed");
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }
}
