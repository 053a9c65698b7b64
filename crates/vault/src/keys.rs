//! The key hierarchy: key-encryption keys (KEKs) that wrap each card's own data key, and one
//! fingerprint key.
//!
//! KEKs are numbered `k1`, `k2`, …; the highest is normally the active one, which wraps every new
//! data key. Rotating adds a KEK and makes it active; old KEKs stay so that old records open until
//! `Vault::rewrap` has moved them, after which an operator may retire them.
//!
//! The fingerprint key is never rotated. It keys an HMAC of the digits, the only way to find a
//! card by its number (a customer adding the same card twice, the issuer side looking up the
//! virtual card an authorisation names). Rotating it would mean decrypting every record to
//! compute new fingerprints while lookups by the old ones fail. It is therefore as secret as a
//! KEK: with it and a row's BIN and last four, the few middle digits of a number could be found
//! by trying them all, which is why the fingerprint is keyed and never a plain hash.
//!
//! The keys come from `ANSHIN_VAULT_KEYS` (JSON) or else `vault-keys.json` in the data directory,
//! created on first use, owner-only, and published so that processes starting together on an
//! empty directory all end up with the one file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::{MAX_KEKS, VaultError};

pub const KEYS_ENV: &str = "ANSHIN_VAULT_KEYS";
pub const KEY_FILE: &str = "vault-keys.json";
/// Held (advisory lock) while a rotation reads, extends and replaces the key file, so that two
/// rotations at once cannot both add "the next" key and lose one of them.
const LOCK_FILE: &str = "vault-keys.lock";

pub(crate) type Key = Zeroizing<[u8; 32]>;

pub struct KeyRing {
    active: u32,
    keks: BTreeMap<u32, Key>,
    fingerprint: Key,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key ids only: key bytes are never printed.
        f.debug_struct("KeyRing").field("active", &self.active_id()).field("keks", &self.key_ids()).finish()
    }
}

/// The JSON form, `{"active":"k2","keks":{"k1":"<hex>","k2":"<hex>"},"fingerprint":"<hex>"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    active: String,
    keks: BTreeMap<String, String>,
    fingerprint: String,
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        self.fingerprint.zeroize();
        self.keks.values_mut().for_each(Zeroize::zeroize);
    }
}

impl KeyRing {
    /// A fresh ring: one KEK, `k1`, active, and a fingerprint key.
    pub fn generate() -> KeyRing {
        KeyRing { active: 1, keks: BTreeMap::from([(1, random_key())]), fingerprint: random_key() }
    }

    /// `ANSHIN_VAULT_KEYS` if set, else `dir/vault-keys.json`, created if missing.
    pub fn load(dir: &Path) -> Result<KeyRing, VaultError> {
        if let Ok(json) = std::env::var(KEYS_ENV) {
            return KeyRing::from_json(&Zeroizing::new(json));
        }
        let path = dir.join(KEY_FILE);
        if !path.exists() {
            std::fs::create_dir_all(dir).map_err(|source| file_error(dir, source))?;
            // Another process starting at the same moment may publish first; then its ring is
            // the ring, and this one is dropped unused.
            publish_once(&path, KeyRing::generate().to_json().as_bytes())?;
        }
        KeyRing::read_file(&path)
    }

    pub fn from_json(text: &str) -> Result<KeyRing, VaultError> {
        let file: KeyFile = serde_json::from_str(text).map_err(|_| VaultError::KeyFormat("not the vault key JSON"))?;
        if file.keks.is_empty() || file.keks.len() > MAX_KEKS {
            return Err(VaultError::KeyFormat("there must be 1 to MAX_KEKS key-encryption keys"));
        }
        let mut keks = BTreeMap::new();
        for (id, hex_key) in &file.keks {
            keks.insert(
                parse_key_id(id).ok_or(VaultError::KeyFormat("a key id is not k1, k2, …"))?,
                decode_key(hex_key)?,
            );
        }
        let active = parse_key_id(&file.active).filter(|n| keks.contains_key(n));
        let active = active.ok_or(VaultError::KeyFormat("the active key id names no key"))?;
        Ok(KeyRing { active, keks, fingerprint: decode_key(&file.fingerprint)? })
    }

