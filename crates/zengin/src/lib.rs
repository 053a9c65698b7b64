//! Japanese bank data, Zengin account-holder names and the Zengin total-transfer file.
//!
//! Three jobs a payment platform needs to pay money out to Japanese bank accounts, all pure
//! functions without I/O:
//! - [`bank`] and [`branch`]: the bank and branch codes of the zengin-code data set, compiled in.
//! - [`holder_name`]: a name as a bank accepts it (half-width kana, 株式会社 as `ｶ)`), and
//!   [`names_match`]: whether two names are the same holder, for checking a payee against KYC.
//! - [`encode`] and [`parse`]: the 120-byte-record 総合振込 file, and [`encode_result`] and
//!   [`parse_result`] for the bank's answer.
//!
//! See the README for the rules, the record layouts and the result-file convention.

mod banks;
mod entity;
mod error;
mod file;
mod kana;
mod matching;
mod names;

pub use banks::{Bank, Branch, DATA_VERSION, bank, branch, branches};
pub use entity::{Entity, EntityType, Place};
pub use error::{FileError, NameError, RecordKind};
pub use file::{
    AccountType, CustomerReference, Designation, LineEnding, MAX_AMOUNT_YEN, MAX_RECORDS, MAX_TOTAL_YEN, NewCode,
    ResultFile, ResultRecord, TransferDate, TransferFile, TransferHeader, TransferRecord, TransferResult, encode,
    encode_result, encode_result_with, encode_with, parse, parse_result,
};
pub use kana::is_zengin_char;
pub use matching::{Match, NameKey, name_key, names_match};
pub use names::{
    HOLDER_NAME_MAX_CHARS, HolderName, MAX_INPUT_CHARS, REQUESTER_NAME_MAX_CHARS, holder_name, requester_name,
};
