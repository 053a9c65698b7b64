//! Merchant-presented payments: the store shows a code signed by the platform, the wallet scans
//! it, the server checks it and answers with the merchant and store names **from our tables**
//! (never tag 59 of the payload, which anyone can print), and the customer confirms and pays.
//!
//! A store's static code (`01` = `11`) has no amount: the customer enters it. A dynamic code
//! (`12`) is a payment request made by the POS for one sale: its amount is in `54`, a one-time
//! reference in `62`/`05`; it expires after `REQUEST_TTL_SECS` and pays once, because its row is
//! claimed by an effect in the payment's own transaction and the ledger key names the request.
//!
//! Layout and signature: `mpm_code`; keys: `qr_keys`; the shared payment path: `sale`.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::mpm_code::{self, CodeFields, Unreadable};
use super::pos::PosCaller;
use super::qr_keys::{self, KeyCheck, QrKeys};
use super::sale::{self, Payer, Sale, Submitted};
use super::store::{self, Payment};
use super::store_mpm::{self, PaymentRequest, Scan};
use super::{PaymentError, Payments, SPLIT_ATTEMPTS};
use crate::audit::{self, AuditEvent};
use crate::identity::{Client, Principal};
use crate::merchants::{Merchant, MerchantStatus, Store};
use crate::storage::{ids, now_ms};

/// How long a dynamic code can be paid: long enough to pay at a till, short enough that a photo
/// of the screen is useless soon after.
pub const REQUEST_TTL_SECS: i64 = 300;
/// How long a checked scan waits for the customer's confirmation.
pub const SCAN_TTL_SECS: i64 = 600;
/// Characters of randomness in a dynamic code's reference (80 bits, hex; `62`/`05` holds 25).
const REFERENCE_CHARS: usize = 20;

/// A POS (or a cashier at the till page) asks for a dynamic code for one sale.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPaymentRequest {
    /// In yen.
    #[schema(minimum = 1, maximum = 1000000)]
    pub amount_minor: i64,
    /// `JPY`.
    #[schema(pattern = "^JPY$")]
    pub currency: String,
    /// Which till (letters, digits, `-` and `_`).
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub terminal_id: String,
    /// The merchant's own reference for the sale (an order number), up to 64 characters.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub reference: String,
}

/// What a wallet scanned: the payload text.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The text of the QR code, as the camera read it.
    #[schema(min_length = 1, max_length = 512)]
    #[serde(default)]
    pub payload: String,
    /// Or a photo of the code: a PNG, base64 (standard alphabet), up to 1 MiB decoded.
    #[serde(default)]
    #[schema(max_length = 1400000)]
    pub image_base64: String,
}

/// A checked code, for the customer to confirm: the names are the registered ones.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanView {
    /// `scan_…`
    pub id: String,
    /// `static` (the customer enters the amount) or `dynamic` (the amount is fixed).
    pub kind: String,
    pub merchant_id: String,
    /// The merchant's registered legal name (never the name printed in the code).
    pub merchant_name: String,
    pub store_id: String,
    /// The store's registered name.
    pub store_name: String,
    /// A dynamic code's amount; absent for a static code.
    pub amount_minor: Option<i64>,
    /// `open` or `paid`.
    pub status: String,
    pub payment_id: String,
    pub expires_at_ms: i64,
}

/// The customer confirms a scan.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanPayment {
    /// Required for a static code; for a dynamic code, if given, it must be the code's amount.
    #[schema(minimum = 1, maximum = 1000000)]
    #[serde(default)]
    pub amount_minor: Option<i64>,
}

impl Payments {
    pub fn qr_keys(&self) -> QrKeys {
        QrKeys::new(self.db.clone(), self.keys.clone())
    }

    /// A store's static code (the poster's text), signed by the active key.
    pub async fn store_code(&self, merchant: &Merchant, store: &Store) -> Result<String, PaymentError> {
        self.signed_code(merchant, store, None).await
    }

