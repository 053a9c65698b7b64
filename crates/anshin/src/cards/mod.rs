//! Cards: a wallet registers a payment card and tops up its lite balance from it. This context
//! never sees a card number: what the customer types goes straight into `vault` (crates/vault),
//! which seals it and is the only code that sends it anywhere (to the card network). Everything
//! here handles tokens, brand, BIN, last four and expiry.
//!
//! - `registration`: add a card. Card-testing limits (`limits`) first, then the network verifies
//!   number, expiry and security code (the code is used once and never stored), then 3-D Secure
//!   authenticates the holder (a challenge runs in the browser). Every decline is the same decline.
//! - `topups`: a top-up authenticates with 3-D Secure (Y credits; A credits under a cap; C
//!   challenges; N, R, U, I and no answer decline), then authorises at the network, then credits the
//!   lite balance through the ledger. Per-day and per-month limits per user and per card.
//! - `threeds`: building the AReq, reading the ARes, and taking the RReq and the browser's CRes.
//! - `store`: every SQL statement.
//! - `virtual_card`: the wallet's own numberless virtual card, and Anshin as its issuer.
//!
//! The network is a remote API (`vault::NetworkClient`, `anshin sim card-network` in development);
//! without one, every flow that needs it answers `NetworkUnavailable`.

pub mod limits;
mod registration;
pub mod store;
mod threeds;
mod topups;
pub mod virtual_card;

use std::sync::Arc;

pub use limits::CardTestingLimits;
pub use registration::{AddCardRequest, CardAdded};
pub use store::{Card, CardTopUp};
pub use threeds::{Challenge, RReqAnswer};
pub use topups::{CardTopUpRequest, CardTopUpStarted};
pub use virtual_card::{VirtualCard, VirtualCardAuthorization, VirtualCardsConfig};

use crate::identity::{AccountKind as PrincipalKind, Client, Identity, IdentityError, Principal};
use crate::keys::Keys;
use crate::ledger::{Ledger, LedgerError};
use crate::storage::Db;
use crate::wallets::Wallets;

/// Cards one wallet may hold (active or being authenticated).
pub const MAX_CARDS_PER_USER: i64 = 5;
/// Cards and top-ups a list shows, newest first.
pub const MAX_LISTED: i64 = 50;
/// A challenge not finished within this long is abandoned: its top-up or card is declined.
pub const CHALLENGE_ABANDONED_AFTER_MS: i64 = 10 * 60_000;
/// How long the browser's CRes waits for the network's RReq before showing "still checking".
pub const RREQ_WAIT_MS: u64 = 3_000;
/// Stuck top-ups the sweep moves on in one round.
pub const SWEEP_BATCH: i64 = 100;

/// Limits on card top-ups; defaults modest for a wallet that holds lite value.
#[derive(Debug, Clone)]
pub struct CardsConfig {
    /// Where the network's RReq and the browser's CRes reach this service (`public_url`).
    pub public_url: String,
    pub per_top_up_limit_minor: i64,
    pub daily_limit_per_user_minor: i64,
    pub monthly_limit_per_user_minor: i64,
    pub daily_limit_per_card_minor: i64,
    pub monthly_limit_per_card_minor: i64,
    /// An attempted authentication (`A`: the issuer did not take part) credits only up to this.
    pub attempted_cap_minor: i64,
    /// Top-ups from one account within a minute past which the next asks the issuer to challenge
    /// (a 7pay victim's pattern: several top-ups in quick succession).
    pub top_ups_per_minute_signal: i64,
    pub testing: CardTestingLimits,
    /// How long the service waits for the directory server.
    pub ds_timeout_ms: u64,
    /// The wallets' own virtual cards (issuer BIN, hold expiry).
    pub virtual_cards: VirtualCardsConfig,
}

impl Default for CardsConfig {
    fn default() -> Self {
        CardsConfig {
            public_url: "http://127.0.0.1:8080".into(),
            per_top_up_limit_minor: 50_000,
            daily_limit_per_user_minor: 100_000,
            monthly_limit_per_user_minor: 300_000,
            daily_limit_per_card_minor: 100_000,
            monthly_limit_per_card_minor: 300_000,
            attempted_cap_minor: 10_000,
            top_ups_per_minute_signal: 3,
            testing: CardTestingLimits::default(),
            ds_timeout_ms: 3_000,
            virtual_cards: VirtualCardsConfig::default(),
        }
    }
}

