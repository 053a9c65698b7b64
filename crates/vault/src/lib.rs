//! Anshin's card vault: the only code that ever sees a card number.
//!
//! A number typed by a customer is parsed here ([`CardNumber`]), sealed here ([`Vault::seal`])
//! and leaves again only inside a request to the card network ([`NetworkClient`]), which opens
//! the sealed card itself. The digits have no public accessor, no `Display` and no `Serialize`,
//! so the rest of the service cannot handle them even by mistake: the compiler keeps it out of
//! scope for card data (PCI DSS), and THREATS.md M11 holds by construction.
//!
//! What the service gets back is a [`SealedCard`]: ciphertext, a key id, a token, a keyed
//! fingerprint and the parts it may show (brand, BIN, last four, expiry). The service stores it in
//! its own tables; the vault owns no table and does no I/O except its key file and the network.
//!
//! - [`card`]: parsing what the customer typed (Luhn, brand from the BIN, expiry, security code).
//! - [`keys`]: the key hierarchy, its file and its rotation.
//! - [`seal`]: envelope encryption, re-wrapping after a rotation.
//! - [`network`]: the card-network client (verify, 3-D Secure 2 authentication, authorize).
//! - [`issuer`]: Anshin's own virtual cards, and authorisations sent to Anshin as their issuer.

#![forbid(unsafe_code)]

pub mod card;
mod error;
pub mod issuer;
pub mod keys;
pub mod luhn;
pub mod network;
pub mod seal;

use std::time::Duration;

pub use card::{Brand, CardError, CardNumber, Expiry, SecurityCode};
pub use error::VaultError;
pub use issuer::{IssuerAuthorization, RevealedNumber};
pub use keys::KeyRing;
pub use network::threeds::{
    AuthenticationRequest, AuthenticationResponse, ChallengeIndicator, DeviceChannel, MessageCategory, ThreeDsProof,
    ThreeRiIndicator, TransStatus, eci_expected,
};
pub use network::{Authorization, AuthorizationRequest, NetworkClient, NetworkError, Outcome, Verification};
pub use seal::{CardKind, CardView, SealedCard, Vault, bench_seal_open};

/// ISO/IEC 7812 numbers run from 12 to 19 digits (most are 16, American Express 15).
pub const MIN_PAN_DIGITS: usize = 12;
pub const MAX_PAN_DIGITS: usize = 19;
/// 19 digits with a separator between each pair: anything longer is not a typed card number, and
/// is refused before it is scanned.
pub const MAX_NUMBER_INPUT_CHARS: usize = 40;
/// Cards are issued for a few years; an expiry decades ahead is a typo or a probe.
pub const MAX_EXPIRY_YEARS_AHEAD: u8 = 20;
/// Key-encryption keys the ring may hold. Rotation is yearly or on suspicion; a ring this long
/// means old keys were never retired after re-wrapping.
pub const MAX_KEKS: usize = 100;
/// Random characters in a token (base32, 5 bits each: 130 bits), so tokens cannot be guessed.
pub const TOKEN_RANDOM_CHARS: usize = 26;
/// Anshin's virtual cards have 16 digits, like the prepaid cards of every brand it issues under.
pub const VIRTUAL_CARD_DIGITS: usize = 16;
/// The largest answer any network message needs (an ARes is about 1 KiB): a bigger one is refused
/// before it fills memory.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The largest issuer authorisation message read (one is a few hundred bytes).
pub const MAX_ISSUER_MESSAGE_BYTES: usize = 4 * 1024;
/// Merchant names are 25 characters on the card networks' own records; 100 leaves room for the
/// simulator's longer names and still bounds what is stored per authorisation.
pub const MAX_MERCHANT_NAME_CHARS: usize = 100;
/// Issuers' approval codes are 6 characters; a little room, no more.
pub const MAX_AUTH_CODE_CHARS: usize = 12;
/// The service's idempotency keys are UUIDs or shorter.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 64;
/// A verify or authorize call that has had no answer in this time is abandoned: a card top-up
/// holds a customer's screen, and the network's own timeout is shorter.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(15);
/// Connecting to the network is loopback or a private link: a slow connect is a dead peer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
