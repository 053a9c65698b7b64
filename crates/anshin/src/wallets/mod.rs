//! Wallets: each user's three balances, each its own ledger account. Money is identity-verified
//! (sendable and withdrawable later), lite is prepaid (never withdrawable) and points are a
//! campaign's gift. A payment spends points first, then lite, then money; a refund goes back to
//! the parts it came from. Accounts are opened on first use.

mod store;

use serde::Serialize;

use crate::ledger::{AccountKind, Currency, Ledger, LedgerError, NewAccount};
use crate::storage::{Db, now_ms};

/// A wallet's three ledger accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletAccounts {
    pub user_id: String,
    pub money: String,
    pub lite: String,
    pub points: String,
}

/// What a wallet holds, in yen (available: less what holds reserve).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Balances {
    pub money_minor: i64,
    pub lite_minor: i64,
    pub points_minor: i64,
    pub total_minor: i64,
}

impl Balances {
    pub fn new(money_minor: i64, lite_minor: i64, points_minor: i64) -> Balances {
        Balances { money_minor, lite_minor, points_minor, total_minor: money_minor + lite_minor + points_minor }
    }
}

/// How a payment is paid from the three parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Split {
    pub points_minor: i64,
    pub lite_minor: i64,
    pub money_minor: i64,
}

impl Split {
    /// Points first, then lite, then money; `None` when the three together are not enough.
    pub fn spend(amount_minor: i64, available: &Balances) -> Option<Split> {
        debug_assert!(amount_minor > 0);
        let points_minor = amount_minor.min(available.points_minor.max(0));
        let lite_minor = (amount_minor - points_minor).min(available.lite_minor.max(0));
        let money_minor = amount_minor - points_minor - lite_minor;
        (money_minor <= available.money_minor.max(0)).then_some(Split { points_minor, lite_minor, money_minor })
    }

    pub fn total(&self) -> i64 {
        self.points_minor + self.lite_minor + self.money_minor
    }
}

/// Wallets whose account ids are remembered in memory (they never change once opened); past
/// this the memory starts over, so it stays bounded.
const ACCOUNT_CACHE_MAX: usize = 100_000;

#[derive(Clone)]
pub struct Wallets {
    db: Db,
    ledger: Ledger,
    cache: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, WalletAccounts>>>,
}

impl Wallets {
    pub fn new(db: Db, ledger: Ledger) -> Wallets {
        Wallets { db, ledger, cache: Default::default() }
    }

    /// The user's accounts, opened on first use. Two first uses at once both open accounts; one
    /// set wins the insert and the other stays empty and unused, which is harmless.
    pub async fn accounts(&self, user_id: &str) -> Result<WalletAccounts, LedgerError> {
        if let Some(accounts) = self.cache.lock().expect("not poisoned").get(user_id) {
            return Ok(accounts.clone());
        }
        if let Some(accounts) = store::by_user(&self.db, user_id).await? {
            self.remember(&accounts);
            return Ok(accounts);
        }
        let open = |kind: AccountKind| NewAccount {
            kind,
            currency: Currency::jpy(),
            flags: kind.default_flags(),
            owner_ref: Some(user_id.to_owned()),
        };
        let accounts = WalletAccounts {
            user_id: user_id.to_owned(),
            money: self.ledger.open_account(&open(AccountKind::UserWallet)).await?,
            lite: self.ledger.open_account(&open(AccountKind::UserLite)).await?,
            points: self.ledger.open_account(&open(AccountKind::UserPoints)).await?,
        };
        store::insert(&self.db, &accounts, now_ms()).await?;
        Ok(store::by_user(&self.db, user_id).await?.expect("a wallet row exists after the insert"))
    }

    fn remember(&self, accounts: &WalletAccounts) {
        let mut cache = self.cache.lock().expect("not poisoned");
        if cache.len() >= ACCOUNT_CACHE_MAX {
            cache.clear();
        }
        cache.insert(accounts.user_id.clone(), accounts.clone());
    }

    /// What the wallet can spend now, per part.
    pub async fn balances(&self, accounts: &WalletAccounts) -> Result<Balances, LedgerError> {
        let parts = self.ledger.available(&[&accounts.money, &accounts.lite, &accounts.points]).await?;
        Ok(Balances::new(parts[0], parts[1], parts[2]))
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(points: i64, lite: i64, money: i64) -> Balances {
        Balances { money_minor: money, lite_minor: lite, points_minor: points, total_minor: points + lite + money }
    }

    #[test]
    fn a_payment_spends_points_then_lite_then_money() {
        let s = Split::spend(1_000, &held(300, 500, 10_000)).unwrap();
        assert_eq!((s.points_minor, s.lite_minor, s.money_minor), (300, 500, 200));
        let s = Split::spend(100, &held(300, 500, 0)).unwrap();
        assert_eq!((s.points_minor, s.lite_minor, s.money_minor), (100, 0, 0));
        assert_eq!(Split::spend(801, &held(300, 500, 0)), None, "never more than the three together");
        assert_eq!(Split::spend(800, &held(300, 500, 0)).unwrap().total(), 800);
    }

    proptest::proptest! {
        #[test]
        fn a_split_always_adds_up_and_never_overdraws_a_part(
            amount in 1i64..10_000_000, points in 0i64..5_000_000, lite in 0i64..5_000_000, money in 0i64..5_000_000,
        ) {
            let available = held(points, lite, money);
            match Split::spend(amount, &available) {
                Some(s) => {
                    proptest::prop_assert_eq!(s.total(), amount);
                    proptest::prop_assert!(s.points_minor <= points && s.lite_minor <= lite && s.money_minor <= money);
                    proptest::prop_assert!(s.points_minor >= 0 && s.lite_minor >= 0 && s.money_minor >= 0);
                    // Money is touched only when points and lite are used up.
                    proptest::prop_assert!(s.money_minor == 0 || (s.points_minor == points && s.lite_minor == lite));
                }
                None => proptest::prop_assert!(amount > points + lite + money),
            }
        }
    }
}
