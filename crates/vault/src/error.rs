//! The sealing and key layer's one error type. No variant carries a key, a digit of a card
//! number or the text of a message it refused: every one of them may be logged as it is.

use std::path::PathBuf;

use crate::card::CardError;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// A record names a key the ring does not hold, even after re-reading the key file: it was
    /// sealed by a key ring this process has never seen (another deployment, or a lost key).
    #[error("key {key_id} is not in the vault's key ring")]
    UnknownKey { key_id: String },
    /// A record that fails to decode or to authenticate: altered, truncated, or copied from
    /// another row (token and key id are bound into the ciphertext).
    #[error("the sealed card does not open: {0}")]
    Corrupt(&'static str),
    #[error("vault key file {path}: {source}")]
    KeyFile { path: PathBuf, source: std::io::Error },
    #[error("the vault keys are malformed: {0}")]
    KeyFormat(&'static str),
    /// `rotate_file` was asked to rotate a file that is not in use: the keys come from the
    /// environment, and there they must be changed.
    #[error("the vault keys come from ANSHIN_VAULT_KEYS: rotate them there, not in the key file")]
    KeysFromEnvironment,
    #[error("the key ring is full: re-wrap every record and retire the old keys first")]
    TooManyKeys,
    #[error("the issuer BIN must be 6 to 8 digits of an accepted brand")]
    IssuerBin,
    /// Only a virtual card Anshin issued is ever shown to its holder; a card the customer typed
    /// is never shown again in full (PCI DSS 3.4.1).
    #[error("only the number of a virtual card is ever revealed")]
    NotRevealable,
    #[error("the issuer authorisation message is malformed: {0}")]
    IssuerMessage(&'static str),
    #[error("the card in the message is not valid: {0}")]
    Card(#[from] CardError),
}
