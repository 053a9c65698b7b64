//! Credentials: POS keys (one store each, for signed POS requests) and webhook endpoints (each
//! with its own signing secret, rotated with an overlap). Both are shown once, need a fresh
//! second factor to create, and are stored only sealed under the server key.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::model::{MerchantError, Permission, display_text};
use super::store;
use super::store_credentials::{self as creds, NewPosKey, PosKey, WebhookEndpoint};
use super::{MAX_POS_KEYS_PER_MERCHANT, MAX_WEBHOOK_ENDPOINTS, Merchants, require_usable};
use crate::identity::{Client, Principal, StepUpAction};
use crate::keys::token_hash;
use crate::storage::ids::{new_id, random_hex_128};
use crate::storage::now_ms;

/// Longest webhook URL accepted.
const MAX_URL_CHARS: usize = 2_048;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPosKeyRequest {
    /// The store whose tills use this key.
    pub store_id: String,
    /// A name for people, e.g. `till 2`.
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
}

/// A new POS key: `secret` is shown this once and never again.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewPosKeyCreated {
    pub key: PosKey,
    /// `ansk_…`: signs the POS's requests (see docs/POS-API.md). Keep it in the till only.
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookRequest {
    /// `https://` on a public host name.
    #[schema(max_length = 2048)]
    pub url: String,
}

/// A new webhook endpoint or secret: `secret` is shown this once and never again.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewWebhookCreated {
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: verifies `Anshin-Signature` on deliveries.
    pub secret: String,
}

impl Merchants {
    pub async fn create_pos_key(
        &self,
        who: &Principal,
        merchant_id: &str,
        req: &NewPosKeyRequest,
        client: &Client,
    ) -> Result<NewPosKeyCreated, MerchantError> {
        let (m, _) = self.authorize(who, merchant_id, Permission::ManageKeys, false, client).await?;
        require_usable(&m)?;
        let label =
            display_text(&req.label, 100, "the label").map_err(MerchantError::invalid("label_invalid", "label"))?;
        let s = store::store_by_id(&self.db, &req.store_id).await?;
        if s.as_ref().is_none_or(|s| s.merchant_id != merchant_id) {
            return Err(MerchantError::Invalid {
                code: "store_invalid",
                message: "no such store at this merchant".into(),
                param: "store_id",
            });
        }
        self.identity.require_grant(who, StepUpAction::CreatePosKey).await?;
        let id = new_id("pk");
        let secret = format!("ansk_{}{}", random_hex_128(), random_hex_128());
        let (digest, sealed) = (token_hash(&secret), self.keys.seal_credential(&secret, &id));
        let row = NewPosKey {
            id: &id,
            merchant_id,
            store_id: &req.store_id,
            label: &label,
            digest: &digest,
            sealed_secret: &sealed,
            created_by: &who.user_id,
        };
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if !creds::insert_pos_key(&mut tx, &row, MAX_POS_KEYS_PER_MERCHANT, now).await? {
            return Err(MerchantError::Conflict("this merchant has as many live POS keys as it may have"));
        }
        self.identity.consume_grant(&mut tx, who, StepUpAction::CreatePosKey, now).await?;
        let details = json!({ "merchant": merchant_id, "store": req.store_id, "label": label });
        self.commit_with_audit(tx, &who.user_id, "merchants.pos_key.created", &id, client, details).await?;
        let key = PosKey {
            id,
            merchant_id: merchant_id.to_owned(),
            store_id: req.store_id.clone(),
            label,
            created_by: who.user_id.clone(),
            created_at_ms: now,
            revoked_at_ms: 0,
        };
        Ok(NewPosKeyCreated { key, secret })
    }

