//! The simulated bank's books: accounts, debits and transfer files, in memory.
//!
//! Every change goes through `&mut Books` under the server's one lock, so a debit is looked up,
//! decided and applied in one step, and twenty identical requests at once make one debit.
//!
//! Debits and files are decided lazily: each request first decides whatever has waited out the
//! confirm delay (`settle`), oldest first, stamped with the moment it fell due. A caller sees
//! the same thing a timer would show, without a task per debit, and arrivals keep their order.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;
use zengin::{TransferFile, TransferResult};

use super::accounts::{
    Account, AccountAt, AccountStatus, AccountType, MAX_BALANCE_MINOR, TEST_ACCOUNTS, closed_by_rule, unfunded_by_rule,
};

/// Accounts kept, test accounts included; tests add their own, so the table must stop somewhere.
pub const MAX_ACCOUNTS: usize = 10_000;
/// Debits kept. None is ever forgotten while the process runs: forgetting one would let a retry
/// of its `debit_id` debit the account a second time.
pub const MAX_DEBITS: usize = 100_000;
/// Transfer files kept, and their records all together (a parsed record is a few hundred bytes).
/// Like debits, files are never forgotten, or the same bytes sent again would pay twice.
pub const MAX_FILES: usize = 1_000;
pub const MAX_FILE_RECORDS_KEPT: usize = 100_000;

/// Why a debit was refused, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    InsufficientFunds,
    NoSuchAccount,
    AccountClosed,
    NameMismatch,
    LimitExceeded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Pending,
    Confirmed,
    Refused(Refusal),
}

/// What a debit asks for. Two requests with one `debit_id` are the same debit only if these
/// are equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitOrder {
    pub at: AccountAt,
    pub account_type: AccountType,
    pub amount_minor: i64,
    pub holder_name: String,
}

#[derive(Debug, Clone)]
pub struct Debit {
    pub id: String,
    pub order: DebitOrder,
    pub decision: Decision,
    pub due_ms: i64,
}

impl Debit {
    pub fn decided_at_ms(&self) -> Option<i64> {
        (self.decision != Decision::Pending).then_some(self.due_ms)
    }
}

#[derive(Debug, Clone)]
pub struct FileEntry {
    pub id: String,
    pub file: TransferFile,
    pub due_ms: i64,
    /// One per record, in order, once decided.
    pub results: Option<Vec<TransferResult>>,
}

impl FileEntry {
    pub fn total_minor(&self) -> i64 {
        let total: u64 = self.file.records.iter().map(|r| r.amount_yen).sum();
        i64::try_from(total).unwrap_or(i64::MAX)
    }
}

/// A request the books refuse outright (as opposed to a debit refused when decided).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    NoSuchAccount,
    AccountClosed,
    AccountExists,
    DebitIdReused,
    /// A table reached its limit; the message names which.
    Full(&'static str),
}

#[derive(Debug, Clone, Copy)]
enum Due {
    Debit,
    File,
}

pub struct Books {
    accounts: HashMap<AccountAt, Account>,
    debits: HashMap<String, Debit>,
    files: HashMap<String, FileEntry>,
    file_records_kept: usize,
    /// Undecided debits and files in order of arrival, which with one fixed delay is also the
    /// order in which they fall due.
    queue: VecDeque<(Due, String)>,
    confirm_delay_ms: i64,
    debit_limit_minor: i64,
}

impl Books {
    pub fn new(confirm_delay_ms: i64, debit_limit_minor: i64) -> Books {
        assert!(confirm_delay_ms >= 0 && debit_limit_minor > 0);
        let accounts = TEST_ACCOUNTS.iter().map(|t| t.open()).map(|a| (a.at.clone(), a)).collect();
        Books {
            accounts,
            debits: HashMap::new(),
            files: HashMap::new(),
            file_records_kept: 0,
            queue: VecDeque::new(),
            confirm_delay_ms,
            debit_limit_minor,
        }
    }

    pub fn account(&self, at: &AccountAt) -> Option<&Account> {
        self.accounts.get(at)
    }

    /// The account as an inquiry sees it: it must exist with this type, and be open.
    pub fn inquire(&self, at: &AccountAt, account_type: AccountType) -> Result<&Account, Rejection> {
        let account = self.accounts.get(at).filter(|a| a.account_type == account_type);
        match account {
            None => Err(Rejection::NoSuchAccount),
            Some(a) if a.status == AccountStatus::Closed => Err(Rejection::AccountClosed),
            Some(a) => Ok(a),
        }
    }

    /// Opens an account for a test; the last-digit rules win over what the request says.
    pub fn add_account(&mut self, mut account: Account) -> Result<&Account, Rejection> {
        if self.accounts.contains_key(&account.at) {
            return Err(Rejection::AccountExists);
        }
        if self.accounts.len() >= MAX_ACCOUNTS {
            return Err(Rejection::Full("accounts"));
        }
        if closed_by_rule(&account.at.account_number) {
            account.status = AccountStatus::Closed;
        }
        let at = account.at.clone();
        Ok(self.accounts.entry(at).or_insert(account))
    }

