//! Identity: who may act. This folder grows with the identity issue; so far it holds the
//! building blocks that every flow of it needs: password rules and hashing, one-time codes,
//! and TOTP.

pub mod breach;
pub mod codes;
pub mod keys;
pub mod passkeys;
pub mod password;
pub mod service;
pub mod throttle;
pub mod totp;
pub mod types;

pub use service::{Identity, IdentityConfig, IdentityError};
