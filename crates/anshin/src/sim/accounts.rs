//! The simulated bank's accounts: where one is (bank, branch, number), what kind it is, whose it
//! is, and the documented test accounts it opens with.

use serde::{Deserialize, Serialize};

/// Balances stay within what the ledger can hold (`ledger::MAX_AMOUNT_MINOR`), so a credit that
/// would pass it is returned rather than wrapped.
pub const MAX_BALANCE_MINOR: i64 = crate::ledger::MAX_AMOUNT_MINOR;

/// 預金種目 as a bank API names it. Zengin's 9 (その他) is not an account anyone can hold here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    Ordinary,
    Current,
    Savings,
}

impl AccountType {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::Ordinary => "ordinary",
            AccountType::Current => "current",
            AccountType::Savings => "savings",
        }
    }

    /// Whether a transfer record's 預金種目 names this kind of account.
    pub fn is(self, kind: zengin::AccountType) -> bool {
        matches!(
            (self, kind),
            (AccountType::Ordinary, zengin::AccountType::Ordinary)
                | (AccountType::Current, zengin::AccountType::Current)
                | (AccountType::Savings, zengin::AccountType::Savings)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Open,
    Closed,
}

/// Where an account is: a real bank and branch from `zengin`, and seven digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountAt {
    pub bank_code: String,
    pub branch_code: String,
    pub account_number: String,
}

/// Why an account's place was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceError {
    /// Well-formed codes that name no branch in the zengin data.
    UnknownBranch(String),
    Malformed(String),
}

impl AccountAt {
    pub fn parse(bank_code: &str, branch_code: &str, account_number: &str) -> Result<AccountAt, PlaceError> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(bank_code, 4) {
            return Err(PlaceError::Malformed("bank_code must be 4 digits".into()));
        }
        if !digits(branch_code, 3) {
            return Err(PlaceError::Malformed("branch_code must be 3 digits".into()));
        }
        if !digits(account_number, 7) {
            return Err(PlaceError::Malformed("account_number must be 7 digits".into()));
        }
        if zengin::branch(bank_code, branch_code).is_none() {
            return Err(PlaceError::UnknownBranch(format!("no branch {branch_code} at bank {bank_code}")));
        }
        Ok(AccountAt {
            bank_code: bank_code.to_owned(),
            branch_code: branch_code.to_owned(),
            account_number: account_number.to_owned(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub at: AccountAt,
    pub account_type: AccountType,
    /// In Zengin form (half-width kana), as an inquiry answers it.
    pub holder_name: String,
    pub balance_minor: i64,
    pub status: AccountStatus,
}

/// Numbers ending in 8 are closed, whatever opened them: a caller can reach a closed account
/// without setting one up.
pub fn closed_by_rule(account_number: &str) -> bool {
    account_number.ends_with('8')
}

/// Numbers ending in 9 refuse every debit for insufficient funds, even after a transfer credits
/// them: the outcome must not depend on what earlier tests paid in.
pub fn unfunded_by_rule(account_number: &str) -> bool {
    account_number.ends_with('9')
}

/// An account the simulator opens with, documented in docs/BANK-SIMULATOR.md.
#[derive(Debug, Clone, Copy)]
pub struct TestAccount {
    pub bank_code: &'static str,
    pub branch_code: &'static str,
    pub account_type: AccountType,
    pub account_number: &'static str,
    pub holder_name: &'static str,
    pub balance_minor: i64,
    pub purpose: &'static str,
}

pub const TEST_ACCOUNTS: &[TestAccount] = &[
    TestAccount {
        bank_code: "0001",
        branch_code: "001",
        account_type: AccountType::Ordinary,
        account_number: "1234567",
        holder_name: "ﾔﾏﾀﾞ ﾀﾛｳ",
        balance_minor: 5_000_000,
        purpose: "a wallet user's account: inquiries and debits succeed",
    },
    TestAccount {
        bank_code: "0001",
        branch_code: "001",
        account_type: AccountType::Ordinary,
        account_number: "1234569",
        holder_name: "ｽｽﾞｷ ﾊﾅｺ",
        balance_minor: 0,
        purpose: "ends in 9: every debit is refused insufficient_funds",
    },
    TestAccount {
        bank_code: "0001",
        branch_code: "001",
        account_type: AccountType::Ordinary,
        account_number: "1234568",
        holder_name: "ｻﾄｳ ｼﾞﾛｳ",
        balance_minor: 0,
        purpose: "ends in 8: closed",
    },
    TestAccount {
        bank_code: "0009",
        branch_code: "200",
        account_type: AccountType::Ordinary,
        account_number: "7654321",
        holder_name: "ｶ)ｱﾝｼﾝ",
        balance_minor: 0,
        purpose: "a merchant's payout account (株式会社アンシン)",
    },
    TestAccount {
        bank_code: "0005",
        branch_code: "001",
        account_type: AccountType::Current,
        account_number: "2345678",
        holder_name: "ｶ)ｻｸﾗｼﾖｳﾃﾝ",
        balance_minor: 0,
        purpose: "ends in 8: a closed merchant account (株式会社さくら商店)",
    },
];

impl TestAccount {
    pub fn open(&self) -> Account {
        Account {
            at: AccountAt {
                bank_code: self.bank_code.to_owned(),
                branch_code: self.branch_code.to_owned(),
                account_number: self.account_number.to_owned(),
            },
            account_type: self.account_type,
            holder_name: self.holder_name.to_owned(),
            balance_minor: self.balance_minor,
            status: if closed_by_rule(self.account_number) { AccountStatus::Closed } else { AccountStatus::Open },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_account_is_at_a_real_branch_under_a_zengin_name() {
        for t in TEST_ACCOUNTS {
            let at = AccountAt::parse(t.bank_code, t.branch_code, t.account_number);
            assert!(at.is_ok(), "{t:?}: {at:?}");
            let zengin_form = zengin::holder_name(t.holder_name).map(|n| n.as_str().to_owned());
            assert_eq!(zengin_form.as_deref(), Ok(t.holder_name), "{t:?}");
        }
    }

    #[test]
    fn places_are_digits_at_a_known_branch() {
        assert!(AccountAt::parse("0001", "001", "1234567").is_ok());
        assert!(matches!(AccountAt::parse("0001", "999", "1234567"), Err(PlaceError::UnknownBranch(_))));
        assert!(matches!(AccountAt::parse("1", "001", "1234567"), Err(PlaceError::Malformed(_))));
        assert!(matches!(AccountAt::parse("0001", "001", "123456"), Err(PlaceError::Malformed(_))));
        assert!(matches!(AccountAt::parse("０００１", "001", "1234567"), Err(PlaceError::Malformed(_))));
    }
}
