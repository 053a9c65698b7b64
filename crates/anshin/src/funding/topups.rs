//! Top-ups: a debit at the bank from a linked account, credited to the wallet's money only once
//! the bank confirms it. The top-up's id is the bank's debit id, so asking again (after a
//! time-out, from the worker, from a `GET`, from another server) never debits twice; and the
//! credit is one ledger command keyed by the top-up whose effect moves the row from `pending`,
//! so however many pollers see "confirmed" at once, the wallet is credited once.
//!
//! The holding cap is checked where the balance changes: the credit's second effect reads the
//! money account's balance inside the ledger's transaction, after the credit (and everything
//! else in its batch) is applied, and refuses the whole command past the cap. A confirmed
//! top-up refused that way has already left the bank, so it is not dropped: a journal puts it
//! in suspense (BankClearing → Suspense) and the top-up reads `over_cap`, for an operator to
//! return to the bank (withdrawals come with the next issue).

use serde::Deserialize;
use serde_json::json;

use super::links::from_bank;
use super::store::{self, LinkRow, TopUp};
use super::{Funding, FundingError, MAX_LISTED, POLL_BATCH};
use crate::bank::{AccountRef, BankError, Debit, DebitRequest, DebitStatus, RefusalReason};
use crate::identity::{Client, Principal};
use crate::ledger::{AccountKind, Command, Currency, LedgerError, Origin, Posting, Request};
use crate::risk::{self, Decision, TopUpFacts};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUpRequest {
    /// A linked bank account's id (`ba_…`).
    #[schema(min_length = 1, max_length = 64)]
    pub bank_account_id: String,
    /// In yen.
    #[schema(minimum = 1, maximum = 1000000)]
    pub amount_minor: i64,
}

impl Funding {
    /// Ask the bank for the money. The answer is the top-up as it stands: usually `pending`.
    pub async fn request_top_up(
        &self,
        who: &Principal,
        req: &TopUpRequest,
        client: &Client,
    ) -> Result<TopUp, FundingError> {
        self.require_wallet(who, "funding.top_up.request", client).await?;
        if !(1..=crate::bank::MAX_DEBIT_MINOR).contains(&req.amount_minor) {
            let message = "the amount is a positive number of yen".into();
            return Err(FundingError::Invalid { code: "amount_invalid", message, param: "amount_minor" });
        }
        self.bank()?;
        let (link, _) = store::link(&self.db, &req.bank_account_id)
            .await?
            .filter(|(l, _)| l.user_id == who.user_id)
            .ok_or(FundingError::NotFound)?;
        if link.status != "linked" {
            return Err(FundingError::NotLinked);
        }
        let user = store::user_facts(&self.db, &who.user_id).await?.ok_or(FundingError::NotFound)?;
        let accounts = self.wallets.accounts(&who.user_id).await?;
        let money_minor = self.wallets.balances(&accounts).await?.money_minor;
        let pending_minor = store::pending_minor(&self.db, &who.user_id).await?;
        let now = now_ms();
        let facts = TopUpFacts {
            amount_minor: req.amount_minor,
            per_top_up_limit_minor: self.config.per_top_up_limit_minor,
            holding_cap_minor: self.config.holding_cap_minor,
            money_and_pending_minor: money_minor.saturating_add(pending_minor),
            money_out_blocked_until_ms: user.money_out_blocked_until_ms,
            now_ms: now,
        };
        if let Decision::Deny(reason) | Decision::Hold(reason) | Decision::Challenge(reason) =
            risk::decide_top_up(&facts)
        {
            return Err(FundingError::Declined(reason));
        }
        let top_up = TopUp {
            id: new_id("tu"),
            user_id: who.user_id.clone(),
            bank_account_id: link.id.clone(),
            amount_minor: req.amount_minor,
            status: "pending".into(),
            failure_reason: String::new(),
            day: super::jst_day(now),
            created_at_ms: now,
            decided_at_ms: 0,
        };
        let debit = debit_request(&top_up, &link)?;
        let mut tx = self.db.begin_write().await?;
        let limit = self.config.daily_top_up_limit_minor;
        if !store::reserve_daily(&mut tx, &who.user_id, &top_up.day, top_up.amount_minor, limit).await? {
            return Err(FundingError::Declined("over_daily_limit"));
        }
        store::insert_top_up(&mut tx, &top_up, now).await?;
        let details = json!({ "bank_account": link.id, "amount_minor": top_up.amount_minor });
        self.commit_with_audit(tx, &who.user_id, "funding.top_up.requested", &top_up.id, client, details).await?;
        // The row exists before the bank is asked, so a crash here leaves a pending top-up the
        // worker asks about again (with the same debit id), never a debit nobody follows.
        // A bank that does not answer now leaves the top-up pending, not failed: the worker asks
        // again with the same debit id, so the user is answered with the pending top-up.
        let answer = self.bank()?.debit(&debit).await;
        if let Err(e) = self.apply(&top_up, answer).await {
            tracing::warn!(error = %e, top_up = %top_up.id, "a new top-up stays pending");
        }
        store::top_up_by_id(&self.db, &top_up.id).await?.ok_or(FundingError::NotFound)
    }

