//! Requests for money: a verified wallet user asks for an amount and shares the link (or its QR
//! code). Whoever opens it sees the requester's display name, the amount and the message, and
//! pays it with one more press; that transfer and the request's `paid` are one ledger command, so
//! a request is paid once however many payers press at once. The requester may cancel an open
//! request; an unpaid one expires.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::send::{checked_amount, checked_message};
use super::store::{self, MoneyRequest, Transfer};
use super::{MAX_LISTED, Transfers, TransfersError, display_name};
use crate::identity::{Client, Principal};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyRequestCreate {
    /// In yen; at most the per-transfer limit (1,000,000 by default: 402 `over_transfer_limit`).
    #[schema(minimum = 1)]
    pub amount_minor: i64,
    /// Shown to the payer (at most 40 characters).
    #[schema(max_length = 40)]
    pub message: Option<String>,
}

/// A request as a payer sees it before paying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MoneyRequestView {
    #[serde(flatten)]
    pub request: MoneyRequest,
    /// The requester's display name (family name and initials): who the money goes to.
    pub requester: String,
    /// The link to share: the wallet page that shows and pays this request.
    pub pay_path: String,
}

impl Transfers {
    pub async fn request_money(
        &self,
        who: &Principal,
        req: &MoneyRequestCreate,
        client: &Client,
    ) -> Result<MoneyRequestView, TransfersError> {
        self.require_wallet(who, "transfers.request.create", client).await?;
        checked_amount(req.amount_minor)?;
        let message = checked_message(req.message.as_deref())?;
        if req.amount_minor > self.config.per_transfer_minor() {
            return Err(TransfersError::Declined("over_transfer_limit"));
        }
        // Money may only be received into a verified wallet, so only one may ask for it.
        let identity = self.identity.require_verified(&who.user_id).await?;
        let now = now_ms();
        let request = MoneyRequest {
            id: new_id("mr"),
            requester_user_id: who.user_id.clone(),
            amount_minor: req.amount_minor,
            message,
            status: "open".into(),
            transfer_id: String::new(),
            expires_at_ms: now + self.config.request_ttl_secs * 1000,
            created_at_ms: now,
        };
        let mut tx = self.db.begin_write().await?;
        if !store::insert_request(&mut tx, &request, self.config.max_open_requests, now).await? {
            return Err(TransfersError::Conflict("too many requests for money are open; cancel one first"));
        }
        let details = json!({ "amount_minor": request.amount_minor, "ip": client.ip });
        self.audit_in(&mut tx, who, "transfers.request.created", &request.id, client, details).await?;
        tx.commit().await?;
        Ok(view(request, &identity.legal_name))
    }

    /// Any signed-in user holding the link may read it (that is how it is shared): the session
    /// is required by the caller, and the id (80 random bits) is the capability.
    pub async fn money_request(&self, _who: &Principal, id: &str) -> Result<MoneyRequestView, TransfersError> {
        let request = store::request(&self.db, id, now_ms()).await?.ok_or(TransfersError::NotFound)?;
        let requester = store::receiving_wallet(&self.db, &request.requester_user_id).await?;
        // A requester who can no longer receive (locked, say) is shown as nobody to pay.
        let Some(requester) = requester else {
            return Err(TransfersError::NotFound);
        };
        Ok(view(request, &requester.legal_name))
    }

    pub async fn money_requests(&self, who: &Principal) -> Result<Vec<MoneyRequest>, TransfersError> {
        Ok(store::requests_of(&self.db, &who.user_id, MAX_LISTED, now_ms()).await?)
    }

    /// Pay a request: a transfer of its amount to its requester, and the request closed with it.
    /// `expected_amount_minor`, when given, is the amount the payer was shown: any other is refused.
    pub async fn pay_request(
        &self,
        who: &Principal,
        id: &str,
        expected_amount_minor: Option<i64>,
        client: &Client,
    ) -> Result<Transfer, TransfersError> {
        self.require_wallet(who, "transfers.request.pay", client).await?;
        let request = store::request(&self.db, id, now_ms()).await?.ok_or(TransfersError::NotFound)?;
        if request.status != "open" {
            return Err(TransfersError::Conflict("this request for money is no longer open"));
        }
        if request.requester_user_id == who.user_id {
            return Err(TransfersError::Declined("own_wallet"));
        }
        if expected_amount_minor.is_some_and(|a| a != request.amount_minor) {
            return Err(TransfersError::Conflict("this request is for another amount than the one shown"));
        }
        let (requester, amount) = (request.requester_user_id.clone(), request.amount_minor);
        self.transfer(who, &requester, amount, &request.message, Some(&request.id), client).await
    }

    pub async fn cancel_request(
        &self,
        who: &Principal,
        id: &str,
        reason: &str,
        client: &Client,
    ) -> Result<(), TransfersError> {
        self.require_wallet(who, "transfers.request.cancel", client).await?;
        let reason = super::send::checked_message(Some(reason)).map_err(|_| TransfersError::Invalid {
            code: "message_invalid",
            message: "the reason is at most 40 characters on one line".into(),
            param: "reason",
        })?;
        let mut tx = self.db.begin_write().await?;
        if !store::cancel_request(&mut tx, id, &who.user_id, now_ms()).await? {
            return match store::request(&self.db, id, now_ms()).await? {
                Some(r) if r.requester_user_id == who.user_id => {
                    Err(TransfersError::Conflict("this request for money is no longer open"))
                }
                _ => Err(TransfersError::NotFound),
            };
        }
        let details = json!({ "ip": client.ip, "reason": reason });
        self.audit_in(&mut tx, who, "transfers.request.canceled", id, client, details).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_in(
        &self,
        tx: &mut store::Tx,
        who: &Principal,
        action: &str,
        target: &str,
        client: &Client,
        details: serde_json::Value,
    ) -> Result<(), TransfersError> {
        let event = crate::audit::AuditEvent::new(&who.user_id, action, target)
            .request_id(client.request_id.clone())
            .details(details);
        crate::audit::append(&self.db, tx, &[event]).await?;
        Ok(())
    }
}

fn view(request: MoneyRequest, requester_legal_name: &str) -> MoneyRequestView {
    let pay_path = format!("/wallet/requests/{}", request.id);
    MoneyRequestView { request, requester: display_name(requester_legal_name), pay_path }
}
