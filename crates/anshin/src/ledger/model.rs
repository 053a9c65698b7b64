//! Ledger domain types. Values are parsed into these types once, at the edge, so the engine
//! never sees an unchecked currency code, kind or amount.

use serde::{Deserialize, Serialize};

use crate::notify::OutboxMessage;

/// Largest absolute amount in one posting or hold: 10^15 minor units (a quadrillion yen) is
/// far beyond any real payment and keeps every sum well inside i64.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;
/// Most postings one journal entry may carry.
pub const MAX_POSTINGS_PER_ENTRY: usize = 64;
/// Longest a hold may reserve funds before it expires by itself.
pub const MAX_HOLD_TTL_SECS: i64 = 30 * 24 * 3600;
pub const MAX_KEY_CHARS: usize = 255;
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// ISO 4217 alphabetic code. Minor units are the currency's smallest unit (JPY has no decimals).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn parse(code: &str) -> Result<Currency, LedgerError> {
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(code.to_owned()))
        } else {
            Err(LedgerError::InvalidCommand(format!(
                "currency must be a three-letter ISO 4217 code in capitals, got {code:?}"
            )))
        }
    }
    pub fn jpy() -> Currency {
        Currency("JPY".into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Currency {
    type Error = LedgerError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s)
    }
}
impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}
impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an account is for. The platform's books: wallets and merchant receivables are what the
/// platform owes; clearing accounts are what networks and banks owe the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A wallet's money: identity-verified funds (sendable and withdrawable).
    UserWallet,
    /// A wallet's lite balance: prepaid value, never withdrawable.
    UserLite,
    /// A wallet's points.
    UserPoints,
    /// What campaigns have granted as points (the platform's expense, hence negative).
    CampaignFunding,
    MerchantReceivable,
    PlatformFeeIncome,
    ConsumptionTaxPayable,
    CardFundingClearing,
    BankClearing,
    LossReserve,
    Suspense,
    /// What a settlement owes a merchant until its payout leaves (fees and tax already taken).
    MerchantPayable,
    /// Payouts in a transfer file the bank has not yet paid or returned.
    PayoutClearing,
    /// What Anshin as a virtual card's issuer owes the card network for purchases it settled.
    CardIssuingSettlement,
}

impl AccountKind {
    pub const ALL: [AccountKind; 14] = [
        AccountKind::UserWallet,
        AccountKind::UserLite,
        AccountKind::UserPoints,
        AccountKind::CampaignFunding,
        AccountKind::MerchantReceivable,
        AccountKind::PlatformFeeIncome,
        AccountKind::ConsumptionTaxPayable,
        AccountKind::CardFundingClearing,
        AccountKind::BankClearing,
        AccountKind::LossReserve,
        AccountKind::Suspense,
        AccountKind::MerchantPayable,
        AccountKind::PayoutClearing,
        AccountKind::CardIssuingSettlement,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::UserWallet => "user_wallet",
            AccountKind::UserLite => "user_lite",
            AccountKind::UserPoints => "user_points",
            AccountKind::CampaignFunding => "campaign_funding",
            AccountKind::MerchantReceivable => "merchant_receivable",
            AccountKind::PlatformFeeIncome => "platform_fee_income",
            AccountKind::ConsumptionTaxPayable => "consumption_tax_payable",
            AccountKind::CardFundingClearing => "card_funding_clearing",
            AccountKind::BankClearing => "bank_clearing",
            AccountKind::LossReserve => "loss_reserve",
            AccountKind::Suspense => "suspense",
            AccountKind::MerchantPayable => "merchant_payable",
            AccountKind::PayoutClearing => "payout_clearing",
            AccountKind::CardIssuingSettlement => "card_issuing_settlement",
        }
    }
    pub fn parse(s: &str) -> Option<AccountKind> {
        AccountKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// Accounts holding money the platform owes someone may never be overdrawn.
    pub fn default_flags(self) -> AccountFlags {
        match self {
            AccountKind::UserWallet
            | AccountKind::UserLite
            | AccountKind::UserPoints
            | AccountKind::MerchantReceivable
            | AccountKind::MerchantPayable
            | AccountKind::PayoutClearing
            | AccountKind::LossReserve => AccountFlags::NO_NEGATIVE,
            _ => AccountFlags::NONE,
        }
    }
}

