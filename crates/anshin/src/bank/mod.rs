//! The bank, as the service sees it: a remote HTTP API (in development and tests the simulator,
//! `anshin sim bank`) that answers account inquiries, pulls money from a linked account by
//! debit, and pays out by Zengin total-transfer file.
//!
//! Values are parsed once on the way in (`AccountRef`, `DebitRequest`), so the client never sends
//! a request the bank could refuse for its shape. Every answer is read strictly: a shape the
//! client does not know is a `Protocol` error, never a guess, because a guessed "confirmed"
//! would credit a wallet with money that never arrived.

mod client;

use std::fmt;
use std::str::FromStr;

pub use client::{BankClient, CONNECT_TIMEOUT_SECS, MAX_ANSWER_BYTES, TIMEOUT_SECS};

/// The most one debit may ask for: what the ledger can hold in one amount.
pub const MAX_DEBIT_MINOR: i64 = crate::ledger::MAX_AMOUNT_MINOR;
/// A debit id is the caller's idempotency key at the bank; this is the shape the bank accepts.
pub const MAX_ID_CHARS: usize = 64;

/// 預金種目.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// 普通預金.
    Ordinary,
    /// 当座預金.
    Current,
    /// 貯蓄預金.
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
}

impl FromStr for AccountType {
    type Err = BankError;

    fn from_str(s: &str) -> Result<Self, BankError> {
        match s {
            "ordinary" => Ok(AccountType::Ordinary),
            "current" => Ok(AccountType::Current),
            "savings" => Ok(AccountType::Savings),
            _ => Err(BankError::Invalid("account_type must be ordinary, current or savings".into())),
        }
    }
}

/// A bank account in Japan: a bank and branch that exist in the zengin data, its type, and a
/// seven-digit number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountRef {
    bank_code: String,
    branch_code: String,
    account_type: AccountType,
    account_number: String,
}

impl AccountRef {
    pub fn parse(
        bank_code: &str,
        branch_code: &str,
        account_type: AccountType,
        account_number: &str,
    ) -> Result<AccountRef, BankError> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(bank_code, 4) || !digits(branch_code, 3) || !digits(account_number, 7) {
            return Err(BankError::Invalid(
                "an account is a 4-digit bank code, a 3-digit branch code and a 7-digit number".into(),
            ));
        }
        if zengin::branch(bank_code, branch_code).is_none() {
            return Err(BankError::Invalid(format!("no branch {branch_code} at bank {bank_code}")));
        }
        Ok(AccountRef {
            bank_code: bank_code.to_owned(),
            branch_code: branch_code.to_owned(),
            account_type,
            account_number: account_number.to_owned(),
        })
    }

    pub fn bank_code(&self) -> &str {
        &self.bank_code
    }

    pub fn branch_code(&self) -> &str {
        &self.branch_code
    }

    pub fn account_type(&self) -> AccountType {
        self.account_type
    }

    pub fn account_number(&self) -> &str {
        &self.account_number
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Open,
    Closed,
}

/// What an account inquiry learns. The holder's name is in Zengin form (`ﾔﾏﾀﾞ ﾀﾛｳ`); compare
/// it with `zengin::names_match`, where only `Exact` is a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiry {
    pub holder_name: String,
    pub status: AccountStatus,
}

/// A request to pull money from a linked account. The `debit_id` is chosen by the caller and
/// makes the request idempotent: sent again (after a time-out, say) it never debits twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitRequest {
    debit_id: String,
    account: AccountRef,
    amount_minor: i64,
    holder_name: String,
}

impl DebitRequest {
    /// The holder's name may be in any writing the zengin crate reads (ヤマダ タロウ,
    /// ﾔﾏﾀﾞ ﾀﾛｳ); it is sent in Zengin form.
    pub fn new(
        debit_id: &str,
        account: AccountRef,
        amount_minor: i64,
        holder_name: &str,
    ) -> Result<DebitRequest, BankError> {
        check_id("debit_id", debit_id)?;
        if !(1..=MAX_DEBIT_MINOR).contains(&amount_minor) {
            return Err(BankError::Invalid(format!("amount_minor must be 1 to {MAX_DEBIT_MINOR}")));
        }
        let holder_name =
            zengin::holder_name(holder_name).map_err(|e| BankError::Invalid(format!("holder_name: {e}")))?;
        Ok(DebitRequest { debit_id: debit_id.to_owned(), account, amount_minor, holder_name: holder_name.to_string() })
    }

    pub fn debit_id(&self) -> &str {
        &self.debit_id
    }

    pub fn account(&self) -> &AccountRef {
        &self.account
    }

    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    /// In Zengin form.
    pub fn holder_name(&self) -> &str {
        &self.holder_name
    }
}

