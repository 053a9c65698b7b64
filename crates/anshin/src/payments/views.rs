//! Reading payments: a customer sees their own, with the merchant's and store's registered names;
//! a merchant's staff see their merchant's, newest first.

use std::collections::HashMap;

use serde::Serialize;

use super::store::PaymentFilter;
use super::store::{self, Payment};
use super::{MAX_PAYMENT_PAGE, PaymentError, Payments};

/// Rows one export holds at most (a month of a busy store); narrow the time range for more.
pub const MAX_EXPORT_ROWS: i64 = 10_000;
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

    /// The customer's own payments, newest first, before the cursor (the `created_at_ms` and id
    /// of the last one seen; `None` for the newest), each with the registered names.
    pub async fn customer_payments(
        &self,
        who: &Principal,
        before: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<CustomerPayment>, PaymentError> {
        let limit = limit.clamp(1, MAX_PAYMENT_PAGE);
        let (before_ms, before_id) = before.unwrap_or((i64::MAX, ""));
        let rows = store::of_customer(&self.db, &who.user_id, before_ms, before_id, limit).await?;
        // A page of payments names a few merchants and stores: each is read once.
        let mut merchants: HashMap<String, String> = HashMap::new();
        let mut stores: HashMap<String, String> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for payment in rows {
            if !merchants.contains_key(&payment.merchant_id) {
                let m = crate::merchants::store::merchant_by_id(&self.db, &payment.merchant_id).await?;
                merchants.insert(payment.merchant_id.clone(), m.map(|m| m.legal_name).unwrap_or_default());
            }
            if !stores.contains_key(&payment.store_id) {
                let s = crate::merchants::store::store_by_id(&self.db, &payment.store_id).await?;
                stores.insert(payment.store_id.clone(), s.map(|s| s.name).unwrap_or_default());
            }
            out.push(CustomerPayment {
                merchant_name: merchants[&payment.merchant_id].clone(),
                store_name: stores[&payment.store_id].clone(),
                payment,
            });
        }
        Ok(out)
    }

    pub async fn balances_of(&self, who: &Principal) -> Result<Balances, PaymentError> {
        let accounts = self.wallets.accounts(&who.user_id).await?;
        Ok(self.wallets.balances(&accounts).await?)
    }

    /// A merchant's payments, newest first, as `filter` says.
    pub async fn merchant_payments(
        &self,
        who: &Principal,
        merchant_id: &str,
        filter: &PaymentFilter,
        limit: i64,
        client: &Client,
    ) -> Result<Vec<Payment>, PaymentError> {
        self.merchants.for_payments(who, merchant_id, client).await?;
        let limit = limit.clamp(1, MAX_PAYMENT_PAGE);
        Ok(store::of_merchant(&self.db, merchant_id, filter, limit).await?)
    }

    /// The same list as CSV, up to `MAX_EXPORT_ROWS`, for a spreadsheet. The export is audited.
    pub async fn merchant_payments_csv(
        &self,
        who: &Principal,
        merchant_id: &str,
        filter: &PaymentFilter,
        client: &Client,
    ) -> Result<String, PaymentError> {
        self.merchants.for_payments(who, merchant_id, client).await?;
        let rows = store::of_merchant(&self.db, merchant_id, filter, MAX_EXPORT_ROWS).await?;
        let event = crate::audit::AuditEvent::new(&who.user_id, "payments.exported", merchant_id)
            .request_id(client.request_id.clone())
            .details(serde_json::json!({ "ip": client.ip, "rows": rows.len() }));
        crate::audit::record(&self.db, event).await?;
        let mut out = String::from(
            "id,created_at_ms,store_id,terminal_id,status,amount_minor,refunded_minor,fee_minor,fee_tax_minor,confirmation_code,reference\r\n",
        );
        for p in rows {
            let cells = [
                p.id,
                p.created_at_ms.to_string(),
                p.store_id,
                p.terminal_id,
                p.status,
                p.amount_minor.to_string(),
                p.refunded_minor.to_string(),
                p.fee_minor.to_string(),
                p.fee_tax_minor.to_string(),
                p.confirmation_code,
                p.reference,
            ];
            out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        Ok(out)
    }
}

/// One CSV cell (RFC 4180 quoting). A cell a spreadsheet would run as a formula (starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return: the merchant's own `reference` could be
/// `=HYPERLINK(…)`) is prefixed with `'` so it is shown as text, as OWASP advises.
fn csv_cell(value: &str) -> String {
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_never_run_as_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(csv_cell("+81"), "'+81");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
    }
}