/// Account flags, stored as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFlags(pub i64);

impl AccountFlags {
    pub const NONE: AccountFlags = AccountFlags(0);
    /// Available balance (posted minus reserved by holds) may never go below zero.
    pub const NO_NEGATIVE: AccountFlags = AccountFlags(1);
    pub fn no_negative(self) -> bool {
        self.0 & Self::NO_NEGATIVE.0 != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    pub kind: AccountKind,
    pub currency: Currency,
    pub flags: AccountFlags,
    /// The principal the account belongs to (`usr_…`, `mer_…`), if any.
    pub owner_ref: Option<String>,
}

/// One line of a journal entry. Sign convention: credit positive, debit negative; a journal
/// entry's postings sum to zero per currency. An account's balance is the sum of its postings,
/// so a wallet holding ¥1,000 has balance +1000 and a card clearing account it was funded from -1000.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub account_id: String,
    pub currency: Currency,
    pub amount_minor: i64,
}

/// What a caller asks the ledger to do. Every command carries a client idempotency key: a
/// repeat with the same content returns the first result; the same key with other content is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// A journal entry of two or more postings.
    Post { key: String, kind: String, description: String, postings: Vec<Posting> },
    /// Reserve `amount_minor` from `debit_account_id` towards `credit_account_id` (two-phase, pending).
    Hold {
        key: String,
        debit_account_id: String,
        credit_account_id: String,
        currency: Currency,
        amount_minor: i64,
        ttl_secs: i64,
    },
    /// Post up to the held amount; the rest is released.
    Capture { key: String, hold_id: String, amount_minor: i64 },
    /// Release a hold without moving money.
    Void { key: String, hold_id: String },
    /// A new entry with every posting of `entry_id` negated; entries are never changed or deleted.
    Reverse { key: String, entry_id: String },
}

impl Command {
    pub fn key(&self) -> &str {
        match self {
            Command::Post { key, .. }
            | Command::Hold { key, .. }
            | Command::Capture { key, .. }
            | Command::Void { key, .. }
            | Command::Reverse { key, .. } => key,
        }
    }

    /// Convenience: a two-posting entry moving `amount_minor` from one account to another.
    pub fn transfer(
        key: impl Into<String>,
        from: &str,
        to: &str,
        currency: &Currency,
        amount_minor: i64,
        kind: &str,
    ) -> Command {
        Command::Post {
            key: key.into(),
            kind: kind.into(),
            description: String::new(),
            postings: vec![
                Posting { account_id: from.into(), currency: currency.clone(), amount_minor: -amount_minor },
                Posting { account_id: to.into(), currency: currency.clone(), amount_minor },
            ],
        }
    }
}

/// Who asked, for the audit record written with the entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub actor: String,
    pub request_id: String,
}

/// A command with its audit origin, the messages to send and the rows of other contexts to write
/// if (and only if) it commits.
#[derive(Debug, Clone)]
pub struct Request {
    pub command: Command,
    pub origin: Origin,
    pub notify: Vec<OutboxMessage>,
    pub effects: Vec<Effect>,
}

/// A statement of another context run in the ledger's transaction right after the command's own
/// rows, only when the command applied (never on an idempotent replay): a payment row beside its
/// journal entry, a one-time code's counter moved on. With `expect_rows`, the statement is also a
/// condition: touching any other number of rows refuses the command (`EffectRefused`) and writes
/// nothing of it, while the rest of its batch commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    pub sql: &'static str,
    pub binds: Vec<EffectValue>,
    pub expect_rows: Option<u64>,
    /// What `EffectRefused` says when the condition fails.
    pub refusal: &'static str,
    /// How effects of this kind in one batch run as one statement, when that can be said.
    pub batch: Option<BatchSql>,
}

