//! Envelope encryption: each card gets its own random data key (DEK); the number is encrypted
//! under the DEK and the DEK is wrapped under the active key-encryption key (KEK), both with
//! AES-256-GCM. Rotating a KEK therefore re-wraps 48 bytes per card and never touches the
//! number's ciphertext.
//!
//! The associated data binds the wrapped DEK to its token and key id, and the number to its
//! token, kind and expiry: a ciphertext copied into another row, or a customer's card relabelled
//! as a virtual one to get it revealed, does not open.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::card::{Brand, CardNumber, Expiry};
use crate::keys::{KeyRing, random_key};
use crate::{TOKEN_RANDOM_CHARS, VaultError};

/// What the service stores for a card: ciphertext and the parts it may show, never the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedCard {
    /// `card_` and 26 random base32 characters; not derived from the number.
    pub token: String,
    /// The KEK that wraps `wrapped_key` (`k1`, `k2`, …).
    pub key_id: String,
    /// The card's DEK under the KEK: `v1:` and hex of nonce and ciphertext.
    pub wrapped_key: String,
    /// The digits under the DEK: `v1:` and hex of nonce and ciphertext.
    pub ciphertext: String,
    /// Hex HMAC-SHA-256 of the digits under the fingerprint key: the same card always gives the
    /// same fingerprint, for duplicate detection and issuer-side lookups.
    pub fingerprint: String,
    pub brand: Brand,
    pub bin6: String,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub kind: CardKind,
}

/// Where a number came from. A customer's card is never shown again; a virtual card Anshin issued
/// may be revealed to its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    Customer,
    Virtual,
}

impl CardKind {
    fn as_str(self) -> &'static str {
        match self {
            CardKind::Customer => "customer",
            CardKind::Virtual => "virtual",
        }
    }
}

/// Everything about a card that the rest of the service may show or log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardView {
    pub token: String,
    pub brand: Brand,
    pub bin6: String,
    pub last4: String,
    pub expiry: Expiry,
}

impl SealedCard {
    pub fn view(&self) -> CardView {
        CardView {
            token: self.token.clone(),
            brand: self.brand,
            bin6: self.bin6.clone(),
            last4: self.last4.clone(),
            expiry: self.expiry(),
        }
    }

    /// The stored month and year as they are; a tampered pair fails to open (it is bound into the
    /// number's ciphertext), so it is shown but never used.
    pub fn expiry(&self) -> Expiry {
        Expiry::from_record(self.exp_month, self.exp_year)
    }
}

pub struct Vault {
    keys: RwLock<Arc<KeyRing>>,
    /// Set by `open_dir`: where to re-read the keys when a record names a newer one.
    dir: Option<PathBuf>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("keys", &*self.ring()).field("dir", &self.dir).finish()
    }
}

impl Vault {
    pub fn new(keys: KeyRing) -> Vault {
        Vault { keys: RwLock::new(Arc::new(keys)), dir: None }
    }

    /// The keys from `KeyRing::load(dir)`; a record sealed under a key this vault has not seen
    /// makes it re-read them once (another process may have rotated).
    pub fn open_dir(dir: &Path) -> Result<Vault, VaultError> {
        Ok(Vault { keys: RwLock::new(Arc::new(KeyRing::load(dir)?)), dir: Some(dir.to_owned()) })
    }

    /// Re-read the keys (after `anshin admin rotate-keys`, so that new cards are sealed under the
    /// new key at once). A vault built with `new` has nothing to re-read.
    pub fn reload_keys(&self) -> Result<(), VaultError> {
        if let Some(dir) = &self.dir {
            let fresh = Arc::new(KeyRing::load(dir)?);
            *self.keys.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
        }
        Ok(())
    }

    pub fn active_key_id(&self) -> String {
        self.ring().active_id()
    }

    /// Seal a card the customer typed. The number is consumed: after this call the only copies
    /// of the digits are the ciphertext and whatever the network client opens from it.
    pub fn seal(&self, number: CardNumber, expiry: Expiry) -> SealedCard {
        self.seal_as(&number, expiry, CardKind::Customer)
    }