    async fn signed_code(
        &self,
        merchant: &Merchant,
        store: &Store,
        sale: Option<(i64, String)>,
    ) -> Result<String, PaymentError> {
        let (key_id, key) = self.qr_keys().signer().await?;
        let fields = CodeFields {
            merchant_number: merchant.number,
            store_number: store.number,
            mcc: merchant.mcc.clone(),
            postal_code: store.postal_code.clone(),
            display_name: merchant.legal_name.clone(),
            store_name: store.name.clone(),
            sale,
        };
        mpm_code::encode_signed(&fields, &key_id, |m| qr_keys::sign(&key, m))
            .map_err(|e| PaymentError::Identity(crate::identity::IdentityError::Internal(e.to_string())))
    }

    /// The store's static code for its staff (or an operator): its merchant and store too.
    pub async fn store_code_for(
        &self,
        who: &Principal,
        merchant_id: &str,
        store_id: &str,
        client: &Client,
    ) -> Result<(String, Merchant, Store), PaymentError> {
        let merchant = self.merchants.for_payments(who, merchant_id, client).await?;
        let store = self.store_of(&merchant, store_id).await?;
        Ok((self.store_code(&merchant, &store).await?, merchant, store))
    }

    async fn store_of(&self, merchant: &Merchant, store_id: &str) -> Result<Store, PaymentError> {
        crate::merchants::store::store_by_id(&self.db, store_id)
            .await?
            .filter(|s| s.merchant_id == merchant.id)
            .ok_or(PaymentError::NotFound)
    }

    /// POS: a dynamic code for one sale at this POS key's store.
    pub async fn create_payment_request(
        &self,
        pos: &PosCaller,
        req: &NewPaymentRequest,
        request_id: &str,
    ) -> Result<PaymentRequest, PaymentError> {
        self.new_request(&pos.merchant, &pos.store, &pos.key.id, req, request_id).await
    }

    /// The till page: a signed-in cashier (or manager, or owner) asks for a dynamic code.
    pub async fn create_payment_request_as_staff(
        &self,
        who: &Principal,
        merchant_id: &str,
        store_id: &str,
        req: &NewPaymentRequest,
        client: &Client,
    ) -> Result<PaymentRequest, PaymentError> {
        let merchant = self.merchants.for_taking_payments(who, merchant_id, client).await?;
        let store = self.store_of(&merchant, store_id).await?;
        if merchant.status != MerchantStatus::Active || store.status != "open" {
            return Err(PaymentError::NotAccepting);
        }
        self.new_request(&merchant, &store, &who.user_id, req, &client.request_id).await
    }

    async fn new_request(
        &self,
        merchant: &Merchant,
        store: &Store,
        created_by: &str,
        req: &NewPaymentRequest,
        request_id: &str,
    ) -> Result<PaymentRequest, PaymentError> {
        super::charge::check_sale(
            &req.currency,
            req.amount_minor,
            &req.terminal_id,
            &req.reference,
            self.config.risk.per_payment_limit_minor,
        )?;
        let now = now_ms();
        let code_reference = ids::random_hex_128()[..REFERENCE_CHARS].to_owned();
        let payload = self.signed_code(merchant, store, Some((req.amount_minor, code_reference.clone()))).await?;
        let request = PaymentRequest {
            id: ids::new_id("preq"),
            merchant_id: merchant.id.clone(),
            store_id: store.id.clone(),
            terminal_id: req.terminal_id.clone(),
            amount_minor: req.amount_minor,
            reference: req.reference.clone(),
            status: "open".into(),
            payment_id: String::new(),
            payload,
            expires_at_ms: now + REQUEST_TTL_SECS * 1000,
            created_at_ms: now,
            code_reference,
            created_by: created_by.to_owned(),
        };
        let mut tx = self.db.begin_write().await?;
        audit::lock_head(&self.db, &mut tx).await?;
        store_mpm::insert_request(&mut tx, &request).await?;
        let event = AuditEvent::new(created_by, "payment_request.created", &request.id)
            .request_id(request_id)
            .details(json!({ "store": store.id, "amount_minor": req.amount_minor }));
        audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(request)
    }