/// One statement for all of a batch's effects of one kind: `head`, then `row` once per effect
/// (its `$k` name that effect's binds, in any order and as often as needed; `$0` is the row's
/// position in the statement, from 1), joined by commas, then `tail`. It must touch exactly the
/// rows the single statements would, so that its row count tells whether every condition held;
/// when one did not, the batch runs again one statement per effect, which finds the command to
/// refuse. A batch of a thousand payments then costs a few statements instead of thousands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSql {
    pub head: &'static str,
    pub row: &'static str,
    pub tail: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EffectValue {
    Text(String),
    Int(i64),
    /// The id of what the command made (its entry or hold), known only once it applies.
    OutcomeId,
}

impl From<Command> for Request {
    fn from(command: Command) -> Self {
        Request {
            command,
            origin: Origin { actor: "system".into(), request_id: String::new() },
            notify: Vec::new(),
            effects: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outcome {
    Entry { entry_id: String },
    Hold { hold_id: String },
    Voided { hold_id: String },
}

impl Outcome {
    pub(crate) fn kind_and_id(&self) -> (&'static str, &str) {
        match self {
            Outcome::Entry { entry_id } => ("entry", entry_id),
            Outcome::Hold { hold_id } => ("hold", hold_id),
            Outcome::Voided { hold_id } => ("void", hold_id),
        }
    }
    pub(crate) fn from_kind_and_id(kind: &str, id: String) -> Outcome {
        match kind {
            "hold" => Outcome::Hold { hold_id: id },
            "void" => Outcome::Voided { hold_id: id },
            _ => Outcome::Entry { entry_id: id },
        }
    }
}

/// The result of a command that succeeded; `replayed` says it was an idempotent repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub outcome: Outcome,
    pub replayed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", content = "detail", rename_all = "snake_case")]
pub enum LedgerError {
    #[error("invalid command: {0}")]
    InvalidCommand(String),
    #[error("account {0} does not exist")]
    AccountNotFound(String),
    #[error("account {account_id} holds {account_currency}, not {posting_currency}")]
    CurrencyMismatch { account_id: String, account_currency: String, posting_currency: String },
    #[error("postings do not sum to zero in {0}")]
    Unbalanced(String),
    #[error("insufficient funds in account {0}")]
    InsufficientFunds(String),
    #[error("hold {0} does not exist")]
    HoldNotFound(String),
    #[error("hold {hold_id} is {status}, not pending")]
    HoldNotPending { hold_id: String, status: String },
    #[error("hold {0} has expired")]
    HoldExpired(String),
    #[error("capture of {requested_minor} exceeds the held {held_minor}")]
    CaptureExceedsHold { requested_minor: i64, held_minor: i64 },
    #[error("entry {0} does not exist")]
    EntryNotFound(String),
    #[error("entry {0} has already been reversed")]
    AlreadyReversed(String),
    #[error("entry {0} is itself a reversal and cannot be reversed")]
    CannotReverseReversal(String),
    #[error("idempotency key {0:?} was already used with different content")]
    IdempotencyConflict(String),
    /// A condition of another context written with the command did not hold (`Effect`).
    #[error("refused: {0}")]
    /// The effect's own `refusal`, so callers match on it as written.
    EffectRefused(&'static str),
    #[error("the ledger is overloaded; retry shortly")]
    Overloaded,
    #[error("the ledger is shutting down")]
    ShuttingDown,
    #[error("storage error: {0}")]
    Storage(String),
}

impl From<sqlx::Error> for LedgerError {
    fn from(e: sqlx::Error) -> Self {
        LedgerError::Storage(e.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub kind: String,
    pub currency: String,
    pub flags: i64,
    pub owner_ref: Option<String>,
    /// Sum of all postings (credit positive).
    pub balance_minor: i64,
    /// Reserved by pending holds on the paying side.
    pub pending_debit_minor: i64,
    /// Expected from pending holds on the receiving side.
    pub pending_credit_minor: i64,
    /// What may be spent now: posted balance less what holds reserve.
    pub available_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub posting_id: i64,
    pub entry_id: String,
    pub kind: String,
    pub description: String,
    pub amount_minor: i64,
    pub balance_after_minor: i64,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementPage {
    pub lines: Vec<StatementLine>,
    /// Pass as `before` to get the next (older) page; `None` when this is the last page.
    pub next_before: Option<i64>,
}
