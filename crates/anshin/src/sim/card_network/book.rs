//! The card network's memory: which test cards exist, what each one's last four digits make the
//! directory and access control servers answer, and every 3-D Secure authentication since start.
//!
//! Everything here is pure and runs under the server's one lock, so an authentication is created,
//! challenged and completed in order, and an authorisation sees the final result or none.

use std::collections::{HashMap, VecDeque};

use base64::Engine;
use rand::RngCore;

/// Authentications kept; the oldest are forgotten past this (a top-up authorises within minutes).
pub const MAX_AUTHENTICATIONS: usize = 100_000;
/// Authorisation answers kept for idempotent retries.
pub const MAX_AUTHORIZATIONS: usize = 100_000;
/// EMV 3DS: a challenge must start within 30 s of the ARes (PAYMENTS-DOMAIN.md §3, clearhaus).
pub const CHALLENGE_START_WINDOW_MS: i64 = 30_000;
/// Wrong one-time codes the access control server takes before it fails the challenge.
pub const MAX_CHALLENGE_TRIES: u32 = 3;
/// The one-time code every manual challenge accepts (documented; this is a simulator).
pub const TEST_CHALLENGE_CODE: &str = "123456";
/// Every test card expires in December 2030 (`cardExpiryDate` 3012) and has this security code
/// (four digits on American Express).
pub const TEST_EXPIRY_YYMM: &str = "3012";
pub const TEST_CVC: &str = "123";
pub const TEST_CVC_AMEX: &str = "1234";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Brand {
    Visa,
    Mastercard,
    Jcb,
    Amex,
}

/// The issuers this network knows: a test card is one of these BINs, zeros up to its last four.
pub const TEST_BINS: [(&str, Brand, usize); 4] = [
    ("400000", Brand::Visa, 16),
    ("520000", Brand::Mastercard, 16),
    ("353000", Brand::Jcb, 16),
    ("370000", Brand::Amex, 15),
];

impl Brand {
    /// The ECI an authenticated (`Y`) and an attempted (`A`) authentication carry.
    pub fn eci(self, status: TransStatus) -> Option<&'static str> {
        match (self, status) {
            (Brand::Mastercard, TransStatus::Y) => Some("02"),
            (Brand::Mastercard, TransStatus::A) => Some("01"),
            (_, TransStatus::Y) => Some("05"),
            (_, TransStatus::A) => Some("06"),
            _ => None,
        }
    }

    pub fn cvc(self) -> &'static str {
        if self == Brand::Amex { TEST_CVC_AMEX } else { TEST_CVC }
    }
}

/// EMV 3DS `transStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TransStatus {
    Y,
    N,
    U,
    A,
    C,
    D,
    R,
    I,
}

impl TransStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TransStatus::Y => "Y",
            TransStatus::N => "N",
            TransStatus::U => "U",
            TransStatus::A => "A",
            TransStatus::C => "C",
            TransStatus::D => "D",
            TransStatus::R => "R",
            TransStatus::I => "I",
        }
    }
}

/// What the directory server does with an AReq for this card: the third-last digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsBehaviour {
    Answer(TransStatus),
    /// Never answers in time.
    Timeout,
    /// Answers with an `Erro` message.
    Error,
}

/// How a challenge ends: the second-last digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeBehaviour {
    /// Asks for the one-time code ([`TEST_CHALLENGE_CODE`]).
    Manual,
    AutoPass,
    AutoFail,
}

/// A card the network knows, read from its number. The last four digits are `a s c k`: `a` picks
/// the ARes of a non-payment authentication (a card being registered) by the same table as `s`,
/// except that 9 answers Y and makes every authorisation decline; `s` picks the ARes of a payment
/// authentication; `c` how a challenge ends; `k` is the Luhn check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestCard {
    pub brand: Brand,
    pub declines_authorisations: bool,
    pub registration: DsBehaviour,
    pub payment: DsBehaviour,
    pub challenge: ChallengeBehaviour,
}