    /// POS: a payment request of this merchant (anything else is "not found").
    pub async fn payment_request_for_pos(&self, pos: &PosCaller, id: &str) -> Result<PaymentRequest, PaymentError> {
        store_mpm::request_by_id(&self.db, id, now_ms())
            .await?
            .filter(|r| r.merchant_id == pos.merchant.id)
            .ok_or(PaymentError::NotFound)
    }

    /// POS: cancel an open payment request; one already paid stays paid (and says so).
    pub async fn cancel_payment_request(
        &self,
        pos: &PosCaller,
        id: &str,
        reason: &str,
        request_id: &str,
    ) -> Result<PaymentRequest, PaymentError> {
        if reason.chars().count() > 200 || reason.chars().any(crate::identity::types::is_hidden) {
            return Err(PaymentError::Invalid {
                code: "reason_invalid",
                message: "the reason is up to 200 visible characters".into(),
                param: "reason",
            });
        }
        let current = self.payment_request_for_pos(pos, id).await?;
        let mut tx = self.db.begin_write().await?;
        audit::lock_head(&self.db, &mut tx).await?;
        if store_mpm::cancel_request(&mut tx, id, &pos.merchant.id, now_ms()).await? {
            let event = AuditEvent::new(&pos.key.id, "payment_request.canceled", id)
                .request_id(request_id)
                .details(json!({ "reason": reason }));
            audit::append(&self.db, &mut tx, &[event]).await?;
            tx.commit().await?;
        } else {
            drop(tx);
            if current.status == "paid" {
                return Err(PaymentError::Invalid {
                    code: "payment_request_paid",
                    message: "this payment request is already paid; refund the payment instead".into(),
                    param: "id",
                });
            }
        }
        self.payment_request_for_pos(pos, id).await
    }

    /// A wallet scanned a code: check it and answer with the registered names.
    pub async fn scan(&self, who: &Principal, req: &ScanRequest) -> Result<ScanView, PaymentError> {
        let text = match (req.payload.trim().is_empty(), req.image_base64.is_empty()) {
            (false, true) => req.payload.clone(),
            (true, false) => super::poster::read_photo_base64(&req.image_base64)?,
            _ => {
                return Err(PaymentError::Invalid {
                    code: "scan_invalid",
                    message: "send either the code's text (payload) or a photo (image_base64)".into(),
                    param: "payload",
                });
            }
        };
        self.scan_text(who, &text).await
    }

    pub async fn scan_text(&self, who: &Principal, text: &str) -> Result<ScanView, PaymentError> {
        let now = now_ms();
        let code = mpm_code::read(text).map_err(|e| {
            PaymentError::ScanRefused(match e {
                Unreadable::NotEmv | Unreadable::Malformed => "qr_unreadable",
                Unreadable::Foreign => "qr_foreign",
                Unreadable::Unsigned => "qr_unsigned",
            })
        })?;
        match self.qr_keys().verify(&code.key_id, &code.signed_message, &code.signature).await? {
            KeyCheck::Valid => {}
            // One answer for a key we never had and a signature that does not hold: the
            // code did not come from us.
            KeyCheck::UnknownKey | KeyCheck::BadSignature => return Err(PaymentError::ScanRefused("qr_forged")),
            KeyCheck::Retired => return Err(PaymentError::ScanRefused("qr_retired")),
        }
        // Signed by us, so the numbers are ours; a merchant or store removed since is a refusal.
        let (merchant_id, store_id) = store_mpm::store_by_numbers(&self.db, code.merchant_number, code.store_number)
            .await?
            .ok_or(PaymentError::ScanRefused("qr_forged"))?;
        let (merchant, store) = self.accepting(&merchant_id, &store_id).await?;
        let (request_id, amount_minor, expires_at_ms) = match &code.sale {
            None => (String::new(), 0, now + SCAN_TTL_SECS * 1000),
            Some((amount, reference)) => {
                let r = store_mpm::request_by_reference(&self.db, reference, now)
                    .await?
                    .filter(|r| r.store_id == store.id && r.amount_minor == *amount)
                    .ok_or(PaymentError::ScanRefused("qr_forged"))?;
                request_usable(&r)?;
                (r.id, r.amount_minor, r.expires_at_ms.min(now + SCAN_TTL_SECS * 1000))
            }
        };
        let scan = Scan {
            id: ids::new_id("scan"),
            user_id: who.user_id.clone(),
            merchant_id: merchant.id.clone(),
            store_id: store.id.clone(),
            request_id,
            amount_minor,
            key_id: code.key_id,
            status: "open".into(),
            payment_id: String::new(),
            expires_at_ms,
            created_at_ms: now,
        };
        store_mpm::insert_scan(&self.db, &scan).await?;
        Ok(view(&scan, &merchant, &store))
    }

