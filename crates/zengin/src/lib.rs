//! Japanese bank data for paying out to bank accounts, as pure functions without I/O:
//! [`bank`] and [`branch`] look up the bank and branch codes of the zengin-code data set,
//! compiled in.

mod banks;
mod kana;

pub use banks::{Bank, Branch, DATA_VERSION, bank, branch, branches};
pub use kana::is_zengin_char;
