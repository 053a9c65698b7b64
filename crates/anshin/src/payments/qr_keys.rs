//! The platform's Ed25519 keys that sign merchant-presented codes. One key signs new codes at a
//! time; rotating makes a new one and keeps the old one verifying the codes already printed,
//! until an operator retires it. Seeds are sealed at rest (`Keys::seal_credential`, bound to the
//! key id); public keys are not secret. The first key is made on first use, and a unique index
//! on the active key makes servers that start together agree on one.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand::RngCore;
use serde_json::json;

use super::PaymentError;
use super::store_mpm::{self, QrKeyInfo};
use crate::audit::{self, AuditEvent};
use crate::identity::IdentityError;
use crate::keys::Keys;
use crate::storage::{Db, now_ms};

/// Attempts at reading the active key after losing a race to create it.
const CREATE_ATTEMPTS: usize = 3;

/// The code-signing keys over one database.
#[derive(Clone)]
pub struct QrKeys {
    db: Db,
    keys: Keys,
}

/// What verifying a code's signature found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    Valid,
    /// The key id names no key of ours (a code signed by someone else's key).
    UnknownKey,
    /// Our key, retired: its codes are no longer accepted.
    Retired,
    /// The signature does not hold (the code was changed, or forged).
    BadSignature,
}

impl QrKeys {
    pub fn new(db: Db, keys: Keys) -> QrKeys {
        QrKeys { db, keys }
    }

    /// The key that signs new codes (made now if there is none): its id and signing key.
    pub async fn signer(&self) -> Result<(String, SigningKey), PaymentError> {
        for _ in 0..CREATE_ATTEMPTS {
            if let Some((id, sealed)) = store_mpm::active_key(&self.db).await? {
                return Ok((id.clone(), self.open(&id, &sealed)?));
            }
            // `None`: another server made it first; the next round reads theirs.
            self.create("system", None).await?;
        }
        Err(PaymentError::Identity(IdentityError::Unavailable))
    }

    /// A new active key; the one active before (if any) goes on verifying. Audited.
    pub async fn rotate(&self, actor: &str) -> Result<String, PaymentError> {
        self.create(actor, Some("qr_key.rotated")).await?.ok_or(PaymentError::Identity(IdentityError::Unavailable))
    }

    /// `None` when another active key appeared meanwhile (the unique index refused this one).
    async fn create(&self, actor: &str, action: Option<&str>) -> Result<Option<String>, PaymentError> {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let signing = SigningKey::from_bytes(&seed);
        let id = format!("k{}", &crate::storage::ids::random_hex_128()[..8]);
        let sealed = self.keys.seal_credential(&hex::encode(seed), &id);
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        // The chain's lock first (the order every writer takes), which also serialises rotations.
        audit::lock_head(&self.db, &mut tx).await?;
        let previous = match action {
            Some(_) => store_mpm::demote_active_key(&mut tx, now).await?,
            None => None,
        };
        let public_hex = hex::encode(signing.verifying_key().as_bytes());
        if let Err(e) = store_mpm::insert_active_key(&mut tx, &id, &sealed, &public_hex, now).await {
            if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                return Ok(None);
            }
            return Err(e.into());
        }
        let event = AuditEvent::new(actor, action.unwrap_or("qr_key.created"), &id)
            .details(json!({ "previous": previous.unwrap_or_default() }));
        audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// A rotated-out key stops verifying: codes it signed are refused from now on. Audited.
    pub async fn retire(&self, id: &str, actor: &str) -> Result<(), PaymentError> {
        let mut tx = self.db.begin_write().await?;
        audit::lock_head(&self.db, &mut tx).await?;
        if !store_mpm::retire_key(&mut tx, id, now_ms()).await? {
            return Err(PaymentError::Invalid {
                code: "key_not_retirable",
                message: "only a rotated-out key can be retired (rotate the active key first)".into(),
                param: "id",
            });
        }
        audit::append(&self.db, &mut tx, &[AuditEvent::new(actor, "qr_key.retired", id)]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<QrKeyInfo>, PaymentError> {
        Ok(store_mpm::all_keys(&self.db).await?)
    }

    /// Whether `signature` over `message` is by a non-retired key of ours named `key_id`.
    pub async fn verify(&self, key_id: &str, message: &[u8], signature: &[u8; 64]) -> Result<KeyCheck, PaymentError> {
        let Some(key) = store_mpm::key_by_id(&self.db, key_id).await? else {
            return Ok(KeyCheck::UnknownKey);
        };
        if key.status == "retired" {
            return Ok(KeyCheck::Retired);
        }
        let public: [u8; 32] = hex::decode(&key.public_key).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
            PaymentError::Identity(IdentityError::Internal("a stored public key is malformed".into()))
        })?;
        let verifying = VerifyingKey::from_bytes(&public)
            .map_err(|_| PaymentError::Identity(IdentityError::Internal("a stored public key is invalid".into())))?;
        // `verify_strict` refuses the malleable and small-order forms a lenient check accepts.
        Ok(match verifying.verify_strict(message, &Signature::from_bytes(signature)) {
            Ok(()) => KeyCheck::Valid,
            Err(_) => KeyCheck::BadSignature,
        })
    }

    fn open(&self, id: &str, sealed: &str) -> Result<SigningKey, PaymentError> {
        let seed = self
            .keys
            .open_credential(sealed, id)
            .ok()
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                PaymentError::Identity(IdentityError::Internal("the QR signing key does not open".into()))
            })?;
        Ok(SigningKey::from_bytes(&seed))
    }
}

/// Signs `message` with `key` (a thin wrapper, so callers need not name the trait).
pub fn sign(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    key.sign(message).to_bytes()
}