    /// One of the user's top-ups, asking the bank first while it is pending.
    pub async fn top_up(&self, who: &Principal, id: &str) -> Result<TopUp, FundingError> {
        let top_up = store::top_up_by_id(&self.db, id)
            .await?
            .filter(|t| t.user_id == who.user_id)
            .ok_or(FundingError::NotFound)?;
        if top_up.status != "pending" || self.bank.is_none() {
            return Ok(top_up);
        }
        if let Err(e) = self.refresh(&top_up).await {
            tracing::warn!(error = %e, top_up = %id, "a pending top-up could not be moved on");
        }
        store::top_up_by_id(&self.db, id).await?.ok_or(FundingError::NotFound)
    }

    pub async fn top_ups(&self, who: &Principal) -> Result<Vec<TopUp>, FundingError> {
        Ok(store::top_ups_of(&self.db, &who.user_id, MAX_LISTED).await?)
    }

    /// One round of the worker: ask the bank about every pending top-up that is due.
    pub async fn poll_pending(&self) -> Result<usize, FundingError> {
        let ids = store::due_top_ups(&self.db, now_ms(), POLL_BATCH).await?;
        for id in &ids {
            if let Some(top_up) = store::top_up_by_id(&self.db, id).await?.filter(|t| t.status == "pending")
                && let Err(e) = self.refresh(&top_up).await
            {
                tracing::warn!(error = %e, top_up = %id, "a pending top-up could not be settled");
            }
        }
        Ok(ids.len())
    }