    /// Add a KEK to the key file in `dir` and make it active; returns its id. The file is
    /// replaced in one step (temporary file, then rename), under a lock against a concurrent
    /// rotation. Running vaults pick the new key up when they meet it (`Vault::open_dir`) or on
    /// `Vault::reload_keys`; `Vault::rewrap` then moves old records to it.
    pub fn rotate_file(dir: &Path) -> Result<String, VaultError> {
        if std::env::var_os(KEYS_ENV).is_some() {
            return Err(VaultError::KeysFromEnvironment);
        }
        let lock_path = dir.join(LOCK_FILE);
        let lock = private_options(std::fs::OpenOptions::new().create(true).truncate(false).write(true))
            .open(&lock_path)
            .map_err(|source| file_error(&lock_path, source))?;
        lock.lock().map_err(|source| file_error(&lock_path, source))?;
        let path = dir.join(KEY_FILE);
        let rotated = KeyRing::load(dir)?.rotated()?;
        let temp = temp_sibling(&path);
        write_new_private(&temp, rotated.to_json().as_bytes())?;
        std::fs::rename(&temp, &path).map_err(|source| {
            let _ = std::fs::remove_file(&temp);
            file_error(&path, source)
        })?;
        sync_dir(dir)?;
        Ok(rotated.active_id())
    }

    /// This ring with one more KEK, active.
    pub fn rotated(&self) -> Result<KeyRing, VaultError> {
        if self.keks.len() >= MAX_KEKS {
            return Err(VaultError::TooManyKeys);
        }
        let next = self.newest().checked_add(1).ok_or(VaultError::TooManyKeys)?;
        let mut keks: BTreeMap<u32, Key> = self.keks.iter().map(|(n, k)| (*n, k.clone())).collect();
        keks.insert(next, random_key());
        Ok(KeyRing { active: next, keks, fingerprint: self.fingerprint.clone() })
    }

    pub fn active_id(&self) -> String {
        key_id(self.active)
    }

    pub fn key_ids(&self) -> Vec<String> {
        self.keks.keys().map(|n| key_id(*n)).collect()
    }

    pub(crate) fn active_kek(&self) -> (String, &[u8; 32]) {
        (self.active_id(), &self.keks[&self.active])
    }

    pub(crate) fn kek(&self, id: &str) -> Option<&[u8; 32]> {
        self.keks.get(&parse_key_id(id)?).map(|k| &**k)
    }

    pub(crate) fn fingerprint_key(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// Whether `id` is a key this ring has not seen yet but a newer copy of the key file could
    /// hold (a higher number than any here): only those are worth re-reading the file for.
    pub(crate) fn may_be_newer(&self, id: &str) -> bool {
        parse_key_id(id).is_some_and(|n| n > self.newest())
    }

    /// Whether key `a` was added after key `b` (both well-formed ids).
    pub(crate) fn is_newer(a: &str, b: &str) -> bool {
        matches!((parse_key_id(a), parse_key_id(b)), (Some(a), Some(b)) if a > b)
    }

    fn newest(&self) -> u32 {
        self.keks.keys().next_back().copied().unwrap_or(0)
    }

    fn to_json(&self) -> Zeroizing<String> {
        let file = KeyFile {
            active: self.active_id(),
            keks: self.keks.iter().map(|(n, k)| (key_id(*n), hex::encode(**k))).collect(),
            fingerprint: hex::encode(*self.fingerprint),
        };
        Zeroizing::new(serde_json::to_string_pretty(&file).expect("strings serialise"))
    }

    fn read_file(path: &Path) -> Result<KeyRing, VaultError> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|source| file_error(path, source))?);
        KeyRing::from_json(&text)
    }
}

fn key_id(n: u32) -> String {
    format!("k{n}")
}

/// `k1`, `k2`, … with no leading zero, so that each key has exactly one spelling.
fn parse_key_id(id: &str) -> Option<u32> {
    let digits = id.strip_prefix('k')?;
    let valid = !digits.is_empty() && !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| digits.parse().ok()).flatten()
}

fn decode_key(hex_key: &str) -> Result<Key, VaultError> {
    let mut key = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(hex_key, &mut *key).map_err(|_| VaultError::KeyFormat("a key is not 64 hex digits"))?;
    Ok(key)
}

pub(crate) fn random_key() -> Key {
    let mut key = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(&mut *key);
    key
}

fn file_error(path: &Path, source: std::io::Error) -> VaultError {
    VaultError::KeyFile { path: path.to_owned(), source }
}

/// Publish `bytes` at `path` unless a file is already there: written aside, then hard-linked
/// into place, which appears complete or not at all and fails if the name is taken (a rename
/// would silently replace the other process's file).
fn publish_once(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let temp = temp_sibling(path);
    write_new_private(&temp, bytes)?;
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => sync_dir(path.parent().unwrap_or(Path::new("."))),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(file_error(path, source)),
    }
}

/// A unique hidden name beside `path`, so a crash leaves only litter that is never read.
fn temp_sibling(path: &Path) -> PathBuf {
    let mut unique = [0u8; 8];
    rand::rng().fill_bytes(&mut unique);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(KEY_FILE);
    path.with_file_name(format!(".{name}.{}.{}.tmp", std::process::id(), hex::encode(unique)))
}

