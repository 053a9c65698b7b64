//! Japanese bank data and Zengin account-holder names, as pure functions without I/O:
//! - [`bank`] and [`branch`]: the bank and branch codes of the zengin-code data set, compiled in.
//! - [`holder_name`]: a name as a bank accepts it (half-width kana, 株式会社 as `ｶ)`), and
//!   [`names_match`]: whether two names are the same holder, for checking a payee against KYC.

mod banks;
mod entity;
mod error;
mod kana;
mod matching;
mod names;

pub use banks::{Bank, Branch, DATA_VERSION, bank, branch, branches};
pub use entity::{Entity, EntityType, Place};
pub use error::NameError;
pub use kana::is_zengin_char;
pub use matching::{Match, NameKey, name_key, names_match};
pub use names::{
    HOLDER_NAME_MAX_CHARS, HolderName, MAX_INPUT_CHARS, REQUESTER_NAME_MAX_CHARS, holder_name, requester_name,
};
