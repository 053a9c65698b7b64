//! One-time codes sent by SMS or e-mail: 6 digits, valid at most 10 minutes, 5 guesses in all
//! (a re-send does not reset them), single use, bound to the challenge that asked for them, and
//! stored only as a keyed hash, so a database leak does not reveal live codes.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const CODE_DIGITS: usize = 6;
pub const MAX_TTL_SECS: i64 = 10 * 60;
pub const MAX_ATTEMPTS: u32 = 5;

/// A fresh code: what to send, and what to store.
pub struct IssuedCode {
    /// Send this, never log it.
    pub plain: String,
    pub hash: String,
}

/// Draw a uniformly random 6-digit code (CSPRNG) and its hash, bound to `challenge_id`.
pub fn issue(key: &[u8], challenge_id: &str) -> IssuedCode {
    let n: u32 = rand::rng().random_range(0..1_000_000);
    let plain = format!("{n:06}");
    let hash = code_hash(key, challenge_id, &plain);
    IssuedCode { plain, hash }
}

/// HMAC-SHA256 over the challenge id and the code: the same code for another challenge hashes
/// differently, so a code is only good for the request it was sent for.
pub fn code_hash(key: &[u8], challenge_id: &str, code: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(challenge_id.as_bytes());
    mac.update(b"\0");
    mac.update(code.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The state of a challenge as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub code_hash: String,
    pub expires_at_ms: i64,
    pub attempts: u32,
    pub used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Accepted,
    Wrong {
        attempts_left: u32,
    },
    /// Too many guesses, expired or already used: ask for a new code (which starts a new challenge).
    Dead,
}

/// Judge a guess. The caller stores `attempts + 1` (and `used` on success) in the same
/// transaction, with a conditional update so two concurrent guesses cannot both count once.
/// The attempt counts before the comparison: the sixth guess fails even when it is right.
pub fn check(key: &[u8], challenge: &Challenge, guess: &str, now_ms: i64) -> Check {
    if challenge.used || now_ms >= challenge.expires_at_ms || challenge.attempts >= MAX_ATTEMPTS {
        return Check::Dead;
    }
    let attempt = challenge.attempts + 1;
    let guess = guess.trim();
    let well_formed = guess.len() == CODE_DIGITS && guess.bytes().all(|b| b.is_ascii_digit());
    let expected = challenge.code_hash.as_bytes();
    let actual = code_hash(key, &challenge.id, guess);
    if well_formed && bool::from(expected.ct_eq(actual.as_bytes())) {
        Check::Accepted
    } else {
        Check::Wrong { attempts_left: MAX_ATTEMPTS - attempt }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test key, 32 bytes or more, ok!!";

    fn challenge(plain_for: &str) -> (Challenge, String) {
        let issued = issue(KEY, plain_for);
        (
            Challenge {
                id: plain_for.into(),
                code_hash: issued.hash,
                expires_at_ms: 600_000,
                attempts: 0,
                used: false,
            },
            issued.plain,
        )
    }

    #[test]
    fn codes_are_six_digits_and_stored_hashed() {
        let issued = issue(KEY, "chl_1");
        assert_eq!(issued.plain.len(), 6);
        assert!(issued.plain.bytes().all(|b| b.is_ascii_digit()));
        assert!(!issued.hash.contains(&issued.plain));
        assert_eq!(issued.hash.len(), 64);
    }

    #[test]
    fn the_right_code_is_accepted_and_a_wrong_one_counts() {
        let (c, code) = challenge("chl_1");
        assert_eq!(check(KEY, &c, &code, 1_000), Check::Accepted);
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert_eq!(check(KEY, &c, wrong, 1_000), Check::Wrong { attempts_left: 4 });
    }

    #[test]
    fn the_sixth_guess_fails_even_when_right() {
        let (mut c, code) = challenge("chl_1");
        c.attempts = 5;
        assert_eq!(check(KEY, &c, &code, 1_000), Check::Dead);
    }

    #[test]
    fn a_code_is_single_use_short_lived_and_bound_to_its_challenge() {
        let (mut c, code) = challenge("chl_1");
        assert_eq!(check(KEY, &c, &code, 600_000), Check::Dead, "expired at 10 minutes");
        c.used = true;
        assert_eq!(check(KEY, &c, &code, 1_000), Check::Dead, "used");
        let (other, _) = challenge("chl_2");
        assert!(matches!(check(KEY, &other, &code, 1_000), Check::Wrong { .. } | Check::Accepted));
        let other_hash_of_same = code_hash(KEY, "chl_2", &code);
        assert_ne!(other_hash_of_same, c.code_hash, "the same code hashes differently for another challenge");
    }

    #[test]
    fn malformed_guesses_are_wrong() {
        let (c, _) = challenge("chl_1");
        for g in ["", "12345", "1234567", "abcdef", "１２３４５６"] {
            assert!(matches!(check(KEY, &c, g, 1_000), Check::Wrong { .. }), "{g}");
        }
    }
}
