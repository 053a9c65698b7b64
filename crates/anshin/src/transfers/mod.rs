//! Transfers: money sent from one wallet's money balance to another's, and requests for money.
//!
//! Only the money balance moves (identity-verified funds: PAYMENTS-DOMAIN §5, a 資金移動業
//! licence's business); lite and points never leave the wallet they were bought or given in.
//! Both ends are identity-verified wallets: the payer because money leaving a wallet is what a
//! takeover is after (THREATS M6), the payee because money held for a fund-transfer customer is
//! held for a known person.
//!
//! A transfer is two steps for the person sending. First they name the payee (e-mail or phone)
//! and are shown the payee's display name, with a sealed, short-lived payee token
//! (`payees.rs`); then they send an amount with that token (`send.rs`). A request for money is a
//! link (and QR code) whose page shows the requester's display name; paying it is the payer's
//! confirmation (`requests.rs`). Every check that can race is a statement in the ledger's
//! transaction: the limits' upsert, the payee's holding cap, the cooling-off, the step-up grant.

mod payees;
mod requests;
mod send;
pub mod store;

use std::sync::Arc;

pub use payees::{Payee, PayeeLookup};
pub use requests::{MoneyRequestCreate, MoneyRequestView};
pub use send::SendRequest;
pub use store::{MoneyRequest, Transfer};

use crate::identity::{AccountKind, Client, Identity, IdentityError, Principal};
use crate::keys::Keys;
use crate::ledger::{Ledger, LedgerError};
use crate::storage::Db;
use crate::wallets::Wallets;

/// Transfers one list shows at once, newest first.
pub const MAX_LISTED: i64 = 50;
/// The most characters a transfer's or request's message may have.
pub const MAX_MESSAGE_CHARS: usize = 40;

/// The 資金移動業 licence the operator holds, which caps one transfer (PAYMENTS-DOMAIN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Licence {
    /// 第一種: no cap per transfer (authorisation needed; funds may not linger).
    Type1,
    /// 第二種: 1,000,000 JPY per transfer.
    Type2,
    /// 第三種: 50,000 JPY per transfer.
    Type3,
}

impl Licence {
    pub fn per_transfer_cap_minor(self) -> i64 {
        match self {
            Licence::Type1 => crate::ledger::MAX_AMOUNT_MINOR,
            Licence::Type2 => 1_000_000,
            Licence::Type3 => 50_000,
        }
    }

    pub fn parse(s: &str) -> Option<Licence> {
        match s {
            "type1" => Some(Licence::Type1),
            "type2" => Some(Licence::Type2),
            "type3" => Some(Licence::Type3),
            _ => None,
        }
    }
}

/// Limits on transfers. Defaults: the type-2 cap, daily and monthly totals a person paying rent
/// and splitting bills stays within, and a second factor above the same threshold as payments.
#[derive(Debug, Clone)]
pub struct TransfersConfig {
    pub licence: Licence,
    /// The most one transfer may be: the licence's cap unless configured lower.
    pub per_transfer_limit_minor: i64,
    /// The most one user may send per JST calendar day, and per calendar month.
    pub daily_limit_minor: i64,
    pub monthly_limit_minor: i64,
    /// Transfers above this need a fresh second factor (a `send_money` step-up grant).
    pub step_up_above_minor: i64,
    /// The most a payee's money balance may hold after the transfer (PayPayマネー's 100万円).
    pub holding_cap_minor: i64,
    /// How long a payee token (the confirmed payee) stays usable.
    pub payee_ttl_secs: i64,
    /// Payee lookups one user may make per hour: each shows a name, so it is an oracle to ration.
    pub payee_lookups_per_hour: i64,
    /// How long a request for money stays payable.
    pub request_ttl_secs: i64,
    /// Open requests one user may have at once.
    pub max_open_requests: i64,
}

impl Default for TransfersConfig {
    fn default() -> Self {
        TransfersConfig::for_licence(Licence::Type2)
    }
}

impl TransfersConfig {
    pub fn for_licence(licence: Licence) -> TransfersConfig {
        TransfersConfig {
            licence,
            per_transfer_limit_minor: licence.per_transfer_cap_minor(),
            daily_limit_minor: 1_000_000,
            monthly_limit_minor: 3_000_000,
            step_up_above_minor: 50_000,
            holding_cap_minor: 1_000_000,
            payee_ttl_secs: 600,
            payee_lookups_per_hour: 30,
            request_ttl_secs: 72 * 3600,
            max_open_requests: 20,
        }
    }

