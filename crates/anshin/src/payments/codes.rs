//! One-time customer codes, pure: no I/O. A signed-in device holds a secret and shows a code
//! without a network round trip: an HMAC-SHA-256 over the device's number, a counter that must
//! increase from code to code, and the time. The same claims travel in two forms:
//!
//! - a QR code in EMV consumer-presented form (base64 BER-TLV): `85` "CPV01"; `61` with Anshin's
//!   AID in `4F`, the device number in `9F19` (8 bytes, big-endian); `62`/`64` with the MAC's
//!   first 8 bytes in `9F26`, the counter in `9F36` and the time (Unix seconds) in `9F37`, each
//!   4 bytes big-endian (EMV's ATC is 2 bytes; Anshin's counter needs more, a documented departure);
//! - digits for barcode tills: `DIGITS_PREFIX`, the device number (10 digits), the counter (6),
//!   the time modulo 100,000 seconds (5; the full time is the one nearest now), and the MAC's
//!   first 8 bytes as a number modulo 10^10 (10).

use emvqr::cpm::{Application, CommonData, ConsumerCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Anshin's application identifier in codes (a proprietary AID: RID A000000999 is unassigned).
pub const AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x09, 0x99, 0x00, 0x01];
/// What every numeric code starts with, so a till routes it to Anshin.
pub const DIGITS_PREFIX: &str = "9860";
const DIGITS_LEN: usize = 4 + 10 + 6 + 5 + 10;
const TIME_MODULUS_SECS: i64 = 100_000;
/// Largest device number and counter the digits can carry.
pub const MAX_DEVICE_NUMBER: i64 = 9_999_999_999;
pub const MAX_COUNTER: i64 = 999_999;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Qr,
    Digits,
}

/// What a code says, before anything is checked against a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub device_number: i64,
    pub counter: i64,
    pub time_secs: i64,
    /// 8 bytes (QR) or the 10-digit number (digits), compared by `matches`.
    mac: Vec<u8>,
    pub form: Form,
}

/// The code cannot be read (not a code of ours, or damaged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an Anshin payment code: {0}")]
pub struct Unreadable(pub String);

fn full_mac(secret: &[u8], device_number: i64, counter: i64, time_secs: i64) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(format!("anshin-cpm-v1|{device_number}|{counter}|{time_secs}").as_bytes());
    mac.finalize().into_bytes().into()
}

fn digits_mac(mac8: &[u8]) -> u64 {
    u64::from_be_bytes(mac8[..8].try_into().expect("8 bytes")) % 10_000_000_000
}

/// The QR form of a code (what the wallet computes; the server uses it in tests and the demo).
pub fn encode_qr(secret: &[u8], device_number: i64, counter: i64, time_secs: i64) -> String {
    let mac = full_mac(secret, device_number, counter, time_secs);
    let mut app = Application::new(AID.to_vec());
    app.token_requestor_id = Some(device_number.to_be_bytes().to_vec());
    let common = CommonData {
        cryptogram: Some(mac[..8].to_vec()),
        atc: Some((counter as u32).to_be_bytes().to_vec()),
        unpredictable_number: Some((time_secs as u32).to_be_bytes().to_vec()),
        ..CommonData::default()
    };
    ConsumerCode::new(b"CPV01", &[app], Some(&common)).encode().expect("a code of fixed small fields encodes")
}

/// The numeric form of a code.
pub fn encode_digits(secret: &[u8], device_number: i64, counter: i64, time_secs: i64) -> String {
    let mac = full_mac(secret, device_number, counter, time_secs);
    format!(
        "{DIGITS_PREFIX}{device_number:010}{counter:06}{:05}{:010}",
        time_secs.rem_euclid(TIME_MODULUS_SECS),
        digits_mac(&mac[..8])
    )
}

