//! Prefixed, time-ordered, unguessable identifiers (`je_…`, `hold_…`), Stripe style.

use rand::RngCore;

/// `prefix_` + 12 hex digits of milliseconds + 20 hex digits (80 bits) of randomness.
/// Time first so ids sort roughly by creation; randomness so they cannot be guessed or collide.
pub fn new_id(prefix: &str) -> String {
    let ms = u64::try_from(super::now_ms()).unwrap_or(0) & 0xFFFF_FFFF_FFFF;
    let mut rnd = [0u8; 10];
    rand::rng().fill_bytes(&mut rnd);
    format!("{prefix}_{ms:012x}{}", hex::encode(rnd))
}

/// 128 random bits as hex, for tokens and request ids.
pub fn random_hex_128() -> String {
    let mut rnd = [0u8; 16];
    rand::rng().fill_bytes(&mut rnd);
    hex::encode(rnd)
}