    /// Closes an account (tests and demos: a transfer to it then comes back with code 3).
    pub fn close_account(&mut self, at: &AccountAt) -> Result<&Account, Rejection> {
        let account = self.accounts.get_mut(at).ok_or(Rejection::NoSuchAccount)?;
        account.status = AccountStatus::Closed;
        Ok(account)
    }

    /// Takes a debit, or answers a retry of one. `true` when it is new.
    pub fn submit_debit(&mut self, id: &str, order: DebitOrder, now_ms: i64) -> Result<(&Debit, bool), Rejection> {
        let is_new = match self.debits.get(id) {
            Some(existing) if existing.order != order => return Err(Rejection::DebitIdReused),
            Some(_) => false,
            None if self.debits.len() >= MAX_DEBITS => return Err(Rejection::Full("debits")),
            None => {
                let due_ms = now_ms.saturating_add(self.confirm_delay_ms);
                let debit = Debit { id: id.to_owned(), order, decision: Decision::Pending, due_ms };
                self.debits.insert(id.to_owned(), debit);
                self.queue.push_back((Due::Debit, id.to_owned()));
                true
            }
        };
        self.settle(now_ms);
        Ok((&self.debits[id], is_new))
    }

    pub fn debit(&self, id: &str) -> Option<&Debit> {
        self.debits.get(id)
    }

    /// Takes a parsed transfer file under the id of its bytes; the same bytes again are the
    /// same file, and are never paid twice. `true` when it is new.
    pub fn submit_file(&mut self, id: &str, file: TransferFile, now_ms: i64) -> Result<(&FileEntry, bool), Rejection> {
        let is_new = if self.files.contains_key(id) {
            false
        } else {
            if self.files.len() >= MAX_FILES || self.file_records_kept + file.records.len() > MAX_FILE_RECORDS_KEPT {
                return Err(Rejection::Full("transfer files"));
            }
            self.file_records_kept += file.records.len();
            let due_ms = now_ms.saturating_add(self.confirm_delay_ms);
            self.files.insert(id.to_owned(), FileEntry { id: id.to_owned(), file, due_ms, results: None });
            self.queue.push_back((Due::File, id.to_owned()));
            true
        };
        self.settle(now_ms);
        Ok((&self.files[id], is_new))
    }

    pub fn file(&self, id: &str) -> Option<&FileEntry> {
        self.files.get(id)
    }

    /// Decides everything that fell due by `now_ms`, in order of arrival.
    pub fn settle(&mut self, now_ms: i64) {
        while let Some((due, id)) = self.queue.front() {
            let due_ms = match due {
                Due::Debit => self.debits[id].due_ms,
                Due::File => self.files[id].due_ms,
            };
            if due_ms > now_ms {
                break;
            }
            let (due, id) = self.queue.pop_front().expect("the front was just read");
            match due {
                Due::Debit => self.decide_debit(&id),
                Due::File => self.decide_file(&id),
            }
        }
    }

    fn decide_debit(&mut self, id: &str) {
        let debit = self.debits.get_mut(id).expect("queued debits are kept");
        assert_eq!(debit.decision, Decision::Pending, "a debit is decided once");
        let account = self.accounts.get_mut(&debit.order.at);
        let decision = match debit_refusal(account.as_deref(), &debit.order, self.debit_limit_minor) {
            Some(refusal) => Decision::Refused(refusal),
            None => {
                let account = account.expect("a debit without a refusal has its account");
                account.balance_minor -= debit.order.amount_minor;
                assert!(account.balance_minor >= 0, "a confirmed debit never overdraws");
                Decision::Confirmed
            }
        };
        debit.decision = decision;
    }

    fn decide_file(&mut self, id: &str) {
        let entry = self.files.get_mut(id).expect("queued files are kept");
        assert!(entry.results.is_none(), "a file is decided once");
        let mut results = Vec::with_capacity(entry.file.records.len());
        for record in &entry.file.records {
            let at = AccountAt {
                bank_code: record.bank_code.clone(),
                branch_code: record.branch_code.clone(),
                account_number: record.account_number.clone(),
            };
            let account = self.accounts.get_mut(&at).filter(|a| a.account_type.is(record.account_type));
            results.push(credit(account, record));
        }
        entry.results = Some(results);
    }
}

/// The first reason to refuse a debit, checked in the order a bank would: the account, its
/// holder, the amount, then the money.
fn debit_refusal(account: Option<&Account>, order: &DebitOrder, limit_minor: i64) -> Option<Refusal> {
    let Some(account) = account.filter(|a| a.account_type == order.account_type) else {
        return Some(Refusal::NoSuchAccount);
    };
    if account.status == AccountStatus::Closed {
        return Some(Refusal::AccountClosed);
    }
    if !zengin::names_match(&order.holder_name, &account.holder_name).is_exact() {
        return Some(Refusal::NameMismatch);
    }
    if order.amount_minor > limit_minor {
        return Some(Refusal::LimitExceeded);
    }
    if unfunded_by_rule(&account.at.account_number) || account.balance_minor < order.amount_minor {
        return Some(Refusal::InsufficientFunds);
    }
    None
}

