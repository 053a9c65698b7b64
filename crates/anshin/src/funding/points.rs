//! Campaign points granted by an operator (an admin): CampaignFunding → the wallet's points, one
//! ledger command whose audit record names the operator, with the grant's row as its effect and
//! the user told by e-mail. The operator's reference makes a grant idempotent per user: the same
//! reference again returns the first grant and never grants twice. One grant is bounded by
//! `max_points_per_grant_minor`.

use serde::Deserialize;

use super::store::{self, PointGrant};
use super::{Funding, FundingError};
use crate::identity::{Client, Principal};
use crate::ledger::{AccountKind, Command, Currency, LedgerError, Origin, Posting, Request};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointGrantRequest {
    /// The wallet user (`usr_…`).
    #[schema(min_length = 1, max_length = 64)]
    pub user_id: String,
    /// Points (1 point = 1 yen).
    #[schema(minimum = 1, maximum = 10000)]
    pub amount_minor: i64,
    /// The campaign's name, shown to the user.
    #[schema(min_length = 1, max_length = 100)]
    pub campaign: String,
    /// The operator's own reference (letters, digits, `-`, `_`): the same one again for the same
    /// user is the same grant.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub reference: String,
}

impl Funding {
    pub async fn grant_points(
        &self,
        who: &Principal,
        req: &PointGrantRequest,
        client: &Client,
    ) -> Result<PointGrant, FundingError> {
        self.require_admin(who, "funding.points.grant", client).await?;
        check(req, self.config.max_points_per_grant_minor)?;
        let user = store::user_facts(&self.db, &req.user_id).await?.filter(|u| u.kind == "wallet");
        let user = user.ok_or(FundingError::NotFound)?;
        if let Some(existing) = store::grant_by_reference(&self.db, &req.user_id, &req.reference).await? {
            return same_grant(existing, req);
        }
        let jpy = Currency::jpy();
        let accounts = self.wallets.accounts(&req.user_id).await?;
        let campaign = self.ledger.system_account(AccountKind::CampaignFunding, &jpy).await?;
        let grant = PointGrant {
            id: new_id("pg"),
            user_id: req.user_id.clone(),
            reference: req.reference.clone(),
            campaign: req.campaign.clone(),
            amount_minor: req.amount_minor,
            granted_by: who.user_id.clone(),
            entry_id: String::new(),
            created_at_ms: now_ms(),
        };
        let amount = crate::i18n::yen(req.amount_minor);
        let notice = crate::i18n::email(
            &user.email,
            &user.locale,
            "points-granted",
            &[("amount", amount.as_str().into()), ("label", req.campaign.as_str().into())],
        );
        let request = Request {
            // The key names the user and reference, and the command the amount: the same
            // reference with another amount is an idempotency conflict, not a second grant.
            command: Command::Post {
                key: format!("points:{}:{}", req.user_id, req.reference),
                kind: "campaign_points".into(),
                description: format!("{} {}", grant.id, req.campaign),
                postings: vec![
                    Posting { account_id: campaign, currency: jpy.clone(), amount_minor: -req.amount_minor },
                    Posting { account_id: accounts.points, currency: jpy, amount_minor: req.amount_minor },
                ],
            },
            origin: Origin { actor: who.user_id.clone(), request_id: client.request_id.clone() },
            notify: vec![notice],
            effects: vec![store::insert_grant_effect(&grant)],
        };
        match self.ledger.submit(request).await {
            Ok(_) | Err(LedgerError::EffectRefused(_)) | Err(LedgerError::IdempotencyConflict(_)) => {
                let stored = store::grant_by_reference(&self.db, &req.user_id, &req.reference).await?;
                same_grant(stored.ok_or(FundingError::Conflict("this grant could not be recorded"))?, req)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Admins: the latest grants, newest first.
    pub async fn recent_point_grants(&self, who: &Principal, client: &Client) -> Result<Vec<PointGrant>, FundingError> {
        self.require_admin(who, "funding.points.list", client).await?;
        Ok(store::recent_grants(&self.db, super::MAX_LISTED).await?)
    }
}

fn same_grant(existing: PointGrant, req: &PointGrantRequest) -> Result<PointGrant, FundingError> {
    if existing.amount_minor == req.amount_minor && existing.campaign == req.campaign {
        Ok(existing)
    } else {
        Err(FundingError::Conflict("this reference was used for another grant to this user"))
    }
}

fn check(req: &PointGrantRequest, max_minor: i64) -> Result<(), FundingError> {
    let invalid = |code, param, message: String| FundingError::Invalid { code, message, param };
    if !(1..=max_minor).contains(&req.amount_minor) {
        return Err(invalid("amount_invalid", "amount_minor", format!("a grant is 1 to {max_minor} points")));
    }
    let campaign_ok = (1..=100).contains(&req.campaign.chars().count())
        && !req.campaign.trim().is_empty()
        && !req.campaign.chars().any(crate::identity::types::is_hidden);
    if !campaign_ok {
        return Err(invalid("campaign_invalid", "campaign", "the campaign is 1 to 100 visible characters".into()));
    }
    let reference_ok = (1..=64).contains(&req.reference.len())
        && req.reference.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !reference_ok {
        return Err(invalid("reference_invalid", "reference", "the reference is 1 to 64 of [A-Za-z0-9_-]".into()));
    }
    Ok(())
}