fn ds_behaviour(digit: u8) -> DsBehaviour {
    match digit {
        b'0' => DsBehaviour::Answer(TransStatus::Y),
        b'1' => DsBehaviour::Answer(TransStatus::N),
        b'2' => DsBehaviour::Answer(TransStatus::U),
        b'3' => DsBehaviour::Answer(TransStatus::A),
        b'4' => DsBehaviour::Answer(TransStatus::C),
        b'5' => DsBehaviour::Answer(TransStatus::D),
        b'6' => DsBehaviour::Answer(TransStatus::R),
        b'7' => DsBehaviour::Answer(TransStatus::I),
        b'8' => DsBehaviour::Timeout,
        _ => DsBehaviour::Error,
    }
}

impl TestCard {
    pub fn from_number(pan: &str) -> Option<TestCard> {
        let (_, brand, len) = TEST_BINS.iter().find(|(bin, _, len)| pan.len() == *len && pan.starts_with(bin))?;
        let digits = pan.as_bytes();
        if !digits.iter().all(u8::is_ascii_digit) || !luhn_valid(pan) {
            return None;
        }
        let last4 = &digits[len - 4..];
        // Zeros between the BIN and the last four, except on a frictionless card (`000k`), whose
        // middle digits may be anything: a load test needs many distinct cards that all pass.
        if &last4[..3] != b"000" && digits[6..len - 4].iter().any(|d| *d != b'0') {
            return None;
        }
        let declines_authorisations = last4[0] == b'9';
        let registration =
            if declines_authorisations { DsBehaviour::Answer(TransStatus::Y) } else { ds_behaviour(last4[0]) };
        let challenge = match last4[2] {
            b'1' => ChallengeBehaviour::AutoPass,
            b'2' => ChallengeBehaviour::AutoFail,
            _ => ChallengeBehaviour::Manual,
        };
        Some(TestCard {
            brand: *brand,
            declines_authorisations,
            registration,
            payment: ds_behaviour(last4[1]),
            challenge,
        })
    }
}

/// The test card of `brand` whose last four digits start `a s c` (the check digit is computed).
pub fn test_card_number(brand: Brand, a: u8, s: u8, c: u8) -> String {
    let (bin, _, len) = TEST_BINS.iter().find(|(_, b, _)| *b == brand).expect("every brand has a BIN");
    let mut pan = format!("{bin}{}{a}{s}{c}", "0".repeat(len - 6 - 4));
    pan.push(luhn_check_digit(&pan));
    pan
}

pub fn luhn_valid(digits: &str) -> bool {
    vault::luhn::is_valid(digits)
}

fn luhn_check_digit(body: &str) -> char {
    char::from(b'0' + vault::luhn::check_digit(body).expect("a body of digits"))
}

/// One 3-D Secure authentication, from AReq to its final result.
#[derive(Debug, Clone)]
pub struct Authentication {
    pub server_trans_id: String,
    pub ds_trans_id: String,
    pub acs_trans_id: String,
    pub message_version: String,
    pub card: TestCard,
    /// SHA-256 of the number, so an authorisation can be tied to the card it authenticated.
    pub pan_digest: [u8; 32],
    pub amount_minor: i64,
    pub ares_status: TransStatus,
    /// The final status: the ARes's, or the challenge's once it ends.
    pub status: TransStatus,
    pub reason: Option<&'static str>,
    pub eci: Option<&'static str>,
    pub authentication_value: Option<String>,
    pub server_url: String,
    pub notification_url: Option<String>,
    pub ares_at_ms: i64,
    pub challenge_tries: u32,
    pub challenge_started: bool,
    pub completed: bool,
}

impl Authentication {
    /// The final result is `status`: an authentication value and ECI only for Y and A.
    pub fn finish(&mut self, status: TransStatus, reason: Option<&'static str>) {
        self.status = status;
        self.reason = reason;
        self.eci = self.card.brand.eci(status);
        self.authentication_value = self.eci.map(|_| new_authentication_value());
        self.completed = true;
    }
}

