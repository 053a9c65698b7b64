//! Key rotation while records are being read: old and new records open during and after it,
//! re-wrapping moves old records to the new key, and a vault that missed the rotation catches up.

use vault::{CardNumber, Expiry, KeyRing, SealedCard, Vault};

fn seal(vault: &Vault, typed: &str) -> SealedCard {
    vault.seal(CardNumber::parse(typed).unwrap(), Expiry::parse("12", "2035", jiff::civil::date(2026, 1, 1)).unwrap())
}

#[test]
fn old_and_new_records_open_during_and_after_rotation_and_rewrap_moves_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let before = Vault::open_dir(dir.path()).unwrap();
    let untouched_until_the_end = Vault::open_dir(dir.path()).unwrap();
    let old: Vec<SealedCard> =
        ["4111111111111111", "5555555555554444", "378282246310005"].iter().map(|n| seal(&before, n)).collect();
    assert!(old.iter().all(|c| c.key_id == "k1"));

    assert_eq!(KeyRing::rotate_file(dir.path()).unwrap(), "k2");
    let after = Vault::open_dir(dir.path()).unwrap();
    assert_eq!(after.active_key_id(), "k2");
    let new = seal(&after, "3530111333300000");
    assert_eq!(new.key_id, "k2");

    // During: both generations open in the new vault; the old vault re-reads the key file once
    // when it meets k2.
    for card in old.iter().chain([&new]) {
        after.check(card).unwrap();
    }
    assert_eq!(before.active_key_id(), "k1");
    before.check(&new).unwrap();
    assert_eq!(before.active_key_id(), "k2", "meeting k2 made it re-read the keys");

    // Re-wrap: old records move to k2 with the number's ciphertext untouched; new ones stay.
    let rewrapped: Vec<SealedCard> = old.iter().map(|c| after.rewrap(c).unwrap().expect("k1 moves to k2")).collect();
    for (was, now) in old.iter().zip(&rewrapped) {
        assert_eq!(now.key_id, "k2");
        assert_ne!(now.wrapped_key, was.wrapped_key);
        assert_eq!((&now.ciphertext, &now.token, &now.fingerprint), (&was.ciphertext, &was.token, &was.fingerprint));
    }
    assert_eq!(after.rewrap(&new).unwrap(), None);
    assert_eq!(after.rewrap(&rewrapped[0]).unwrap(), None);

    // After: everything opens, also in a vault built before the rotation that never reloaded;
    // records not yet re-wrapped still open too.
    for card in rewrapped.iter().chain(&old).chain([&new]) {
        after.check(card).unwrap();
        untouched_until_the_end.check(card).unwrap();
    }
}

#[test]
fn a_vault_that_missed_a_rotation_never_moves_a_record_back_to_an_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let stale = Vault::open_dir(dir.path()).unwrap();
    KeyRing::rotate_file(dir.path()).unwrap();
    let fresh = Vault::open_dir(dir.path()).unwrap();
    let card = seal(&fresh, "4111111111111111");
    assert_eq!(stale.rewrap(&card).unwrap(), None);
    assert_eq!(stale.active_key_id(), "k2");
}

#[test]
fn a_vault_without_a_directory_cannot_open_a_newer_key_and_says_which() {
    let ring = KeyRing::generate();
    let newer = Vault::new(ring.rotated().unwrap());
    let card = seal(&newer, "4111111111111111");
    let e = Vault::new(ring).check(&card).unwrap_err();
    assert_eq!(e.to_string(), "key k2 is not in the vault's key ring");
}