/// Read a code in either form; `now_secs` recovers the full time of the numeric form.
pub fn parse(code: &str, now_secs: i64) -> Result<Claims, Unreadable> {
    let code = code.trim();
    if code.starts_with(DIGITS_PREFIX) && code.bytes().all(|b| b.is_ascii_digit()) {
        return parse_digits(code, now_secs);
    }
    let decoded = emvqr::cpm::decode(code).map_err(|e| Unreadable(e.to_string()))?;
    let app = decoded
        .code
        .applications()
        .into_iter()
        .find(|a| a.aid == AID)
        .ok_or_else(|| Unreadable("no Anshin application in the code".into()))?;
    let common = decoded.code.common_data().ok_or_else(|| Unreadable("no common data".into()))?;
    let field = |v: Option<Vec<u8>>, n: usize, what: &str| {
        v.filter(|b| b.len() == n).ok_or_else(|| Unreadable(format!("the {what} is missing or the wrong size")))
    };
    let device = field(app.token_requestor_id, 8, "device number")?;
    let counter = field(common.atc, 4, "counter")?;
    let time = field(common.unpredictable_number, 4, "time")?;
    let mac = field(common.cryptogram, 8, "cryptogram")?;
    Ok(Claims {
        device_number: i64::from_be_bytes(device.try_into().expect("8 bytes")),
        counter: i64::from(u32::from_be_bytes(counter.try_into().expect("4 bytes"))),
        time_secs: i64::from(u32::from_be_bytes(time.try_into().expect("4 bytes"))),
        mac,
        form: Form::Qr,
    })
}

fn parse_digits(code: &str, now_secs: i64) -> Result<Claims, Unreadable> {
    if code.len() != DIGITS_LEN {
        return Err(Unreadable(format!("a numeric code has {DIGITS_LEN} digits, this one {}", code.len())));
    }
    let num = |from: usize, to: usize| code[from..to].parse::<i64>().expect("ASCII digits");
    let time_mod = num(20, 25);
    // The time nearest now with these last five digits.
    let base = now_secs - now_secs.rem_euclid(TIME_MODULUS_SECS);
    let time_secs = [base - TIME_MODULUS_SECS, base, base + TIME_MODULUS_SECS]
        .into_iter()
        .map(|b| b + time_mod)
        .min_by_key(|t| (t - now_secs).abs())
        .expect("three candidates");
    Ok(Claims {
        device_number: num(4, 14),
        counter: num(14, 20),
        time_secs,
        mac: code.as_bytes()[25..35].to_vec(),
        form: Form::Digits,
    })
}

impl Claims {
    /// Whether the code was made with `secret` (constant time).
    pub fn matches(&self, secret: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        let mac = full_mac(secret, self.device_number, self.counter, self.time_secs);
        let expected = match self.form {
            Form::Qr => mac[..8].to_vec(),
            Form::Digits => format!("{:010}", digits_mac(&mac[..8])).into_bytes(),
        };
        expected.len() == self.mac.len() && bool::from(expected.ct_eq(&self.mac))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_796_000_123;

    #[test]
    fn both_forms_carry_the_same_claims_and_only_the_right_secret_matches() {
        for code in [encode_qr(SECRET, 42, 7, NOW), encode_digits(SECRET, 42, 7, NOW)] {
            let claims = parse(&code, NOW + 30).unwrap();
            assert_eq!((claims.device_number, claims.counter, claims.time_secs), (42, 7, NOW), "{code}");
            assert!(claims.matches(SECRET));
            assert!(!claims.matches(b"another secret of thirty-two byt"));
        }
        let digits = encode_digits(SECRET, 42, 7, NOW);
        assert!(digits.starts_with(DIGITS_PREFIX) && digits.len() == DIGITS_LEN);
    }

    #[test]
    fn a_changed_digit_or_byte_no_longer_matches() {
        let digits = encode_digits(SECRET, 42, 7, NOW);
        for i in 4..digits.len() {
            let mut bytes = digits.clone().into_bytes();
            bytes[i] = if bytes[i] == b'9' { b'0' } else { bytes[i] + 1 };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(parse(&changed, NOW).is_ok_and(|c| !c.matches(SECRET)), "digit {i}");
        }
    }

    /// A fixed vector: the web wallet's script (static/wallet-pay.js) must make these exact codes
    /// from the same inputs (tests/browser.rs checks it in Chromium; the values were also derived
    /// independently with Python's `hmac`). A change here breaks every wallet already set up.
    #[test]
    fn a_known_vector_stays_fixed() {
        let qr = encode_qr(SECRET, 42, 7, NOW);
        let digits = encode_digits(SECRET, 42, 7, NOW);
        println!("qr {qr}\ndigits {digits}");
        assert_eq!(qr, "hQVDUFYwMWEUTwegAAAJmQABnxkIAAAAAAAAACpiG2QZnyYIJRJ/CN1Z8j2fNgQAAAAHnzcEawzJew==");
        assert_eq!(digits, "98600000000042000007001235034250813");
    }

    #[test]
    fn other_codes_are_unreadable() {
        for code in ["", "hello", "9860123", "hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MWETTwegAAAAZmZmUAhQcm9kdWN0Mg=="] {
            assert!(parse(code, NOW).is_err(), "{code}");
        }
    }
}