/// The card network: where it is and the key both directions carry.
#[derive(Clone)]
pub struct CardNetwork {
    pub client: Arc<vault::NetworkClient>,
    pub api_key: Arc<str>,
}

#[derive(Clone)]
pub struct Cards(Arc<Inner>);

pub struct Inner {
    db: Db,
    keys: Keys,
    identity: Identity,
    ledger: Ledger,
    wallets: Wallets,
    vault: Arc<vault::Vault>,
    network: Option<CardNetwork>,
    config: CardsConfig,
}

impl std::ops::Deref for Cards {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Cards {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        keys: Keys,
        identity: Identity,
        ledger: Ledger,
        vault: Arc<vault::Vault>,
        network: Option<CardNetwork>,
        config: CardsConfig,
    ) -> Cards {
        let wallets = Wallets::new(db.clone(), ledger.clone());
        Cards(Arc::new(Inner { db, keys, identity, ledger, wallets, vault, network, config }))
    }

    pub fn config(&self) -> &CardsConfig {
        &self.config
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn vault(&self) -> &vault::Vault {
        &self.vault
    }

    fn network(&self) -> Result<&CardNetwork, CardsError> {
        self.network.as_ref().ok_or(CardsError::NetworkUnavailable)
    }

    /// Only a signed-in wallet user with a full session adds cards or tops up.
    async fn require_wallet(&self, who: &Principal, what: &str, client: &Client) -> Result<(), CardsError> {
        if who.kind == PrincipalKind::Wallet && who.is_full() {
            Ok(())
        } else {
            Err(self.identity.denied(who, what, client).await.into())
        }
    }

    pub async fn cards(&self, who: &Principal) -> Result<Vec<Card>, CardsError> {
        Ok(store::cards_of(&self.db, &who.user_id, MAX_LISTED).await?)
    }

    /// Re-wrap every vault record under the active key-encryption key, a page at a time, while
    /// the service runs: a record is swapped only if nobody changed it meanwhile. Returns how many
    /// moved.
    pub async fn rewrap_all(db: &Db, vault: &vault::Vault) -> Result<u64, CardsError> {
        const PAGE: i64 = 500;
        let active = vault.active_key_id();
        let mut moved = 0;
        loop {
            let page = store::sealed_not_under(db, &active, PAGE).await?;
            if page.is_empty() {
                return Ok(moved);
            }
            let mut progressed = false;
            for old in &page {
                let new = vault.rewrap(old).map_err(|e| CardsError::Vault(e.to_string()))?;
                if let Some(new) = new
                    && store::rewrap(db, old, &new).await?
                {
                    moved += 1;
                    progressed = true;
                }
            }
            if !progressed {
                return Ok(moved); // another rotation is moving the same rows
            }
        }
    }
}

/// The one error type of the cards context; the HTTP layer maps each variant to a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardsError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String, param: &'static str },
    /// Declined: by the network, by 3-D Secure, by a card-testing limit or a top-up limit. The
    /// code is what the caller may know; a card check's decline is always `card_declined`.
    #[error("declined ({0})")]
    Declined(&'static str),
    /// No card network is configured, or it cannot be reached now.
    #[error("the card network cannot be reached")]
    NetworkUnavailable,
    #[error("{0}")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    /// A vault record that does not open: a key is missing or the row was tampered with.
    #[error("the card vault: {0}")]
    Vault(String),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<sqlx::Error> for CardsError {
    fn from(e: sqlx::Error) -> Self {
        CardsError::Identity(IdentityError::from(e))
    }
}

impl From<LedgerError> for CardsError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Overloaded | LedgerError::ShuttingDown => CardsError::Identity(IdentityError::Unavailable),
            other => CardsError::Identity(IdentityError::Internal(other.to_string())),
        }
    }
}

/// The JST month of `at_ms` (YYYY-MM), which the monthly limits count by.
pub fn jst_month(at_ms: i64) -> String {
    crate::funding::jst_day(at_ms)[..7].to_owned()
}

/// The JST date of `at_ms`, which card expiry is judged by.
pub fn jst_date(at_ms: i64) -> jiff::civil::Date {
    let ts = jiff::Timestamp::from_millisecond(at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    jiff::tz::offset(9).to_datetime(ts).date()
}