    /// The fingerprint `seal` would give this number: to find a card already stored.
    pub fn fingerprint(&self, number: &CardNumber) -> String {
        hex::encode(self.fingerprint_bytes(&self.ring(), number))
    }

    /// Open a record and check it against its fingerprint, BIN and last four, without handing
    /// out the digits: proof that the record and the keys are sound (after a rotation, say).
    pub fn check(&self, card: &SealedCard) -> Result<(), VaultError> {
        self.open(card).map(drop)
    }

    /// The same card with its DEK wrapped under the active KEK, or `None` when it already is. The
    /// number's ciphertext is not touched. A record under a key newer than this vault's active
    /// one is left where it is (after re-reading the keys): a vault that missed a rotation must
    /// not move records back to an old key.
    pub fn rewrap(&self, card: &SealedCard) -> Result<Option<SealedCard>, VaultError> {
        check_record_ids(card)?;
        let mut ring = self.ring();
        if KeyRing::is_newer(&card.key_id, &ring.active_id()) {
            self.reload_keys()?;
            ring = self.ring();
        }
        let active = ring.active_id();
        if card.key_id == active || KeyRing::is_newer(&card.key_id, &active) {
            return Ok(None);
        }
        let dek = self.unwrap_key(card)?;
        decrypt(&dek, &card.ciphertext, &number_aad(card))?; // re-wrap only what opens
        let (key_id, kek) = ring.active_kek();
        let wrapped_key = encrypt(kek, &*dek, &wrap_aad(&card.token, &key_id));
        Ok(Some(SealedCard { key_id, wrapped_key, ..card.clone() }))
    }

    pub(crate) fn seal_as(&self, number: &CardNumber, expiry: Expiry, kind: CardKind) -> SealedCard {
        let ring = self.ring();
        let (key_id, kek) = ring.active_kek();
        let mut card = SealedCard {
            token: new_token(),
            key_id,
            wrapped_key: String::new(),
            ciphertext: String::new(),
            fingerprint: hex::encode(self.fingerprint_bytes(&ring, number)),
            brand: number.brand(),
            bin6: number.bin6().to_owned(),
            last4: number.last4().to_owned(),
            exp_month: expiry.month(),
            exp_year: expiry.year(),
            kind,
        };
        let dek = random_key();
        card.ciphertext = encrypt(&dek, number.digits().as_bytes(), &number_aad(&card));
        card.wrapped_key = encrypt(kek, &*dek, &wrap_aad(&card.token, &card.key_id));
        card
    }

    /// The number of a record, for the network client and the issuer side only.
    pub(crate) fn open(&self, card: &SealedCard) -> Result<CardNumber, VaultError> {
        check_record_ids(card)?;
        let dek = self.unwrap_key(card)?;
        let plain = decrypt(&dek, &card.ciphertext, &number_aad(card))?;
        let digits = Zeroizing::new(String::from_utf8(plain.to_vec()).map_err(|_| VaultError::Corrupt("not digits"))?);
        let number = CardNumber::from_digits(digits).map_err(|_| VaultError::Corrupt("not a card number"))?;
        let stored = hex::decode(&card.fingerprint).map_err(|_| VaultError::Corrupt("fingerprint is not hex"))?;
        let matches = self.fingerprint_bytes(&self.ring(), &number).ct_eq(stored.as_slice())
            & number.bin6().as_bytes().ct_eq(card.bin6.as_bytes())
            & number.last4().as_bytes().ct_eq(card.last4.as_bytes());
        if !bool::from(matches) || number.brand() != card.brand {
            return Err(VaultError::Corrupt("the shown parts do not match the number"));
        }
        Ok(number)
    }

