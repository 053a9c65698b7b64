//! Passkeys (WebAuthn, via webauthn-rs): the phishing-resistant second factor. The state between
//! a challenge and its answer is stored in the database, so any process can finish it.

use serde::Serialize;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::IdentityError;
use super::store::factors;
use crate::storage::ids::new_id;
use crate::storage::{Db, now_ms};

/// A challenge lives this long.
const STATE_TTL_SECS: i64 = 300;

/// The relying party: the site's public origin. `localhost` may use any port (development).
pub fn relying_party(public_url: &str) -> Result<Webauthn, String> {
    let origin = Url::parse(public_url).map_err(|e| format!("public URL {public_url:?}: {e}"))?;
    let host = origin.host_str().ok_or("the public URL needs a host name")?.to_owned();
    WebauthnBuilder::new(&host, &origin)
        .map_err(|e| format!("cannot use {public_url} for passkeys: {e}"))?
        .rp_name("Anshin")
        .allow_any_port(host == "localhost")
        .build()
        .map_err(|e| format!("cannot use {public_url} for passkeys: {e}"))
}

/// A stable, opaque WebAuthn user handle for an account (no personal data in it).
fn user_handle(user_id: &str) -> Uuid {
    let digest = Sha256::digest(user_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PasskeyOptions {
    pub challenge_id: String,
    /// WebAuthn options for `navigator.credentials.create()` or `.get()`.
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

fn internal(e: impl std::fmt::Display) -> IdentityError {
    IdentityError::Internal(e.to_string())
}

async fn user_passkeys(db: &Db, user_id: &str) -> Result<Vec<Passkey>, IdentityError> {
    let rows = factors::passkeys(db, user_id).await?;
    rows.iter().map(|(_, j)| serde_json::from_str(j).map_err(internal)).collect()
}

pub async fn start_registration(
    db: &Db,
    rp: &Webauthn,
    user_id: &str,
    email: &str,
) -> Result<PasskeyOptions, IdentityError> {
    let existing = user_passkeys(db, user_id).await?;
    let exclude = existing.iter().map(|p| p.cred_id().clone()).collect::<Vec<_>>();
    let (ccr, state): (CreationChallengeResponse, PasskeyRegistration) =
        rp.start_passkey_registration(user_handle(user_id), email, email, Some(exclude)).map_err(internal)?;
    let challenge_id = new_id("wan");
    let json = serde_json::to_string(&state).map_err(internal)?;
    factors::save_webauthn_state(db, &challenge_id, user_id, "register", &json, now_ms() + STATE_TTL_SECS * 1000)
        .await?;
    Ok(PasskeyOptions { challenge_id, options: serde_json::to_value(ccr).map_err(internal)? })
}

/// A verified new passkey, ready to be stored with its alert and audit record in one
/// transaction: (credential id, passkey as JSON).
pub async fn verify_registration(
    db: &Db,
    rp: &Webauthn,
    user_id: &str,
    challenge_id: &str,
    credential: &serde_json::Value,
) -> Result<(String, String), IdentityError> {
    let rejected = || IdentityError::CodeRejected { attempts_left: 0 };
    let state = factors::webauthn_state(db, challenge_id, user_id, "register", now_ms())
        .await?
        .ok_or(IdentityError::CodeDead)?;
    let state: PasskeyRegistration = serde_json::from_str(&state).map_err(internal)?;
    let credential: RegisterPublicKeyCredential = serde_json::from_value(credential.clone()).map_err(|_| rejected())?;
    let passkey = rp.finish_passkey_registration(&credential, &state).map_err(|_| rejected())?;
    Ok((hex::encode(passkey.cred_id().as_slice()), serde_json::to_string(&passkey).map_err(internal)?))
}

/// Options for answering a challenge (sign-in, lock, unlock, step-up) with a passkey. One
/// WebAuthn state per request, named after the challenge it belongs to.
pub async fn start_authentication(
    db: &Db,
    rp: &Webauthn,
    user_id: &str,
    challenge_id: &str,
) -> Result<PasskeyOptions, IdentityError> {
    let passkeys = user_passkeys(db, user_id).await?;
    if passkeys.is_empty() {
        return Err(IdentityError::Conflict("this account has no passkey"));
    }
    let (rcr, state): (RequestChallengeResponse, PasskeyAuthentication) =
        rp.start_passkey_authentication(&passkeys).map_err(internal)?;
    let state_id = format!("{challenge_id}:{}", new_id("wan"));
    let json = serde_json::to_string(&state).map_err(internal)?;
    factors::save_webauthn_state(db, &state_id, user_id, "authenticate", &json, now_ms() + STATE_TTL_SECS * 1000)
        .await?;
    Ok(PasskeyOptions { challenge_id: state_id, options: serde_json::to_value(rcr).map_err(internal)? })
}
