//! The daily settlement: per merchant, the payments (succeeded, or refunded since) and refunds
//! stamped before the day's cut-off and not yet settled, netted with the fees and the tax on
//! them, into one settlement row and one journal:
//!
//! ```text
//! merchant receivable   −(gross − refunds)
//! platform fee income   +fee
//! consumption tax       +tax
//! merchant payable      +net        (net = gross − refunds − fee − tax)
//! ```
//!
//! The journal's key names the merchant and the day, and its effects take exactly the rows that
//! were summed (`store::take_payments`, `take_refunds`, `check_sums`), so however many runs race
//! (one server or several) a day is settled once and an item is never in two settlements. An
//! item that commits after its day was settled has no settlement yet and is taken by the next.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::store::{self, Settlement};
use super::{BusinessDay, MAX_MERCHANTS_PER_RUN, SETTLE_ATTEMPTS, SettlementError, Settlements, tax_on_fees};
use crate::audit::{self, AuditEvent};
use crate::ledger::{AccountKind, Command, Currency, LedgerError, NewAccount, Origin, Posting, Request};
use crate::storage::now_ms;

/// What one run of a day did.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct SettleRun {
    pub business_day: String,
    /// The day's settlements, made by this run or an earlier one.
    pub settlements: Vec<Settlement>,
    /// Merchants that could not be settled, and why; a later run tries again.
    pub failed: Vec<SettleFailure>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SettleFailure {
    pub merchant_id: String,
    pub reason: String,
}

impl Settlements {
    /// Settle `day` for every merchant with something unsettled before its cut-off. Refused
    /// until the cut-off and the grace after it have passed.
    pub async fn settle_day(&self, day: BusinessDay, actor: &str) -> Result<SettleRun, SettlementError> {
        let end_ms = day.end_ms(self.config.cutoff);
        if now_ms() < end_ms + self.config.grace_secs * 1000 {
            return Err(SettlementError::DayNotOver(day.to_string()));
        }
        self.settle_day_ending(day, end_ms, actor).await
    }