/// A debit as the bank last reported it. Only `Confirmed` means the money left the account:
/// credit the wallet then, and only then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debit {
    pub debit_id: String,
    pub status: DebitStatus,
    pub amount_minor: i64,
    /// When the bank decided, in UTC milliseconds; `None` while pending.
    pub decided_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DebitStatus {
    Pending,
    Confirmed,
    Refused(RefusalReason),
}

/// Why the bank refused a debit. No money moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalReason {
    InsufficientFunds,
    NoSuchAccount,
    AccountClosed,
    NameMismatch,
    /// Above the bank's limit for one debit.
    LimitExceeded,
    /// A reason this client does not know, as the bank named it. Still a refusal: nothing moved.
    Other(String),
}

/// The bank took a transfer file. The same bytes sent again get the same `file_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAccepted {
    pub file_id: String,
    pub records: u64,
    pub total_minor: i64,
}

/// What can go wrong talking to the bank. No variant carries the API key, a header, or the
/// bank's answer beyond a short, cleaned code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    /// The bank has no such account, debit or file.
    #[error("the bank knows no such account, debit or file")]
    NotFound,
    /// The account exists but is closed.
    #[error("the bank account is closed")]
    Closed,
    /// The bank understood the request and said no: a wrong API key (`unauthorized`), a debit
    /// id reused for another debit (`debit_id_reused`), or another code of the bank's.
    #[error("the bank refused the request: {reason}")]
    Refused { reason: String },
    /// The request itself is wrong; the bank would refuse it again (400), or it was never sent.
    #[error("invalid bank request: {0}")]
    Invalid(String),
    /// The bank could not be reached, timed out or failed (5xx). Worth retrying later, with the
    /// same debit id.
    #[error("the bank is unavailable: {0}")]
    Unavailable(String),
    /// The bank answered something this client cannot read. Nothing is assumed from it.
    #[error("unreadable answer from the bank: {0}")]
    Protocol(String),
}

/// Where the bank is and the key it wants; `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct BankConfig {
    pub base_url: String,
    pub api_key: String,
}

impl BankConfig {
    /// Checked as `BankClient::new` would check them, so a bad setting stops the start.
    pub fn new(base_url: &str, api_key: &str) -> Result<BankConfig, BankError> {
        client::check_base_url(base_url)?;
        client::check_api_key(api_key)?;
        Ok(BankConfig { base_url: base_url.to_owned(), api_key: api_key.to_owned() })
    }

    pub fn client(&self) -> Result<BankClient, BankError> {
        BankClient::new(&self.base_url, &self.api_key)
    }
}

impl fmt::Debug for BankConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BankConfig").field("base_url", &self.base_url).field("api_key", &"<redacted>").finish()
    }
}

/// Ids go into URL paths, so only characters that need no escaping are allowed.
fn check_id(field: &str, id: &str) -> Result<(), BankError> {
    let ok = (1..=MAX_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(())
        .ok_or_else(|| BankError::Invalid(format!("{field} must be 1 to {MAX_ID_CHARS} of A-Z a-z 0-9 - _")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_parsed_once_against_the_zengin_data() {
        let a = AccountRef::parse("0001", "001", AccountType::Ordinary, "1234567").unwrap();
        assert_eq!((a.bank_code(), a.branch_code(), a.account_number()), ("0001", "001", "1234567"));
        for (bank, branch, number) in [("001", "001", "1234567"), ("0001", "01", "1234567"), ("0001", "001", "123456a")]
        {
            assert!(matches!(
                AccountRef::parse(bank, branch, AccountType::Ordinary, number),
                Err(BankError::Invalid(_))
            ));
        }
        let unknown = AccountRef::parse("0001", "999", AccountType::Ordinary, "1234567");
        assert_eq!(unknown, Err(BankError::Invalid("no branch 999 at bank 0001".into())));
        assert_eq!("current".parse::<AccountType>(), Ok(AccountType::Current));
        assert!("checking".parse::<AccountType>().is_err());
    }

    #[test]
    fn a_debit_request_carries_the_holder_in_zengin_form() {
        let a = AccountRef::parse("0001", "001", AccountType::Ordinary, "1234567").unwrap();
        let d = DebitRequest::new("topup_1", a.clone(), 5_000, "ヤマダ タロウ").unwrap();
        assert_eq!(d.holder_name(), "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert!(DebitRequest::new("topup 1", a.clone(), 5_000, "ヤマダ").is_err(), "a space in the id");
        assert!(DebitRequest::new("t", a.clone(), 0, "ヤマダ").is_err());
        assert!(DebitRequest::new("t", a, 1, "山田").is_err(), "a kanji name has no Zengin form");
    }

    #[test]
    fn the_config_never_shows_its_key() {
        let c = BankConfig::new("http://127.0.0.1:9100", "k-0123456789abcdef").unwrap();
        assert!(!format!("{c:?}").contains("0123456789"));
    }
}