    /// The worker: until `stop`, poll pending top-ups every `poll_interval_ms`.
    pub async fn run_worker(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(self.config.poll_interval_ms.max(50)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = self.poll_pending().await {
                        tracing::warn!(error = %e, "polling pending top-ups failed");
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }

    /// Ask the bank again with the same debit (idempotent there: it answers the debit's state,
    /// and places it if the first request never arrived), then act on the answer.
    async fn refresh(&self, top_up: &TopUp) -> Result<(), FundingError> {
        let (link, _) = store::link(&self.db, &top_up.bank_account_id).await?.ok_or(FundingError::NotFound)?;
        let debit = debit_request(top_up, &link)?;
        let answer = self.bank()?.debit(&debit).await;
        self.apply(top_up, answer).await
    }

    async fn apply(&self, top_up: &TopUp, answer: Result<Debit, BankError>) -> Result<(), FundingError> {
        match answer {
            Ok(Debit { status: DebitStatus::Confirmed, .. }) => self.credit(top_up).await,
            Ok(Debit { status: DebitStatus::Refused(reason), .. }) => self.fail(top_up, refusal_code(&reason)).await,
            Ok(Debit { status: DebitStatus::Pending, .. }) => {
                Ok(store::postpone(&self.db, &top_up.id, now_ms()).await?)
            }
            // The bank will refuse this request however often it is sent: nothing was debited.
            Err(BankError::Invalid(_)) => self.fail(top_up, "bank_rejected_request").await,
            // Anything else (down, slow, unreadable, a key problem) leaves the outcome unknown:
            // ask again later with the same id rather than guess.
            Err(e) => {
                tracing::warn!(error = %e, top_up = %top_up.id, "the bank gave no answer about a top-up");
                store::postpone(&self.db, &top_up.id, now_ms()).await?;
                Err(from_bank(e))
            }
        }
    }

    /// The bank confirmed: BankClearing → the wallet's money, with the row moved to `credited`
    /// and the cap checked in the same transaction.
    async fn credit(&self, top_up: &TopUp) -> Result<(), FundingError> {
        let jpy = Currency::jpy();
        let accounts = self.wallets.accounts(&top_up.user_id).await?;
        let clearing = self.ledger.system_account(AccountKind::BankClearing, &jpy).await?;
        let now = now_ms();
        let user = store::user_facts(&self.db, &top_up.user_id).await?.ok_or(FundingError::NotFound)?;
        let amount = crate::i18n::yen(top_up.amount_minor);
        let notice =
            crate::i18n::email(&user.email, &user.locale, "top-up-credited", &[("amount", amount.as_str().into())]);
        let request = Request {
            command: transfer(&format!("topup:{}", top_up.id), &clearing, &accounts.money, top_up, "top_up"),
            origin: Origin { actor: "system".into(), request_id: top_up.id.clone() },
            notify: vec![notice],
            effects: vec![
                store::credited_effect(&top_up.id, now),
                store::cap_effect(&top_up.id, &accounts.money, self.config.holding_cap_minor),
            ],
        };
        match self.ledger.submit(request).await {
            Ok(_) => Ok(()),
            Err(LedgerError::EffectRefused("top_up_settled")) => Ok(()),
            Err(LedgerError::EffectRefused("over_holding_cap")) => self.set_aside(top_up, &clearing).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Confirmed money the wallet cannot hold goes to suspense, never silently over the cap.
    async fn set_aside(&self, top_up: &TopUp, clearing: &str) -> Result<(), FundingError> {
        let jpy = Currency::jpy();
        let suspense = self.ledger.system_account(AccountKind::Suspense, &jpy).await?;
        let user = store::user_facts(&self.db, &top_up.user_id).await?.ok_or(FundingError::NotFound)?;
        let amount = crate::i18n::yen(top_up.amount_minor);
        let notice =
            crate::i18n::email(&user.email, &user.locale, "top-up-over-cap", &[("amount", amount.as_str().into())]);
        let request = Request {
            command: transfer(&format!("topup:{}:over_cap", top_up.id), clearing, &suspense, top_up, "top_up_over_cap"),
            origin: Origin { actor: "system".into(), request_id: top_up.id.clone() },
            notify: vec![notice],
            effects: vec![store::over_cap_effect(&top_up.id, now_ms())],
        };
        match self.ledger.submit(request).await {
            Ok(_) => Ok(()),
            Err(LedgerError::EffectRefused("top_up_settled")) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The bank refused: nothing moved. The day's total gets the amount back.
    async fn fail(&self, top_up: &TopUp, reason: &str) -> Result<(), FundingError> {
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if !store::fail(&mut tx, &top_up.id, reason, now).await? {
            return Ok(()); // another poller recorded it first
        }
        store::release_daily(&mut tx, &top_up.user_id, &top_up.day, top_up.amount_minor).await?;
        if let Some(user) = store::user_facts(&self.db, &top_up.user_id).await? {
            let amount = crate::i18n::yen(top_up.amount_minor);
            let notice =
                crate::i18n::email(&user.email, &user.locale, "top-up-failed", &[("amount", amount.as_str().into())]);
            crate::notify::enqueue(&self.db, &mut tx, std::slice::from_ref(&notice)).await?;
        }
        let details = json!({ "reason": reason, "amount_minor": top_up.amount_minor, "user": top_up.user_id });
        let client = Client { request_id: top_up.id.clone(), ..Client::default() };
        self.commit_with_audit(tx, "system", "funding.top_up.failed", &top_up.id, &client, details).await
    }
}

fn transfer(key: &str, from: &str, to: &str, top_up: &TopUp, kind: &str) -> Command {
    let jpy = Currency::jpy();
    Command::Post {
        key: key.to_owned(),
        kind: kind.into(),
        description: top_up.id.clone(),
        postings: vec![
            Posting { account_id: from.to_owned(), currency: jpy.clone(), amount_minor: -top_up.amount_minor },
            Posting { account_id: to.to_owned(), currency: jpy, amount_minor: top_up.amount_minor },
        ],
    }
}

fn debit_request(top_up: &TopUp, link: &LinkRow) -> Result<DebitRequest, FundingError> {
    let kind = link.account_type.parse().map_err(from_bank)?;
    let account =
        AccountRef::parse(&link.bank_code, &link.branch_code, kind, &link.account_number).map_err(from_bank)?;
    DebitRequest::new(&top_up.id, account, top_up.amount_minor, &link.holder_name).map_err(from_bank)
}

fn refusal_code(reason: &RefusalReason) -> &str {
    match reason {
        RefusalReason::InsufficientFunds => "insufficient_funds",
        RefusalReason::NoSuchAccount => "no_such_account",
        RefusalReason::AccountClosed => "account_closed",
        RefusalReason::NameMismatch => "name_mismatch",
        RefusalReason::LimitExceeded => "limit_exceeded",
        RefusalReason::Other(code) => code,
    }
}
