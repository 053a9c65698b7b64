//! Payment devices: a signed-in wallet device gets a secret to make one-time codes offline. The
//! secret is shown once (the web wallet imports it as a non-extractable WebCrypto key) and kept
//! sealed; it dies with the session that asked for it, and a lock of the account stops it.

use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use serde_json::json;

use super::codes::{self, MAX_DEVICE_NUMBER};
use super::store;
use super::{CODE_TTL_SECS, PaymentError, Payments};
use crate::audit::{self, AuditEvent};
use crate::identity::{AccountKind, Client, IdentityError, Principal};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// A new device key: `secret` is in this answer only.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceProvisioned {
    /// `pd_…`
    pub device_id: String,
    /// What codes name.
    pub device_number: i64,
    /// 32 bytes, base64url: the HMAC key codes are made with (see docs/ARCHITECTURE.md).
    pub secret: String,
    /// Codes count up from here; each code must carry a higher counter than any used.
    pub next_counter: i64,
    /// How long a code lives.
    pub code_ttl_secs: i64,
    /// What numeric codes start with.
    pub digits_prefix: &'static str,
}

/// Insert attempts when two devices take the same number at once (PostgreSQL).
const NUMBER_ATTEMPTS: usize = 3;

impl Payments {
    /// A wallet session asks for a device key; an earlier key of the same session stops.
    pub async fn provision_device(&self, who: &Principal, client: &Client) -> Result<DeviceProvisioned, PaymentError> {
        if who.kind != AccountKind::Wallet || !who.is_full() {
            return Err(PaymentError::Identity(IdentityError::Forbidden));
        }
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let id = new_id("pd");
        let sealed = self.keys.seal_credential(&secret, &id);
        let now = now_ms();
        let mut attempt = 0;
        let (mut tx, number) = loop {
            attempt += 1;
            let mut tx = self.db.begin_write().await?;
            store::revoke_session_devices(&mut tx, &who.session_id, now).await?;
            match store::insert_device(&mut tx, &id, &who.user_id, &who.session_id, &sealed, now).await {
                Ok(number) => break (tx, number),
                Err(e)
                    if attempt < NUMBER_ATTEMPTS && e.as_database_error().is_some_and(|d| d.is_unique_violation()) =>
                {
                    tx.rollback().await?;
                }
                Err(e) => return Err(e.into()),
            }
        };
        if number > MAX_DEVICE_NUMBER {
            return Err(PaymentError::Identity(IdentityError::Internal("device numbers are used up".into())));
        }
        let event = AuditEvent::new(&who.user_id, "payments.device.provisioned", &id)
            .request_id(client.request_id.clone())
            .details(json!({ "ip": client.ip, "number": number, "session": who.session_id }));
        audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(DeviceProvisioned {
            device_id: id,
            device_number: number,
            secret,
            next_counter: 1,
            code_ttl_secs: CODE_TTL_SECS,
            digits_prefix: codes::DIGITS_PREFIX,
        })
    }

    /// The number of the device key this session holds, if it still works: the web wallet
    /// compares it with the key it keeps, to tell the person when their codes no longer work.
    pub async fn session_device(&self, who: &Principal) -> Result<Option<i64>, PaymentError> {
        Ok(store::session_device_number(&self.db, &who.user_id, &who.session_id).await?)
    }

    /// The secret of a live device (for checking a code).
    pub(super) fn device_secret(&self, device: &store::LiveDevice) -> Result<Vec<u8>, PaymentError> {
        let secret = self
            .keys
            .open_credential(&device.sealed_secret, &device.id)
            .map_err(|e| PaymentError::Identity(IdentityError::Internal(format!("device {}: {e}", device.id))))?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(secret)
            .map_err(|e| PaymentError::Identity(IdentityError::Internal(format!("device {}: {e}", device.id))))
    }
}