    fn unwrap_key(&self, card: &SealedCard) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        let ring = self.ring_holding(&card.key_id)?;
        let kek = ring.kek(&card.key_id).expect("ring_holding returns a ring with the key");
        let plain = decrypt(kek, &card.wrapped_key, &wrap_aad(&card.token, &card.key_id))?;
        let mut dek = Zeroizing::new([0u8; 32]);
        if plain.len() != dek.len() {
            return Err(VaultError::Corrupt("the data key has the wrong length"));
        }
        dek.copy_from_slice(&plain);
        Ok(dek)
    }

    /// The ring, re-read once when `key_id` could be a key added since it was loaded.
    fn ring_holding(&self, key_id: &str) -> Result<Arc<KeyRing>, VaultError> {
        let ring = self.ring();
        if ring.kek(key_id).is_some() {
            return Ok(ring);
        }
        if self.dir.is_some() && ring.may_be_newer(key_id) {
            self.reload_keys()?;
            let ring = self.ring();
            if ring.kek(key_id).is_some() {
                return Ok(ring);
            }
        }
        Err(VaultError::UnknownKey { key_id: key_id.to_owned() })
    }

    fn ring(&self) -> Arc<KeyRing> {
        self.keys.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn fingerprint_bytes(&self, ring: &KeyRing, number: &CardNumber) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(ring.fingerprint_key()).expect("any key length");
        mac.update(number.digits().as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// Token and key id go into the associated data, so they must have one spelling and no
/// separator in them.
fn check_record_ids(card: &SealedCard) -> Result<(), VaultError> {
    let random = card.token.strip_prefix("card_").unwrap_or_default();
    if random.len() != TOKEN_RANDOM_CHARS || !random.bytes().all(|b| TOKEN_ALPHABET.contains(&b)) {
        return Err(VaultError::Corrupt("the token is malformed"));
    }
    let key_number = card.key_id.strip_prefix('k').unwrap_or_default();
    let digits = !key_number.is_empty() && key_number.len() <= 10 && key_number.bytes().all(|b| b.is_ascii_digit());
    if !digits || key_number.starts_with('0') {
        return Err(VaultError::Corrupt("the key id is malformed"));
    }
    Ok(())
}

/// Crockford's base32 in lower case: no `i`, `l`, `o` or `u` to misread.
const TOKEN_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

fn new_token() -> String {
    let mut rng = rand::rng();
    let random: String = (0..TOKEN_RANDOM_CHARS).map(|_| TOKEN_ALPHABET[rng.random_range(0..32)] as char).collect();
    format!("card_{random}")
}

fn wrap_aad(token: &str, key_id: &str) -> String {
    format!("anshin-vault/v1/dek\0{token}\0{key_id}")
}

fn number_aad(card: &SealedCard) -> String {
    let kind = card.kind.as_str();
    format!("anshin-vault/v1/number\0{}\0{kind}\0{:04}{:02}", card.token, card.exp_year, card.exp_month)
}

/// AES-256-GCM with a random 96-bit nonce: `v1:` and hex of nonce and ciphertext with its tag.
/// Random nonces are safe here: each DEK encrypts one message, and a KEK wraps far fewer than
/// the 2^32 messages after which a collision becomes a concern.
fn encrypt(key: &[u8; 32], plaintext: &[u8], aad: &str) -> String {
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(&nonce.into(), Payload { msg: plaintext, aad: aad.as_bytes() })
        .expect("AES-GCM encryption does not fail for short inputs");
    format!("v1:{}{}", hex::encode(nonce), hex::encode(sealed))
}

fn decrypt(key: &[u8; 32], sealed: &str, aad: &str) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let hex_part = sealed.strip_prefix("v1:").ok_or(VaultError::Corrupt("unknown ciphertext version"))?;
    let bytes = hex::decode(hex_part).map_err(|_| VaultError::Corrupt("ciphertext is not hex"))?;
    if bytes.len() < 12 + 16 {
        return Err(VaultError::Corrupt("ciphertext too short"));
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().expect("split at 12");
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    cipher
        .decrypt(&nonce.into(), Payload { msg: ciphertext, aad: aad.as_bytes() })
        .map(Zeroizing::new)
        .map_err(|_| VaultError::Corrupt("ciphertext does not authenticate (wrong key, row or field)"))
}

/// Seals and opens per second over `n` cards each, single-threaded, with fresh in-memory keys:
/// the figure `anshin bench` reports for the vault.
pub fn bench_seal_open(n: usize) -> (f64, f64) {
    let vault = Vault::new(KeyRing::generate());
    let expiry = Expiry::from_record(12, 2030);
    let number = || CardNumber::from_digits(Zeroizing::new("4111111111111111".to_owned())).expect("a valid number");
    let started = Instant::now();
    let sealed: Vec<SealedCard> = (0..n).map(|_| vault.seal(number(), expiry)).collect();
    let seal_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for card in &sealed {
        vault.open(card).expect("a card sealed here opens");
    }
    let open_secs = started.elapsed().as_secs_f64();
    (n as f64 / seal_secs.max(f64::MIN_POSITIVE), n as f64 / open_secs.max(f64::MIN_POSITIVE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(typed: &str) -> CardNumber {
        CardNumber::parse(typed).unwrap()
    }

    #[test]
    fn a_sealed_card_opens_to_its_number_and_shows_only_its_parts() {
        let vault = Vault::new(KeyRing::generate());
        let sealed = vault.seal(card("4111 1111 1111 1111"), Expiry::from_record(3, 2031));
        assert_eq!(vault.open(&sealed).unwrap().digits(), "4111111111111111");
        assert!(sealed.token.starts_with("card_") && sealed.token.len() == 31, "{}", sealed.token);
        assert_eq!((sealed.key_id.as_str(), sealed.bin6.as_str(), sealed.last4.as_str()), ("k1", "411111", "1111"));
        let view = sealed.view();
        assert_eq!((view.brand, view.expiry.yymm()), (Brand::Visa, "3103".to_owned()));
        assert_eq!(sealed.fingerprint, vault.fingerprint(&card("4111111111111111")));
        let again = vault.seal(card("4111111111111111"), Expiry::from_record(3, 2031));
        assert_ne!(
            (again.token.as_str(), again.ciphertext.as_str()),
            (sealed.token.as_str(), sealed.ciphertext.as_str())
        );
        assert_eq!(again.fingerprint, sealed.fingerprint, "the same number is found again");
    }

    #[test]
    fn a_record_altered_or_copied_into_another_row_does_not_open() {
        let vault = Vault::new(KeyRing::generate());
        let a = vault.seal(card("5555555555554444"), Expiry::from_record(1, 2030));
        let b = vault.seal(card("4111111111111111"), Expiry::from_record(1, 2030));
        let swapped = [
            SealedCard { ciphertext: b.ciphertext.clone(), ..a.clone() },
            SealedCard { wrapped_key: b.wrapped_key.clone(), ..a.clone() },
            SealedCard { token: b.token.clone(), ..a.clone() },
            SealedCard { exp_year: 2031, ..a.clone() },
            SealedCard { kind: CardKind::Virtual, ..a.clone() },
            SealedCard { last4: "4445".into(), ..a.clone() },
            SealedCard { fingerprint: b.fingerprint.clone(), ..a.clone() },
            SealedCard { key_id: "k01".into(), ..a.clone() },
            SealedCard { token: "card_../../etc".into(), ..a.clone() },
        ];
        for bad in swapped {
            assert!(matches!(vault.check(&bad), Err(VaultError::Corrupt(_))), "{bad:?}");
        }
        assert!(matches!(Vault::new(KeyRing::generate()).check(&a), Err(VaultError::Corrupt(_))));
        let unknown = SealedCard { key_id: "k9".into(), ..a };
        assert!(matches!(vault.check(&unknown), Err(VaultError::UnknownKey { .. })));
    }

    #[test]
    fn the_benchmark_reports_positive_rates() {
        let (seals, opens) = bench_seal_open(50);
        assert!(seals > 0.0 && opens > 0.0);
    }
}
