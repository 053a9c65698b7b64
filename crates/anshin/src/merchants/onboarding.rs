//! Onboarding: an operator proposes a merchant, a different operator approves or rejects it;
//! admins suspend and reactivate. The command line (trusted, like `create-operator`) creates an
//! active merchant at once. Approval opens the merchant's receivable account in the ledger.

use serde::Deserialize;
use serde_json::json;

use super::model::{DEFAULT_FEE_RATE_BP, MAX_FEE_RATE_BP, Mcc, MerchantError, MerchantStatus, display_text};
use super::store::{self, Merchant, NewMerchantRow};
use super::{MAX_MERCHANT_PAGE, Merchants};
use crate::identity::types::Email;
use crate::identity::{Client, Principal};
use crate::ledger::{AccountKind, Currency, NewAccount};
use crate::notify::OutboxMessage;
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// What an operator (or the command line) gives to create a merchant.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMerchant {
    /// As registered (kanji allowed), e.g. `株式会社アンシン`.
    #[schema(min_length = 1, max_length = 100)]
    pub legal_name: String,
    /// The legal name in katakana, as a bank knows it, e.g. `カブシキガイシャアンシン`.
    #[schema(min_length = 1, max_length = 100)]
    pub legal_name_kana: String,
    /// ISO 18245 merchant category code (four digits).
    #[schema(pattern = "^[0-9]{4}$")]
    pub mcc: String,
    /// Where the merchant hears from us (suspension, payout changes).
    pub contact_email: String,
    /// Basis points; default 260 (2.6%).
    #[schema(minimum = 0, maximum = 1000)]
    pub fee_rate_bp: Option<i64>,
}

/// Insert attempts: two processes numbering merchants at the same moment collide on the
/// unique number; the loser simply takes the next one.
const NUMBER_ATTEMPTS: usize = 3;

impl Merchants {
    /// An operator proposes a merchant; it waits for another operator's review.
    pub async fn propose(
        &self,
        who: &Principal,
        new: &NewMerchant,
        client: &Client,
    ) -> Result<Merchant, MerchantError> {
        self.require_operator(who, false, "merchants.propose", client).await?;
        self.insert(&who.user_id, new, MerchantStatus::PendingReview, client).await
    }

    /// The command line creates an active merchant at once (whoever runs it holds the server).
    pub async fn create_active(&self, new: &NewMerchant) -> Result<Merchant, MerchantError> {
        let client = Client {
            ip: "cli".into(),
            user_agent: String::new(),
            request_id: String::new(),
            device: None,
            locale: "ja".into(),
        };
        let m = self.insert("cli", new, MerchantStatus::PendingReview, &client).await?;
        self.decide(&m.id, "cli", true, "", &client).await
    }