    /// The merchant and store, if they take payments now.
    async fn accepting(&self, merchant_id: &str, store_id: &str) -> Result<(Merchant, Store), PaymentError> {
        let merchant = crate::merchants::store::merchant_by_id(&self.db, merchant_id)
            .await?
            .ok_or(PaymentError::ScanRefused("qr_forged"))?;
        if merchant.status != MerchantStatus::Active {
            return Err(PaymentError::ScanRefused("merchant_suspended"));
        }
        let store = self.store_of(&merchant, store_id).await?;
        if store.status != "open" {
            return Err(PaymentError::ScanRefused("store_closed"));
        }
        Ok((merchant, store))
    }

    /// One of the customer's own scans, for the confirmation page.
    pub async fn scan_view(&self, who: &Principal, scan_id: &str) -> Result<ScanView, PaymentError> {
        let scan = self.own_scan(who, scan_id).await?;
        let merchant = crate::merchants::store::merchant_by_id(&self.db, &scan.merchant_id)
            .await?
            .ok_or(PaymentError::NotFound)?;
        let store = self.store_of(&merchant, &scan.store_id).await?;
        Ok(view(&scan, &merchant, &store))
    }

    async fn own_scan(&self, who: &Principal, scan_id: &str) -> Result<Scan, PaymentError> {
        store_mpm::scan_by_id(&self.db, scan_id)
            .await?
            .filter(|s| s.user_id == who.user_id)
            .ok_or(PaymentError::NotFound)
    }