    /// The per-transfer limit in force: never above the licence's cap, whatever is configured.
    pub fn per_transfer_minor(&self) -> i64 {
        self.per_transfer_limit_minor.min(self.licence.per_transfer_cap_minor())
    }
}

#[derive(Clone)]
pub struct Transfers {
    db: Db,
    keys: Keys,
    identity: Identity,
    ledger: Ledger,
    wallets: Wallets,
    config: Arc<TransfersConfig>,
}

impl Transfers {
    pub fn new(db: Db, keys: Keys, identity: Identity, ledger: Ledger, config: TransfersConfig) -> Transfers {
        let wallets = Wallets::new(db.clone(), ledger.clone());
        Transfers { db, keys, identity, ledger, wallets, config: Arc::new(config) }
    }

    pub fn config(&self) -> &TransfersConfig {
        &self.config
    }

    /// Wallet users with a full session only: staff and operators hold no wallet.
    async fn require_wallet(&self, who: &Principal, what: &str, client: &Client) -> Result<(), TransfersError> {
        if who.kind == AccountKind::Wallet && who.is_full() {
            Ok(())
        } else {
            Err(self.identity.denied(who, what, client).await.into())
        }
    }
}

/// The name another wallet user sees: the family name (the first word) and the initial of each
/// other word, so a payer can recognise the person without the service handing out full legal
/// names to anyone who knows an e-mail address. "山田 太郎" → "山田 太.", "Taro Yamada" → "Taro Y.".
pub fn display_name(legal_name: &str) -> String {
    let mut words = legal_name.split(|c: char| c.is_whitespace() || c == '\u{3000}').filter(|w| !w.is_empty());
    let Some(first) = words.next() else {
        return String::new();
    };
    let rest: Vec<String> = words.filter_map(|w| w.chars().next()).map(|c| format!("{c}.")).collect();
    if rest.is_empty() {
        // One word: its first two characters, the rest hidden.
        let shown: String = first.chars().take(2).collect();
        return if first.chars().count() > 2 { format!("{shown}＊") } else { shown };
    }
    format!("{first} {}", rest.join(" "))
}

/// The JST calendar day and month of `at_ms`, as the limits count them.
pub fn periods(at_ms: i64) -> (String, String) {
    let day = crate::funding::jst_day(at_ms);
    let month = day.get(..7).unwrap_or_default().to_owned();
    (format!("d:{day}"), format!("m:{month}"))
}

/// The one error type of the transfers context; the HTTP layer maps each variant to a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransfersError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String, param: &'static str },
    /// A limit, the balance, the payee or the decision point said no.
    #[error("the transfer was declined ({0})")]
    Declined(&'static str),
    /// No wallet that can receive money answers to that e-mail or phone (also: the payee token
    /// is not this payer's, or has expired).
    #[error("no such payee")]
    NoSuchPayee,
    #[error("{0}")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<sqlx::Error> for TransfersError {
    fn from(e: sqlx::Error) -> Self {
        TransfersError::Identity(IdentityError::from(e))
    }
}

impl From<LedgerError> for TransfersError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Overloaded | LedgerError::ShuttingDown => TransfersError::Identity(IdentityError::Unavailable),
            LedgerError::InsufficientFunds(_) => TransfersError::Declined("insufficient_money"),
            other => TransfersError::Identity(IdentityError::Internal(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_display_name_keeps_the_family_name_and_initials() {
        assert_eq!(display_name("山田 太郎"), "山田 太.");
        assert_eq!(display_name("山田　花子"), "山田 花.");
        assert_eq!(display_name("Taro Yamada"), "Taro Y.");
        assert_eq!(display_name("Anne Marie Smith"), "Anne M. S.");
        assert_eq!(display_name("山田太郎"), "山田＊");
        assert_eq!(display_name("Li"), "Li");
        assert_eq!(display_name("   "), "");
    }

    #[test]
    fn the_licence_caps_the_configured_limit() {
        let mut c = TransfersConfig::for_licence(Licence::Type3);
        assert_eq!(c.per_transfer_minor(), 50_000);
        c.per_transfer_limit_minor = 2_000_000;
        assert_eq!(c.per_transfer_minor(), 50_000, "configuration cannot pass the licence's cap");
        assert_eq!(TransfersConfig::default().per_transfer_minor(), 1_000_000);
    }

    #[test]
    fn periods_are_jst_days_and_months() {
        // 2026-11-30T15:30:00Z is 2026-12-01 00:30 in Tokyo.
        assert_eq!(periods(1_796_052_600_000), ("d:2026-12-01".into(), "m:2026-12".into()));
    }
}