/// Pays one transfer record into its account, or says why it comes back.
fn credit(account: Option<&mut Account>, record: &zengin::TransferRecord) -> TransferResult {
    let Some(account) = account else {
        return TransferResult::NoSuchAccount;
    };
    if account.status == AccountStatus::Closed {
        return TransferResult::AccountClosed;
    }
    // Only an exact match pays: a doubtful payee is the bank's reason to return a transfer.
    if !zengin::names_match(record.recipient_name.as_str(), &account.holder_name).is_exact() {
        return TransferResult::NameMismatch;
    }
    let credited = i64::try_from(record.amount_yen).ok().and_then(|amount| account.balance_minor.checked_add(amount));
    match credited {
        Some(balance) if balance <= MAX_BALANCE_MINOR => {
            account.balance_minor = balance;
            TransferResult::Paid
        }
        _ => TransferResult::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yamada() -> AccountAt {
        AccountAt::parse("0001", "001", "1234567").unwrap()
    }

    fn order(amount_minor: i64) -> DebitOrder {
        DebitOrder {
            at: yamada(),
            account_type: AccountType::Ordinary,
            amount_minor,
            holder_name: "ヤマダ タロウ".into(),
        }
    }

    #[test]
    fn a_debit_waits_out_the_delay_and_is_stamped_when_it_fell_due() {
        let mut books = Books::new(200, 1_000_000);
        let (debit, is_new) = books.submit_debit("d1", order(1_000), 10_000).unwrap();
        assert!(is_new);
        assert_eq!(debit.decision, Decision::Pending);
        books.settle(10_199);
        assert_eq!(books.debit("d1").unwrap().decision, Decision::Pending);
        books.settle(50_000);
        assert_eq!(books.debit("d1").unwrap().decision, Decision::Confirmed);
        assert_eq!(books.debit("d1").unwrap().decided_at_ms(), Some(10_200));
        assert_eq!(books.account(&yamada()).unwrap().balance_minor, 4_999_000);
    }

    #[test]
    fn debits_are_refused_in_the_bank_s_order() {
        let mut books = Books::new(0, 1_000_000);
        let mut decide = |id: &str, o: DebitOrder| books.submit_debit(id, o, 0).unwrap().0.decision;
        let unknown = DebitOrder { at: AccountAt::parse("0001", "001", "7777777").unwrap(), ..order(1) };
        assert_eq!(decide("a", unknown), Decision::Refused(Refusal::NoSuchAccount));
        let savings = DebitOrder { account_type: AccountType::Savings, ..order(1) };
        assert_eq!(decide("b", savings), Decision::Refused(Refusal::NoSuchAccount));
        let stranger = DebitOrder { holder_name: "ﾔﾏﾀﾞ ｼﾞﾛｳ".into(), ..order(2_000_000) };
        assert_eq!(decide("c", stranger), Decision::Refused(Refusal::NameMismatch));
        assert_eq!(decide("d", order(1_000_001)), Decision::Refused(Refusal::LimitExceeded));
        let unfunded = DebitOrder {
            at: AccountAt::parse("0001", "001", "1234569").unwrap(),
            holder_name: "ｽｽﾞｷ ﾊﾅｺ".into(),
            ..order(1)
        };
        assert_eq!(decide("e", unfunded), Decision::Refused(Refusal::InsufficientFunds));
        let closed = DebitOrder {
            at: AccountAt::parse("0001", "001", "1234568").unwrap(),
            holder_name: "ｻﾄｳ ｼﾞﾛｳ".into(),
            ..order(1)
        };
        assert_eq!(decide("f", closed), Decision::Refused(Refusal::AccountClosed));
        assert_eq!(books.account(&yamada()).unwrap().balance_minor, 5_000_000, "nothing moved");
    }

    #[test]
    fn a_debit_id_names_one_debit() {
        let mut books = Books::new(0, 1_000_000);
        assert!(books.submit_debit("d", order(10), 0).unwrap().1);
        assert!(!books.submit_debit("d", order(10), 0).unwrap().1);
        assert_eq!(books.submit_debit("d", order(11), 0).unwrap_err(), Rejection::DebitIdReused);
        assert_eq!(books.account(&yamada()).unwrap().balance_minor, 4_999_990);
    }

    #[test]
    fn the_last_digit_closes_an_account_whatever_the_request_said() {
        let mut books = Books::new(0, 1_000_000);
        let at = AccountAt::parse("0005", "001", "1111118").unwrap();
        let account = Account {
            at,
            account_type: AccountType::Ordinary,
            holder_name: "ﾃｽﾄ".into(),
            balance_minor: 5,
            status: AccountStatus::Open,
        };
        assert_eq!(books.add_account(account.clone()).unwrap().status, AccountStatus::Closed);
        assert_eq!(books.add_account(account).unwrap_err(), Rejection::AccountExists);
    }
}