    async fn insert(
        &self,
        actor: &str,
        new: &NewMerchant,
        status: MerchantStatus,
        client: &Client,
    ) -> Result<Merchant, MerchantError> {
        let legal_name = display_text(&new.legal_name, 100, "the legal name")
            .map_err(MerchantError::invalid("legal_name_invalid", "legal_name"))?;
        let legal_name_kana = display_text(&new.legal_name_kana, 100, "the legal name in kana")
            .map_err(MerchantError::invalid("legal_name_kana_invalid", "legal_name_kana"))?;
        zengin::holder_name(&legal_name_kana).map_err(|e| MerchantError::Invalid {
            code: "legal_name_kana_invalid",
            message: format!("the legal name in kana cannot be written as a bank account name: {e}"),
            param: "legal_name_kana",
        })?;
        let mcc = Mcc::parse(&new.mcc).map_err(MerchantError::invalid("mcc_invalid", "mcc"))?;
        let email =
            Email::parse(&new.contact_email).map_err(MerchantError::invalid("email_invalid", "contact_email"))?;
        let fee_rate_bp = new.fee_rate_bp.unwrap_or(DEFAULT_FEE_RATE_BP);
        if !(0..=MAX_FEE_RATE_BP).contains(&fee_rate_bp) {
            return Err(MerchantError::Invalid {
                code: "fee_rate_invalid",
                message: format!("the fee rate is 0 to {MAX_FEE_RATE_BP} basis points"),
                param: "fee_rate_bp",
            });
        }
        let id = new_id("mer");
        let row = NewMerchantRow {
            id: &id,
            legal_name: &legal_name,
            legal_name_kana: &legal_name_kana,
            mcc: mcc.as_str(),
            status,
            fee_rate_bp,
            contact_email: email.as_str(),
            created_by: actor,
            now_ms: now_ms(),
        };
        let mut attempt = 0;
        let (tx, number) = loop {
            attempt += 1;
            let mut tx = self.db.begin_write().await?;
            match store::insert_merchant(&mut tx, &row).await {
                Ok(number) => break (tx, number),
                Err(e)
                    if attempt < NUMBER_ATTEMPTS && e.as_database_error().is_some_and(|d| d.is_unique_violation()) =>
                {
                    tx.rollback().await?;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let details = json!({ "number": number, "mcc": mcc.as_str(), "fee_rate_bp": fee_rate_bp });
        self.commit_with_audit(tx, actor, "merchants.proposed", &id, client, details).await?;
        store::merchant_by_id(&self.db, &id).await?.ok_or(MerchantError::NotFound)
    }

    /// Another operator approves (or rejects) a proposed merchant. The proposer cannot.
    pub async fn review(
        &self,
        who: &Principal,
        id: &str,
        approve: bool,
        reason: &str,
        client: &Client,
    ) -> Result<Merchant, MerchantError> {
        self.require_operator(who, true, "merchants.review", client).await?;
        let m = store::merchant_by_id(&self.db, id).await?.ok_or(MerchantError::NotFound)?;
        if m.created_by == who.user_id {
            return Err(self.identity.denied(who, "merchants.review.own_proposal", client).await.into());
        }
        let reason = display_text(if reason.is_empty() { "-" } else { reason }, 500, "the reason")
            .map_err(MerchantError::invalid("reason_invalid", "reason"))?;
        self.decide(id, &who.user_id, approve, &reason, client).await
    }

    /// Move a pending merchant to active (opening its receivable account) or rejected.
    async fn decide(
        &self,
        id: &str,
        actor: &str,
        approve: bool,
        reason: &str,
        client: &Client,
    ) -> Result<Merchant, MerchantError> {
        // Opened before the transaction (accounts are created outside the ledger's batches); an
        // account left by a failed approval is empty and owned by the merchant, so harmless.
        let account = if approve {
            let new = NewAccount {
                kind: AccountKind::MerchantReceivable,
                currency: Currency::jpy(),
                flags: AccountKind::MerchantReceivable.default_flags(),
                owner_ref: Some(id.to_owned()),
            };
            Some(self.ledger.open_account(&new).await?)
        } else {
            None
        };
        let to = if approve { MerchantStatus::Active } else { MerchantStatus::Rejected };
        let mut tx = self.db.begin_write().await?;
        if !store::set_status(&mut tx, id, &[MerchantStatus::PendingReview], to, reason, actor, now_ms()).await? {
            return Err(MerchantError::Conflict("this merchant is not awaiting review"));
        }
        if let Some(account) = &account {
            store::set_receivable_account(&mut tx, id, account).await?;
        }
        let action = if approve { "merchants.approved" } else { "merchants.rejected" };
        self.commit_with_audit(tx, actor, action, id, client, json!({ "reason": reason, "account": account })).await?;
        store::merchant_by_id(&self.db, id).await?.ok_or(MerchantError::NotFound)
    }

    /// Admins suspend an active merchant (it takes nothing from then on) or reactivate it. The
    /// merchant's contact is told either way.
    pub async fn set_suspended(
        &self,
        who: &Principal,
        id: &str,
        suspended: bool,
        reason: &str,
        client: &Client,
    ) -> Result<Merchant, MerchantError> {
        self.require_operator(who, true, "merchants.suspend", client).await?;
        let reason =
            display_text(reason, 500, "the reason").map_err(MerchantError::invalid("reason_invalid", "reason"))?;
        let (from, to) = if suspended {
            (MerchantStatus::Active, MerchantStatus::Suspended)
        } else {
            (MerchantStatus::Suspended, MerchantStatus::Active)
        };
        let mut tx = self.db.begin_write().await?;
        let m = store::merchant_in(&mut tx, id).await?.ok_or(MerchantError::NotFound)?;
        if !store::set_status(&mut tx, id, &[from], to, &reason, &who.user_id, now_ms()).await? {
            return Err(MerchantError::Conflict(if suspended {
                "only an active merchant can be suspended"
            } else {
                "only a suspended merchant can be reactivated"
            }));
        }
        let (subject, body) = if suspended {
            (
                "Your merchant account is suspended",
                format!("{} can take no payments until further notice. Reason: {reason}", m.legal_name),
            )
        } else {
            ("Your merchant account is active again", format!("{} can take payments again.", m.legal_name))
        };
        let message = OutboxMessage::email(&m.contact_email, subject, body);
        crate::notify::enqueue(&self.db, &mut tx, &[message]).await?;
        let action = if suspended { "merchants.suspended" } else { "merchants.reactivated" };
        self.commit_with_audit(tx, &who.user_id, action, id, client, json!({ "reason": reason })).await?;
        store::merchant_by_id(&self.db, id).await?.ok_or(MerchantError::NotFound)
    }

    /// One merchant, for its staff or any operator.
    pub async fn get(&self, who: &Principal, id: &str, client: &Client) -> Result<Merchant, MerchantError> {
        let (m, _) = self.authorize(who, id, super::Permission::TakePayments, true, client).await?;
        Ok(m)
    }

    /// Operators list merchants, newest first (`before_ms`: the `created_at_ms` of the last one seen).
    pub async fn list(
        &self,
        who: &Principal,
        status: Option<MerchantStatus>,
        before_ms: Option<i64>,
        limit: i64,
        client: &Client,
    ) -> Result<Vec<Merchant>, MerchantError> {
        self.require_operator(who, false, "merchants.list", client).await?;
        let limit = limit.clamp(1, MAX_MERCHANT_PAGE);
        Ok(store::list_merchants(&self.db, status, before_ms.unwrap_or(i64::MAX), limit).await?)
    }
}
