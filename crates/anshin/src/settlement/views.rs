//! Reports: a merchant's settlements with their payouts, for its owners and managers (and
//! operators); every merchant's settlements of a day, for operators. Another merchant's staff
//! are told it does not exist (`Merchants::for_settlements`).

use serde::Serialize;

use super::store::{self, Payout, Settlement};
use super::{MAX_SETTLEMENT_PAGE, SettlementError, Settlements};
use crate::identity::{Client, Principal};

/// One settlement as reported: its figures and what became of its payout.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettlementReport {
    pub settlement: Settlement,
    /// None for a day carried over, or before the payout run made one.
    pub payout: Option<Payout>,
}

impl Settlements {
    /// A merchant's settlements, newest day first; `before` (a business day) pages back.
    pub async fn list_for(
        &self,
        who: &Principal,
        merchant_id: &str,
        before: Option<&str>,
        limit: i64,
        client: &Client,
    ) -> Result<Vec<SettlementReport>, SettlementError> {
        self.merchants.for_settlements(who, merchant_id, client).await?;
        if let Some(day) = before {
            super::BusinessDay::parse(day).map_err(|message| SettlementError::Invalid {
                code: "before_invalid",
                message,
                param: "before",
            })?;
        }
        let rows = store::settlements_of(&self.db, merchant_id, before, limit.clamp(1, MAX_SETTLEMENT_PAGE)).await?;
        self.with_payouts(rows).await
    }

    /// One settlement of the merchant (another merchant's is "not found").
    pub async fn one_for(
        &self,
        who: &Principal,
        merchant_id: &str,
        settlement_id: &str,
        client: &Client,
    ) -> Result<SettlementReport, SettlementError> {
        self.merchants.for_settlements(who, merchant_id, client).await?;
        let s = store::settlement_by_id(&self.db, settlement_id)
            .await?
            .filter(|s| s.merchant_id == merchant_id)
            .ok_or(SettlementError::NotFound)?;
        Ok(self.with_payouts(vec![s]).await?.remove(0))
    }

    /// Operators: every merchant's settlement of a day.
    pub async fn day_for_ops(
        &self,
        who: &Principal,
        day: super::BusinessDay,
        client: &Client,
    ) -> Result<Vec<SettlementReport>, SettlementError> {
        self.require_operator(who, false, "settlement.day", client).await?;
        let rows = store::settlements_of_day(&self.db, &day.to_string(), super::MAX_MERCHANTS_PER_RUN).await?;
        self.with_payouts(rows).await
    }

    async fn with_payouts(&self, rows: Vec<Settlement>) -> Result<Vec<SettlementReport>, SettlementError> {
        let mut out = Vec::with_capacity(rows.len());
        for settlement in rows {
            let payout = store::payout_of_settlement(&self.db, &settlement.id).await?;
            out.push(SettlementReport { settlement, payout });
        }
        Ok(out)
    }

    /// Admins run settlements by hand; anyone else is refused and audited.
    pub async fn require_admin(&self, who: &Principal, client: &Client) -> Result<(), SettlementError> {
        self.require_operator(who, true, "settlement.run", client).await
    }

    /// Operators only (admins when `admin_only`); anyone else is refused and audited.
    pub(super) async fn require_operator(
        &self,
        who: &Principal,
        admin_only: bool,
        what: &str,
        client: &Client,
    ) -> Result<(), SettlementError> {
        let operator = who.kind == crate::identity::AccountKind::Operator && who.is_full();
        if operator && (!admin_only || crate::merchants::is_admin(who)) {
            return Ok(());
        }
        Err(self.merchants.identity().denied(who, what, client).await.into())
    }
}