    /// `settle_day` with the day's end given: the tests place a cut-off between two payments
    /// made a moment apart, and settle "days" that end seconds apart. Never later than now.
    #[doc(hidden)]
    pub async fn settle_day_ending(
        &self,
        day: BusinessDay,
        end_ms: i64,
        actor: &str,
    ) -> Result<SettleRun, SettlementError> {
        if end_ms > now_ms() {
            return Err(SettlementError::DayNotOver(day.to_string()));
        }
        let mut run = SettleRun { business_day: day.to_string(), ..SettleRun::default() };
        for merchant_id in store::merchants_with_unsettled(&self.db, end_ms, MAX_MERCHANTS_PER_RUN).await? {
            match self.settle_merchant(&merchant_id, day, end_ms, actor).await {
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(merchant = %merchant_id, day = %day, error = %e, "settlement failed");
                    run.failed.push(SettleFailure { merchant_id, reason: e.to_string() });
                }
            }
        }
        // The day as it stands, whichever run settled each merchant.
        run.settlements = store::settlements_of_day(&self.db, &run.business_day, MAX_MERCHANTS_PER_RUN).await?;
        Ok(run)
    }

    /// One merchant's day; `None` when it had nothing to settle.
    async fn settle_merchant(
        &self,
        merchant_id: &str,
        day: BusinessDay,
        end_ms: i64,
        actor: &str,
    ) -> Result<Option<Settlement>, SettlementError> {
        let day_text = day.to_string();
        if let Some(done) = store::settlement_of_day(&self.db, merchant_id, &day_text).await? {
            return Ok(Some(done));
        }
        for _ in 0..SETTLE_ATTEMPTS {
            let u = store::unsettled(&self.db, merchant_id, end_ms).await?;
            if u.payments_count == 0 && u.refunds_count == 0 {
                return Ok(None);
            }
            let fee_tax_minor = tax_on_fees(u.fee_minor);
            let s = Settlement {
                id: settlement_id(merchant_id, &day_text),
                merchant_id: merchant_id.to_owned(),
                business_day: day_text.clone(),
                cutoff_ms: end_ms,
                status: "settled".into(),
                payments_count: u.payments_count,
                refunds_count: u.refunds_count,
                gross_minor: u.gross_minor,
                refunds_minor: u.refunds_minor,
                fee_minor: u.fee_minor,
                fee_tax_minor,
                net_minor: u.gross_minor - u.refunds_minor - u.fee_minor - fee_tax_minor,
                created_at_ms: now_ms(),
            };
            if s.net_minor <= 0 {
                return self.carry_over(s, actor).await.map(Some);
            }
            match self.post_settlement(&s, end_ms, actor).await {
                Ok(true) => return Ok(Some(s)),
                // Another run settled the day first (the same journal, or one with more in it).
                Ok(false) => return Ok(store::settlement_of_day(&self.db, merchant_id, &day_text).await?),
                Err(LedgerError::EffectRefused("settlement_raced")) => continue,
                Err(LedgerError::EffectRefused(_) | LedgerError::IdempotencyConflict(_)) => {
                    return Ok(store::settlement_of_day(&self.db, merchant_id, &day_text).await?);
                }
                // The receivable was emptied under us: by a run that settled this day (then its row
                // is the answer), or by refunds since the cut-off (then the day waits for payments).
                Err(e @ LedgerError::InsufficientFunds(_)) => {
                    return match store::settlement_of_day(&self.db, merchant_id, &day_text).await? {
                        Some(done) => Ok(Some(done)),
                        None => Err(e.into()),
                    };
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(SettlementError::Identity(crate::identity::IdentityError::Unavailable))
    }

    /// The journal and its rows; `Ok(false)` when the same journal had already been posted.
    async fn post_settlement(&self, s: &Settlement, end_ms: i64, actor: &str) -> Result<bool, LedgerError> {
        let jpy = Currency::jpy();
        let merchant = crate::merchants::store::merchant_by_id(&self.db, &s.merchant_id)
            .await?
            .ok_or_else(|| LedgerError::AccountNotFound(s.merchant_id.clone()))?;
        let payable = self.payable_account(&s.merchant_id).await?;
        let fee_income = self.ledger.system_account(AccountKind::PlatformFeeIncome, &jpy).await?;
        let tax_payable = self.ledger.system_account(AccountKind::ConsumptionTaxPayable, &jpy).await?;
        let postings: Vec<Posting> = [
            (merchant.receivable_account_id, -(s.gross_minor - s.refunds_minor)),
            (fee_income, s.fee_minor),
            (tax_payable, s.fee_tax_minor),
            (payable, s.net_minor),
        ]
        .into_iter()
        // The ledger refuses zero postings; a day of small payments has no fee.
        .filter(|(_, amount)| *amount != 0)
        .map(|(account_id, amount_minor)| Posting { account_id, currency: jpy.clone(), amount_minor })
        .collect();
        debug_assert_eq!(postings.iter().map(|p| p.amount_minor).sum::<i64>(), 0);
        let request = Request {
            command: Command::Post {
                key: format!("settle:{}:{}", s.merchant_id, s.business_day),
                kind: "settlement".into(),
                description: format!("{} {} {}", s.id, s.merchant_id, s.business_day),
                postings,
            },
            origin: Origin { actor: actor.to_owned(), request_id: String::new() },
            notify: Vec::new(),
            effects: vec![
                store::insert_settled(s),
                store::take_payments(&s.id, &s.merchant_id, end_ms, s.payments_count),
                store::take_refunds(&s.id, &s.merchant_id, end_ms, s.refunds_count),
                store::check_sums(&s.id, &s.merchant_id),
            ],
        };
        Ok(!self.ledger.submit(request).await?.replayed)
    }

    /// Net ≤ 0: nothing moves and the items stay unsettled, to be netted with the next day's.
    async fn carry_over(&self, s: Settlement, actor: &str) -> Result<Settlement, SettlementError> {
        let mut tx = self.db.begin_write().await?;
        if store::insert_carried_over(&mut tx, &Settlement { status: "carried_over".into(), ..s.clone() }).await? {
            let details = json!({ "merchant": s.merchant_id, "day": s.business_day, "net_minor": s.net_minor });
            let event = AuditEvent::new(actor, "settlement.carried_over", &s.id).details(details);
            audit::append(&self.db, &mut tx, &[event]).await?;
        }
        tx.commit().await?;
        store::settlement_of_day(&self.db, &s.merchant_id, &s.business_day).await?.ok_or(SettlementError::NotFound)
    }

    /// The merchant's payable account, opened on its first settlement.
    pub(super) async fn payable_account(&self, merchant_id: &str) -> Result<String, LedgerError> {
        if let Some(id) = store::payable_account(&self.db, merchant_id).await? {
            return Ok(id);
        }
        let kind = AccountKind::MerchantPayable;
        let new = NewAccount {
            kind,
            currency: Currency::jpy(),
            flags: kind.default_flags(),
            owner_ref: Some(merchant_id.to_owned()),
        };
        let opened = self.ledger.open_account(&new).await?;
        store::insert_payable_account(&self.db, merchant_id, &opened, now_ms()).await?;
        store::payable_account(&self.db, merchant_id)
            .await?
            .ok_or_else(|| LedgerError::AccountNotFound(format!("payable of {merchant_id}")))
    }
}

/// The id follows from the merchant and the day, so every run of a day names one settlement.
fn settlement_id(merchant_id: &str, day: &str) -> String {
    format!("stl_{}", &hex::encode(Sha256::digest(format!("{merchant_id}:{day}").as_bytes()))[..26])
}