/// A CAVV-shaped value: 20 random bytes, 28 base64 characters.
pub fn new_authentication_value() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every authentication by its ACS and DS ids, oldest forgotten first past the limit.
#[derive(Default)]
pub struct Book {
    by_acs: HashMap<String, Authentication>,
    acs_by_ds: HashMap<String, String>,
    order: VecDeque<String>,
    /// Authorisation answers by idempotency key, with the request digest they answered.
    authorizations: HashMap<String, ([u8; 32], serde_json::Value)>,
    authorization_order: VecDeque<String>,
}

impl Book {
    pub fn insert(&mut self, auth: Authentication) {
        if self.order.len() >= MAX_AUTHENTICATIONS
            && let Some(old) = self.order.pop_front()
            && let Some(gone) = self.by_acs.remove(&old)
        {
            self.acs_by_ds.remove(&gone.ds_trans_id);
        }
        self.order.push_back(auth.acs_trans_id.clone());
        self.acs_by_ds.insert(auth.ds_trans_id.clone(), auth.acs_trans_id.clone());
        self.by_acs.insert(auth.acs_trans_id.clone(), auth);
    }

    pub fn by_acs(&mut self, acs_trans_id: &str) -> Option<&mut Authentication> {
        self.by_acs.get_mut(acs_trans_id)
    }

    pub fn by_ds(&self, ds_trans_id: &str) -> Option<&Authentication> {
        self.by_acs.get(self.acs_by_ds.get(ds_trans_id)?)
    }

    pub fn authorization(&self, key: &str) -> Option<&([u8; 32], serde_json::Value)> {
        self.authorizations.get(key)
    }

    pub fn remember_authorization(&mut self, key: String, digest: [u8; 32], answer: serde_json::Value) {
        if self.authorization_order.len() >= MAX_AUTHORIZATIONS
            && let Some(old) = self.authorization_order.pop_front()
        {
            self.authorizations.remove(&old);
        }
        self.authorization_order.push_back(key.clone());
        self.authorizations.insert(key, (digest, answer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_numbers_are_luhn_valid_and_read_back() {
        for brand in [Brand::Visa, Brand::Mastercard, Brand::Jcb, Brand::Amex] {
            for s in 0..=9 {
                let pan = test_card_number(brand, 0, s, 0);
                assert!(luhn_valid(&pan), "{brand:?} {s}");
                let card = TestCard::from_number(&pan).expect("a test card");
                assert_eq!(card.brand, brand);
                assert!(!card.declines_authorisations);
            }
        }
        assert_eq!(test_card_number(Brand::Visa, 0, 0, 0), "4000000000000002");
        let card = TestCard::from_number(&test_card_number(Brand::Visa, 9, 4, 2)).unwrap();
        assert_eq!(card.payment, DsBehaviour::Answer(TransStatus::C));
        assert_eq!(card.registration, DsBehaviour::Answer(TransStatus::Y));
        assert_eq!(card.challenge, ChallengeBehaviour::AutoFail);
        assert!(card.declines_authorisations);
        assert_eq!(TestCard::from_number("4000000000000001"), None, "Luhn");
        assert_eq!(TestCard::from_number("4000000100000100"), None, "middle digits are zeros");
        assert!(TestCard::from_number("4000001234560001").is_some(), "except on a frictionless card");
        let registering = TestCard::from_number(&test_card_number(Brand::Jcb, 4, 0, 0)).unwrap();
        assert_eq!(registering.registration, DsBehaviour::Answer(TransStatus::C));
        assert_eq!(registering.payment, DsBehaviour::Answer(TransStatus::Y));
        assert_eq!(TestCard::from_number("4111111111111111"), None, "not this network's");
    }

    #[test]
    fn eci_follows_the_brand_table() {
        assert_eq!(Brand::Visa.eci(TransStatus::Y), Some("05"));
        assert_eq!(Brand::Jcb.eci(TransStatus::A), Some("06"));
        assert_eq!(Brand::Mastercard.eci(TransStatus::Y), Some("02"));
        assert_eq!(Brand::Mastercard.eci(TransStatus::A), Some("01"));
        assert_eq!(Brand::Amex.eci(TransStatus::N), None);
        assert_eq!(new_authentication_value().len(), 28);
    }
}
