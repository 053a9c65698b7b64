//! Server secrets. One master key (32 random bytes) from `ANSHIN_SECRET_KEY` (hex) or, by
//! default, `secret.key` in the data directory (created once, owner-only; processes starting
//! together on an empty directory all end up with the same one). Every process that shares a
//! database must share it. Purpose keys are derived from it, so one purpose's key
//! never doubles as another's.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::Context;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Keys {
    /// Keys the hashes of one-time codes.
    pub code_hmac: [u8; 32],
    /// Encrypts TOTP secrets at rest.
    factor_encryption: [u8; 32],
    /// Encrypts outbox and dev-mailbox message bodies (they carry codes and reset keys).
    message_encryption: [u8; 32],
    /// Keys the HTTP idempotency scopes and digests, so the table names no caller or key in the clear.
    idempotency_hmac: [u8; 32],
    /// Encrypts merchants' signing secrets (POS keys, webhook endpoints): HMAC signatures need
    /// the secret itself, so these are sealed rather than hashed.
    credential_encryption: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(…)") // never print key material
    }
}

const KEY_FILE: &str = "secret.key";

impl Keys {
    pub fn from_master(master: &[u8; 32]) -> Keys {
        Keys {
            code_hmac: derive(master, "anshin/v1/code-hmac"),
            factor_encryption: derive(master, "anshin/v1/factor-encryption"),
            message_encryption: derive(master, "anshin/v1/message-encryption"),
            idempotency_hmac: derive(master, "anshin/v1/idempotency-hmac"),
            credential_encryption: derive(master, "anshin/v1/credential-encryption"),
        }
    }

    /// `ANSHIN_SECRET_KEY` if set, else the data directory's key file (created on first start).
    pub fn load(data_dir: &Path) -> anyhow::Result<Keys> {
        if let Ok(hex_key) = std::env::var("ANSHIN_SECRET_KEY") {
            let bytes = hex::decode(hex_key.trim()).context("ANSHIN_SECRET_KEY must be 64 hex digits")?;
            let master: [u8; 32] =
                bytes.try_into().map_err(|_| anyhow::anyhow!("ANSHIN_SECRET_KEY must be 64 hex digits"))?;
            return Ok(Keys::from_master(&master));
        }
        let path = data_dir.join(KEY_FILE);
        if !path.exists() {
            std::fs::create_dir_all(data_dir)?;
            let mut master = [0u8; 32];
            rand::rng().fill_bytes(&mut master);
            // Another process starting at the same moment may publish its key first; then that
            // one is the key, and this one is dropped unused.
            if crate::storage::files::publish_once(&path, hex::encode(master).as_bytes())
                .with_context(|| format!("cannot create {}", path.display()))?
            {
                tracing::info!(path = %path.display(), "generated a new server secret key");
            }
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let bytes = hex::decode(text.trim()).with_context(|| format!("{} is not hex", path.display()))?;
        let master: [u8; 32] =
            bytes.try_into().map_err(|_| anyhow::anyhow!("{} must hold 32 bytes", path.display()))?;
        Ok(Keys::from_master(&master))
    }

    /// Random keys, for tests.
    pub fn random() -> Keys {
        let mut master = [0u8; 32];
        rand::rng().fill_bytes(&mut master);
        Keys::from_master(&master)
    }

    /// AES-256-GCM with a random nonce; `context` (e.g. the user id) is bound as associated data,
    /// so a ciphertext copied to another user's row does not decrypt.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        seal_with(&self.factor_encryption, plaintext, context)
    }

    pub fn open(&self, sealed: &str, context: &str) -> anyhow::Result<Vec<u8>> {
        open_with(&self.factor_encryption, sealed, context)
    }

    /// Seal a message body under its own purpose key, bound to the message id.
    pub fn seal_message(&self, body: &str, message_id: &str) -> String {
        seal_with(&self.message_encryption, body.as_bytes(), message_id)
    }

    pub fn open_message(&self, sealed: &str, message_id: &str) -> anyhow::Result<String> {
        Ok(String::from_utf8(open_with(&self.message_encryption, sealed, message_id)?)?)
    }