fn private_options(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let written = private_options(std::fs::OpenOptions::new().write(true).create_new(true))
        .open(path)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()));
    written.map_err(|source| {
        let _ = std::fs::remove_file(path);
        file_error(path, source)
    })
}

/// Make the new name durable: after a power cut a key must not vanish while data sealed with it
/// survives.
fn sync_dir(dir: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|source| file_error(dir, source))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_key(a: &[u8; 32], b: &[u8; 32]) -> bool {
        subtle::ConstantTimeEq::ct_eq(&a[..], &b[..]).into()
    }

    fn same_keys(a: &KeyRing, b: &KeyRing) -> bool {
        a.active == b.active
            && a.keks.len() == b.keks.len()
            && a.keks.iter().zip(&b.keks).all(|((na, ka), (nb, kb))| na == nb && same_key(ka, kb))
            && same_key(&a.fingerprint, &b.fingerprint)
    }

    #[test]
    fn the_json_form_round_trips_and_is_checked() {
        let ring = KeyRing::generate().rotated().unwrap();
        let back = KeyRing::from_json(&ring.to_json()).unwrap();
        assert!(same_keys(&ring, &back));
        assert_eq!(back.active_id(), "k2");
        assert_eq!(back.key_ids(), ["k1", "k2"]);
        let k = "00".repeat(32);
        let good = format!(r#"{{"active":"k1","keks":{{"k1":"{k}"}},"fingerprint":"{k}"}}"#);
        assert!(KeyRing::from_json(&good).is_ok());
        for bad in [
            good.replace(r#""active":"k1""#, r#""active":"k2""#),
            good.replace(r#""k1":"#, r#""k01":"#),
            good.replace(&format!(r#""fingerprint":"{k}""#), r#""fingerprint":"00""#),
            good.replace('}', r#","extra":1}"#),
            "{}".to_owned(),
        ] {
            let e = KeyRing::from_json(&bad).unwrap_err();
            assert!(matches!(e, VaultError::KeyFormat(_)), "{bad}: {e}");
        }
    }

    #[test]
    fn debug_names_key_ids_and_never_key_bytes() {
        let ring = KeyRing::generate();
        let printed = format!("{ring:?}");
        assert_eq!(printed, r#"KeyRing { active: "k1", keks: ["k1"] }"#);
        assert!(!printed.contains(&hex::encode(*ring.fingerprint)));
    }

    #[test]
    fn the_key_file_is_created_once_private_and_rotated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let a = KeyRing::load(dir.path()).unwrap();
        let b = KeyRing::load(dir.path()).unwrap();
        assert!(same_keys(&a, &b));
        use std::os::unix::fs::PermissionsExt;
        let mode = || std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(), 0o600);
        assert_eq!(KeyRing::rotate_file(dir.path()).unwrap(), "k2");
        assert_eq!(KeyRing::rotate_file(dir.path()).unwrap(), "k3");
        let c = KeyRing::load(dir.path()).unwrap();
        assert_eq!(c.key_ids(), ["k1", "k2", "k3"]);
        assert!(same_key(c.kek("k1").unwrap(), a.kek("k1").unwrap()));
        assert!(same_key(c.fingerprint_key(), a.fingerprint_key()));
        assert_eq!(mode(), 0o600);
    }

    #[test]
    fn loaders_racing_on_an_empty_directory_all_get_the_same_keys() {
        const LOADERS: usize = 12;
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let start = std::sync::Arc::new(std::sync::Barrier::new(LOADERS));
            let loaders: Vec<_> = (0..LOADERS)
                .map(|_| {
                    let (path, start) = (dir.path().join("data"), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        KeyRing::load(&path).map_err(|e| e.to_string())
                    })
                })
                .collect();
            let rings: Vec<_> = loaders.into_iter().map(|l| l.join().unwrap().unwrap()).collect();
            assert!(rings.iter().all(|r| same_keys(r, &rings[0])), "every loader must read the one ring");
            let names: Vec<_> =
                std::fs::read_dir(dir.path().join("data")).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(names, [KEY_FILE], "no temporary file is left");
        }
    }

    #[test]
    fn concurrent_rotations_lose_no_key() {
        let dir = tempfile::tempdir().unwrap();
        KeyRing::load(dir.path()).unwrap();
        let rotations: Vec<_> = (0..6)
            .map(|_| {
                let dir = dir.path().to_owned();
                std::thread::spawn(move || KeyRing::rotate_file(&dir).unwrap())
            })
            .collect();
        let mut ids: Vec<_> = rotations.into_iter().map(|r| r.join().unwrap()).collect();
        ids.sort();
        assert_eq!(ids, ["k2", "k3", "k4", "k5", "k6", "k7"]);
        assert_eq!(KeyRing::load(dir.path()).unwrap().key_ids().len(), 7);
    }
}