    /// The customer confirms: the same checks again (anything may have changed since the scan),
    /// then the shared payment path with the scan (and the request) claimed in its transaction.
    pub async fn pay_scan(
        &self,
        who: &Principal,
        scan_id: &str,
        req: &ScanPayment,
        request_id: &str,
    ) -> Result<Payment, PaymentError> {
        let scan = self.own_scan(who, scan_id).await?;
        let now = now_ms();
        if scan.status == "paid" {
            return store::by_id(&self.db, &scan.payment_id).await?.ok_or(PaymentError::ScanRefused("qr_used"));
        }
        if scan.expires_at_ms <= now {
            return Err(PaymentError::ScanRefused("qr_expired"));
        }
        let amount_minor = self.scan_amount(&scan, req)?;
        if let Some(key) = store_mpm::key_by_id(&self.db, &scan.key_id).await?
            && key.status == "retired"
        {
            return Err(PaymentError::ScanRefused("qr_retired"));
        }
        let (merchant, shop) = self.accepting(&scan.merchant_id, &scan.store_id).await?;
        let request = match scan.request_id.as_str() {
            "" => None,
            id => Some(store_mpm::request_by_id(&self.db, id, now).await?.ok_or(PaymentError::NotFound)?),
        };
        if let Some(r) = &request
            && r.status != "paid"
        {
            request_usable(r)?;
        }
        let payer =
            store_mpm::active_payer(&self.db, &who.user_id).await?.ok_or(PaymentError::Declined("account_locked"))?;
        let ledger_key = format!("mpm:{}", request.as_ref().map_or(scan.id.as_str(), |r| r.id.as_str()));
        let payment_id = sale::payment_id(&ledger_key);
        for _ in 0..SPLIT_ATTEMPTS {
            let mut effects = Vec::new();
            if let Some(r) = &request {
                effects.push(store_mpm::claim_request(&r.id, &payment_id, now_ms()));
            }
            effects.push(store_mpm::claim_scan(&scan.id, &payment_id));
            let sale = Sale {
                payer: Payer {
                    user_id: &payer.user_id,
                    email: &payer.email,
                    locale: &payer.locale,
                    money_out_blocked_until_ms: payer.money_out_blocked_until_ms,
                },
                merchant: &merchant,
                store: &shop,
                terminal_id: request.as_ref().map_or("store-qr", |r| r.terminal_id.as_str()),
                amount_minor,
                reference: request.as_ref().map_or("", |r| r.reference.as_str()),
                method: "merchant_presented",
                pos_key_id: request.as_ref().map_or("", |r| r.created_by.as_str()),
                actor: &who.user_id,
                ledger_key: &ledger_key,
                request_id,
                effects,
                wallet: None,
                pos: None,
            };
            match self.submit_sale(sale).await? {
                Submitted::Fresh(payment) => return Ok(*payment),
                Submitted::Retry => continue,
                Submitted::Refused("code_used") => {
                    let r = request.as_ref().map(|r| r.id.as_str()).unwrap_or_default();
                    let latest = store_mpm::request_by_id(&self.db, r, now_ms()).await?;
                    return Err(match latest.map(|r| r.status) {
                        Some(s) if s == "expired" => PaymentError::ScanRefused("qr_expired"),
                        Some(s) if s == "canceled" => PaymentError::ScanRefused("qr_canceled"),
                        _ => PaymentError::ScanRefused("qr_used"),
                    });
                }
                Submitted::Refused(_) | Submitted::AlreadyMade => {
                    // Paid already: by this customer (a retry) it is their payment; by anyone
                    // else, the code is used.
                    return match store::by_ledger_key(&self.db, &ledger_key).await? {
                        Some(p) if p.customer_user_id == who.user_id => Ok(p),
                        _ => Err(PaymentError::ScanRefused("qr_used")),
                    };
                }
            }
        }
        Err(PaymentError::Declined("insufficient_funds"))
    }

    /// Scans nobody confirmed in time go (their codes can be scanned again).
    pub async fn purge_scans(&self) -> Result<u64, PaymentError> {
        Ok(store_mpm::purge_scans(&self.db, now_ms()).await?)
    }

    fn scan_amount(&self, scan: &Scan, req: &ScanPayment) -> Result<i64, PaymentError> {
        let limit = self.config.risk.per_payment_limit_minor;
        let invalid =
            |message: String| PaymentError::Invalid { code: "amount_invalid", message, param: "amount_minor" };
        match (scan.request_id.is_empty(), req.amount_minor) {
            (true, Some(a)) if (1..=limit).contains(&a) => Ok(a),
            (true, _) => Err(invalid(format!("enter the amount: 1 to {limit} yen"))),
            (false, Some(a)) if a != scan.amount_minor => Err(invalid("the amount is the one the shop set".into())),
            (false, _) => Ok(scan.amount_minor),
        }
    }
}

/// An open request within its time; anything else says why not.
fn request_usable(r: &PaymentRequest) -> Result<(), PaymentError> {
    match r.status.as_str() {
        "open" => Ok(()),
        "expired" => Err(PaymentError::ScanRefused("qr_expired")),
        "canceled" => Err(PaymentError::ScanRefused("qr_canceled")),
        _ => Err(PaymentError::ScanRefused("qr_used")),
    }
}

fn view(scan: &Scan, merchant: &Merchant, store: &Store) -> ScanView {
    ScanView {
        id: scan.id.clone(),
        kind: if scan.request_id.is_empty() { "static" } else { "dynamic" }.into(),
        merchant_id: merchant.id.clone(),
        merchant_name: merchant.legal_name.clone(),
        store_id: store.id.clone(),
        store_name: store.name.clone(),
        amount_minor: (!scan.request_id.is_empty()).then_some(scan.amount_minor),
        status: scan.status.clone(),
        payment_id: scan.payment_id.clone(),
        expires_at_ms: scan.expires_at_ms,
    }
}