    /// Seal a merchant's signing secret, bound to the credential's id.
    pub fn seal_credential(&self, secret: &str, credential_id: &str) -> String {
        seal_with(&self.credential_encryption, secret.as_bytes(), credential_id)
    }

    pub fn open_credential(&self, sealed: &str, credential_id: &str) -> anyhow::Result<String> {
        Ok(String::from_utf8(open_with(&self.credential_encryption, sealed, credential_id)?)?)
    }

    /// HMAC-SHA-256 (hex) over `parts`, each length-prefixed so that no two different lists of
    /// parts give the same input.
    pub fn idempotency_digest(&self, parts: &[&[u8]]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.idempotency_hmac).expect("any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

fn seal_with(key: &[u8; 32], plaintext: &[u8], context: &str) -> String {
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: context.as_bytes() })
        .expect("AES-GCM encryption does not fail for short inputs");
    format!("v1:{}{}", hex::encode(nonce), hex::encode(sealed))
}

fn open_with(key: &[u8; 32], sealed: &str, context: &str) -> anyhow::Result<Vec<u8>> {
    let hex_part = sealed.strip_prefix("v1:").context("unknown ciphertext version")?;
    let bytes = hex::decode(hex_part)?;
    anyhow::ensure!(bytes.len() > 12, "ciphertext too short");
    let (nonce, ct) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().expect("split at 12");
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad: context.as_bytes() })
        .map_err(|_| anyhow::anyhow!("ciphertext does not decrypt (wrong key or context)"))
}

fn derive(master: &[u8; 32], purpose: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC accepts any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

/// SHA-256 of a high-entropy token (session, device, recovery code): enough to make a stolen
/// table useless, and fast enough to look up on every request.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_context() {
        let keys = Keys::random();
        let sealed = keys.seal(b"totp secret", "usr_1");
        assert!(!sealed.contains(&hex::encode(b"totp secret")));
        assert_eq!(keys.open(&sealed, "usr_1").unwrap(), b"totp secret");
        assert!(keys.open(&sealed, "usr_2").is_err(), "bound to its user");
        assert!(Keys::random().open(&sealed, "usr_1").is_err(), "bound to its key");
        assert_eq!(format!("{keys:?}"), "Keys(…)");
        let message = keys.seal_message("your code is 123456", "msg_1");
        assert_eq!(keys.open_message(&message, "msg_1").unwrap(), "your code is 123456");
        assert!(keys.open_message(&message, "msg_2").is_err(), "bound to its message");
        assert!(keys.open(&message, "msg_1").is_err(), "one purpose's key does not open another's");
    }

    #[test]
    fn the_key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = Keys::load(dir.path()).unwrap();
        let b = Keys::load(dir.path()).unwrap();
        assert_eq!(a.code_hmac, b.code_hmac);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn loaders_racing_on_an_empty_directory_all_get_the_same_key() {
        const LOADERS: usize = 12;
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let start = std::sync::Arc::new(std::sync::Barrier::new(LOADERS));
            let loaders: Vec<_> = (0..LOADERS)
                .map(|_| {
                    let (path, start) = (dir.path().join("data"), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        Keys::load(&path).map(|k| k.code_hmac).map_err(|e| e.to_string())
                    })
                })
                .collect();
            let keys: Vec<_> = loaders.into_iter().map(|l| l.join().unwrap()).collect();
            let first = keys[0].clone().unwrap_or_else(|e| panic!("a loader failed: {e}"));
            for k in &keys {
                assert_eq!(k.as_ref().map_err(String::as_str), Ok(&first), "every loader must read the one key");
            }
            let on_disk =
                hex::decode(std::fs::read_to_string(dir.path().join("data").join(KEY_FILE)).unwrap()).unwrap();
            let on_disk: [u8; 32] = on_disk.try_into().unwrap();
            assert_eq!(Keys::from_master(&on_disk).code_hmac, first);
            assert_eq!(std::fs::read_dir(dir.path().join("data")).unwrap().count(), 1, "no temporary file is left");
        }
    }
}
