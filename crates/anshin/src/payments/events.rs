//! Merchant events: the merchant learns of a payment from the platform, never from the customer's
//! screen. Every change of a payment's state (succeeded, held, requires_confirmation, refunded or
//! partially_refunded, canceled, voided) writes one event row and one webhook delivery per
//! enabled endpoint, as `Effect`s of the very ledger command that moves the money: no event
//! without its journal, no journal without its event.
//!
//! Flows that write payments call `effects` where they build their command's effects (after the
//! payment row's own effect). The live feed (`feed`) and the webhooks (`notify`'s webhook
//! transport) carry the same JSON (`MerchantEvent` without `seq`); the confirmation code in it is
//! the one the customer's completion screen shows. Events carry no secret and nothing about the
//! customer: no user id, name, contact or balance split.

use serde::Serialize;

use super::store::{Payment, Refund};
use super::store_events::{self as store, Outcome};
use super::{PaymentError, Payments};
use crate::identity::{Client, Principal};
use crate::keys::Keys;
use crate::ledger::Effect;
use crate::storage::{Db, ids::new_id, now_ms};

/// The payment states an event is written for: every state a payment is stored in.
pub const EVENT_STATUSES: [&str; 7] = super::store::STATUSES;

/// One event, as the live feed sends it and a webhook posts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MerchantEvent {
    /// `evt_…`: a webhook receiver deduplicates on it (delivery is at least once).
    pub id: String,
    /// `payment.succeeded`, `payment.held`, `payment.requires_confirmation`, `payment.refunded`,
    /// `payment.partially_refunded`, `payment.canceled` or `payment.voided`.
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at_ms: i64,
    pub merchant_id: String,
    pub payment: EventPayment,
    /// For refund events: the refund that made this change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund: Option<EventRefund>,
    /// The event's place in commit order (the live feed's `id:`); not in webhook bodies, which
    /// are sealed before the number is given.
    #[serde(skip)]
    pub seq: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EventPayment {
    /// `pay_…`
    pub id: String,
    pub store_id: String,
    pub terminal_id: String,
    pub method: String,
    pub amount_minor: i64,
    /// The payment's status after this event.
    pub status: String,
    /// The code the customer's completion screen shows: a screen without it is not ours.
    pub confirmation_code: String,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EventRefund {
    /// `re_…`
    pub id: String,
    pub amount_minor: i64,
}

/// What happened to the payment.
pub enum Change<'a> {
    /// It was written, or its status changed, to `payment.status`.
    Status,
    /// This refund was made; the payment is refunded or partially refunded after it.
    Refunded(&'a Refund),
}

/// The effects that record `change` of `payment` for its merchant: the event row, and for each
/// enabled webhook endpoint a sealed delivery in the outbox. Append them after the effect that
/// writes the payment row. Reads the merchant's endpoints (one indexed query) unless the caller
/// read them already (`endpoint_ids`, with the POS key).
pub async fn effects(
    db: &Db,
    keys: &Keys,
    payment: &Payment,
    change: Change<'_>,
    endpoint_ids: Option<&[String]>,
) -> Result<Vec<Effect>, sqlx::Error> {
    let now = now_ms();
    let event_id = new_id("evt");
    let (refund, variants) = match change {
        Change::Status => {
            debug_assert!(EVENT_STATUSES.contains(&payment.status.as_str()), "no event for {}", payment.status);
            (None, vec![(Outcome::Any, format!("payment.{}", payment.status))])
        }
        Change::Refunded(r) => (
            Some(EventRefund { id: r.id.clone(), amount_minor: r.amount_minor }),
            vec![
                (Outcome::FullyRefunded, "payment.refunded".to_owned()),
                (Outcome::PartlyRefunded, "payment.partially_refunded".to_owned()),
            ],
        ),
    };
    let (if_full, otherwise) = match &variants[..] {
        [(_, only)] => (only.as_str(), only.as_str()),
        [(_, full), (_, partly)] => (full.as_str(), partly.as_str()),
        _ => unreachable!("one or two variants"),
    };
    let mut out = vec![store::insert_event(
        &event_id,
        &payment.merchant_id,
        &payment.id,
        if_full,
        otherwise,
        refund.as_ref(),
        now,
    )];
    // The body is the same for every endpoint (only its seal, bound to the message id, differs).
    let bodies: Vec<(Outcome, &str, String)> = variants
        .iter()
        .map(|(outcome, kind)| {
            let event = event_of(&event_id, kind, payment, refund.clone(), now);
            (*outcome, kind.as_str(), serde_json::to_string(&event).expect("an event serializes"))
        })
        .collect();
    let read;
    let endpoint_ids = match endpoint_ids {
        Some(known) => known,
        None => {
            read = store::enabled_endpoint_ids(db, &payment.merchant_id).await?;
            &read[..]
        }
    };
    for endpoint_id in endpoint_ids {
        let message_id = new_id("msg");
        for (outcome, kind, body) in &bodies {
            let sealed = keys.seal_message(body, &message_id);
            out.push(store::insert_delivery(&message_id, endpoint_id, kind, &sealed, &payment.id, *outcome, now));
        }
    }
    Ok(out)
}

fn event_of(id: &str, kind: &str, p: &Payment, refund: Option<EventRefund>, now_ms: i64) -> MerchantEvent {
    MerchantEvent {
        id: id.to_owned(),
        kind: kind.to_owned(),
        created_at_ms: now_ms,
        merchant_id: p.merchant_id.clone(),
        payment: EventPayment {
            id: p.id.clone(),
            store_id: p.store_id.clone(),
            terminal_id: p.terminal_id.clone(),
            method: p.method.clone(),
            amount_minor: p.amount_minor,
            status: kind.strip_prefix("payment.").unwrap_or(kind).to_owned(),
            confirmation_code: p.confirmation_code.clone(),
            reference: p.reference.clone(),
        },
        refund,
        seq: None,
    }
}

impl Payments {
    /// The live feed of `merchant_id` for one open page of `who`, a member of its staff (any
    /// role; operators read payments through the list instead), from after `after_seq` (the
    /// browser's `Last-Event-ID`) or from now. Anyone else is told it does not exist.
    pub async fn live_events(
        &self,
        who: &Principal,
        merchant_id: &str,
        after_seq: Option<i64>,
        client: &Client,
    ) -> Result<super::feed::Subscription, PaymentError> {
        if who.kind != crate::identity::AccountKind::MerchantStaff {
            return Err(PaymentError::NotFound);
        }
        self.merchants.for_payments(who, merchant_id, client).await?;
        self.feed.subscribe(&who.session_id, merchant_id, after_seq).await
    }

    /// One of the merchant's payments, for its staff (any role) or an operator: the portal's
    /// payment page. Another merchant's payment is "not found".
    pub async fn merchant_payment(
        &self,
        who: &Principal,
        merchant_id: &str,
        payment_id: &str,
        client: &Client,
    ) -> Result<super::Payment, PaymentError> {
        self.merchants.for_payments(who, merchant_id, client).await?;
        super::store::by_id(&self.db, payment_id)
            .await?
            .filter(|p| p.merchant_id == merchant_id)
            .ok_or(PaymentError::NotFound)
    }

    /// A payment's events, for its page in the portal (the caller has checked the merchant).
    pub async fn payment_events(
        &self,
        merchant_id: &str,
        payment_id: &str,
    ) -> Result<Vec<MerchantEvent>, PaymentError> {
        Ok(store::of_payment(&self.db, merchant_id, payment_id).await?)
    }
}