    pub async fn pos_keys(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<Vec<PosKey>, MerchantError> {
        self.authorize(who, merchant_id, Permission::ManageKeys, true, client).await?;
        Ok(creds::pos_keys_of(&self.db, merchant_id).await?)
    }

    /// Revoking needs no step-up: taking a credential away is always safe, and urgent when it leaked.
    pub async fn revoke_pos_key(
        &self,
        who: &Principal,
        merchant_id: &str,
        key_id: &str,
        client: &Client,
    ) -> Result<(), MerchantError> {
        self.authorize(who, merchant_id, Permission::ManageKeys, true, client).await?;
        let mut tx = self.db.begin_write().await?;
        if !creds::revoke_pos_key(&mut tx, key_id, merchant_id, now_ms()).await? {
            return Err(MerchantError::NotFound);
        }
        let details = json!({ "merchant": merchant_id });
        self.commit_with_audit(tx, &who.user_id, "merchants.pos_key.revoked", key_id, client, details).await
    }

    /// The live key `key_id` with its signing secret, merchant and store, for a POS request.
    /// `recent_ok`: one read in the last moments will do (the payment path, which checks again
    /// in its transaction; see `pos_cache`).
    pub async fn pos_context(&self, key_id: &str, recent_ok: bool) -> Result<Option<Arc<PosContext>>, MerchantError> {
        if recent_ok && let Some(context) = self.pos_cache.get(key_id) {
            return Ok(Some(context));
        }
        let read_at_ms = now_ms();
        let Some(live) = creds::live_pos_key_with_merchant(&self.db, key_id).await? else {
            self.pos_cache.forget(key_id);
            return Ok(None);
        };
        let creds::LivePosKey { key, sealed_secret, merchant, store, webhook_endpoint_ids } = live;
        let secret = self.keys.open_credential(&sealed_secret, &key.id).map_err(|e| {
            MerchantError::Identity(crate::identity::IdentityError::Internal(format!("POS key {}: {e}", key.id)))
        })?;
        let context = Arc::new(PosContext { key, secret, merchant, store, webhook_endpoint_ids });
        // Only a context that takes payments is reused: a refusal is always read afresh, so a
        // merchant reactivated elsewhere is not refused from memory.
        if context.merchant.status == super::MerchantStatus::Active && context.store.status == "open" {
            self.pos_cache.remember(context.clone(), read_at_ms);
        } else {
            self.pos_cache.forget(key_id);
        }
        Ok(Some(context))
    }

    pub async fn add_webhook(
        &self,
        who: &Principal,
        merchant_id: &str,
        req: &NewWebhookRequest,
        client: &Client,
    ) -> Result<NewWebhookCreated, MerchantError> {
        let (m, _) = self.authorize(who, merchant_id, Permission::ManageWebhooks, false, client).await?;
        require_usable(&m)?;
        let url = self.webhook_url(&req.url)?;
        self.identity.require_grant(who, StepUpAction::ManageWebhooks).await?;
        let id = new_id("we");
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if !creds::insert_endpoint(&mut tx, &id, merchant_id, &url, &who.user_id, MAX_WEBHOOK_ENDPOINTS, now).await? {
            return Err(MerchantError::Conflict("this merchant has as many webhook endpoints as it may have"));
        }
        let secret = new_webhook_secret();
        creds::add_secret(&mut tx, &id, 1, &self.keys.seal_credential(&secret, &format!("{id}/1")), now, now).await?;
        self.identity.consume_grant(&mut tx, who, StepUpAction::ManageWebhooks, now).await?;
        let details = json!({ "merchant": merchant_id, "url": url });
        self.commit_with_audit(tx, &who.user_id, "merchants.webhook.added", &id, client, details).await?;
        let endpoint = WebhookEndpoint {
            id,
            merchant_id: merchant_id.to_owned(),
            url,
            status: "enabled".into(),
            created_at_ms: now,
            secret_version: 1,
        };
        Ok(NewWebhookCreated { endpoint, secret })
    }

    /// A new secret for an endpoint; the old one keeps signing beside it for the overlap period.
    pub async fn rotate_webhook_secret(
        &self,
        who: &Principal,
        merchant_id: &str,
        endpoint_id: &str,
        client: &Client,
    ) -> Result<NewWebhookCreated, MerchantError> {
        self.authorize(who, merchant_id, Permission::ManageWebhooks, false, client).await?;
        self.identity.require_grant(who, StepUpAction::ManageWebhooks).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let mut endpoint =
            creds::endpoint_in(&mut tx, endpoint_id, merchant_id).await?.ok_or(MerchantError::NotFound)?;
        let version = endpoint.secret_version + 1;
        let secret = new_webhook_secret();
        let sealed = self.keys.seal_credential(&secret, &format!("{endpoint_id}/{version}"));
        let retires_at_ms = now + self.config.webhook_secret_overlap_secs * 1000;
        creds::add_secret(&mut tx, endpoint_id, version, &sealed, retires_at_ms, now).await?;
        self.identity.consume_grant(&mut tx, who, StepUpAction::ManageWebhooks, now).await?;
        let details = json!({ "merchant": merchant_id, "version": version, "old_retire_at_ms": retires_at_ms });
        self.commit_with_audit(tx, &who.user_id, "merchants.webhook.rotated", endpoint_id, client, details).await?;
        endpoint.secret_version = version;
        Ok(NewWebhookCreated { endpoint, secret })
    }

    pub async fn webhooks(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<Vec<WebhookEndpoint>, MerchantError> {
        self.authorize(who, merchant_id, Permission::ManageWebhooks, true, client).await?;
        Ok(creds::endpoints_of(&self.db, merchant_id).await?)
    }

    pub async fn disable_webhook(
        &self,
        who: &Principal,
        merchant_id: &str,
        endpoint_id: &str,
        client: &Client,
    ) -> Result<(), MerchantError> {
        self.authorize(who, merchant_id, Permission::ManageWebhooks, true, client).await?;
        let mut tx = self.db.begin_write().await?;
        if !creds::disable_endpoint(&mut tx, endpoint_id, merchant_id).await? {
            return Err(MerchantError::NotFound);
        }
        let details = json!({ "merchant": merchant_id });
        self.commit_with_audit(tx, &who.user_id, "merchants.webhook.disabled", endpoint_id, client, details).await
    }

    /// The secrets that sign deliveries to `endpoint_id` now, newest first.
    pub async fn webhook_signing_secrets(&self, endpoint_id: &str) -> Result<Vec<String>, MerchantError> {
        webhook_signing_secrets(&self.db, &self.keys, endpoint_id).await
    }

    /// `https://` on a host name (never an address literal, user info or an odd port scheme), so
    /// deliveries cannot be pointed at the platform's own network; loopback `http://` only when
    /// configured for tests.
    fn webhook_url(&self, raw: &str) -> Result<String, MerchantError> {
        let bad = |why: &str| MerchantError::Invalid {
            code: "url_invalid",
            message: format!("the webhook URL {why}"),
            param: "url",
        };
        if raw.chars().count() > MAX_URL_CHARS {
            return Err(bad("is too long (2,048 characters at most)"));
        }
        let url = reqwest::Url::parse(raw.trim()).map_err(|_| bad("is not a URL"))?;
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(bad("may not carry a user name, password or fragment"));
        }
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if loopback && self.config.allow_loopback_webhooks && matches!(url.scheme(), "http" | "https") {
            return Ok(url.to_string());
        }
        match url.host() {
            Some(url::Host::Domain(d)) if url.scheme() == "https" && d.contains('.') && d != "localhost" => {
                Ok(url.to_string())
            }
            Some(url::Host::Domain(_)) if url.scheme() == "https" => Err(bad("needs a public host name")),
            Some(_) => Err(bad("needs a host name, not an address")),
            None => Err(bad("needs a host")),
        }
    }
}

/// The secrets that sign deliveries to `endpoint_id` now, newest first (two during a rotation's
/// overlap). For the webhook transport, which runs without the rest of the context.
pub async fn webhook_signing_secrets(
    db: &crate::storage::Db,
    keys: &crate::keys::Keys,
    endpoint_id: &str,
) -> Result<Vec<String>, MerchantError> {
    let sealed = creds::signing_secrets(db, endpoint_id, now_ms()).await?;
    sealed
        .iter()
        .map(|(version, s)| {
            keys.open_credential(s, &format!("{endpoint_id}/{version}")).map_err(|e| {
                MerchantError::Identity(crate::identity::IdentityError::Internal(format!("webhook secret: {e}")))
            })
        })
        .collect()
}

/// What a POS request is checked against and acts for.
#[derive(Debug, Clone)]
pub struct PosContext {
    pub key: PosKey,
    pub secret: String,
    pub merchant: super::store::Merchant,
    pub store: super::store::Store,
    /// The merchant's enabled webhook endpoints, read with the key.
    pub webhook_endpoint_ids: Vec<String>,
}

fn new_webhook_secret() -> String {
    format!("whsec_{}{}", random_hex_128(), random_hex_128())
}

/// The signature a POS puts on a request: HMAC-SHA-256 with its key's secret over
/// `METHOD\nPATH\nTIMESTAMP\nNONCE\nhex(SHA-256(body))`, in lowercase hex. docs/POS-API.md
/// describes it for integrators; this is the one definition the server checks against.
pub fn pos_signature(secret: &str, method: &str, path: &str, timestamp: &str, nonce: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    let canonical = format!("{method}\n{path}\n{timestamp}\n{nonce}\n{}", hex::encode(Sha256::digest(body)));
    mac.update(canonical.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time check of a POS request's signature.
pub fn verify_pos_signature(
    secret: &str,
    method: &str,
    path: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
    signature_hex: &str,
) -> bool {
    use subtle::ConstantTimeEq;
    let expected = pos_signature(secret, method, path, timestamp, nonce, body);
    expected.len() == signature_hex.len() && bool::from(expected.as_bytes().ct_eq(signature_hex.as_bytes()))
}
