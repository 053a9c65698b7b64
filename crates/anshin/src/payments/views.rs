//! Reading payments: a customer sees their own, with the merchant's and store's registered names;
//! a merchant's staff see their merchant's, newest first.

use serde::Serialize;

use super::store::{self, Payment};
use super::{MAX_PAYMENT_PAGE, PaymentError, Payments};
use crate::identity::{Client, Principal};
use crate::wallets::Balances;

/// A payment as its customer sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerPayment {
    #[serde(flatten)]
    pub payment: Payment,
    /// The merchant's registered legal name (never what a QR code said).
    pub merchant_name: String,
    /// The store's registered name.
    pub store_name: String,
}

impl Payments {
    pub async fn customer_payment(&self, who: &Principal, id: &str) -> Result<CustomerPayment, PaymentError> {
        let payment = store::by_id(&self.db, id).await?.filter(|p| p.customer_user_id == who.user_id);
        let payment = payment.ok_or(PaymentError::NotFound)?;
        let merchant = crate::merchants::store::merchant_by_id(&self.db, &payment.merchant_id).await?;
        let store = crate::merchants::store::store_by_id(&self.db, &payment.store_id).await?;
        Ok(CustomerPayment {
            merchant_name: merchant.map(|m| m.legal_name).unwrap_or_default(),
            store_name: store.map(|s| s.name).unwrap_or_default(),
            payment,
        })
    }

    pub async fn balances_of(&self, who: &Principal) -> Result<Balances, PaymentError> {
        let accounts = self.wallets.accounts(&who.user_id).await?;
        Ok(self.wallets.balances(&accounts).await?)
    }

    /// A merchant's payments, newest first, created before `before_ms`.
    pub async fn merchant_payments(
        &self,
        who: &Principal,
        merchant_id: &str,
        before_ms: Option<i64>,
        limit: i64,
        client: &Client,
    ) -> Result<Vec<Payment>, PaymentError> {
        self.merchants.for_payments(who, merchant_id, client).await?;
        let limit = limit.clamp(1, MAX_PAYMENT_PAGE);
        Ok(store::of_merchant(&self.db, merchant_id, before_ms.unwrap_or(i64::MAX), limit).await?)
    }
}
