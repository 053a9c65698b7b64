//! The portal's till page: a signed-in cashier (or manager, or owner) takes a payment without a
//! POS: a customer's code typed or scanned into the page, or a dynamic code shown on the screen.
//! It is the POS flow with the staff session in place of a signed request: the same checks, the
//! same decision point and journal (`charge`, `mpm`), and the payment records which member of
//! staff took it (`pos_key_id` `web:{user id}`, and the journal's actor).

use super::pos::PosCaller;
use super::store::Payment;
use super::store_mpm;
use super::store_mpm::PaymentRequest;
use super::{ChargeRequest, PaymentError, Payments};
use crate::identity::{Client, Principal};
use crate::merchants::{MerchantStatus, PosKey, Store};
use crate::storage::now_ms;

impl Payments {
    /// The open stores the signed-in member of staff may take payments at.
    pub async fn till_stores(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<Vec<Store>, PaymentError> {
        let merchant = self.merchants.for_taking_payments(who, merchant_id, client).await?;
        let stores = crate::merchants::store::stores_of(&self.db, &merchant.id).await?;
        Ok(stores.into_iter().filter(|s| s.status == "open").collect())
    }

    /// Take a customer's code at the till page.
    pub async fn charge_as_staff(
        &self,
        who: &Principal,
        merchant_id: &str,
        store_id: &str,
        req: &ChargeRequest,
        client: &Client,
    ) -> Result<Payment, PaymentError> {
        let merchant = self.merchants.for_taking_payments(who, merchant_id, client).await?;
        let store = crate::merchants::store::store_by_id(&self.db, store_id)
            .await?
            .filter(|s| s.merchant_id == merchant.id)
            .ok_or(PaymentError::NotFound)?;
        if merchant.status != MerchantStatus::Active || store.status != "open" {
            return Err(PaymentError::NotAccepting);
        }
        // The page stands where a POS key would: the payment names who took it.
        let till = PosCaller {
            key: PosKey {
                id: format!("web:{}", who.user_id),
                merchant_id: merchant.id.clone(),
                store_id: store.id.clone(),
                label: "till page".into(),
                created_by: who.user_id.clone(),
                created_at_ms: now_ms(),
                revoked_at_ms: 0,
            },
            merchant,
            store,
            unspent_nonce: None,
            webhook_endpoint_ids: None,
            signed: false,
        };
        self.charge_customer_code(&till, req, &client.request_id).await
    }

    /// A payment request of the staff member's merchant, as the till page polls it.
    pub async fn payment_request_as_staff(
        &self,
        who: &Principal,
        merchant_id: &str,
        id: &str,
        client: &Client,
    ) -> Result<PaymentRequest, PaymentError> {
        let merchant = self.merchants.for_taking_payments(who, merchant_id, client).await?;
        store_mpm::request_by_id(&self.db, id, now_ms())
            .await?
            .filter(|r| r.merchant_id == merchant.id)
            .ok_or(PaymentError::NotFound)
    }

    /// A payment of the staff member's merchant (the till shows its confirmation number).
    pub async fn payment_as_staff(
        &self,
        who: &Principal,
        merchant_id: &str,
        id: &str,
        client: &Client,
    ) -> Result<Payment, PaymentError> {
        let merchant = self.merchants.for_taking_payments(who, merchant_id, client).await?;
        super::store::by_id(&self.db, id).await?.filter(|p| p.merchant_id == merchant.id).ok_or(PaymentError::NotFound)
    }
}
