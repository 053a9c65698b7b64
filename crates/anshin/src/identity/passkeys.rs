//! Passkeys (WebAuthn, via webauthn-rs): the phishing-resistant second factor. The state between
//! a challenge and its answer is stored in the database, so any process can finish it.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::IdentityError;
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

pub async fn user_passkeys(db: &Db, user_id: &str) -> Result<Vec<Passkey>, IdentityError> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT passkey_json FROM passkeys WHERE user_id = $1 ORDER BY created_at_ms LIMIT 20")
            .bind(user_id)
            .fetch_all(db.read_pool())
            .await?;
    rows.iter().map(|j| serde_json::from_str(j).map_err(internal)).collect()
}

async fn save_state(
    db: &Db,
    id: &str,
    user_id: &str,
    purpose: &str,
    state: &impl Serialize,
) -> Result<(), IdentityError> {
    sqlx::query(
        "INSERT INTO webauthn_states (id, user_id, purpose, state_json, expires_at_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(user_id)
    .bind(purpose)
    .bind(serde_json::to_string(state).map_err(internal)?)
    .bind(now_ms() + STATE_TTL_SECS * 1000)
    .execute(db.write_pool())
    .await?;
    Ok(())
}

/// Take a state once: used, expired or someone else's is refused.
async fn take_state<T: serde::de::DeserializeOwned>(
    db: &Db,
    id: &str,
    user_id: &str,
    purpose: &str,
) -> Result<T, IdentityError> {
    let now = now_ms();
    let json: String = sqlx::query_scalar(
        "UPDATE webauthn_states SET used_at_ms = $1
         WHERE id = $2 AND user_id = $3 AND purpose = $4 AND used_at_ms IS NULL AND expires_at_ms > $1 RETURNING state_json",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .bind(purpose)
    .fetch_optional(db.write_pool())
    .await?
    .ok_or(IdentityError::CodeDead)?;
    serde_json::from_str(&json).map_err(internal)
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
    save_state(db, &challenge_id, user_id, "register", &state).await?;
    Ok(PasskeyOptions { challenge_id, options: serde_json::to_value(ccr).map_err(internal)? })
}

/// Verify the authenticator's answer and store the new passkey (inside the caller's transaction
/// is not needed: a stored but unused passkey is harmless, and the alert follows it).
pub async fn finish_registration(
    db: &Db,
    rp: &Webauthn,
    user_id: &str,
    challenge_id: &str,
    credential: &serde_json::Value,
) -> Result<String, IdentityError> {
    let state: PasskeyRegistration = take_state(db, challenge_id, user_id, "register").await?;
    let credential: RegisterPublicKeyCredential =
        serde_json::from_value(credential.clone()).map_err(|_| IdentityError::CodeRejected { attempts_left: 0 })?;
    let passkey = rp
        .finish_passkey_registration(&credential, &state)
        .map_err(|_| IdentityError::CodeRejected { attempts_left: 0 })?;
    let credential_id = hex::encode(passkey.cred_id().as_slice());
    sqlx::query("INSERT INTO passkeys (credential_id, user_id, passkey_json, created_at_ms) VALUES ($1, $2, $3, $4)")
        .bind(&credential_id)
        .bind(user_id)
        .bind(serde_json::to_string(&passkey).map_err(internal)?)
        .bind(now_ms())
        .execute(db.write_pool())
        .await?;
    Ok(credential_id)
}

/// Options for signing in with a passkey, bound to a sign-in (or lock, unlock, step-up) challenge.
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
    // One WebAuthn state per challenge: asking again replaces nothing, it adds a fresh one.
    let state_id = format!("{challenge_id}:{}", new_id("wan"));
    save_state(db, &state_id, user_id, "authenticate", &state).await?;
    Ok(PasskeyOptions { challenge_id: state_id, options: serde_json::to_value(rcr).map_err(internal)? })
}

/// Check a passkey assertion for `challenge_id`. Returns whether it proved the user.
pub async fn verify(
    db: &Db,
    rp: &Webauthn,
    user_id: &str,
    challenge_id: &str,
    answer: &str,
) -> Result<bool, IdentityError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        state_id: String,
        credential: serde_json::Value,
    }
    let Ok(answer) = serde_json::from_str::<Answer>(answer) else {
        return Ok(false);
    };
    if !answer.state_id.starts_with(&format!("{challenge_id}:")) {
        return Ok(false); // an assertion made for another challenge
    }
    let Ok(state) = take_state::<PasskeyAuthentication>(db, &answer.state_id, user_id, "authenticate").await else {
        return Ok(false);
    };
    let Ok(credential) = serde_json::from_value::<PublicKeyCredential>(answer.credential) else {
        return Ok(false);
    };
    let Ok(result) = rp.finish_passkey_authentication(&credential, &state) else {
        return Ok(false);
    };
    // Keep the signature counter current, so a cloned authenticator shows up.
    let rows = sqlx::query("SELECT credential_id, passkey_json FROM passkeys WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(db.read_pool())
        .await?;
    for row in rows {
        let mut passkey: Passkey =
            serde_json::from_str(&row.try_get::<String, _>("passkey_json")?).map_err(internal)?;
        if passkey.update_credential(&result).is_some() {
            sqlx::query("UPDATE passkeys SET passkey_json = $1, last_used_at_ms = $2 WHERE credential_id = $3")
                .bind(serde_json::to_string(&passkey).map_err(internal)?)
                .bind(now_ms())
                .bind(row.try_get::<String, _>("credential_id")?)
                .execute(db.write_pool())
                .await?;
        }
    }
    Ok(true)
}
